"""Unit 6's runners, by name (merged by ``runners.all_runners``; each carries ``.spec``).

- ``ar_sample``: ``args = (W, b, order, u)``: the student's sampler gets a fixed
  autoregressive logit function ``x -> x @ W.T + b`` (any batch ``(n, D)``) (a fully visible sigmoid belief net:
  ``W[d, d'] != 0`` only where ``d'`` comes before ``d`` in ``order``), the order and the noise.
- ``gan_steps``: ``args = (g_state, d_state, xs, z_ds, z_gs, lr, generator_loss)``: builds the
  generator and discriminator MLPs of ``lecture_lib.gan`` from their state dicts (sizes and
  dtype read off the weights, no batch norm), Adam for each (``betas=(0.5, 0.999)``,
  ``eps=ADAM_EPS``), then calls the student's ``gan_train_step`` k times. Output:
  ``(losses_d (k,), losses_g (k,), *generator parameters, *discriminator parameters)``.
  A training run (``kwargs = {"z_eval": (n, L), "every": e, "last": m}``) also returns, last, the
  generator's samples ``G(z_eval)`` after every e-th of the last m steps, stacked ``(m / e, n, D)``.

Neither calls a function that trusted grading withholds.
"""

from __future__ import annotations

from typing import Callable

import torch

from autograder_kernel.cases import Case
from autograder_kernel.runners import ContractError

ADAM_EPS = 1e-4   # as unit 2's vae_steps: gradients that are zero up to rounding do not move a parameter by ~lr


def ar_sample_run(fn, case: Case):
    W, b, order, u = case.args

    def logits_fn(x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != u.shape[1]:
            raise ContractError(f"logits_fn was called with {type(x).__name__} of shape "
                                f"{tuple(getattr(x, 'shape', ()))}; call it with a batch of samples of shape "
                                f"(n, D) = (n, {u.shape[1]})")
        return x.to(W.dtype) @ W.T + b

    with torch.no_grad():
        return fn(logits_fn, order, u)


def _describe_ar_inputs(case: Case) -> str:
    from autograder.compare import describe   # trusted side only: messages are written there

    W, b, order, u = case.args
    return (f"logits_fn = x -> x @ W.T + b (an autoregressive logit map) with W {describe(W)} and b {describe(b)}; "
            f"order {describe(order)}; u {describe(u)}")


def _describe_gan_inputs(case: Case) -> str:
    from autograder.compare import describe   # trusted side only: messages are written there

    g_state, d_state, xs, z_ds, z_gs, lr, generator_loss = case.args

    def sizes(state):
        weights = [v for _, v in _linears(state)]
        return " -> ".join(str(n) for n in [weights[0].shape[1]] + [w.shape[0] for w in weights])

    text = (f"a generator ({sizes(g_state)}) and a discriminator ({sizes(d_state)}) of lecture_lib.gan with fixed "
            f"weights, Adam(lr={lr}, betas=(0.5, 0.999)) for each; {len(xs)} steps with generator_loss="
            f"{generator_loss!r}, x_real from {describe(xs)}, z_d from {describe(z_ds)}, z_g from {describe(z_gs)}")
    if "z_eval" in case.kwargs:
        text += (f"; the generator's samples on z_eval {describe(case.kwargs['z_eval'])} after every "
                 f"{case.kwargs['every']}th of the last {case.kwargs['last']} steps are kept")
    return text


def _linears(state: dict) -> list[tuple[str, torch.Tensor]]:
    return [(k, v) for k, v in state.items() if k.endswith(".weight")]


def gan_models(g_state: dict, d_state: dict):
    """``(MLPGenerator, MLPDiscriminator)`` of ``lecture_lib.gan`` with these weights (linear output,
    no batch norm; sizes, dtype and device from the weights)."""
    from lecture_lib.gan import MLPDiscriminator, MLPGenerator

    g_weights = [v for _, v in _linears(g_state)]
    d_weights = [v for _, v in _linears(d_state)]
    generator = MLPGenerator(latent=g_weights[0].shape[1], hidden=tuple(w.shape[0] for w in g_weights[:-1]),
                             data_dim=g_weights[-1].shape[0], output="linear", batch_norm=False)
    discriminator = MLPDiscriminator(data_dim=d_weights[0].shape[1], hidden=tuple(w.shape[0] for w in d_weights[:-1]))
    like = g_weights[0]
    generator = generator.to(device=like.device, dtype=like.dtype)
    discriminator = discriminator.to(device=like.device, dtype=like.dtype)
    generator.load_state_dict(g_state)
    discriminator.load_state_dict(d_state)
    return generator, discriminator


def _value(x, step: int, which: str, like: torch.Tensor) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise ContractError(f"step {step} returned {which} of shape {tuple(x.shape)}; return each loss as one "
                                "number (a 0-dim tensor or a float): the mean over the batch")
        return x.detach().reshape(()).to(device=like.device, dtype=like.dtype)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return torch.tensor(float(x), device=like.device, dtype=like.dtype)
    raise ContractError(f"step {step} returned {which} as a {type(x).__name__}; return (loss_d, loss_g), "
                        "each a 0-dim tensor or a float")


def gan_steps_run(fn, case: Case):
    g_state, d_state, xs, z_ds, z_gs, lr, generator_loss = case.args
    z_eval, every, last = case.kwargs.get("z_eval"), int(case.kwargs.get("every", 1)), int(case.kwargs.get("last", 0))
    generator, discriminator = gan_models(g_state, d_state)
    opt_g = torch.optim.Adam(generator.parameters(), lr=float(lr), betas=(0.5, 0.999), eps=ADAM_EPS)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=float(lr), betas=(0.5, 0.999), eps=ADAM_EPS)
    like = next(generator.parameters())
    losses_d, losses_g, snapshots = [], [], []
    with torch.enable_grad():
        for i in range(len(xs)):
            out = fn(generator, discriminator, opt_g, opt_d, xs[i], z_ds[i], z_gs[i], generator_loss=generator_loss)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ContractError(f"step {i + 1} returned {type(out).__name__}; return the pair (loss_d, loss_g)")
            losses_d.append(_value(out[0], i + 1, "loss_d", like))
            losses_g.append(_value(out[1], i + 1, "loss_g", like))
            if z_eval is not None and i >= len(xs) - last and (len(xs) - 1 - i) % every == 0:
                with torch.no_grad():
                    snapshots.append(generator(z_eval).detach())
    out = (torch.stack(losses_d), torch.stack(losses_g), *(p.detach() for p in generator.parameters()),
           *(p.detach() for p in discriminator.parameters()))
    return out if z_eval is None else (*out, torch.stack(snapshots))


ar_sample_run.spec = ("ar_sample", ())
ar_sample_run.input_names = (None, None, "order", "u")
ar_sample_run.describe_inputs = _describe_ar_inputs
gan_steps_run.spec = ("gan_steps", ())
gan_steps_run.input_names = (None, None, "x_real", "z_d", "z_g", None, None)
gan_steps_run.describe_inputs = _describe_gan_inputs

RUNNERS: dict[str, Callable] = {
    "ar_sample": lambda: ar_sample_run,
    "gan_steps": lambda: gan_steps_run,
}
