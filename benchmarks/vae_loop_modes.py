"""One way of training unit 2's VAE for 2 epochs, in a process of its own; prints the training
part's examples/s as one JSON line. For side-by-side comparisons on a noisy machine: run two
modes alternately (A B A B ...), several pairs, and quote the median of the pairwise ratios.

    .venv/bin/python benchmarks/vae_loop_modes.py loop          # lecture_lib.train over Batches, Adam(fused=True)
    .venv/bin/python benchmarks/vae_loop_modes.py loop bar      # the same with the progress bar
    .venv/bin/python benchmarks/vae_loop_modes.py bare          # bench_vae.bare_throughput: forward + backward +
                                                                # Adam(fused=True) on pre-cut batches, one epoch
    .venv/bin/python benchmarks/vae_loop_modes.py bare default  # the same bare step with PyTorch's default Adam
    .venv/bin/python benchmarks/vae_loop_modes.py reference     # DataLoader over TensorDataset, loss.item() per
                                                                # step, default Adam (the well-known example)

    .venv/bin/python benchmarks/vae_loop_modes.py pairs 5       # loop bar, bare, bare default, reference in turn,
                                                                # 5 times, each in its own process; medians of the ratios

(``make bench ONLY=vae`` measures all three in one process; this script separates them.)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import torch
from common import emit  # noqa: F401  (puts the repository on sys.path)

import bench_vae
from lecture_lib import Batches, images_to_vectors, load_mnist, seed_everything, train
from lecture_lib.vae import VAE


def pairs(n: int) -> None:
    """Run ``loop bar``, ``bare``, ``bare default`` and ``reference`` in turn, ``n`` times, each
    in a fresh process; print every run's line, then the median and range of the loop's ratio to
    each of the others over the ``n`` rounds (one JSON line)."""
    rates: dict[str, list[float]] = {"loop bar": [], "bare": [], "bare default": [], "reference": []}
    for _ in range(n):
        for mode in rates:
            out = subprocess.run([sys.executable, __file__, *mode.split()], capture_output=True, text=True,
                                 check=True).stdout
            line = out.strip().splitlines()[-1]
            print(line, flush=True)
            rates[mode].append(json.loads(line)["ex_per_s"])
    summary = {}
    for other in ("bare", "bare default", "reference"):
        ratios = [a / b for a, b in zip(rates["loop bar"], rates[other])]
        summary[f"loop/{other}"] = {"median": round(statistics.median(ratios), 3),
                                    "min": round(min(ratios), 3), "max": round(max(ratios), 3)}
    print(json.dumps({"pairs": n, **summary}))


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "pairs":
        pairs(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
        return
    if mode not in ("loop", "bare", "reference"):
        raise SystemExit(f"usage: vae_loop_modes.py loop [bar] | bare [default] | reference | pairs [N] (got {mode!r})")
    x = images_to_vectors(load_mnist("train")[0])
    per_epoch = len(x) // 128
    if mode == "bare":
        rate = bench_vae.bare_throughput(x, per_epoch, torch.device("cpu"),   # one epoch after a warm-up
                                         fused=sys.argv[2:] != ["default"])
    elif mode == "loop":
        seed_everything(0)
        model = VAE()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        history = train(lambda xb: model.loss(xb), opt, Batches(x, batch_size=128, seed=0), 2, model=model,
                        progress=sys.argv[2:] == ["bar"])
        rate = history.examples_per_second
    else:
        rate = bench_vae.reference_script_throughput(x, 2 * per_epoch, torch.device("cpu"))
    print(json.dumps({"mode": " ".join(sys.argv[1:]), "ex_per_s": rate}))


if __name__ == "__main__":
    main()
