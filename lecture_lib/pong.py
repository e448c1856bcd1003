"""Pong from pixels: preprocessing, frame differences, a small policy, and its training loop.

``ALE/Pong-v5`` (gymnasium + ale-py, whose wheel ships the ROM) gives 210 x 160 RGB frames.
The policy sees an 80 x 80 picture of what *moved*: crop the playing field (rows 35-194),
keep every second pixel, erase the two background colours, mark everything else 1, and
subtract the previous such frame. It chooses between two actions, paddle up (``RIGHT``) and
paddle down (``LEFT``). A point ends when a reward (+1 or -1) arrives, so returns are
discounted within points: each point is its own credit-assignment problem.

The same :func:`train_pong` runs unit 4's short demo and its full run (5 million steps: 28
minutes on a 2-core CPU, where it learns to beat the built-in opponent).

Defined in: unit 4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from lecture_lib.policy_gradient import sample_actions
from lecture_lib.returns import discounted_returns, standardize
from lecture_lib.train import progress_enabled

__all__ = ["PONG_ACTIONS", "preprocess", "FrameDifference", "PongPolicy", "make_pong_envs", "PongConfig",
           "train_pong"]

PONG_ACTIONS = (2, 3)          # ALE action ids: RIGHT = paddle up, LEFT = paddle down
BACKGROUND = (144, 109)        # the two background shades of the red channel


def preprocess(frames) -> torch.Tensor:
    """uint8 frames ``(..., 210, 160, 3)`` -> float32 ``(..., 80, 80)`` with 1 where something is."""
    x = torch.as_tensor(np.asarray(frames))[..., 35:195:2, ::2, 0]
    keep = (x != BACKGROUND[0]) & (x != BACKGROUND[1]) & (x != 0)
    return keep.to(torch.float32)


class FrameDifference:
    """Turns a stream of preprocessed frames from N environments into differences.

    ``__call__(frames, first)``: frames ``(N, 80, 80)``; ``first`` ``(N,)`` bool marks
    environments whose frame starts a new episode (their difference is just the frame).
    """

    def __init__(self):
        self.previous: torch.Tensor | None = None

    def __call__(self, frames: torch.Tensor, first: torch.Tensor | None = None) -> torch.Tensor:
        previous = torch.zeros_like(frames) if self.previous is None else self.previous.clone()
        if first is not None:
            previous[first.to(previous.device)] = 0.0
        self.previous = frames
        return frames - previous


class PongPolicy(nn.Module):
    """``6400 -> hidden -> 2`` logits (up, down) from a flattened frame difference."""

    def __init__(self, hidden: int = 200):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(80 * 80, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def make_pong_envs(n: int, seed: int) -> gym.vector.VectorEnv:
    """``n`` Pong environments side by side (SAME_STEP autoreset)."""
    import ale_py

    # Only warnings and errors from the emulator: its start-up banner (info level) would show in a
    # notebook as a red stderr box that looks like a failure.
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Warning)
    gym.register_envs(ale_py)
    envs = gym.make_vec("ALE/Pong-v5", num_envs=n, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    envs.reset(seed=seed)
    return envs


@dataclass
class PongConfig:
    num_envs: int = 4
    steps_per_update: int = 256     # per environment
    total_steps: int = 2_048        # environment steps in all (frames / 4: Pong-v5 skips 4 frames)
    gamma: float = 0.99
    lr: float = 1e-3
    hidden: int = 200


@dataclass
class PongHistory:
    episode_returns: list[float] = field(default_factory=list)   # -21 .. 21 per finished game
    points: list[tuple[int, float]] = field(default_factory=list)  # (step, +1 or -1) per point
    updates: int = 0
    steps: int = 0
    seconds: float = 0.0


def train_pong(cfg: PongConfig, seed: int = 0, device: torch.device | str = "cpu",
               policy: PongPolicy | None = None, progress=None, bar: bool | None = None):
    """REINFORCE on Pong: discounted returns within points, standardized; one update per batch.

    Returns ``(policy, history)``. A short run only shows the code path working; learning to
    win takes millions of steps (``total_steps=5_000_000``: about 1,800 games). ``progress``:
    called with the history after every update; ``bar``: a tqdm progress bar with the mean
    score of the last 20 games (default: on unless ``COURSE_PROGRESS=0``).
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    policy = (policy or PongPolicy(cfg.hidden)).to(device)
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    envs = make_pong_envs(cfg.num_envs, seed)
    diff = FrameDifference()
    obs, _ = envs.reset(seed=seed)
    first = torch.ones(cfg.num_envs, dtype=torch.bool)
    running = np.zeros(cfg.num_envs)
    history = PongHistory()
    start = time.perf_counter()
    per_update = cfg.num_envs * cfg.steps_per_update
    meter = tqdm(total=-(-cfg.total_steps // per_update) * per_update, desc="pong", unit="step",
                 disable=not progress_enabled(bar), mininterval=1.0)
    try:
        while history.steps < cfg.total_steps:
            states, actions, rewards, ends = [], [], [], []
            for _ in range(cfg.steps_per_update):
                x = diff(preprocess(obs), first).to(device)
                with torch.no_grad():
                    a = sample_actions(policy(x), generator=gen)
                obs, r, terminated, truncated, _ = envs.step(np.asarray(PONG_ACTIONS)[a.cpu().numpy()])
                done = np.logical_or(terminated, truncated)
                running += r
                for ri in r[r != 0]:
                    history.points.append((history.steps, float(ri)))
                history.episode_returns += running[done].tolist()
                running[done] = 0.0
                first = torch.as_tensor(done)
                states.append(x)
                actions.append(a)
                rewards.append(torch.as_tensor(r, dtype=torch.float32))
                ends.append(torch.as_tensor(done | (r != 0)))         # a point ends the credit
                history.steps += cfg.num_envs
            rewards_t, ends_t = torch.stack(rewards).to(device), torch.stack(ends).to(device)
            advantages = standardize(discounted_returns(rewards_t, ends_t, cfg.gamma))
            logits = policy(torch.stack(states).flatten(0, 1))
            log_probs = torch.log_softmax(logits, -1).gather(1, torch.stack(actions).reshape(-1, 1))[:, 0]
            loss = -(advantages.reshape(-1) * log_probs).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.updates += 1
            meter.update(per_update)
            if history.episode_returns:
                meter.set_postfix(games=len(history.episode_returns),
                                  last20=f"{np.mean(history.episode_returns[-20:]):+.1f}", refresh=False)
            if progress is not None:
                progress(history)
    finally:
        meter.close()
        envs.close()
    history.seconds = time.perf_counter() - start
    return policy, history
