"""Unit 0 (set-up): turning MNIST images into vectors.

Exercise ``unit0.images_to_vectors``: ``images_to_vectors(images)`` maps a uint8 tensor
``(N, 28, 28)`` of pixel values 0..255 to a float32 tensor ``(N, 784)`` with values
``pixel / 255`` in [0, 1], on the input's device. Reference:
:func:`lecture_lib.data.images_to_vectors`.

Mistakes this check must reject (tests/test_checks.py shows each one failing):

- dividing by 256 (or by anything but 255);
- integer division ``images // 255`` (uint8 0/1 result);
- forgetting to flatten (shape ``(N, 28, 28)``) or flattening everything (shape ``(N*784,)``);
- returning float64 (``images.double() / 255``, or via NumPy);
- scaling by the batch's own maximum (right on typical batches, wrong on faint images,
  NaN on blank ones), or standardizing instead of scaling;
- returning a NumPy array or a list instead of a tensor.
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors
from autograder.alternatives.unit0 import ALTERNATIVES
from autograder.misconceptions.unit0 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from lecture_lib.data import images_to_vectors


def _random_images(gen: torch.Generator, n: int, high: int = 256) -> torch.Tensor:
    return torch.randint(0, high, (n, 28, 28), generator=gen, dtype=torch.uint8)


def _digit_like(gen: torch.Generator, n: int) -> torch.Tensor:
    """Mostly-black images with a bright blob, like digits (and with max 255)."""
    x = torch.zeros(n, 28, 28, dtype=torch.uint8)
    for i in range(n):
        r, c = torch.randint(4, 20, (2,), generator=gen).tolist()
        x[i, r:r + 8, c:c + 4] = torch.randint(100, 256, (8, 4), generator=gen, dtype=torch.uint8)
        x[i, r, c] = 255
    return x


def make_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [
        Case((_digit_like(gen, 3),), note="3 digit-like images"),
        Case((_random_images(gen, 1),), note="a single random image"),
        Case((_random_images(gen, 5),), note="5 random images"),
    ]
    if hidden:
        cases += [
            Case((_random_images(gen, 64),), note="a batch of 64 random images"),
            Case((_random_images(gen, 4, high=101),), note="faint images, pixel values 0..100"),
            Case((torch.zeros(2, 28, 28, dtype=torch.uint8),), note="blank (all-zero) images"),
            Case((torch.full((2, 28, 28), 255, dtype=torch.uint8),), note="all-white images"),
            Case((_digit_like(gen, 17),), note="17 digit-like images"),
        ]
    return cases


def compare(case: Case, expected: torch.Tensor, got) -> str | None:
    return compare_tensors(expected, got, name="the output", rtol=1e-6, atol=1e-7)


IMAGES_TO_VECTORS = Exercise(
    id="unit0.images_to_vectors",
    misconceptions=MISCONCEPTIONS["unit0.images_to_vectors"],
    alternatives=tuple(ALTERNATIVES["unit0.images_to_vectors"]),
    withholds=('lecture_lib.data.images_to_vectors',),
    signature="images_to_vectors(images: uint8 (N, 28, 28), values 0..255) -> float32 (N, 784), "
              "values pixel / 255, on the input's device",
    reference=images_to_vectors,
    make_cases=make_cases,
    compare=compare,
)


EXERCISES = (IMAGES_TO_VECTORS,)
