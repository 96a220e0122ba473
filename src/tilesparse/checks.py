"""Argument checks shared by the layouts, the ops and the modules, with errors that say "expected X, got Y"."""

from __future__ import annotations

import operator


def as_int(name: str, value) -> int:
    """``value`` as an int: anything ``operator.index`` accepts, except bools (an easy slip for a flag)."""
    if isinstance(value, bool):
        raise TypeError(f"expected {name} to be an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"expected {name} to be an int, got {type(value).__name__}") from None
