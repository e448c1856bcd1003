"""Where the course's code runs and how reproducible it is: device, seeds, fast mode.

Every notebook starts with::

    from lecture_lib import get_device, seed_everything, fast_mode
    device = get_device()       # CUDA when present, else CPU; COURSE_DEVICE overrides
    seed_everything(0)          # python, numpy and torch (all devices)

Defined in: unit 0 ("the device in use").
"""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch

__all__ = ["get_device", "describe_device", "seed_everything", "fast_mode", "by_mode", "randn", "rand",
           "NotWrittenYet", "uses_your"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def get_device(name: str | None = None) -> torch.device:
    """The one place that chooses the device.

    Order: the ``name`` argument, else the ``COURSE_DEVICE`` environment variable (e.g.
    ``cpu``, ``cuda``, ``cuda:1``, ``mps``), else ``cuda`` when available, else ``cpu``.
    Asking for a device that this machine does not have is an error, not a silent fallback.
    """
    requested = name if name is not None else os.environ.get("COURSE_DEVICE", "").strip()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"COURSE_DEVICE={requested!r} is not a device name torch knows "
            "(use e.g. 'cpu', 'cuda' or 'cuda:0')") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device {requested!r} was requested but CUDA is not available here "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); "
                "unset COURSE_DEVICE to use the CPU")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device {requested!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) exist")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(f"device {requested!r} was requested but MPS is not available")
    return device


def describe_device(device: torch.device | None = None) -> str:
    """One line naming the device, for the top of each notebook."""
    device = device or get_device()
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return (f"cuda:{device.index or 0} ({props.name}, "
                f"{props.total_memory / 2**30:.0f} GiB), torch {torch.__version__}")
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads), torch {torch.__version__}"
    return f"{device}, torch {torch.__version__}"


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and all GPUs).

    Returns a fresh CPU ``torch.Generator`` seeded with ``seed``, for code that prefers an
    explicit generator (e.g. shuffling in :class:`lecture_lib.batches.Batches`).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def fast_mode() -> bool:
    """True when ``COURSE_FAST`` asks for the quick setting (CI, ``make course``).

    Long runs in the lectures pick their size with :func:`by_mode`, so that CI executes
    every notebook in minutes while ``COURSE_FAST=0`` trains to the figures the text quotes.
    """
    value = os.environ.get("COURSE_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST={value!r}: use 1 (fast) or 0 (full)")


def by_mode(*, fast, full):
    """``fast`` in fast mode, ``full`` otherwise: ``epochs = by_mode(fast=1, full=10)``."""
    return fast if fast_mode() else full


def randn(shape, *, generator: torch.Generator | None = None, device=None,
          dtype: torch.dtype | None = None) -> torch.Tensor:
    """Standard normal noise of ``shape`` on ``device``, drawn from ``generator`` if given.

    A seeded CPU generator (as :func:`seed_everything` returns) works for any device: the
    noise is then drawn on the CPU and moved, so a seed gives the same numbers on a GPU.
    """
    return _draw(torch.randn, shape, generator, device, dtype)


def rand(shape, *, generator: torch.Generator | None = None, device=None,
         dtype: torch.dtype | None = None) -> torch.Tensor:
    """Uniform [0, 1) noise, with the same generator/device rules as :func:`randn`."""
    return _draw(torch.rand, shape, generator, device, dtype)


def _draw(fn, shape, generator, device, dtype):
    device = torch.device(device) if device is not None else torch.device("cpu")
    if generator is not None and generator.device.type != device.type:
        return fn(shape, generator=generator, dtype=dtype, device=generator.device).to(device)
    return fn(shape, generator=generator, device=device, dtype=dtype)


class NotWrittenYet(Exception):
    """A demo cell needs a function the student has not written yet. Jupyter shows only the
    message (``_render_traceback_``), not a traceback into the stub."""

    def _render_traceback_(self) -> list[str]:
        return [f"NotWrittenYet: {self}"]


@contextlib.contextmanager
def uses_your(*names: str):
    """Wrap a demo that runs the student's functions::

        with uses_your("vae_train_step"):
            history = train(...)

    A stub's ``NotImplementedError`` becomes one clear :class:`NotWrittenYet` message naming
    the functions to write first; every other error passes through unchanged.
    """
    try:
        yield
    except NotImplementedError as exc:
        listed = ", ".join(f"`{n}`" for n in names) or "your functions"
        raise NotWrittenYet(
            f"this cell runs {listed} (yours, from the exercise{'s' if len(names) > 1 else ''} above), "
            "which is not written yet: write it, run its cell, then run this one again"
            + (f" ({exc})" if str(exc) else "")) from None
