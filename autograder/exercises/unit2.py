"""Unit 2 (variational autoencoders): the graded functions and the mistakes their checks reject.

``unit2.gaussian_kl``: ``gaussian_kl(mu, logvar) -> (B,)``: ``KL(N(mu, diag exp(logvar)) ||
    N(0, I))`` per row, the inputs' dtype; values and gradients w.r.t. mu and logvar are
    checked (it is part of the training loss). Mistakes: a result detached from autograd; treating logvar as log sigma; a missing 1/2; summing over
    the batch too; averaging over the latent dimensions; the sign; sigma instead of sigma^2.
``unit2.reparameterize``: ``reparameterize(mu, logvar, eps) -> z = mu + exp(logvar / 2) * eps``;
    values and gradients w.r.t. mu and logvar are checked. Mistakes: ``exp(logvar)`` as the
    standard deviation; ``mu + logvar * eps``; drawing fresh noise instead of using eps; a
    detached mu or sigma; ``sqrt(logvar)``; logvar clamped to [-10, 10] (caught by a hidden case
    with |logvar| from 11 to 30 on every secret seed; before it, it passed most seeds).
``unit2.negative_elbo_bernoulli``: ``negative_elbo_bernoulli(x, logits, mu, logvar) -> (B,)``:
    ``-sum_d [x_d log y_d + (1 - x_d) log(1 - y_d)] + KL``, ``y = sigmoid(logits)``, accurate
    for logits in [-60, 60]; values and gradients w.r.t. logits, mu, logvar. Mistakes: the
    logits used as probabilities; ``log(1 - sigmoid(.))`` that gives -inf at logit 60; a
    result detached from autograd (e.g. via numpy); a mean over pixels; KL left out or subtracted; a mean
    over the batch.
``unit2.negative_elbo_gaussian``: ``negative_elbo_gaussian(x, mean, mu, logvar, eta) -> (B,)``:
    ``||x - mean||^2 / (2 eta) + D/2 log(2 pi eta) + KL``; values and gradients w.r.t. mean,
    mu, logvar. Mistakes: the constant left out;
    eta used as a standard deviation; the 1/2 left out; KL left out.
``unit2.interpolate``: ``interpolate(model, x0, x1, steps) -> (steps, D)``: decoder means at
    ``(1 - t) mu(x0) + t mu(x1)``, t = 0, ..., 1 (``steps`` values, both ends included; mu =
    the encoder mean). Mistakes: interpolating pixels; sampled codes instead of means; t
    missing an end; logits instead of means; the path reversed.
``unit2.vae_forward``: ``vae_forward(model, x, eps) -> (logits, mu, logvar)`` on a
    ``lecture_lib.vae.VAE`` built from a state dict (runner ``vae_forward``): encode,
    ``z = mu + exp(logvar / 2) * eps``, decode; the three outputs and the gradients a fixed
    upstream sends into every parameter are compared. Mistakes: exp(logvar) or logvar as sigma;
    own noise instead of eps; no sampling (z = mu); probabilities instead of logits; sigma
    returned as logvar; a detached mu. Tolerance: rtol 1e-4 and atol 1e-5 x (1 + the output's
    largest |value|) (``compare_tensors``'s ``atol_per_scale``). Measured on 200 secret seeds
    (then a tool of its own, now ``python -m autograder audit``): the 3 alternatives in
    ``autograder/alternatives/unit2.py`` pass on every seed (with the earlier fixed atol 1e-5,
    ``sqrt(exp(logvar))`` failed seed 5065); every mistake fails on every seed.
``unit2.vae_train_step``: ``vae_train_step(model, optimizer, x, eps) -> loss``: forward with
    eps, mean over the batch of the Bernoulli negative ELBO, zero_grad, backward, step; returns
    the loss before the update. Runner ``vae_steps``: the model from a state dict, Adam with the
    case's lr, k = 3-5 calls on given batches and noise; the k returned losses (rtol 1e-4, atol
    1e-4) and the parameters after the last step (atol 0.25 lr) are compared. Measured over 20
    fresh hidden seeds (6 cases each): the 4 alternatives (zero_grad before or after, set_to_none
    or not, model.zero_grad, mean vs sum / B vs reconstruction and KL reduced separately, a
    float / detached / attached tensor returned) used at most 0.0023 of the loss tolerance and
    0.013 lr of parameter difference (0.05 of the 0.25 lr tolerance); every mistake failed on
    every seed (>= 5 of 6 cases). The parameter differences of the mistakes that change the
    update were >= 4.3 lr on every seed (KL sign or left out, no zero_grad, zero_grad between
    backward and step, own noise, no step, exp(logvar) or logvar as sigma); a loss summed over
    the batch (or averaged over pixels too) gives almost the same Adam update (0.0015 lr) and
    is caught by the returned loss, as is returning the loss after the step (same parameters).
    The summed loss cannot be seen on the one-image case (B = 1), so it fails 5 of 6 cases.
    Adam's eps in the check is 1e-4 (``autograder_kernel.unit2_runners.ADAM_EPS``): with the
    default 1e-8 the logsigmoid alternative failed 4 of 200 secret seeds (5029, 5039, 5118,
    5144; up to 1.6 lr on parameters whose gradient is zero up to rounding); with 1e-4, 200 of
    200 seeds pass for every alternative (at most 0.005 lr on those four) and every mistake
    fails on all 200 (``python -m autograder audit unit2.vae_train_step`` reruns it).
"""

