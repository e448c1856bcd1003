"""Comparing a student's output with the reference's, in words a student can act on."""

from __future__ import annotations

import torch

from autograder.serialize import ERROR_KEY, UNSERIALIZABLE_KEY

__all__ = ["describe", "compare_tensors", "is_error", "is_unserializable"]


def is_error(value) -> bool:
    return isinstance(value, dict) and ERROR_KEY in value


def is_unserializable(value) -> bool:
    return isinstance(value, dict) and UNSERIALIZABLE_KEY in value


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def describe(value, *, preview: int = 6) -> str:
    """A one-line description: type, dtype, shape, range and the first few values."""
    if is_error(value):
        err = value[ERROR_KEY]
        return f"an exception: {err['type']}" + (f": {err['message']}" if err["message"] else "")
    if is_unserializable(value):
        return f"a {value[UNSERIALIZABLE_KEY]} ({value.get('repr', '')[:120]})"
    if isinstance(value, torch.Tensor):
        shape = tuple(value.shape)
        text = f"{str(value.dtype).removeprefix('torch.')} tensor of shape {shape}"
        if value.numel() == 0:
            return text + " (empty)"
        flat = value.reshape(-1)
        if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool:
            finite = flat[torch.isfinite(flat)] if value.dtype.is_floating_point else flat
        else:
            finite = flat
        if value.dtype != torch.bool and finite.numel():
            text += f", values in [{_fmt(finite.min().item())}, {_fmt(finite.max().item())}]"
        if value.dtype.is_floating_point and finite.numel() < flat.numel():
            text += f", {flat.numel() - finite.numel()} non-finite"
        shown = ", ".join(_fmt(v) if isinstance(v, float) else str(v) for v in flat[:preview].tolist())
        return text + f", first values [{shown}{', ...' if flat.numel() > preview else ''}]"
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        inner = "; ".join(describe(v, preview=3) for v in value[:4])
        return f"a {kind} of {len(value)}: ({inner}{'; ...' if len(value) > 4 else ''})"
    if isinstance(value, dict):
        return "a dict with keys " + ", ".join(map(str, list(value)[:8]))
    if isinstance(value, float):
        return f"the float {_fmt(value)}"
    return f"{type(value).__name__} {value!r}"[:200]


def compare_tensors(expected: torch.Tensor, got, *, name: str = "the output", rtol: float = 1e-5,
                    atol: float = 1e-6, check_dtype: bool = True) -> str | None:
    """``None`` if ``got`` matches ``expected`` (shape, dtype, values within tolerance), else why not."""
    if is_error(got):
        err = got[ERROR_KEY]
        if err["type"] == "NotImplementedError" and not err["message"].strip():
            return ("your function raised NotImplementedError: replace the "
                    "`raise NotImplementedError()` line with your code")
        return f"your function raised {err['type']}: {err['message']}"
    if not isinstance(got, torch.Tensor):
        return f"{name} should be a torch.Tensor, but it is {describe(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{name} has shape {tuple(got.shape)} but should have shape {tuple(expected.shape)}"
    if check_dtype and got.dtype != expected.dtype:
        return (f"{name} has dtype {str(got.dtype).removeprefix('torch.')} but should have dtype "
                f"{str(expected.dtype).removeprefix('torch.')}")
    if expected.numel() == 0:
        return None
    e = expected.to(torch.float64) if expected.dtype != torch.bool else expected
    g = got.to(e.dtype)
    if e.dtype == torch.bool:
        bad = e != g
    else:
        close = torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        bad = ~close
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    first = tuple(int(i) for i in bad.nonzero()[0].tolist())
    where = f" at index {first}" if first else ""
    ev, gv = e[first].item(), g[first].item()
    msg = (f"{name} is wrong{where}: expected {_fmt(ev) if isinstance(ev, float) else ev}, got "
           f"{_fmt(gv) if isinstance(gv, float) else gv}; {n_bad} of {e.numel()} values differ")
    if e.dtype != torch.bool:
        diff = (g - e).abs()
        diff = diff[torch.isfinite(diff)]
        if diff.numel():
            msg += f" (largest difference {_fmt(diff.max().item())}, tolerance {atol:g} + {rtol:g}*|expected|)"
    return msg
