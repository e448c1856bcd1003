"""Model-free prediction and control on tabular environments: Monte Carlo, TD(0), SARSA,
Q-learning, with epsilon-greedy exploration.

States and actions are integers (gymnasium's ``Discrete`` spaces); a value table is a
float64 tensor ``V`` ``(S,)`` or ``Q`` ``(S, A)``. An episode is recorded as an ``Episode``:
``states[t]``, ``actions[t]``, ``rewards[t]`` for ``t = 0 .. T-1`` (``rewards[t]`` follows
``actions[t]`` in ``states[t]``), the state reached last ``final_state``, and whether the
episode *terminated* there (a terminal state: nothing follows) or was *truncated* (a time
limit, or simply stopped: the final state still has a value).

Targets, with ``c = 0`` after termination and ``c = 1`` otherwise (truncation included):

- Monte Carlo: ``G_t = r_t + gamma G_{t+1}`` over the rest of the episode;
- TD(0):       ``r_t + gamma c V(s_{t+1})``;
- SARSA:       ``r_t + gamma c Q(s_{t+1}, a_{t+1})`` (the action actually taken next: on-policy);
- Q-learning:  ``r_t + gamma c max_a Q(s_{t+1}, a)`` (the greedy action: off-policy).

Epsilon-greedy: ``pi(a|s) = epsilon / A + (1 - epsilon) / |argmax|`` for each action in the
set of maximizers of ``Q(s, .)``, ``epsilon / A`` otherwise (ties share the greedy mass).

Defined in: unit 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

__all__ = [
    "Episode", "epsilon_greedy_probs", "sample_action", "play_episode", "monte_carlo_prediction",
    "td0_target", "td0_prediction", "sarsa_target", "q_learning_target", "td_targets", "td_control", "q_learning", "sarsa",
    "greedy_path", "rms_error",
]


@dataclass
class Episode:
    """One played episode (see the module's docstring)."""

    states: list[int] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    final_state: int = -1
    terminated: bool = False

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def total_return(self) -> float:
        return float(sum(self.rewards))


def epsilon_greedy_probs(q: torch.Tensor, epsilon: float) -> torch.Tensor:
    """``(..., A)`` action values -> ``(..., A)`` epsilon-greedy probabilities (ties split the
    greedy mass equally; every row sums to 1)."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    best = (q == q.max(-1, keepdim=True).values).to(q.dtype if q.is_floating_point() else torch.float64)
    return (1.0 - epsilon) * best / best.sum(-1, keepdim=True) + epsilon / q.shape[-1]


def sample_action(probs: torch.Tensor, generator: torch.Generator | None = None) -> int:
    """One action index drawn from a ``(A,)`` probability vector."""
    return int(torch.multinomial(probs, 1, generator=generator))


def play_episode(env, policy: Callable[[int], int], max_steps: int | None = None,
                 seed: int | None = None) -> Episode:
    """Play one episode of a gymnasium environment with ``policy(state) -> action``; stops on
    termination, on the environment's own truncation, or after ``max_steps`` steps (counted as
    truncated). ``seed`` is passed to ``env.reset``."""
    state, _ = env.reset(seed=seed)
    ep = Episode()
    while True:
        action = policy(int(state))
        nxt, reward, terminated, truncated, _ = env.step(action)
        ep.states.append(int(state))
        ep.actions.append(int(action))
        ep.rewards.append(float(reward))
        state = nxt
        if terminated or truncated or (max_steps is not None and len(ep) >= max_steps):
            ep.final_state, ep.terminated = int(nxt), bool(terminated)
            return ep


def monte_carlo_prediction(episodes: list[Episode], n_states: int, gamma: float,
                           first_visit: bool = True) -> torch.Tensor:
    """Monte Carlo estimates of ``V_pi`` after each episode: ``(len(episodes), S)``.

    ``V(s)`` is the average of the returns ``G_t`` that followed visits to ``s`` (the first
    visit of each episode, or every visit); states never visited keep 0. A truncated
    episode's returns count only the rewards seen (Monte Carlo has nothing to bootstrap with):
    the estimate is then biased, which is why it needs complete episodes."""
    sums = torch.zeros(n_states, dtype=torch.float64)
    counts = torch.zeros(n_states, dtype=torch.float64)
    history = torch.zeros(len(episodes), n_states, dtype=torch.float64)
    for i, ep in enumerate(episodes):
        G, returns = 0.0, [0.0] * len(ep)
        for t in range(len(ep) - 1, -1, -1):
            G = ep.rewards[t] + gamma * G
            returns[t] = G
        seen: set[int] = set()
        for t, s in enumerate(ep.states):
            if first_visit and s in seen:
                continue
            seen.add(s)
            sums[s] += returns[t]
            counts[s] += 1
        history[i] = torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros_like(sums))
    return history


def td0_target(reward: float, v_next: float, terminated: bool, gamma: float) -> float:
    """``r + gamma V(s')``, without the bootstrap when the episode terminated at ``s'``."""
    return reward + (0.0 if terminated else gamma * v_next)


def td0_prediction(episodes: list[Episode], n_states: int, gamma: float, alpha: float) -> torch.Tensor:
    """TD(0) estimates of ``V_pi`` after each episode: ``(len(episodes), S)``, from ``V = 0``,
    updating ``V(s_t) += alpha (td0_target - V(s_t))`` after every step. A truncated episode
    bootstraps from its final state's value (the state is not terminal)."""
    V = torch.zeros(n_states, dtype=torch.float64)
    history = torch.zeros(len(episodes), n_states, dtype=torch.float64)
    for i, ep in enumerate(episodes):
        for t, s in enumerate(ep.states):
            last = t == len(ep) - 1
            nxt = ep.final_state if last else ep.states[t + 1]
            target = td0_target(ep.rewards[t], float(V[nxt]), ep.terminated and last, gamma)
            V[s] += alpha * (target - V[s])
        history[i] = V
    return history


def sarsa_target(reward: float, q_next: torch.Tensor, next_action: int, terminated: bool, gamma: float) -> float:
    """``r + gamma Q(s', a')`` with ``a'`` the action the behaviour policy takes next; no bootstrap
    after termination. ``q_next``: ``Q(s', .)`` ``(A,)``."""
    return reward + (0.0 if terminated else gamma * float(q_next[next_action]))


def q_learning_target(reward: float, q_next: torch.Tensor, terminated: bool, gamma: float) -> float:
    """``r + gamma max_a Q(s', a)``; no bootstrap after termination. ``q_next``: ``(A,)``."""
    return reward + (0.0 if terminated else gamma * float(q_next.max()))


def td_targets(rewards: torch.Tensor, q_next: torch.Tensor, next_actions: torch.Tensor, terminated: torch.Tensor,
               gamma: float, method: str) -> torch.Tensor:
    """The targets of a batch of transitions, ``(B,)``: ``r + gamma (1 - terminated) Q(s', a')``
    with ``a'`` the next action taken (``method="sarsa"``) or ``max_a Q(s', a)``
    (``"q_learning"``). ``rewards`` ``(B,)``, ``q_next`` ``(B, A)``, ``next_actions`` ``(B,)``
    long (read by SARSA only), ``terminated`` ``(B,)`` bool or 0/1."""
    if method == "sarsa":
        boot = q_next.gather(-1, next_actions[:, None])[:, 0]
    elif method == "q_learning":
        boot = q_next.max(-1).values
    else:
        raise ValueError(f"method must be 'sarsa' or 'q_learning', got {method!r}")
    return rewards + gamma * (1.0 - terminated.to(rewards.dtype)) * boot


def td_control(env, method: str, episodes: int, alpha: float = 0.2, epsilon: float = 0.1, gamma: float = 1.0,
               seed: int | None = 0, max_steps: int = 10_000,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[float]]:
    """SARSA (``method="sarsa"``) or Q-learning (``"q_learning"``) with epsilon-greedy behaviour
    from ``Q = 0``, for ``episodes`` episodes. Returns ``(Q (S, A) float64, the online return of
    every episode)``: what the agent earned while exploring. Actions are drawn from
    ``generator`` (default: a new one seeded with ``seed``); the environment is reset with
    ``seed`` at the first episode (``seed=None``: never seeded here). An episode longer than
    ``max_steps`` is cut there (truncated: the last step still bootstraps)."""
    if method not in ("sarsa", "q_learning"):
        raise ValueError(f"method must be 'sarsa' or 'q_learning', got {method!r}")
    S, A = env.observation_space.n, env.action_space.n
    Q = torch.zeros(S, A, dtype=torch.float64)
    gen = generator if generator is not None else torch.Generator().manual_seed(0 if seed is None else seed)
    online: list[float] = []

    def act(s: int) -> int:
        return sample_action(epsilon_greedy_probs(Q[s], epsilon), gen)

    for episode in range(episodes):
        s, _ = env.reset(seed=seed if episode == 0 else None)
        s = int(s)
        a, total = act(s), 0.0
        for _ in range(max_steps):
            nxt, r, terminated, truncated, _ = env.step(a)
            nxt = int(nxt)
            total += float(r)
            a_next = act(nxt)
            if method == "sarsa":
                target = sarsa_target(float(r), Q[nxt], a_next, terminated, gamma)
            else:
                target = q_learning_target(float(r), Q[nxt], terminated, gamma)
            Q[s, a] += alpha * (target - Q[s, a])
            s, a = nxt, a_next
            if terminated or truncated:
                break
        online.append(total)
    return Q, online


def q_learning(env, episodes: int, alpha: float, epsilon: float, gamma: float,
               generator: torch.Generator) -> tuple[torch.Tensor, list[float]]:
    """Q-learning for ``episodes`` episodes of ``env`` (already seeded by the caller; every
    episode starts with ``env.reset()``), epsilon-greedy actions drawn from ``generator``:
    ``(Q (S, A) float64, the online return of every episode)``."""
    return td_control(env, "q_learning", episodes, alpha, epsilon, gamma, seed=None, generator=generator)


def sarsa(env, episodes: int, alpha: float, epsilon: float, gamma: float,
          generator: torch.Generator) -> tuple[torch.Tensor, list[float]]:
    """SARSA, called like :func:`q_learning`."""
    return td_control(env, "sarsa", episodes, alpha, epsilon, gamma, seed=None, generator=generator)


def greedy_path(env, Q: torch.Tensor, max_steps: int = 200) -> tuple[list[int], float, bool]:
    """Follow ``argmax_a Q(s, a)`` from the start (ties: the lowest index) until the episode ends
    or ``max_steps``. Returns ``(states visited including the last, total return, terminated)``."""
    s, _ = env.reset(seed=0)
    path, total = [int(s)], 0.0
    for _ in range(max_steps):
        s, r, terminated, truncated, _ = env.step(int(Q[int(s)].argmax()))
        path.append(int(s))
        total += float(r)
        if terminated or truncated:
            return path, total, bool(terminated)
    return path, total, False


def rms_error(V_history: torch.Tensor, V_true: torch.Tensor, states: torch.Tensor | None = None) -> torch.Tensor:
    """Root-mean-square error of each row of ``V_history`` ``(N, S)`` against ``V_true`` ``(S,)``,
    over ``states`` (a bool mask; default all): ``(N,)``."""
    diff = V_history - V_true.to(V_history.dtype)
    if states is not None:
        diff = diff[:, states]
    return diff.pow(2).mean(-1).sqrt()
