"""``unit5.q_learning`` is graded by behaviour: the greedy path the student's Q-learning learns
on CliffWalking-v1 must be the optimal one. Correct alternatives pass both suites; each listed
mistake fails the hidden suite; the runner's contract checks (whole episodes, true returns)
name what is wrong. Measured false-failure rates are in ``autograder/exercises/unit5.py``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder import CheckFailed, check
from autograder.registry import all_exercises


def agent(env, episodes, alpha, epsilon, gamma, generator, *, target="max", sign=1.0, update_next=False,
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


def agent_numpy(env, episodes, alpha, epsilon, gamma, generator):
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


CORRECT = [agent, agent_numpy]

MISTAKES = {
    "the SARSA target (the safe path)": lambda *a: agent(*a, target="sarsa"),
    "the update's sign": lambda *a: agent(*a, sign=-1.0),
    "the next state's entry updated": lambda *a: agent(*a, update_next=True),
    "episodes cut after 20 steps": lambda *a: agent(*a, cut=20),
    "the sum of all returns returned": lambda *a: agent(*a, returns_kind="sum"),
}


@pytest.mark.parametrize("index", range(len(CORRECT)))
def test_correct_agents_pass(index):
    for suite in ("visible", "hidden"):
        check("unit5.q_learning", CORRECT[index], suite=suite, quiet=True)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_fails(mistake):
    with pytest.raises(CheckFailed) as info:
        check("unit5.q_learning", MISTAKES[mistake], suite="hidden")
    msg = str(info.value)
    assert "problem:" in msg and "input:" in msg and "expected:" in msg and "got:" in msg
    assert "-13" in msg or "episode" in msg or "returns" in msg


def test_the_exercise_is_registered_and_behavioural():
    exercise = all_exercises()["unit5.q_learning"]
    assert exercise.criterion and "-13" in exercise.criterion
    assert len(exercise.cases("hidden")[0].args[0]) == 3
