"""Unit 4 (policy gradients on sequential tasks): graded functions and rejected mistakes.

All take a batch of T steps (``(T,)``, or ``(T, N)`` for N environments side by side)
with ``dones[t] = 1`` when an episode ends after step t; several episodes follow each
other in one batch, and the last may be unfinished.

``unit4.discounted_returns``: ``discounted_returns(rewards, dones, gamma) -> like rewards``:
    ``G_t = r_t + gamma (1 - done_t) G_{t+1}`` (gamma = 1: reward-to-go). Mistakes: the reward
    instead of the return; a discount off by one (``gamma^(k+1)``, or ``gamma`` applied to
    ``r_t``); returns leaking across episode boundaries; accumulating forwards in time;
    the episode's total return at every step; size-1 dimensions squeezed away (the hidden suite
    has T = 1 batches, ``(1,)`` and ``(1, 4)``, and a ``(6, 1)`` one).
``unit4.total_returns``: ``total_returns(rewards, dones) -> like rewards``: every step gets the
    sum of its episode's rewards. Mistakes: the reward-to-go; the batch's total; episodes
    merged across boundaries; size-1 dimensions squeezed away (same cases).
``unit4.standardize``: ``standardize(x) -> like x``: ``(x - mean) / (std + 1e-8)`` over all
    elements, population std. Mistakes: no centring; dividing by the variance; per-column
    statistics for ``(T, N)``; standardizing x in place (right numbers, the caller's x changed).
``unit4.reinforce_iteration`` (behavioural): ``reinforce_iteration(env, policy, value,
    policy_opt, value_opt, gamma, min_steps) -> list``: play whole episodes of ``env`` (one
    CartPole-v1, ``env.reset()`` without a seed at each start) with sampled actions until at
    least ``min_steps`` steps, then one policy step and one value step; return the played
    episodes' total returns. Checked by what it does: trained from fresh networks with the
    runner's optimizers, the greedy policy must reach a 100-episode mean return >= 475 within
    ``CARTPOLE_BUDGET`` environment steps on the visible seed, and on >= 2 of 3 secret seeds
    (hidden). The runner also checks the returned totals against what the environment played.
    Mistakes: the sign of the loss; every action weighted by its own reward (all 1: nothing
    learned); the log-probability of a fixed action instead of the taken one; no
    ``optimizer.step()``; episodes cut before their end (a contract error); the wrong totals returned.

    False failures, measured (``tools/measure_cartpole_check.py``, 2026-12-07: ``--seeds 20``
    on seeds 1000-1019, then ``--seeds 40 --first-seed 1020`` on seeds 1020-1059): the reference
    solved 60 of 60 seeds (slowest 74,456 steps), the ``torch.multinomial`` alternative
    (``autograder/alternatives/unit4.py``) 60 of 60 (slowest 78,119 steps); earlier, seeds 0-11 of
    the reference all solved (slowest 37,694). The budget is 150,000 steps, 1.9 x the slowest
    correct run seen. With p the share of seeds a correct agent solves, the visible check fails
    it with probability 1 - p and the hidden one with (1 - p)^3 + 3p(1 - p)^2: none of the 132
    measured runs would have failed, and the 95% upper bounds from 60 seeds (Wilson) are 6.0%
    (visible) and 1.0% (hidden) for each implementation (3.1% and 0.3% if the two are pooled).
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, seeds_passed
from autograder.alternatives.unit4 import ALTERNATIVES
from autograder.misconceptions.unit4 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.unit4_runners import cartpole_run, weights_run
from lecture_lib.rl import mlp, policy_weights, reinforce_iteration
from lecture_lib.returns import discounted_returns, standardize, total_returns


def _episodes(gen: torch.Generator, shape, p_done: float = 0.25):
    rewards = torch.randint(-2, 4, shape, generator=gen).float() + torch.rand(shape, generator=gen)
    dones = (torch.rand(shape, generator=gen) < p_done).long()
    return rewards, dones


def _return_cases(gen: torch.Generator, hidden: bool, with_gamma: bool) -> list[Case]:
    def case(shape, note, gamma=0.9, p_done=0.25, rewards=None, dones=None):
        r, d = _episodes(gen, shape, p_done)
        r = r if rewards is None else rewards
        d = d if dones is None else dones
        return Case((r, d, gamma) if with_gamma else (r, d), note=note)

    cases = [
        case((8,), "8 steps, several episodes"),
        case((6,), "two episodes of 3 steps", rewards=torch.arange(1.0, 7.0),
             dones=torch.tensor([0, 0, 1, 0, 0, 1])),
        case((10, 3), "10 steps of 3 environments"),
    ]
    if hidden:
        cases += [
            case((12,), "one unfinished episode", dones=torch.zeros(12, dtype=torch.long)),
            case((7,), "one-step episodes", dones=torch.ones(7, dtype=torch.long)),
            case((200, 8), "200 steps of 8 environments", p_done=0.05),
            case((9,), "episodes of 1, 3 and 5 steps", dones=torch.tensor([1, 0, 0, 1, 0, 0, 0, 0, 1])),
            case((1,), "a single step (T = 1) that ends its episode", dones=torch.ones(1, dtype=torch.long)),
            case((1,), "a single step (T = 1), the episode goes on", dones=torch.zeros(1, dtype=torch.long)),
            case((1, 4), "one step (T = 1) of 4 environments"),
            case((6, 1), "6 steps of a single environment, shape (6, 1)"),
        ]
        if with_gamma:
            cases += [case((8,), "gamma = 1: reward-to-go", gamma=1.0),
                      case((8,), "gamma = 0: the reward itself", gamma=0.0),
                      case((30, 2), "gamma = 0.99, long episodes", gamma=0.99, p_done=0.05)]
    return cases


DISCOUNTED = Exercise(
    id="unit4.discounted_returns",
    misconceptions=MISCONCEPTIONS["unit4.discounted_returns"],
    alternatives=tuple(ALTERNATIVES["unit4.discounted_returns"]),
    withholds=('lecture_lib.returns.discounted_returns', 'lecture_lib.returns.reward_to_go'),
    signature="discounted_returns(rewards: (T,) or (T, N), dones: same shape, gamma) -> same shape: "
              "G_t = r_t + gamma * (1 - done_t) * G_{t+1}",
    reference=lambda r, d, gamma: discounted_returns(r, d, gamma),
    make_cases=lambda gen, hidden: _return_cases(gen, hidden, with_gamma=True),
    compare=lambda case, e, g: compare_tensors(e, g, name="the returns", rtol=1e-5, atol=1e-5),
)

TOTAL = Exercise(
    id="unit4.total_returns",
    misconceptions=MISCONCEPTIONS["unit4.total_returns"],
    alternatives=tuple(ALTERNATIVES["unit4.total_returns"]),
    withholds=('lecture_lib.returns.total_returns',),
    signature="total_returns(rewards: (T,) or (T, N), dones: same shape) -> same shape: every step gets "
              "the sum of its episode's rewards",
    reference=total_returns,
    make_cases=lambda gen, hidden: _return_cases(gen, hidden, with_gamma=False),
    compare=lambda case, e, g: compare_tensors(e, g, name="the returns", rtol=1e-5, atol=1e-5),
)


def _standardize_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((torch.randn(10, generator=gen) * 5 + 3,), note="10 values"),
             Case((torch.randn(6, 4, generator=gen) * 2 - 7,), note="a (6, 4) batch")]
    if hidden:
        cases += [Case((torch.tensor([1.0, 1.0, 1.0]),), note="all equal: zeros, no NaN"),
                  Case((torch.randn(500, 8, generator=gen) * 100,), note="a large batch"),
                  Case((torch.tensor([0.0, 10.0]),), note="two values")]
    return cases


STANDARDIZE = Exercise(
    id="unit4.standardize",
    misconceptions=MISCONCEPTIONS["unit4.standardize"],
    alternatives=tuple(ALTERNATIVES["unit4.standardize"]),
    withholds=('lecture_lib.returns.standardize',),
    signature="standardize(x) -> like x: (x - mean) / (std + 1e-8) over all elements, population std "
              "(unbiased=False)",
    reference=standardize,
    make_cases=_standardize_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the standardized values", rtol=1e-4, atol=1e-4),
)


# ----------------------------------------------------------------- policy_weights

def _batch_fields(gen: torch.Generator, lengths: list[int], truncated_last: list[bool], obs_dim: int = 4,
                  reward_kind: str = "ones") -> dict:
    """Whole episodes of the given lengths, one after another (CartPole-like: reward 1 per step,
    or random rewards), with observations and next observations."""
    n = sum(lengths)
    obs = torch.randn(n, obs_dim, generator=gen)
    next_obs = torch.cat([obs[1:], torch.randn(1, obs_dim, generator=gen)])
    dones = torch.zeros(n, dtype=torch.bool)
    truncated = torch.zeros(n, dtype=torch.bool)
    ends = torch.tensor(lengths).cumsum(0) - 1
    dones[ends] = True
    for end, cut in zip(ends.tolist(), truncated_last):
        truncated[end] = cut
        next_obs[end] = torch.randn(obs_dim, generator=gen)   # the state after the last step
    if reward_kind == "ones":
        rewards = torch.ones(n)
    else:
        rewards = torch.randint(-1, 3, (n,), generator=gen).float() + torch.rand(n, generator=gen)
    starts = torch.cat([torch.tensor([0]), ends[:-1] + 1])
    episode_returns = [float(rewards[a:b + 1].sum()) for a, b in zip(starts.tolist(), ends.tolist())]
    return {"obs": obs, "next_obs": next_obs, "actions": torch.randint(0, 2, (n,), generator=gen),
            "rewards": rewards, "dones": dones, "truncated": truncated, "episode_returns": episode_returns}


def _value_state(gen: torch.Generator, obs_dim: int = 4, hidden: int = 8) -> dict:
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    net = mlp([obs_dim, hidden, hidden, 1])
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.8)
        net[-1].bias.fill_(5.0)   # values well away from 0, so a missing bootstrap shows
    return {k: v.clone() for k, v in net.state_dict().items()}


def _weights_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(variant, lengths, cuts, note, gamma=0.9, rewards="ones"):
        fields = _batch_fields(gen, lengths, cuts, reward_kind=rewards)
        value = _value_state(gen) if variant in ("baseline", "standardized") else None
        return Case((fields, value, variant, gamma), note=note)

    cases = [
        case("total_return", [3, 5, 2], [False, False, False], "total_return, three episodes"),
        case("reward_to_go", [4, 3], [False, False], "reward_to_go, two episodes", rewards="random"),
        case("discounted", [6, 2], [False, False], "discounted, gamma 0.9", rewards="random"),
        case("baseline", [5, 4], [True, False], "baseline, the first episode truncated"),
        case("standardized", [3, 6, 2], [False, True, False], "standardized, one truncated episode"),
    ]
    if hidden:
        cases += [
            case("total_return", [1, 1, 4], [False, False, True], "one-step episodes and a truncated one",
                 rewards="random"),
            case("reward_to_go", [7], [True], "reward_to_go: a truncated episode is not bootstrapped"),
            case("discounted", [5, 5, 5], [False, True, False], "discounted with gamma 0.99", gamma=0.99,
                 rewards="random"),
            case("baseline", [4, 4], [False, False], "baseline, nothing truncated", rewards="random"),
            case("baseline", [6, 1, 3], [True, True, False], "baseline, two truncated episodes", gamma=0.99),
            case("baseline", [1], [True], "baseline, a single truncated step"),
            case("standardized", [40, 25, 60], [False, True, True], "standardized, long episodes",
                 gamma=0.99, rewards="random"),
        ]
    return cases


def _weights_reference(batch, variant, gamma, value):
    return policy_weights(batch, variant, gamma, value)


def _weights_compare(case: Case, expected, got) -> str | None:
    e_w, e_t = expected
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "the output should be a tuple (weights, targets)"
    g_w, g_t = got
    problem = compare_tensors(e_w, g_w, name="the weights", rtol=1e-4, atol=1e-4)
    if problem:
        return problem
    if e_t is None:
        return None if g_t is None else "the targets should be None for a variant without a value network"
    return compare_tensors(e_t, g_t, name="the value targets", rtol=1e-4, atol=1e-4)


POLICY_WEIGHTS = Exercise(
    id="unit4.policy_weights",
    misconceptions=MISCONCEPTIONS["unit4.policy_weights"],
    alternatives=tuple(ALTERNATIVES["unit4.policy_weights"]),
    withholds=("lecture_lib.rl.policy_weights",),
    signature="policy_weights(batch: EpisodeBatch, variant, gamma, value) -> (weights (S,), targets (S,) or "
              "None): the weight of each log-probability for the variant; value variants bootstrap "
              "truncated episodes with gamma * V(next_obs) and return the returns as targets; no gradient",
    reference=_weights_reference,
    make_cases=_weights_cases,
    compare=_weights_compare,
    run=weights_run,
)


# ----------------------------------------------------------------- reinforce_iteration (behavioural)

#: Training budget and evaluation of the behavioural check (see the module docstring).
CARTPOLE_BUDGET = 150_000
CARTPOLE_EVAL = {"eval_every": 4_096, "eval_episodes": 100, "min_steps": 512}
HIDDEN_SEEDS, HIDDEN_NEEDED = 3, 2


def _seed(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def _iteration_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [Case(((_seed(gen),), CARTPOLE_BUDGET), dict(CARTPOLE_EVAL), note="one seed")]
    seeds = tuple(_seed(gen) for _ in range(HIDDEN_SEEDS))
    return [Case((seeds, CARTPOLE_BUDGET), dict(CARTPOLE_EVAL), note=f"{HIDDEN_SEEDS} seeds")]


def _iteration_compare(case: Case, expected, got) -> str | None:
    seeds = case.args[0]
    counted = seeds_passed(got, seeds, lambda r: r.get("steps_to_solve") is not None, HIDDEN_SEEDS, HIDDEN_NEEDED)
    if isinstance(counted, str):
        return counted
    solved, needed = counted
    if len(solved) >= needed:
        return None
    best = [max(r["evaluations"]) if r.get("evaluations") else float("nan") for r in got]
    return (f"the agent solved CartPole on {len(solved)} of {len(seeds)} seeds, needs {needed}: "
            f"no greedy evaluation reached a mean return of 475 within {case.args[1]:,} environment steps "
            f"(best evaluation per seed: {', '.join(f'{b:.0f}' for b in best)})")


REINFORCE_ITERATION = Exercise(
    id="unit4.reinforce_iteration",
    misconceptions=MISCONCEPTIONS["unit4.reinforce_iteration"],   # never diagnosed (no reference output): tested and audited
    alternatives=tuple(ALTERNATIVES["unit4.reinforce_iteration"]),
    withholds=("lecture_lib.rl.reinforce_iteration", "lecture_lib.rl.collect_episodes",
               "lecture_lib.rl.policy_weights"),
    signature="reinforce_iteration(env, policy, value, policy_opt, value_opt, gamma, min_steps) -> list of "
              "the finished episodes' total returns: play whole episodes (>= min_steps steps), then one "
              "policy step and one value step",
    reference=reinforce_iteration,   # behavioural: never run by the judge, only by the tests
    make_cases=_iteration_cases,
    compare=_iteration_compare,
    run=cartpole_run,
    criterion=f"a greedy 100-episode mean return >= 475 within {CARTPOLE_BUDGET:,} environment steps "
              f"(1 of 1 seed visible; {HIDDEN_NEEDED} of {HIDDEN_SEEDS} seeds hidden)",
)


EXERCISES = (DISCOUNTED, TOTAL, STANDARDIZE, POLICY_WEIGHTS, REINFORCE_ITERATION,)
