"""Policy gradients over whole episodes of CartPole-v1 (gymnasium).

One iteration of REINFORCE (unit 4) plays **whole episodes** in one environment until a
batch holds at least ``min_steps`` steps (the episode in progress is always finished, so
every episode in a batch is complete and its total return is its true total), then takes
one policy step and one value step. Episodes are concatenated into flat ``(S,)`` tensors
separated by ``dones`` (see :mod:`lecture_lib.returns`).

Termination and truncation differ. ``terminated``: the pole fell; nothing follows, the
return after it is 0. ``truncated``: the 500-step time limit stopped an episode that could
have gone on; the state after it still has a value. Variants that learn a value ``V(s)``
bootstrap there: they fold ``gamma * V(s_next)`` into the last reward of a truncated
episode before computing returns, so truncation is not treated as a terminal state.
Variants without a value (``total_return``, ``reward_to_go``, ``discounted``) have nothing
to bootstrap from and count the rewards seen.

Variants of the weights (advantages) each action's log-probability gets:

- ``total_return``: the episode's total (undiscounted) return, the same for every step;
- ``reward_to_go``: the undiscounted rewards from this step to the episode's end;
- ``discounted``: the discounted reward-to-go ``G_t`` (gamma 0.99);
- ``baseline``: ``G_t - V(s_t)``, with a learned value ``V`` (the step towards actor-critic);
- ``standardized``: the ``baseline`` advantages standardized over the batch.

Defined in: unit 4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from lecture_lib.policy_gradient import sample_actions
from lecture_lib.returns import discounted_returns, standardize, total_returns

__all__ = ["mlp", "EpisodeBatch", "collect_episodes", "policy_weights", "reinforce_iteration",
           "evaluate_policy", "CartPoleConfig", "CartPoleResult", "StepCounter", "train_cartpole",
           "VARIANTS", "VALUE_VARIANTS"]

VARIANTS = ("total_return", "reward_to_go", "discounted", "baseline", "standardized")
VALUE_VARIANTS = ("baseline", "standardized")


def mlp(sizes: list[int], activation=nn.Tanh) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


@dataclass
class EpisodeBatch:
    """Whole episodes, one after another: ``S`` steps in all.

    obs, next_obs: ``(S, obs_dim)`` float32 (``next_obs[t]``: the state after step t, also
    at an episode's last step); actions: ``(S,)`` int64; rewards: ``(S,)`` float32; dones:
    ``(S,)`` bool, True at each episode's last step; truncated: ``(S,)`` bool, True at the
    last step of an episode the time limit stopped (then also ``dones``);
    episode_returns: each episode's total reward, in order.
    """

    obs: torch.Tensor
    next_obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    truncated: torch.Tensor
    episode_returns: list[float]

    def __len__(self) -> int:
        return len(self.rewards)


def collect_episodes(env: gym.Env, policy: nn.Module, min_steps: int,
                     generator: torch.Generator | None = None) -> EpisodeBatch:
    """Play whole episodes with actions sampled from ``softmax(policy(obs))`` until at least
    ``min_steps`` steps are collected; the last episode is always played to its end.

    Every episode starts with ``env.reset()`` (no seed: the environment's generator, seeded
    once by the caller, goes on). The policy runs on its parameters' device.
    """
    device = next(policy.parameters(), torch.empty(0)).device
    obs_l, next_l, act_l, rew_l, done_l, trunc_l, returns = [], [], [], [], [], [], []
    while len(rew_l) < min_steps:
        obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            with torch.no_grad():
                logits = policy(torch.as_tensor(obs, dtype=torch.float32, device=device)[None])
            action = int(sample_actions(logits, generator=generator)[0])
            next_obs, reward, terminated, truncated, _ = env.step(action)
            done = bool(terminated or truncated)
            obs_l.append(obs)
            next_l.append(next_obs)
            act_l.append(action)
            rew_l.append(float(reward))
            done_l.append(done)
            trunc_l.append(bool(truncated and not terminated))
            total += float(reward)
            obs = next_obs
        returns.append(total)
    return EpisodeBatch(
        obs=torch.as_tensor(np.asarray(obs_l), dtype=torch.float32, device=device),
        next_obs=torch.as_tensor(np.asarray(next_l), dtype=torch.float32, device=device),
        actions=torch.as_tensor(act_l, dtype=torch.int64, device=device),
        rewards=torch.as_tensor(rew_l, dtype=torch.float32, device=device),
        dones=torch.as_tensor(done_l, device=device),
        truncated=torch.as_tensor(trunc_l, device=device),
        episode_returns=returns)


def policy_weights(batch: EpisodeBatch, variant: str, gamma: float = 0.99,
                   value: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The weights ``(S,)`` of each action's log-probability for ``variant`` (constants), and
    for the value variants the value targets ``(S,)`` (the returns ``V`` regresses on; else None).

    Value variants bootstrap truncated episodes: the last reward becomes
    ``r + gamma * V(next_obs)`` (no gradient), so ``G_t`` estimates the untruncated return.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant == "total_return":
        return total_returns(batch.rewards, batch.dones), None
    if variant == "reward_to_go":
        return discounted_returns(batch.rewards, batch.dones, 1.0), None
    if variant == "discounted":
        return discounted_returns(batch.rewards, batch.dones, gamma), None
    if value is None:
        raise ValueError(f"variant {variant!r} needs a value network")
    with torch.no_grad():
        values = value(batch.obs)[:, 0]
        rewards = batch.rewards + gamma * batch.truncated.to(batch.rewards.dtype) * value(batch.next_obs)[:, 0]
    returns = discounted_returns(rewards, batch.dones, gamma)
    advantages = returns - values
    if variant == "standardized":
        advantages = standardize(advantages)
    return advantages, returns


def reinforce_iteration(env: gym.Env, policy: nn.Module, value: nn.Module, policy_opt: torch.optim.Optimizer,
                        value_opt: torch.optim.Optimizer, gamma: float = 0.99, min_steps: int = 512,
                        variant: str = "standardized") -> list[float]:
    """One REINFORCE iteration: whole episodes -> weights -> one policy step on
    ``-mean_t w_t log pi(a_t | s_t)`` -> (value variants) one value step on the mean squared
    error of ``V(s_t)`` against the bootstrapped returns. Returns the episodes' total returns.
    """
    batch = collect_episodes(env, policy, min_steps)
    weights, targets = policy_weights(batch, variant, gamma, value)
    log_probs = torch.log_softmax(policy(batch.obs), -1).gather(1, batch.actions[:, None])[:, 0]
    loss = -(weights * log_probs).mean()
    policy_opt.zero_grad()
    loss.backward()
    policy_opt.step()
    if targets is not None:
        value_loss = (value(batch.obs)[:, 0] - targets).pow(2).mean()
        value_opt.zero_grad()
        value_loss.backward()
        value_opt.step()
    return batch.episode_returns


class StepCounter(gym.Wrapper):
    """Counts every ``step`` call (the training budget) and records each finished episode's
    total reward, whatever the code that drives the environment does."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.steps, self.episode_returns, self._running = 0, [], 0.0

    def reset(self, **kwargs):
        self._running = 0.0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        self._running += float(reward)
        if terminated or truncated:
            self.episode_returns.append(self._running)
            self._running = 0.0
        return obs, reward, terminated, truncated, info


@torch.no_grad()
def evaluate_policy(policy: nn.Module, env_id: str = "CartPole-v1", episodes: int = 100, seed: int = 10_000,
                    device: torch.device | str = "cpu", greedy: bool = True) -> float:
    """Mean return over ``episodes`` episodes run side by side (greedy actions by default)."""
    envs = gym.make_vec(env_id, num_envs=episodes, vectorization_mode="vector_entry_point")
    obs, _ = envs.reset(seed=seed)
    returns = np.zeros(episodes)
    active = np.ones(episodes, dtype=bool)
    try:
        while active.any():
            logits = policy(torch.as_tensor(obs, dtype=torch.float32, device=device))
            actions = logits.argmax(-1) if greedy else sample_actions(logits)
            obs, reward, terminated, truncated, _ = envs.step(actions.cpu().numpy())
            returns += reward * active
            active &= ~np.logical_or(terminated, truncated)
    finally:
        envs.close()
    return float(returns.mean())


@dataclass
class CartPoleConfig:
    """REINFORCE on CartPole-v1; the defaults are the standardized variant with a value baseline (the graded one)."""

    variant: str = "standardized"
    min_steps: int = 512             # at least this many steps (whole episodes) per update
    gamma: float = 0.99
    lr: float = 3e-3
    value_lr: float = 1e-2
    hidden: int = 64
    max_steps: int = 150_000
    eval_every: int = 4_096          # training steps between evaluations
    eval_episodes: int = 100         # greedy episodes per evaluation
    solved_at: float = 475.0
    stop_when_solved: bool = True


@dataclass
class CartPoleResult:
    steps_to_solve: int | None          # training steps at the first evaluation >= solved_at
    seconds_to_solve: float | None
    evaluations: list[tuple[int, float]] = field(default_factory=list)     # (training steps, mean return)
    episode_returns: list[tuple[int, float]] = field(default_factory=list)  # (steps, training episode return)
    steps: int = 0                      # training steps taken in all
    policy: nn.Module | None = None     # the trained networks
    value: nn.Module | None = None

    def last_mean(self, k: int = 5) -> float | None:
        """Mean of the last ``k`` evaluations (None before ``k`` evaluations)."""
        if len(self.evaluations) < k:
            return None
        return float(np.mean([v for _, v in self.evaluations[-k:]]))

    def stable(self, threshold: float = 475.0, k: int = 5) -> bool:
        """Solved *and staying solved*: the last ``k`` evaluations average >= ``threshold``."""
        last = self.last_mean(k)
        return last is not None and last >= threshold

    def record(self) -> dict:
        """What a figure, a table or a full-mode record keeps of the run (plain numbers)."""
        return {"steps_to_solve": self.steps_to_solve, "steps": self.steps,
                "evaluations": [[int(s), round(float(v), 2)] for s, v in self.evaluations],
                "last_mean": self.last_mean(), "stable": self.stable()}


Iteration = Callable[..., list]


def step_bar(total: int, desc: str, bar: bool | None = None):
    """A progress bar over environment steps (tqdm; off with ``bar=False`` or ``COURSE_PROGRESS=0``),
    cleared when the run ends so that a cell training many runs does not fill up with bars."""
    from tqdm.auto import tqdm

    from lecture_lib.train import progress_enabled

    return tqdm(total=total, desc=desc, unit="step", disable=not progress_enabled(bar), leave=False, mininterval=1.0)


def show_steps(meter, steps: int, result: CartPoleResult) -> None:
    """Move a :func:`step_bar` to ``steps`` and show the latest greedy evaluation."""
    if meter.disable:
        return
    meter.update(min(steps, meter.total) - meter.n)
    if result.evaluations:
        meter.set_postfix_str(f"greedy return {result.evaluations[-1][1]:.0f}", refresh=False)


def record_evaluations(result: CartPoleResult, policy: nn.Module, cfg, steps: int, next_eval: int, start: float,
                       device, progress=None) -> int:
    """Evaluate the greedy ``policy`` at every evaluation point ``next_eval, next_eval +
    cfg.eval_every, ...`` that ``steps`` training steps have reached (up to ``cfg.max_steps``),
    appending to ``result.evaluations`` and setting ``steps_to_solve`` / ``seconds_to_solve`` at
    the first mean >= ``cfg.solved_at`` (seconds since ``start``); stops early once solved when
    ``cfg.stop_when_solved``. Returns the next evaluation point. Shared by the CartPole trainers
    (:func:`train_cartpole`, ``lecture_lib.dqn.train_dqn``)."""
    while steps >= next_eval and next_eval <= cfg.max_steps:
        mean_return = evaluate_policy(policy, episodes=cfg.eval_episodes, seed=10_000 + next_eval, device=device)
        result.evaluations.append((next_eval, mean_return))
        next_eval += cfg.eval_every
        if progress is not None:
            progress(steps, mean_return)
        if mean_return >= cfg.solved_at and result.steps_to_solve is None:
            result.steps_to_solve = steps
            result.seconds_to_solve = time.perf_counter() - start
        if result.steps_to_solve is not None and cfg.stop_when_solved:
            break
    return next_eval


def train_cartpole(cfg: CartPoleConfig, seed: int, device: torch.device | str = "cpu", progress=None,
                   iteration: Iteration | None = None, bar: bool | None = None) -> CartPoleResult:
    """Train one policy from ``seed``: call ``iteration(env, policy, value, policy_opt, value_opt,
    gamma, min_steps)`` (default: :func:`reinforce_iteration` with ``cfg.variant``) until
    ``cfg.max_steps`` environment steps, evaluating the greedy policy on ``eval_episodes``
    episodes every ``eval_every`` steps (evaluation steps are not counted). Stops at the first
    evaluation >= ``solved_at`` when ``stop_when_solved``.

    Every ``env.step`` the iteration makes counts (:class:`StepCounter`); an iteration may
    overshoot an evaluation point, which is then taken right after it. ``bar``: a progress bar
    over the steps (default on unless ``COURSE_PROGRESS=0``).
    """
    if cfg.variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {cfg.variant!r}")
    if iteration is None:
        def iteration(env, policy, value, policy_opt, value_opt, gamma, min_steps):
            return reinforce_iteration(env, policy, value, policy_opt, value_opt, gamma, min_steps, cfg.variant)
    device = torch.device(device)
    threads = torch.get_num_threads()
    if device.type == "cpu":
        # Networks this small gain nothing from intra-op threads, and on a busy machine the
        # threads' hand-offs make each tiny forward pass many times slower: one thread while
        # training, restored afterwards.
        torch.set_num_threads(1)
    torch.manual_seed(seed)
    env = StepCounter(gym.make("CartPole-v1"))
    env.reset(seed=seed)
    env.action_space.seed(seed)
    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    policy = mlp([obs_dim, cfg.hidden, cfg.hidden, n_actions]).to(device)
    value = mlp([obs_dim, cfg.hidden, cfg.hidden, 1]).to(device)
    policy_opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    value_opt = torch.optim.Adam(value.parameters(), lr=cfg.value_lr)
    result = CartPoleResult(None, None, policy=policy, value=value)
    next_eval, start, seen = cfg.eval_every, time.perf_counter(), 0
    meter = step_bar(cfg.max_steps, f"CartPole, seed {seed}", bar)
    try:
        while env.steps < cfg.max_steps:
            iteration(env, policy, value, policy_opt, value_opt, cfg.gamma, cfg.min_steps)
            result.episode_returns += [(env.steps, r) for r in env.episode_returns[seen:]]
            seen = len(env.episode_returns)
            next_eval = record_evaluations(result, policy, cfg, env.steps, next_eval, start, device, progress)
            show_steps(meter, env.steps, result)
            if result.steps_to_solve is not None and cfg.stop_when_solved:
                break
    finally:
        meter.close()
        result.steps = env.steps
        env.close()
        torch.set_num_threads(threads)
    return result
