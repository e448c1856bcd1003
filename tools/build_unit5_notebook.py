"""Write solutions/unit5_value_based/unit5_value_based.ipynb from the cells below (the first
version of unit 5 was drafted this way; edit the notebook itself from now on, or edit here and
rerun: ``.venv/bin/python tools/build_unit5_notebook.py``)."""

from __future__ import annotations

from pathlib import Path

from notebook_builder import NotebookBuilder  # tools/, on sys.path when run as a script

OUT = Path(__file__).resolve().parents[1] / "solutions" / "unit5_value_based" / "unit5_value_based.ipynb"
NB = NotebookBuilder("unit5")
md, code = NB.md, NB.code
check_cell = NB.check_cell


md("title", r"""
# Unit 5: Value-based reinforcement learning, from the Bellman equation to DQN and actor-critic

Units 3 and 4 learned a policy directly, by the score-function gradient. The other half of
reinforcement learning learns **values**: how much return to expect from a state, or from an
action in a state, and then acts greedily on them. Values obey a recursion, the **Bellman
equation**, and every method of this unit is a way of solving it: exactly when the
environment's transition table is known (dynamic programming), from sampled episodes (Monte
Carlo), from single steps (temporal-difference learning, SARSA, Q-learning), and with a
neural network in place of the table (deep Q-learning). The last section closes the loop with
unit 4: a value network that *bootstraps* turns REINFORCE with a baseline into an actor-critic.

Exercises (17 points): `q_from_v` (1), `policy_evaluation` (2), `value_iteration` (2),
`monte_carlo_prediction` (2), `td0_prediction` (2), `epsilon_greedy_probs` (1),
`td_targets` (1), `q_learning` (4, graded by whether your agent learns the optimal path) and
`dqn_loss` (2).

Every function you write returns its results **on the device of its inputs** (the checks run on
the GPU when there is one: create new tensors with `device=x.device`) and in the dtype each
exercise states; the checks compare both exactly. They also leave their **inputs unchanged**: no
in-place changes to an argument (`x -= m`, `x[i] = ...`, `x.add_(...)`); compute new tensors, or
work on a copy (`x.clone()`). The checks fail a function that changes its inputs, unless an
exercise says it may (a network, optimizer or environment that an exercise trains or steps is of
course meant to change).
""")

code("imports", r"""
import time

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import torch

from autograder import check
from lecture_lib import by_mode, progress_bar, seed_everything, show_setting, uses_your
from lecture_lib.mdp import cliff_walking, frozen_lake, plot_grid
from lecture_lib.td import Episode, play_episode, sarsa

torch.set_default_dtype(torch.float32)
seed_everything(0)
show_setting("unit5_value_based")   # fast or full, what Run All costs in each, how to switch
""")

md("mdp-md", r"""
## 1. Markov decision processes and the Bellman equations

An MDP has states $s$, actions $a$, transition probabilities $p(s' \mid s, a)$ and rewards.
A policy $\pi(a \mid s)$ picks actions; the **return** from time $t$ is
$G_t = r_t + \gamma r_{t+1} + \gamma^2 r_{t+2} + \dots$ (until the episode ends), and the
**value** of a state under $\pi$ is its expected return, $V_\pi(s) = \mathbb E_\pi[G_t \mid s_t = s]$;
the **action value** $Q_\pi(s, a)$ fixes the first action.

Split the return into the first reward and the rest, $G_t = r_t + \gamma G_{t+1}$, and take the
expectation: the rest's expectation, given where we land, is the next state's value. That is
the **Bellman expectation equation**,

$$V_\pi(s) = \sum_a \pi(a\mid s)\, Q_\pi(s, a), \qquad
Q_\pi(s, a) = r(s, a) + \gamma \sum_{s'} p(s' \mid s, a)\, V_\pi(s'),$$

with $r(s, a)$ the expected reward. The best achievable values satisfy the **Bellman
optimality equation**, where the average over the policy becomes a max:

$$V^*(s) = \max_a \Big[ r(s, a) + \gamma \sum_{s'} p(s' \mid s, a)\, V^*(s') \Big],$$

and acting greedily on $V^*$ (the argmax) is an optimal policy.

**Terminal states.** An episode ends on entering a terminal state: nothing follows, so its
value is 0 and nothing is bootstrapped from it. We write that with $c(s') = 1 - \text{terminal}(s')$
inside the sum.

**FrozenLake.** A 4 x 4 frozen lake: start top left (S), reach the goal (G, reward 1) without
falling into a hole (H); the ice is slippery, so an action moves in the intended direction
with probability 1/3 and to each side with 1/3. Gymnasium stores the whole table,
`env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]`;
`lecture_lib.mdp.frozen_lake()` reads it into tensors: `P` `(S, A, S)`, `R` `(S, A)` (expected
rewards), `terminal` `(S,)`.
""")

code("lake", r"""
lake = frozen_lake()
P, R, terminal = lake.P, lake.R, lake.terminal
print("\n".join(lake.desc))
print(f"{lake.n_states} states, {lake.n_actions} actions ({', '.join(lake.action_names)}); "
      f"terminal states: {terminal.nonzero().flatten().tolist()}")
print("from the start, action 'down' lands in:", {s: round(p, 3) for s, p in enumerate(P[0, 1].tolist()) if p})
print("the only reward: the goal, entered from state 14:", R[14].tolist())
""")

