"""lecture_lib core: device choice, seeds, fast mode, device batches, the training loop, plots."""

from __future__ import annotations

import random

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from lecture_lib import Batches, by_mode, fast_mode, get_device, image_grid, seed_everything, show_images, train
from lecture_lib.plotting import plot_curves
from lecture_lib.runtime import describe_device
from lecture_lib.train import progress_enabled

matplotlib.use("Agg")


# ------------------------------------------------------------------ device, seed, mode

def test_default_device_is_cuda_when_available(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected


def test_course_device_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")
    assert "cpu" in describe_device(torch.device("cpu"))


def test_unknown_or_missing_device_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu-please")
    with pytest.raises(ValueError, match="COURSE_DEVICE='tpu-please'"):
        get_device()
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    if torch.cuda.is_available():
        assert get_device().type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            get_device()


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()

    seed_everything(123)
    first = draw()
    gen1 = seed_everything(123)
    assert draw() == first
    assert torch.rand(2, generator=gen1).tolist() == torch.rand(2, generator=torch.Generator().manual_seed(123)).tolist()
    with pytest.raises(ValueError):
        seed_everything(-1)


@pytest.mark.parametrize("value,fast", [("1", True), ("true", True), ("0", False), ("", True), (None, True)])
def test_fast_mode_and_by_mode(monkeypatch, value, fast):
    """Fast is the default (unset or empty): what a student's laptop runs; COURSE_FAST=0 is full."""
    if value is None:
        monkeypatch.delenv("COURSE_FAST", raising=False)
    else:
        monkeypatch.setenv("COURSE_FAST", value)
    assert fast_mode() is fast
    assert by_mode(fast="f", full="F") == ("f" if fast else "F")


@pytest.mark.parametrize("value", ["1", "0"])
def test_every_notebook_says_its_setting_and_costs(monkeypatch, capsys, value):
    """show_setting (the first cell of every lecture) prints the active setting, Run All's cost in
    both settings, how to switch and that Run All stops at the first unfinished exercise; every
    lecture has its costs listed and calls it in its first code cell."""
    import nbformat

    from autograder.notebooks import SOLUTIONS, assignments
    from lecture_lib.runtime import RUN_ALL, show_setting

    assert set(RUN_ALL) == set(assignments())
    monkeypatch.setenv("COURSE_FAST", value)
    for name in assignments():
        show_setting(name, torch.device("cpu"))
        out = capsys.readouterr().out
        assert out.startswith(f"setting:   {'fast' if value == '1' else 'full'} (COURSE_FAST={value})")
        assert f"Run All:   fast {RUN_ALL[name][0]}; full {RUN_ALL[name][1]}" in out
        assert ("make lab FULL=1" if value == "1" else "`make lab`") in out
        assert "Run All stops at the first exercise you have not finished" in out and "device:    cpu" in out
        nb = nbformat.read(SOLUTIONS / name / f"{name}.ipynb", as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert f'show_setting("{name}"' in first.source, name


def test_fast_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        fast_mode()


# ------------------------------------------------------------------ batches

def test_batches_cover_every_row_once_per_epoch_and_reshuffle():
    x = torch.arange(10).float().unsqueeze(1)
    y = torch.arange(10)
    batches = Batches(x, y, batch_size=4, seed=0)
    assert len(batches) == 3
    epochs = []
    for _ in range(2):
        seen = []
        for xb, yb in batches:
            assert torch.equal(xb[:, 0].long(), yb)  # rows stay aligned across tensors
            seen += yb.tolist()
        assert sorted(seen) == list(range(10))
        epochs.append(seen)
    assert epochs[0] != epochs[1], "a new permutation each epoch"
    again = [yb.tolist() for _, yb in Batches(x, y, batch_size=4, seed=0)]
    assert sum(again, []) == epochs[0], "the same seed gives the same batches"


def test_batches_drop_last_no_shuffle_and_device():
    x = torch.arange(10)
    batches = Batches(x, batch_size=4, shuffle=False, drop_last=True, device=get_device())
    out = [b[0].tolist() for b in batches]
    assert out == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(batches) == 2
    assert batches.tensors[0].device.type == get_device().type


def test_batches_reject_bad_input():
    with pytest.raises(ValueError, match="same first dimension"):
        Batches(torch.zeros(3), torch.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        Batches(torch.zeros(3), batch_size=0)


# ------------------------------------------------------------------ training loop

@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return torch.tensor(d.data, dtype=torch.float32) / 16, torch.tensor(d.target)


def test_train_learns_and_records_history(digits):
    x, y = digits
    seed_everything(0)
    device = get_device()
    model = torch.nn.Linear(64, 10).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xd, yd = x.to(device), y.to(device)
    batches = Batches(xd, yd, batch_size=64)

    def acc():
        return {"acc": (model(xd).argmax(1) == yd).float().mean()}

    history = train(lambda xb, yb: F.cross_entropy(model(xb), yb), opt, batches, epochs=5,
                    model=model, eval_fn=acc, progress=False)
    assert len(history.step_loss) == history.steps == 5 * len(batches)
    assert len(history.epoch_loss) == len(history.metrics) == 5
    assert history.examples == 5 * len(x)
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    assert history.metric("acc")[-1] > 0.9 and isinstance(history.metric("acc")[0], float)
    assert history.examples_per_second > 0
    assert model.training, "train() mode is restored after evaluation"
    assert abs(np.mean(history.step_loss[: len(batches)]) - history.epoch_loss[0]) < 1e-6


def test_train_is_reproducible(digits):
    x, y = digits

    def run():
        seed_everything(1)
        model = torch.nn.Linear(64, 10)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return train(lambda xb, yb: F.cross_entropy(model(xb), yb), opt,
                     Batches(x, y, batch_size=100, seed=1), epochs=2, progress=False).step_loss

    assert run() == run()


def test_train_rejects_non_scalar_loss(digits):
    x, y = digits
    model = torch.nn.Linear(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        train(lambda xb, yb: F.cross_entropy(model(xb), yb, reduction="none"), opt,
              Batches(x, y, batch_size=100), progress=False)


def test_train_progress_bar_shows_loss(digits, capsys):
    x, y = digits
    model = torch.nn.Linear(64, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train(lambda xb, yb: F.cross_entropy(model(xb), yb), opt, Batches(x, y, batch_size=100),
          epochs=1, progress=True, desc="digits", log_every=5)
    err = capsys.readouterr().err
    assert "digits" in err and "loss=" in err and "18/18" in err


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert not progress_enabled()
    assert progress_enabled(True)
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    assert progress_enabled()


def test_image_grid_layout():
    imgs = torch.zeros(7, 28, 28, dtype=torch.uint8)
    imgs[3] = 255
    grid = image_grid(imgs, ncols=3, pad=1)
    assert grid.shape == (3 * 29 - 1, 3 * 29 - 1)
    assert grid[29:57, 0:28].eq(1.0).all()   # image 3 sits at row 1, column 0, scaled to 1
    assert grid[0:28, 0:28].eq(0.0).all()
    assert image_grid(torch.rand(4, 784), ncols=4).shape == (28, 4 * 29 - 1)
    with pytest.raises(ValueError, match="not a square"):
        image_grid(torch.rand(2, 10))


def test_show_images_and_curves_make_figures():
    fig = show_images(torch.rand(12, 28, 28), ncols=6, title="t")
    assert len(fig.axes) == 1
    fig = show_images(torch.rand(5, 784) - 0.5, labels=list("abcde"), ncols=5)
    assert [ax.get_title() for ax in fig.axes] == list("abcde")
    with pytest.raises(ValueError, match="labels"):
        show_images(torch.rand(3, 28, 28), labels=[1, 2])
    fig = plot_curves({"a": [3, 2, 1], "b": ([1, 2], [0.5, 0.4])}, ylabel="loss", title="x")
    assert fig.axes[0].get_ylabel() == "loss" and len(fig.axes[0].lines) == 2


def test_plot_curves_accepts_tensors_on_the_device():
    device = get_device()
    fig = plot_curves({"loss": torch.tensor([3.0, 2.0, 1.0], device=device),
                       "xy": (torch.arange(3, device=device), torch.ones(3, device=device))})
    assert len(fig.axes[0].lines) == 2
