"""PCA, the linear autoencoder's optimum, and principal angles between subspaces.

For centred data ``X - mean`` (``(N, D)``), the K-dimensional subspace that minimizes the
squared reconstruction error is the one that maximizes the projected variance: it is
spanned by the K leading eigenvectors of the covariance ``C = (X - mean)^T (X - mean) / N``,
i.e. the K leading right singular vectors of ``X - mean``. Code ``z = (x - mean) V^T``,
reconstruction ``x~ = mean + z V`` with ``V``: ``(K, D)`` orthonormal rows.

Defined in: unit 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["PCA", "fit_pca", "pca_encode", "pca_reconstruct", "principal_angles"]


@dataclass
class PCA:
    """A fitted PCA.

    mean: ``(D,)``; components: ``(K, D)`` orthonormal rows, by decreasing variance;
    explained_variance: ``(K,)`` the variance of the data along each component (eigenvalues
    of the covariance, divisor N); explained_variance_ratio: ``(K,)`` their share of the
    total variance.
    """

    mean: torch.Tensor
    components: torch.Tensor
    explained_variance: torch.Tensor
    explained_variance_ratio: torch.Tensor

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return pca_encode(self, x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return pca_reconstruct(self, pca_encode(self, x))


def fit_pca(x: torch.Tensor, k: int) -> PCA:
    """PCA of ``x``: ``(N, D)`` with ``k`` components, by SVD of the centred data.

    Signs are fixed so that each component's largest-magnitude entry is positive (the SVD
    leaves them arbitrary). Runs on x's device, in x's floating dtype.
    """
    if x.dim() != 2:
        raise ValueError(f"x must be (N, D), got shape {tuple(x.shape)}")
    n, d = x.shape
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be in 1..{min(n, d)}, got {k}")
    x = x if x.dtype.is_floating_point else x.float()
    mean = x.mean(dim=0)
    _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
    components = vh[:k]
    signs = torch.sign(components.gather(1, components.abs().argmax(dim=1, keepdim=True)))
    components = components * signs
    variance = s.pow(2) / n
    return PCA(mean, components, variance[:k], variance[:k] / variance.sum())


def pca_encode(pca: PCA, x: torch.Tensor) -> torch.Tensor:
    """``z = (x - mean) V^T``: ``(N, D) -> (N, K)``."""
    return (x - pca.mean) @ pca.components.T


def pca_reconstruct(pca: PCA, z: torch.Tensor) -> torch.Tensor:
    """``x~ = mean + z V``: ``(N, K) -> (N, D)``."""
    return pca.mean + z @ pca.components


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between the column spaces of ``a`` and ``b``.

    a: ``(D, K1)``, b: ``(D, K2)`` with full column rank (any basis: it is orthonormalized
    first) -> ``(min(K1, K2),)``. With orthonormal bases Qa, Qb, the cosines of the angles
    are the singular values of ``Qa^T Qb``; all angles are 0 iff the smaller subspace lies
    in the larger one (for equal dimensions: iff they coincide).
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"need (D, K1) and (D, K2) matrices, got {tuple(a.shape)} and {tuple(b.shape)}")
    qa, _ = torch.linalg.qr(a)
    qb, _ = torch.linalg.qr(b)
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.arccos(cosines).flip(0).sort().values
