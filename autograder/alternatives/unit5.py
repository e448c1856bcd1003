"""Unit 5's correct alternatives (see :mod:`autograder.alternatives`).

``unit5.q_learning`` is behavioural (each run trains on CliffWalking): its alternatives are tested
by ``tests/test_qlearning_exercise.py`` and its false-failure rate is measured by
``tools/measure_cliff_check.py``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from autograder.misconceptions.unit5 import cliff_agent

# ----------------------------------------------------------------- q_from_v


def q_loops(P, R, terminal, V, gamma):
    S, A, _ = P.shape
    Q = torch.zeros(S, A, dtype=R.dtype)
    for s in range(S):
        for a in range(A):
            total = R[s, a].item()
            for t in range(S):
                if not terminal[t]:
                    total += gamma * P[s, a, t].item() * V[t].item()
            Q[s, a] = total
    return Q


def q_einsum(P, R, terminal, V, gamma):
    return R + gamma * torch.einsum("sat,t->sa", P, torch.where(terminal, torch.zeros_like(V), V))


# ----------------------------------------------------------------- policy evaluation


def evaluation_in_place(P, R, terminal, policy, gamma, tol):
    """Gauss-Seidel sweeps: each state's new value is used at once."""
    S = R.shape[0]
    V = torch.zeros(S, dtype=R.dtype)
    live = (~terminal).to(R.dtype)
    while True:
        delta = 0.0
        for s in range(S):
            new = (policy[s] * (R[s] + gamma * P[s] @ (live * V))).sum()
            delta = max(delta, abs(new.item() - V[s].item()))
            V[s] = new
        if delta <= tol:
            return V


def evaluation_solve(P, R, terminal, policy, gamma, tol):
    """The linear system on all states (terminal ones come out 0: absorbing, reward 0)."""
    live = (~terminal).to(R.dtype)
    P_pi = torch.einsum("sa,sat->st", policy, P) * live[None, :]
    r_pi = (policy * R).sum(1)
    return torch.linalg.solve(torch.eye(len(r_pi), dtype=R.dtype) - gamma * P_pi, r_pi)


# ----------------------------------------------------------------- value iteration


def vi_in_place(P, R, terminal, gamma, tol):
    S = R.shape[0]
    V = torch.zeros(S, dtype=R.dtype)
    live = (~terminal).to(R.dtype)
    while True:
        delta = 0.0
        for s in range(S):
            new = (R[s] + gamma * P[s] @ (live * V)).max()
            delta = max(delta, abs(new.item() - V[s].item()))
            V[s] = new
        if delta <= tol:
            break
    Q = R + gamma * P @ (live * V)
    return V, Q.argmax(1)


def vi_last_maximizer(P, R, terminal, gamma, tol):
    """Vectorized; ties broken towards the highest action index."""
    live = (~terminal).to(R.dtype)
    V = torch.zeros(R.shape[0], dtype=R.dtype)
    while True:
        new = (R + gamma * torch.einsum("sat,t->sa", P, live * V)).max(1).values
        done = (new - V).abs().max() <= tol
        V = new
        if done:
            break
    Q = R + gamma * torch.einsum("sat,t->sa", P, live * V)
    A = Q.shape[1]
    return V, (A - 1 - Q.flip(1).argmax(1)).long()


# ----------------------------------------------------------------- epsilon-greedy


def eps_loop(q, epsilon):
    flat = q.reshape(-1, q.shape[-1])
    out = torch.empty_like(flat)
    A = flat.shape[1]
    for i, row in enumerate(flat):
        best = [a for a in range(A) if row[a] == row.max()]
        for a in range(A):
            out[i, a] = epsilon / A + ((1 - epsilon) / len(best) if a in best else 0.0)
    return out.reshape(q.shape)


def eps_where(q, epsilon):
    is_max = q == q.amax(-1, keepdim=True)
    k = is_max.sum(-1, keepdim=True)
    return torch.where(is_max, epsilon / q.shape[-1] + (1 - epsilon) / k, torch.full_like(q, epsilon / q.shape[-1]))


# ----------------------------------------------------------------- SARSA / Q-learning targets


def targets_loop(rewards, q_next, next_actions, terminated, gamma, method):
    out = torch.empty_like(rewards)
    for i in range(len(rewards)):
        if terminated[i]:
            out[i] = rewards[i]
        elif method == "sarsa":
            out[i] = rewards[i] + gamma * q_next[i, next_actions[i]]
        else:
            out[i] = rewards[i] + gamma * q_next[i].max()
    return out


def targets_where(rewards, q_next, next_actions, terminated, gamma, method):
    boot = q_next[torch.arange(len(rewards)), next_actions] if method == "sarsa" else q_next.amax(1)
    return torch.where(terminated, rewards, rewards + gamma * boot)


