"""Unit 6 (GANs and autoregressive models): the graded functions and the mistakes their checks reject.

``unit6.discriminator_loss``: ``discriminator_loss(real_logits (B_r,), fake_logits (B_f,)) -> ()``:
    ``-(mean log D(x_real) + mean log(1 - D(x_fake)))`` from the logits (``D = sigmoid(l)``),
    finite for |logit| up to 300; value and gradients w.r.t. both logits. Mistakes: log(sigmoid),
    the notes' factor 1/2, real and fake swapped, sums, one mean over both batches, V for -V.
``unit6.generator_loss_minimax``: ``(B,) -> ()``: ``mean log(1 - D(G(z)))``; value and gradient.
``unit6.generator_loss_nonsaturating``: ``(B,) -> ()``: ``-mean log D(G(z))``; value and gradient.
``unit6.optimal_discriminator``: ``(log_p_data, log_p_g) -> D*`` of their shape, finite where both
    densities underflow (the hidden cases reach log densities of several hundred to a few thousand
    below 0, and -900 exactly in one case). Mistakes: exp then divide (NaN), p_g / (p_data + p_g), the ratio, log densities as
    densities.
``unit6.made_masks``: ``made_masks(ordering (D,), hidden_sizes, seed) -> [masks]``: judged by
    connectivity, not against the reference's random degrees: the masks must be MADE's rule for
    *some* hidden degrees in 1..D-1 (checked as a system of difference constraints, solved by
    bound propagation), in ``nn.Linear``'s ``(out, in)`` layout, float32 0/1 on the ordering's device;
    a violation of the autoregressive property is named with the output and input it connects.
``unit6.conv_mask``: ``conv_mask(weight (C_out, C_in, kh, kw), mask_type) -> mask`` of the weight's
    shape, dtype and device (odd, possibly rectangular kernels).
``unit6.autoregressive_sample``: ``(logits_fn, order (D,), u (B, D)) -> x (B, D)``; the runner gives a
    fixed autoregressive logit function (a masked linear map); compared exactly.
``unit6.gan_train_step``: the alternating step on the runner's small MLP generator and
    discriminator (Adam, betas (0.5, 0.999)), k = 3-4 steps with given batches and noise, both
    generator losses; the returned losses (rtol 1e-4, atol 1e-4) and every parameter after the k
    steps (atol 0.25 lr) are compared. Last in each suite, a training run checked against a bound
    instead of the reference (GAN trajectories drift apart with rounding): 400 non-saturating steps
    (lr 2e-3, batches of 64) on 1-D data N(mu, sigma^2), |mu| in 3..4, sigma in 0.5..1 (the generator
    starts 3-8 sigma away); the generator's samples on 200 fixed noise vectors after every 20th of
    the last 200 steps, pooled, must be within 1.0 sigma of the data in Wasserstein-1 distance.
    Measured with the reference (scratch, 100 seeds): median 0.25, at most 0.43; pooling over the last
    steps matters (the final generator alone reached 1.05 on 1 of 200 seeds: GANs oscillate).
"""

from __future__ import annotations

import torch

from autograder.alternatives.unit6 import ALTERNATIVES
from autograder.compare import compare_tensors, compare_tuple, describe
from autograder.misconceptions.unit6 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.runners import with_grads
from autograder_kernel.unit6_runners import ar_sample_run, gan_steps_run
from lecture_lib.autoregressive import autoregressive_sample, conv_mask, made_masks
from lecture_lib.gan import (MLPDiscriminator, MLPGenerator, discriminator_loss, gan_train_step,
                             generator_loss_minimax, generator_loss_nonsaturating, mixture_log_density,
                             optimal_discriminator)

STEP_LOSS_RTOL, STEP_LOSS_ATOL = 1e-4, 1e-4
STEP_PARAM_ATOL_LR = 0.25
# The training run (one case per suite): TRAIN_STEPS non-saturating steps on 1-D Gaussian data 3-4
# means' worth of distance away from where the generator starts, then the Wasserstein-1 distance between
# the generator's samples over the last steps (TRAIN_EVAL noise vectors every TRAIN_EVERY of the
# last TRAIN_LAST steps, pooled) and the data, in data standard deviations, must be <= TRAIN_BOUND.
TRAIN_STEPS, TRAIN_BATCH, TRAIN_LR = 400, 64, 2e-3
TRAIN_EVAL, TRAIN_EVERY, TRAIN_LAST = 200, 20, 200
TRAIN_BOUND = 1.0


