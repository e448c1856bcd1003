"""Policy gradients over trajectories in gymnasium vector environments (CartPole-v1).

Rollouts run N environments side by side for T steps (``SAME_STEP`` autoreset: when an
episode ends, the observation returned is already the next episode's first one), so a
batch ``(T, N)`` holds several episodes per column, separated by ``done`` flags, exactly as
:mod:`lecture_lib.returns` expects. Variants of the update (unit 4):

- ``total_return``: every action weighted by its episode's total return;
- ``reward_to_go``: by the (discounted) rewards that follow it;
- ``baseline``: reward-to-go minus a learned value ``V(s)`` (the step towards actor-critic);
- ``standardized``: the advantages of ``baseline`` standardized over the batch.

Defined in: unit 4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from lecture_lib.policy_gradient import sample_actions
from lecture_lib.returns import discounted_returns, standardize, total_returns

__all__ = ["mlp", "make_vector_env", "Rollout", "collect_rollout", "evaluate_policy", "CartPoleConfig",
           "train_cartpole", "VARIANTS"]

VARIANTS = ("total_return", "reward_to_go", "baseline", "standardized")


def mlp(sizes: list[int], activation=nn.Tanh) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def make_vector_env(env_id: str, n: int, seed: int) -> gym.vector.VectorEnv:
    """``n`` copies of ``env_id`` with SAME_STEP autoreset, reset with seeds seed..seed+n-1."""
    envs = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    envs.reset(seed=seed)
    return envs


@dataclass
class Rollout:
    """T steps of N environments: obs ``(T, N, obs_dim)``, actions/rewards/dones ``(T, N)``."""

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    episode_returns: list[float]   # returns of the episodes that ended in this rollout


def collect_rollout(envs: gym.vector.VectorEnv, policy: nn.Module, obs: np.ndarray, steps: int,
                    device: torch.device, generator: torch.Generator | None = None,
                    running: np.ndarray | None = None):
    """Run ``policy`` (observations -> logits) for ``steps`` steps in every environment.

    Returns ``(rollout, next_obs, running)``: ``running`` carries each environment's return so
    far across calls, so episodes that span two rollouts are reported whole.
    """
    n = envs.num_envs
    running = np.zeros(n) if running is None else running
    obs_buf, act_buf, rew_buf, done_buf, finished = [], [], [], [], []
    for _ in range(steps):
        obs_t = torch.as_tensor(obs, dtype=torch.float32, device=device)
        with torch.no_grad():
            actions = sample_actions(policy(obs_t), generator=generator)
        next_obs, reward, terminated, truncated, _ = envs.step(actions.cpu().numpy())
        done = np.logical_or(terminated, truncated)
        running += reward
        finished += running[done].tolist()
        running[done] = 0.0
        obs_buf.append(obs_t)
        act_buf.append(actions)
        rew_buf.append(torch.as_tensor(reward, dtype=torch.float32))
        done_buf.append(torch.as_tensor(done))
        obs = next_obs
    rollout = Rollout(torch.stack(obs_buf), torch.stack(act_buf), torch.stack(rew_buf).to(device),
                      torch.stack(done_buf).to(device), finished)
    return rollout, obs, running


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
    """REINFORCE on CartPole-v1; defaults are the course's best variant."""

    variant: str = "standardized"
    num_envs: int = 8
    steps_per_env: int = 64          # one update per num_envs * steps_per_env environment steps
    gamma: float = 0.99
    lr: float = 3e-3
    value_lr: float = 1e-2
    hidden: int = 64
    max_steps: int = 300_000
    eval_every: int = 4_096          # training steps between 100-episode evaluations
    eval_episodes: int = 100
    solved_at: float = 475.0
    stop_when_solved: bool = True


@dataclass
class CartPoleResult:
    steps_to_solve: int | None
    seconds_to_solve: float | None
    evaluations: list[tuple[int, float]] = field(default_factory=list)   # (training steps, mean return)
    episode_returns: list[tuple[int, float]] = field(default_factory=list)  # (steps, training episode return)


def _weights(cfg: CartPoleConfig, batch: Rollout, value_net: nn.Module | None):
    if cfg.variant == "total_return":
        return total_returns(batch.rewards, batch.dones), None
    returns = discounted_returns(batch.rewards, batch.dones, cfg.gamma)
    if cfg.variant == "reward_to_go":
        return returns, None
    values = value_net(batch.obs)[..., 0]
    adv = returns - values.detach()
    if cfg.variant == "standardized":
        adv = standardize(adv)
    return adv, (values, returns)


def train_cartpole(cfg: CartPoleConfig, seed: int, device: torch.device | str = "cpu",
                   progress=None) -> CartPoleResult:
    """Train one policy; evaluate every ``eval_every`` training steps (evaluation steps are
    not counted); return when solved (mean >= ``solved_at``) or after ``max_steps``."""
    if cfg.variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {cfg.variant!r}")
    device = torch.device(device)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    envs = make_vector_env("CartPole-v1", cfg.num_envs, seed)
    obs_dim, n_actions = envs.single_observation_space.shape[0], envs.single_action_space.n
    policy = mlp([obs_dim, cfg.hidden, cfg.hidden, n_actions]).to(device)
    value_net = mlp([obs_dim, cfg.hidden, cfg.hidden, 1]).to(device)
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    value_opt = torch.optim.Adam(value_net.parameters(), lr=cfg.value_lr)
    obs, _ = envs.reset(seed=seed)
    running = None
    result = CartPoleResult(None, None)
    steps, next_eval, start = 0, cfg.eval_every, time.perf_counter()
    try:
        while steps < cfg.max_steps:
            batch, obs, running = collect_rollout(envs, policy, obs, cfg.steps_per_env, device, gen, running)
            steps += cfg.num_envs * cfg.steps_per_env
            result.episode_returns += [(steps, r) for r in batch.episode_returns]
            weights, value_data = _weights(cfg, batch, value_net)
            log_probs = torch.log_softmax(policy(batch.obs), -1).gather(-1, batch.actions[..., None])[..., 0]
            loss = -(weights.detach() * log_probs).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if value_data is not None:
                values, returns = value_data
                value_loss = (values - returns).pow(2).mean()
                value_opt.zero_grad(set_to_none=True)
                value_loss.backward()
                value_opt.step()
            if steps >= next_eval:
                next_eval += cfg.eval_every
                mean_return = evaluate_policy(policy, episodes=cfg.eval_episodes, seed=10_000 + steps,
                                              device=device)
                result.evaluations.append((steps, mean_return))
                if progress is not None:
                    progress(steps, mean_return)
                if mean_return >= cfg.solved_at and result.steps_to_solve is None:
                    result.steps_to_solve = steps
                    result.seconds_to_solve = time.perf_counter() - start
                    if cfg.stop_when_solved:
                        break
    finally:
        envs.close()
    return result