# ----------------------------------------------------------------- Monte Carlo


def mc_forward_sums(episodes, n_states, gamma, first_visit):
    """Returns as explicit discounted sums of the rest of the episode; running means."""
    V = torch.zeros(n_states, dtype=torch.float64)
    N = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        seen = set()
        for t, s in enumerate(ep.states):
            if first_visit and s in seen:
                continue
            seen.add(s)
            G = sum(gamma ** k * r for k, r in enumerate(ep.rewards[t:]))
            N[s] += 1
            V[s] += (G - V[s]) / N[s]
    return V


def mc_first_index(episodes, n_states, gamma, first_visit):
    sums = torch.zeros(n_states, dtype=torch.float64)
    counts = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        T = len(ep.rewards)
        G = [0.0] * (T + 1)
        for t in reversed(range(T)):
            G[t] = ep.rewards[t] + gamma * G[t + 1]
        first = {}
        for t, s in enumerate(ep.states):
            first.setdefault(s, t)
        for t, s in enumerate(ep.states):
            if first_visit and first[s] != t:
                continue
            sums[s] += G[t]
            counts[s] += 1
    return torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros_like(sums))


# ----------------------------------------------------------------- TD(0)


def td0_loop(episodes, n_states, gamma, alpha):
    V = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        nexts = ep.states[1:] + [ep.final_state]
        for t, (s, r, s2) in enumerate(zip(ep.states, ep.rewards, nexts)):
            end = ep.terminated and t == len(ep.rewards) - 1
            V[s] = V[s] + alpha * (r + (0.0 if end else gamma * V[s2].item()) - V[s])
    return V


def td0_python_floats(episodes, n_states, gamma, alpha):
    V = [0.0] * n_states
    for ep in episodes:
        T = len(ep.rewards)
        for t in range(T):
            s = ep.states[t]
            nxt = ep.states[t + 1] if t + 1 < T else ep.final_state
            cont = 0.0 if (t == T - 1 and ep.terminated) else 1.0
            V[s] += alpha * (ep.rewards[t] + gamma * cont * V[nxt] - V[s])
    return torch.tensor(V, dtype=torch.float64)


# ----------------------------------------------------------------- the DQN loss


def dqn_huber_by_hand(q_net, target_net, batch, gamma):
    q = q_net(batch["obs"])[torch.arange(len(batch["actions"])), batch["actions"]]
    with torch.no_grad():
        y = batch["rewards"] + gamma * (1 - batch["terminated"]) * target_net(batch["next_obs"]).amax(1)
    d = q - y
    return torch.where(d.abs() < 1, 0.5 * d ** 2, d.abs() - 0.5).mean()


def dqn_huber_loss_fn(q_net, target_net, batch, gamma):
    y = (batch["rewards"] + gamma * (1 - batch["terminated"]) * target_net(batch["next_obs"]).max(1).values).detach()
    q = q_net(batch["obs"]).gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
    return F.huber_loss(q, y, delta=1.0)


def cliff_agent_numpy(env, episodes, alpha, epsilon, gamma, generator):
    """Another correct reading: numpy table, the epsilon-greedy probabilities sampled as a whole."""
    Q = np.zeros((48, 4))
    returns = []
    for _ in range(episodes):
        s, _ = env.reset()
        total, done = 0.0, False
        while not done:
            row = Q[s]
            greedy = (row == row.max()).astype(float)
            probs = epsilon / 4 + (1 - epsilon) * greedy / greedy.sum()
            a = int(torch.multinomial(torch.tensor(probs), 1, generator=generator))
            s2, r, term, trunc, _ = env.step(a)
            Q[s, a] += alpha * (r + (0.0 if term else gamma * Q[s2].max()) - Q[s, a])
            total += r
            s, done = s2, term or trunc
        returns.append(total)
    return torch.tensor(Q), returns


ALTERNATIVES = {
    "unit5.q_from_v": [q_loops, q_einsum],
    "unit5.policy_evaluation": [evaluation_in_place, evaluation_solve],
    "unit5.value_iteration": [vi_in_place, vi_last_maximizer],
    "unit5.epsilon_greedy_probs": [eps_loop, eps_where],
    "unit5.td_targets": [targets_loop, targets_where],
    "unit5.monte_carlo_prediction": [mc_forward_sums, mc_first_index],
    "unit5.td0_prediction": [td0_loop, td0_python_floats],
    "unit5.dqn_loss": [dqn_huber_by_hand, dqn_huber_loss_fn],
    "unit5.q_learning": [cliff_agent, cliff_agent_numpy],
}
