"""One input of a check."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Case"]


@dataclass(frozen=True)
class Case:
    """One input: positional and keyword arguments (serializable) and a note for messages."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    note: str = ""