md("q-md", r"""
### Exercise 1 (1 point): `q_from_v`

`q_from_v(P, R, terminal, V, gamma)`: `P` `(S, A, S)`, `R` `(S, A)`, `terminal` `(S,)` bool,
`V` `(S,)` → `Q` `(S, A)` with

$$Q[s, a] = R[s, a] + \gamma \sum_{s'} P[s, a, s']\,(1 - \text{terminal}[s'])\,V[s'],$$

in `V`'s dtype (float64 here). This one-step lookahead is the **Bellman backup**; everything
in sections 2 and 3 is built on it. The check compares with the reference on random MDPs and
on FrozenLake's table, for any `V` (also non-zero values on terminal states, which must not
count). Terminal states are absorbing with reward 0 in every case, so their rows of `Q` come
out 0.
""")

code("q-from-v", r"""
def q_from_v(P, R, terminal, V, gamma):
    ### BEGIN SOLUTION
    live = (~terminal).to(V.dtype)
    return R + gamma * torch.einsum("sat,t->sa", P, live * V)
    ### END SOLUTION
""", solution="q_from_v")

check_cell("q_from_v", "q_from_v", 1)

md("eval-md", r"""
## 2. Policy evaluation

The expectation equation is linear in $V_\pi$. Two ways to solve it:

- **Iteratively**: start from $V = 0$ and apply the backup to every state,
  $V(s) \leftarrow \sum_a \pi(a \mid s)\, Q(s, a)$, until nothing moves by more than a
  tolerance. For $\gamma < 1$ the backup is a $\gamma$-contraction: each sweep shrinks the
  largest distance to $V_\pi$ (the max norm) by at least a factor $\gamma$. With $\gamma = 1$
  that argument fails; the iteration still converges when every episode ends with probability 1,
  as in the cases here.
- **Exactly**: write $P_\pi[s, s'] = \sum_a \pi(a\mid s) p(s'\mid s, a)$ and
  $r_\pi(s) = \sum_a \pi(a\mid s) r(s, a)$; then $V = r_\pi + \gamma P_\pi C V$ with $C$ the
  diagonal of $c(s')$, i.e. the linear system $(I - \gamma P_\pi C)\,V = r_\pi$.

### Exercise 2 (2 points): `policy_evaluation`

`policy_evaluation(P, R, terminal, policy, gamma, tol)`: `policy` `(S, A)` probabilities →
`V` `(S,)`: start from zeros and repeat the expectation backup (with your `q_from_v`) until
the largest change of a sweep is at most `tol`. The check calls it with `tol = 1e-10` and
compares with the reference's values (converged to that tolerance) within $10^{-6}$; updating
the values in place during a sweep, or solving the linear system, passes too. `V` has the dtype
of `P` (float64 here).
""")

code("policy-evaluation", r"""
def policy_evaluation(P, R, terminal, policy, gamma, tol=1e-10):
    ### BEGIN SOLUTION
    V = torch.zeros(R.shape[0], dtype=R.dtype)
    while True:
        new = (policy * q_from_v(P, R, terminal, V, gamma)).sum(1)
        change = (new - V).abs().max().item()
        V = new
        if change <= tol:
            return V
    ### END SOLUTION
""", solution="policy_evaluation")

check_cell("policy_evaluation", "policy_evaluation", 2)

code("eval-vs-exact", r"""
# The uniform random policy on FrozenLake: iterative evaluation against the linear solve.
uniform = torch.full((16, 4), 0.25, dtype=torch.float64)
live = (~terminal).double()
for gamma in (0.9, 0.99):
    with uses_your("policy_evaluation", "q_from_v"):
        V_iter = policy_evaluation(P, R, terminal, uniform, gamma)
    P_pi = torch.einsum("sa,sat->st", uniform, P) * live[None, :]
    r_pi = (uniform * R).sum(1)
    V_exact = torch.linalg.solve(torch.eye(16, dtype=torch.float64) - gamma * P_pi, r_pi)
    print(f"gamma {gamma}: V(start) = {V_iter[0]:.6f} iterative, {V_exact[0]:.6f} exact; "
          f"largest difference {(V_iter - V_exact).abs().max():.1e}")
""")

md("control-md", r"""
## 3. Policy iteration and value iteration

**Policy iteration** alternates two steps until the policy stops changing: *evaluate* the
current policy (section 2), then *improve* it by acting greedily on its action values,
$\pi'(s) = \arg\max_a Q_\pi(s, a)$. The policy improvement theorem says $\pi'$ is at least as
good as $\pi$ in every state, and a finite MDP has finitely many deterministic policies, so it
stops, at an optimal one. Each evaluation is itself a long iteration, though.

**Value iteration** cuts the evaluation short, to a single sweep, and folds the improvement
into it: apply the optimality backup $V(s) \leftarrow \max_a Q(s, a)$ until convergence, then
read the policy off $V^*$ once at the end (**greedy policy extraction**).

### Exercise 3 (2 points): `value_iteration`

`value_iteration(P, R, terminal, gamma, tol)` → `(V, policy)`: `V` `(S,)` from repeated
optimality backups starting at zero until the largest change is at most `tol`; `policy` `(S,)`
long, a greedy action in every state, $\arg\max_a Q(s, a)$ under the final `V`. The check
compares `V` with $V^*$ within $10^{-6}$ and accepts any greedy action where several tie
(terminal states, for instance, tie all four).
""")

code("value-iteration", r"""
def value_iteration(P, R, terminal, gamma, tol=1e-10):
    ### BEGIN SOLUTION
    V = torch.zeros(R.shape[0], dtype=R.dtype)
    while True:
        new = q_from_v(P, R, terminal, V, gamma).max(1).values
        change = (new - V).abs().max().item()
        V = new
        if change <= tol:
            return V, q_from_v(P, R, terminal, V, gamma).argmax(1)
    ### END SOLUTION
""", solution="value_iteration")

