"""lecture_lib.pca against scikit-learn and the two views of PCA."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA as SkPCA

from lecture_lib.pca import fit_pca, principal_angles


@pytest.fixture(scope="module")
def digits():
    return torch.tensor(load_digits().data, dtype=torch.float64)


def test_matches_sklearn(digits):
    k = 10
    ours = fit_pca(digits, k)
    sk = SkPCA(n_components=k, svd_solver="full").fit(digits.numpy())
    assert torch.allclose(ours.mean, torch.tensor(sk.mean_))
    # Same components up to sign, same explained-variance ratios (sklearn divides by N-1).
    dots = (ours.components * torch.tensor(sk.components_)).sum(1).abs()
    assert torch.allclose(dots, torch.ones(k, dtype=torch.float64), atol=1e-8)
    assert torch.allclose(ours.explained_variance_ratio, torch.tensor(sk.explained_variance_ratio_))
    n = len(digits)
    assert torch.allclose(ours.explained_variance * n / (n - 1), torch.tensor(sk.explained_variance_))


def test_components_are_orthonormal_eigenvectors_of_the_covariance(digits):
    p = fit_pca(digits, 5)
    assert torch.allclose(p.components @ p.components.T, torch.eye(5, dtype=torch.float64), atol=1e-10)
    centred = digits - p.mean
    cov = centred.T @ centred / len(digits)
    assert torch.allclose(cov @ p.components.T, p.components.T * p.explained_variance, atol=1e-8)
    assert (p.explained_variance[:-1] >= p.explained_variance[1:]).all()


def test_both_views_error_and_variance_sum_to_the_total(digits):
    """Reconstruction error + projected variance = total variance, for every k."""
    total = (digits - digits.mean(0)).pow(2).sum(1).mean()
    errors = []
    for k in (1, 5, 20, 64):
        p = fit_pca(digits, k)
        err = (digits - p.reconstruct(digits)).pow(2).sum(1).mean()
        projected = p.encode(digits).pow(2).sum(1).mean()
        assert torch.isclose(err + projected, total)
        assert torch.isclose(projected, p.explained_variance.sum())
        errors.append(err.item())
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-8


def test_pca_beats_random_subspaces(digits):
    p = fit_pca(digits, 5)
    best = (digits - p.reconstruct(digits)).pow(2).sum(1).mean()
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        q, _ = torch.linalg.qr(torch.randn(64, 5, generator=g, dtype=torch.float64))
        recon = p.mean + (digits - p.mean) @ q @ q.T
        assert (digits - recon).pow(2).sum(1).mean() > best


def test_principal_angles():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(10, 3, generator=g, dtype=torch.float64)
    mix = torch.randn(3, 3, generator=g, dtype=torch.float64)
    assert principal_angles(a, a @ mix).max() < 1e-6               # same span, other basis
    e = torch.eye(4, dtype=torch.float64)
    angles = principal_angles(e[:, :2], torch.stack([e[:, 0], (e[:, 1] + e[:, 2]) / math.sqrt(2)], 1))
    assert torch.allclose(angles, torch.tensor([0.0, math.pi / 4], dtype=torch.float64), atol=1e-7)
    assert torch.allclose(principal_angles(e[:, :1], e[:, 1:2]), torch.tensor([math.pi / 2], dtype=torch.float64))
    with pytest.raises(ValueError):
        principal_angles(e[:3, :1], e[:, :1])


def test_bad_arguments(digits):
    with pytest.raises(ValueError, match="k must be"):
        fit_pca(digits, 0)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        fit_pca(digits[0], 1)
