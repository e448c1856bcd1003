"""Unit 5 (value-based RL): graded functions and rejected mistakes.

Tabular exercises take the MDP as tensors: ``P`` ``(S, A, S)`` transition probabilities,
``R`` ``(S, A)`` expected rewards, ``terminal`` ``(S,)`` bool (an episode ends on entering a
terminal state: no value is bootstrapped from it; terminal states are absorbing with reward 0).
The cases are random MDPs (2-12 states, 2-4 actions, some terminal) and, hidden, FrozenLake-v1's
own table.

``unit5.q_from_v``: ``q_from_v(P, R, terminal, V, gamma) -> Q (S, A)``:
    ``Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] (1 - terminal[s']) V[s']`` (the Bellman
    backup of one state-action pair). Mistakes: bootstrapping from terminal states; the sum over
    the wrong axis of P; gamma on the reward too; no gamma.
``unit5.policy_evaluation``: ``policy_evaluation(P, R, terminal, policy (S, A), gamma, tol) -> V (S,)``:
    the fixed point of the expectation backup (iterate from V = 0 until no value moves by more than
    ``tol``; sweeping in place, or solving the linear system, is as good); compared within 1e-6.
    Mistakes: one sweep only; a fixed 50 sweeps (not converged); the max over actions instead of
    the policy's average. (Bootstrapping from a terminal state changes nothing here: terminal
    states are absorbing with reward 0, so their values stay 0; ``q_from_v`` is given any V.)
``unit5.value_iteration``: ``value_iteration(P, R, terminal, gamma, tol) -> (V (S,), policy (S,) long)``:
    V* within 1e-6 and a policy greedy with respect to it: every chosen action's ``Q*(s, a)``
    within 1e-6 of ``max_a Q*(s, a)`` (any tie-break passes). Mistakes: the policy greedy in the
    immediate reward only; argmin; a single sweep; a fixed 30 sweeps (not converged).
``unit5.epsilon_greedy_probs``: ``epsilon_greedy_probs(q (..., A), epsilon) -> (..., A)``:
    ``epsilon / A`` for every action plus ``(1 - epsilon) / k`` for each of the k maximizers.
    Mistakes: ties not split (all greedy mass on the first maximizer); the greedy action gets
    exactly ``1 - epsilon`` (epsilon shared among the others only); rows not summing to 1
    (epsilon / A added to the non-greedy actions only).
``unit5.td_targets``: ``td_targets(rewards (B,), q_next (B, A), next_actions (B,), terminated (B,),
    gamma, method) -> (B,)``: SARSA ``r + gamma (1 - term) Q(s', a')`` (the next action taken),
    Q-learning ``r + gamma (1 - term) max_a Q(s', a)``. Mistakes: SARSA with the max; Q-learning with
    the taken next action; bootstrapping after termination; no gamma.
``unit5.monte_carlo_prediction``: ``monte_carlo_prediction(episodes, n_states, gamma, first_visit)
    -> V (S,)``: the average of the returns that followed the (first or every) visits; 0 where never
    visited. Mistakes: the return after the step (without ``r_t``: off by one); every visit when
    first-visit is asked (and the reverse); the last visit instead of the first; returns summed
    forwards in time.
``unit5.td0_prediction``: ``td0_prediction(episodes, n_states, gamma, alpha) -> V (S,)``: from
    V = 0, after every step ``V(s_t) += alpha (r_t + gamma c V(s_{t+1}) - V(s_t))``, c = 0 only at
    the last step of a terminated episode (a truncated episode bootstraps from its final state).
    Mistakes: a truncated episode treated as terminated; bootstrapping from the same state
    instead of the next; the whole episode's updates made with the values from before it (offline
    TD); alpha times the target instead of the error. (Bootstrapping after termination reads
    V(terminal), which TD(0) never updates from 0, so it is not a detectable mistake here.)
``unit5.dqn_loss``: ``dqn_loss(q_net, target_net, batch, gamma) -> 0-dim loss``: the mean Huber
    loss (``smooth_l1``, beta 1) of ``Q(s, a) - y``, ``y = r + gamma (1 - terminated) max_a'
    Q_target(s', a')`` without gradient. Compared: the loss, the gradient of every parameter of
    ``q_net``, and no gradient in ``target_net``. Mistakes: the target not detached (gradients
    reach the target network, or flow twice through a shared one); the online network in the
    target; bootstrapping after termination; the max over Q(s, .) instead of the taken action;
    the squared error instead of Huber.
Fair secret seeds (200 of them, 2026-12-07; ``python -m autograder audit`` reruns it): every
alternative (``autograder/alternatives/unit5.py``) passes and every listed
mistake fails on all 200 hidden suites, after ``slow_mdp`` was added (before it, "a fixed 50
sweeps" passed policy evaluation on 51 of 200 seeds).

``unit5.q_learning`` (behavioural): ``q_learning(env, episodes, alpha, epsilon, gamma, generator)
    -> (Q (48, 4), returns)``: Q-learning with epsilon-greedy actions (drawn from ``generator``)
    on ``CliffWalking-v1`` for exactly ``episodes`` whole episodes; ``returns`` lists each
    episode's total reward. Checked by what it learns: after ``CLIFF_EPISODES`` episodes
    (epsilon 0.1, alpha ``CLIFF_ALPHA``, gamma 1) the greedy path from the start must be the
    optimal one along the cliff's edge (13 steps, return -13), on the visible seed and on >= 2 of
    3 secret seeds. Mistakes: the SARSA target (learns the safe path); the update's sign; updating
    the next state's entry; episodes cut short and the sum of the returns returned (contract
    errors). (Acting greedily without exploring is not caught: on CliffWalking the zero-initialized
    table is optimistic, since every reward is negative, and that explores on its own.)

    False failures, measured (``tools/measure_cliff_check.py --seeds 100 --only reference``, seeds
    1000-1099, 2026-12-07): the reference found the optimal path on 100 of 100 seeds; 95% upper
    bounds (Wilson) 3.7% for the visible check, 0.4% for the hidden one. The two correct agents
    of ``autograder/alternatives/unit5.py`` (``--seeds 50``, seeds 1000-1049): 50 of 50 each
    (bounds 7.1% and 1.5%). With alpha 0.2 instead of 0.5, seeds 0-9 also all found it
    (``bench_tabular``).
"""