check_cell("value_iteration", "value_iteration", 2)

code("pi-vs-vi", r"""
def policy_iteration(P, R, terminal, gamma):
    # Start from "always left"; improve only where another action is strictly better (so that
    # ties cannot make the policy flip back and forth).
    policy = torch.zeros(R.shape[0], dtype=torch.long)
    for improvements in range(100):
        V = policy_evaluation(P, R, terminal, torch.nn.functional.one_hot(policy, R.shape[1]).double(), gamma)
        Q = q_from_v(P, R, terminal, V, gamma)
        better = Q.max(1).values > Q.gather(1, policy[:, None])[:, 0] + 1e-12
        if not better.any():
            return policy, V, improvements
        policy = torch.where(better, Q.argmax(1), policy)

known = {1.0: 0.8235, 0.99: 0.542, 0.9: 0.0689}
with uses_your("value_iteration", "policy_evaluation", "q_from_v"):
    for gamma, v_known in known.items():
        V_star, greedy = value_iteration(P, R, terminal, gamma)
        pi_policy, V_pi, n_improve = policy_iteration(P, R, terminal, gamma)
        print(f"gamma {gamma:<4}: V*(start) = {V_star[0]:.4f} (known {v_known}); policy iteration: "
              f"{V_pi[0]:.4f} after {n_improve} improvements; values agree to "
              f"{(V_star - V_pi).abs().max():.0e}")
""")

md("heat-md", r"""
The optimal values and policy as a picture (arrows: the greedy action; letters: start, holes,
goal). With $\gamma = 1$ the agent has all the time in the world: it presses against walls
wherever that keeps slips away from holes (a slip can then carry it into a hole only from the
cell where every action risks one), and from the start it reaches the goal with probability
$14/17 = 0.8235$. With $\gamma = 0.9$ a late success is worth little: the value from the start
falls to 0.069, mostly because the goal is many slippery steps away and each step discounts
it, and partly because the policy now takes more risk for speed. The slider redraws the
picture for any discount.
""")

code("heat-map", r"""
import ipywidgets as widgets

def show_optimum(gamma=0.99):
    with uses_your("value_iteration", "q_from_v"):
        V_star, greedy = value_iteration(P, R, terminal, gamma)
    fig, ax = plt.subplots(figsize=(3.4, 3.4))
    plot_grid(ax, lake, V_star, greedy, title=f"FrozenLake: V* and the greedy policy, gamma = {gamma:.3f}")
    plt.show()

show_optimum(0.99)   # the figure at the default; the slider below (in JupyterLab) redraws it
slider = widgets.FloatSlider(value=0.99, min=0.5, max=1.0, step=0.01, readout_format=".2f",
                             description="gamma", continuous_update=False)
display(widgets.interactive_output(show_optimum, {"gamma": slider}), slider)
""")

md("mc-md", r"""
## 4. Learning from experience: Monte Carlo and TD(0)

Dynamic programming needs the transition table. Without it, the agent only has **episodes**
it played. To estimate $V_\pi$ for a fixed policy (**prediction**):

- **Monte Carlo**: $V_\pi(s)$ is an expectation of the return, so average the returns that
  actually followed visits to $s$. *First-visit* MC uses only the first visit of each
  episode, *every-visit* MC all of them; both converge to $V_\pi$ (first-visit averages
  independent unbiased samples; every-visit's samples within an episode overlap, which biases
  it slightly for few episodes). But a return sums many random rewards (high variance), and it
  is known only when the episode ends.
- **TD(0)**: after every single step, move $V(s_t)$ towards the **TD target**
  $r_t + \gamma V(s_{t+1})$, which replaces the unknown rest of the return by the current
  estimate of it: $V(s_t) \leftarrow V(s_t) + \alpha\,[r_t + \gamma V(s_{t+1}) - V(s_t)]$.
  It **bootstraps** (an estimate built on estimates): biased while $V$ is wrong, but each
  target holds one random reward, and it learns before (and without) the episode's end.

An episode here is an `Episode` (`lecture_lib.td`): `states[t]`, `rewards[t]` for
$t = 0..T-1$, the state reached at the end `final_state`, and `terminated` (True: a terminal
state, nothing follows; False: the episode was cut by a time limit and `final_state` still
has a value).

### Exercise 4 (2 points): `monte_carlo_prediction`

`monte_carlo_prediction(episodes, n_states, gamma, first_visit)` → `V` `(n_states,)` float64:
for every visit of a state (only the first in each episode when `first_visit`), the return
from that step, $G_t = r_t + \gamma r_{t+1} + \dots$ to the episode's end; `V[s]` is the average
of the returns collected for `s` over all episodes, 0 if never visited. (A cut episode's
returns count only the rewards seen: Monte Carlo has nothing to bootstrap with.)

### Exercise 5 (2 points): `td0_prediction`

`td0_prediction(episodes, n_states, gamma, alpha)` → `V` `(n_states,)` float64: start from
zeros; for every step of every episode, in order, apply the TD(0) update with
$s_{t+1}$ the next state (`final_state` after the last step), and **no bootstrap** only when
the episode *terminated* at that step: a cut episode bootstraps from its final state's value.
""")

