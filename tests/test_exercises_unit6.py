"""Unit 6 exercises: correct alternatives (``autograder/alternatives/``) pass, every listed common
mistake (``autograder/misconceptions/``) fails (on the public hidden suite and on secret seeds;
tests/test_audit.py runs the same lists over 200), and MADE's connectivity judge on hand-made masks."""

from __future__ import annotations

import torch
from exercise_catalog import catalogue, catalogue_tests

from autograder.exercises.unit6 import _made_problem
from autograder.registry import Case


def _problem(ordering, masks):
    return _made_problem(Case((torch.tensor(ordering), [len(masks[0])], 0)),
                         [torch.tensor(m, dtype=torch.float32) for m in masks])


def test_made_connectivity_judge_on_hand_made_masks():
    ordering = [2, 1, 3]
    hidden = [[0, 1, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]]      # degrees (1, 2, 1, 2)
    out = [[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
    assert _problem(ordering, [hidden, out]) is None
    bad_out = [[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]]      # output 0 (degree 2) fed by unit 1 (degree 2)
    assert _problem(ordering, [hidden, bad_out]).startswith("not autoregressive: output 0")
    odd = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]]        # unit 0 sees degree 2 but not degree 1
    out_ok = [[0, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
    assert "hidden unit 0 of layer 1" in _problem(ordering, [odd, out_ok])
    transposed = _problem(ordering, [torch.tensor(hidden).T.tolist(), out])
    assert "shape (3, 4)" in transposed and "(out_features, in_features)" in transposed
    # a unit of degree D (it sees every input) is outside 1..D-1
    full = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [1, 1, 0]]
    out_full = [[0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]]
    assert "hidden unit 0 of layer 1" in _problem(ordering, [full, out_full])


CORRECT, MISTAKES, REGRESSION_SEEDS = catalogue(("unit6.",))

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit6.",), REGRESSION_SEEDS)
