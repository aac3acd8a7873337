"""Checks of settings given by users (estimator parameters, notebook parameters, SLA
targets): one rule for what a number is, and a clear error that names the setting and its value.

A bool is not a number here (``order=True`` is not order 1), and neither is text (``"1"``);
`check_integer` / `check_number` raise a TypeError for both. A number out of range, not whole
where a whole one is needed, NaN or infinite is a ValueError. `is_number` / `is_whole` are the
same rules as predicates, for modules that word their own errors.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _not_a_number(value) -> bool:
    return isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real)


def is_number(value) -> bool:
    """A real number (numpy's too), not a bool and not text; NaN and infinity included."""
    return not _not_a_number(value)


def is_whole(value) -> bool:
    """A finite number with no fraction (3 or 3.0), not a bool and not text."""
    if not is_number(value):
        return False
    if isinstance(value, numbers.Integral):
        return True  # however large (a float of a 400-digit int overflows)
    return math.isfinite(value) and float(value).is_integer()


def _wrong_type(name: str, expected: str, value, note: str) -> TypeError:
    return TypeError(f"{name} must be {expected}{note}, got {value!r} ({type(value).__name__})")


def check_integer(name: str, value, low: int, high: int | None = None, note: str = "") -> int:
    """`value` as an int when it is an integer (not a bool) from `low` to `high` (inclusive;
    no upper bound for None), else a TypeError / ValueError that names `name` (and says
    `note`)."""
    expected = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"
    if _not_a_number(value):
        raise _wrong_type(name, expected, value, note)
    if (
        not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        raise ValueError(f"{name} must be {expected}{note}, got {value!r}")
    return int(value)


def check_number(
    name: str,
    value,
    low: float,
    high: float | None = None,
    *,
    exclusive: bool = False,
    note: str = "",
) -> float:
    """`value` as a float when it is a finite number (not a bool) from `low` to `high` (no
    upper bound for None; bounds excluded with `exclusive`), else a TypeError / ValueError
    that names `name` (and says `note`)."""
    if high is None:
        expected = f"a finite number {'>' if exclusive else '>='} {low:g}"
    else:
        expected = f"a number {'strictly ' if exclusive else ''}between {low:g} and {high:g}"
    if _not_a_number(value):
        raise _wrong_type(name, expected, value, note)
    number = float(value)
    if exclusive:
        inside = low < number and (high is None or number < high)
    else:
        inside = low <= number and (high is None or number <= high)
    if not (inside and math.isfinite(number)):  # NaN is inside no range
        raise ValueError(f"{name} must be {expected}{note}, got {value!r}")
    return number
