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
           "NotWrittenYet", "uses_your", "show_setting", "RUN_ALL"]

_TRUE = {"", "1", "true", "yes", "on"}     # unset: fast, the setting a laptop runs in minutes
_FALSE = {"0", "false", "no", "off"}


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
    """True unless ``COURSE_FAST=0`` asks for the full setting: fast is the default (students'
    ``make lab``, CI, ``make course``); ``make lab FULL=1`` / ``make course FULL=1`` set 0.

    Long runs in the lectures pick their size with :func:`by_mode`, so that every notebook
    runs in minutes on a laptop while ``COURSE_FAST=0`` trains to the figures the text quotes.
    """
    value = os.environ.get("COURSE_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST={value!r}: use 1 (fast) or 0 (full)")


#: How long Run All of each lecture takes on the course's development machine, a 2-core CPU (laptop
#: class): fast mode measured by ``make course`` (2026-12-07, nothing else running), full mode as
#: measured (``make course FULL=1 ONLY=<unit>``) or, where no whole run was timed, estimated from
#: its timed parts, and said so.
RUN_ALL = {
    "unit0_mnist": ("9 s", "about 1 minute (estimated: 5 epochs instead of 1)"),
    "unit1_autoencoders": ("36 s", "about 7 minutes (measured 2026-11-22)"),
    "unit2_vae": ("42 s", "about 2 minutes (107 s measured 2026-11-22)"),
    "unit3_reinforce": ("12 s", "about 2 minutes (100 s measured 2026-11-22)"),
    "unit4_policy_gradients": ("85 s", "over an hour (estimated from its parts: 25 CartPole runs of 150,000 steps "
                                       "with your agent, about 30 min, then 5 million steps of Pong, 28-67 min)"),
    "unit5_value_based": ("67 s", "about 15 minutes (estimated from its parts: 3 DQN seeds of 150,000 steps at "
                                  "about 150 s each, 5 actor-critic seeds at about 35 s)"),
    "unit6_gans_autoregressive": ("64 s", "about an hour (59 min measured 2026-12-08, other jobs sharing the cores)"),
}


def show_setting(notebook: str, device: torch.device | None = None) -> None:
    """Print, at the top of a lecture: the active setting, what a Run All costs in each
    setting, how to switch, and that Run All stops at the first unfinished exercise."""
    fast = fast_mode()
    times = RUN_ALL.get(notebook)
    print(f"setting:   {'fast' if fast else 'full'} (COURSE_FAST={'1' if fast else '0'}): "
          + ("short runs, every figure in minutes; numbers the text marks as full-mode come from longer, "
             "measured runs" if fast else "the long runs behind the figures the text quotes"))
    if times:
        print(f"Run All:   fast {times[0]}; full {times[1]} (a 2-core laptop-class CPU; a GPU is faster)")
    print("switch:    " + ("full: quit JupyterLab and start it with `make lab FULL=1` (or COURSE_FAST=0 in its "
                           "environment)" if fast else "fast: quit JupyterLab and start it with `make lab`")
          + "; then restart the kernel")
    if device is not None:
        print(f"device:    {describe_device(device)}")
    print("exercises: Run All stops at the first exercise you have not finished (its check says so); "
          "write it, run its cell, then go on")


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
