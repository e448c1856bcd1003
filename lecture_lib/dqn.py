"""Deep Q-learning on CartPole-v1: a replay buffer on the device, a target network, and
time-limit truncation kept apart from termination.

The Q-network maps an observation ``(B, obs_dim)`` to one value per action ``(B, A)``; the
greedy action is its argmax, so the network can be evaluated like a policy's logits
(``lecture_lib.rl.evaluate_policy``).

The loss of one minibatch of transitions ``(s, a, r, s', terminated)``:

    y = r + gamma (1 - terminated) max_a' Q_target(s', a')      (no gradient through y)
    loss = mean over the batch of huber(Q(s, a) - y)            (or the squared error)

``terminated`` is 1 only when the pole fell (nothing follows); a transition cut by the
500-step time limit is stored with ``terminated = 0`` and its true next observation, so its
target still bootstraps from ``s'``. Treating truncation as terminal would teach the network
that the states reached at step 500 are worth only their last reward.

Ablations (what each ingredient fixes): ``target_update = 0`` bootstraps from the online
network itself (the target moves with every step); ``replay = False`` learns from the most
recent ``batch_size`` transitions only, in the order they were played (consecutive,
strongly correlated samples, each used once or a few times).

Defined in: unit 5.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.rl import CartPoleResult, StepCounter, mlp, record_evaluations, show_steps, step_bar

__all__ = ["ReplayBuffer", "dqn_targets", "dqn_loss", "DQNConfig", "train_dqn"]


class ReplayBuffer:
    """A ring buffer of transitions, held as tensors on ``device``: ``obs`` ``(N, obs_dim)``,
    ``actions`` ``(N,)`` long, ``rewards`` ``(N,)``, ``next_obs`` ``(N, obs_dim)``,
    ``terminated`` ``(N,)`` float (1: nothing follows ``next_obs``). The oldest transition is
    overwritten once ``capacity`` are stored."""

    def __init__(self, capacity: int, obs_dim: int, device: torch.device | str = "cpu"):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity, self.device = capacity, torch.device(device)
        self.obs = torch.zeros(capacity, obs_dim, device=self.device)
        self.next_obs = torch.zeros(capacity, obs_dim, device=self.device)
        self.actions = torch.zeros(capacity, dtype=torch.long, device=self.device)
        self.rewards = torch.zeros(capacity, device=self.device)
        self.terminated = torch.zeros(capacity, device=self.device)
        self.size, self.next = 0, 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        i = self.next
        self.obs[i] = torch.as_tensor(obs, dtype=torch.float32)
        self.next_obs[i] = torch.as_tensor(next_obs, dtype=torch.float32)
        self.actions[i], self.rewards[i], self.terminated[i] = int(action), float(reward), float(terminated)
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def _take(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"obs": self.obs[idx], "actions": self.actions[idx], "rewards": self.rewards[idx],
                "next_obs": self.next_obs[idx], "terminated": self.terminated[idx]}

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """``batch_size`` transitions drawn uniformly with replacement (indices drawn on the CPU
        from ``generator``, then moved to the device)."""
        if self.size == 0:
            raise ValueError("the buffer is empty")
        idx = torch.randint(0, self.size, (batch_size,), generator=generator)
        return self._take(idx.to(self.device))

    def latest(self, batch_size: int) -> dict[str, torch.Tensor]:
        """The ``batch_size`` most recent transitions, oldest first (the no-replay ablation)."""
        n = min(batch_size, self.size)
        idx = (torch.arange(self.next - n, self.next) % self.capacity).to(self.device)
        return self._take(idx)


def dqn_targets(target_net: nn.Module, rewards: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor,
                gamma: float) -> torch.Tensor:
    """``y = r + gamma (1 - terminated) max_a' Q_target(s', a')``, without gradient: ``(B,)``."""
    with torch.no_grad():
        next_q = target_net(next_obs).max(-1).values
    return rewards + gamma * (1.0 - terminated) * next_q


def dqn_loss(q_net: nn.Module, target_net: nn.Module, batch: dict[str, torch.Tensor], gamma: float,
             huber: bool = True) -> torch.Tensor:
    """Mean Huber (``huber=False``: squared) error between ``Q(s, a)`` of the taken actions and
    the targets of :func:`dqn_targets`; gradients reach ``q_net`` only. A 0-dim tensor."""
    q = q_net(batch["obs"]).gather(-1, batch["actions"][:, None]).squeeze(-1)
    y = dqn_targets(target_net, batch["rewards"], batch["next_obs"], batch["terminated"], gamma)
    return F.smooth_l1_loss(q, y) if huber else F.mse_loss(q, y)


