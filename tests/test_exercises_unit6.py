"""Unit 6's exercise definitions (``autograder/exercises/unit6.py``), before their notebook exists.

They are not in ``autograder.exercises`` yet (the registry's list must match the notebooks: the
contract-text tests read every registered exercise's notebook), so this test imports them in a
separate process and audits them there: the reference and every correct alternative pass the
visible suite and the hidden suites of 20 secret seeds, and every listed mistake fails on all of
them. Also checks MADE's connectivity judge on hand-made masks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]

AUDIT = textwrap.dedent("""
    import json, sys
    import autograder.exercises  # noqa: F401
    import autograder.exercises.unit6  # noqa: F401  (registers unit 6)
    from autograder.audit import audit
    from autograder.registry import all_exercises
    ids = sorted(e for e in all_exercises() if e.startswith("unit6."))
    for r in audit(ids, n_seeds=20, workers=0):
        print(json.dumps({**r.summary(), "ok": r.ok, "exercise": r.exercise}))
""")


def test_unit6_checks_are_fair_on_20_secret_seeds():
    proc = subprocess.run([sys.executable, "-c", AUDIT], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert {r["exercise"] for r in results} == {
        "unit6.discriminator_loss", "unit6.generator_loss_minimax", "unit6.generator_loss_nonsaturating",
        "unit6.optimal_discriminator", "unit6.made_masks", "unit6.conv_mask", "unit6.autoregressive_sample",
        "unit6.gan_train_step"}
    for r in results:
        assert r["ok"], r
        assert r["alternatives_passed"] == r["alternatives"] >= 3, r
        assert r["mistakes_caught"] == r["mistakes"] >= 4, r


def _made_problems(ordering, sizes, mask_sets):
    """The judge's verdict on each set of masks, from one process that imports unit 6."""
    code = textwrap.dedent(f"""
        import torch
        from autograder.registry import Case
        import autograder.exercises.unit6 as U
        ordering = torch.tensor({ordering})
        for masks in {mask_sets}:
            masks = [torch.tensor(m, dtype=torch.float32) for m in masks]
            print(repr(U._made_problem(Case((ordering, {sizes}, 0)), masks)))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [eval(line) for line in proc.stdout.strip().splitlines()]   # noqa: S307 (our own reprs)


def test_made_connectivity_judge_on_hand_made_masks():
    ordering = [2, 1, 3]
    hidden = [[0, 1, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]]      # degrees (1, 2, 1, 2)
    out = [[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
    bad_out = [[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]]      # output 0 (degree 2) fed by unit 1 (degree 2)
    odd = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]]        # unit 0 sees degree 2 but not degree 1
    out_ok = [[0, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
    valid, not_ar, no_degrees, transposed = _made_problems(
        ordering, [4], [[hidden, out], [hidden, bad_out], [odd, out_ok], [torch.tensor(hidden).T.tolist(), out]])
    assert valid is None
    assert not_ar.startswith("not autoregressive: output 0")
    assert no_degrees is not None and "hidden unit 0 of layer 1" in no_degrees
    assert "shape (3, 4)" in transposed and "(out_features, in_features)" in transposed