def _randn(gen, *shape, scale=1.0, dtype=torch.float32):
    return (scale * torch.randn(*shape, generator=gen, dtype=torch.float64)).to(dtype)


# ----------------------------------------------------------------- the GAN losses

EXTREME_REAL = torch.tensor([-300.0, -120.0, -30.0, 0.0, 25.0, 120.0, 300.0])
EXTREME_FAKE = torch.tensor([-300.0, -110.0, -20.0, 0.0, 18.0, 40.0, 300.0])


def _d_loss_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((_randn(gen, 8, scale=2.0), _randn(gen, 8, scale=2.0)), note="8 real and 8 fake logits"),
             Case((_randn(gen, 5, scale=3.0), _randn(gen, 3, scale=3.0)), note="5 real and 3 fake logits")]
    if hidden:
        cases += [
            Case((_randn(gen, 1), _randn(gen, 1)), note="one real and one fake logit"),
            Case((EXTREME_REAL.clone(), EXTREME_FAKE.clone()), note="logits from -300 to 300"),
            Case((_randn(gen, 256, scale=5.0), _randn(gen, 64, scale=5.0)), note="256 real, 64 fake logits"),
            Case((torch.zeros(4), torch.zeros(6)), note="D = 1/2 everywhere: 2 log 2"),
            Case((_randn(gen, 6, scale=4.0, dtype=torch.float64), _randn(gen, 9, scale=4.0, dtype=torch.float64)),
                 note="float64 logits"),
            Case((_randn(gen, 16, scale=30.0), _randn(gen, 16, scale=30.0)), note="confident logits (scale 30)"),
        ]
    return cases


def _g_loss_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((_randn(gen, 8, scale=2.0),), note="8 fake logits"),
             Case((_randn(gen, 5, scale=3.0) - 4.0,), note="5 fake logits, D mostly rejects them")]
    if hidden:
        cases += [
            Case((_randn(gen, 1),), note="one fake logit"),
            Case((EXTREME_FAKE.clone(),), note="logits from -300 to 300"),
            Case((_randn(gen, 128, scale=6.0),), note="128 fake logits"),
            Case((torch.zeros(3),),  note="D = 1/2"),
            Case((_randn(gen, 7, scale=4.0, dtype=torch.float64),), note="float64 logits"),
            Case((-30.0 - 80.0 * torch.rand(10, generator=gen),), note="D confidently rejects every sample"),
            Case((18.0 + 80.0 * torch.rand(10, generator=gen),), note="D is fooled by every sample"),
        ]
    return cases


def _loss_compare(names):
    return lambda case, e, g: compare_tuple(e, g, names, rtol=1e-4, atol=1e-6)


DISCRIMINATOR_LOSS = Exercise(
    id="unit6.discriminator_loss",
    misconceptions=MISCONCEPTIONS["unit6.discriminator_loss"],
    alternatives=tuple(ALTERNATIVES["unit6.discriminator_loss"]),
    withholds=("lecture_lib.gan.discriminator_loss",),
    signature="discriminator_loss(real_logits: (B_r,), fake_logits: (B_f,)) -> (): "
              "-(mean log D(x_real) + mean log(1 - D(x_fake))) with D = sigmoid(logit), the logits' dtype, "
              "finite for any finite logits, differentiable in both",
    reference=discriminator_loss,
    make_cases=_d_loss_cases,
    compare=_loss_compare(["the loss", "the gradient w.r.t. real_logits", "the gradient w.r.t. fake_logits"]),
    run=with_grads(0, 1),
)

