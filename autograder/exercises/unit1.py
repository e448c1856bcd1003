"""Unit 1 (autoencoders and PCA): the graded functions and the mistakes their checks reject.

``unit1.pca_fit``: ``pca_fit(X, k) -> (mean, components, explained_variance)``; X ``(N, D)``
    float; mean ``(D,)``; components ``(k, D)`` orthonormal rows, the k leading eigenvectors
    of the covariance ``(X - mean)^T (X - mean) / N`` in order of decreasing eigenvalue (each
    row's sign is free); explained_variance ``(k,)`` those eigenvalues (divisor N). Same dtype
    as X. Mistakes: no centring; eigenvalues in ascending order (``torch.linalg.eigh``'s
    order); components as columns ``(D, k)``; divisor N - 1; singular values instead of
    ``s^2 / N``; left instead of right singular vectors.
``unit1.pca_reconstruct``: ``pca_reconstruct(X, mean, components) -> X~``: ``mean + (X -
    mean) V^T V`` with V = components ``(k, D)``. Mistakes: no centring; forgetting to add
    the mean back; ``V V^T`` / transposes swapped; returning the codes.
``unit1.linear_ae_loss``: ``linear_ae_loss(X, U, V) -> scalar``: the mean over the N rows
    of ``||x - U V x||^2`` (sum over the D coordinates); values and gradients w.r.t. U and V
    are checked. Mistakes: mean over all N*D entries; sum over the batch; ``V U``-style
    transposes; the norm instead of its square; a detached result.
``unit1.principal_angles``: ``principal_angles(A, B) -> angles``: A ``(D, k1)``, B ``(D, k2)``
    any bases (full column rank) -> ``(min(k1, k2),)`` in radians, ascending. Mistakes: no
    orthonormalization; degrees; cosines instead of angles; descending order; eigenvalues
    of ``Qa^T Qb Qb^T Qa`` without the square root.
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, compare_tuple, describe
from autograder.registry import Case, Exercise, register
from autograder_kernel.runners import with_grads
from lecture_lib.autoencoder import linear_ae_loss
from lecture_lib.pca import fit_pca, pca_encode, pca_reconstruct, principal_angles, PCA


# ----------------------------------------------------------------- inputs

def _data(gen: torch.Generator, n: int, d: int, spectrum: list[float], offset: float = 0.0,
          dtype=torch.float32) -> torch.Tensor:
    """n points in d dimensions whose covariance has well-separated leading eigenvalues."""
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    scales = torch.full((d,), 0.05, dtype=torch.float64)
    scales[: len(spectrum)] = torch.tensor(spectrum, dtype=torch.float64)
    z = torch.randn(n, d, generator=gen, dtype=torch.float64)
    if n > 1:
        z = (z - z.mean(0)) / z.std(0)
    x = z * scales @ q.T + offset + torch.randn(d, generator=gen, dtype=torch.float64)
    return x.to(dtype)


def _centred(x: torch.Tensor) -> torch.Tensor:
    return x - x.mean(0)


def _orthonormal_rows(gen: torch.Generator, k: int, d: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(d, k, generator=gen, dtype=torch.float64))
    return q.T.contiguous().float()


# ----------------------------------------------------------------- pca_fit

def _pca_fit_reference(x: torch.Tensor, k: int):
    p = fit_pca(x.double(), k)
    return p.mean.to(x.dtype), p.components.to(x.dtype), p.explained_variance.to(x.dtype)


def _pca_fit_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((_data(gen, 200, 5, [4.0, 2.0, 1.0]), 2), note="200 points in 5-D, k=2"),
        Case((_data(gen, 300, 8, [5.0, 3.0, 2.0, 1.0], offset=3.0), 3), note="8-D data far from the origin, k=3"),
        Case((_data(gen, 20, 4, [3.0, 1.5]), 1), note="only 20 points, k=1"),
    ]
    if hidden:
        cases += [
            Case((_data(gen, 12, 30, [6.0, 3.0, 1.5]), 3), note="fewer points (12) than dimensions (30)"),
            Case((_data(gen, 500, 6, [3.0, 2.5, 2.0, 1.5, 1.0, 0.5]), 6), note="k = D: all components"),
            Case((_data(gen, 400, 10, [8.0, 4.0, 2.0, 1.0], offset=-5.0, dtype=torch.float64), 4),
                 note="float64 input"),
            Case((_data(gen, 50, 784, [5.0, 4.0, 3.0]), 2), note="50 images' worth of 784-D data"),
        ]
    return cases


def _pca_fit_compare(case: Case, expected, got) -> str | None:
    mean, comps, var = expected
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return ("the output should be a tuple (mean, components, explained_variance), but it is "
                f"{describe(got)}")
    g_mean, g_comps, g_var = got
    rtol = 1e-3 if mean.dtype == torch.float32 else 1e-8
    for name, e, g in (("mean", mean, g_mean), ("explained_variance", var, g_var)):
        problem = compare_tensors(e, g, name=name, rtol=rtol, atol=rtol * 1e-2)
        if problem:
            return problem
    problem = compare_tensors(comps, g_comps, name="components", rtol=1e9, atol=1e9)  # shape, dtype
    if problem:
        return problem
    gram = g_comps.double() @ g_comps.double().T
    if not torch.allclose(gram, torch.eye(len(gram), dtype=torch.float64), atol=1e-3):
        return "the components are not orthonormal rows (components @ components.T should be the identity)"
    cosines = (g_comps.double() * comps.double()).sum(1).abs()
    wrong = (cosines < 1 - 1e-3).nonzero()
    if len(wrong):
        i = int(wrong[0])
        return (f"component {i} is not the eigenvector of the {i + 1}-th largest eigenvalue (up to sign): "
                f"|cos angle| to it is {cosines[i]:.4f}, should be 1")
    return None


PCA_FIT = register(Exercise(
    id="unit1.pca_fit",
    withholds=('lecture_lib.pca.fit_pca',),
    signature="pca_fit(X: (N, D), k) -> (mean (D,), components (k, D) orthonormal rows by decreasing "
              "variance, explained_variance (k,) = eigenvalues of (X-mean)^T (X-mean) / N), X's dtype",
    reference=_pca_fit_reference,
    make_cases=_pca_fit_cases,
    compare=_pca_fit_compare,
))


# ----------------------------------------------------------------- pca_reconstruct

def _reconstruct_reference(x, mean, components):
    p = PCA(mean, components, torch.empty(0), torch.empty(0))
    return pca_reconstruct(p, pca_encode(p, x))


def _reconstruct_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(n, d, k, note, offset=2.0):
        x = _data(gen, n, d, [3.0, 2.0, 1.0], offset=offset)
        return Case((x, x.mean(0), _orthonormal_rows(gen, k, d)), note=note)

    cases = [case(10, 6, 2, "10 points in 6-D, k=2"), case(4, 784, 5, "4 images, k=5")]
    if hidden:
        cases += [case(1, 8, 1, "a single point, k=1"), case(30, 12, 12, "k = D: nothing is lost"),
                  case(25, 20, 3, "data far from the origin", offset=40.0),
                  Case((torch.randn(7, 9, generator=gen), torch.randn(9, generator=gen),
                        _orthonormal_rows(gen, 4, 9)), note="a mean that is not the data's mean"),
                  Case((torch.randn(6, 10, generator=gen, dtype=torch.float64),
                        torch.randn(10, generator=gen, dtype=torch.float64),
                        _orthonormal_rows(gen, 3, 10).double()), note="float64 inputs")]
    return cases


PCA_RECONSTRUCT = register(Exercise(
    id="unit1.pca_reconstruct",
    withholds=('lecture_lib.pca.pca_encode', 'lecture_lib.pca.pca_reconstruct'),
    signature="pca_reconstruct(X: (N, D), mean: (D,), components: (k, D)) -> (N, D): "
              "mean + (X - mean) V^T V, the inputs' dtype",
    reference=_reconstruct_reference,
    make_cases=_reconstruct_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the reconstruction", rtol=1e-4, atol=1e-4),
))


# ----------------------------------------------------------------- linear_ae_loss

def _ae_loss_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(n, d, k, note, scale=1.0):
        x = torch.randn(n, d, generator=gen)
        x = x - x.mean(0) if n > 1 else x * 0  # the contract's X is centred data
        return Case((x, scale * torch.randn(d, k, generator=gen), scale * torch.randn(k, d, generator=gen)),
                    note=note)

    cases = [case(8, 5, 2, "8 points in 5-D, K=2"), case(3, 784, 4, "3 images, K=4", scale=0.05)]
    if hidden:
        cases += [case(1, 6, 1, "a single point, K=1"), case(64, 10, 10, "K = D"),
                  case(17, 30, 3, "17 points in 30-D", scale=0.3),
                  Case((_centred(torch.randn(5, 4, generator=gen)), torch.zeros(4, 2), torch.zeros(2, 4)),
                       note="U = V = 0: the loss is the mean squared norm")]
    return cases


LINEAR_AE_LOSS = register(Exercise(
    id="unit1.linear_ae_loss",
    withholds=('lecture_lib.autoencoder.linear_ae_loss', 'lecture_lib.autoencoder.linear_ae_loss_from_covariance'),
    signature="linear_ae_loss(X: (N, D) centred, U: (D, K), V: (K, D)) -> scalar: mean over the N rows "
              "of ||x - U V x||^2 (summed over D), differentiable in U and V",
    reference=linear_ae_loss,
    make_cases=_ae_loss_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the loss", "the gradient w.r.t. U", "the gradient w.r.t. V"],
                                             rtol=1e-4, atol=1e-4),
    run=with_grads(1, 2),
))


# ----------------------------------------------------------------- principal_angles

def _angles_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def rnd(d, k):
        return torch.randn(d, k, generator=gen, dtype=torch.float64)

    e = torch.eye(4, dtype=torch.float64)
    shared = rnd(6, 2)
    cases = [
        Case((rnd(5, 2), rnd(5, 2)), note="two random planes in 5-D"),
        Case((e[:, :2], torch.stack([e[:, 0], (e[:, 1] + e[:, 2]) / 2 ** 0.5], 1)),
             note="planes sharing one axis, the other at 45 degrees"),
        Case((rnd(8, 3), rnd(8, 1)), note="a 3-D subspace and a line"),
    ]
    if hidden:
        a = rnd(7, 3)
        cases += [
            Case((a, a @ rnd(3, 3)), note="the same subspace in another (non-orthonormal) basis"),
            Case((e[:, :2], e[:, 2:]), note="orthogonal planes"),
            Case((torch.cat([shared, rnd(6, 1)], 1), torch.cat([shared, rnd(6, 2)], 1)),
                 note="two subspaces sharing a plane"),
            Case((100 * rnd(10, 4), 0.01 * rnd(10, 4)), note="badly scaled bases"),
            Case((rnd(784, 3), rnd(784, 3)), note="random 3-D subspaces of 784-D space"),
        ]
    return cases


PRINCIPAL_ANGLES = register(Exercise(
    id="unit1.principal_angles",
    withholds=('lecture_lib.pca.principal_angles',),
    signature="principal_angles(A: (D, k1), B: (D, k2)) -> (min(k1, k2),) angles in radians, ascending "
              "(A, B: any bases of the two subspaces)",
    reference=principal_angles,
    make_cases=_angles_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the angles", rtol=1e-5, atol=1e-5),
))
