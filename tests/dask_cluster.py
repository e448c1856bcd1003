"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1,
started as an instructor would start them on several machines, and stopped after."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from autograder.notebooks import REPO_ROOT
from cli_helpers import stop_process_group

DASK = str(Path(sys.executable).parent / "dask")


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what} within {timeout:.0f} s")


class Cluster:
    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__GIL__ENABLED": "False", **(env or {})}
        self.scheduler_file = folder / "scheduler.json"
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}

    def _popen(self, args: list[str], log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        out = open(self.folder / log, "wb")
        return subprocess.Popen(args, cwd=REPO_ROOT, env=env or self.env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    @property
    def address(self) -> str:
        return json.loads(self.scheduler_file.read_text())["address"]

    def start_scheduler(self) -> None:
        self.scheduler = self._popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard", "--scheduler-file", str(self.scheduler_file)],
                                     "scheduler.log")
        _wait_for(lambda: self.scheduler_file.exists() and self.scheduler_file.stat().st_size, 60,
                  "the scheduler did not write its address")

    def start_worker(self, name: str, env: dict[str, str] | None = None) -> None:
        self.workers[name] = self._popen(
            [DASK, "worker", self.address, "--name", name, "--nworkers", "1", "--nthreads", "1",
             "--resources", "sandbox=1", "--no-dashboard", "--host", "127.0.0.1"],
            f"worker-{name}.log", env=None if env is None else {**self.env, **env})

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=120)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.folder.glob("*.log")))

    def stop(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc is not None and proc.poll() is None:
                stop_process_group(proc, timeout=20)


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, worker_env: dict[str, str] | None = None):
    """A scheduler and ``workers`` single-slot workers named ``w0``, ``w1``, ...; stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(folder)
    try:
        cluster.start_scheduler()
        for i in range(workers):
            cluster.start_worker(f"w{i}", env=worker_env)
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()
