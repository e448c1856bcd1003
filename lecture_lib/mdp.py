"""Finite MDPs as tensors, and dynamic programming on them.

A finite MDP with S states and A actions is held as tensors (float64 by default, on any
device):

- ``P`` ``(S, A, S)``: ``P[s, a, s'] = p(s' | s, a)``;
- ``R`` ``(S, A)``: the expected reward of taking a in s, ``r(s, a) = sum_s' p(s'|s,a) r(s,a,s')``;
- ``terminal`` ``(S,)`` bool: states where an episode ends. Reaching one ends the episode,
  so its value is 0 by definition: nothing is bootstrapped from it;
- ``start`` ``(S,)``: the distribution of the first state.

A policy is a ``(S, A)`` tensor of probabilities ``pi(a | s)`` (rows sum to 1); a
deterministic policy may also be given as a ``(S,)`` tensor of action indices.

The Bellman equations, with ``c(s') = 1 - terminal(s')`` (no value after an episode ends):

- expectation: ``V_pi(s) = sum_a pi(a|s) [ r(s,a) + gamma sum_s' p(s'|s,a) c(s') V_pi(s') ]``;
- optimality:  ``V*(s)   = max_a       [ r(s,a) + gamma sum_s' p(s'|s,a) c(s') V*(s')   ]``;
- ``Q(s, a) = r(s,a) + gamma sum_s' p(s'|s,a) c(s') V(s')`` (``q_from_v``).

Terminal states themselves get ``V = 0`` and ``Q = 0``.

``from_gymnasium`` reads gymnasium's own transition table (``env.unwrapped.P[s][a]``, a list
of ``(prob, next_state, reward, terminated)``), e.g. ``FrozenLake-v1`` and
``CliffWalking-v1``.

Defined in: unit 5.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

__all__ = [
    "TabularMDP", "from_gymnasium", "frozen_lake", "cliff_walking", "as_policy", "uniform_policy",
    "q_from_v", "bellman_expectation_backup", "bellman_optimality_backup", "policy_evaluation",
    "policy_evaluation_exact", "greedy_policy", "policy_iteration", "value_iteration", "plot_grid",
]


@dataclass(frozen=True)
class TabularMDP:
    """A finite MDP as tensors (see the module's docstring); ``nrow``/``ncol`` and ``desc``
    describe a grid world for plotting (state ``s`` is cell ``divmod(s, ncol)``)."""

    P: torch.Tensor
    R: torch.Tensor
    terminal: torch.Tensor
    start: torch.Tensor
    nrow: int = 0
    ncol: int = 0
    desc: tuple[str, ...] = ()
    name: str = ""
    action_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        S, A = self.R.shape
        if self.P.shape != (S, A, S):
            raise ValueError(f"P must be (S, A, S) = {(S, A, S)}, got {tuple(self.P.shape)}")
        if self.terminal.shape != (S,) or self.start.shape != (S,):
            raise ValueError("terminal and start must be (S,)")
        if not torch.allclose(self.P.sum(-1), torch.ones_like(self.R)):
            raise ValueError("every P[s, a, :] must sum to 1")

    @property
    def n_states(self) -> int:
        return self.R.shape[0]

    @property
    def n_actions(self) -> int:
        return self.R.shape[1]

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "TabularMDP":
        """The same MDP with its float tensors on ``device`` in ``dtype``."""
        return replace(self, P=self.P.to(device, dtype), R=self.R.to(device, dtype),
                       terminal=self.terminal.to(device), start=self.start.to(device, dtype))


def from_gymnasium(env, name: str = "", dtype: torch.dtype = torch.float64,
                   device: torch.device | str | None = None) -> TabularMDP:
    """Build a ``TabularMDP`` from a gymnasium toy-text environment's table ``env.unwrapped.P``.

    A transition flagged ``terminated`` must lead into a state that always ends the episode
    (as in FrozenLake and CliffWalking); that state is marked ``terminal``."""
    base = env.unwrapped
    S, A = base.observation_space.n, base.action_space.n
    P = torch.zeros(S, A, S, dtype=torch.float64)
    R = torch.zeros(S, A, dtype=torch.float64)
    ends = torch.zeros(S, dtype=torch.bool)
    continues = torch.zeros(S, dtype=torch.bool)
    for s in range(S):
        for a in range(A):
            for prob, nxt, reward, terminated in base.P[s][a]:
                P[s, a, int(nxt)] += prob
                R[s, a] += prob * reward
                if prob > 0:
                    (ends if terminated else continues)[int(nxt)] = True
    if (ends & continues).any():
        bad = torch.nonzero(ends & continues).flatten().tolist()
        raise ValueError(f"states {bad} are entered both with and without termination: not a state-based terminal")
    start = torch.as_tensor(getattr(base, "initial_state_distrib", None), dtype=torch.float64) \
        if getattr(base, "initial_state_distrib", None) is not None else None
    if start is None:
        start = torch.zeros(S, dtype=torch.float64)
        start[int(getattr(base, "start_state_index", 0))] = 1.0
    desc = tuple(row.tobytes().decode() if hasattr(row, "tobytes") else str(row) for row in getattr(base, "desc", ()))
    nrow = int(getattr(base, "nrow", 0) or (base.shape[0] if hasattr(base, "shape") else 0))
    ncol = int(getattr(base, "ncol", 0) or (base.shape[1] if hasattr(base, "shape") else 0))
    mdp = TabularMDP(P=P, R=R, terminal=ends, start=start, nrow=nrow, ncol=ncol, desc=desc, name=name)
    return mdp.to(device, dtype)


def frozen_lake(map_name: str = "4x4", slippery: bool = True, **kwargs) -> TabularMDP:
    """FrozenLake-v1 from gymnasium's table: reward 1 on reaching the goal, holes and goal terminal."""
    import gymnasium as gym

    env = gym.make("FrozenLake-v1", map_name=map_name, is_slippery=slippery)
    mdp = from_gymnasium(env, name=f"FrozenLake-v1 {map_name}{' slippery' if slippery else ''}", **kwargs)
    return replace(mdp, action_names=("left", "down", "right", "up"))


def cliff_walking(**kwargs) -> TabularMDP:
    """CliffWalking-v1 (4 x 12): -1 per step, -100 and back to the start on the cliff, goal terminal.
    ``desc`` marks the start ``S``, the cliff ``C``, the goal ``G`` and free cells ``F``."""
    import gymnasium as gym

    env = gym.make("CliffWalking-v1")
    mdp = from_gymnasium(env, name="CliffWalking-v1", **kwargs)
    return replace(mdp, nrow=4, ncol=12, desc=("F" * 12,) * 3 + ("S" + "C" * 10 + "G",),
                   action_names=("up", "right", "down", "left"))


def as_policy(policy: torch.Tensor, n_actions: int) -> torch.Tensor:
    """``(S,)`` action indices -> the ``(S, A)`` one-hot probabilities; ``(S, A)`` is returned as is."""
    if policy.dim() == 1:
        return torch.nn.functional.one_hot(policy.long(), n_actions).to(torch.float64)
    return policy


def uniform_policy(mdp: TabularMDP) -> torch.Tensor:
    """``pi(a | s) = 1 / A`` everywhere: ``(S, A)``."""
    return torch.full_like(mdp.R, 1.0 / mdp.n_actions)


def q_from_v(mdp: TabularMDP, V: torch.Tensor, gamma: float) -> torch.Tensor:
    """``Q(s, a) = r(s, a) + gamma sum_s' p(s'|s,a) (1 - terminal(s')) V(s')``, 0 on terminal s: ``(S, A)``."""
    cont = (~mdp.terminal).to(V.dtype)
    q = mdp.R + gamma * mdp.P @ (cont * V)
    return q * cont[:, None]


def bellman_expectation_backup(mdp: TabularMDP, V: torch.Tensor, policy: torch.Tensor, gamma: float) -> torch.Tensor:
    """One sweep of the expectation backup (all states at once): ``(S,)`` -> ``(S,)``."""
    pi = as_policy(policy, mdp.n_actions).to(V.dtype)
    return (pi * q_from_v(mdp, V, gamma)).sum(-1)


def bellman_optimality_backup(mdp: TabularMDP, V: torch.Tensor, gamma: float) -> torch.Tensor:
    """One sweep of the optimality backup: ``V(s) <- max_a Q(s, a)``: ``(S,)`` -> ``(S,)``."""
    return q_from_v(mdp, V, gamma).max(-1).values


def policy_evaluation(mdp: TabularMDP, policy: torch.Tensor, gamma: float, tol: float = 1e-10,
                      max_sweeps: int = 100_000) -> tuple[torch.Tensor, int]:
    """Iterative policy evaluation: repeat the expectation backup from ``V = 0`` until no value
    moves by more than ``tol``. Returns ``(V (S,), sweeps)``. With ``gamma = 1`` it converges
    when the policy's values are finite (e.g. every state reaches a terminal state, or the
    states that never do earn no reward)."""
    V = torch.zeros(mdp.n_states, dtype=mdp.R.dtype, device=mdp.R.device)
    for sweep in range(1, max_sweeps + 1):
        new = bellman_expectation_backup(mdp, V, policy, gamma)
        delta = (new - V).abs().max().item()
        V = new
        if delta <= tol:
            return V, sweep
    raise RuntimeError(f"policy evaluation did not converge in {max_sweeps} sweeps (last change {delta:.2e})")


def policy_evaluation_exact(mdp: TabularMDP, policy: torch.Tensor, gamma: float) -> torch.Tensor:
    """Solve the expectation equation as a linear system: on the non-terminal states,
    ``(I - gamma P_pi) V = r_pi`` with ``P_pi[s, s'] = sum_a pi(a|s) p(s'|s,a)`` restricted to
    non-terminal ``s'``, ``r_pi(s) = sum_a pi(a|s) r(s,a)``; terminal states get 0. ``(S,)``."""
    pi = as_policy(policy, mdp.n_actions).to(mdp.R.dtype)
    live = ~mdp.terminal
    P_pi = torch.einsum("sa,sat->st", pi, mdp.P)[live][:, live]
    r_pi = (pi * mdp.R).sum(-1)[live]
    eye = torch.eye(int(live.sum()), dtype=P_pi.dtype, device=P_pi.device)
    A = eye - gamma * P_pi
    if torch.linalg.matrix_rank(A) < A.shape[0]:
        raise ValueError(f"I - gamma P_pi is singular at gamma = {gamma}: under this policy some states never "
                         "reach a terminal state, so with gamma = 1 their values are not determined by the "
                         "equation; use gamma < 1 or policy_evaluation")
    V = torch.zeros(mdp.n_states, dtype=mdp.R.dtype, device=mdp.R.device)
    V[live] = torch.linalg.solve(A, r_pi)
    return V


def greedy_policy(q: torch.Tensor) -> torch.Tensor:
    """``argmax_a Q(s, a)`` per state: ``(S, A)`` -> ``(S,)`` long (ties: the lowest index)."""
    return q.argmax(-1)


def policy_iteration(mdp: TabularMDP, gamma: float, policy: torch.Tensor | None = None,
                     max_iterations: int = 1000) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Alternate evaluation (``policy_evaluation``) and greedy improvement until the
    policy is stable (it changes only where it is not greedy by more than 1e-12, so that ties
    cannot make it cycle). Starts from ``policy`` (default: action 0 everywhere).
    Returns ``(policy (S,) long, V (S,), improvements)``."""
    pi = torch.zeros(mdp.n_states, dtype=torch.long, device=mdp.R.device) if policy is None else policy.clone()
    for it in range(1, max_iterations + 1):
        V, _ = policy_evaluation(mdp, pi, gamma)
        q = q_from_v(mdp, V, gamma)
        best = q.max(-1).values
        current = q.gather(-1, pi[:, None]).squeeze(-1)
        improve = current < best - 1e-12
        if not improve.any():
            return pi, V, it - 1
        pi = torch.where(improve, greedy_policy(q), pi)
    raise RuntimeError(f"policy iteration did not stabilize in {max_iterations} improvements")


def value_iteration(mdp: TabularMDP, gamma: float, tol: float = 1e-12,
                    max_sweeps: int = 1_000_000) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Repeat the optimality backup from ``V = 0`` until no value moves by more than ``tol``;
    then extract the greedy policy. Returns ``(V (S,), policy (S,) long, sweeps)``."""
    V = torch.zeros(mdp.n_states, dtype=mdp.R.dtype, device=mdp.R.device)
    for sweep in range(1, max_sweeps + 1):
        new = bellman_optimality_backup(mdp, V, gamma)
        delta = (new - V).abs().max().item()
        V = new
        if delta <= tol:
            return V, greedy_policy(q_from_v(mdp, V, gamma)), sweep
    raise RuntimeError(f"value iteration did not converge in {max_sweeps} sweeps (last change {delta:.2e})")


_ARROWS = {"left": "\u2190", "up": "\u2191", "right": "\u2192", "down": "\u2193"}


def plot_grid(ax, mdp: TabularMDP, values: torch.Tensor | None = None, policy: torch.Tensor | None = None,
              path: list[int] | None = None, title: str = "", cmap: str = "viridis"):
    """Draw a grid world: ``values`` ``(S,)`` as a heat map (with the numbers), the greedy
    ``policy`` ``(S,)`` as arrows on non-terminal cells, a ``path`` of states as a line, and the
    map's letters (S start, H hole, G goal, C cliff). Returns the image (or None)."""
    import numpy as np

    nrow, ncol = mdp.nrow, mdp.ncol
    image = None
    if values is not None:
        grid = values.detach().cpu().double().reshape(nrow, ncol).numpy()
        image = ax.imshow(grid, cmap=cmap)
        for r in range(nrow):
            for c in range(ncol):
                if ncol <= 8:
                    ax.text(c, r + 0.3, f"{grid[r, c]:.2f}", ha="center", va="center", fontsize=7, color="w")
    else:
        ax.imshow(np.zeros((nrow, ncol)), cmap="Greys", vmin=0, vmax=1)
    terminal = mdp.terminal.cpu()
    for s in range(nrow * ncol):
        r, c = divmod(s, ncol)
        letter = mdp.desc[r][c] if mdp.desc else ""
        if letter in "SHGC":
            ax.text(c - 0.3, r - 0.3, letter, ha="center", va="center", fontsize=8, color="r", weight="bold")
        if policy is not None and not terminal[s] and letter != "C":
            ax.text(c, r - 0.02, _ARROWS[mdp.action_names[int(policy[s])]], ha="center", va="center",
                    fontsize=12 if ncol <= 8 else 9, color="w" if values is not None else "k")
    if path:
        rows, cols = zip(*(divmod(int(s), ncol) for s in path))
        ax.plot(cols, rows, color="orange", lw=2.5, alpha=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return image
