"""Unit 2's runners for exercises that train (a step or a loop called on a model the runner
builds), by name: ``RUNNERS`` maps a name to a factory, as in :mod:`autograder_kernel.runners`
(each runner carries ``.spec = (name, args)``). Merged by ``runners.all_runners``.

Both runners build ``lecture_lib.vae.VAE`` from a state dict (its sizes and dtype read off the
weights) on the state's device, so the student's function and the reference start from the
same model; neither calls a function that trusted grading withholds.
"""

from __future__ import annotations

from typing import Callable

import torch

from autograder_kernel.cases import Case
from autograder_kernel.runners import ContractError


def vae_from_state(state: dict):
    """``lecture_lib.vae.VAE`` with the weights ``state`` (sizes, dtype and device from them)."""
    from lecture_lib.vae import VAE

    weight = state["enc.weight"]
    model = VAE(data_dim=weight.shape[1], hidden=weight.shape[0], latent=state["enc_mu.weight"].shape[0])
    model = model.to(device=weight.device, dtype=weight.dtype)
    model.load_state_dict(state)
    return model


def vae_forward_run(fn, case: Case):
    """``args = (state, x, eps)``, ``kwargs = {"upstream": (g_decoded, g_mu, g_logvar)}``: call
    ``fn(model, x, eps)``, then backpropagate the fixed upstream gradients from its three
    outputs into the model's parameters. Output: ``(decoded, mu, logvar, *grads)``, the
    gradients in ``model.named_parameters()`` order (zeros where a parameter is unused)."""
    state, x, eps = case.args
    model = vae_from_state(state)
    with torch.enable_grad():
        out = fn(model, x, eps)
        if not (isinstance(out, (tuple, list)) and len(out) == 3
                and all(isinstance(t, torch.Tensor) for t in out)):
            return out  # the comparison says what is wrong with it
        upstream = case.kwargs["upstream"]
        for name, t, g in zip(("the decoder's output", "mu", "logvar"), out, upstream):
            if t.shape != g.shape:
                raise ContractError(f"{name} has shape {tuple(t.shape)} but should have shape "
                                    f"{tuple(g.shape)}")
        if not any(t.requires_grad for t in out):
            raise ContractError("the outputs are not differentiable: they do not depend on the model's "
                                "parameters through autograd (was something detached, or computed "
                                "under torch.no_grad()?)")
        total = sum((t * g.to(t.dtype)).sum() for t, g in zip(out, upstream) if t.requires_grad)
        params = list(model.parameters())
        grads = torch.autograd.grad(total, params, allow_unused=True)
    grads = tuple(torch.zeros_like(p) if g is None else g for p, g in zip(params, grads))
    return (*(t.detach() for t in out), *grads)


def _loss_value(loss, step: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ContractError(f"step {step} returned a tensor of shape {tuple(loss.shape)}; return the "
                                "batch's loss as one number (a 0-dim tensor or a float): the mean over "
                                "the batch of the negative ELBO")
        return loss.detach().reshape(()).to(device=like.device, dtype=like.dtype)
    if isinstance(loss, (int, float)) and not isinstance(loss, bool):
        return torch.tensor(float(loss), device=like.device, dtype=like.dtype)
    raise ContractError(f"step {step} returned a {type(loss).__name__}; return the batch's loss "
                        "(a 0-dim tensor or a float)")


ADAM_EPS = 1e-4   # see vae_steps_run


def vae_steps_run(fn, case: Case):
    """``args = (state, xs, eps, lr)`` with ``xs``: ``(k, B, D)``, ``eps``: ``(k, B, K)``: build
    the model and ``torch.optim.Adam(model.parameters(), lr=lr, eps=ADAM_EPS)``, then call
    ``fn(model, optimizer, xs[i], eps[i])`` for i = 0 .. k-1. Output: ``(losses, *params)``:
    the k returned losses ``(k,)`` (model dtype) and the parameters after the k steps, in
    ``model.named_parameters()`` order.

    Adam's eps is 1e-4, not the default 1e-8: Adam divides by sqrt(v) + eps, so with eps 1e-8 a
    gradient that is zero up to float rounding moves its parameter by up to a whole lr in a
    direction set by the rounding, and correct steps that only sum in another order differed by
    up to 1.6 lr on 4 of 200 secret seeds. With 1e-4 they differ by at most 0.005 lr."""
    state, xs, eps, lr = case.args
    model = vae_from_state(state)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(lr), eps=ADAM_EPS)
    like = model.enc.weight
    losses = []
    with torch.enable_grad():
        for i in range(len(xs)):
            losses.append(_loss_value(fn(model, optimizer, xs[i], eps[i]), i + 1, like))
    return (torch.stack(losses), *(p.detach() for p in model.parameters()))


vae_forward_run.spec = ("vae_forward", ())
vae_forward_run.input_names = (None, "x", "eps")
vae_steps_run.spec = ("vae_steps", ())
vae_steps_run.input_names = (None, "x", "eps", None)

RUNNERS: dict[str, Callable] = {
    "vae_forward": lambda: vae_forward_run,
    "vae_steps": lambda: vae_steps_run,
}
