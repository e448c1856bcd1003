"""How an exercise calls a function on a case, beyond a plain call (see ``Exercise.run``).

The same runner calls the student's function (in the kernel) and the reference (in the
judge), so what is compared is produced the same way on both sides.
"""

from __future__ import annotations

import torch

from autograder.registry import Case

__all__ = ["with_grads", "ContractError"]


class ContractError(Exception):
    """The function's result breaks the contract in a way the runner must report itself
    (wrong shape for the gradient check, no autograd graph): the message says how."""


def with_grads(*arg_indices: int):
    """Call ``fn(*args)``, then backpropagate a fixed upstream gradient into the arguments at
    ``arg_indices``; the output is ``(value, grad_1, ..., grad_m)``.

    The upstream gradient is ``case.kwargs["upstream"]`` when given (same shape as the
    value), else 1 (the value must then be a scalar). A value that does not depend on an
    argument gives a zero gradient for it; a value detached from all of them raises.
    """

    def run(fn, case: Case):
        args = list(case.args)
        kwargs = {k: v for k, v in case.kwargs.items() if k != "upstream"}
        for i in arg_indices:
            args[i] = args[i].detach().clone().requires_grad_(True)
        with torch.enable_grad():
            value = fn(*args, **kwargs)
            if not isinstance(value, torch.Tensor):
                return value
            upstream = case.kwargs.get("upstream")
            if upstream is None:
                upstream = torch.ones(())
            if value.shape != upstream.shape:
                raise ContractError(f"the result has shape {tuple(value.shape)} but should have shape "
                                    f"{tuple(upstream.shape)}")
            if not value.requires_grad:
                raise ContractError("the result is not differentiable: it does not depend on the inputs "
                                    "through autograd (was something detached with .detach()/.item(), or "
                                    "computed with numpy?); gradients flow only through torch operations")
            grads = torch.autograd.grad(value, [args[i] for i in arg_indices],
                                        grad_outputs=upstream.to(value.dtype).to(value.device),
                                        allow_unused=True)
        grads = tuple(torch.zeros_like(args[i]) if g is None else g for i, g in zip(arg_indices, grads))
        return (value.detach(), *grads)

    return run
