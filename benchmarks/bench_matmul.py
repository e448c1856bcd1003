"""Dense float32 matrix-multiply throughput on the device in use (GFLOP/s = 2 n^3 / s)."""

from __future__ import annotations

import torch
from common import QUICK, emit, timed

from lecture_lib.runtime import get_device


def main() -> None:
    device = get_device()
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    sizes = [512] if QUICK else ([1024, 2048] if device.type == "cpu" else [4096, 8192])
    for n in sizes:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=gen).to(device)
        b = torch.randn(n, n, generator=gen).to(device)
        t = timed(lambda: a @ b, repeats=3 if QUICK else 10, warmup=2, sync=sync)
        emit(name="matmul", device=str(device), dtype="float32", n=n,
             threads=torch.get_num_threads(), gflops=2 * n**3 / t["seconds_median"] / 1e9,
             gflops_best=2 * n**3 / t["seconds_min"] / 1e9, **t)


if __name__ == "__main__":
    main()