from __future__ import annotations

import math

import torch

from autograder.compare import compare_tensors, compare_tuple, describe
from autograder.alternatives.unit2 import ALTERNATIVES
from autograder.misconceptions.unit2 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.runners import vae_run, with_grads
from autograder_kernel.unit2_runners import vae_forward_run, vae_steps_run
from lecture_lib.vae import (VAE, gaussian_kl, interpolate, negative_elbo, reparameterize, vae_forward,
                             vae_train_step)

# Tolerances of the training-step check (measured: see the module docstring).
STEP_LOSS_RTOL, STEP_LOSS_ATOL = 1e-4, 1e-4
STEP_PARAM_ATOL_LR = 0.25   # parameters after k Adam steps: within 0.25 * lr of the reference


def _normal(gen, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=gen)


# ----------------------------------------------------------------- gaussian_kl

def _kl_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((_normal(gen, 4, 3), _normal(gen, 4, 3)), note="4 examples, K=3"),
        Case((torch.zeros(2, 5), torch.zeros(2, 5)), note="q equal to the prior: KL = 0"),
        Case((_normal(gen, 3, 20), _normal(gen, 3, 20, scale=2.0)), note="3 examples, K=20"),
    ]
    if hidden:
        cases += [
            Case((_normal(gen, 1, 1), _normal(gen, 1, 1)), note="a single 1-D example"),
            Case((torch.zeros(2, 4), torch.full((2, 4), -12.0)), note="nearly a point mass (sigma^2 = e^-12)"),
            Case((_normal(gen, 64, 20, scale=3.0), _normal(gen, 64, 20)), note="a batch of 64, K=20"),
            Case((_normal(gen, 5, 2), torch.full((5, 2), 3.0)), note="very wide q (sigma^2 = e^3)"),
            Case((_normal(gen, 6, 4).double(), _normal(gen, 6, 4).double()), note="float64 inputs"),
        ]
    return [Case(c.args, {"upstream": torch.randn(len(c.args[0]), generator=gen, dtype=c.args[0].dtype)},
                 c.note) for c in cases]