from __future__ import annotations

import torch

from autograder.compare import compare_tensors, seeds_passed
from autograder.alternatives.unit5 import ALTERNATIVES
from autograder.misconceptions.unit5 import MISCONCEPTIONS
from autograder.registry import Case, Exercise
from autograder_kernel.unit5_runners import cliff_run, dqn_loss_run, episodes_run
from lecture_lib.dqn import dqn_loss
from lecture_lib.mdp import TabularMDP, frozen_lake, policy_evaluation, q_from_v, value_iteration
from lecture_lib.td import epsilon_greedy_probs, monte_carlo_prediction, q_learning, td0_prediction, td_targets


# ----------------------------------------------------------------- random tabular MDPs

def random_mdp(gen: torch.Generator, S: int, A: int, n_terminal: int = 1, sparse: bool = False) -> dict:
    """A random finite MDP as float64 tensors; the last ``n_terminal`` states are terminal
    (absorbing, reward 0) and reachable. Every non-terminal row reaches a terminal state with
    positive probability, so every policy's values are finite for any gamma <= 1."""
    logits = torch.randn(S, A, S, generator=gen, dtype=torch.float64) * 2
    if sparse:   # most transitions impossible, as in grid worlds
        keep = torch.rand(S, A, S, generator=gen) < 0.3
        keep[..., S - 1] = True
        logits = logits.masked_fill(~keep, float("-inf"))
    P = torch.softmax(logits, -1)
    R = torch.randn(S, A, generator=gen, dtype=torch.float64) * 2
    terminal = torch.zeros(S, dtype=torch.bool)
    if n_terminal:
        terminal[S - n_terminal:] = True
        P[terminal] = 0.0
        P[terminal, :, :] = torch.eye(S, dtype=torch.float64)[terminal][:, None, :]
        R[terminal] = 0.0
        live = ~terminal
        P[live, :, S - 1] += 0.05     # every live state can end the episode
        P = P / P.sum(-1, keepdim=True)
    return {"P": P, "R": R, "terminal": terminal}


