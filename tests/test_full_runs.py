"""The full-mode records shipped with the course (``lecture_lib.full_runs``): present, complete
enough for the notebook's figures, and the clip format round-trips. ``tools/full_runs.py``
makes them."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib import full_runs
from lecture_lib.rl import VARIANTS


def _check_cartpole_runs(results: dict, variants) -> None:
    """Every variant over seeds 0-4, 150,000 steps, each stored summary agreeing with its curve."""
    assert list(results) == list(variants)
    for variant, seeds in results.items():
        assert [r["seed"] for r in seeds] == [0, 1, 2, 3, 4], variant
        for r in seeds:
            steps = [s for s, _ in r["evaluations"]]
            assert steps == sorted(steps) and steps[-1] >= 140_000, (variant, r["seed"])
            values = [v for _, v in r["evaluations"]]
            assert all(0 <= v <= 500 for v in values)
            # The stored summary agrees with the stored curve.
            assert r["last_mean"] == pytest.approx(np.mean(values[-5:]), abs=0.01)
            assert r["stable"] == (r["last_mean"] >= 475)
            # An evaluation is logged at its nominal step; steps_to_solve counts the steps
            # actually taken, up to one iteration (whole episodes, >= 512 steps) past it.
            first = next((s for s, v in r["evaluations"] if v >= 475), None)
            if first is None:
                assert r["steps_to_solve"] is None
            else:
                assert first <= r["steps_to_solve"] <= first + 1_100, (variant, r["seed"])


def test_cartpole_record_has_every_variant_over_five_seeds():
    run = full_runs.load_run("unit4_cartpole_variants")
    assert "tools/full_runs.py cartpole" in run["command"]
    _check_cartpole_runs(run["results"], VARIANTS)


def test_value_rl_record_has_dqn_its_ablations_and_the_actor_critic():
    run = full_runs.load_run("unit5_value_rl")
    assert "tools/full_runs.py value_rl" in run["command"]
    variants = ("dqn", "no target network", "no replay", "truncation as terminal", "actor-critic")
    _check_cartpole_runs(run["results"], variants)
    # Each ablation changes exactly one setting of the measured DQN configuration.
    base = run["config"]["dqn"]
    for name, change in run["config"]["dqn_variants"].items():
        assert name in variants and len(change) <= 1 and all(base[k] != v for k, v in change.items())
    assert base["max_steps"] == 150_000 and base["eval_episodes"] == 100


def test_describe_says_how_to_reproduce():
    text = full_runs.describe(full_runs.load_run("unit4_cartpole_variants"))
    assert "Full-mode figure" in text and "python tools/full_runs.py cartpole" in text


def test_clip_round_trip_and_bad_input(tmp_path, monkeypatch):
    monkeypatch.setattr(full_runs, "FOLDER", tmp_path)
    rng = np.random.default_rng(0)
    colours = np.array([[0, 0, 0], [144, 72, 17], [236, 236, 236], [92, 186, 92]], dtype=np.uint8)
    frames = colours[rng.integers(0, 4, size=(5, 12, 8))]
    full_runs.save_clip("tiny", frames)
    assert np.array_equal(full_runs.load_clip("tiny"), frames)
    with pytest.raises(ValueError, match="uint8"):
        full_runs.save_clip("bad", frames.astype(np.float32))
    with pytest.raises(ValueError, match="name"):
        full_runs.load_run("../etc/passwd")
    with pytest.raises(FileNotFoundError, match="tools/full_runs.py"):
        full_runs.load_run("never_run")
    with pytest.raises(ValueError, match="needs"):
        full_runs.save_run({"name": "incomplete"})


def test_pong_record_and_clip():
    run = full_runs.load_run("unit4_pong")
    assert "tools/full_runs.py pong" in run["command"]
    res = run["results"]
    assert res["steps"] >= 5_000_000 and res["updates"] * 16 * 512 == res["steps"]
    scores = res["game_scores"]
    assert len(scores) > 500 and all(-21 <= s <= 21 for s in scores)
    assert 0 <= res["points_won"] <= res["points"]
    assert len(res["share_steps"]) == len(res["share_won"]) > 100
    assert res["share_steps"] == sorted(res["share_steps"]) and all(0 <= w <= 1 for w in res["share_won"])
    clip = full_runs.load_clip("unit4_pong_clip")
    assert clip.dtype == np.uint8 and clip.ndim == 4 and clip.shape[1:] == (210, 160, 3)
    assert len(clip) == res["clip"]["frames"]
    # The clip ends just after a point the agent won.
    assert any(r > 0 for _, r in res["clip"]["points_in_clip"])
