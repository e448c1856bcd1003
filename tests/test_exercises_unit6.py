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


def test_gan_training_run_is_judged_by_its_bound():
    """The last case of each suite trains 400 steps; the reference meets the bound, a generator
    left where it started does not, and the message gives the distances and the reference's."""
    from autograder.exercises.unit6 import GAN_TRAIN_STEP, TRAIN_BOUND, _training_problem, wasserstein_in_std
    from autograder_kernel.unit6_runners import gan_models

    for suite in ("visible", "hidden"):
        cases = GAN_TRAIN_STEP.cases(suite)
        assert ["z_eval" in c.kwargs for c in cases] == [False] * (len(cases) - 1) + [True]
    case = GAN_TRAIN_STEP.cases("visible")[-1]
    expected = GAN_TRAIN_STEP.run(GAN_TRAIN_STEP.reference, case)
    assert expected[-1].shape == (10, 200, 1)
    assert wasserstein_in_std(expected[-1], case.args[2]) <= TRAIN_BOUND
    assert _training_problem(case, expected, expected) is None
    untrained = gan_models(case.args[0], case.args[1])[0](case.kwargs["z_eval"]).detach()
    problem = _training_problem(case, expected, (*expected[:-1], untrained.expand(10, -1, -1)))
    assert problem.startswith("the training run did not bring the generator to the data")
    assert "with the reference step on these inputs" in problem and f"at most {TRAIN_BOUND}" in problem
    nan_losses = (expected[0].clone().fill_(float("nan")), *expected[1:])
    assert "loss_d is not finite at step 1" in _training_problem(case, expected, nan_losses)
    # Wasserstein-1 in data standard deviations: a shift by one standard deviation is 1
    data = torch.randn(20000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert abs(wasserstein_in_std(data[:2000] + data.std(), data) - 1.0) < 0.05


def test_messages_name_what_the_student_passed():
    """Runners that build the student's arguments name them in an in-place message and in the
    input line; MADE's messages do not show the reference's random masks as the only answer."""
    from autograder.checks import changed_problem, collect, judge
    from autograder.exercises import get_exercise
    from lecture_lib.autoregressive import autoregressive_sample

    assert "`x_real`" in changed_problem(get_exercise("unit6.gan_train_step"), ["3"])
    assert "`u`" in changed_problem(get_exercise("unit6.autoregressive_sample"), ["4"])
    assert "case input 1" in changed_problem(get_exercise("unit6.autoregressive_sample"), ["1"])

    def noisy_sampler(logits_fn, order, u):
        out = autoregressive_sample(logits_fn, order, u)
        u.fill_(0.5)
        return out

    message = judge(collect("unit6.autoregressive_sample", noisy_sampler, suite="visible")).message
    assert "changed its input `u` in place" in message
    assert "logits_fn = x -> x @ W.T + b" in message

    def dense(ordering, sizes, seed):
        d = len(ordering)
        shapes = [(sizes[0], d)] + [(b, a) for a, b in zip(sizes[:-1], sizes[1:])] + [(d, sizes[-1])]
        return [torch.ones(s) for s in shapes]

    message = judge(collect("unit6.made_masks", dense, suite="visible")).message
    assert "not autoregressive" in message and "any such degrees pass" in message
