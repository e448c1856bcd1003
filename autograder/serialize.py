"""Serializing check records: what crosses from the student's kernel to the judge.

A record holds only plain data: tensors (plain ``torch.Tensor``, on the CPU), Python
numbers, bools, None, strings, and tuples/lists/dicts of them. It is written with
``torch.save`` and read back with ``torch.load(weights_only=True)``, whose unpickler admits
tensors and these containers only, so a record cannot make the judging process run code.
"""

from __future__ import annotations

import io
import math

import torch

__all__ = ["sanitize", "dumps", "loads", "ERROR_KEY", "UNSERIALIZABLE_KEY", "MAX_RECORD_BYTES"]

ERROR_KEY = "__error__"
UNSERIALIZABLE_KEY = "__unserializable__"
MAX_RECORD_BYTES = 256 * 2**20
_MAX_DEPTH = 20


def _type_name(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def sanitize(obj, devices: list | None = None, _depth: int = 0):
    """A plain, serializable copy of ``obj``; anything else becomes a marker dict.

    Tensors (including subclasses such as ``nn.Parameter``) become plain CPU tensors,
    detached and cloned; their devices are appended to ``devices`` in traversal order.
    Objects outside the admitted types become ``{"__unserializable__": <type>, "repr": ...}``
    so that the judge can say what was returned instead of a tensor.
    """
    if _depth > _MAX_DEPTH:
        return {UNSERIALIZABLE_KEY: "nesting", "repr": f"nested deeper than {_MAX_DEPTH} levels"}
    if isinstance(obj, torch.Tensor):
        if devices is not None:
            devices.append(str(obj.device))
        t = torch.Tensor.as_subclass(obj, torch.Tensor).detach()
        if t.layout != torch.strided:
            t = t.to_dense()
        return t.to("cpu", copy=True).contiguous()
    if obj is None or isinstance(obj, (bool, str)):
        return obj if not isinstance(obj, str) or len(obj) <= 10_000 else obj[:10_000]
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, (tuple, list)) and type(obj) in (tuple, list):
        items = [sanitize(x, devices, _depth + 1) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if type(obj) is dict and all(isinstance(k, str) for k in obj):
        return {k: sanitize(v, devices, _depth + 1) for k, v in obj.items()}
    try:
        text = repr(obj)
    except Exception:
        text = "<repr failed>"
    return {UNSERIALIZABLE_KEY: _type_name(obj), "repr": " ".join(text.split())[:300]}


def dumps(record) -> bytes:
    """Bytes of a sanitized record."""
    buf = io.BytesIO()
    torch.save(record, buf)
    return buf.getvalue()


def loads(data: bytes, max_bytes: int = MAX_RECORD_BYTES):
    """Read a record written by :func:`dumps`, admitting plain data only."""
    if len(data) > max_bytes:
        raise ValueError(f"record of {len(data)} bytes exceeds the limit of {max_bytes}")
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def is_finite_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
