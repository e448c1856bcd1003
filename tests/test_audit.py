"""``python -m autograder audit``: every exercise's correct alternatives and listed mistakes over
many secret seeds. A toy exercise registered here shows that the audit finds what it is for (a
mistake the hidden suite misses on some seeds, a correct reading it rejects on some seeds) and
that its advice reruns a finding; the CLI runs on real exercises; and ``test_every_check_is_fair``
is the CI run over every exercise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from autograder.audit import REQUIRED_CATCH_RATE, audit, audit_seeds, format_line, format_problems
from autograder.compare import compare_tensors
from autograder.exercises import _catalog, all_exercises
from autograder.registry import Case, Exercise, Misconception

REPO = Path(__file__).resolve().parents[1]
TOY = "unit9.toy_relu"


def _toy_cases(gen: torch.Generator, hidden: bool) -> list[Case]:
    return [Case((torch.randn(4, generator=gen),), note="4 values")]


@pytest.fixture
def toy():
    """relu on 4 random values: 'the identity' is wrong only when some value is negative (15
    seeds in 16), 'plus one' is always caught; the alternative 'threshold
    0.3' is wrong only when a value falls in (0, 0.3] (about 2 seeds in 5)."""
    all_exercises()
    exercise = Exercise(
        id=TOY, signature="toy_relu(x: (4,)) -> (4,) max(x, 0)", reference=torch.relu, make_cases=_toy_cases,
        compare=lambda case, e, g: compare_tensors(e, g, name="the output"),
        misconceptions=(Misconception("the identity", "apply relu", lambda x: x.clone()),
                        Misconception("plus one", "no offset", lambda x: x.relu() + 1)),
        alternatives=(lambda x: x.clamp(min=0), lambda x: x * (x > 0.3)))
    _catalog()[TOY] = exercise
    yield exercise
    del _catalog()[TOY]


def test_the_audit_finds_seed_dependent_verdicts_and_says_how_to_rerun_them(toy):
    [result] = audit([TOY], n_seeds=200, workers=0)
    by_name = {f.implementation: f for f in result.findings}
    identity, zeros = by_name["the identity"], by_name["plus one"]
    assert 0.85 < identity.rate < 0.99 and not identity.ok         # 1 - 1/16 expected
    assert zeros.rate == 1.0 and zeros.ok
    threshold = by_name["alternative #2"]
    assert 10 < len(threshold.unexpected_seeds) < 190 and not threshold.ok
    assert by_name["the reference"].ok and by_name["alternative #1"].ok
    assert not result.ok and result.worst_catch is identity
    line, problems = format_line(result), "\n".join(format_problems(result))
    assert line.startswith("FAIL") and "alternatives 2/3 pass" in line and "mistakes 1/2 caught" in line
    assert "correct alternative #2 FAILS on" in problems and "'the identity' passes on" in problems
    rerun = f"python -m autograder audit {TOY} --seed {identity.unexpected_seeds[0]}"
    assert rerun in problems
    # The advice reruns exactly that finding: on that seed alone the mistake passes.
    [again] = audit([TOY], seeds=[identity.unexpected_seeds[0]], workers=0)
    assert {f.implementation: f.rate for f in again.findings}["the identity"] == 0.0


def test_the_seeds_are_fixed_secret_sized_and_fresh_on_request(toy):
    seeds = audit_seeds(200)
    assert seeds == audit_seeds(200) and len(set(seeds)) == 200
    assert all(0 <= s < 2 ** 62 for s in seeds) and max(seeds) > 2 ** 60
    assert audit_seeds(5, "other") != audit_seeds(5)
    fresh = audit([TOY], n_seeds=3, fresh=True, workers=0)[0]
    assert fresh.seeds == 3


def test_the_cli_reports_json_and_exit_status(tmp_path):
    out = tmp_path / "audit.jsonl"
    proc = subprocess.run([sys.executable, "-m", "autograder", "audit", "unit4.standardize", "unit4.reinforce_iteration",
                           "--seeds", "12", "--workers", "1", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok    unit4.standardize" in proc.stdout and "SKIP  unit4.reinforce_iteration" in proc.stdout
    rows = {r["exercise"]: r for r in map(json.loads, out.read_text().splitlines())}
    std = rows["unit4.standardize"]
    assert std["ok"] and std["secret_seeds"] == 12 and std["worst_catch_rate"] == 1.0
    assert std["mistakes"] == std["mistakes_caught"] == len(all_exercises()["unit4.standardize"].misconceptions)
    assert std["alternatives"] == std["alternatives_passed"] == 1 + len(all_exercises()["unit4.standardize"].alternatives)
    assert rows["unit4.reinforce_iteration"]["skipped"]
    proc = subprocess.run([sys.executable, "-m", "autograder", "audit", "unit4.no_such_thing"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown exercise unit4.no_such_thing" in proc.stderr


def test_serialized_records_get_the_same_verdicts():
    """The audit judges records as collect() makes them; grading judges them after the bytes
    travelled. Same verdicts, on a few seeds of exercises with every kind of output."""
    from autograder.audit import _verdicts

    seeds = audit_seeds(3)
    for exercise in ("unit1.principal_angles", "unit2.vae_forward", "unit4.policy_weights", "unit5.dqn_loss"):
        plain, _ = _verdicts(exercise, seeds)
        serialized, _ = _verdicts(exercise, seeds, roundtrip=True)
        assert [u[:3] for u in plain] == [u[:3] for u in serialized] == [], exercise


#: Exercises whose audit costs more than a second per secret seed on one core of this machine
#: (each seed trains 5 correct loops, or runs Python sweeps to convergence): CI audits them on
#: the first 20 of the fixed seeds. The full 200-seed run (``python -m autograder audit``,
#: 2026-12-07, 34 min on 2 cores) passed every exercise: train_linear_ae about 11 s per seed,
#: value_iteration 2.1 s, policy_evaluation 1.5 s; every other exercise 0.01-0.97 s. unit6.gan_train_step:
#: 2.2 s per seed since its hidden suite ends with a 400-step training run (200 seeds: 442 s on one core).
CI_FEW_SEEDS = ("unit1.train_linear_ae", "unit5.value_iteration", "unit5.policy_evaluation", "unit6.gan_train_step")


def _audit(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "autograder", "audit", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=3600)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"at least {100 * REQUIRED_CATCH_RATE:.1f}% of the seeds" in proc.stdout
    return proc.stdout


@pytest.mark.timeout(1800)   # about 5 minutes on this 2-core machine; pyproject's default is 900 s
def test_every_check_is_fair():
    """The CI run: every exercise with a reference, every correct alternative and listed mistake,
    on 200 fixed secret seeds (the four costly exercises below get their own test); fails when
    any alternative fails or any mistake is caught on fewer than 99.5% of them."""
    exercises = [e for e, ex in sorted(all_exercises().items()) if not ex.criterion and e not in CI_FEW_SEEDS]
    out = _audit("--seeds", "200", *exercises)
    assert f"audit: {len(exercises)} exercises" in out


def test_the_costly_checks_are_fair():
    """train_linear_ae, value_iteration and policy_evaluation on the first 20 fixed seeds."""
    out = _audit("--seeds", "20", *CI_FEW_SEEDS)
    assert f"audit: {len(CI_FEW_SEEDS)} exercises" in out
