"""Figures the lectures share: image grids (digits, eigendigits, samples) and curves.

Defined in: unit 0.
"""

from __future__ import annotations

import math

import torch

__all__ = ["image_grid", "show_images", "plot_curves", "seed_runs_table", "show_seed_runs"]


def _as_images(images) -> torch.Tensor:
    """(N, H, W), (N, 1, H, W) or square-flattened (N, H*W) -> float (N, H, W) on the CPU."""
    x = torch.as_tensor(images).detach().cpu()
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"cannot show flat images of length {x.shape[1]}: not a square")
        x = x.reshape(x.shape[0], side, side)
    if x.dim() != 3:
        raise ValueError(f"expected images (N, H, W), (N, 1, H, W) or (N, H*W), got {tuple(x.shape)}")
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()


def image_grid(images, ncols: int = 10, pad: int = 1, pad_value: float = 1.0) -> torch.Tensor:
    """Tile N images into one ``(rows*(H+pad)-pad, ncols*(W+pad)-pad)`` float mosaic.

    uint8 images are scaled to [0, 1]; float images are kept as they are.
    """
    x = _as_images(images)
    n, h, w = x.shape
    if n == 0:
        raise ValueError("no images to show")
    ncols = max(1, min(ncols, n))
    rows = math.ceil(n / ncols)
    grid = torch.full((rows * (h + pad) - pad, ncols * (w + pad) - pad), float(pad_value))
    for i in range(n):
        r, c = divmod(i, ncols)
        grid[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = x[i]
    return grid


def show_images(images, labels=None, *, ncols: int = 10, title: str | None = None,
                cmap: str = "gray", vmin: float | None = None, vmax: float | None = None,
                scale: float = 1.0):
    """Show images in a grid and return the matplotlib Figure.

    Without ``labels``: one mosaic image (fast for hundreds of digits). With ``labels``
    (one per image: digits, strings or numbers): one small axis per image, titled by it.
    ``vmin``/``vmax`` default to [0, 1] for pixel data and to each image's range otherwise
    (e.g. eigendigits, which have both signs).
    """
    import matplotlib.pyplot as plt

    x = _as_images(images)
    n = x.shape[0]
    ncols = max(1, min(ncols, n))
    rows = math.ceil(n / ncols)
    pixel_range = bool(x.min() >= 0 and x.max() <= 1)
    if vmin is None and vmax is None and pixel_range:
        vmin, vmax = 0.0, 1.0
    if labels is None:
        fig, ax = plt.subplots(figsize=(scale * 0.9 * ncols, scale * 0.9 * rows + 0.4 * bool(title)))
        ax.imshow(image_grid(x, ncols, pad_value=1.0 if pixel_range else float(x.max())).numpy(),
                  cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_axis_off()
    else:
        labels = list(labels.tolist() if isinstance(labels, torch.Tensor) else labels)
        if len(labels) != n:
            raise ValueError(f"{n} images but {len(labels)} labels")
        fig, axes = plt.subplots(rows, ncols, figsize=(scale * 1.1 * ncols, scale * 1.25 * rows),
                                 squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if i < n:
                ax.imshow(x[i].numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
                ax.set_title(str(labels[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(curves: dict, *, xlabel: str = "epoch", ylabel: str = "", title: str | None = None,
                logy: bool = False, ax=None):
    """Plot named curves ``{"label": [y0, y1, ...]}`` (or ``{"label": (xs, ys)}``) on one axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    def cpu(v):
        return torch.as_tensor(v).detach().cpu().numpy()

    for label, values in curves.items():
        if isinstance(values, tuple) and len(values) == 2:
            ax.plot(cpu(values[0]), cpu(values[1]), label=label)
        else:
            ax.plot(range(1, len(values) + 1), cpu(values), label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax.figure


def seed_runs_table(runs: dict) -> str:
    """The table under :func:`show_seed_runs`: per entry of ``runs`` (``{name: [one record per
    seed]}``, records as :meth:`lecture_lib.rl.CartPoleResult.record` makes them or a full-mode
    record holds), the seeds solved, the median steps to the first solve, the seeds stable and
    the mean of the last five evaluations."""
    import numpy as np

    width = max([len("variant")] + [len(str(k)) for k in runs])
    lines = [f"{'variant':<{width}} {'solved':>7} {'median steps to solve':>22} {'stable':>7} {'mean of last 5':>15}"]
    for name, records in runs.items():
        solved = [r["steps_to_solve"] for r in records if r["steps_to_solve"] is not None]
        last5 = [r["last_mean"] for r in records if r["last_mean"] is not None]
        median = f"{int(np.median(solved)):,}" if solved else "-"
        last = f"{np.mean(last5):.1f}" if last5 else "- (< 5 evaluations)"
        lines.append(f"{name:<{width}} {len(solved):>3} / {len(records)} {median:>22} "
                     f"{sum(bool(r['stable']) for r in records):>3} / {len(records)} {last:>15}")
    return "\n".join(lines)


def show_seed_runs(runs: dict, title: str, episodes: int, *, solved_at: float = 475.0, ax=None):
    """CartPole learning curves over seeds: for each entry of ``runs`` (``{name: [one record per
    seed]}``, each with ``evaluations`` ``[(steps, mean greedy return), ...]``) the mean over
    seeds as a line and the range as a band; then prints :func:`seed_runs_table`."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for name, records in runs.items():
        n = min(len(r["evaluations"]) for r in records)
        if n == 0:
            continue
        steps = np.array([[s for s, _ in r["evaluations"][:n]] for r in records]).mean(0)
        values = np.array([[v for _, v in r["evaluations"][:n]] for r in records])
        ax.plot(steps, values.mean(0), label=name)
        ax.fill_between(steps, values.min(0), values.max(0), alpha=0.12)
    ax.axhline(solved_at, color="k", ls="--", lw=0.8)
    ax.set(xlabel="training steps", ylabel=f"mean return, {episodes} greedy episodes", title=title)
    ax.legend(fontsize=8)
    plt.show()
    print(seed_runs_table(runs))
