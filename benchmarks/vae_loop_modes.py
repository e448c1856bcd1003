"""One way of training unit 2's VAE for 2 epochs, in a process of its own; prints the training
part's examples/s as one JSON line. For side-by-side comparisons on a noisy machine: run two
modes alternately (A B A B ...), several pairs, and quote the median of the pairwise ratios.

    .venv/bin/python benchmarks/vae_loop_modes.py loop        # lecture_lib.train over Batches
    .venv/bin/python benchmarks/vae_loop_modes.py loop bar    # the same with the progress bar
    .venv/bin/python benchmarks/vae_loop_modes.py bare        # forward + backward + Adam on pre-cut batches
    .venv/bin/python benchmarks/vae_loop_modes.py reference   # DataLoader over TensorDataset, loss.item() per step

(``make bench ONLY=vae`` measures all three in one process; this script separates them.)
"""

from __future__ import annotations

import json
import sys
import time

import torch
from common import emit  # noqa: F401  (puts the repository on sys.path)

import bench_vae
from lecture_lib import Batches, images_to_vectors, load_mnist, seed_everything, train
from lecture_lib.vae import VAE


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("loop", "bare", "reference"):
        raise SystemExit(f"usage: vae_loop_modes.py loop [bar] | bare | reference (got {mode!r})")
    x = images_to_vectors(load_mnist("train")[0])
    per_epoch = len(x) // 128
    if mode == "bare":
        seed_everything(1)
        model = VAE()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        batches = list(x[: per_epoch * 128].split(128)) * 2
        t0 = time.perf_counter()
        for xb in batches:
            loss = model.loss(xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        rate = len(batches) * 128 / (time.perf_counter() - t0)
    elif mode == "loop":
        seed_everything(0)
        model = VAE()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        history = train(lambda xb: model.loss(xb), opt, Batches(x, batch_size=128, seed=0), 2, model=model,
                        progress=sys.argv[2:] == ["bar"])
        rate = history.examples_per_second
    else:
        rate = bench_vae.reference_script_throughput(x, 2 * per_epoch, torch.device("cpu"))
    print(json.dumps({"mode": " ".join(sys.argv[1:]), "ex_per_s": rate}))


if __name__ == "__main__":
    main()
