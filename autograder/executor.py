"""Running cells in a (sandboxed) kernel with time limits, bounded outputs and crash detection.

:class:`Kernel` starts a kernel from :func:`autograder.sandbox.kernel_argv` on ipc sockets in
a fresh folder that the grader creates for each start inside its own scratch folder (never
inside anything the kernel could have written before). When the grader runs as root, the
folder is root's with mode 0733 while the kernel (nobody) binds its sockets, then sealed to
0711 before any student code runs: the kernel can neither add files there nor replace the
sockets. The folder is removed (without following links) when the kernel is killed. A check's
record comes back on the kernel's output channel (:data:`RECORD_MIME` display messages,
at most ``MAX_RECORD_BYTES``), never through a file. A cell that runs past its limit is
interrupted (``interrupt_mode: message``); if it is still busy a few seconds later (a loop that
swallows ``KeyboardInterrupt``), the kernel and everything it started are killed. A kernel
that dies (``os._exit``, a segfault, the memory cgroup's OOM killer) is noticed within a second.
Outputs beyond ``max_output`` bytes per cell (or ``max_total_output`` per notebook) are dropped
and the cell says so. ZeroMQ bounds each frame of a message (64 MiB on iopub, 1 MiB on the
other channels), not a message's number of frames, so it cannot bound what a hostile kernel
makes the grader buffer: each grading worker runs under an address-space limit
(``Limits.grader_memory``) and a worker that dies is retried alone (:mod:`autograder.batch`).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio

from autograder.sandbox import Sandbox, kernel_argv
from autograder_kernel.collect import RECORD_MIME
from autograder_kernel.serialize import MAX_RECORD_BYTES

__all__ = ["Kernel", "CellResult", "KernelDied"]

MAX_MESSAGE = 64 * 2**20          # bytes of one output message (iopub)
SIDE_CHANNEL_MESSAGE = 2**20      # bytes of one message on the shell, stdin and control channels
SIDE_CHANNEL_QUEUE = 8            # messages queued there at most
INTERRUPT_GRACE = 5.0


_CWD_ON_PATH = "import sys as _s, os as _o\n_s.path.insert(0, _o.getcwd())\ndel _s, _o"


class KernelDied(RuntimeError):
    """The kernel died or could not start. ``infrastructure``: it failed before anything handed
    in could run (the machine, not the submission: the grader retries elsewhere)."""

    def __init__(self, message: str, infrastructure: bool = False):
        super().__init__(message)
        self.infrastructure = infrastructure


@dataclasses.dataclass
class CellResult:
    status: str                       # "ok", "error", "timeout", "dead"
    outputs: list = dataclasses.field(default_factory=list)
    error: tuple[str, str] | None = None   # (ename, evalue) of an error
    truncated: int = 0                # bytes of output dropped
    seconds: float = 0.0
    detail: str = ""                  # what happened, for timeouts and deaths
    record: bytes | None = None       # a check's record (capture_record=True), None if none came
    record_error: str = ""            # why the record was refused (too large, not base64)


class Kernel:
    def __init__(self, box: Sandbox, env: dict[str, str], max_output: int, cwd=None,
                 max_total_output: int | None = None):
        self.box = box
        self.cwd = str(cwd) if cwd is not None else None
        self.env = env
        self.max_output = max_output
        self.max_total_output = max_total_output   # over every cell this kernel object runs
        self.total_kept = 0
        self.km = None
        self.kc = None
        self.ctx = None
        self.sockets: Path | None = None

    async def start(self, timeout: float = 120.0) -> None:
        from jupyter_client.kernelspec import KernelSpec
        from jupyter_client.manager import AsyncKernelManager

        sealed = self.box.isolate and os.getuid() == 0
        self.sockets = self.box.scratch / f"s-{secrets.token_hex(4)}"
        self.sockets.mkdir(mode=0o700)
        if sealed:  # the kernel (nobody) may add its sockets until the grader seals the folder
            os.chmod(self.sockets, 0o733)
        cwd = self.cwd
        if cwd is None:
            cwd = "/" if self.box.isolate else str(self.box.prepare_unisolated())
        self.km = AsyncKernelManager(transport="ipc", ip=str(self.sockets / "k"))
        self.km.connection_file = str(self.sockets / "connection.json")
        self.km._kernel_spec = KernelSpec(argv=kernel_argv(self.box, self.sockets), display_name="autograder sandbox",
                                          language="python", interrupt_mode="message", env={}, metadata={})
        try:
            await self.km.start_kernel(env=self.env, cwd=cwd,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise KernelDied(f"the kernel could not be launched: {exc}", infrastructure=True) from None
        self.ctx = zmq.asyncio.Context()
        self.ctx.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        self.kc = self.km.client(context=self.ctx)
        _ = self.kc.iopub_channel  # made first: outputs and records need the large limit
        # the channels the grader never reads (execute replies, stdin, control) hold at most a
        # few small messages: a kernel that floods them cannot fill the grader's memory
        self.ctx.setsockopt(zmq.MAXMSGSIZE, SIDE_CHANNEL_MESSAGE)
        self.ctx.setsockopt(zmq.RCVHWM, SIDE_CHANNEL_QUEUE)
        self.kc.start_channels()
        try:
            await self.kc.wait_for_ready(timeout=timeout)
        except RuntimeError as exc:
            await self.kill()
            raise KernelDied(f"the kernel did not start: {exc}", infrastructure=True) from None
        if sealed:
            os.chmod(self.sockets, 0o711)
            info = self.km.get_connection_info()
            expected = {"connection.json"} | {f"k-{info[k]}" for k in info if k.endswith("_port")}
            extra = sorted(set(os.listdir(self.sockets)) - expected)
            if extra:  # written by code that ran at start-up: refuse the kernel
                await self.kill()
                raise KernelDied("the kernel's start-up wrote into its socket folder "
                                 f"({', '.join(n[:40] for n in extra[:3])}); it was stopped")
        # as with `python -m ipykernel_launcher` in Jupyter, files handed in next to the notebook are
        # importable; the kernel was started with -P so that none of them could run at start-up
        r = await self.run(_CWD_ON_PATH, timeout=60, keep_outputs=False, store_history=False)
        if r.status != "ok":
            await self.kill()
            raise KernelDied(f"the kernel did not get ready ({r.status}: {r.detail or r.error})")

    async def alive(self) -> bool:
        return self.km is not None and await self.km.is_alive()

    async def kill(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
        if self.km is not None:
            try:
                await self.km.shutdown_kernel(now=True)
            except Exception:
                pass
            try:
                await self.km.cleanup_resources()
            except Exception:
                pass
        if self.box.cgroups is not None:
            self.box.cgroups.kill_all()
        if self.ctx is not None:
            self.ctx.destroy(linger=0)
        if self.sockets is not None:  # a folder of ours; rmtree does not follow links out of it
            shutil.rmtree(self.sockets, ignore_errors=True)
        self.km = self.kc = self.ctx = self.sockets = None

    async def run(self, code: str, timeout: float, keep_outputs: bool = True,
                  store_history: bool = True, capture_record: bool = False) -> CellResult:
        start = time.monotonic()
        result = CellResult(status="ok")
        if not await self.alive():
            result.status, result.detail = "dead", "the kernel is not running"
            return result
        msg_id = self.kc.execute(code, store_history=store_history, allow_stdin=False, stop_on_error=False)
        deadline = start + max(0.1, timeout)
        kept = 0
        record = bytearray() if capture_record else None
        interrupted_at = None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now >= deadline:
                try:
                    await self.km.interrupt_kernel()
                except Exception:
                    pass
                interrupted_at = now
            if interrupted_at is not None and now >= interrupted_at + INTERRUPT_GRACE:
                await self.kill()
                result.status = "timeout"
                result.detail = (f"ran past the {timeout:.0f} s limit and ignored the interrupt; "
                                 "the kernel was killed")
                break
            try:
                msg = await self.kc.get_iopub_msg(timeout=0.5)
            except Exception:  # nothing yet, a refused oversized message, or a broken socket
                if not await self.alive():
                    await self.kill()
                    result.status = "dead"
                    result.detail = "the kernel died (killed for memory, os._exit, a crash...)"
                    break
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg.get("msg_type")
            content = msg.get("content", {})
            if kind == "status":
                if content.get("execution_state") == "idle":
                    break
                continue
            if kind == "error":
                result.status = "error"
                result.error = (str(content.get("ename", ""))[:200], str(content.get("evalue", ""))[:2000])
            if kind not in ("stream", "display_data", "execute_result", "error"):
                continue
            if record is not None and kind == "display_data" and RECORD_MIME in content.get("data", {}):
                if not result.record_error:
                    try:
                        record += base64.b64decode(content["data"][RECORD_MIME], validate=True)
                    except Exception:
                        result.record_error = "the record is not base64"
                    if len(record) > MAX_RECORD_BYTES:
                        result.record_error = f"the record exceeds {MAX_RECORD_BYTES:,} bytes"
                        record = bytearray(b"x")  # keep memory bounded; refused below
                continue
            if not keep_outputs:
                continue
            try:
                out = nbformat.v4.output_from_msg(msg)
                size = len(json.dumps(out))
            except Exception:
                continue
            if kept + size > self.max_output or (self.max_total_output is not None
                                                 and self.total_kept + size > self.max_total_output):
                result.truncated += size
                continue
            kept += size
            self.total_kept += size
            result.outputs.append(out)
        if interrupted_at is not None and result.status != "timeout":
            result.status = "timeout"
            result.detail = f"ran past the {timeout:.0f} s limit and was interrupted"
        if result.truncated:
            result.outputs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"\n[autograder: {result.truncated:,} bytes of output beyond the limits "
                     f"({self.max_output:,} bytes per cell"
                     + (f", {self.max_total_output:,} per notebook" if self.max_total_output else "")
                     + ") were dropped]\n"))
        if record is not None and not result.record_error and record:
            result.record = bytes(record)
        result.seconds = time.monotonic() - start
        return result