GAUSSIAN_KL = Exercise(
    id="unit2.gaussian_kl",
    misconceptions=MISCONCEPTIONS["unit2.gaussian_kl"],
    alternatives=tuple(ALTERNATIVES["unit2.gaussian_kl"]),
    withholds=('lecture_lib.vae.gaussian_kl',),
    signature="gaussian_kl(mu: (B, K), logvar: (B, K)) -> (B,): KL(N(mu, diag exp(logvar)) || N(0, I)), "
              "the inputs' dtype, differentiable in mu and logvar",
    reference=gaussian_kl,
    make_cases=_kl_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["the KL", "the gradient w.r.t. mu", "the gradient w.r.t. logvar"],
                                             rtol=1e-4, atol=1e-5),
    run=with_grads(0, 1),
)


# ----------------------------------------------------------------- reparameterize

def _reparam_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(b, k, note, logvar_scale=1.0):
        return Case((_normal(gen, b, k), _normal(gen, b, k, scale=logvar_scale), _normal(gen, b, k)),
                    {"upstream": _normal(gen, b, k)}, note=note)

    cases = [case(4, 3, "4 examples, K=3"), case(2, 20, "2 examples, K=20")]
    if hidden:
        cases += [case(1, 1, "a single 1-D example"), case(64, 2, "a batch of 64, K=2"),
                  case(3, 5, "wide range of variances", logvar_scale=4.0),
                  Case((_normal(gen, 2, 6), torch.tensor([[-30.0, -20.0, -12.0, 12.0, 16.0, 20.0],
                                                          [-25.0, -15.0, -11.0, 11.0, 14.0, 25.0]]),
                        _normal(gen, 2, 6)), {"upstream": _normal(gen, 2, 6)},
                       note="|logvar| from 11 to 30: tiny and huge variances"),
                  Case((torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3)),
                       {"upstream": torch.ones(2, 3)}, note="eps = 0: z = mu")]
    return cases


REPARAMETERIZE = Exercise(
    id="unit2.reparameterize",
    misconceptions=MISCONCEPTIONS["unit2.reparameterize"],
    alternatives=tuple(ALTERNATIVES["unit2.reparameterize"]),
    withholds=('lecture_lib.vae.reparameterize',),
    signature="reparameterize(mu: (B, K), logvar: (B, K), eps: (B, K)) -> z = mu + exp(logvar / 2) * eps "
              "(differentiable in mu and logvar)",
    reference=reparameterize,
    make_cases=_reparam_cases,
    compare=lambda case, e, g: compare_tuple(e, g, ["z", "the gradient w.r.t. mu", "the gradient w.r.t. logvar"],
                                             rtol=1e-4, atol=1e-5),
    run=with_grads(0, 1),
)


# ----------------------------------------------------------------- negative ELBO

def _elbo_inputs(gen, b, d, k, binary=True, logit_scale=3.0, logit_limit=None):
    x = torch.rand(b, d, generator=gen)
    if binary:
        x = x.round()
    if logit_limit is not None:  # uniform over [-limit, limit], the ends included
        logits = logit_limit * (2 * torch.rand(b, d, generator=gen) - 1)
        logits[:, :2] = torch.tensor([logit_limit, -logit_limit])
    else:
        logits = _normal(gen, b, d, scale=logit_scale)
    return x, logits, _normal(gen, b, k), _normal(gen, b, k)


def _with_upstream(cases: list[Case], gen: torch.Generator) -> list[Case]:
    return [Case(c.args, {**c.kwargs, "upstream": torch.randn(len(c.args[0]), generator=gen)}, c.note)
            for c in cases]


def _bernoulli_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case(_elbo_inputs(gen, 4, 10, 2), note="4 binary images of 10 pixels, K=2"),
        Case(_elbo_inputs(gen, 2, 784, 20, binary=False), note="2 grey-level images of 784 pixels, K=20"),
    ]
    if hidden:
        cases += [
            Case(_elbo_inputs(gen, 3, 12, 3, logit_limit=60.0), note="confident decoder: logits in [-60, 60]"),
            Case(_elbo_inputs(gen, 1, 784, 2), note="a single image"),
            Case(_elbo_inputs(gen, 32, 784, 20, binary=False), note="a batch of 32 images"),
            Case((torch.zeros(2, 5), torch.full((2, 5), -40.0), torch.zeros(2, 2), torch.zeros(2, 2)),
                 note="all-black images, decoder certain of black: loss 0"),
        ]
    return _with_upstream(cases, gen)


