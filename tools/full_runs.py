"""Run the long full-mode experiments once and save what they measured for the notebooks.

    .venv/bin/python tools/full_runs.py cartpole   # 5 variants x 5 seeds x 150,000 steps (18 min on 2 cores)
    .venv/bin/python tools/full_runs.py pong       # 5 million steps of Pong, then a clip (67 min on 2 cores)
    .venv/bin/python tools/full_runs.py value_rl   # unit 5: DQN and 3 ablations, actor-critic; 5 seeds x 150,000 steps

Each writes a record to ``lecture_lib/full_runs/`` (see :mod:`lecture_lib.full_runs`): the
command, the date, the machine, the seconds it took and the measured results. Unit 4's
notebook draws its full-mode figures from them. Unit 5's notebook draws on ``unit5_value_rl``. Pong also saves a clip of the trained agent
(``unit4_pong_clip.npz``) and its weights to ``build/full_runs/pong_policy.pt`` (not
committed). Commit the new records after looking at them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lecture_lib.full_runs import save_clip, save_run  # noqa: E402
from lecture_lib.rl import VARIANTS, CartPoleConfig, train_cartpole  # noqa: E402

CARTPOLE_SEEDS = (0, 1, 2, 3, 4)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"{os.cpu_count()} CPU cores"
    return f"{cpu}, {device}, torch {torch.__version__}, Python {platform.python_version()}"


def _cartpole_one(job: tuple[str, int]) -> dict:
    variant, seed = job
    torch.set_num_threads(1)
    cfg = CartPoleConfig(variant=variant, **_cartpole_config_used())
    r = train_cartpole(cfg, seed)
    return {"variant": variant, "seed": seed, **r.record()}


def _cartpole_config_used() -> dict:
    """The settings every run of the record shares (the variant is per run)."""
    cfg = CartPoleConfig(max_steps=150_000, stop_when_solved=False)
    return {k: getattr(cfg, k) for k in CartPoleConfig.__dataclass_fields__ if k != "variant"}


def cartpole(workers: int) -> None:
    start = time.perf_counter()
    jobs = [(v, s) for v in VARIANTS for s in CARTPOLE_SEEDS]
    with ProcessPoolExecutor(workers) as pool:
        done = []
        for out in pool.map(_cartpole_one, jobs):
            done.append(out)
            print(f"{out['variant']:<14} seed {out['seed']}: solved at {out['steps_to_solve']}, "
                  f"last five {out['last_mean']:.1f}", flush=True)
    results = {v: [d for d in done if d["variant"] == v] for v in VARIANTS}
    path = save_run({
        "name": "unit4_cartpole_variants",
        "what": (f"REINFORCE on CartPole-v1, the five variants of unit 4 (lecture_lib.rl.reinforce_iteration), "
                 f"{len(CARTPOLE_SEEDS)} seeds each, 150,000 training steps, greedy 100-episode evaluation "
                 f"every 4,096 steps"),
        "command": "python tools/full_runs.py cartpole",
        "date": datetime.date.today().isoformat(), "machine": machine(),
        "seconds": round(time.perf_counter() - start, 1),
        "config": _cartpole_config_used(),
        "results": results,
    })
    print(f"saved {path}")


#: Unit 5's DQN ablations: the measured setting and one switch each (lecture_lib.dqn.DQNConfig).
DQN_VARIANTS = {
    "dqn": {},
    "no target network": {"target_update": 0},
    "no replay": {"replay": False},
    "truncation as terminal": {"treat_truncation_as_terminal": True},
}


def _value_rl_one(job: tuple[str, int, int]) -> dict:
    from lecture_lib.actor_critic import actor_critic_config, train_actor_critic
    from lecture_lib.dqn import DQNConfig, train_dqn

    variant, seed, max_steps = job
    torch.set_num_threads(1)
    start = time.perf_counter()
    if variant == "actor-critic":
        r = train_actor_critic(actor_critic_config(max_steps=max_steps), seed)
    else:
        r = train_dqn(DQNConfig(max_steps=max_steps, **DQN_VARIANTS[variant]), seed)
    return {"variant": variant, "seed": seed, "seconds": round(time.perf_counter() - start, 1), **r.record()}


def value_rl(workers: int, max_steps: int = 150_000, seeds: tuple[int, ...] = CARTPOLE_SEEDS) -> None:
    from lecture_lib.actor_critic import actor_critic_config
    from lecture_lib.dqn import DQNConfig

    start = time.perf_counter()
    variants = [*DQN_VARIANTS, "actor-critic"]
    jobs = [(v, s, max_steps) for v in variants for s in seeds]
    with ProcessPoolExecutor(workers) as pool:
        done = []
        for out in pool.map(_value_rl_one, jobs):
            done.append(out)
            print(f"{out['variant']:<24} seed {out['seed']}: solved at {out['steps_to_solve']}, "
                  f"last five {out['last_mean']}, {out['seconds']:.0f} s", flush=True)
    dqn_cfg = DQNConfig(max_steps=max_steps)
    ac_cfg = actor_critic_config(max_steps=max_steps)
    path = save_run({
        "name": "unit5_value_rl",
        "what": (f"Unit 5 on CartPole-v1, {len(seeds)} seeds each, {max_steps:,} training steps, greedy "
                 f"100-episode evaluation every 4,096 steps: DQN (lecture_lib.dqn.train_dqn, the reference loss) "
                 f"in the measured setting and with one ingredient changed (no target network, no replay, "
                 f"time-limit truncation treated as terminal), and the advantage actor-critic "
                 f"(lecture_lib.actor_critic.train_actor_critic)"),
        "command": "python tools/full_runs.py value_rl",
        "date": datetime.date.today().isoformat(), "machine": machine(),
        "seconds": round(time.perf_counter() - start, 1),
        "config": {"dqn": {k: getattr(dqn_cfg, k) for k in DQNConfig.__dataclass_fields__},
                   "dqn_variants": DQN_VARIANTS,
                   "actor_critic": {k: getattr(ac_cfg, k) for k in type(ac_cfg).__dataclass_fields__}},
        "results": {v: [d for d in done if d["variant"] == v] for v in variants},
    })
    print(f"saved {path}")


def pong_clip(policy, seed: int, frames_before: int = 420, frames_after: int = 40,
              max_steps: int = 20_000) -> tuple[np.ndarray, list[float]]:
    """One game of the trained policy (sampled actions, as in training), every agent step's
    frame kept; the clip ends ``frames_after`` steps after the agent's first point won."""
    from lecture_lib.pong import PONG_ACTIONS, FrameDifference, make_pong_envs, preprocess
    from lecture_lib.policy_gradient import sample_actions

    envs = make_pong_envs(1, seed)
    obs, _ = envs.reset(seed=seed)
    diff, first = FrameDifference(), torch.ones(1, dtype=torch.bool)
    gen = torch.Generator().manual_seed(seed)
    frames, rewards, won_at = [obs[0].copy()], [], None
    try:
        for t in range(max_steps):
            with torch.no_grad():
                a = sample_actions(policy(diff(preprocess(obs), first)), generator=gen)
            obs, r, terminated, truncated, _ = envs.step(np.asarray(PONG_ACTIONS)[a.numpy()])
            first = torch.zeros(1, dtype=torch.bool)
            frames.append(obs[0].copy())
            rewards.append(float(r[0]))
            if won_at is None and r[0] > 0 and t >= frames_before // 2:
                won_at = t
            if won_at is not None and t >= won_at + frames_after or terminated[0] or truncated[0]:
                break
    finally:
        envs.close()
    end = len(frames) if won_at is None else won_at + frames_after + 1
    begin = max(0, end - frames_before - frames_after)
    return np.stack(frames[begin:end]), rewards[begin:end]