code("mc-td", r"""
def monte_carlo_prediction(episodes, n_states, gamma, first_visit=True):
    ### BEGIN SOLUTION
    sums = torch.zeros(n_states, dtype=torch.float64)
    counts = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        G, returns = 0.0, [0.0] * len(ep.rewards)
        for t in reversed(range(len(ep.rewards))):
            G = ep.rewards[t] + gamma * G
            returns[t] = G
        seen = set()
        for t, s in enumerate(ep.states):
            if first_visit and s in seen:
                continue
            seen.add(s)
            sums[s] += returns[t]
            counts[s] += 1
    return torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros_like(sums))
    ### END SOLUTION


def td0_prediction(episodes, n_states, gamma, alpha):
    ### BEGIN SOLUTION
    V = torch.zeros(n_states, dtype=torch.float64)
    for ep in episodes:
        T = len(ep.rewards)
        for t in range(T):
            s = ep.states[t]
            nxt = ep.states[t + 1] if t + 1 < T else ep.final_state
            ended = ep.terminated and t == T - 1
            target = ep.rewards[t] + (0.0 if ended else gamma * V[nxt].item())
            V[s] += alpha * (target - V[s])
    return V
    ### END SOLUTION
""", solution="mc_td")

check_cell("monte_carlo_prediction", "monte_carlo_prediction", 2)
check_cell("td0_prediction", "td0_prediction", 2)

md("mc-td-run-md", r"""
**Which learns faster?** The policy to evaluate: FrozenLake's optimal policy for $\gamma = 0.99$
with an $\varepsilon = 0.3$ random action (so that more states are visited). Its exact values come
from your `policy_evaluation`; we play episodes, give the first $n$ to each method and measure
the root-mean-square error over the non-terminal states, averaged over several independent
runs. TD(0) uses a constant step $\alpha$: a large step learns fast but keeps chasing single
noisy targets, so its error stops falling at a floor that grows with $\alpha$; a small one is
steadier but slow. On FrozenLake, Monte Carlo is ahead at every size the cell prints: the only
reward comes at the goal, at the end of long episodes, and TD must pass it back one state per
visit, while Monte Carlo credits every visited state with the whole return at once.
(Full-mode figures, 20 runs, 2026-12-07: after 300 / 1,000 / 3,000 episodes, Monte Carlo
0.033 / 0.018 / 0.011; TD(0) with alpha 0.1 0.040 / 0.039 / 0.046, at its floor; with alpha
0.02 0.159 / 0.044 / 0.022, still falling.)
""")

code("mc-td-run", r"""
gamma = 0.99
with uses_your("value_iteration", "policy_evaluation", "q_from_v"):
    _, greedy = value_iteration(P, R, terminal, gamma)
    eps = 0.3
    behaviour = torch.full((16, 4), eps / 4, dtype=torch.float64)
    behaviour[torch.arange(16), greedy] += 1 - eps
    V_true = policy_evaluation(P, R, terminal, behaviour, gamma)
env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
live_states = ~terminal
n_runs = by_mode(fast=3, full=20)
checkpoints = by_mode(fast=[10, 30, 100, 300], full=[10, 30, 100, 300, 1000, 3000])
methods = {"Monte Carlo (first visit)": lambda eps_: monte_carlo_prediction(eps_, 16, gamma, True),
           "TD(0), alpha 0.1": lambda eps_: td0_prediction(eps_, 16, gamma, 0.1),
           "TD(0), alpha 0.02": lambda eps_: td0_prediction(eps_, 16, gamma, 0.02)}
errors = {name: np.zeros((n_runs, len(checkpoints))) for name in methods}
for run in range(n_runs):
    gen = torch.Generator().manual_seed(run)
    act = lambda s: int(torch.multinomial(behaviour[s], 1, generator=gen))
    episodes = [play_episode(env, act, seed=run if i == 0 else None) for i in range(checkpoints[-1])]
    for j, n in enumerate(checkpoints):
        for name, method in methods.items():
            with uses_your("monte_carlo_prediction", "td0_prediction"):
                V = method(episodes[:n])
            errors[name][run, j] = (V - V_true)[live_states].pow(2).mean().sqrt().item()
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, e in errors.items():
    ax.plot(checkpoints, e.mean(0), marker="o", label=name)
ax.set(xscale="log", xlabel="episodes", ylabel="RMS error of V (non-terminal states)",
       title=f"Prediction on FrozenLake, mean over {n_runs} runs")
ax.legend(fontsize=8)
plt.show()
for name, e in errors.items():
    print(f"{name:<26}: RMS error " + ", ".join(f"{m:.3f}" for m in e.mean(0)) +
          f" after {', '.join(map(str, checkpoints))} episodes")
""")

md("cut-md", r"""
**Learning from incomplete episodes.** Cut every episode after 10 steps (a time limit too
short for many of them). Monte Carlo can only count the rewards it saw, so it learns the value
of a 10-step game, not of the real one: its estimates are far too low, and more episodes only
pin down that wrong value (full mode's 5,000 episodes give the same picture as fast mode's
2,000). TD(0) bootstraps from the state where the cut came: the rest of the episode is still
represented by $V$, and its estimates come out close to the true values (the RMS errors below).
""")

code("cut", r"""
n_cut = by_mode(fast=2000, full=5000)
gen = torch.Generator().manual_seed(7)
act = lambda s: int(torch.multinomial(behaviour[s], 1, generator=gen))
cut_episodes = [play_episode(env, act, max_steps=10, seed=7 if i == 0 else None) for i in range(n_cut)]
print(f"{sum(not ep.terminated for ep in cut_episodes)} of {n_cut} episodes were cut after 10 steps")
with uses_your("monte_carlo_prediction", "td0_prediction"):
    V_mc = monte_carlo_prediction(cut_episodes, 16, gamma, True)
    V_td = td0_prediction(cut_episodes, 16, gamma, 0.05)
for s in (0, 4, 8, 14):
    print(f"state {s:>2}: true {V_true[s]:.3f}   Monte Carlo {V_mc[s]:.3f}   TD(0) {V_td[s]:.3f}")
rms = lambda V: (V - V_true)[live_states].pow(2).mean().sqrt().item()
print(f"RMS error: Monte Carlo {rms(V_mc):.3f}, TD(0) {rms(V_td):.3f}")
""")

