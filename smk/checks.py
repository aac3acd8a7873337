"""Checks of settings given by users (estimator parameters, notebook parameters, SLA
targets): one rule for what a number is, and a clear error that names the setting and its value.

A bool is not a number here (``order=True`` is not order 1), and neither is text (``"1"``);
`check_integer` / `check_number` raise a TypeError for both. A number out of range, not whole
where a whole one is needed, NaN or infinite is a ValueError. `is_number` / `is_whole` are the
same rules as predicates, for modules that word their own errors. `check_bool` takes True or
False only: text (``"false"``) or a number is a ValueError, not read as true.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal

import numpy as np

#: The longest span a setting counted in days may give (lead scoring's windows, attribution's
#: lookback): 100 years, as attribution's 1200-month `window_months`. Longer spans reach past
#: the dates pandas can hold (the years 1677 to 2262) and failed with an OverflowError, or
#: silently wrapped around to wrong dates.
MAX_DAYS = 36_500


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


def check_integer(
    name: str,
    value,
    low: int,
    high: int | None = None,
    note: str = "",
    *,
    whole_floats: bool = False,
) -> int:
    """`value` as an int when it is an integer (not a bool) from `low` to `high` (inclusive;
    no upper bound for None), else a TypeError / ValueError that names `name` (and says
    `note`). With `whole_floats`, a whole float counts as the int it is (60.0 is 60, as YAML
    or papermill may give a setting); the error shows the value as given (1e+30)."""
    expected = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"
    if _not_a_number(value):
        raise _wrong_type(name, expected, value, note)
    number = int(value) if whole_floats and is_whole(value) else value
    if (
        not isinstance(number, numbers.Integral)
        or number < low
        or (high is not None and number > high)
    ):
        raise ValueError(f"{name} must be {expected}{note}, got {value!r}")
    return int(number)


#: The seeds numpy and scikit-learn take as a random_state: 0 to 2**32 - 1.
MAX_SEED = 2**32 - 1


def check_seed(value) -> int:
    """A notebook's `seed` (handed to numpy / scikit-learn as a random_state) as an int from 0
    to `MAX_SEED`; a TypeError / ValueError naming `seed` otherwise (not a float, not None:
    the pages would not be reproducible). `smk report --params` and the notebooks'
    `smk.notebooks.parameters` check it with this."""
    return check_integer("seed", value, 0, MAX_SEED)


def check_number(
    name: str,
    value,
    low: float,
    high: float | None = None,
    *,
    exclusive: bool | Literal["low"] = False,
    note: str = "",
) -> float:
    """`value` as a float when it is a finite number (not a bool) from `low` to `high` (no
    upper bound for None; both bounds excluded with `exclusive`, only `low` with
    ``exclusive="low"``), else a TypeError / ValueError that names `name` (and says `note`)."""
    if high is None:
        expected = f"a finite number {'>' if exclusive else '>='} {low:g}"
    elif exclusive == "low":
        expected = f"a number > {low:g} and at most {high:g}"
    else:
        expected = f"a number {'strictly ' if exclusive else ''}between {low:g} and {high:g}"
    if _not_a_number(value):
        raise _wrong_type(name, expected, value, note)
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float (10**400): out of every finite range
        number = math.inf if value > 0 else -math.inf
    above = low < number if exclusive else low <= number
    below = high is None or (number < high if exclusive is True else number <= high)
    inside = above and below
    if not (inside and math.isfinite(number)):  # NaN is inside no range
        raise ValueError(f"{name} must be {expected}{note}, got {value!r}")
    return number


def check_bool(name: str, value, *, optional: bool = False) -> bool | None:
    """`value` as a bool when it is True or False (numpy's too; also None when `optional`),
    else a ValueError naming `name` and the value: text such as ``"false"`` is true to
    Python, and a setting given so was taken as on without a word."""
    if value is None and optional:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    expected = "True, False or None" if optional else "True or False"
    raise ValueError(f"{name} must be {expected}, got {value!r}")
