"""Unit 6's quality bar: four generative models on the course's binarized MNIST, on one scale.

One JSON line per model, plus the real test images as the reference row:

- ``made_binarized_mnist``: MADE, one hidden layer of 1,500 units, one ordering (the natural
  one), direct input-output connections; Adam with a one-cycle learning rate peaking at
  2e-3, batch 100, 20 epochs on the first 50,000 training images, the last 10,000 for early
  stopping (the epoch with the best validation NLL is kept); exact test NLL in nats and bits
  per dimension. Goal: <= 90 nats (the MADE paper reports about 88 nats with one hidden layer and one
  ordering). Measured on this CPU with the same schedule: 500 hidden units reach 91.1 nats
  after 25 epochs (the paper's width; 101.4 after 20 epochs without the direct connections
  and the schedule, at a constant 1e-3),
  1,500 reach 90 by epoch 11.
- ``pixelcnn_binarized_mnist``: a small PixelCNN of ``lecture_lib.autoregressive`` (type-A
  7x7, five residual type-B 3x3 blocks of 32 channels, sized so that sampling the
  ``QUALITY_N`` images takes minutes on a CPU), 3 epochs (one took 13 minutes on the 2 cores with other work
  beside it), Adam one-cycle peaking at 1e-3,
  batch 64; exact test NLL with its training budget (the PixelCNN paper: 81.30 with a much
  larger network).
- ``vae_binarized_mnist``: the 784-400-20 VAE of unit 2 on the same data; the test
  negative ELBO (one draw of z per image, averaged over 5 draws) and the importance-weighted
  bound on -log p(x) with k samples (an upper bound on the NLL in expectation, tighter with k).
- ``gan_mnist``: the MLP GAN (non-saturating loss) trained on the grey-level images:
  no likelihood.
- ``real_test_images``: the binarized test images themselves (and ``real_test_images_grey``,
  the grey levels the GAN is trained on).

Every row also gives the classifier score and the Frechet distance of ``QUALITY_N`` samples
(the same number for every row: the Frechet distance's bias depends on it) measured with
``lecture_lib.sample_quality``, sampling seconds per image and training seconds.
``BENCH_QUICK=1`` shrinks everything to a smoke run (figures meaningless).
"""

from __future__ import annotations

import math
import time

import torch
from common import QUICK, emit

from lecture_lib import Batches, get_device, images_to_vectors, load_mnist, seed_everything
from lecture_lib.autoregressive import MADE, PixelCNN
from lecture_lib.data import binarized_mnist
from lecture_lib.gan import GANConfig, MLPDiscriminator, MLPGenerator, train_gan
from lecture_lib.sample_quality import sample_quality, trained_classifier
from lecture_lib.vae import VAE, importance_weighted_log_likelihood, negative_elbo

QUALITY_N = 32 if QUICK else 400
LN2 = math.log(2)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


@torch.no_grad()
def mean_nll(nll_fn, x: torch.Tensor, batch: int = 1000) -> float:
    return torch.cat([nll_fn(xb) for xb in x.split(batch)]).mean().item()