NEG_ELBO_BERNOULLI = Exercise(
    id="unit2.negative_elbo_bernoulli",
    misconceptions=MISCONCEPTIONS["unit2.negative_elbo_bernoulli"],
    alternatives=tuple(ALTERNATIVES["unit2.negative_elbo_bernoulli"]),
    withholds=('lecture_lib.vae.negative_elbo', 'lecture_lib.vae.bernoulli_log_likelihood'),
    signature="negative_elbo_bernoulli(x: (B, D) in [0, 1], logits: (B, D), mu: (B, K), logvar: (B, K)) "
              "-> (B,): -sum_d log Bernoulli(x_d; sigmoid(logits_d)) + KL(q || N(0, I)), "
              "accurate for logits in [-60, 60], differentiable in logits, mu and logvar",
    reference=lambda x, logits, mu, logvar: negative_elbo(x, logits, mu, logvar, "bernoulli"),
    make_cases=_bernoulli_cases,
    compare=lambda case, e, g: compare_tuple(
        e, g, ["the negative ELBO", "the gradient w.r.t. logits", "the gradient w.r.t. mu",
               "the gradient w.r.t. logvar"], rtol=1e-4, atol=1e-3),
    run=with_grads(1, 2, 3),
)


def _gaussian_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(b, d, k, eta, note):
        x, mean, mu, logvar = _elbo_inputs(gen, b, d, k, binary=False, logit_scale=0.3)
        return Case((x, mean, mu, logvar, eta), note=note)

    cases = [case(4, 10, 2, 1.0, "4 examples, eta = 1"), case(2, 784, 20, 0.1, "2 images, eta = 0.1")]
    if hidden:
        cases += [case(1, 3, 1, 2.5, "a single example, eta = 2.5"),
                  case(16, 784, 20, 0.01, "16 images, eta = 0.01"),
                  case(5, 8, 4, 1e-3, "a small variance, eta = 0.001")]
    return _with_upstream(cases, gen)


NEG_ELBO_GAUSSIAN = Exercise(
    id="unit2.negative_elbo_gaussian",
    misconceptions=MISCONCEPTIONS["unit2.negative_elbo_gaussian"],
    alternatives=tuple(ALTERNATIVES["unit2.negative_elbo_gaussian"]),
    withholds=('lecture_lib.vae.negative_elbo', 'lecture_lib.vae.gaussian_log_likelihood'),
    signature="negative_elbo_gaussian(x: (B, D), mean: (B, D), mu: (B, K), logvar: (B, K), eta: float) "
              "-> (B,): ||x - mean||^2 / (2 eta) + D/2 log(2 pi eta) + KL(q || N(0, I)), "
              "differentiable in mean, mu and logvar",
    reference=lambda x, mean, mu, logvar, eta: negative_elbo(x, mean, mu, logvar, "gaussian", eta),
    make_cases=_gaussian_cases,
    compare=lambda case, e, g: compare_tuple(
        e, g, ["the negative ELBO", "the gradient w.r.t. mean", "the gradient w.r.t. mu",
               "the gradient w.r.t. logvar"], rtol=1e-4, atol=1e-3),
    run=with_grads(1, 2, 3),
)


# ----------------------------------------------------------------- interpolation

def _interp_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(d, h, k, steps, note):
        torch_state = {name: _normal(gen, *p.shape, scale=0.8)
                       for name, p in VAE(data_dim=d, hidden=h, latent=k).state_dict().items()}
        return Case((torch_state, torch.rand(d, generator=gen), torch.rand(d, generator=gen), steps), note=note)

    cases = [case(12, 8, 2, 5, "12 pixels, K=2, 5 steps"), case(784, 16, 3, 8, "784 pixels, K=3, 8 steps")]
    if hidden:
        cases += [case(6, 4, 1, 2, "only the two ends"), case(20, 10, 5, 11, "11 steps")]
    return cases


