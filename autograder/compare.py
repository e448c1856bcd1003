"""Comparing a student's output with the reference's, in words a student can act on."""

from __future__ import annotations

import torch

from autograder_kernel.serialize import UNSERIALIZABLE_KEY

__all__ = ["describe", "compare_tensors", "is_unserializable", "seeds_passed", "agree"]


def is_unserializable(value) -> bool:
    return isinstance(value, dict) and UNSERIALIZABLE_KEY in value


def agree(name: str, singular: str, plural: str) -> str:
    """The verb form that agrees with ``name`` ("the angles are", "the gradient w.r.t. logits
    is"): plural when the head noun ends in a single s."""
    head = name.split(" w.r.t. ")[0].split(" of ")[0].split()
    word = head[-1] if head else ""
    return plural if word.endswith("s") and not word.endswith("ss") and len(word) > 2 else singular


def _fmt(x) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


_SUMMARY_ELEMENTS = 2**20  # a description looks at no more than this many values


def _tensor_summary(value: torch.Tensor, preview: int) -> str:
    text = f"{str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}"
    if value.numel() == 0:
        return text + " (empty)"
    try:
        flat = value.reshape(-1)
        part = flat[:_SUMMARY_ELEMENTS]
        of = "" if part.numel() == flat.numel() else f" (of the first {part.numel():,})"
        if value.dtype != torch.bool:
            real = part.to(torch.float64)
            finite = real[torch.isfinite(real)]
            if finite.numel():
                text += f", values in [{_fmt(finite.min().item())}, {_fmt(finite.max().item())}]{of}"
            if finite.numel() < real.numel():
                text += f", {real.numel() - finite.numel()} non-finite{of}"
        shown = ", ".join(_fmt(v) for v in flat[:preview].tolist())
        return text + f", first values [{shown}{', ...' if flat.numel() > preview else ''}]"
    except Exception:
        return text


def describe(value, *, preview: int = 6) -> str:
    """A one-line description: type, dtype, shape, range and the first few values."""
    if isinstance(value, dict) and set(value) == {"__raised__"} and isinstance(value["__raised__"], dict):
        err = value["__raised__"]
        message = str(err.get("message", ""))
        return f"an exception: {str(err.get('type'))}" + (f": {message}" if message else "")
    if is_unserializable(value):
        return f"a {str(value[UNSERIALIZABLE_KEY])[:80]} ({str(value.get('repr', ''))[:120]})"
    if isinstance(value, torch.Tensor):
        return _tensor_summary(value, preview)
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        inner = "; ".join(describe(v, preview=3) for v in value[:4])
        return f"a {kind} of {len(value)}: ({inner}{'; ...' if len(value) > 4 else ''})"
    if isinstance(value, dict):
        return "a dict with keys " + ", ".join(str(k)[:40] for k in list(value)[:8])
    if isinstance(value, float):
        return f"the float {_fmt(value)}"
    try:
        return f"{type(value).__name__} {value!r}"[:200]
    except Exception:
        return type(value).__name__


def compare_tensors(expected: torch.Tensor, got, *, name: str = "the output", rtol: float = 1e-5,
                    atol: float = 1e-6, atol_per_scale: float = 0.0, check_dtype: bool = True) -> str | None:
    """``None`` if ``got`` matches ``expected`` (shape, dtype, values within tolerance), else why not.

    Each value may differ by ``atol + atol_per_scale * max|expected| + rtol * |expected|``: the
    ``atol_per_scale`` term is for outputs that are float sums of terms as large as the tensor's
    largest entries (gradients), where a correct sum in another order moves a small entry by
    rounding of that size."""
    if not isinstance(got, torch.Tensor):
        return f"{name} should be a torch.Tensor, but it is {describe(got)}"
    has = agree(name, "has", "have")
    if tuple(got.shape) != tuple(expected.shape):
        return f"{name} {has} shape {tuple(got.shape)} but should have shape {tuple(expected.shape)}"
    if check_dtype and got.dtype != expected.dtype:
        return (f"{name} {has} dtype {str(got.dtype).removeprefix('torch.')} but should have dtype "
                f"{str(expected.dtype).removeprefix('torch.')}")
    if expected.numel() == 0:
        return None
    e = expected.to(torch.float64) if expected.dtype != torch.bool else expected
    g = got.to(e.dtype)
    if atol_per_scale and e.dtype != torch.bool:
        finite = e[torch.isfinite(e)]
        if finite.numel():
            atol = atol + atol_per_scale * float(finite.abs().max())
    if e.dtype == torch.bool:
        bad = e != g
    else:
        close = torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        bad = ~close
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    value = lambda v: _fmt(v) if isinstance(v, float) else v  # noqa: E731
    if e.dtype != torch.bool:
        # NaN or infinity where a finite value is expected: say so, not "largest difference".
        nonfinite = bad & ~torch.isfinite(g) & torch.isfinite(e)
        n_nonfinite = int(nonfinite.sum())
        if n_nonfinite:
            first = tuple(int(i) for i in nonfinite.nonzero()[0].tolist())
            where = f" at index {first}" if first else ""
            return (f"{name} {agree(name, 'contains', 'contain')} {n_nonfinite} non-finite "
                    f"value{'s' if n_nonfinite > 1 else ''} (NaN or infinity) of {e.numel()}: "
                    f"first{where}, expected {value(e[first].item())}, got {value(g[first].item())}"
                    + (f"; {n_bad - n_nonfinite} other value{'s differ' if n_bad - n_nonfinite > 1 else ' differs'}"
                       if n_bad > n_nonfinite else ""))
    first = tuple(int(i) for i in bad.nonzero()[0].tolist())
    where = f" at index {first}" if first else ""
    msg = (f"{name} {agree(name, 'is', 'are')} wrong{where}: expected {value(e[first].item())}, got "
           f"{value(g[first].item())}; {n_bad} of {e.numel()} values {'differ' if n_bad > 1 else 'differs'}")
    if e.dtype != torch.bool:
        diff = (g - e).abs()
        diff = diff[bad & torch.isfinite(diff)]
        if diff.numel():
            msg += f" (largest difference {_fmt(diff.max().item())}, tolerance {atol:g} + {rtol:g}*|expected|)"
    return msg


def compare_tuple(expected: tuple, got, names: list[str], **tolerances) -> str | None:
    """Compare a tuple of tensors part by part; ``names`` name the parts in messages."""
    if not isinstance(got, (tuple, list)):
        return f"the output should be a tuple ({', '.join(names)}), but it is {describe(got)}"
    if len(got) != len(expected):
        return f"the output should be a tuple of {len(expected)} ({', '.join(names)}), got {len(got)} items"
    for name, e, g in zip(names, expected, got):
        problem = compare_tensors(e, g, name=name, **tolerances)
        if problem:
            return problem
    return None


def seeds_passed(got, seeds: tuple, passed, hidden_seeds: int, hidden_needed: int) -> tuple[list[dict], int] | str:
    """For behavioural checks that train on several seeds: ``got`` must be one result dict per
    seed. Returns ``(the results that pass, how many must)``: all seeds of a visible case, and
    ``hidden_needed`` of a hidden case's ``hidden_seeds``; or a message when ``got`` is malformed.
    ``passed(result) -> bool`` judges one seed's result."""
    if not isinstance(got, list) or len(got) != len(seeds) or not all(isinstance(r, dict) for r in got):
        return "the run did not report one result per seed"
    needed = hidden_needed if len(seeds) == hidden_seeds else len(seeds)
    return [r for r in got if passed(r)], needed
