"""Unit 3's runners for exercises that train (a step or a loop called on a model the runner
builds), by name: ``RUNNERS`` maps a name to a factory, as in :mod:`autograder_kernel.runners`
(each runner carries ``.spec = (name, args)``). Merged by ``runners.all_runners``.
"""

from __future__ import annotations

from typing import Callable

RUNNERS: dict[str, Callable] = {}
