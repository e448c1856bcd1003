"""Minibatches from tensors that live on the device, moved there once.

MNIST is 47 MB as uint8 and fits on any GPU, so the lectures move the whole data set to
the device once and slice minibatches there, instead of a ``DataLoader`` that gathers 128
rows on the CPU and copies them over for every step (about 0.6 ms per batch on this CPU,
more than 10% of a VAE step).

    batches = Batches(x_train, y_train, batch_size=128, device=device, seed=0)
    for epoch in range(epochs):
        for xb, yb in batches:      # a fresh shuffle per epoch, reproducible from the seed
            ...

Defined in: unit 0.
"""

from __future__ import annotations

import math

import torch

__all__ = ["Batches"]


class Batches:
    """Iterate over shuffled minibatches of equally long tensors held on one device.

    Args:
        *tensors: tensors with the same first dimension N (e.g. images ``(N, 784)`` and
            labels ``(N,)``); moved to ``device`` once, here.
        batch_size: rows per batch.
        shuffle: draw a new permutation each epoch (else keep the order).
        drop_last: skip the final batch when it is smaller than ``batch_size``.
        device: where the tensors and batches live (default: where they already are).
        seed: seed of the shuffling generator; the permutation is drawn on the CPU, so a
            seed gives the same batches on every device.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, device: torch.device | str | None = None,
                 seed: int | None = 0):
        if not tensors:
            raise ValueError("Batches needs at least one tensor")
        n = tensors[0].shape[0]
        for t in tensors:
            if t.shape[0] != n:
                raise ValueError(f"all tensors need the same first dimension; got "
                                 f"{[tuple(t.shape) for t in tensors]}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.tensors = tuple(t.to(device) if device is not None else t for t in tensors)
        self.device = self.tensors[0].device
        self.n = n
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(seed)
        else:
            self.generator.seed()

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.n, generator=self.generator).to(self.device)
        else:
            order = None
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.n)
            if order is None:
                yield tuple(t[lo:hi] for t in self.tensors)
            else:
                # index_select, not t[idx]: the same rows, but advanced indexing takes about
                # four times as long on the CPU (300 vs 70 us for 128 MNIST rows).
                idx = order[lo:hi]
                yield tuple(t.index_select(0, idx) for t in self.tensors)
