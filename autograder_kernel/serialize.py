"""Serializing check records: what crosses from the student's kernel to the judge.

A record holds only plain data: tensors (plain ``torch.Tensor``, on the CPU), Python
numbers, bools, None, strings, and tuples/lists/dicts of them. It is written with
``torch.save`` and read back with ``torch.load(weights_only=True)``, whose unpickler admits
tensors and these containers only, so a record cannot make the judging process run code.

A pickle can still *describe* tensors that it does not hold: a few kilobytes can claim a
tensor of 10^12 elements as a stride-0 view of one stored number, or a deeply nested list.
:func:`loads` therefore checks the loaded structure before anyone computes on it
(:func:`check_bounds`): the file must be the uncompressed zip :func:`dumps` writes; every
tensor must be a plain, dense, contiguous tensor whose storage is exactly the bytes it
claims; all tensors together may claim at most ``MAX_RECORD_ELEMENT_BYTES``; no container
may be reached twice, and there are at most ``MAX_RECORD_NODES`` values.
"""

from __future__ import annotations

import io
import zipfile

import torch

__all__ = ["sanitize", "dumps", "loads", "check_bounds", "RecordError", "UNSERIALIZABLE_KEY", "MAX_RECORD_BYTES",
           "MAX_RECORD_ELEMENT_BYTES", "MAX_RECORD_NODES"]

UNSERIALIZABLE_KEY = "__unserializable__"
MAX_RECORD_BYTES = 256 * 2**20           # bytes of a serialized record
MAX_RECORD_ELEMENT_BYTES = 512 * 2**20   # bytes all of a record's tensors claim together
MAX_RECORD_NODES = 1_000_000             # values (numbers, strings, containers, tensors) in a record
MAX_RECORD_STRING = 10_000               # characters of one string (sanitize cuts strings there)
MAX_RECORD_PICKLE = 4 * 2**20            # bytes of the record's pickle (its structure; tensors are apart)
_MAX_DEPTH = 20
_RECORD_DEPTH = _MAX_DEPTH + 10   # a record wraps values in a few levels of its own


class RecordError(ValueError):
    """Bytes that are not a record :func:`dumps` could have written (forged or corrupt)."""


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


def check_bounds(obj, max_element_bytes: int = MAX_RECORD_ELEMENT_BYTES, max_nodes: int = MAX_RECORD_NODES) -> None:
    """Raise :class:`RecordError` unless ``obj`` is plain data within bounds: nesting at most
    ``_RECORD_DEPTH`` levels, at most ``max_nodes`` values in all, no container reached twice
    (a pickle can name one list many times: a few KB would otherwise describe 10^25 paths);
    only None, bool, int, float, str, tuple, list, dict with string keys, and tensors that are
    plain, strided, contiguous, offset 0, with a storage of exactly the bytes they claim; at
    most ``max_element_bytes`` claimed by all tensors. Iterative, so that no nesting can
    exhaust the stack."""
    claimed = nodes = 0
    seen: set[int] = set()
    stack = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise RecordError(f"more than {max_nodes:,} values")
        if depth > _RECORD_DEPTH:
            raise RecordError(f"nested deeper than {_RECORD_DEPTH} levels")
        if type(item) is str:
            if len(item) > MAX_RECORD_STRING:
                raise RecordError(f"a string of more than {MAX_RECORD_STRING:,} characters")
            continue
        if item is None or type(item) in (bool, int, float):
            continue
        if type(item) in (tuple, list, dict) and len(item):
            if id(item) in seen:
                raise RecordError("a container that appears more than once (shared references)")
            seen.add(id(item))
        if type(item) in (tuple, list):
            stack.extend((x, depth + 1) for x in item)
            continue
        if type(item) is dict:
            for k, v in item.items():
                if type(k) is not str:
                    raise RecordError("a dict key that is not a string")
                stack.append((v, depth + 1))
            continue
        if type(item) is torch.Tensor:
            if item.layout != torch.strided or item.is_quantized or item.dtype not in _TENSOR_DTYPES:
                raise RecordError(f"a tensor of a kind sanitize never writes ({item.dtype}, {item.layout})")
            nbytes = item.numel() * item.element_size()
            claimed += nbytes
            if claimed > max_element_bytes:
                raise RecordError(f"its tensors claim more than {max_element_bytes:,} bytes")
            if item.storage_offset() != 0 or not item.is_contiguous():
                raise RecordError("a tensor that claims more elements than it stores (a strided view)")
            if item.untyped_storage().nbytes() != nbytes:
                raise RecordError("a tensor whose storage is not the size it claims")
            continue
        raise RecordError(f"an object of type {_type_name(item)}")


def _check_container(data: bytes, max_bytes: int) -> None:
    """The bytes must be the zip file :func:`dumps` writes, every member stored uncompressed
    (a compressed member could inflate to far more than the record's size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise RecordError(f"not a record file ({exc})") from None
    if len(members) > 100_000:
        raise RecordError("too many members")
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        raise RecordError("a compressed member (records are written uncompressed)")
    if sum(m.file_size for m in members) > max_bytes:
        raise RecordError(f"its members hold more than {max_bytes:,} bytes")
    if any(m.filename.endswith(".pkl") and m.file_size > MAX_RECORD_PICKLE for m in members):
        # unpickling costs far more than the bytes: bound it before it starts
        raise RecordError(f"its structure takes more than {MAX_RECORD_PICKLE:,} bytes")


def loads(data: bytes, max_bytes: int = MAX_RECORD_BYTES):
    """Read a record written by :func:`dumps`, admitting plain data within bounds only;
    anything else raises :class:`RecordError` before any value is computed on."""
    if len(data) > max_bytes:
        raise RecordError(f"record of {len(data):,} bytes exceeds the limit of {max_bytes:,}")
    _check_container(data, max_bytes)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except RecursionError:
        raise RecordError("nested too deeply to read") from None
    except Exception as exc:  # the unpickler refuses anything but tensors and plain containers
        raise RecordError(f"not readable as plain data ({type(exc).__name__}: {str(exc)[:200]})") from None
    check_bounds(obj)
    return obj
