"""Argument checks shared by the layouts, the ops and the modules, with errors that say "expected X, got Y"."""

from __future__ import annotations

import numbers
import operator


def as_int(name: str, value) -> int:
    """``value`` as an int: anything ``operator.index`` accepts, except bools (an easy slip for a flag)."""
    if isinstance(value, bool):
        raise TypeError(f"expected {name} to be an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"expected {name} to be an int, got {type(value).__name__}") from None


def check_density(density) -> float:
    """A density (fraction of blocks kept) in (0, 1], as a float."""
    if isinstance(density, bool) or not isinstance(density, numbers.Real):
        raise TypeError(f"expected density to be a float, got {type(density).__name__}")
    if not 0.0 < density <= 1.0:
        raise ValueError(f"expected density in (0, 1], got {density}")
    return float(density)
