"""Unit 5's runners, by name (``RUNNERS``, merged by ``runners.all_runners``): they rebuild
the objects a case describes as plain data (episodes, networks) before calling a function.
"""

from __future__ import annotations

from typing import Callable

from autograder_kernel.cases import Case


def episodes_run(fn, case: Case):
    """``args = (episodes, *rest)`` with each episode a dict (``states``, ``rewards`` lists,
    ``final_state``, ``terminated``): call ``fn([lecture_lib.td.Episode, ...], *rest)``."""
    from lecture_lib.td import Episode

    raw, *rest = case.args
    episodes = [Episode(states=[int(s) for s in e["states"]], actions=[0] * len(e["states"]),
                        rewards=[float(r) for r in e["rewards"]], final_state=int(e["final_state"]),
                        terminated=bool(e["terminated"])) for e in raw]
    return fn(episodes, *rest, **case.kwargs)


def _mlp_from_state(state: dict):
    import torch
    from lecture_lib.rl import mlp

    linear = sorted({int(k.split(".")[0]) for k in state}, key=int)
    sizes = [state[f"{linear[0]}.weight"].shape[1]] + [state[f"{i}.weight"].shape[0] for i in linear]
    net = mlp(sizes, activation=torch.nn.ReLU).to(state[f"{linear[0]}.weight"].device)
    net.load_state_dict(state)
    return net


def dqn_loss_run(fn, case: Case):
    """``args = (q_state, target_state, batch, gamma)``: build the online network (ReLU MLP,
    sizes read off the weights) from ``q_state`` and the target network from ``target_state``
    (None: the online network itself), call ``fn(q_net, target_net, batch, gamma)``, and
    backpropagate the loss. -> ``{"loss", "q_grads": {name: grad}, "target_grads": [names of
    the target network's parameters that received a non-zero gradient]}``."""
    import torch
    from autograder_kernel.runners import ContractError

    q_state, target_state, batch, gamma = case.args
    q_net = _mlp_from_state(q_state)
    target_net = q_net if target_state is None else _mlp_from_state(target_state)
    loss = fn(q_net, target_net, dict(batch), gamma)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise ContractError(f"dqn_loss should return a 0-dim tensor, got "
                            f"{type(loss).__name__}{'' if not isinstance(loss, torch.Tensor) else tuple(loss.shape)}")
    if not loss.requires_grad:
        raise ContractError("the loss has no gradient: it must be computed from q_net(batch['obs']) "
                            "(do not wrap the whole loss in torch.no_grad() or detach it)")
    loss.backward()
    q_grads = {name: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p))
               for name, p in q_net.named_parameters()}
    target_grads = []
    if target_net is not q_net:
        target_grads = [name for name, p in target_net.named_parameters()
                        if p.grad is not None and bool((p.grad != 0).any())]
    return {"loss": loss.detach(), "q_grads": q_grads, "target_grads": target_grads}


def cliff_run(fn, case: Case):
    """``args = (seeds, episodes)``, ``kwargs = {"alpha", "epsilon", "gamma"}``: for each seed, a
    fresh ``CliffWalking-v1`` (reset once with the seed) and a ``torch.Generator`` seeded with it;
    call ``fn(env, episodes, alpha, epsilon, gamma, generator) -> (Q (48, 4), returns)``; then
    follow ``argmax_a Q(s, a)`` from the start (ties: the lowest index) for at most 100 steps.
    -> one dict per seed: ``seed``, ``greedy_return``, ``greedy_steps``, ``reached_goal``.

    Contract errors: not exactly ``episodes`` episodes played to their end; the returned returns
    not those the environment recorded; Q not a ``(48, 4)`` tensor; more than
    ``MAX_CLIFF_STEPS`` steps in all (a loop that never ends an episode)."""
    import gymnasium as gym
    import torch
    from autograder_kernel.runners import ContractError

    seeds, episodes = case.args
    alpha, epsilon, gamma = (float(case.kwargs[k]) for k in ("alpha", "epsilon", "gamma"))

    class Recorder(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            self.steps, self.returns, self.running, self.open = 0, [], 0.0, False

        def reset(self, **kwargs):
            if self.open:
                raise ContractError("env.reset() was called in the middle of an episode: play every episode "
                                    "until it terminates")
            self.open, self.running = True, 0.0
            return self.env.reset(**kwargs)

        def step(self, action):
            if not self.open:
                raise ContractError("env.step() after the episode ended: call env.reset() first")
            self.steps += 1
            if self.steps > MAX_CLIFF_STEPS:
                raise ContractError(f"more than {MAX_CLIFF_STEPS:,} steps in {episodes} episodes: does every "
                                    "episode end (the goal terminates it)?")
            obs, reward, terminated, truncated, info = self.env.step(action)
            self.running += float(reward)
            if terminated or truncated:
                self.returns.append(self.running)
                self.open = False
            return obs, reward, terminated, truncated, info

    results = []
    for seed in seeds:
        env = Recorder(gym.make("CliffWalking-v1"))
        env.reset(seed=int(seed))
        env.open = False   # the seeding reset is the runner's, not an episode
        out = fn(env, int(episodes), alpha, epsilon, gamma, torch.Generator().manual_seed(int(seed)))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ContractError("q_learning should return a tuple (Q, returns)")
        Q, returns = out
        if not isinstance(Q, torch.Tensor) or tuple(Q.shape) != (48, 4):
            raise ContractError(f"Q should be a (48, 4) tensor, got {type(Q).__name__}"
                                f"{tuple(Q.shape) if isinstance(Q, torch.Tensor) else ''}")
        if env.open or len(env.returns) != int(episodes):
            raise ContractError(f"play exactly {episodes} whole episodes: {len(env.returns)} ended"
                                f"{' and one was left unfinished' if env.open else ''}")
        if not isinstance(returns, (list, tuple)) or [float(r) for r in returns] != env.returns:
            raise ContractError("returns should list each episode's total reward, in order, as the environment "
                                f"paid it (first: {env.returns[:3]})")
        state, _ = env.env.reset(seed=0)
        total, steps, goal = 0.0, 0, False
        for steps in range(1, 101):
            state, reward, terminated, _, _ = env.env.step(int(Q[int(state)].argmax()))
            total += float(reward)
            if terminated:
                goal = True
                break
        results.append({"seed": int(seed), "greedy_return": total, "greedy_steps": steps, "reached_goal": goal})
    return results


#: The most environment steps the Q-learning check lets one seed's run take in all: about 19x
#: what 500 episodes of Q-learning with epsilon 0.1 and alpha 0.5 take (the reference on seeds
#: 1000-1039, 2026-12-07: 10,081 to 10,649 steps). Stated in the exercise's text.
MAX_CLIFF_STEPS = 200_000

episodes_run.spec = ("episodes", ())
cliff_run.spec = ("cliff", ())
dqn_loss_run.spec = ("dqn_loss", ())
dqn_loss_run.input_names = (None, None, "batch", None)

RUNNERS: dict[str, Callable] = {"episodes": lambda: episodes_run, "dqn_loss": lambda: dqn_loss_run,
                                 "cliff": lambda: cliff_run}
