"""Unit 4's runners for exercises that train (a step or a loop called on a model the runner
builds), by name: ``RUNNERS`` maps a name to a factory, as in :mod:`autograder_kernel.runners`
(each runner carries ``.spec = (name, args)``). Merged by ``runners.all_runners``.
"""

from __future__ import annotations

from typing import Callable

from autograder_kernel.cases import Case


def cartpole_run(fn, case: Case):
    """``args = (seeds, max_steps)``, ``kwargs = {"eval_every", "eval_episodes", "min_steps"}``:
    train a fresh policy and value (4-64-64 MLPs, Adam 3e-3 / 1e-2) from each seed with
    ``lecture_lib.rl.train_cartpole``, calling ``fn(env, policy, value, policy_opt, value_opt,
    gamma, min_steps)`` as the iteration until ``max_steps`` environment steps, and evaluating
    the greedy policy every ``eval_every`` steps. -> one dict per seed: ``seed``,
    ``steps_to_solve`` (the first evaluation >= 475; None if never), ``steps`` (all steps
    taken), ``evaluations`` (the mean returns, in order).

    The iteration must return the total returns of the episodes it finished, in order (what
    the environment's step counter recorded); anything else is reported as a contract error.
    """
    from lecture_lib.rl import CartPoleConfig, train_cartpole
    from autograder_kernel.runners import ContractError

    seeds, max_steps = case.args
    cfg = CartPoleConfig(max_steps=int(max_steps), eval_every=int(case.kwargs["eval_every"]),
                         eval_episodes=int(case.kwargs["eval_episodes"]),
                         min_steps=int(case.kwargs["min_steps"]), stop_when_solved=True)

    def iteration(env, policy, value, policy_opt, value_opt, gamma, min_steps):
        before, steps_before = len(env.episode_returns), env.steps
        out = fn(env, policy, value, policy_opt, value_opt, gamma, min_steps)
        played = env.steps - steps_before
        if played < min_steps:
            raise ContractError(f"one iteration played {played} steps, fewer than min_steps = {min_steps}")
        if env._running != 0.0:
            raise ContractError("the iteration returned with an episode unfinished: play every episode it "
                                "starts to its end (terminated or truncated)")
        recorded = env.episode_returns[before:]
        if not isinstance(out, (list, tuple)) or [float(r) for r in out] != recorded:
            shown = out if isinstance(out, (list, tuple)) and len(out) <= 8 else type(out).__name__
            raise ContractError(f"the iteration should return the total returns of the {len(recorded)} episodes "
                                f"it played, in order ({recorded[:8]}{'...' if len(recorded) > 8 else ''}), "
                                f"but returned {shown}")
        return out

    results = []
    for seed in seeds:
        r = train_cartpole(cfg, int(seed), iteration=iteration)
        results.append({"seed": int(seed), "steps_to_solve": r.steps_to_solve, "steps": r.steps,
                        "evaluations": [float(v) for _, v in r.evaluations]})
    return results


def weights_run(fn, case: Case):
    """``args = (fields, value_state, variant, gamma)``: build a
    ``lecture_lib.rl.EpisodeBatch`` from ``fields`` (a dict of its tensors and
    ``episode_returns``) and, when ``value_state`` is not None, the value network (an MLP
    ``obs_dim -> hidden -> hidden -> 1``, tanh, sizes read off the weights) from its state
    dict; call ``fn(batch, variant, gamma, value)`` -> ``(weights, targets)``."""
    from lecture_lib.rl import EpisodeBatch, mlp

    fields, value_state, variant, gamma = case.args
    batch = EpisodeBatch(**fields)
    value = None
    if value_state is not None:
        sizes = [value_state["0.weight"].shape[1], value_state["0.weight"].shape[0],
                 value_state["2.weight"].shape[0], 1]
        value = mlp(sizes).to(value_state["0.weight"].device)
        value.load_state_dict(value_state)
    return fn(batch, variant, gamma, value)


cartpole_run.spec = ("cartpole", ())
weights_run.spec = ("policy_weights", ())

RUNNERS: dict[str, Callable] = {"cartpole": lambda: cartpole_run, "policy_weights": lambda: weights_run}
