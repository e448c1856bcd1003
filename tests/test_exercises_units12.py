"""Units 1-2 exercises: correct alternatives (``autograder/alternatives/``) pass, every listed
common mistake (``autograder/misconceptions/``) fails."""

from __future__ import annotations

from exercise_catalog import catalogue, catalogue_tests

CORRECT, MISTAKES, REGRESSION_SEEDS = catalogue(("unit1.", "unit2."))

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit1.", "unit2."), REGRESSION_SEEDS)
