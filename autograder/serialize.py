"""Serializing check records: what crosses from the student's kernel to the judge.

A record holds only plain data: tensors (plain ``torch.Tensor``, on the CPU), Python
numbers, bools, None, strings, and tuples/lists/dicts of them. It is written with
``torch.save`` and read back with ``torch.load(weights_only=True)``, whose unpickler admits
tensors and these containers only, so a record cannot make the judging process run code.
"""

from __future__ import annotations

import io

import torch

__all__ = ["sanitize", "dumps", "loads", "UNSERIALIZABLE_KEY", "MAX_RECORD_BYTES"]

UNSERIALIZABLE_KEY = "__unserializable__"
MAX_RECORD_BYTES = 256 * 2**20
_MAX_DEPTH = 20


def _type_name(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


_TENSOR_DTYPES = {torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8,
                  torch.int8, torch.int16, torch.int32, torch.int64, torch.bool}
_MAX_INT = 2**63


def _marker(obj, why: str | None = None) -> dict:
    try:
        text = repr(obj)
    except Exception:
        text = "<repr failed>"
    out = {UNSERIALIZABLE_KEY: why or _type_name(obj), "repr": " ".join(text.split())[:300]}
    return out


def sanitize(obj, devices: list | None = None, _depth: int = 0):
    """A plain, serializable copy of ``obj``; anything else becomes a marker dict.

    Tensors (including subclasses such as ``nn.Parameter``) become plain, dense, contiguous
    CPU tensors, detached and cloned; their devices are appended to ``devices`` in traversal
    order. ``str``/``int``/``float`` subclasses and tuple/list subclasses (named tuples)
    become the plain types. Anything else (other objects, dtypes outside
    float16/bfloat16/float32/float64/int/uint8/bool, quantized or nested tensors, integers
    beyond 64 bits, dicts with non-string keys, nesting deeper than 20) becomes
    ``{"__unserializable__": <what>, "repr": ...}`` so that the judge can say what was returned.
    """
    if _depth > _MAX_DEPTH:
        return {UNSERIALIZABLE_KEY: "nesting", "repr": f"nested deeper than {_MAX_DEPTH} levels"}
    if isinstance(obj, torch.Tensor):
        try:
            if obj.is_quantized or obj.is_nested or obj.dtype not in _TENSOR_DTYPES:
                return _marker(obj, f"torch.Tensor of dtype {str(obj.dtype).removeprefix('torch.')}"
                               + (" (quantized)" if obj.is_quantized else "")
                               + (" (nested)" if obj.is_nested else ""))
            device = str(obj.device)
            t = obj.detach()
            if t.layout != torch.strided:
                t = t.to_dense()
            t = torch.Tensor.as_subclass(t, torch.Tensor).to("cpu", copy=True).contiguous()
        except Exception as exc:
            return {UNSERIALIZABLE_KEY: "tensor that cannot be copied",
                    "repr": f"{type(exc).__name__} while copying it to the CPU"}
        if devices is not None:
            devices.append(device)
        return t
    if obj is None or type(obj) is bool:
        return obj
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, str):
        return str.__str__(obj)[:10_000]
    if isinstance(obj, int):
        value = int.__index__(obj)
        return value if -_MAX_INT <= value < _MAX_INT else {UNSERIALIZABLE_KEY: "int",
                                                            "repr": "an integer beyond 64 bits"}
    if isinstance(obj, float):
        return float.__float__(obj)
    if isinstance(obj, (tuple, list)):
        try:
            items = [sanitize(x, devices, _depth + 1) for x in obj]
        except Exception:
            return _marker(obj)
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        try:
            if all(isinstance(k, str) for k in obj):
                return {str.__str__(k): sanitize(v, devices, _depth + 1) for k, v in obj.items()}
        except Exception:
            pass
    return _marker(obj)


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