INTERPOLATE = Exercise(
    id="unit2.interpolate",
    misconceptions=MISCONCEPTIONS["unit2.interpolate"],
    alternatives=tuple(ALTERNATIVES["unit2.interpolate"]),
    withholds=('lecture_lib.vae.interpolate',),
    signature="interpolate(model, x0: (D,), x1: (D,), steps) -> (steps, D): model.decode's means "
              "(sigmoid of the logits) at (1 - t) mu(x0) + t mu(x1), t = 0 ... 1 inclusive, mu = encoder mean",
    reference=lambda model, x0, x1, steps: interpolate(model, x0, x1, steps),
    make_cases=_interp_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the interpolated images", rtol=1e-4, atol=1e-5),
    run=vae_run,
)


# ----------------------------------------------------------------- the forward pass and one training step

PARAM_NAMES = ("enc.weight", "enc.bias", "enc_mu.weight", "enc_mu.bias", "enc_logvar.weight", "enc_logvar.bias",
               "dec.weight", "dec.bias", "dec_out.weight", "dec_out.bias")


def _vae_state(gen: torch.Generator, d: int, h: int, k: int, dtype=torch.float32, logvar_bias: float = 0.0):
    """A random VAE state dict (names and shapes of ``lecture_lib.vae.VAE(d, h, k)``), weights
    scaled by 1/sqrt(fan-in) so that activations stay O(1); drawn from ``gen`` only."""
    shapes = {"enc": (h, d), "enc_mu": (k, h), "enc_logvar": (k, h), "dec": (h, k), "dec_out": (d, h)}
    state = {}
    for layer, (n_out, n_in) in shapes.items():
        state[f"{layer}.weight"] = _normal(gen, n_out, n_in, scale=1.5 / math.sqrt(n_in)).to(dtype)
        state[f"{layer}.bias"] = _normal(gen, n_out, scale=0.3).to(dtype)
    state["enc_logvar.bias"] += logvar_bias
    return state


def _images(gen, b, d, binary, dtype=torch.float32):
    x = torch.rand(b, d, generator=gen)
    return (x.round() if binary else x).to(dtype)


def _forward_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(d, h, k, b, note, binary=False, dtype=torch.float32, logvar_bias=0.0):
        state = _vae_state(gen, d, h, k, dtype, logvar_bias)
        x, eps = _images(gen, b, d, binary, dtype), _normal(gen, b, k).to(dtype)
        upstream = (_normal(gen, b, d).to(dtype), _normal(gen, b, k).to(dtype), _normal(gen, b, k).to(dtype))
        return Case((state, x, eps), {"upstream": upstream}, note=note)

    cases = [case(12, 8, 2, 4, "4 images of 12 pixels, hidden 8, K=2"),
             case(784, 16, 3, 2, "2 images of 784 pixels, hidden 16, K=3")]
    if hidden:
        cases += [case(6, 4, 1, 1, "a single image, K=1", binary=True),
                  case(784, 32, 5, 16, "16 images of 784 pixels, K=5"),
                  case(10, 6, 4, 5, "wide q: logvar around +2", logvar_bias=2.0),
                  case(10, 6, 4, 5, "narrow q: logvar around -3", logvar_bias=-3.0),
                  case(9, 5, 2, 3, "float64 model and inputs", dtype=torch.float64)]
    return cases


FORWARD_NAMES = ["the logits", "mu", "logvar"] + [f"the gradient w.r.t. {n}" for n in PARAM_NAMES]