def slow_mdp() -> dict:
    """Two states that each end the episode with probability 0.01 or 0.02 per step (reward 1
    per step), and the terminal state: values near 100 and 50 at gamma 1, which iteration from
    0 approaches only as 1 - 0.99^k: thousands of sweeps for a tolerance of 1e-10."""
    P = torch.zeros(3, 2, 3, dtype=torch.float64)
    P[0, :, 0], P[0, :, 2] = 0.99, 0.01
    P[1, 0, 1], P[1, 0, 2] = 0.98, 0.02
    P[1, 1, 0], P[1, 1, 2] = 0.98, 0.02
    P[2, :, 2] = 1.0
    R = torch.tensor([[1.0, 1.0], [1.0, 0.5], [0.0, 0.0]], dtype=torch.float64)
    return {"P": P, "R": R, "terminal": torch.tensor([False, False, True])}


def lake_tables() -> dict:
    lake = frozen_lake()
    return {"P": lake.P, "R": lake.R, "terminal": lake.terminal}


def _mdp(P, R, terminal) -> TabularMDP:
    S = R.shape[0]
    return TabularMDP(P=P, R=R, terminal=terminal.bool(), start=torch.full((S,), 1.0 / S, dtype=P.dtype))


def _random_policy(gen: torch.Generator, S: int, A: int, sharp: float = 1.0) -> torch.Tensor:
    return torch.softmax(torch.randn(S, A, generator=gen, dtype=torch.float64) * sharp, -1)


# ----------------------------------------------------------------- q_from_v

def _q_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(S, A, n_term, gamma, note, sparse=False):
        m = random_mdp(gen, S, A, n_term, sparse)
        V = torch.randn(S, generator=gen, dtype=torch.float64) * 3
        return Case((m["P"], m["R"], m["terminal"], V, gamma), note=note)

    cases = [case(5, 2, 1, 0.9, "5 states, 2 actions, one terminal"),
             case(4, 3, 2, 0.5, "4 states, 3 actions, two terminal")]
    if hidden:
        lake = lake_tables()
        cases += [case(12, 4, 3, 0.99, "12 states, sparse transitions", sparse=True),
                  case(6, 2, 0, 0.8, "no terminal state"),
                  case(3, 4, 1, 1.0, "gamma = 1"),
                  case(7, 3, 2, 0.0, "gamma = 0: the reward alone"),
                  Case((lake["P"], lake["R"], lake["terminal"], torch.randn(16, generator=gen, dtype=torch.float64),
                        0.95), note="FrozenLake-v1 4x4 slippery, random V")]
    return cases


Q_FROM_V = Exercise(
    id="unit5.q_from_v",
    misconceptions=MISCONCEPTIONS["unit5.q_from_v"],
    alternatives=tuple(ALTERNATIVES["unit5.q_from_v"]),
    withholds=("lecture_lib.mdp.q_from_v",),
    signature="q_from_v(P (S, A, S), R (S, A), terminal (S,) bool, V (S,), gamma) -> Q (S, A): "
              "R + gamma * sum_s' P[s, a, s'] * (1 - terminal[s']) * V[s']",
    reference=lambda P, R, terminal, V, gamma: q_from_v(_mdp(P, R, terminal), V, gamma),
    make_cases=_q_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="Q", rtol=1e-7, atol=1e-9),
)


# ----------------------------------------------------------------- policy evaluation

