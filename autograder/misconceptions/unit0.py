"""Unit 0's known mistakes: a name, a one-line hint and an implementation that makes exactly that
mistake (see :class:`autograder.registry.Misconception`). Trusted side only."""

from __future__ import annotations

from autograder.misconceptions import mistakes
from autograder.registry import Misconception


def _flat(x):
    return x.reshape(x.shape[0], -1)


MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = {
    "unit0.images_to_vectors": mistakes(
        ("divides by 256", "the largest pixel value is 255: divide by 255", lambda x: _flat(x).float() / 256),
        ("integer division", "convert to float before dividing: // on integers stays an integer",
         lambda x: _flat(x) // 255),
        ("not flattened", "return one row of 784 values per image, shape (N, 784)", lambda x: x.float() / 255),
        ("flattens the batch too", "keep the batch dimension: reshape to (N, 784)",
         lambda x: x.reshape(-1).float() / 255),
        ("float64", "return float32 (Tensor.float()), not float64", lambda x: _flat(x).double() / 255),
        ("scales by the batch maximum", "divide by the fixed 255, not by the largest pixel in the batch",
         lambda x: _flat(x).float() / x.max()),
        ("standardizes", "scale to [0, 1] by dividing by 255; do not subtract the mean",
         lambda x: (_flat(x).float() - _flat(x).float().mean()) / _flat(x).float().std()),
        ("returns numpy", "return a torch.Tensor, not a numpy array", lambda x: _flat(x).cpu().numpy() / 255.0),
        ("returns a list", "return a torch.Tensor, not a list", lambda x: (_flat(x).float() / 255).tolist()),
        ("column-major flattening", "flatten row after row (reshape), not column after column",
         lambda x: x.transpose(1, 2).reshape(x.shape[0], -1).float() / 255),
        ("returns None", "return the result", lambda x: None),
    ),
}