GENERATOR_LOSS_MINIMAX = Exercise(
    id="unit6.generator_loss_minimax",
    misconceptions=MISCONCEPTIONS["unit6.generator_loss_minimax"],
    alternatives=tuple(ALTERNATIVES["unit6.generator_loss_minimax"]),
    withholds=("lecture_lib.gan.generator_loss_minimax",),
    signature="generator_loss_minimax(fake_logits: (B,)) -> (): mean log(1 - D(G(z))), the logits' dtype, "
              "finite for any finite logits, differentiable",
    reference=generator_loss_minimax,
    make_cases=_g_loss_cases,
    compare=_loss_compare(["the loss", "the gradient w.r.t. fake_logits"]),
    run=with_grads(0),
)

GENERATOR_LOSS_NONSATURATING = Exercise(
    id="unit6.generator_loss_nonsaturating",
    misconceptions=MISCONCEPTIONS["unit6.generator_loss_nonsaturating"],
    alternatives=tuple(ALTERNATIVES["unit6.generator_loss_nonsaturating"]),
    withholds=("lecture_lib.gan.generator_loss_nonsaturating",),
    signature="generator_loss_nonsaturating(fake_logits: (B,)) -> (): -mean log D(G(z)), the logits' dtype, "
              "finite for any finite logits, differentiable",
    reference=generator_loss_nonsaturating,
    make_cases=_g_loss_cases,
    compare=_loss_compare(["the loss", "the gradient w.r.t. fake_logits"]),
    run=with_grads(0),
)


# ----------------------------------------------------------------- the optimal discriminator

def _densities(gen, n, span, dtype=torch.float32):
    x = torch.linspace(-span, span, n, dtype=torch.float64)
    k = int(torch.randint(1, 4, (1,), generator=gen))
    means = (4 * torch.rand(k, generator=gen) - 2).tolist()
    stds = (0.3 + torch.rand(k, generator=gen)).tolist()
    weights = torch.rand(k, generator=gen) + 0.2
    log_p = mixture_log_density(x, means, stds, (weights / weights.sum()).tolist())
    log_q = mixture_log_density(x, [float(4 * torch.rand(1, generator=gen) - 2)], [float(0.5 + torch.rand(1, generator=gen))])
    return log_p.to(dtype), log_q.to(dtype)


def _d_star_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case(_densities(gen, 9, 3.0), note="9 points of two 1-D densities"),
             Case((torch.log(torch.tensor([0.1, 0.5, 0.2, 0.05])), torch.log(torch.tensor([0.3, 0.5, 0.05, 0.2]))),
                  note="four points with known densities")]
    if hidden:
        lp, lq = _densities(gen, 41, 40.0)
        cases += [
            Case((lp, lq), note="41 points from -40 to 40 (both densities underflow in the tails)"),
            Case(_densities(gen, 61, 60.0, torch.float64), note="float64, 61 points from -60 to 60"),
            Case((_randn(gen, 3, 5, scale=3.0), _randn(gen, 3, 5, scale=3.0)), note="a (3, 5) batch of log densities"),
            Case((torch.full((2,), -900.0), torch.tensor([-905.0, -895.0])), note="both log densities near -900"),
            Case((_randn(gen, 1), _randn(gen, 1)), note="a single point"),
        ]
    return cases


def _d_star_compare(case: Case, expected, got) -> str | None:
    """Values within ``1e-6 + 1e-5 |D*| + 8 eps |log density|`` per point: a difference of two log
    densities of size L carries a rounding error of about eps L (float32: 2e-4 at L = 1,760, as in
    the tails of the hidden cases), and correct formulas round it differently (the audit found
    exp(log p - logaddexp(log p, log q)) 1.4e-5 away from sigmoid(log p - log q) at L = 50)."""
    problem = compare_tensors(expected, got, name="D*", rtol=0.0, atol=float("inf"))   # shape, dtype, NaN
    if problem:
        return problem
    log_p, log_q = (a.detach().to(torch.float64).cpu() for a in case.args)
    e, g = expected.to(torch.float64).cpu(), got.detach().to(torch.float64).cpu()
    eps = torch.finfo(expected.dtype).eps
    tol = 1e-6 + 1e-5 * e.abs() + 8 * eps * torch.maximum(log_p.abs(), log_q.abs())
    bad = (g - e).abs() > tol
    if not bad.any():
        return None
    first = tuple(int(i) for i in bad.nonzero()[0].tolist())
    return (f"D* is wrong at index {first}: expected {e[first].item():.6g}, got {g[first].item():.6g}; "
            f"{int(bad.sum())} of {e.numel()} values differ (tolerance there {tol[first].item():.3g}: "
            "1e-6 + 1e-5*|expected| + 8 eps*|log density|)")


