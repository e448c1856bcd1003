"""Running cells in a (sandboxed) kernel with time limits, bounded outputs and crash detection.

:class:`Kernel` starts a kernel from :func:`autograder.sandbox.kernel_argv` on ipc sockets in
the submission's private folder and runs one cell at a time. A cell that runs past its limit is
interrupted (``interrupt_mode: message``); if it is still busy a few seconds later (a loop that
swallows ``KeyboardInterrupt``), the kernel and everything it started are killed. A kernel
that dies (``os._exit``, a segfault, the memory cgroup's OOM killer) is noticed within a second.
Outputs beyond ``max_output`` bytes per cell are dropped and the cell says so; messages larger
than 64 MiB are refused by the socket itself.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time

import nbformat
import zmq
import zmq.asyncio

from autograder.sandbox import Sandbox, kernel_argv

__all__ = ["Kernel", "CellResult", "KernelDied"]

MAX_MESSAGE = 64 * 2**20
INTERRUPT_GRACE = 5.0


class KernelDied(RuntimeError):
    pass


@dataclasses.dataclass
class CellResult:
    status: str                       # "ok", "error", "timeout", "dead"
    outputs: list = dataclasses.field(default_factory=list)
    error: tuple[str, str] | None = None   # (ename, evalue) of an error
    truncated: int = 0                # bytes of output dropped
    seconds: float = 0.0
    detail: str = ""                  # what happened, for timeouts and deaths


class Kernel:
    def __init__(self, box: Sandbox, env: dict[str, str], max_output: int, cwd=None):
        self.box = box
        self.cwd = str(cwd or box.workdir)
        self.env = env
        self.max_output = max_output
        self.km = None
        self.kc = None
        self.ctx = None

    async def start(self, timeout: float = 120.0) -> None:
        from jupyter_client.kernelspec import KernelSpec
        from jupyter_client.manager import AsyncKernelManager

        sockets = self.box.workdir / ".kernel"
        sockets.mkdir(exist_ok=True)
        for old in sockets.iterdir():
            old.unlink()
        self.km = AsyncKernelManager(transport="ipc", ip=str(sockets / "k"))
        self.km.connection_file = str(sockets / "connection.json")
        self.km._kernel_spec = KernelSpec(argv=kernel_argv(self.box), display_name="autograder sandbox",
                                          language="python", interrupt_mode="message", env={}, metadata={})
        await self.km.start_kernel(env=self.env, cwd=self.cwd,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ctx = zmq.asyncio.Context()
        self.ctx.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        self.kc = self.km.client(context=self.ctx)
        self.kc.start_channels()
        try:
            await self.kc.wait_for_ready(timeout=timeout)
        except RuntimeError as exc:
            await self.kill()
            raise KernelDied(f"the kernel did not start: {exc}") from None

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
        self.km = self.kc = self.ctx = None

    async def run(self, code: str, timeout: float, keep_outputs: bool = True,
                  store_history: bool = True) -> CellResult:
        start = time.monotonic()
        result = CellResult(status="ok")
        if not await self.alive():
            result.status, result.detail = "dead", "the kernel is not running"
            return result
        msg_id = self.kc.execute(code, store_history=store_history, allow_stdin=False, stop_on_error=False)
        deadline = start + max(0.1, timeout)
        kept = 0
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
            if not keep_outputs:
                continue
            try:
                out = nbformat.v4.output_from_msg(msg)
                size = len(json.dumps(out))
            except Exception:
                continue
            if kept + size > self.max_output:
                result.truncated += size
                continue
            kept += size
            result.outputs.append(out)
        if interrupted_at is not None and result.status != "timeout":
            result.status = "timeout"
            result.detail = f"ran past the {timeout:.0f} s limit and was interrupted"
        if result.truncated:
            result.outputs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"\n[autograder: {result.truncated:,} bytes of output beyond the "
                     f"{self.max_output:,}-byte limit per cell were dropped]\n"))
        result.seconds = time.monotonic() - start
        return result
