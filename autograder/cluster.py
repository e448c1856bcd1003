"""The fan-out: one Dask task per submission, on this machine's cores or on a cluster.

``python -m autograder grade ... --cluster local`` (the default) starts a ``LocalCluster`` of
worker processes on 127.0.0.1, one thread and one ``sandbox`` slot each; ``--cluster
tcp://HOST:PORT`` (or ``DASK_SCHEDULER_ADDRESS``) uses a running scheduler whose workers have
the course installed and were started with ``--resources sandbox=1`` per worker process::

    dask scheduler --host 0.0.0.0 --port 8786
    dask worker tcp://HOST:8786 --nworkers 4 --nthreads 1 --resources sandbox=1   # on each machine

What travels: the task (:class:`autograder.grading.Job`) carries the submission's files as the
client read them, the source notebooks and the secret seeds the client drew; the result carries
the graded notebooks. So workers need no shared disk, and only the client writes the gradebook,
the CSV and ``autograded/``.

Two kinds of failure, treated differently:

- the machine's (:class:`~autograder.grading.InfrastructureError`: no working sandbox on the
  worker, a kernel that would not launch before any student code ran; or the worker process
  lost while grading) are retried, on whichever worker is free; if they persist the submission
  is reported ``not gradable: <reason>`` and nothing is written over its earlier grade;
- the student's (time-outs, crashes, wrong answers) are part of the result and never retried.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Fanout", "open_fanout", "INFRA_RETRIES", "WORKER_LOSSES"]

INFRA_RETRIES = 2      # an InfrastructureError is retried this many times
WORKER_LOSSES = 3      # a local scheduler gives up on a task after its worker died this many times
                       # (a running scheduler decides by its own distributed.scheduler.allowed-failures)


@dataclass
class Outcome:
    result: object | None      # the task's return value (a SubmissionResult), or None when not gradable
    not_gradable: str | None   # why, when result is None


@dataclass
class Fanout:
    """A Dask client with the conventions above; use :func:`open_fanout`."""
    client: object
    description: str   # for the console summary
    threads: int       # OMP/MKL threads for each kernel
    local: bool        # a LocalCluster on this machine (its workers share this machine's sandbox)

    def run(self, fn: Callable, jobs: dict[str, object]) -> Iterator[tuple[str, Outcome]]:
        """Submit ``fn(job)`` for every job; yield ``(name, Outcome)`` as each finishes."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        futures = {}
        for name, job in jobs.items():
            fut = self.client.submit(fn, job, key=f"grade-{secrets.token_hex(8)}", pure=False,
                                     resources={"sandbox": 1}, retries=INFRA_RETRIES)
            futures[fut] = name
        done = set()
        try:
            for fut in as_completed(list(futures)):
                name = futures[fut]
                done.add(fut)
                try:
                    yield name, Outcome(fut.result(), None)
                except FutureCancelledError:
                    yield name, Outcome(None, "the task was cancelled by the cluster")
                except Exception as exc:
                    yield name, Outcome(None, _why(exc))
                finally:
                    fut.release()
        except (OSError, TimeoutError) as exc:  # lost the scheduler: what is left cannot be graded
            for fut, name in futures.items():
                if fut not in done:
                    yield name, Outcome(None, f"lost contact with the Dask scheduler ({type(exc).__name__})")


def _why(exc: BaseException) -> str:
    from distributed.scheduler import KilledWorker

    from autograder.grading import InfrastructureError

    if isinstance(exc, KilledWorker):
        return "the worker grading it was lost again and again (killed, crashed or out of memory)"
    if isinstance(exc, InfrastructureError):
        return f"{exc} (tried {INFRA_RETRIES + 1} times)"
    return f"the cluster could not run it: {type(exc).__name__}: {str(exc)[:200]}"


def _cpu_count() -> int:
    return os.cpu_count() or 1


@contextlib.contextmanager
def open_fanout(cluster: str | None, workers: int | None, memory: int) -> Iterator[Fanout]:
    """``cluster``: ``"local"`` (a LocalCluster of ``workers`` processes, default one per core,
    each limited to ``memory`` bytes by its nanny), a scheduler address ``tcp://HOST:PORT``, or
    None (``DASK_SCHEDULER_ADDRESS`` when set, else local)."""
    import dask
    from distributed import Client

    cluster = cluster or os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip() or "local"
    if cluster == "local":
        from distributed import LocalCluster

        n = max(1, workers or _cpu_count())
        with dask.config.set({"distributed.scheduler.allowed-failures": WORKER_LOSSES - 1,
                              "distributed.admin.system-monitor.gil.enabled": False}):
            local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 resources={"sandbox": 1}, memory_limit=memory, dashboard_address=None,
                                 silence_logs=logging.ERROR)
            try:
                with Client(local) as client:
                    yield Fanout(client, f"{n} local worker{'s' if n != 1 else ''}",
                                 max(1, _cpu_count() // n), local=True)
            finally:
                local.close()
        return
    if "://" not in cluster:
        raise ValueError(f"--cluster {cluster!r}: use 'local' or a scheduler address such as tcp://HOST:8786")
    try:
        client = Client(cluster)  # waits distributed.comm.timeouts.connect (30 s by default)
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"no Dask scheduler answers at {cluster} ({exc})") from None
    try:
        info = client.scheduler_info(n_workers=-1)["workers"]
        slots = sum(int(w.get("resources", {}).get("sandbox", 0)) for w in info.values())
        if not slots:
            raise ValueError(f"the Dask cluster at {cluster} has no worker with a sandbox slot: start workers "
                             "with `dask worker ADDRESS --nthreads 1 --resources sandbox=1`")
        # kernel threads: the host's cores shared by its sandbox slots (the tightest host decides)
        cores = client.run(_cpu_count)
        per_host: dict[str, list[str]] = {}
        for addr, w in info.items():
            if w.get("resources", {}).get("sandbox"):
                per_host.setdefault(w.get("host", addr), []).append(addr)
        threads = min(max(1, cores.get(addrs[0], 1) // len(addrs)) for addrs in per_host.values())
        yield Fanout(client, f"Dask cluster {cluster} ({slots} sandbox slots on {len(per_host)} "
                             f"machine{'s' if len(per_host) != 1 else ''})", threads, local=False)
    finally:
        client.close()