md("control-td-md", r"""
## 5. Control without a model: SARSA and Q-learning

To *improve* a policy from experience, learn action values $Q(s, a)$ (with $V$ alone, the
greedy step would need the model) and act **epsilon-greedily**: with probability $\varepsilon$
a uniformly random action, otherwise a greedy one. Then

- **SARSA** (state, action, reward, state, action) moves $Q(s_t, a_t)$ towards
  $r_t + \gamma Q(s_{t+1}, a_{t+1})$ with $a_{t+1}$ the action the agent *will actually take*
  next: it learns the values of the epsilon-greedy policy it follows (**on-policy**);
- **Q-learning** moves it towards $r_t + \gamma \max_a Q(s_{t+1}, a)$: the value of acting
  greedily from the next state on, whatever the agent does next (**off-policy**: it learns
  about the greedy policy while behaving epsilon-greedily).

### Exercise 6 (1 point): `epsilon_greedy_probs`

`epsilon_greedy_probs(q, epsilon)`: `q` `(..., A)` action values → `(..., A)` probabilities:
every action gets $\varepsilon / A$, and the greedy mass $1 - \varepsilon$ is **split equally among
all maximizers** (with a fresh all-zero table every action is a maximizer: a uniform choice,
not always action 0). Rows sum to 1; `q`'s dtype.

### Exercise 7 (1 point): `td_targets`

`td_targets(rewards, q_next, next_actions, terminated, gamma, method)`: a batch of $B$
transitions: `rewards` `(B,)`, `q_next` `(B, A)` the values $Q(s', \cdot)$ of the next states,
`next_actions` `(B,)` the actions taken next, `terminated` `(B,)` bool → `(B,)`:
$r + \gamma\,(1 - \text{terminated})\,Q(s', a')$ for `method == "sarsa"`, and
$r + \gamma\,(1 - \text{terminated})\,\max_a Q(s', a)$ for `"q_learning"`.
""")

code("eps-targets", r"""
def epsilon_greedy_probs(q, epsilon):
    ### BEGIN SOLUTION
    best = (q == q.max(-1, keepdim=True).values).to(q.dtype)
    return (1 - epsilon) * best / best.sum(-1, keepdim=True) + epsilon / q.shape[-1]
    ### END SOLUTION


def td_targets(rewards, q_next, next_actions, terminated, gamma, method):
    ### BEGIN SOLUTION
    if method == "sarsa":
        boot = q_next.gather(1, next_actions[:, None])[:, 0]
    else:
        boot = q_next.max(1).values
    return rewards + gamma * (1.0 - terminated.to(rewards.dtype)) * boot
    ### END SOLUTION
""", solution="eps_targets")

check_cell("epsilon_greedy_probs", "epsilon_greedy_probs", 1)
check_cell("td_targets", "td_targets", 1)

md("ql-md", r"""
**CliffWalking** (Sutton & Barto, example 6.6): a 4 x 12 grid; start bottom left, goal bottom
right, and the cells between them are a cliff. Every step costs -1; stepping into the cliff
costs -100 and sends the agent back to the start. The shortest path runs along the cliff's
edge: 13 steps, return -13. The episode ends only at the goal.

### Exercise 8 (4 points): `q_learning`

`q_learning(env, episodes, alpha, epsilon, gamma, generator)` → `(Q, returns)`: Q-learning on
`env` (a `CliffWalking-v1`, already seeded) for exactly `episodes` whole episodes, each started
with `env.reset()` and played until it ends. `Q` starts as zeros `(48, 4)` float64; at every
step choose the action from your `epsilon_greedy_probs(Q[s], epsilon)` (draw it with
`torch.multinomial(probs, 1, generator=generator)`), step, and update `Q[s, a]` towards your
Q-learning target with step size `alpha` (the goal is terminal: no bootstrap there). Return `Q`
and the list of each episode's total reward.

It is graded by **what it learns**: after 500 episodes with $\varepsilon = 0.1$, $\alpha = 0.5$,
$\gamma = 1$, the greedy path from the start (argmax of `Q`, ties to the lowest action,
followed for at most 100 steps) must be the optimal 13-step one, on the visible seed and on at least 2 of 3 secret seeds. A correct
agent rarely fails by bad luck: the reference found it on 100 of 100 measured seeds (95% upper
bounds on a false failure: 3.7% visible, 0.4% hidden). The grader also checks that you play
exactly `episodes` whole episodes and return the rewards the environment paid, and stops a
run after 200,000 environment steps in all (a correct agent takes about 10,500 in 500 episodes:
at most 10,649 on 40 measured seeds), so an agent whose episodes never end fails in seconds.
""")

