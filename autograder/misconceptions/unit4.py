"""Unit 4's known mistakes: a name, a one-line hint and an implementation that makes exactly that
mistake, for each exercise (see :class:`autograder.registry.Misconception`). The loop helpers with
their default switches are correct readings of the contracts (:mod:`autograder.alternatives.unit4`).
``unit4.reinforce_iteration`` is judged by behaviour: its mistakes are never diagnosed (there is no
reference output to compare with), they are what ``tests/test_cartpole_exercise.py`` and the
audit (``--behavioural``) must see fail. Trusted side only."""

from __future__ import annotations

import torch

from autograder.misconceptions import mistakes
from lecture_lib.rl import EpisodeBatch, policy_weights
from autograder.registry import Misconception


def _returns_loop(r, d, gamma):
    """A straightforward per-column loop, as many students write it."""
    if r.dim() == 2:
        return torch.stack([_returns_loop(r[:, j], d[:, j], gamma) for j in range(r.shape[1])], 1)
    out, g = torch.zeros_like(r), 0.0
    for t in reversed(range(len(r))):
        if d[t]:
            g = 0.0
        g = r[t] + gamma * g
        out[t] = g
    return out


def _returns_wrong(r, d, gamma, *, mistake):
    if r.dim() == 2:
        return torch.stack([_returns_wrong(r[:, j], d[:, j], gamma, mistake=mistake) for j in range(r.shape[1])], 1)
    out, g = torch.zeros_like(r), 0.0
    order = range(len(r)) if mistake == "forwards" else reversed(range(len(r)))
    for t in order:
        if d[t] and mistake != "leak":
            g = 0.0
        if mistake == "off by one":
            g = gamma * (r[t] + g)
        else:
            g = r[t] + gamma * g
        out[t] = g
    return out


def _total_loop(r, d):
    if r.dim() == 2:
        return torch.stack([_total_loop(r[:, j], d[:, j]) for j in range(r.shape[1])], 1)
    out, start = torch.zeros_like(r), 0
    for t in range(len(r)):
        if d[t] or t == len(r) - 1:
            out[start:t + 1] = r[start:t + 1].sum()
            start = t + 1
    return out


def _returns(r, d, gamma):
    out, running = torch.zeros_like(r), torch.zeros(())
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * (~d[t]) * running
        out[t] = running
    return out


def _totals(r, d):
    out, start = torch.zeros_like(r), 0
    for t in range(len(r)):
        if d[t]:
            out[start:t + 1] = r[start:t + 1].sum()
            start = t + 1
    out[start:] = r[start:].sum()
    return out


def weights_loop(batch, variant, gamma, value, *, bootstrap=True, boot_gamma=True, boot_next=True,
                 totals_as_to_go=False, std_first=False, targets_are_adv=False, rtg_gamma=False,
                 boot_all=False):
    """A loop-based reading of the contract, with switches that make each listed mistake."""
    r, d = batch.rewards.clone(), batch.dones
    if variant == "total_return":
        return (_returns(r, d, 1.0) if totals_as_to_go else _totals(r, d)), None
    if variant == "reward_to_go":
        return _returns(r, d, gamma if rtg_gamma else 1.0), None
    if variant == "discounted":
        return _returns(r, d, gamma), None
    with torch.no_grad():
        v = value(batch.obs).squeeze(-1)
        nxt = value(batch.next_obs if boot_next else batch.obs).squeeze(-1)
        cut = batch.truncated if not boot_all else batch.dones
        if bootstrap:
            r = r + (gamma if boot_gamma else 1.0) * cut.float() * nxt
        g = _returns(r, d, gamma)
        if std_first:
            gs = (g - g.mean()) / (g.std(unbiased=False) + 1e-8)
            adv = gs - v
        else:
            adv = g - v
            if variant == "standardized":
                adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
    return adv, (adv if targets_are_adv else g)



def cartpole_play(env, policy, min_steps, *, cut=False):
    """Whole episodes (or, with ``cut``, stop at exactly ``min_steps`` steps: a mistake)."""
    rows, returns = [], []
    while len(rows) < min_steps:
        obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            with torch.no_grad():
                probs = torch.softmax(policy(torch.tensor(obs)[None]), -1)[0]
            action = int(torch.multinomial(probs, 1))
            nxt, r, term, trunc, _ = env.step(action)
            done = term or trunc
            rows.append((obs, nxt, action, r, done, trunc and not term))
            total += r
            obs = nxt
            if cut and len(rows) == min_steps:
                break
        if done:
            returns.append(total)
    obs, nxt, a, r, d, t = map(list, zip(*rows))
    f = lambda x: torch.tensor(x, dtype=torch.float32)
    return EpisodeBatch(f(obs), f(nxt), torch.tensor(a), f(r), torch.tensor(d), torch.tensor(t), returns)


