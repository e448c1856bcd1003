"""Unit 5's exercises: correct alternatives (``CORRECT``: exercise id -> list of functions) and
listed mistakes (``MISTAKES``: exercise id -> {name: function}), for
``tests/test_exercises_unit5.py``. Each mistake is one the exercise's docstring lists."""

from __future__ import annotations

import torch
import torch.nn.functional as F

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


def _q(P, R, terminal, V, gamma, *, mask=True, axis_ok=True, gamma_on_r=False, use_gamma=True):
    Vm = V * (~terminal).to(V.dtype) if mask else V
    nxt = torch.einsum("sat,t->sa", P, Vm) if axis_ok else torch.einsum("tas,t->sa", P, Vm)
    g = gamma if use_gamma else 1.0
    return g * (R + nxt) if gamma_on_r else R + g * nxt


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


def _evaluation(P, R, terminal, policy, gamma, tol, *, sweeps=None, use_max=False, mask=True):
    V = torch.zeros(R.shape[0], dtype=R.dtype)
    live = (~terminal).to(R.dtype) if mask else torch.ones_like(V)
    n = 0
    while True:
        q = R + gamma * P @ (live * V)
        new = q.max(1).values if use_max else (policy * q).sum(1)
        delta = (new - V).abs().max().item()
        V, n = new, n + 1
        if (sweeps is not None and n >= sweeps) or (sweeps is None and delta <= tol):
            return V


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


def _vi(P, R, terminal, gamma, tol, *, policy_from="q", sweeps=None, mask=True):
    live = (~terminal).to(R.dtype) if mask else torch.ones(R.shape[0], dtype=R.dtype)
    V = torch.zeros(R.shape[0], dtype=R.dtype)
    n = 0
    while True:
        new = (R + gamma * P @ (live * V)).max(1).values
        delta = (new - V).abs().max().item()
        V, n = new, n + 1
        if (sweeps is not None and n >= sweeps) or (sweeps is None and delta <= tol):
            break
    Q = R + gamma * P @ (live * V)
    if policy_from == "reward":
        return V, R.argmax(1)
    if policy_from == "argmin":
        return V, Q.argmin(1)
    return V, Q.argmax(1)


def _vi_greedy_in_reward(P, R, terminal, gamma, tol):
    # V* right, the policy greedy in the immediate reward only
    return _vi(P, R, terminal, gamma, tol, policy_from="reward")


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


def _eps(q, epsilon, *, mistake):
    A = q.shape[-1]
    if mistake == "no tie split":
        return epsilon / A + (1 - epsilon) * F.one_hot(q.argmax(-1), A).to(q.dtype)
    is_max = (q == q.amax(-1, keepdim=True)).to(q.dtype)
    k = is_max.sum(-1, keepdim=True)
    if mistake == "greedy gets 1 - eps":
        return is_max * (1 - epsilon) / k + (1 - is_max) * epsilon / max(A - 1, 1)
    if mistake == "sum not 1":
        return is_max * (1 - epsilon) / k + (1 - is_max) * epsilon / A
    raise ValueError(mistake)


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


def _targets(rewards, q_next, next_actions, terminated, gamma, method, *, mistake):
    sarsa = q_next.gather(1, next_actions[:, None])[:, 0]
    greedy = q_next.max(1).values
    boot = sarsa if method == "sarsa" else greedy
    if mistake == "sarsa max" and method == "sarsa":
        boot = greedy
    if mistake == "q taken" and method == "q_learning":
        boot = sarsa
    c = torch.ones_like(rewards) if mistake == "no mask" else (~terminated).to(rewards.dtype)
    g = 1.0 if mistake == "no gamma" else gamma
    return rewards + g * c * boot


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


def _mc(episodes, n_states, gamma, first_visit, *, mistake):
    sums = torch.zeros(n_states, dtype=torch.float64)
    counts = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        T = len(ep.rewards)
        G = [0.0] * (T + 1)
        if mistake == "forwards":
            running = 0.0
            for t in range(T):
                running = running + gamma ** t * ep.rewards[t]
                G[t] = running
        else:
            for t in reversed(range(T)):
                G[t] = ep.rewards[t] + gamma * G[t + 1]
        fv = {"every always": False, "first always": True}.get(mistake, first_visit)
        chosen = {}
        for t, s in enumerate(ep.states):
            if mistake == "last visit":
                chosen[s] = t
            else:
                chosen.setdefault(s, t)
        for t, s in enumerate(ep.states):
            if fv and chosen[s] != t:
                continue
            sums[s] += G[t + 1] if mistake == "off by one" else G[t]
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