OPTIMAL_DISCRIMINATOR = Exercise(
    id="unit6.optimal_discriminator",
    misconceptions=MISCONCEPTIONS["unit6.optimal_discriminator"],
    alternatives=tuple(ALTERNATIVES["unit6.optimal_discriminator"]),
    withholds=("lecture_lib.gan.optimal_discriminator",),
    signature="optimal_discriminator(log_p_data: (N,), log_p_g: (N,)) -> (N,): "
              "D*(x) = p_data(x) / (p_data(x) + p_g(x)) from log densities (any shape, both the same), "
              "the inputs' dtype, finite where both densities underflow",
    reference=optimal_discriminator,
    make_cases=_d_star_cases,
    compare=_d_star_compare,
)


# ----------------------------------------------------------------- MADE's masks

def _made_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(d, sizes, note, order="random"):
        if order == "natural":
            ordering = torch.arange(1, d + 1)
        elif order == "reversed":
            ordering = torch.arange(d, 0, -1)
        else:
            ordering = torch.randperm(d, generator=gen) + 1
        return Case((ordering, list(sizes), int(torch.randint(1 << 30, (1,), generator=gen))), note=note)

    cases = [case(5, [12], "D = 5, one hidden layer of 12, natural order", "natural"),
             case(8, [20, 16], "D = 8, two hidden layers, a random order")]
    if hidden:
        cases += [
            case(2, [3], "D = 2 (every hidden degree is 1)"),
            case(6, [4], "D = 6, fewer hidden units than variables"),
            case(10, [40, 40, 30], "D = 10, three hidden layers, a random order"),
            case(7, [25], "D = 7, reversed order", "reversed"),
            case(30, [64], "D = 30, a random order"),
            case(16, [50, 50], "D = 16, two layers of 50"),
        ]
    return cases


def _made_problem(case: Case, got) -> str | None:
    ordering, sizes, _ = case.args
    d = len(ordering)
    shapes = [(sizes[0], d)] + [(b, a) for a, b in zip(sizes[:-1], sizes[1:])] + [(d, sizes[-1])]
    if not isinstance(got, (list, tuple)) or not all(isinstance(m, torch.Tensor) for m in got):
        return f"the masks should be a list of {len(shapes)} tensors, but they are {describe(got)}"
    if len(got) != len(shapes):
        return f"there should be {len(shapes)} masks (one per weight matrix: {len(sizes)} hidden layers and the output), got {len(got)}"
    for i, (m, shape) in enumerate(zip(got, shapes)):
        which = "the output layer's mask" if i == len(shapes) - 1 else f"mask {i + 1} (into hidden layer {i + 1})"
        if tuple(m.shape) != shape:
            return (f"{which} has shape {tuple(m.shape)} but should have shape {shape} "
                    "(nn.Linear's weight layout: (out_features, in_features))")
        if m.dtype != torch.float32:
            return f"{which} has dtype {str(m.dtype).removeprefix('torch.')} but should be float32 (0.0 and 1.0)"
        if not bool(((m == 0) | (m == 1)).all()):
            return f"{which} has values other than 0 and 1"
    masks = [m.detach().cpu().double() for m in got]
    degree = ordering.detach().cpu().long()
    # The autoregressive property: no path from input j to output d unless degree(j) < degree(d).
    paths = masks[0]
    for m in masks[1:]:
        paths = (m @ paths).clamp(max=1.0)
    bad = (paths > 0) & (degree[None, :] >= degree[:, None])
    if bad.any():
        out, inp = (int(v) for v in bad.nonzero()[0].tolist())
        return (f"not autoregressive: output {out} (degree {int(degree[out])}) is connected to input {inp} "
                f"(degree {int(degree[inp])}) through the hidden layers; output d may depend only on inputs of "
                "smaller degree")
    return _degrees_problem(masks, degree)


