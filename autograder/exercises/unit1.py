"""Unit 1 (autoencoders and PCA): the graded functions and the mistakes their checks reject.

``unit1.pca_fit``: ``pca_fit(X, k) -> (mean, components, explained_variance)``; X ``(N, D)``
    float; mean ``(D,)``; components ``(k, D)`` orthonormal rows, the k leading eigenvectors
    of the covariance ``(X - mean)^T (X - mean) / N`` in order of decreasing eigenvalue (each
    row's sign is free); explained_variance ``(k,)`` those eigenvalues (divisor N). Same dtype
    as X. Mistakes: no centring; eigenvalues in ascending order (``torch.linalg.eigh``'s
    order); components as columns ``(D, k)``; divisor N - 1; singular values instead of
    ``s^2 / N``; left instead of right singular vectors; X centred in place (right numbers, the
    caller's X changed: every exercise but train_linear_ae must leave its inputs unchanged).
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
    of ``Qa^T Qb Qb^T Qa`` without the square root; no clamp before ``arccos`` (the text asks
    for it). The last one differs only where rounding pushes a cosine above 1 (NaN): with one
    same-subspace case, the hidden suite caught it on about 4 secret seeds in 5; with six such
    cases (60-91% NaN each, measured over 2,000 draws) it is caught on 200 of 200
    (``python -m autograder audit unit1.principal_angles``, 2026-12-07).
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, compare_tuple, describe
from autograder.alternatives.unit1 import ALTERNATIVES
from autograder.misconceptions.unit1 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.runners import with_grads
from lecture_lib.autoencoder import linear_ae_loss, train_linear_ae
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


PCA_FIT = Exercise(
    id="unit1.pca_fit",
    misconceptions=MISCONCEPTIONS["unit1.pca_fit"],
    alternatives=tuple(ALTERNATIVES["unit1.pca_fit"]),
    withholds=('lecture_lib.pca.fit_pca',),
    signature="pca_fit(X: (N, D), k) -> (mean (D,), components (k, D) orthonormal rows by decreasing "
              "variance, explained_variance (k,) = eigenvalues of (X-mean)^T (X-mean) / N), X's dtype",
    reference=_pca_fit_reference,
    make_cases=_pca_fit_cases,
    compare=_pca_fit_compare,
)


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


PCA_RECONSTRUCT = Exercise(
    id="unit1.pca_reconstruct",
    misconceptions=MISCONCEPTIONS["unit1.pca_reconstruct"],
    alternatives=tuple(ALTERNATIVES["unit1.pca_reconstruct"]),
    withholds=('lecture_lib.pca.pca_encode', 'lecture_lib.pca.pca_reconstruct'),
    signature="pca_reconstruct(X: (N, D), mean: (D,), components: (k, D)) -> (N, D): "
              "mean + (X - mean) V^T V, the inputs' dtype",
    reference=_reconstruct_reference,
    make_cases=_reconstruct_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the reconstruction", rtol=1e-4, atol=1e-4),
)


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


LINEAR_AE_LOSS = Exercise(
    id="unit1.linear_ae_loss",
    misconceptions=MISCONCEPTIONS["unit1.linear_ae_loss"],
    alternatives=tuple(ALTERNATIVES["unit1.linear_ae_loss"]),
    withholds=('lecture_lib.autoencoder.linear_ae_loss', 'lecture_lib.autoencoder.linear_ae_loss_from_covariance'),
    signature="linear_ae_loss(X: (N, D) centred, U: (D, K), V: (K, D)) -> scalar: mean over the N rows "
              "of ||x - U V x||^2 (summed over D), differentiable in U and V",
    reference=linear_ae_loss,
    make_cases=_ae_loss_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the loss", "the gradient w.r.t. U", "the gradient w.r.t. V"],
                                             rtol=1e-4, atol=1e-4),
    run=with_grads(1, 2),
)


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
            # The same subspace again, five more ways: rounding pushes some cosine above 1 in most
            # of them (measured: 60-91% each), so arccos without the clamp gives NaN on some case
            # of every secret seed (all six escape together on about 3 seeds in 100,000).
            *(Case((b, b @ rnd(k, k)), note=f"the same {k}-D subspace of {d}-D space in another basis")
              for d, k in ((12, 6), (30, 8), (20, 5)) for b in (rnd(d, k),)),
            *(Case((b, b.clone()), note=f"the same basis twice ({d} x {k})") for d, k in ((12, 6),) for b in (rnd(d, k),)),
            Case((rnd(6, 6), rnd(6, 6)), note="two bases of the whole 6-D space: all angles zero"),
            Case((e[:, :2], e[:, 2:]), note="orthogonal planes"),
            Case((torch.cat([shared, rnd(6, 1)], 1), torch.cat([shared, rnd(6, 2)], 1)),
                 note="two subspaces sharing a plane"),
            Case((100 * rnd(10, 4), 0.01 * rnd(10, 4)), note="badly scaled bases"),
            Case((rnd(784, 3), rnd(784, 3)), note="random 3-D subspaces of 784-D space"),
        ]
    return cases


PRINCIPAL_ANGLES = Exercise(
    id="unit1.principal_angles",
    misconceptions=MISCONCEPTIONS["unit1.principal_angles"],
    alternatives=tuple(ALTERNATIVES["unit1.principal_angles"]),
    withholds=('lecture_lib.pca.principal_angles',),
    signature="principal_angles(A: (D, k1), B: (D, k2)) -> (min(k1, k2),) angles in radians, ascending "
              "(A, B: any bases of the two subspaces)",
    reference=principal_angles,
    make_cases=_angles_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the angles", rtol=1e-5, atol=1e-5),
)


# ----------------------------------------------------------------- train_linear_ae

LOOP_MAX_ANGLE = 0.02        # radians; correct loops reach <= 1.9e-3 on every seed tried
LOOP_MAX_EXCESS = 3e-3       # (loss - PCA's error) / total variance; correct loops reach <= 7.7e-4
LOOP_START_RTOL = 1e-4       # losses[0] against the loss at (U0, V0)


def _loop_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(n, d, k, spectrum, note, dtype=torch.float32, steps=200, lr=0.05):
        x = _data(gen, n, d, spectrum, dtype=torch.float64)
        x = (x - x.mean(0)).to(dtype)                       # the contract's X is centred
        U0 = (0.1 * torch.randn(d, k, generator=gen, dtype=torch.float64)).to(dtype)
        V0 = (0.1 * torch.randn(k, d, generator=gen, dtype=torch.float64)).to(dtype)
        return Case((x, U0, V0, steps, lr), note=note)

    cases = [case(100, 10, 2, [3.0, 2.0, 1.0], "100 points in 10-D, K=2"),
             case(200, 20, 3, [4.0, 3.0, 2.0, 1.0], "200 points in 20-D, K=3")]
    if hidden:
        # With N < D, Adam at lr 0.05 hovers above the optimum on some seeds (the reference's
        # loss exceeded PCA's by > 3e-3 x the variance on 11 of 400 seeds after 200 steps);
        # at lr 0.02 for 400 steps its largest excess over 400 seeds was 7.2e-5.
        cases += [case(30, 40, 3, [5.0, 4.0, 3.0, 1.5], "fewer points (30) than dimensions (40), K=3",
                       steps=400, lr=0.02),
                  case(100, 8, 1, [2.0, 1.0], "K=1: a line"),
                  case(120, 12, 2, [3.0, 2.0, 1.0], "float64 data", dtype=torch.float64)]
    return cases


def _loop_compare(case: Case, expected, got) -> str | None:
    x, U0, V0, steps, lr = case.args
    e_U, e_V, _ = expected
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"the output should be a tuple (U, V, losses), but it is {describe(got)}"
    U, V, losses = got
    for name, e, g in (("U", e_U, U), ("V", e_V, V)):
        problem = compare_tensors(e, g, name=name, rtol=1e9, atol=1e9)  # type, shape and dtype only
        if problem:
            return problem
    if isinstance(losses, torch.Tensor) or not isinstance(losses, (list, tuple)):
        return (f"losses should be a list of Python floats (one loss.item() per step), but it is "
                f"{describe(losses)}")
    if len(losses) != steps:
        return (f"losses should hold one loss per step ({steps} steps), but it holds {len(losses)}: "
                "append the loss of each step once, before or after that step's update")
    bad = next((i for i, v in enumerate(losses) if type(v) is not float), None)
    if bad is not None:
        return (f"losses[{bad}] should be a Python float (loss.item(): a number, not a tensor that keeps "
                f"the graph alive), but it is {describe(losses[bad])}")
    x64 = x.double()
    start = linear_ae_loss(x64, U0.double(), V0.double()).item()
    if not abs(losses[0] - start) <= LOOP_START_RTOL * abs(start):
        return (f"losses[0] is wrong: it should be the loss of the starting point (U0, V0), {start:.6g}, "
                f"computed before the first update, but it is {losses[0]:.6g}")
    if torch.equal(U.double(), U0.double()):
        return "U is wrong: it is still U0, the starting point; return the trained U"
    pca = fit_pca(x64, U0.shape[1])
    total = x64.pow(2).sum(1).mean().item()
    pca_error = total - pca.explained_variance.sum().item()
    angle = principal_angles(U.double(), pca.components.T).max().item()
    if not angle <= LOOP_MAX_ANGLE:
        return (f"U is wrong: its column space should be the PCA subspace (the span of the {U0.shape[1]} "
                f"leading principal components), but their largest principal angle is {angle:.3g} rad "
                f"(tolerance {LOOP_MAX_ANGLE}); are both U and V trained, every step, by Adam on the "
                "loss's gradient?")
    for what, value in (("the loss of the returned (U, V)", linear_ae_loss(x64, U.double(), V.double()).item()),
                        ("the last recorded loss", losses[-1])):
        if not (value - pca_error) <= LOOP_MAX_EXCESS * total:
            return (f"{what} is wrong: {value:.6g}, but PCA's error on this data is {pca_error:.6g} and a "
                    f"trained linear autoencoder gets within {LOOP_MAX_EXCESS:g} x the total variance "
                    f"({total:.4g}) of it")
    return None


TRAIN_LINEAR_AE = Exercise(
    id="unit1.train_linear_ae",
    inputs_unchanged=False,   # "you may train U0 and V0 themselves or copies of them"
    misconceptions=MISCONCEPTIONS["unit1.train_linear_ae"],
    alternatives=tuple(ALTERNATIVES["unit1.train_linear_ae"]),
    withholds=('lecture_lib.autoencoder.train_linear_ae',),
    signature="train_linear_ae(X: (N, D) centred, U0: (D, K), V0: (K, D), steps, lr) -> (U (D, K), V (K, D), "
              "losses: list of steps Python floats, losses[0] the loss at (U0, V0)); full-batch Adam(lr) on "
              "your linear_ae_loss; U, V in X's dtype and on X's device; the column space of U must be "
              "the PCA subspace",
    reference=train_linear_ae,
    make_cases=_loop_cases,
    compare=_loop_compare,
)


EXERCISES = (PCA_FIT, PCA_RECONSTRUCT, LINEAR_AE_LOSS, PRINCIPAL_ANGLES, TRAIN_LINEAR_AE,)