def _td0(episodes, n_states, gamma, alpha, *, mistake):
    V = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        old = V.clone()
        T = len(ep.rewards)
        for t in range(T):
            s = ep.states[t]
            nxt = ep.states[t + 1] if t + 1 < T else ep.final_state
            last = t == T - 1
            end = last and (ep.terminated or mistake == "truncation terminal")
            source = old if mistake == "stale values" else V   # stale: offline TD, values frozen per episode
            if mistake == "off by one":
                nxt = s
            target = ep.rewards[t] + (0.0 if end else gamma * source[nxt].item())
            if mistake == "alpha on target":
                V[s] = V[s] + alpha * target
            else:
                V[s] = V[s] + alpha * (target - source[s].item())
    return V


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


def _dqn(q_net, target_net, batch, gamma, *, mistake):
    q_all = q_net(batch["obs"])
    q = q_all.max(1).values if mistake == "max not taken" else q_all.gather(1, batch["actions"][:, None])[:, 0]
    boot_net = q_net if mistake == "online target" else target_net
    nxt = boot_net(batch["next_obs"]).max(1).values
    if mistake != "not detached":
        nxt = nxt.detach()
    c = torch.ones_like(batch["terminated"]) if mistake == "no mask" else 1 - batch["terminated"]
    y = batch["rewards"] + gamma * c * nxt
    return F.mse_loss(q, y) if mistake == "mse" else F.smooth_l1_loss(q, y)


def _m(fn, **kw):
    return lambda *args: fn(*args, **kw)


CORRECT = {
    "unit5.q_from_v": [q_loops, q_einsum],
    "unit5.policy_evaluation": [evaluation_in_place, evaluation_solve],
    "unit5.value_iteration": [vi_in_place, vi_last_maximizer],
    "unit5.epsilon_greedy_probs": [eps_loop, eps_where],
    "unit5.td_targets": [targets_loop, targets_where],
    "unit5.monte_carlo_prediction": [mc_forward_sums, mc_first_index],
    "unit5.td0_prediction": [td0_loop, td0_python_floats],
    "unit5.dqn_loss": [dqn_huber_by_hand, dqn_huber_loss_fn],
}

MISTAKES = {
    "unit5.q_from_v": {
        "bootstraps from terminal states": _m(_q, mask=False),
        "sums P over the wrong axis": _m(_q, axis_ok=False),
        "gamma on the reward too": _m(_q, gamma_on_r=True),
        "no gamma": _m(_q, use_gamma=False),
    },
    "unit5.policy_evaluation": {
        "one sweep only": _m(_evaluation, sweeps=1),
        "a fixed 50 sweeps, not converged": _m(_evaluation, sweeps=50),
        "the max over actions (value iteration)": _m(_evaluation, use_max=True),
    },
    "unit5.value_iteration": {
        "policy greedy in the reward only": _vi_greedy_in_reward,
        "argmin": _m(_vi, policy_from="argmin"),
        "a single sweep": _m(_vi, sweeps=1),
        "a fixed 30 sweeps, not converged": _m(_vi, sweeps=30),
    },
    "unit5.epsilon_greedy_probs": {
        "ties not split": _m(_eps, mistake="no tie split"),
        "greedy gets exactly 1 - epsilon": _m(_eps, mistake="greedy gets 1 - eps"),
        "rows do not sum to 1": _m(_eps, mistake="sum not 1"),
    },
    "unit5.td_targets": {
        "SARSA with the max": _m(_targets, mistake="sarsa max"),
        "Q-learning with the taken next action": _m(_targets, mistake="q taken"),
        "bootstraps after termination": _m(_targets, mistake="no mask"),
        "no gamma": _m(_targets, mistake="no gamma"),
    },
    "unit5.monte_carlo_prediction": {
        "off by one: the return after the step": _m(_mc, mistake="off by one"),
        "every visit when first visit is asked": _m(_mc, mistake="every always"),
        "first visit when every visit is asked": _m(_mc, mistake="first always"),
        "the last visit instead of the first": _m(_mc, mistake="last visit"),
        "returns summed forwards in time": _m(_mc, mistake="forwards"),
    },
    "unit5.td0_prediction": {
        "truncation treated as termination": _m(_td0, mistake="truncation terminal"),
        "bootstraps from the same state": _m(_td0, mistake="off by one"),
        "updates with the values from before the episode": _m(_td0, mistake="stale values"),
        "alpha times the target": _m(_td0, mistake="alpha on target"),
    },
    "unit5.dqn_loss": {
        "target not detached": _m(_dqn, mistake="not detached"),
        "online network in the target": _m(_dqn, mistake="online target"),
        "bootstraps after termination": _m(_dqn, mistake="no mask"),
        "max over Q(s, .) instead of the taken action": _m(_dqn, mistake="max not taken"),
        "squared error instead of Huber": _m(_dqn, mistake="mse"),
    },
}