code("q-learning", r"""
def q_learning(env, episodes, alpha, epsilon, gamma, generator):
    ### BEGIN SOLUTION
    Q = torch.zeros(env.observation_space.n, env.action_space.n, dtype=torch.float64)
    returns = []
    for _ in range(episodes):
        s, _ = env.reset()
        total, done = 0.0, False
        while not done:
            a = int(torch.multinomial(epsilon_greedy_probs(Q[s], epsilon), 1, generator=generator))
            s2, r, terminated, truncated, _ = env.step(a)
            no_action = torch.tensor([0])   # Q-learning does not use the next action
            target = td_targets(torch.tensor([float(r)], dtype=torch.float64), Q[s2][None], no_action,
                                torch.tensor([terminated]), gamma, "q_learning")[0]
            Q[s, a] += alpha * (target - Q[s, a])
            total += r
            s, done = s2, terminated or truncated
        returns.append(total)
    return Q, returns
    ### END SOLUTION
""", solution="q_learning")

check_cell("q_learning", "q_learning", 4)

md("cliff-run-md", r"""
**SARSA against Q-learning.** Both learn with $\varepsilon = 0.1$ and $\alpha = 0.2$ for 500
episodes, over several seeds; Q-learning is yours, SARSA is the library's
(`lecture_lib.td.sarsa`, the same loop with the SARSA target). Two numbers tell them apart:
the **online return** (what the agent earned per episode while exploring) and the **greedy
path** each learned. Q-learning learns the values of the greedy policy, so its greedy path
hugs the cliff (optimal), but while exploring, a random step from that path falls in: its
online return is worse. SARSA learns the values of the epsilon-greedy policy it really
follows, so the cells next to the cliff look bad to it, and it learns the safe path along the
top: longer, but its online return is better.
""")

code("cliff-run", r"""
cliff = cliff_walking()
cenv = gym.make("CliffWalking-v1")
n_seeds, n_episodes = by_mode(fast=3, full=10), 500
online = {"SARSA": [], "Q-learning (yours)": []}
paths = {}

def greedy_path(Q, max_steps=100):
    s, _ = cenv.reset(seed=0)
    path, total = [int(s)], 0.0
    for _ in range(max_steps):
        s, r, terminated, _, _ = cenv.step(int(Q[s].argmax()))
        path.append(int(s))
        total += r
        if terminated:
            break
    return path, total

runs = [(seed, name, learner) for seed in range(n_seeds)
        for name, learner in (("SARSA", sarsa), ("Q-learning (yours)", q_learning))]
for seed, name, learner in progress_bar(runs, "CliffWalking runs", unit="run"):
    cenv.reset(seed=seed)
    with uses_your("q_learning", "epsilon_greedy_probs", "td_targets"):
        Q, returns = learner(cenv, n_episodes, 0.2, 0.1, 1.0, torch.Generator().manual_seed(seed))
    online[name].append(returns)
    paths.setdefault(name, []).append(greedy_path(Q))

fig, axes = plt.subplots(1, 3, figsize=(14, 3), gridspec_kw={"width_ratios": [1.2, 1, 1]})
window = 10
for name, runs in online.items():
    mean = np.mean(runs, axis=0)
    smooth = np.convolve(mean, np.ones(window) / window, mode="valid")
    axes[0].plot(np.arange(window, n_episodes + 1), smooth, label=name)
axes[0].set(ylim=(-100, 0), xlabel="episode", ylabel=f"online return ({window}-episode mean)",
            title=f"mean over {n_seeds} seeds")
axes[0].legend(fontsize=8)
for ax, name in zip(axes[1:], online):
    path, total = paths[name][0]
    plot_grid(ax, cliff, path=path, title=f"{name}, seed 0: greedy path, return {total:.0f}")
plt.tight_layout()
plt.show()
for name in online:
    greedy_returns = [total for _, total in paths[name]]
    last = np.mean([np.mean(r[-100:]) for r in online[name]])
    print(f"{name:<20}: greedy path returns {greedy_returns}; online return of the last 100 episodes {last:.1f}")
""")

md("dqn-md", r"""
## 6. Deep Q-learning

CartPole's state is four real numbers: no table can list it. **Deep Q-learning** (DQN)
replaces the table by a network $Q_\theta(s, \cdot)$ with one output per action and turns the
Q-learning update into a regression: minimize
$\ell\big(Q_\theta(s, a) - y\big)$ with the target $y = r + \gamma\,(1 - \text{terminated})\max_{a'} Q(s', a')$.
Done naively this can oscillate or diverge; two ingredients make it work:

- **Experience replay.** Consecutive transitions are strongly correlated, and the policy that
  produces them changes with every update. Storing transitions in a large buffer and training
  on random minibatches from it breaks the correlation and reuses each transition many times.
- **A target network.** If $y$ is computed with the network being trained, every update moves
  its own target. A copy $Q_{\bar\theta}$, refreshed only every few hundred steps, holds the
  targets still in between. No gradient flows through $y$ either way: it is a label.

The loss is the Huber loss (quadratic for errors below 1, linear above), which keeps single
large errors from producing huge gradients. **Terminated vs truncated** matters here too: a
transition cut by CartPole's 500-step limit is stored with `terminated = 0`, so its target
bootstraps from $s'$; marking it terminal would teach the network that the states at step 500
are worth one reward.

### Exercise 9 (2 points): `dqn_loss`

`dqn_loss(q_net, target_net, batch, gamma)` → a 0-dim tensor: `batch` is a dict of tensors
`obs` `(B, obs_dim)`, `actions` `(B,)` long, `rewards` `(B,)`, `next_obs` `(B, obs_dim)`,
`terminated` `(B,)` float (1: nothing follows). Return the mean over the batch of
`torch.nn.functional.smooth_l1_loss` (beta 1) between $Q_\theta(s, a)$ of the taken actions and
the targets $y$ computed with `target_net` (your `td_targets` with `"q_learning"` gives them), with
no gradient through $y$. The check compares the loss and the gradient of every parameter of
`q_net`, and checks that no gradient reaches `target_net` (it may also be `q_net` itself).
""")

