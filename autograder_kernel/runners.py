"""How an exercise calls a function on a case (``Exercise.run``), by name.

The same runner calls the student's function (in the sandboxed kernel) and the reference
(in the judge), so what is compared is produced the same way on both sides. The grader tells
the kernel which runner to use by its *spec*, ``(name, args)``: :func:`resolve` turns a spec
back into the runner, so nothing but this module has to exist inside the sandbox.
A runner that builds the function's arguments from the case (a model from a state dict, one
batch of many) may carry ``input_names``: per case input, the name the student's function
knows it by (None for inputs it only builds from), so an in-place change is reported by name.
"""

from __future__ import annotations

from typing import Callable

import torch

from autograder_kernel.cases import Case

__all__ = ["default_run", "with_grads", "vae_run", "ContractError", "RUNNERS",
           "resolve", "spec_of", "all_runners"]


class ContractError(Exception):
    """The function's result breaks the contract in a way the runner must report itself
    (wrong shape for the gradient check, no autograd graph): the message says how."""


def default_run(fn, case: Case):
    """``fn(*args, **kwargs)``."""
    return fn(*case.args, **case.kwargs)


def with_grads(*arg_indices: int):
    """Call ``fn(*args)``, then backpropagate a fixed upstream gradient into the arguments at
    ``arg_indices``; the output is ``(value, grad_1, ..., grad_m)``.

    The upstream gradient is ``case.kwargs["upstream"]`` when given (same shape as the
    value), else 1 (the value must then be a scalar). A value that does not depend on an
    argument gives a zero gradient for it; a value detached from all of them raises.
    """
    indices = tuple(int(i) for i in arg_indices)

    def run(fn, case: Case):
        args = list(case.args)
        kwargs = {k: v for k, v in case.kwargs.items() if k != "upstream"}
        for i in indices:
            args[i] = args[i].detach().clone().requires_grad_(True)
        with torch.enable_grad():
            value = fn(*args, **kwargs)
            upstream = case.kwargs.get("upstream")
            if upstream is None:
                upstream = torch.ones(())
            if not isinstance(value, torch.Tensor):
                kind = type(value).__name__
                raise ContractError(
                    f"your function returned {'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}, but it should "
                    f"return a torch.Tensor of shape {tuple(upstream.shape)} computed with torch operations (the check "
                    f"also compares its gradients, which it computes itself from that tensor)")
            if value.shape != upstream.shape:
                raise ContractError(f"the result has shape {tuple(value.shape)} but should have shape "
                                    f"{tuple(upstream.shape)}")
            if not value.requires_grad:
                raise ContractError("the result is not differentiable: it does not depend on the inputs "
                                    "through autograd (was something detached with .detach()/.item(), or "
                                    "computed with numpy?); gradients flow only through torch operations")
            grads = torch.autograd.grad(value, [args[i] for i in indices],
                                        grad_outputs=upstream.to(value.dtype).to(value.device),
                                        allow_unused=True)
        grads = tuple(torch.zeros_like(args[i]) if g is None else g for i, g in zip(indices, grads))
        return (value.detach(), *grads)

    run.spec = ("with_grads", indices)
    return run


def vae_run(fn, case: Case):
    """``args = (state_dict, *rest)``: build ``lecture_lib.vae.VAE`` from the state dict (its
    sizes read off the weights) on the state's device and call ``fn(model, *rest)``."""
    from lecture_lib.vae import VAE

    state, *rest = case.args
    d, h = state["enc.weight"].shape[1], state["enc.weight"].shape[0]
    model = VAE(data_dim=d, hidden=h, latent=state["enc_mu.weight"].shape[0])
    model.load_state_dict(state)
    return fn(model.to(state["enc.weight"].device), *rest)


default_run.spec = ("call", ())
vae_run.spec = ("vae", ())

RUNNERS: dict[str, Callable] = {
    "call": lambda: default_run,
    "with_grads": with_grads,
    "vae": lambda: vae_run,
}


def all_runners() -> dict[str, Callable]:
    """This module's runners and the training-method runners of each unit
    (``autograder_kernel.unit<N>_runners``, each with its own ``RUNNERS``)."""
    from autograder_kernel import (unit1_runners, unit2_runners, unit3_runners, unit4_runners, unit5_runners,
                                   unit6_runners)

    merged = dict(RUNNERS)
    for module in (unit1_runners, unit2_runners, unit3_runners, unit4_runners, unit5_runners, unit6_runners):
        for name, factory in module.RUNNERS.items():
            if name in merged:
                raise ValueError(f"runner {name!r} defined twice")
            merged[name] = factory
    return merged


def spec_of(run) -> tuple[str, tuple]:
    """The spec of a runner from this package; ValueError for any other callable (a runner
    the sandbox could not rebuild)."""
    spec = getattr(run, "spec", None)
    if not (isinstance(spec, tuple) and len(spec) == 2 and spec[0] in all_runners()):
        raise ValueError(f"{run!r} is not a runner of autograder_kernel.runners")
    return spec


def resolve(spec) -> Callable:
    """The runner a spec names."""
    name, args = spec
    runners = all_runners()
    if name not in runners:
        raise ValueError(f"unknown runner {name!r}")
    return runners[name](*args)