def _evaluation_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(S, A, n_term, gamma, note, sharp=1.0, sparse=False):
        m = random_mdp(gen, S, A, n_term, sparse)
        return Case((m["P"], m["R"], m["terminal"], _random_policy(gen, S, A, sharp), gamma, 1e-10), note=note)

    cases = [case(5, 2, 1, 0.9, "5 states, 2 actions, gamma 0.9"),
             case(4, 3, 1, 0.5, "4 states, 3 actions, gamma 0.5")]
    if hidden:
        lake = lake_tables()
        uniform = torch.full((16, 4), 0.25, dtype=torch.float64)
        cases += [case(10, 4, 2, 0.99, "10 states, gamma 0.99, sparse", sparse=True),
                  case(6, 2, 0, 0.7, "no terminal state"),
                  case(8, 3, 2, 0.95, "a nearly deterministic policy", sharp=20.0),
                  case(3, 2, 1, 1.0, "gamma = 1 (every state reaches the terminal one)"),
                  Case((lake["P"], lake["R"], lake["terminal"], uniform, 0.9, 1e-10),
                       note="FrozenLake-v1, the uniform random policy, gamma 0.9"),
                  Case((*slow_mdp().values(), torch.full((3, 2), 0.5, dtype=torch.float64), 1.0, 1e-10),
                       note="episodes of 50-100 steps on average, gamma 1: slow to converge")]
    return cases


def _evaluation_reference(P, R, terminal, policy, gamma, tol):
    return policy_evaluation(_mdp(P, R, terminal), policy, gamma, tol=tol)[0]


POLICY_EVALUATION = Exercise(
    id="unit5.policy_evaluation",
    misconceptions=MISCONCEPTIONS["unit5.policy_evaluation"],
    alternatives=tuple(ALTERNATIVES["unit5.policy_evaluation"]),
    withholds=("lecture_lib.mdp.policy_evaluation", "lecture_lib.mdp.policy_evaluation_exact",
               "lecture_lib.mdp.bellman_expectation_backup", "lecture_lib.mdp.q_from_v"),
    signature="policy_evaluation(P, R, terminal, policy (S, A), gamma, tol) -> V (S,): repeat the expectation "
              "backup from V = 0 until no value changes by more than tol",
    reference=_evaluation_reference,
    make_cases=_evaluation_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="V", rtol=0.0, atol=1e-6),
)


# ----------------------------------------------------------------- value iteration

def _vi_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(S, A, n_term, gamma, note, sparse=False):
        m = random_mdp(gen, S, A, n_term, sparse)
        return Case((m["P"], m["R"], m["terminal"], gamma, 1e-10), note=note)

    cases = [case(5, 2, 1, 0.9, "5 states, 2 actions"), case(6, 3, 2, 0.8, "6 states, 3 actions")]
    if hidden:
        lake = lake_tables()
        cases += [case(12, 4, 2, 0.99, "12 states, sparse, gamma 0.99", sparse=True),
                  case(4, 2, 0, 0.5, "no terminal state"),
                  case(3, 3, 1, 0.0, "gamma = 0: greedy in the reward"),
                  Case((lake["P"], lake["R"], lake["terminal"], 0.99, 1e-10), note="FrozenLake-v1, gamma 0.99"),
                  Case((lake["P"], lake["R"], lake["terminal"], 1.0, 1e-10), note="FrozenLake-v1, gamma 1"),
                  Case((*slow_mdp().values(), 1.0, 1e-10), note="episodes of 50-100 steps on average, gamma 1: "
                       "slow to converge")]
    return cases


def _vi_reference(P, R, terminal, gamma, tol):
    V, policy, _ = value_iteration(_mdp(P, R, terminal), gamma, tol=tol)
    return V, policy


