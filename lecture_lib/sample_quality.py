"""Measuring samples without a likelihood: a classifier score and a Frechet distance on MNIST.

A GAN gives samples and no ``log p(x)``, so unit 6 compares all its models the way the
GAN literature does, with a fixed classifier in place of the Inception network:

- **classifier score** (the inception score's analogue):
  ``exp( E_x KL( p(y|x) || p(y) ) )`` with ``p(y) = E_x p(y|x)`` over the samples. It is
  high when each sample is confidently one digit (sharp ``p(y|x)``) and the samples cover
  all ten digits (flat ``p(y)``); at most 10, and 1 for samples that all look alike or
  that the classifier cannot read.
- **Frechet distance** between the classifier's penultimate features of the samples and of
  the real training images, each summarized by a Gaussian:
  ``||mu_s - mu_r||^2 + tr(S_s + S_r - 2 (S_s S_r)^{1/2})`` (0 for identical statistics).

The classifier is a small MLP trained once (about half a minute on a laptop CPU) on the
training split, each image shown as its grey levels or as a fresh stochastic
binarization, so that it reads both the GAN's grey samples and the binary samples of
MADE, PixelCNN and the VAE. It is cached in the data folder
(``mnist-classifier-v1.pt``, weights only) and retrained if the file is missing.

Defined in: unit 6.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.data import binarized_mnist, data_dir, images_to_vectors, load_mnist

__all__ = ["MNISTClassifier", "trained_classifier", "classifier_score", "frechet_distance", "FeatureStats",
           "feature_stats", "reference_stats", "classifier_accuracy", "sample_quality", "CLASSIFIER_FILE"]

CLASSIFIER_FILE = "mnist-classifier-v1.pt"
_FORMAT = 1
_CACHE: dict[tuple[str, str], "MNISTClassifier"] = {}


class MNISTClassifier(nn.Module):
    """``784 -> 512 -> 128 -> 10`` ReLU MLP; :meth:`features` is the 128-d penultimate layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU())
        self.out = nn.Linear(128, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.reshape(x.shape[0], -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


def _train_classifier(device: torch.device, epochs: int = 8, progress: bool | None = None) -> MNISTClassifier:
    from lecture_lib.batches import Batches
    from lecture_lib.train import train

    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = MNISTClassifier().to(device)
    images, labels = load_mnist("train")
    x = images_to_vectors(images).to(device)
    y = labels.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss_fn(xb, yb):
        # half the batch grey, half a fresh binarization: the classifier reads both kinds of sample
        coin = torch.rand(xb.shape[0], 1, device=xb.device) < 0.5
        xb = torch.where(coin, torch.bernoulli(xb), xb)
        return F.cross_entropy(model(xb), yb)

    train(loss_fn, opt, Batches(x, y, batch_size=128, seed=int(torch.randint(1 << 30, (1,), generator=g))),
          epochs, model=model, desc="MNIST classifier (once)", progress=progress)
    return model.eval()


def trained_classifier(device: torch.device | str | None = None, *, progress: bool | None = None,
                       retrain: bool = False) -> MNISTClassifier:
    """The course's MNIST classifier on ``device``, from the cache in :func:`data_dir` (trained and
    saved there on first use; kept in memory per process). Its test accuracy is checked (>= 97%
    on the grey and on the binarized test images) before it is cached."""
    from lecture_lib.runtime import get_device

    device = torch.device(device) if device is not None else get_device()
    path = data_dir() / CLASSIFIER_FILE
    key = (str(path), str(device))
    if key in _CACHE and not retrain:
        return _CACHE[key]
    model = MNISTClassifier()
    state = None
    if path.exists() and not retrain:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            if saved.get("format") == _FORMAT:
                state = saved["state_dict"]
        except Exception:   # a truncated or foreign file: retrain and replace it
            state = None
    if state is not None:
        model.load_state_dict(state)
        model = model.to(device).eval()
    else:
        model = _train_classifier(device, progress=progress)
        accuracy = classifier_accuracy(model)
        if min(accuracy.values()) < 0.97:
            raise RuntimeError(f"the MNIST classifier reached only {accuracy} test accuracy (expected >= 0.97)")
        _save(path, {"format": _FORMAT, "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
                     "test_accuracy": accuracy})
    for p in model.parameters():
        p.requires_grad_(False)
    _CACHE[key] = model
    return model


def _save(path: Path, obj: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        os.close(fd)
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except OSError:      # a read-only data folder (a grading sandbox): keep it in memory only
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


@torch.no_grad()
def classifier_accuracy(model: MNISTClassifier) -> dict:
    """Test accuracy on the grey-level and on the course's binarized test images."""
    device = next(model.parameters()).device
    images, labels = load_mnist("test")
    labels = labels.to(device)
    grey = images_to_vectors(images).to(device)
    binary = binarized_mnist("test")[0].to(device)
    return {name: float((model(x).argmax(1) == labels).float().mean()) for name, x in
            (("grey", grey), ("binarized", binary))}


# ----------------------------------------------------------------------------- the measures

def classifier_score(probs: torch.Tensor) -> float:
    """``exp(mean_x KL(p(y|x) || p(y)))`` from class probabilities ``(N, C)`` (rows sum to 1); in [1, C]."""
    probs = probs.double().clamp_min(1e-12)
    marginal = probs.mean(dim=0, keepdim=True)
    kl = (probs * (probs.log() - marginal.log())).sum(dim=1)
    return float(kl.mean().exp())


@dataclass
class FeatureStats:
    """Mean ``(F,)`` and covariance ``(F, F)`` of a set of features (float64, CPU)."""

    mean: torch.Tensor
    cov: torch.Tensor
    count: int


def feature_stats(features: torch.Tensor) -> FeatureStats:
    f = features.detach().double().cpu()
    if f.shape[0] < 2:
        raise ValueError("need at least 2 feature vectors for a covariance")
    return FeatureStats(f.mean(dim=0), torch.cov(f.T), f.shape[0])


def frechet_distance(a: FeatureStats, b: FeatureStats) -> float:
    """``||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^{1/2})``.

    ``tr (S_a S_b)^{1/2}`` is computed as the sum of the square roots of the eigenvalues of the
    symmetric matrix ``S_a^{1/2} S_b S_a^{1/2}`` (same eigenvalues as ``S_a S_b``), clamped at 0.
    """
    vals, vecs = torch.linalg.eigh(a.cov)
    sqrt_a = (vecs * vals.clamp_min(0).sqrt()) @ vecs.T
    middle = sqrt_a @ b.cov @ sqrt_a
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    value = (a.mean - b.mean).pow(2).sum() + torch.trace(a.cov) + torch.trace(b.cov) - 2 * trace_sqrt
    return float(value.clamp_min(0))


_REFERENCE: dict[tuple[str, str], FeatureStats] = {}


@torch.no_grad()
def reference_stats(classifier: MNISTClassifier) -> FeatureStats:
    """Feature statistics of the 60,000 binarized training images (the Frechet distance's reference)."""
    device = next(classifier.parameters()).device
    key = (str(data_dir()), str(device))
    if key not in _REFERENCE:
        x = binarized_mnist("train")[0].to(device)
        _REFERENCE[key] = feature_stats(torch.cat([classifier.features(xb) for xb in x.split(5000)]))
    return _REFERENCE[key]


@torch.no_grad()
def sample_quality(images: torch.Tensor, classifier: MNISTClassifier | None = None) -> dict:
    """``{"classifier_score", "frechet", "n"}`` for images ``(N, 784)`` or ``(N, 1, 28, 28)`` in [0, 1].

    Use the same number of images for every row of a comparison (the Frechet distance has a
    bias that shrinks with N; 10,000 as for the test set is the course's figure).
    """
    classifier = classifier or trained_classifier()
    device = next(classifier.parameters()).device
    x = images.reshape(images.shape[0], -1).to(device, torch.float32)
    feats, probs = [], []
    for xb in x.split(5000):
        f = classifier.features(xb)
        feats.append(f)
        probs.append(torch.softmax(classifier.out(f), dim=1))
    return {"classifier_score": classifier_score(torch.cat(probs)),
            "frechet": frechet_distance(feature_stats(torch.cat(feats)), reference_stats(classifier)),
            "n": int(x.shape[0])}