def fit_likelihood_model(model, x_train, x_val, epochs: int, lr: float, batch: int, desc: str):
    """Adam on the mean NLL with a one-cycle learning rate (10% warm-up to ``lr``, cosine decay to
    ~0 over ``epochs``); keeps the state with the best validation NLL. Returns (best_val, epoch, seconds)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = math.ceil(len(x_train) / batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(epochs * steps, 1), pct_start=0.1)
    best = (math.inf, -1, None)
    seconds = 0.0
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        for (xb,) in Batches(x_train, batch_size=batch, seed=epoch):
            loss = model.nll(xb).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
        sync(x_train.device)
        seconds += time.perf_counter() - t0
        model.eval()
        val = mean_nll(model.nll, x_val)
        print(f"{desc} epoch {epoch + 1}: validation NLL {val:.2f}", flush=True, file=__import__("sys").stderr)
        if val < best[0]:
            best = (val, epoch + 1, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[2])
    model.eval()
    return best[0], best[1], seconds


def timed_samples(sample_fn, n: int, device) -> tuple[torch.Tensor, float]:
    sync(device)
    t0 = time.perf_counter()
    samples = sample_fn(n)
    sync(device)
    return samples, (time.perf_counter() - t0) / n


def quality(samples: torch.Tensor, classifier) -> dict:
    q = sample_quality(samples, classifier)
    return {"classifier_score": q["classifier_score"], "frechet": q["frechet"], "quality_n": q["n"]}


def main() -> None:
    device = get_device()
    classifier = trained_classifier(device, progress=False)
    x_all = binarized_mnist("train")[0].to(device)
    x_test = binarized_mnist("test")[0].to(device)
    if QUICK:
        x_all, x_test = x_all[:3000], x_test[:500]
    split = len(x_all) - len(x_all) // 6
    x_train, x_val = x_all[:split], x_all[split:]
    g = torch.Generator().manual_seed(0)

    emit(name="real_test_images", device=str(device), **quality(x_test[:QUALITY_N], classifier))
    grey_test = images_to_vectors(load_mnist("test")[0][:QUALITY_N])
    emit(name="real_test_images_grey", device=str(device), **quality(grey_test, classifier))

    # MADE
    seed_everything(0)
    made = MADE(hidden=(1500,), direct=True).to(device)
    epochs = 2 if QUICK else 20
    val, best_epoch, seconds = fit_likelihood_model(made, x_train, x_val, epochs, 2e-3, 100, "MADE")
    nll = mean_nll(made.nll, x_test)
    samples, per_image = timed_samples(lambda n: made.sample(n, generator=g), QUALITY_N, device)
    emit(name="made_binarized_mnist", device=str(device), test_nll_nats=nll, bits_per_dim=nll / (784 * LN2),
         val_nll_nats=val, epochs=epochs, best_epoch=best_epoch, hidden=list(made.hidden), orderings=1, direct=True,
         parameters=sum(p.numel() for p in made.parameters()), seconds=seconds,
         sample_seconds_per_image=per_image, **quality(samples, classifier))

    # PixelCNN
    seed_everything(0)
    pixelcnn = PixelCNN(channels=32, blocks=2 if QUICK else 5).to(device)
    epochs = 1 if QUICK else 3
    val, best_epoch, seconds = fit_likelihood_model(pixelcnn, x_train, x_val, epochs, 1e-3, 64, "PixelCNN")
    nll = mean_nll(pixelcnn.nll, x_test, batch=500)
    samples, per_image = timed_samples(lambda n: pixelcnn.sample(n, generator=g), QUALITY_N, device)
    emit(name="pixelcnn_binarized_mnist", device=str(device), test_nll_nats=nll, bits_per_dim=nll / (784 * LN2),
         val_nll_nats=val, epochs=epochs, best_epoch=best_epoch, channels=pixelcnn.first.out_channels,
         blocks=len(pixelcnn.blocks), parameters=sum(p.numel() for p in pixelcnn.parameters()),
         seconds=seconds, sample_seconds_per_image=per_image, **quality(samples, classifier))

    # VAE (unit 2's model) on the same binarized data
    seed_everything(0)
    vae = VAE().to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    epochs = 2 if QUICK else 30
    t0 = time.perf_counter()
    for epoch in range(epochs):
        for (xb,) in Batches(x_all, batch_size=128, seed=epoch):
            loss = vae.loss(xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync(device)
    seconds = time.perf_counter() - t0
    vae.eval()
    with torch.no_grad():
        neg_elbo = sum(mean_nll(lambda xb: negative_elbo(xb, *vae(xb, generator=g)), x_test) for _ in range(5)) / 5
        k = 8 if QUICK else 500
        iw = mean_nll(lambda xb: -importance_weighted_log_likelihood(vae, xb, k=k, generator=g), x_test, batch=100)
    samples, per_image = timed_samples(lambda n: vae.sample(n, generator=g, mean=False), QUALITY_N, device)
    emit(name="vae_binarized_mnist", device=str(device), test_neg_elbo=neg_elbo, iw_nll=iw, iw_k=k,
         bits_per_dim_bound=iw / (784 * LN2), epochs=epochs, seconds=seconds, sample_seconds_per_image=per_image,
         **quality(samples, classifier))

    # GAN on the grey-level images
    seed_everything(0)
    grey = images_to_vectors(load_mnist("train")[0]).to(device)
    gen, disc = MLPGenerator().to(device), MLPDiscriminator().to(device)
    steps = 50 if QUICK else 10000
    real = lambda n, rng: grey[torch.randint(len(grey), (n,), generator=rng).to(device)]   # noqa: E731
    out = train_gan(gen, disc, real, GANConfig(steps=steps), progress=False)
    samples, per_image = timed_samples(lambda n: gen.sample(n, generator=g), QUALITY_N, device)
    emit(name="gan_mnist", device=str(device), steps=steps, batch_size=128, seconds=out["seconds"],
         sample_seconds_per_image=per_image, final_loss_d=out["loss_d"][-1], final_loss_g=out["loss_g"][-1],
         **quality(samples, classifier))


if __name__ == "__main__":
    main()