def _vi_compare(case: Case, expected, got) -> str | None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "the output should be a tuple (V, policy)"
    V_e, _ = expected
    V_g, pi_g = got
    problem = compare_tensors(V_e, V_g, name="V", rtol=0.0, atol=1e-6)
    if problem:
        return problem
    S = V_e.shape[0]
    if not isinstance(pi_g, torch.Tensor) or tuple(pi_g.shape) != (S,) or pi_g.dtype != torch.long:
        return f"the policy should be a long tensor of shape ({S},) holding one action per state"
    P, R, terminal, gamma, _ = case.args
    q = q_from_v(_mdp(P, R, terminal), V_e, gamma)
    A = q.shape[1]
    if ((pi_g < 0) | (pi_g >= A)).any():
        return f"the policy holds actions outside 0..{A - 1}"
    chosen = q.gather(1, pi_g[:, None].cpu())[:, 0]
    gap = q.max(1).values - chosen
    bad = torch.nonzero(gap > 1e-6).flatten()
    if len(bad):
        s = int(bad[0])
        return (f"the policy is not greedy with respect to V*: in state {s} it takes action {int(pi_g[s])} with "
                f"Q* = {chosen[s].item():.6g}, but action {int(q[s].argmax())} has Q* = {q[s].max().item():.6g} "
                f"({len(bad)} state(s) like this)")
    return None


VALUE_ITERATION = Exercise(
    id="unit5.value_iteration",
    misconceptions=MISCONCEPTIONS["unit5.value_iteration"],
    alternatives=tuple(ALTERNATIVES["unit5.value_iteration"]),
    withholds=("lecture_lib.mdp.value_iteration", "lecture_lib.mdp.bellman_optimality_backup",
               "lecture_lib.mdp.policy_iteration", "lecture_lib.mdp.q_from_v"),
    signature="value_iteration(P, R, terminal, gamma, tol) -> (V (S,), policy (S,) long): optimality backups "
              "from V = 0 until no value changes by more than tol, then the greedy policy",
    reference=_vi_reference,
    make_cases=_vi_cases,
    compare=_vi_compare,
)


# ----------------------------------------------------------------- epsilon-greedy

def _eps_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    cases = [Case((torch.randn(4, generator=gen), 0.1), note="one state, 4 actions"),
             Case((torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]]), 0.2),
                  note="ties: two maximizers, then all four")]
    if hidden:
        cases += [Case((torch.randint(0, 3, (20, 5), generator=gen).double(), 0.3), note="(20, 5) values with many ties"),
                  Case((torch.randn(7, 2, generator=gen), 0.0), note="epsilon = 0: greedy"),
                  Case((torch.randn(3, 6, generator=gen), 1.0), note="epsilon = 1: uniform"),
                  Case((torch.randn(2, 3, 4, generator=gen), 0.05), note="a (2, 3, 4) batch"),
                  Case((torch.zeros(5, 3), 0.1), note="all zero (a fresh Q table): uniform")]
    return cases


EPSILON_GREEDY = Exercise(
    id="unit5.epsilon_greedy_probs",
    misconceptions=MISCONCEPTIONS["unit5.epsilon_greedy_probs"],
    alternatives=tuple(ALTERNATIVES["unit5.epsilon_greedy_probs"]),
    withholds=("lecture_lib.td.epsilon_greedy_probs",),
    signature="epsilon_greedy_probs(q (..., A), epsilon) -> (..., A): epsilon / A everywhere plus (1 - epsilon) / k "
              "on each of the k maximizers; q's dtype",
    reference=epsilon_greedy_probs,
    make_cases=_eps_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the probabilities", rtol=1e-6, atol=1e-7),
)


# ----------------------------------------------------------------- SARSA and Q-learning targets

def _target_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(B, A, gamma, method, note, p_term=0.3):
        r = torch.randn(B, generator=gen)
        q = torch.randn(B, A, generator=gen) * 3
        a = torch.randint(0, A, (B,), generator=gen)
        term = torch.rand(B, generator=gen) < p_term
        return Case((r, q, a, term, gamma, method), note=note)

    cases = [case(6, 4, 0.9, "sarsa", "SARSA, 6 transitions"), case(6, 4, 0.9, "q_learning", "Q-learning, 6 transitions")]
    if hidden:
        cases += [case(50, 2, 0.99, "sarsa", "SARSA, 50 transitions, 2 actions"),
                  case(50, 6, 0.99, "q_learning", "Q-learning, 50 transitions, 6 actions"),
                  case(10, 3, 1.0, "q_learning", "Q-learning, gamma 1, all terminated", p_term=1.1),
                  case(10, 3, 0.5, "sarsa", "SARSA, nothing terminated", p_term=0.0),
                  case(8, 5, 0.0, "q_learning", "gamma = 0: the reward alone")]
    return cases


