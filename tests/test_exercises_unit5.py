"""Unit 5 exercises: correct alternatives pass, every listed common mistake fails (on the public
hidden suite and on secret seeds)."""

from __future__ import annotations

import catalog_unit5
from exercise_catalog import catalogue_tests

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(catalog_unit5.CORRECT, catalog_unit5.MISTAKES, ("unit5.",))
