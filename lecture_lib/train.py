"""A minimal training loop the lectures reuse: minibatches, optimizer steps, a progress bar.

    def loss_fn(xb, yb):
        return F.cross_entropy(model(xb), yb)

    history = train(loss_fn, optimizer, batches, epochs=3, model=model,
                    eval_fn=lambda: {"test_acc": accuracy(model, x_test, y_test)})
    history.epoch_loss, history.metrics, history.examples_per_second

The loop does only what every lecture needs and stays out of the way of the maths: the
loss is written in the notebook, next to its derivation. It never waits for the device
inside an epoch except to refresh the progress bar every ``log_every`` steps (a
``loss.item()`` per step would make the CPU wait for the GPU each time); per-step losses
are gathered on the device and copied back once per epoch. Lectures whose update is not
"minimize one loss" (REINFORCE with a baseline network updated separately, rollouts in
an environment) write their own loop, and say so.

Defined in: unit 0.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm

__all__ = ["History", "train", "train_steps", "progress_enabled", "progress_bar"]


@dataclass
class History:
    """What :func:`train` measured."""

    step_loss: list[float] = field(default_factory=list)   # every step, in order
    epoch_loss: list[float] = field(default_factory=list)  # mean over each epoch's steps
    metrics: list[dict] = field(default_factory=list)      # eval_fn's result after each epoch
    steps: int = 0
    examples: int = 0
    seconds: float = 0.0                                   # training time, evaluation excluded

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else float("nan")

    def metric(self, name: str) -> list:
        """One metric over epochs, e.g. ``history.metric("test_acc")``."""
        return [m[name] for m in self.metrics]


def progress_enabled(progress: bool | None = None) -> bool:
    """Progress bars are on unless ``progress=False`` or ``COURSE_PROGRESS=0``."""
    if progress is not None:
        return progress
    return os.environ.get("COURSE_PROGRESS", "1").strip().lower() not in {"0", "false", "no", "off"}


def progress_bar(iterable: Iterable, desc: str, unit: str = "it", progress: bool | None = None):
    """``iterable`` with a tqdm bar (cleared when done; off with ``COURSE_PROGRESS=0``): for a slow
    loop in a notebook cell that is not a training loop, e.g. sampling in chunks."""
    items = list(iterable)
    return tqdm(items, desc=desc, unit=unit, disable=not progress_enabled(progress) or len(items) < 2,
                leave=False, dynamic_ncols=True)


def train(loss_fn: Callable[..., torch.Tensor], optimizer: torch.optim.Optimizer,
          batches: Iterable, epochs: int = 1, *, model: torch.nn.Module | None = None,
          eval_fn: Callable[[], dict] | None = None, desc: str = "train",
          progress: bool | None = None, log_every: int = 50,
          max_grad_norm: float | None = None) -> History:
    """Minimize ``loss_fn(*batch)`` over ``epochs`` passes through ``batches``.

    Args:
        loss_fn: maps one batch (unpacked: ``loss_fn(xb, yb)``) to a scalar tensor, the
            quantity to minimize (a mean over the batch, usually).
        optimizer: updates the parameters ``loss_fn`` depends on.
        batches: re-iterable minibatches, e.g. :class:`lecture_lib.batches.Batches`; each
            batch a tuple of tensors whose first dimension is the batch size.
        epochs: passes over ``batches``.
        model: if given, put in ``train()`` mode for training and ``eval()`` mode while
            ``eval_fn`` runs.
        eval_fn: called after each epoch under ``torch.no_grad()``; returns a dict of
            floats, shown in the progress bar and kept in ``History.metrics``.
        progress: show a tqdm progress bar (default: on, unless ``COURSE_PROGRESS=0``).
        log_every: refresh the bar's loss every this many steps (one device sync each).
        max_grad_norm: clip the global gradient norm to this value if given.

    Returns:
        a :class:`History`.
    """
    params = [p for group in optimizer.param_groups for p in group["params"]]

    def step(*batch):
        loss = loss_fn(*batch)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar tensor, got shape "
                             f"{tuple(loss.shape)} (did you forget .mean()?)")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        return loss

    return train_steps(step, batches, epochs, model=model, eval_fn=eval_fn, desc=desc,
                       progress=progress, log_every=log_every)


def train_steps(step_fn: Callable[..., torch.Tensor], batches: Iterable, epochs: int = 1, *,
                model: torch.nn.Module | None = None, eval_fn: Callable[[], dict] | None = None,
                desc: str = "train", progress: bool | None = None, log_every: int = 50) -> History:
    """Like :func:`train`, for an update written as one function: ``step_fn(*batch)`` does a
    whole training step (forward, loss, backward, optimizer step; e.g. the student's
    ``vae_train_step`` with its model and optimizer bound) and returns the step's loss as a
    scalar tensor (or a float). The loop adds the epochs, the progress bar, the per-epoch
    loss and ``eval_fn``, and waits for the device only as :func:`train` does.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    history = History()
    steps_per_epoch = len(batches) if hasattr(batches, "__len__") else None
    total = steps_per_epoch * epochs if steps_per_epoch is not None else None
    bar = tqdm(total=total, desc=desc, unit="step", disable=not progress_enabled(progress),
               dynamic_ncols=True, leave=True)
    try:
        for epoch in range(epochs):
            if model is not None:
                model.train()
            t0 = time.perf_counter()
            losses = []
            for step, batch in enumerate(batches):
                if not isinstance(batch, (tuple, list)):
                    batch = (batch,)
                loss = step_fn(*batch)
                if isinstance(loss, torch.Tensor):
                    if loss.numel() != 1:
                        raise ValueError(f"the step must return the loss as a scalar, got shape "
                                         f"{tuple(loss.shape)} (did you forget .mean()?)")
                    loss = loss.detach().reshape(())
                elif isinstance(loss, (int, float)) and not isinstance(loss, bool):
                    loss = torch.tensor(float(loss))
                else:
                    raise TypeError(f"the step must return the loss (a scalar tensor or a float), "
                                    f"got {type(loss).__name__}")
                losses.append(loss)
                history.steps += 1
                history.examples += batch[0].shape[0]
                bar.update(1)
                if not bar.disable and (step + 1) % log_every == 0:
                    bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1].item():.4g}", refresh=False)
            epoch_losses = torch.stack([l.to(losses[0].device) for l in losses]).float().cpu().tolist() \
                if losses else []
            history.seconds += time.perf_counter() - t0
            history.step_loss += epoch_losses
            mean = sum(epoch_losses) / len(epoch_losses) if epoch_losses else float("nan")
            history.epoch_loss.append(mean)
            postfix = {"epoch": epoch + 1, "loss": f"{mean:.4g}"}
            if eval_fn is not None:
                history.metrics.append(_evaluate(eval_fn, model))
                postfix.update({k: f"{v:.4g}" if isinstance(v, float) else v
                                for k, v in history.metrics[-1].items()})
            bar.set_postfix(postfix)
    finally:
        bar.close()
    return history


def _evaluate(eval_fn: Callable[[], dict], model: torch.nn.Module | None) -> dict:
    was_training = model.training if model is not None else None
    if model is not None:
        model.eval()
    try:
        with torch.no_grad():
            result = eval_fn()
    finally:
        if model is not None and was_training:
            model.train()
    if not isinstance(result, dict):
        raise TypeError(f"eval_fn must return a dict of metrics, got {type(result).__name__}")
    return {k: (float(v) if isinstance(v, (torch.Tensor, int, float)) and not isinstance(v, bool)
                else v) for k, v in result.items()}