code("dqn-loss", r"""
def dqn_loss(q_net, target_net, batch, gamma):
    ### BEGIN SOLUTION
    q = q_net(batch["obs"]).gather(1, batch["actions"][:, None])[:, 0]
    with torch.no_grad():
        q_next = target_net(batch["next_obs"])
        unused = torch.zeros_like(batch["actions"])   # Q-learning targets do not use the next action
        y = td_targets(batch["rewards"], q_next, unused, batch["terminated"].bool(), gamma, "q_learning")
    return torch.nn.functional.smooth_l1_loss(q, y)
    ### END SOLUTION
""", solution="dqn_loss")

check_cell("dqn_loss", "dqn_loss", 2)

md("dqn-run-md", r"""
Now DQN on CartPole with your loss (`lecture_lib.dqn.train_dqn`: a 4-128-128-2 ReLU network,
Adam $5 \cdot 10^{-4}$, minibatches of 64 from a 50,000-transition buffer, one gradient step
every 2 environment steps, the target network copied every 500 steps, $\varepsilon$ from 1 to
0.02 over the first 10,000 steps). The greedy policy is evaluated on 100 episodes every 4,096
steps, as in unit 4. Fast mode trains one seed for 8,192 steps: the code path, not a solved
CartPole (DQN needs tens of thousands of steps here). Full mode trains 3 seeds for 150,000
steps each (about 3 minutes per seed on one CPU core: 171-212 s in the shipped record below).
""")

code("dqn-run", r"""
from lecture_lib.dqn import DQNConfig, train_dqn
from lecture_lib.plotting import show_seed_runs

dqn_seeds = by_mode(fast=[0], full=[0, 1, 2])
dqn_budget = by_mode(fast=8_192, full=150_000)
dqn_episodes = by_mode(fast=20, full=100)
dqn_cfg = DQNConfig(max_steps=dqn_budget, eval_episodes=dqn_episodes)
dqn_runs = []
for seed in dqn_seeds:
    start = time.perf_counter()
    with uses_your("dqn_loss", "td_targets"):
        run = train_dqn(dqn_cfg, seed, loss_fn=dqn_loss)
    dqn_runs.append(run.record())
    print(f"seed {seed}: {time.perf_counter() - start:.0f} s")
show_seed_runs({"DQN, your loss": dqn_runs},
               f"DQN on CartPole-v1, your loss: {len(dqn_seeds)} seed(s), {dqn_budget:,} steps", dqn_episodes)
""")

md("dqn-ablation-md", r"""
**What each ingredient fixes, over seeds (full mode, measured once).** The trainer has a
switch for each ingredient, so an ablation changes exactly one thing:

- `DQNConfig(target_update=0)`: **no target network**; the targets come from the network being
  trained, so every step moves its own regression target.
- `DQNConfig(replay=False)`: **no replay**; every gradient step uses the latest 64 transitions,
  consecutive and correlated; each transition is used by the next 32 gradient steps and then
  forgotten.
- `DQNConfig(treat_truncation_as_terminal=True)`: the **time-limit mistake**; a transition cut
  at step 500 is stored as terminal, so the state there is taught to be worth one reward.

The record below is 5 seeds of each, 150,000 steps, the reference loss, greedy evaluations
of 100 episodes every 4,096 steps; it also prints when and where it ran and how to rerun it
(31 min on 2 CPU cores, two runs side by side, for all 25 runs of the record).
""")

code("dqn-ablation", r"""
from lecture_lib.full_runs import describe, load_run

full_value_rl = load_run("unit5_value_rl")
print(describe(full_value_rl))
dqn_variants = ("dqn", "no target network", "no replay", "truncation as terminal")
show_seed_runs({v: full_value_rl["results"][v] for v in dqn_variants},
               "DQN and one ingredient changed: 5 seeds x 150,000 steps (measured once)", 100)
""")

md("dqn-ablation-reading", r"""
**Reading the record.** *Without a target network* nothing is learned, on any seed: after the
first few thousand steps every greedy evaluation returns about 9, the length of an episode that
always pushes the same way. The cell below shows why. *Without replay* every seed is still solved
once, but later (median 86,016 steps against 53,248), and only 2 of 5 stay solved: the network
learns from what the current policy has just done, so once the policy balances well it sees
nothing but balanced states, unlearns the rest, and falls. *Treating the time limit as
terminal* changes nothing until a training episode first lasts 500 steps (the curves are
identical up to then: the first solves fall at the same step on 3 of the 5 seeds) and from then
on teaches that the states an episode reaches at step 500 are worth one reward, exactly when
the policy is good: 3 of 5 seeds stay solved instead of 5. With five seeds, a difference of two
seeds is a hint, not a proof; the collapse without a target network and the slower, shakier
runs without replay are not in doubt.
""")

code("dqn-no-target", r"""
# What the target network prevents, measured here with your loss: train briefly with and without it
# and look at the Q-values on the states in the replay buffer. No return in CartPole exceeds
# 1 + gamma + gamma^2 + ... = 1 / (1 - gamma) = 100, so no correct Q-value does either.
short = by_mode(fast=4_096, full=8_192)
for target_update, label in ((500, "target network, copied every 500 steps"), (0, "no target network")):
    cfg = DQNConfig(max_steps=short, target_update=target_update, eval_every=10**9)   # no evaluations
    with uses_your("dqn_loss", "td_targets"):
        run = train_dqn(cfg, seed=0, loss_fn=dqn_loss)
    states = run.buffer.sample(2_000, torch.Generator().manual_seed(0))["obs"]
    with torch.no_grad():
        q = run.policy(states)
    pushes_right = (q.argmax(1) == 1).float().mean()
    print(f"{label:<40} after {short:,} steps: mean max_a Q {q.max(1).values.mean():10.1f}, "
          f"largest {q.max():10.1f}; greedy action 'push right' in {pushes_right:.0%} of the states")
""")

