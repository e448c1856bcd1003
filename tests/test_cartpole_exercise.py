"""``unit4.reinforce_iteration`` is graded by behaviour: the agent must solve CartPole.
Correct alternatives pass both suites; each listed mistake fails the hidden suite, and the
grader's contract checks (whole episodes, true totals, at least ``min_steps`` steps) name
what is wrong. Each run trains up to three seeds, so this module is the slow one of unit 4.

Measured false-failure rates (``tools/measure_cartpole_check.py`` reruns them) are in the
exercise's module docstring (``autograder/exercises/unit4.py``).
"""

from __future__ import annotations

import pytest
import torch

from autograder import CheckFailed, check
from autograder.registry import all_exercises
from lecture_lib.rl import EpisodeBatch, policy_weights


def play(env, policy, min_steps, *, cut=False):
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


def iteration(env, policy, value, popt, vopt, gamma=0.99, min_steps=512, *, sign=1.0, cut=False,
              returns="episodes", sum_loss=False):
    batch = play(env, policy, min_steps, cut=cut)
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


CORRECT = [
    lambda *a: iteration(*a),
    lambda *a: iteration(*a, sum_loss=True),
]

MISTAKES = {
    "the loss's sign (gradient descent on the return)": lambda *a: iteration(*a, sign=-1.0),
    "episodes cut at min_steps": lambda *a: iteration(*a, cut=True),
    "the batch's total returned": lambda *a: iteration(*a, returns="batch sum"),
}


@pytest.mark.parametrize("index", range(len(CORRECT)))
def test_correct_agents_pass(index):
    for suite in ("visible", "hidden"):
        check("unit4.reinforce_iteration", CORRECT[index], suite=suite, quiet=True)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_fails(mistake):
    with pytest.raises(CheckFailed) as info:
        check("unit4.reinforce_iteration", MISTAKES[mistake], suite="hidden")
    msg = str(info.value)
    assert "problem:" in msg and "input:" in msg and "expected:" in msg and "got:" in msg
    assert "475" in msg or "episode" in msg


def test_the_exercise_is_registered_and_behavioural():
    exercise = all_exercises()["unit4.reinforce_iteration"]
    assert exercise.criterion and "475" in exercise.criterion
    assert len(exercise.cases("hidden")[0].args[0]) == 3