@dataclass
class DQNConfig:
    """DQN on CartPole-v1. The defaults are the course's measured setting (README, bench line
    ``dqn_cartpole``, 2026-12-07): seeds 0-4 x 150,000 steps all solved (median 53,248 steps)
    and all stable (the last five evaluations average >= 475); 171-212 s per seed on one CPU core
    (two runs side by side, tools/full_runs.py value_rl)."""

    hidden: int = 128
    lr: float = 5e-4
    gamma: float = 0.99
    batch_size: int = 64
    buffer_size: int = 50_000
    learning_starts: int = 1_000      # random actions and no updates before this many steps
    train_every: int = 2              # environment steps between gradient steps
    target_update: int = 500          # steps between copies into the target network; 0: no target network
    replay: bool = True               # False: learn from the latest batch_size transitions only
    eps_start: float = 1.0
    eps_end: float = 0.02
    eps_steps: int = 10_000           # linear decay of epsilon over this many steps
    huber: bool = True
    max_grad_norm: float = 10.0
    max_steps: int = 150_000
    time_limit: int = 500             # CartPole-v1's own limit; episodes cut here are truncated
    eval_every: int = 4_096
    eval_episodes: int = 100
    solved_at: float = 475.0
    stop_when_solved: bool = False
    treat_truncation_as_terminal: bool = False   # the mistake, kept as an ablation


def _epsilon(cfg: DQNConfig, step: int) -> float:
    frac = min(1.0, step / max(1, cfg.eps_steps))
    return cfg.eps_start + frac * (cfg.eps_end - cfg.eps_start)


def train_dqn(cfg: DQNConfig, seed: int, device: torch.device | str = "cpu", progress=None,
              loss_fn=None, bar: bool | None = None) -> CartPoleResult:
    """Train a Q-network on CartPole-v1 from ``seed`` for ``cfg.max_steps`` environment steps,
    evaluating the greedy policy on ``eval_episodes`` episodes every ``eval_every`` steps
    (evaluation steps not counted; evaluation always uses the 500-step limit).
    ``steps_to_solve``: the first evaluation >= ``solved_at``; ``result.policy`` is the
    Q-network and ``result.buffer`` the replay buffer. ``loss_fn(q_net, target_net, batch, gamma)``
    replaces :func:`dqn_loss` (e.g. the student's; ``cfg.huber`` then does not apply). ``bar``: a
    progress bar over the steps (default on unless ``COURSE_PROGRESS=0``)."""
    device = torch.device(device)
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)   # tiny networks: intra-op threads only add hand-offs
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = StepCounter(gym.make("CartPole-v1", max_episode_steps=cfg.time_limit))
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    q_net = mlp([obs_dim, cfg.hidden, cfg.hidden, n_actions], activation=nn.ReLU).to(device)
    target_net = copy.deepcopy(q_net) if cfg.target_update > 0 else q_net
    opt = torch.optim.Adam(q_net.parameters(), lr=cfg.lr)
    buffer = ReplayBuffer(cfg.buffer_size if cfg.replay else max(cfg.batch_size, 1), obs_dim, device)
    result = CartPoleResult(None, None, policy=q_net)
    result.buffer = buffer
    next_eval, start, seen = cfg.eval_every, time.perf_counter(), 0
    meter = step_bar(cfg.max_steps, f"DQN, seed {seed}", bar)
    try:
        while env.steps < cfg.max_steps:
            if env.steps < cfg.learning_starts or rng.random() < _epsilon(cfg, env.steps):
                action = int(rng.integers(n_actions))
            else:
                with torch.no_grad():
                    action = int(q_net(torch.as_tensor(obs, dtype=torch.float32, device=device)).argmax())
            next_obs, reward, terminated, truncated, _ = env.step(action)
            done_flag = terminated or (truncated and cfg.treat_truncation_as_terminal)
            buffer.add(obs, action, reward, next_obs, done_flag)
            obs = env.reset()[0] if (terminated or truncated) else next_obs
            if env.steps >= cfg.learning_starts and env.steps % cfg.train_every == 0:
                batch = buffer.sample(cfg.batch_size, gen) if cfg.replay else buffer.latest(cfg.batch_size)
                loss = (dqn_loss(q_net, target_net, batch, cfg.gamma, cfg.huber) if loss_fn is None
                        else loss_fn(q_net, target_net, batch, cfg.gamma))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.max_grad_norm:
                    nn.utils.clip_grad_norm_(q_net.parameters(), cfg.max_grad_norm)
                opt.step()
            if cfg.target_update > 0 and env.steps % cfg.target_update == 0:
                target_net.load_state_dict(q_net.state_dict())
            result.episode_returns += [(env.steps, r) for r in env.episode_returns[seen:]]
            seen = len(env.episode_returns)
            next_eval = record_evaluations(result, q_net, cfg, env.steps, next_eval, start, device, progress)
            if env.steps % 512 == 0:
                show_steps(meter, env.steps, result)
            if result.steps_to_solve is not None and cfg.stop_when_solved:
                break
    finally:
        meter.close()
        result.steps = env.steps
        env.close()
        torch.set_num_threads(threads)
    return result
