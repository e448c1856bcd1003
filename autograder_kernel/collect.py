"""Running a student's function on a check's inputs and recording what it returned.

:func:`collect_cases` calls the function on every case and returns a *record* of plain data
(the inputs, the outputs or the exception raised, the outputs' devices). It is used by the
student's own ``autograder.check`` in JupyterLab and, during trusted grading, inside the
sandboxed kernel through :func:`collect_and_send`: the grader writes the inputs it drew to a
read-only folder, the kernel runs the student's function on them and sends the record back
on the kernel's own output channel (display messages of type :data:`RECORD_MIME`, base64
chunks), so the grader never reads a file the kernel could have written. Nothing here
decides a score: student code that patches this module can only change what the record
claims its function returned, and the judge (outside the sandbox) checks the record.
"""

from __future__ import annotations

import base64
import traceback

import torch

from autograder_kernel.cases import Case
from autograder_kernel.runners import resolve
from autograder_kernel.serialize import dumps, loads, sanitize

__all__ = ["collect_cases", "collect_and_send", "error_record", "to_device", "resolved_device",
           "RECORD_VERSION", "RECORD_MIME", "CHUNK_BYTES"]

RECORD_VERSION = 1
RECORD_MIME = "application/x-autograder-record"
CHUNK_BYTES = 4 * 2**20   # raw bytes per display message (base64 makes it a third larger)
_OUR_CODE = ("/autograder/", "/autograder_kernel/")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device, copy=True)
    if isinstance(obj, tuple):
        return tuple(to_device(x, device) for x in obj)
    if isinstance(obj, list):
        return [to_device(x, device) for x in obj]
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def resolved_device(device: torch.device) -> torch.device:
    """``cuda`` -> ``cuda:<current>`` (``mps`` -> ``mps:0``, ...): the name tensors report."""
    if device.index is None and device.type != "cpu":
        return torch.empty(0, device=device).device
    return device


def error_record(exc: BaseException) -> dict:
    """The exception, with the line of the student's code it came from (no test source)."""
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        user = [f for f in frames if not any(p in f.filename.replace("\\", "/") for p in _OUR_CODE)]
        where = ""
        if user:
            f = user[-1]
            where = f"line {f.lineno}" + (f": {f.line.strip()}" if f.line else "")
    except Exception:
        where = ""
    try:
        message = str(exc)
    except Exception:
        message = "<the exception could not be printed>"
    return {"type": type(exc).__name__[:200], "message": message[:2000], "where": where[:500]}


def collect_cases(exercise_id: str, suite: str, fn, cases, run, device) -> dict:
    """Run ``fn`` through the runner ``run`` on each :class:`Case` (copied to ``device``);
    return the record (plain data, CPU tensors)."""
    device = resolved_device(torch.device(device))
    results = []
    for case in cases:
        on_device = Case(to_device(case.args, device), to_device(case.kwargs, device), case.note)
        devices: list[str] = []
        output, error = None, None
        try:
            output = sanitize(run(fn, on_device), devices)
        except Exception as exc:  # the student's bug, reported with the case
            error, devices = error_record(exc), []
        results.append({"args": sanitize(case.args), "kwargs": sanitize(case.kwargs), "output": output, "error": error,
                        "output_devices": devices, "changed_inputs": changed_inputs(case, on_device)})
    return {"version": RECORD_VERSION, "exercise": exercise_id, "suite": suite,
            "device": str(device), "function": function_name(fn), "cases": results}


def _equal(a, b) -> bool:
    """Exact equality of inputs (NaN equal to NaN), structure included."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        a, b = a.detach().cpu(), b.detach().cpu()
        if a.dtype.is_floating_point or a.dtype.is_complex:
            return bool(((a == b) | (a.isnan() & b.isnan())).all())
        return bool(torch.equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return True   # numbers, strings and objects are passed as they are: nothing to corrupt in a copy


def changed_inputs(original: Case, passed: Case) -> list[str]:
    """Which arguments the call changed in place: ``"1"``, ``"2"``, ... (1-based positions) and
    keyword names, comparing the inputs passed (after the call) with the case's originals."""
    try:
        changed = [str(i) for i, (a, b) in enumerate(zip(original.args, passed.args), 1) if not _equal(a, b)]
        return changed + [k for k in original.kwargs if k in passed.kwargs and not _equal(original.kwargs[k], passed.kwargs[k])]
    except Exception:   # an input the student's code replaced by something unreadable: changed
        return ["?"]


def function_name(fn) -> str | None:
    """The name the student's function is bound to in the notebook (``def name``), for advice
    that runs verbatim; None for a lambda, a partial or anything without a plain name."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() and len(name) <= 80 else None


def _send(data: bytes) -> None:
    from IPython.display import publish_display_data

    chunks = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    for chunk in chunks:
        publish_display_data({RECORD_MIME: base64.b64encode(chunk).decode("ascii")})


def collect_and_send(exercise_id: str, get_fn, suite: str, cases_path: str) -> None:
    """What the grader runs in the sandboxed kernel for one check: read the cases file the
    grader wrote (``{"cases": [(args, kwargs, note)], "runner": spec}``), call the student's
    function (``get_fn()``) on them and send the record."""
    from lecture_lib.runtime import get_device

    with open(cases_path, "rb") as f:
        raw = loads(f.read())
    cases = [Case(tuple(args), dict(kwargs), str(note)) for args, kwargs, note in raw["cases"]]
    device = get_device()
    try:
        fn = get_fn()
        if not callable(fn):
            raise TypeError(f"check({exercise_id!r}, ...) needs your function, got a "
                            f"{type(fn).__name__}")
        record = collect_cases(exercise_id, suite, fn, cases, resolve(tuple(raw["runner"])), device)
    except Exception as exc:  # the function is missing or not callable: every case fails
        record = failed_record(exercise_id, suite, str(device), cases, exc)
    _send(dumps(record))


def failed_record(exercise_id: str, suite: str, device: str, cases: list[Case], exc: BaseException) -> dict:
    """The record of a check whose function could not even be called (not defined: its cell
    failed or was deleted; not callable): every case has the error, each its own copy (the
    record must not name one container twice, or the grader refuses it as forged)."""
    error = error_record(exc)
    error["where"] = ""   # the grader's own call line: nothing of the student's to point at
    if isinstance(exc, NameError):
        error["message"] = (f"{error['message']}: the cell that defines it did not run to the end (see its "
                            "output) or was deleted")[:2000]
    return {"version": RECORD_VERSION, "exercise": exercise_id, "suite": suite, "device": device,
            "cases": [{"args": c.args, "kwargs": c.kwargs, "output": None, "error": dict(error),
                       "output_devices": []} for c in cases]}