def _degrees_problem(masks: list[torch.Tensor], degree: torch.Tensor) -> str | None:
    """None when there are hidden degrees in 1..D-1 for which every mask is MADE's rule
    (``m_l(k) >= m_{l-1}(j)`` kept between layers, ``degree(d) > m_L(k)`` into the outputs): bounds
    propagation on the difference constraints, which leaves each unit's lower bound as a solution."""
    d = len(degree)
    lo = [torch.full((m.shape[0],), 1.0, dtype=torch.float64) for m in masks[:-1]]
    hi = [torch.full((m.shape[0],), float(d - 1), dtype=torch.float64) for m in masks[:-1]]
    fixed = degree.double()
    inf = torch.tensor(float("inf"), dtype=torch.float64)
    # Every sweep that changes something moves a bound by at least 1, and the bounds of all units span
    # at most (D - 1) * units in all: this many sweeps always reach the fixed point.
    for _ in range(2 * d * sum(len(b) for b in lo) + 8):
        changed = False
        for layer, m in enumerate(masks[:-1]):
            prev_lo = fixed if layer == 0 else lo[layer - 1]
            prev_hi = fixed if layer == 0 else hi[layer - 1]
            keep = m > 0
            # kept: m_k >= m_j  -> lo_k >= lo_j, hi_j <= hi_k;  dropped: m_k <= m_j - 1 -> hi_k <= hi_j - 1, lo_j >= lo_k + 1
            new_lo = torch.maximum(lo[layer], torch.where(keep, prev_lo[None, :], -inf).max(dim=1).values)
            new_hi = torch.minimum(hi[layer], torch.where(~keep, prev_hi[None, :] - 1, inf).min(dim=1).values)
            if layer > 0:
                p_lo = torch.maximum(lo[layer - 1], torch.where(~keep, new_lo[:, None] + 1, -inf).max(dim=0).values)
                p_hi = torch.minimum(hi[layer - 1], torch.where(keep, new_hi[:, None], inf).min(dim=0).values)
                changed |= bool((p_lo != lo[layer - 1]).any() or (p_hi != hi[layer - 1]).any())
                lo[layer - 1], hi[layer - 1] = p_lo, p_hi
            changed |= bool((new_lo != lo[layer]).any() or (new_hi != hi[layer]).any())
            lo[layer], hi[layer] = new_lo, new_hi
        # output d keeps unit k iff degree(d) > m_k: kept -> m_k <= degree(d) - 1, dropped -> m_k >= degree(d)
        keep = masks[-1] > 0
        new_hi = torch.minimum(hi[-1], torch.where(keep, fixed[:, None] - 1, inf).min(dim=0).values)
        new_lo = torch.maximum(lo[-1], torch.where(~keep, fixed[:, None], -inf).max(dim=0).values)
        changed |= bool((new_lo != lo[-1]).any() or (new_hi != hi[-1]).any())
        lo[-1], hi[-1] = new_lo, new_hi
        for layer in range(len(lo)):
            empty = (lo[layer] > hi[layer]).nonzero()
            if len(empty):
                k = int(empty[0])
                return (f"hidden unit {k} of layer {layer + 1} has no degree m in 1..{d - 1} that explains its "
                        f"connections (MADE keeps a connection into a hidden unit of degree m from the units of "
                        f"degree <= m, and from a hidden unit of degree m into the outputs of degree > m)")
        if not changed:
            return None
    return None


def _made_compare(case: Case, expected, got) -> str | None:
    return _made_problem(case, got)


MADE_MASKS = Exercise(
    id="unit6.made_masks",
    misconceptions=MISCONCEPTIONS["unit6.made_masks"],
    alternatives=tuple(ALTERNATIVES["unit6.made_masks"]),
    withholds=("lecture_lib.autoregressive.made_masks", "lecture_lib.autoregressive.masks_from_degrees",
               "lecture_lib.autoregressive.made_degrees"),
    signature="made_masks(ordering: (D,), hidden_sizes: list of L ints, seed: int) -> list of L + 1 float32 "
              "0/1 masks, shapes (H_1, D), (H_2, H_1), ..., (D, H_L), on the ordering's device: MADE's rule "
              "for hidden degrees of your choice in 1..D-1",
    reference=lambda ordering, sizes, seed: [m.to(ordering.device) for m in
                                             made_masks(ordering.cpu(), sizes, torch.Generator().manual_seed(seed))],
    make_cases=_made_cases,
    compare=_made_compare,
    expected_shown="masks of those shapes that are MADE's rule for some hidden degrees in 1..D-1 (any such "
                   "degrees pass: the check tests connectivity, not the reference's random draw)",
)


