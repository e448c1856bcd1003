"""Unit 5's known mistakes, each as a name, a one-line hint a student can act on, and an
implementation that makes exactly that mistake (the checks compare a failing output with
them to say which mistake it matches; ``tests/test_exercises_unit5.py`` makes sure each one
fails its check on every seed). Trusted side only: never imported by the sandboxed kernel."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.misconceptions import mistakes
from autograder.registry import Misconception

def _q(P, R, terminal, V, gamma, *, mask=True, axis_ok=True, gamma_on_r=False, use_gamma=True):
    Vm = V * (~terminal).to(V.dtype) if mask else V
    nxt = torch.einsum("sat,t->sa", P, Vm) if axis_ok else torch.einsum("tas,t->sa", P, Vm)
    g = gamma if use_gamma else 1.0
    return g * (R + nxt) if gamma_on_r else R + g * nxt


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


def cliff_agent(env, episodes, alpha, epsilon, gamma, generator, *, target="max", sign=1.0, update_next=False,
          explore=True, cut=None, returns_kind="episodes"):
    """A straightforward Q-learning loop (torch tensors), with switches that make each mistake."""
    Q = torch.zeros(48, 4, dtype=torch.float64)
    returns = []
    for _ in range(episodes):
        s, _ = env.reset()
        total, steps = 0.0, 0
        while True:
            row = Q[s]
            best = torch.nonzero(row == row.max()).flatten()
            if explore and torch.rand(1, generator=generator).item() < epsilon:
                a = int(torch.randint(0, 4, (1,), generator=generator))
            else:
                a = int(best[torch.randint(0, len(best), (1,), generator=generator)]) if explore else int(row.argmax())
            s2, r, term, trunc, _ = env.step(a)
            total += r
            steps += 1
            if target == "max":
                boot = Q[s2].max()
            else:   # SARSA: the next action the epsilon-greedy policy would take
                nb = torch.nonzero(Q[s2] == Q[s2].max()).flatten()
                a2 = int(torch.randint(0, 4, (1,), generator=generator)) if torch.rand(1, generator=generator).item() < epsilon \
                    else int(nb[0])
                boot = Q[s2, a2]
            y = r + gamma * (0.0 if term else boot)
            if update_next:
                Q[s2, a] += alpha * (y - Q[s2, a])
            else:
                Q[s, a] += sign * alpha * (y - Q[s, a])
            s = s2
            if term or trunc or (cut is not None and steps >= cut):
                break
        returns.append(total)
    if returns_kind == "sum":
        return Q, [sum(returns)]
    return Q, returns


def _m(fn, **kw):
    return lambda *args: fn(*args, **kw)



MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = {
    "unit5.q_from_v": mistakes(
        ("bootstraps from terminal states", "nothing follows a terminal state: multiply V[s'] by (1 - terminal[s'])",
         _m(_q, mask=False)),
        ("sums P over the wrong axis", "P[s, a, s'] sums over its last axis, the next state s'", _m(_q, axis_ok=False)),
        ("gamma on the reward too", "the reward R[s, a] comes now: only the next state's value is discounted",
         _m(_q, gamma_on_r=True)),
        ("no gamma", "the next state's value is discounted by gamma", _m(_q, use_gamma=False)),
    ),
    "unit5.policy_evaluation": mistakes(
        ("one sweep only", "repeat the backup until the largest change of a sweep is at most tol",
         _m(_evaluation, sweeps=1)),
        ("a fixed 50 sweeps, not converged", "stop on the tolerance, not after a fixed number of sweeps",
         _m(_evaluation, sweeps=50)),
        ("the max over actions (value iteration)", "evaluation averages Q over the policy's probabilities; the max "
         "is value iteration", _m(_evaluation, use_max=True)),
    ),
    "unit5.value_iteration": mistakes(
        ("policy greedy in the reward only", "the greedy action maximizes Q(s, a) = R + gamma P V, not R alone",
         _vi_greedy_in_reward),
        ("argmin", "the greedy policy takes the argmax of Q, not the argmin", _m(_vi, policy_from="argmin")),
        ("a single sweep", "repeat the optimality backup until the largest change is at most tol", _m(_vi, sweeps=1)),
        ("a fixed 30 sweeps, not converged", "stop on the tolerance, not after a fixed number of sweeps",
         _m(_vi, sweeps=30)),
    ),
    "unit5.epsilon_greedy_probs": mistakes(
        ("ties not split", "when k actions tie for the max, each gets (1 - epsilon) / k on top of epsilon / A",
         _m(_eps, mistake="no tie split")),
        ("greedy gets exactly 1 - epsilon", "the greedy action also gets its share epsilon / A of the random "
         "choice", _m(_eps, mistake="greedy gets 1 - eps")),
        ("rows do not sum to 1", "each row is a probability distribution: epsilon / A everywhere plus "
         "(1 - epsilon) shared by the maximizers", _m(_eps, mistake="sum not 1")),
    ),
    "unit5.td_targets": mistakes(
        ("SARSA with the max", "SARSA bootstraps from Q(s', a') of the action taken next, not the max",
         _m(_targets, mistake="sarsa max")),
        ("Q-learning with the taken next action", "Q-learning bootstraps from max_a Q(s', a), whatever is taken next",
         _m(_targets, mistake="q taken")),
        ("bootstraps after termination", "after a terminal transition the target is the reward alone",
         _m(_targets, mistake="no mask")),
        ("no gamma", "the bootstrapped value is discounted by gamma", _m(_targets, mistake="no gamma")),
    ),
    "unit5.monte_carlo_prediction": mistakes(
        ("off by one: the return after the step", "G_t includes r_t, the reward of step t itself",
         _m(_mc, mistake="off by one")),
        ("every visit when first visit is asked", "with first_visit=True only the first visit of a state in an "
         "episode counts", _m(_mc, mistake="every always")),
        ("first visit when every visit is asked", "with first_visit=False every visit counts",
         _m(_mc, mistake="first always")),
        ("the last visit instead of the first", "first-visit uses the return after the state's first visit in the "
         "episode", _m(_mc, mistake="last visit")),
        ("returns summed forwards in time", "G_t = r_t + gamma G_{t+1}: accumulate backwards from the episode's end",
         _m(_mc, mistake="forwards")),
    ),
    "unit5.td0_prediction": mistakes(
        ("truncation treated as termination", "a cut (truncated) episode still bootstraps from its final state's "
         "value; only termination stops it", _m(_td0, mistake="truncation terminal")),
        ("bootstraps from the same state", "the target uses V of the next state s_{t+1}",
         _m(_td0, mistake="off by one")),
        ("updates with the values from before the episode", "apply each update at once: later steps of the same "
         "episode see it", _m(_td0, mistake="stale values")),
        ("alpha times the target", "V(s) += alpha (target - V(s)): alpha scales the TD error, not the target",
         _m(_td0, mistake="alpha on target")),
    ),
    "unit5.dqn_loss": mistakes(
        ("target not detached", "compute the targets under torch.no_grad() (or .detach()): they are labels",
         _m(_dqn, mistake="not detached")),
        ("online network in the target", "the targets come from target_net, not q_net",
         _m(_dqn, mistake="online target")),
        ("bootstraps after termination", "multiply the bootstrapped max by (1 - terminated)",
         _m(_dqn, mistake="no mask")),
        ("max over Q(s, .) instead of the taken action", "the prediction is Q(s, a) of the action taken: gather it",
         _m(_dqn, mistake="max not taken")),
        ("squared error instead of Huber", "use smooth_l1_loss (Huber, beta 1), not the squared error",
         _m(_dqn, mistake="mse")),
    ),
    "unit5.q_learning": mistakes(
        ("the SARSA target (the safe path)", "Q-learning bootstraps from max_a Q(s', a), not from the action "
         "taken next", lambda *a: cliff_agent(*a, target="sarsa")),
        ("the update's sign", "Q(s, a) += alpha (target - Q(s, a)): move towards the target",
         lambda *a: cliff_agent(*a, sign=-1.0)),
        ("the next state's entry updated", "update the entry of the state and action just taken, Q[s, a]",
         lambda *a: cliff_agent(*a, update_next=True)),
        ("episodes cut after 20 steps", "run each episode until it terminates or is truncated",
         lambda *a: cliff_agent(*a, cut=20)),
        ("the sum of all returns returned", "return one total reward per episode, in order",
         lambda *a: cliff_agent(*a, returns_kind="sum")),
    ),
}