def cartpole_iteration(env, policy, value, popt, vopt, gamma=0.99, min_steps=512, *, sign=1.0, cut=False,
              returns="episodes", sum_loss=False):
    batch = cartpole_play(env, policy, min_steps, cut=cut)
    w, targets = policy_weights(batch, "standardized", gamma, value)
    logp = torch.log_softmax(policy(batch.obs), -1)[torch.arange(len(batch)), batch.actions]
    loss = -(w * logp).sum() / len(batch) if sum_loss else -(w * logp).mean()
    popt.zero_grad()
    (sign * loss).backward()
    popt.step()
    vloss = torch.nn.functional.mse_loss(value(batch.obs).squeeze(1), targets)
    vopt.zero_grad()
    vloss.backward()
    vopt.step()
    if returns == "batch sum":
        return [sum(batch.episode_returns)]
    return batch.episode_returns


def _w(**switches):
    return lambda b, v, g, val: weights_loop(b, v, g, val, **switches)


MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = {
    "unit4.discounted_returns": mistakes(
        ("reward instead of return", "G_t sums the discounted rewards from step t to the episode's end",
         lambda r, d, gamma: r.clone()),
        ("discount off by one", "G_t = r_t + gamma G_{t+1}: the reward of step t itself is not discounted",
         lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="off by one")),
        ("leaks across episodes", "reset the running return where an episode ends (done_t = 1)",
         lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="leak")),
        ("forwards in time", "accumulate backwards, from the last step to the first",
         lambda r, d, gamma: _returns_wrong(r, d, gamma, mistake="forwards")),
        ("total return", "the discounted return from step t on, not the episode's total",
         lambda r, d, gamma: _total_loop(r, d)),
        ("size-1 dimensions squeezed away", "keep the input's shape: a (T, 1) or (1, N) batch, or T = 1, is a "
         "valid input (no .squeeze())", lambda r, d, gamma: _returns_loop(r.squeeze(), d.squeeze(), gamma)),
    ),
    "unit4.total_returns": mistakes(
        ("reward-to-go", "every step of an episode gets the same number: the episode's whole total",
         lambda r, d: _returns_loop(r, d, 1.0)),
        ("the batch's total", "sum within each episode (dones mark the ends), not over the whole batch",
         lambda r, d: r.sum(0, keepdim=True).expand_as(r).clone()),
        ("merged episodes", "an episode ends where done_t = 1: start a new total after it",
         lambda r, d: _total_loop(r, torch.zeros_like(d))),
        ("size-1 dimensions squeezed away", "keep the input's shape: a (T, 1) or (1, N) batch, or T = 1, is a "
         "valid input (no .squeeze())", lambda r, d: _total_loop(r.squeeze(), d.squeeze())),
    ),
    "unit4.standardize": mistakes(
        ("not centred", "subtract the mean before dividing by the standard deviation",
         lambda x: x / (x.std(unbiased=False) + 1e-8)),
        ("divides by the variance", "divide by the standard deviation (the square root of the variance)",
         lambda x: (x - x.mean()) / (x.var(unbiased=False) + 1e-8)),
        ("per column", "standardize over all elements together, not per column",
         lambda x: (x - x.mean(0)) / (x.std(0, unbiased=False) + 1e-8)),
        ("standardized in place", "return a new tensor and leave x unchanged (x - mean, not x.sub_(mean)): "
         "the caller still needs the raw values", lambda x: x.sub_(x.mean()).div_(x.std(unbiased=False) + 1e-8)),
    ),
    "unit4.policy_weights": mistakes(
        ("truncation treated as terminal (no bootstrap)", "at a time-limit cut add gamma * V(next_obs) to the last "
         "reward: the episode did not end", _w(bootstrap=False)),
        ("every episode end bootstrapped", "bootstrap only truncated steps; a terminated episode has nothing after it",
         _w(boot_all=True)),
        ("bootstrap not discounted", "the bootstrapped value is discounted: gamma * V(next_obs)", _w(boot_gamma=False)),
        ("bootstrap from V(s_t) instead of V(s_t+1)", "bootstrap from the value of the next observation",
         _w(boot_next=False)),
        ("total return = reward-to-go", "'total_return' gives every step its episode's whole total",
         _w(totals_as_to_go=True)),
        ("reward-to-go discounted", "'reward_to_go' is undiscounted", _w(rtg_gamma=True)),
        ("returns standardized before the baseline", "subtract V first, then standardize the advantages",
         _w(std_first=True)),
        ("value targets are the advantages", "the value network regresses on the returns G_t, not on G_t - V",
         _w(targets_are_adv=True)),
    ),
    "unit4.reinforce_iteration": mistakes(
        ("the loss's sign (gradient descent on the return)", "minimize -(weights * log pi(a|s)).mean(): the minus "
         "sign makes the optimizer climb the return", lambda *a: cartpole_iteration(*a, sign=-1.0)),
        ("episodes cut at min_steps", "play whole episodes until at least min_steps steps are collected: never stop "
         "an episode in the middle", lambda *a: cartpole_iteration(*a, cut=True)),
        ("the batch's total returned", "return the list of each finished episode's total reward",
         lambda *a: cartpole_iteration(*a, returns="batch sum")),
    ),
}