TD_TARGETS = Exercise(
    id="unit5.td_targets",
    misconceptions=MISCONCEPTIONS["unit5.td_targets"],
    alternatives=tuple(ALTERNATIVES["unit5.td_targets"]),
    withholds=("lecture_lib.td.td_targets", "lecture_lib.td.sarsa_target", "lecture_lib.td.q_learning_target",
               "lecture_lib.dqn.dqn_targets"),
    signature="td_targets(rewards (B,), q_next (B, A), next_actions (B,), terminated (B,) bool, gamma, method) -> (B,): "
              "r + gamma (1 - terminated) Q(s', a') for 'sarsa', max_a Q(s', a) for 'q_learning'",
    reference=td_targets,
    make_cases=_target_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="the targets", rtol=1e-5, atol=1e-6),
)


# ----------------------------------------------------------------- Monte Carlo and TD(0) prediction

def random_episodes(gen: torch.Generator, n: int, S: int, max_len: int = 8, p_trunc: float = 0.3) -> list[dict]:
    """``n`` random episodes over states 0..S-2 (state S-1 is terminal) as plain data."""
    out = []
    for _ in range(n):
        T = int(torch.randint(1, max_len + 1, (1,), generator=gen))
        states = torch.randint(0, S - 1, (T,), generator=gen)
        rewards = torch.randint(-2, 3, (T,), generator=gen).double() + torch.rand(T, generator=gen, dtype=torch.float64)
        truncated = bool(torch.rand(1, generator=gen) < p_trunc)
        final = int(torch.randint(0, S - 1, (1,), generator=gen)) if truncated else S - 1
        out.append({"states": states.tolist(), "rewards": rewards.tolist(), "final_state": final,
                    "terminated": not truncated})
    return out


def _mc_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(n, S, gamma, first, note, max_len=8):
        return Case((random_episodes(gen, n, S, max_len), S, gamma, first), note=note)

    cases = [case(3, 4, 0.9, True, "3 episodes, first visit"), case(3, 4, 0.9, False, "3 episodes, every visit")]
    if hidden:
        cases += [case(20, 6, 0.99, True, "20 episodes, first visit, gamma 0.99", max_len=15),
                  case(20, 6, 0.5, False, "20 episodes, every visit, gamma 0.5", max_len=15),
                  case(1, 3, 1.0, True, "one episode, gamma 1"),
                  case(5, 10, 0.8, True, "states never visited keep 0"),
                  case(40, 3, 0.9, False, "many revisits, every visit", max_len=20)]
    return cases


def _mc_reference(episodes, n_states, gamma, first_visit):
    return monte_carlo_prediction(episodes, n_states, gamma, first_visit)[-1]


MONTE_CARLO = Exercise(
    id="unit5.monte_carlo_prediction",
    misconceptions=MISCONCEPTIONS["unit5.monte_carlo_prediction"],
    alternatives=tuple(ALTERNATIVES["unit5.monte_carlo_prediction"]),
    withholds=("lecture_lib.td.monte_carlo_prediction",),
    signature="monte_carlo_prediction(episodes: list of Episode, n_states, gamma, first_visit) -> V (n_states,) "
              "float64: the average of the returns after each (first) visit; 0 where never visited",
    reference=_mc_reference,
    make_cases=_mc_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="V", rtol=1e-7, atol=1e-9),
    run=episodes_run,
)