# ----------------------------------------------------------------- masked convolutions

def _conv_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(shape, kind, note, dtype=torch.float32):
        return Case((_randn(gen, *shape, dtype=dtype), kind), note=note)

    cases = [case((1, 1, 3, 3), "A", "a 3x3 kernel, type A"), case((2, 3, 3, 3), "B", "a 3x3 kernel, type B, 2x3 channels"),
             case((4, 1, 5, 5), "A", "a 5x5 kernel, type A")]
    if hidden:
        cases += [case((1, 1, 1, 1), "A", "a 1x1 kernel, type A"), case((2, 2, 1, 1), "B", "a 1x1 kernel, type B"),
                  case((3, 2, 7, 7), "A", "a 7x7 kernel, type A"), case((1, 4, 7, 7), "B", "a 7x7 kernel, type B"),
                  case((2, 2, 3, 5), "A", "a 3x5 kernel, type A"), case((1, 1, 5, 3), "B", "a 5x3 kernel, type B"),
                  case((2, 1, 5, 5), "B", "float64 weights", dtype=torch.float64)]
    return cases


CONV_MASK = Exercise(
    id="unit6.conv_mask",
    misconceptions=MISCONCEPTIONS["unit6.conv_mask"],
    alternatives=tuple(ALTERNATIVES["unit6.conv_mask"]),
    withholds=("lecture_lib.autoregressive.conv_mask",),
    signature="conv_mask(weight: (C_out, C_in, kh, kw), mask_type: 'A' or 'B') -> (C_out, C_in, kh, kw): 1 above "
              "the centre row and left of the centre on its row (and at the centre for type B), 0 elsewhere, "
              "the weight's dtype and device",
    reference=conv_mask,
    make_cases=_conv_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the mask", rtol=0.0, atol=0.0),
)


# ----------------------------------------------------------------- autoregressive sampling

def _sample_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(b, d, note, order="random", scale=2.0, dtype=torch.float32):
        order = torch.arange(d) if order == "natural" else (torch.arange(d - 1, -1, -1) if order == "reversed"
                                                           else torch.randperm(d, generator=gen))
        position = torch.empty(d, dtype=torch.long)
        position[order] = torch.arange(d)
        allowed = (position[None, :] < position[:, None]).to(dtype)      # W[d, d'] for d' before d
        w = _randn(gen, d, d, scale=scale, dtype=dtype) * allowed
        bias = _randn(gen, d, dtype=dtype)
        u = torch.rand(b, d, generator=gen, dtype=torch.float64).to(dtype)
        return Case((w, bias, order, u), note=note)

    cases = [case(4, 5, "4 samples of 5 variables, natural order", "natural"),
             case(3, 6, "3 samples of 6 variables, a random order")]
    if hidden:
        cases += [case(1, 1, "one variable"), case(2, 8, "reversed order", "reversed"),
                  case(64, 12, "64 samples of 12 variables, strong dependencies", scale=6.0),
                  case(16, 20, "16 samples of 20 variables"),
                  case(5, 7, "float64", dtype=torch.float64)]
    return cases


AUTOREGRESSIVE_SAMPLE = Exercise(
    id="unit6.autoregressive_sample",
    misconceptions=MISCONCEPTIONS["unit6.autoregressive_sample"],
    alternatives=tuple(ALTERNATIVES["unit6.autoregressive_sample"]),
    withholds=("lecture_lib.autoregressive.autoregressive_sample",),
    signature="autoregressive_sample(logits_fn, order: (D,), u: (B, D)) -> x: (B, D): start from zeros; for each "
              "d in order, x[:, d] = 1 where u[:, d] < sigmoid(logits_fn(x)[:, d]), else 0; u's dtype and device",
    reference=lambda fn_logits, order, u: autoregressive_sample(fn_logits, order, u),
    make_cases=_sample_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the samples", rtol=0.0, atol=0.0),
    run=ar_sample_run,
)


