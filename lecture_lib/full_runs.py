"""Results of the long full-mode runs, measured once and shipped with the course.

Some results take too long to recompute on every reading (CartPole's five variants over five
seeds, Pong from pixels over 5 million steps), so ``tools/full_runs.py`` runs them once and
saves what they measured in ``lecture_lib/full_runs/``: a JSON record per run (what was run,
the command that reproduces it, when, on which machine, how long it took, and the measured
curves) and, for Pong, a short clip of the trained agent (palette-coded frames, ``.npz``).
The notebooks draw their figures from these records, label them as full-mode figures and
print how to reproduce them.

    run = load_run("unit4_cartpole_variants")
    print(describe(run))            # what, when, where, how to reproduce
    run["results"]                  # the measured numbers

Defined in: unit 4.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["FOLDER", "load_run", "save_run", "describe", "load_clip", "save_clip", "animate"]

#: Where the records live (inside the package, so a kernel finds them from any folder).
FOLDER = Path(__file__).with_name("full_runs")

_REQUIRED = ("name", "command", "date", "machine", "seconds", "results")


def _path(name: str, suffix: str) -> Path:
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(f"a run's name is letters, digits, '_' and '-', got {name!r}")
    return FOLDER / f"{name}{suffix}"


def load_run(name: str) -> dict:
    """The record of the full-mode run ``name`` (a dict with ``name``, ``command``, ``date``,
    ``machine``, ``seconds`` and ``results``)."""
    path = _path(name, ".json")
    if not path.exists():
        known = sorted(p.stem for p in FOLDER.glob("*.json"))
        raise FileNotFoundError(f"no full-mode record {name!r} in {FOLDER} (known: {known}); "
                                f"`python tools/full_runs.py` makes them")
    run = json.loads(path.read_text())
    missing = [k for k in _REQUIRED if k not in run]
    if missing:
        raise ValueError(f"{path} lacks {missing}")
    return run


def save_run(run: dict) -> Path:
    """Write ``run`` (see :func:`load_run` for its keys) as ``FOLDER/<name>.json``."""
    missing = [k for k in _REQUIRED if k not in run]
    if missing:
        raise ValueError(f"a run record needs {missing}")
    path = _path(run["name"], ".json")
    FOLDER.mkdir(exist_ok=True)
    path.write_text(json.dumps(run, indent=1) + "\n")
    return path


def describe(run: dict) -> str:
    """One paragraph saying what the record is and how to reproduce it."""
    minutes = run["seconds"] / 60
    return (f"Full-mode figure, measured once and shipped with the course: {run.get('what', run['name'])}. "
            f"Run on {run['date']} on {run['machine']} in {minutes:.0f} min. "
            f"Reproduce with `{run['command']}` (results vary a little with the machine and library versions).")


def save_clip(name: str, frames: np.ndarray) -> Path:
    """Store ``frames`` ``(T, H, W, 3)`` uint8 as a palette (``(K, 3)``, K <= 256) and one
    uint8 index per pixel, compressed: Atari frames have a handful of colours."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    palette, index = np.unique(frames.reshape(-1, 3), axis=0, return_inverse=True)
    if len(palette) > 256:
        raise ValueError(f"{len(palette)} colours do not fit a uint8 palette")
    path = _path(name, ".npz")
    FOLDER.mkdir(exist_ok=True)
    np.savez_compressed(path, palette=palette.astype(np.uint8),
                        index=index.reshape(frames.shape[:3]).astype(np.uint8))
    return path


def load_clip(name: str) -> np.ndarray:
    """The frames ``(T, H, W, 3)`` uint8 saved by :func:`save_clip`."""
    path = _path(name, ".npz")
    if not path.exists():
        raise FileNotFoundError(f"no clip {name!r} in {FOLDER}; `python tools/full_runs.py pong` makes it")
    with np.load(path) as data:
        return data["palette"][data["index"]]


def animate(frames: np.ndarray, fps: float = 15.0, scale: float = 2.0, title: str | None = None):
    """An HTML animation (play, pause, step) of ``frames`` for a notebook cell's output."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    frames = np.asarray(frames)
    height, width = frames.shape[1:3]
    fig, ax = plt.subplots(figsize=(scale * width / 100, scale * height / 100), dpi=100)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=8)
    image = ax.imshow(frames[0], interpolation="nearest")

    def show(i):
        image.set_data(frames[i])
        return (image,)

    anim = animation.FuncAnimation(fig, show, frames=len(frames), interval=1000 / fps, blit=True)
    html = HTML(anim.to_jshtml(default_mode="loop"))
    plt.close(fig)
    return html