def _td0_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(n, S, gamma, alpha, note, max_len=8, p_trunc=0.3):
        return Case((random_episodes(gen, n, S, max_len, p_trunc), S, gamma, alpha), note=note)

    cases = [case(3, 4, 0.9, 0.5, "3 episodes, alpha 0.5"), case(4, 5, 1.0, 0.1, "4 episodes, gamma 1, alpha 0.1")]
    if hidden:
        cases += [case(30, 6, 0.99, 0.2, "30 episodes", max_len=15),
                  case(5, 4, 0.9, 1.0, "alpha = 1: V becomes the last target"),
                  case(10, 5, 0.8, 0.3, "every episode truncated", p_trunc=1.1),
                  case(10, 5, 0.8, 0.3, "every episode terminated", p_trunc=0.0),
                  case(20, 3, 0.95, 0.5, "many revisits", max_len=20)]
    return cases


def _td0_reference(episodes, n_states, gamma, alpha):
    return td0_prediction(episodes, n_states, gamma, alpha)[-1]


TD0 = Exercise(
    id="unit5.td0_prediction",
    misconceptions=MISCONCEPTIONS["unit5.td0_prediction"],
    alternatives=tuple(ALTERNATIVES["unit5.td0_prediction"]),
    withholds=("lecture_lib.td.td0_prediction", "lecture_lib.td.td0_target"),
    signature="td0_prediction(episodes: list of Episode, n_states, gamma, alpha) -> V (n_states,) float64: from V = 0, "
              "V(s_t) += alpha (r_t + gamma c V(s_{t+1}) - V(s_t)) after every step; c = 0 only after termination",
    reference=_td0_reference,
    make_cases=_td0_cases,
    compare=lambda case, e, g: compare_tensors(e, g, name="V", rtol=1e-7, atol=1e-9),
    run=episodes_run,
)


# ----------------------------------------------------------------- the DQN loss

def _net_state(gen: torch.Generator, sizes: list[int], scale: float = 0.7) -> dict:
    from lecture_lib.rl import mlp

    net = mlp(sizes, activation=torch.nn.ReLU)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
    return {k: v.clone() for k, v in net.state_dict().items()}


def _dqn_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    def case(B, A, gamma, note, shared=False, p_term=0.3, obs_dim=4, hidden_units=8, scale=0.7, reward_scale=1.0):
        sizes = [obs_dim, hidden_units, A]
        q_state = _net_state(gen, sizes, scale)
        target_state = None if shared else _net_state(gen, sizes, scale)
        batch = {"obs": torch.randn(B, obs_dim, generator=gen), "actions": torch.randint(0, A, (B,), generator=gen),
                 "rewards": torch.randn(B, generator=gen) * reward_scale,
                 "next_obs": torch.randn(B, obs_dim, generator=gen),
                 "terminated": (torch.rand(B, generator=gen) < p_term).float()}
        return Case((q_state, target_state, batch, gamma), note=note)

    cases = [case(8, 2, 0.99, "8 transitions, a separate target network"),
             case(8, 3, 0.9, "8 transitions, the target network is the online network itself", shared=True)]
    if hidden:
        cases += [case(64, 2, 0.99, "64 transitions, large errors (Huber's linear part)", reward_scale=5.0),
                  case(32, 4, 0.99, "small errors (Huber's quadratic part)", scale=0.1, reward_scale=0.1),
                  case(16, 2, 0.9, "all terminated", p_term=1.1),
                  case(16, 2, 0.9, "nothing terminated", p_term=0.0),
                  case(20, 3, 0.99, "shared network, 20 transitions", shared=True, reward_scale=3.0)]
    return cases


def _dqn_compare(case: Case, expected, got) -> str | None:
    if not isinstance(got, dict) or set(got) != {"loss", "q_grads", "target_grads"}:
        return "the runner could not read a loss and gradients"
    problem = compare_tensors(expected["loss"], got["loss"], name="the loss", rtol=1e-5, atol=1e-6)
    if problem:
        return problem
    for name, g_e in expected["q_grads"].items():
        problem = compare_tensors(g_e, got["q_grads"].get(name), name=f"the gradient of q_net's {name}",
                                  rtol=1e-4, atol=1e-6, atol_per_scale=1e-5)
        if problem:
            return problem
    if got["target_grads"]:
        return ("gradients reached the target network (" + ", ".join(sorted(got["target_grads"])[:3]) +
                "): compute the target under torch.no_grad() or .detach() it")
    return None


