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


episodes_run.spec = ("episodes", ())
dqn_loss_run.spec = ("dqn_loss", ())

RUNNERS: dict[str, Callable] = {"episodes": lambda: episodes_run, "dqn_loss": lambda: dqn_loss_run}