md("ac-md", r"""
## 7. From REINFORCE with a baseline to actor-critic

Unit 4's best REINFORCE weights each log-probability by $G_t - V(s_t)$: a learned value as a
baseline, but the return $G_t$ still sampled to the episode's end. Replace the sampled future
by the critic's estimate of it and the weight becomes the TD error
$\delta_t = r_t + \gamma\,(1 - \text{terminated}_t)\,V(s_{t+1}) - V(s_t)$, or, between the two,
generalized advantage estimation $A_t = \sum_k (\gamma\lambda)^k \delta_{t+k}$ (unit 4, section 2).
That is an **actor-critic**: the actor is the policy, the critic the value network. Because it
bootstraps, it needs no complete episodes: `lecture_lib.actor_critic` keeps unit 4's networks,
optimizers and evaluation, plays fixed windows of 256 steps (episodes run on across windows;
at a window's edge and at a time-limit cut the critic stands in for the rest), and updates
after every window with $\lambda = 0.95$ and a smaller policy step than unit 4's ($10^{-3}$
instead of $3 \cdot 10^{-3}$; with unit 4's step, only 3 of 5 seeds stayed solved to the end in
`make bench ONLY=value_rl`, 2026-12-07). Fast mode trains one seed for 16,384 steps; full
mode five seeds for 150,000 steps.
""")

code("ac-run", r"""
from lecture_lib.actor_critic import actor_critic_config, train_actor_critic

ac_seeds = by_mode(fast=[0], full=[0, 1, 2, 3, 4])
ac_budget = by_mode(fast=16_384, full=150_000)
ac_episodes = by_mode(fast=20, full=100)
ac_cfg = actor_critic_config(max_steps=ac_budget, eval_episodes=ac_episodes)
ac_runs = []
for seed in ac_seeds:
    start = time.perf_counter()
    ac_runs.append(train_actor_critic(ac_cfg, seed).record())
    print(f"seed {seed}: {time.perf_counter() - start:.0f} s")
show_seed_runs({"actor-critic": ac_runs},
               f"Actor-critic on CartPole-v1: {len(ac_seeds)} seed(s), {ac_budget:,} steps", ac_episodes)
""")

md("ac-compare-md", r"""
**Actor-critic beside REINFORCE, on the same criterion (full mode, measured once).** The
actor-critic's five seeds come from the same record as the DQN ablations; unit 4's two
REINFORCE variants with a learned value (`baseline`, and `standardized`, the graded default)
from unit 4's full-mode record: the same networks, 5 seeds, 150,000 steps, the same greedy
evaluations. DQN is in the table too, so the two families stand side by side.
""")

code("ac-compare", r"""
full_reinforce = load_run("unit4_cartpole_variants")
print(describe(full_reinforce))
show_seed_runs({"actor-critic": full_value_rl["results"]["actor-critic"],
                "REINFORCE, baseline": full_reinforce["results"]["baseline"],
                "REINFORCE, standardized": full_reinforce["results"]["standardized"],
                "DQN": full_value_rl["results"]["dqn"]},
               "Actor-critic, REINFORCE and DQN: 5 seeds x 150,000 steps (measured once)", 100)
for name in ("actor-critic", "dqn"):
    seconds = [r["seconds"] for r in full_value_rl["results"][name]]
    print(f"{name}: {min(seconds):.0f}-{max(seconds):.0f} s per 150,000-step run "
          f"(one CPU core each, two runs side by side)")
""")

md("ac-reading", r"""
**Reading the table.** All four solve CartPole on every seed. REINFORCE with a learned baseline
gets there first (median about 17,000 steps), the actor-critic next (28,672), DQN last
(53,248); the actor-critic stays solved on all five seeds, as does DQN (whose evaluations still
dip after solving: see its band). So on CartPole the bootstrapped critic is not faster to a
first solve than unit 4's best REINFORCE; what it changes is how it learns: from windows of 256
steps, without waiting for episodes to end, which is what long or never-ending tasks need. DQN is
the slowest here in steps and in time (a gradient step every 2 environment steps: the seconds per
run printed above), but it learns off-policy from every stored transition, and needs no policy
network at all: its policy is the argmax of its Q-values.
""")

md("summary-md", r"""
## Summary

| family | needs | learns from | bootstraps | here |
|---|---|---|---|---|
| dynamic programming | the transition table | every state, exactly | yes | FrozenLake's $V^*$, both ways |
| Monte Carlo | complete episodes | sampled returns | no | unbiased, noisy, stuck on cut episodes |
| TD(0), SARSA, Q-learning | single steps | sampled transitions | yes | learns from cut episodes; safe vs optimal cliff path |
| DQN | a replay buffer, a target network | minibatches of stored transitions | yes | CartPole from a table-free Q; without the target network its Q-values diverge |
| actor-critic | a policy and a critic | windows of steps | yes | unit 4's REINFORCE, bootstrapped; every seed stays solved |

The run's numbers are printed in the cells above.
""")


def main() -> None:
    NB.write(OUT)


if __name__ == "__main__":
    main()