DQN_LOSS = Exercise(
    id="unit5.dqn_loss",
    misconceptions=MISCONCEPTIONS["unit5.dqn_loss"],
    alternatives=tuple(ALTERNATIVES["unit5.dqn_loss"]),
    withholds=("lecture_lib.dqn.dqn_loss", "lecture_lib.dqn.dqn_targets"),
    signature="dqn_loss(q_net, target_net, batch: dict of obs, actions, rewards, next_obs, terminated, gamma) -> "
              "0-dim tensor: mean smooth_l1(Q(s, a), r + gamma (1 - terminated) max_a' Q_target(s', a')), no gradient "
              "through the target",
    reference=lambda q_net, target_net, batch, gamma: dqn_loss(q_net, target_net, batch, gamma),
    make_cases=_dqn_cases,
    compare=_dqn_compare,
    run=dqn_loss_run,
)


# ----------------------------------------------------------------- Q-learning on CliffWalking (behavioural)

#: Episodes and step size of the behavioural check (see the module docstring).
CLIFF_EPISODES, CLIFF_ALPHA, CLIFF_EPSILON = 500, 0.5, 0.1
CLIFF_HIDDEN_SEEDS, CLIFF_HIDDEN_NEEDED = 3, 2


def _cliff_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    settings = {"alpha": CLIFF_ALPHA, "epsilon": CLIFF_EPSILON, "gamma": 1.0}
    n = CLIFF_HIDDEN_SEEDS if hidden else 1
    seeds = tuple(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)) for _ in range(n))
    return [Case((seeds, CLIFF_EPISODES), settings, note=f"{n} seed(s)")]


def _cliff_compare(case: Case, expected, got) -> str | None:
    seeds = case.args[0]
    counted = seeds_passed(got, seeds, lambda r: bool(r.get("reached_goal")) and r.get("greedy_return") == -13.0,
                           CLIFF_HIDDEN_SEEDS, CLIFF_HIDDEN_NEEDED)
    if isinstance(counted, str):
        return counted
    optimal, needed = counted
    if len(optimal) >= needed:
        return None
    described = "; ".join(
        f"return {r['greedy_return']:.0f} in {r['greedy_steps']} steps" if r.get("reached_goal")
        else f"no goal within {r['greedy_steps']} steps" for r in got)
    return (f"the greedy path learned is the optimal 13-step path (return -13) on {len(optimal)} of {len(seeds)} "
            f"seeds, needs {needed}: greedy paths from the start: {described}")


Q_LEARNING = Exercise(
    id="unit5.q_learning",
    misconceptions=MISCONCEPTIONS["unit5.q_learning"],   # never diagnosed (no reference output): tested and audited
    alternatives=tuple(ALTERNATIVES["unit5.q_learning"]),
    withholds=("lecture_lib.td.q_learning", "lecture_lib.td.td_control", "lecture_lib.td.q_learning_target"),
    signature="q_learning(env, episodes, alpha, epsilon, gamma, generator) -> (Q (48, 4), returns): Q-learning with "
              "epsilon-greedy actions for exactly `episodes` whole episodes",
    reference=q_learning,   # behavioural: never run by the judge, only by the tests
    make_cases=_cliff_cases,
    compare=_cliff_compare,
    run=cliff_run,
    criterion=f"the greedy path after {CLIFF_EPISODES} episodes is the optimal 13-step one (return -13) "
              f"(1 of 1 seed visible; {CLIFF_HIDDEN_NEEDED} of {CLIFF_HIDDEN_SEEDS} seeds hidden)",
)


EXERCISES = (Q_FROM_V, POLICY_EVALUATION, VALUE_ITERATION, EPSILON_GREEDY, TD_TARGETS, MONTE_CARLO, TD0, DQN_LOSS, Q_LEARNING,)