VAE_FORWARD = Exercise(
    id="unit2.vae_forward",
    misconceptions=MISCONCEPTIONS["unit2.vae_forward"],
    alternatives=tuple(ALTERNATIVES["unit2.vae_forward"]),
    withholds=('lecture_lib.vae.vae_forward', 'lecture_lib.vae.VAE.forward'),
    signature="vae_forward(model, x: (B, D), eps: (B, K)) -> (logits (B, D), mu (B, K), logvar (B, K)): "
              "mu, logvar = model.encode(x); z = mu + exp(logvar / 2) * eps; logits = model.decode(z); "
              "differentiable in the model's parameters",
    reference=lambda model, x, eps: vae_forward(model, x, eps),
    make_cases=_forward_cases,
    # atol 1e-5 x (1 + the output's largest |value|): a correct pass written with other operations
    # moved a gradient entry of -0.03 by 2.5e-5 in a gradient reaching 142 (1 secret seed in 200).
    compare=lambda case, e, g: compare_tuple(e, g, FORWARD_NAMES, rtol=1e-4, atol=1e-5, atol_per_scale=1e-5),
    run=vae_forward_run,
)


def _step_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(d, h, k, b, steps, lr, note, binary=False, dtype=torch.float32):
        state = _vae_state(gen, d, h, k, dtype)
        xs = torch.stack([_images(gen, b, d, binary, dtype) for _ in range(steps)])
        eps = _normal(gen, steps, b, k).to(dtype)
        return Case((state, xs, eps, lr), note=note)

    cases = [case(12, 8, 2, 6, 3, 1e-2, "3 steps on 6 images of 12 pixels, lr 0.01"),
             case(784, 32, 4, 16, 3, 1e-3, "3 steps on 16 images of 784 pixels, lr 0.001")]
    if hidden:
        cases += [case(8, 6, 1, 1, 4, 1e-2, "4 steps on a single image, K=1", binary=True),
                  case(784, 64, 8, 32, 5, 1e-3, "5 steps on 32 grey-level images of 784 pixels"),
                  case(784, 32, 4, 24, 4, 1e-3, "4 steps on 24 binary images", binary=True),
                  case(10, 8, 3, 5, 4, 3e-2, "float64 model and inputs, lr 0.03", dtype=torch.float64)]
    return cases


def _step_compare(case: Case, expected, got) -> str | None:
    """The k returned losses, then the parameters after the k steps (Adam, lr from the case)."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return f"the runner could not read the steps' results: got {describe(got)}"
    lr = float(case.args[3])
    k = len(case.args[1])
    problem = compare_tensors(expected[0], got[0], name=f"the losses your step returned over {k} steps",
                              rtol=STEP_LOSS_RTOL, atol=STEP_LOSS_ATOL)
    if problem:
        return problem + (" (return the loss of this step's forward pass, before the update: the mean over "
                          "the batch of the negative ELBO, with the eps given)")
    for name, e, g in zip(PARAM_NAMES, expected[1:], got[1:]):
        problem = compare_tensors(e, g, name=f"the parameter {name} after {k} steps", rtol=0.0,
                                  atol=STEP_PARAM_ATOL_LR * lr)
        if problem:
            return problem + (" (each step: zero the gradients, backpropagate this batch's loss, one "
                              "optimizer.step())")
    return None


VAE_TRAIN_STEP = Exercise(
    id="unit2.vae_train_step",
    misconceptions=MISCONCEPTIONS["unit2.vae_train_step"],
    alternatives=tuple(ALTERNATIVES["unit2.vae_train_step"]),
    withholds=('lecture_lib.vae.vae_train_step', 'lecture_lib.vae.VAE.loss'),
    signature="vae_train_step(model, optimizer, x: (B, D), eps: (B, K)) -> loss: forward pass with eps, "
              "loss = mean over the batch of the Bernoulli negative ELBO, zero the gradients, backward, "
              "optimizer.step(); returns the loss before the update as a float or 0-dim tensor",
    reference=vae_train_step,
    make_cases=_step_cases,
    compare=_step_compare,
    run=vae_steps_run,
)


EXERCISES = (GAUSSIAN_KL, REPARAMETERIZE, NEG_ELBO_BERNOULLI, NEG_ELBO_GAUSSIAN, INTERPOLATE, VAE_FORWARD, VAE_TRAIN_STEP,)
