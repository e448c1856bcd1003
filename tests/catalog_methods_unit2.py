"""Unit 2's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions) and listed mistakes (``MISTAKES``: exercise id -> {name: function}), merged into
the unit's catalogue test (``tests/test_exercises_units12.py``)."""

from __future__ import annotations

CORRECT: dict = {}
MISTAKES: dict = {}