# ----------------------------------------------------------------- the GAN step

def _gan_step_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(latent, hidden_g, hidden_d, data, batch, k, lr, loss, note, dtype=torch.float32):
        torch.manual_seed(int(torch.randint(1 << 30, (1,), generator=gen)))
        g = MLPGenerator(latent, hidden_g, data, output="linear", batch_norm=False).to(dtype)
        d = MLPDiscriminator(data, hidden_d).to(dtype)
        xs = _randn(gen, k, batch, data, dtype=dtype) + 2.0
        z_ds, z_gs = _randn(gen, k, batch, latent, dtype=dtype), _randn(gen, k, batch, latent, dtype=dtype)
        return Case(({n: p.detach().clone() for n, p in g.state_dict().items()},
                     {n: p.detach().clone() for n, p in d.state_dict().items()}, xs, z_ds, z_gs, lr, loss), note=note)

    def training_run():
        mu = (1.0 if float(torch.rand((), generator=gen)) < 0.5 else -1.0) * (3.0 + float(torch.rand((), generator=gen)))
        sigma = 0.5 + 0.5 * float(torch.rand((), generator=gen))
        torch.manual_seed(int(torch.randint(1 << 30, (1,), generator=gen)))
        g, d = MLPGenerator(2, (16, 16), 1, output="linear", batch_norm=False), MLPDiscriminator(1, (16, 16))
        xs = (mu + sigma * torch.randn(TRAIN_STEPS, TRAIN_BATCH, 1, generator=gen, dtype=torch.float64)).float()
        z_ds, z_gs = _randn(gen, TRAIN_STEPS, TRAIN_BATCH, 2), _randn(gen, TRAIN_STEPS, TRAIN_BATCH, 2)
        return Case(({n: p.detach().clone() for n, p in g.state_dict().items()},
                     {n: p.detach().clone() for n, p in d.state_dict().items()}, xs, z_ds, z_gs, TRAIN_LR,
                     "nonsaturating"),
                    {"z_eval": _randn(gen, TRAIN_EVAL, 2), "every": TRAIN_EVERY, "last": TRAIN_LAST},
                    note=f"a training run: {TRAIN_STEPS} non-saturating steps on 1-D data N({mu:.2f}, {sigma:.2f}^2)")

    cases = [case(2, (16, 16), (16, 16), 2, 32, 3, 1e-3, "nonsaturating", "3 steps on 2-D points, non-saturating"),
             case(2, (16, 16), (16, 16), 2, 32, 3, 1e-3, "minimax", "3 steps on 2-D points, minimax")]
    if hidden:
        cases += [case(4, (8,), (12,), 3, 1, 4, 1e-2, "nonsaturating", "4 steps on single points"),
                  case(8, (32, 32), (32,), 10, 64, 3, 2e-3, "minimax", "3 steps, 10-D data, minimax"),
                  case(3, (16,), (16, 8), 5, 16, 4, 5e-3, "nonsaturating", "4 steps, lr 5e-3"),
                  case(2, (12,), (12,), 2, 24, 3, 1e-2, "minimax", "float64 models", dtype=torch.float64)]
    return cases + [training_run()]   # last: a step-by-step mismatch is reported first, and costs less


def wasserstein_in_std(samples: torch.Tensor, data: torch.Tensor) -> float:
    """The Wasserstein-1 distance between two sets of 1-D samples (the samples' sorted values
    against the data's quantiles at the same levels), divided by the data's standard deviation."""
    s = samples.detach().reshape(-1).cpu().double().sort().values
    x = data.detach().reshape(-1).cpu().double()
    levels = (torch.arange(len(s), dtype=torch.float64) + 0.5) / len(s)
    return float((s - torch.quantile(x, levels)).abs().mean() / x.std())