def pong(total_steps: int) -> None:
    from lecture_lib.pong import PongConfig, train_pong
    from lecture_lib.runtime import get_device

    device = get_device()
    cfg = PongConfig(num_envs=16, steps_per_update=512, total_steps=total_steps)
    start = time.perf_counter()
    policy, history = train_pong(cfg, seed=0, device=device)
    seconds = time.perf_counter() - start
    out = REPO / "build" / "full_runs"
    out.mkdir(parents=True, exist_ok=True)
    policy = policy.cpu().eval()
    torch.save(policy.state_dict(), out / "pong_policy.pt")
    won = np.array([p > 0 for _, p in history.points], dtype=float)
    steps = np.array([s for s, _ in history.points])
    window = 500
    share = np.convolve(won, np.ones(window) / window, mode="valid") if len(won) >= window else np.array([])
    keep = np.unique(np.linspace(0, len(share) - 1, 300).astype(int)) if len(share) else []
    frames, clip_rewards = pong_clip(policy, seed=123)
    save_clip("unit4_pong_clip", frames)
    path = save_run({
        "name": "unit4_pong",
        "what": (f"REINFORCE on Pong from pixels (lecture_lib.pong.train_pong, seed 0): {cfg.num_envs} environments, "
                 f"{cfg.steps_per_update} steps each per update, {total_steps:,} steps in all"),
        "command": "python tools/full_runs.py pong",
        "date": datetime.date.today().isoformat(), "machine": machine() + f", network on {device}",
        "seconds": round(seconds, 1),
        "config": {k: getattr(cfg, k) for k in PongConfig.__dataclass_fields__},
        "results": {
            "steps": history.steps, "updates": history.updates, "steps_per_second": history.steps / seconds,
            "game_scores": [int(g) for g in history.episode_returns],
            "points": len(won), "points_won": int(won.sum()),
            "share_window": window,
            "share_steps": [int(steps[window - 1 + i]) for i in keep],
            "share_won": [round(float(share[i]), 4) for i in keep],
            "clip": {"frames": len(frames), "seed": 123,
                     "points_in_clip": [[i + 1, r] for i, r in enumerate(clip_rewards) if r != 0],
                     "note": "one game of the final policy with sampled actions, one frame per agent step "
                             "(4 emulator frames), ending just after a point the agent won"},
        },
    })
    print(f"saved {path} ({history.steps:,} steps in {seconds / 60:.1f} min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["cartpole", "pong", "value_rl"])
    parser.add_argument("--workers", type=int, default=2, help="CartPole runs side by side (default 2)")
    parser.add_argument("--pong-steps", type=int, default=5_000_000)
    args = parser.parse_args()
    if args.what == "cartpole":
        cartpole(args.workers)
    elif args.what == "value_rl":
        value_rl(args.workers)
    else:
        pong(args.pong_steps)


if __name__ == "__main__":
    main()