def _training_problem(case: Case, expected, got) -> str | None:
    g_state, d_state, xs = case.args[0], case.args[1], case.args[2]
    if not isinstance(got, (tuple, list)) or len(got) != len(expected) or not isinstance(got[-1], torch.Tensor) \
            or tuple(got[-1].shape) != tuple(expected[-1].shape):
        return f"the runner could not read the training run's results: got {describe(got)}"
    for which, values in (("loss_d", got[0]), ("loss_g", got[1])):
        bad = (~torch.isfinite(values.detach().cpu())).nonzero()
        if len(bad):
            return f"{which} is not finite at step {int(bad[0]) + 1} of {TRAIN_STEPS} (an overflow, or log(0)?)"
    reached = wasserstein_in_std(got[-1], xs)
    if reached <= TRAIN_BOUND:
        return None
    from autograder_kernel.unit6_runners import gan_models
    with torch.no_grad():
        start = wasserstein_in_std(gan_models(g_state, d_state)[0](case.kwargs["z_eval"].to(xs.device)), xs)
    return (f"the training run did not bring the generator to the data: after {TRAIN_STEPS} steps of your "
            f"gan_train_step, its samples over the last {TRAIN_LAST} steps are {reached:.2f} data standard "
            f"deviations from the data (Wasserstein-1 distance; {start:.2f} at the start, and "
            f"{wasserstein_in_std(expected[-1], xs):.2f} with the reference step on these inputs); the check asks "
            f"for at most {TRAIN_BOUND}")


def _gan_step_compare(case: Case, expected, got) -> str | None:
    if "z_eval" in case.kwargs:
        return _training_problem(case, expected, got)
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return f"the runner could not read the steps' results: got {describe(got)}"
    lr = float(case.args[5])
    k = len(case.args[2])
    for i, which in enumerate(("loss_d", "loss_g")):
        problem = compare_tensors(expected[i], got[i], name=f"the {which} values your step returned over {k} steps",
                                  rtol=STEP_LOSS_RTOL, atol=STEP_LOSS_ATOL)
        if problem:
            return problem + (" (return the losses computed in this step, before each optimizer.step(): loss_g with "
                              "the discriminator D's step has just updated)")
    g_state, d_state = case.args[0], case.args[1]
    names = [f"generator {n}" for n in g_state] + [f"discriminator {n}" for n in d_state]
    for name, e, g in zip(names, expected[2:], got[2:]):
        problem = compare_tensors(e, g, name=f"the {name} after {k} steps", rtol=0.0, atol=STEP_PARAM_ATOL_LR * lr)
        if problem:
            return problem + (" (each step: D's loss on x_real and G(z_d) detached, zero D's gradients, backward, "
                              "opt_d.step(); then G's loss on D(G(z_g)), zero G's gradients, backward, opt_g.step())")
    return None


GAN_TRAIN_STEP = Exercise(
    id="unit6.gan_train_step",
    misconceptions=MISCONCEPTIONS["unit6.gan_train_step"],
    alternatives=tuple(ALTERNATIVES["unit6.gan_train_step"]),
    withholds=("lecture_lib.gan.gan_train_step",),
    signature="gan_train_step(generator, discriminator, opt_g, opt_d, x_real: (B, D), z_d: (B, L), z_g: (B, L), "
              "generator_loss='nonsaturating' or 'minimax') -> (loss_d, loss_g): one step of D on x_real and "
              "G(z_d) detached, then one step of G on D(G(z_g)); each loss a float or 0-dim tensor, computed "
              "before its update (the last case of each suite trains 400 steps on 1-D data and asks the "
              "generator's samples to end within 1 data standard deviation, Wasserstein-1)",
    reference=gan_train_step,
    make_cases=_gan_step_cases,
    compare=_gan_step_compare,
    run=gan_steps_run,
)

__all__ = ["DISCRIMINATOR_LOSS", "GENERATOR_LOSS_MINIMAX", "GENERATOR_LOSS_NONSATURATING", "OPTIMAL_DISCRIMINATOR",
           "MADE_MASKS", "CONV_MASK", "AUTOREGRESSIVE_SAMPLE", "GAN_TRAIN_STEP"]


EXERCISES = (DISCRIMINATOR_LOSS, GENERATOR_LOSS_MINIMAX, GENERATOR_LOSS_NONSATURATING, OPTIMAL_DISCRIMINATOR, MADE_MASKS, CONV_MASK, AUTOREGRESSIVE_SAMPLE, GAN_TRAIN_STEP,)
