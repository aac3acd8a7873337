"""Checks of settings given by users (estimator parameters, notebook parameters, SLA
targets): one rule for what a number is, and a clear error that names the setting and its value.

A bool is not a number here (``order=True`` is not order 1), and neither is text (``"1"``);
`check_integer` / `check_number` raise a TypeError for both. A number out of range, not whole
where a whole one is needed, NaN or infinite is a ValueError. `is_number` / `is_whole` are the
same rules as predicates, for modules that word their own errors. `check_bool` takes True or
False only: text (``"false"``) or a number is a ValueError, not read as true.

`checked_tables` does the same for the whole model and its tables: a function's parameter
annotated as a CRM or a pandas DataFrame given the other (or anything else) is a TypeError at
the call that names the function and says what to pass.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import reprlib
import sys
from collections.abc import Callable
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

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


#: The annotations `checked_tables` reads: the whole model, one table, or attribution's journeys.
_KINDS = {
    "CRM": "crm",
    "smk.CRM": "crm",
    "pd.DataFrame": "table",
    "DataFrame": "table",
    "Journeys": "journeys",
}

Function = TypeVar("Function", bound=Callable)


def _annotated_kind(annotation) -> tuple[str, bool] | None:
    """(a kind of `_KINDS`, whether None is taken) for an annotation naming a CRM, a
    DataFrame or journeys (or one of them | None); None for any other annotation (a CRM or a
    callable, a DataFrame or a Series, none at all)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    names = {name.strip() for name in text.split("|")}
    kinds = {_KINDS.get(name) for name in names - {"None"}}
    if len(kinds) != 1 or None in kinds:
        return None
    return kinds.pop(), "None" in names


def _crm_type() -> type:
    from smk.model import CRM  # here: smk.model imports this module

    return CRM


def _kind_type(kind: str) -> type:
    """The class an argument of `kind` must be an instance of (imported here: the modules
    that define them import this one)."""
    if kind == "journeys":
        from smk.attribution.journeys import Journeys

        return Journeys
    return _crm_type() if kind == "crm" else pd.DataFrame


def _given(value) -> str:
    """What a wrong argument is, in words: its kind and size, never its content (a list of
    records would put contacts' names into the message, a Series breaks it over lines)."""
    if isinstance(value, pd.DataFrame):
        return "a pandas DataFrame"
    if isinstance(value, _crm_type()):
        return "an smk.CRM"
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the text {reprlib.repr(value)}"
    if isinstance(value, pd.Series):
        return f"a pandas Series ({_count(len(value), 'value')})"
    if isinstance(value, type):  # the class itself, `pd.DataFrame` for a table
        return f"the class {value.__name__}"
    name = type(value).__name__
    try:
        size = f" ({_count(len(value), 'item')})"
    except TypeError:  # no length, or an unsized one (a 0-d array)
        size = ""
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}{size}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


#: What an argument of each kind must be, as the TypeError says it.
_EXPECTED = {
    "crm": "an smk.CRM (smk.load(path) returns one)",
    "table": "a pandas DataFrame",
    "journeys": "journeys (smk.attribution.journeys(crm, ...) builds them)",
}


def _advice(where: str, name: str, kind: str, value) -> str:
    """How to pass what `where` takes instead of `value`, when that can be told."""
    from smk.model import PRIMARY_KEYS, SCHEMA, TABLES

    is_crm = isinstance(value, _crm_type())
    if kind == "crm" and isinstance(value, pd.DataFrame):
        if where.startswith("smk.quality."):
            return (
                "; the data-quality account is the load's: pass the model smk.load(path) returned"
            )
        return (
            "; to analyse a table on its own, make a model that holds it: "
            f"smk.CRM({_table_of(value, PRIMARY_KEYS, SCHEMA)}=table)"
        )
    if kind == "table" and is_crm:
        table = f"crm.{name}" if name in TABLES else f"the table help({where}) describes"
        return f"; pass {table}, not the whole model"
    if kind == "journeys" and isinstance(value, pd.DataFrame):
        return "; read a path table with smk.attribution.from_paths(table)"
    return ""


def _table_of(frame: pd.DataFrame, keys: dict, schema: dict) -> str:
    """Which of the model's tables `frame` looks like: the one whose id comes first among its
    columns (a deal's deal_id before its contact_id and account_id), else the one sharing
    most columns with it (spend has no id), else a placeholder to fill in."""
    owners = {key: table for table, key in keys.items() if key is not None}
    table = next((owners[c] for c in frame.columns if c in owners), None)
    shared = {t: len(set(columns) & set(frame.columns)) for t, columns in schema.items()}
    best = max(shared, key=shared.get)
    return table or (best if shared[best] else "<contacts, deals, ...>")


def _wrong_argument(where: str, name: str, kind: str, value) -> TypeError:
    """The error for argument `name` of `where` that is not the `kind` it must be."""
    advice = _advice(where, name, kind, value)
    return TypeError(f"{where}: {name} must be {_EXPECTED[kind]}, got {_given(value)}{advice}")


def caller_stacklevel() -> int:
    """The `stacklevel` for a `warnings.warn` in smk that points at the first caller outside
    smk (the user's script or notebook cell), however many smk functions and `checked_tables`
    checks lie between: a count of frames written at the call pointed into smk once one more
    function stood in between."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("smk."):
        frame, level = frame.f_back, level + 1
    return level


def checked_tables(func: Function) -> Function:
    """`func` that checks, before it runs, each argument whose parameter is annotated as a
    CRM, a pandas DataFrame or journeys (or one | None) with isinstance: a table given for the model
    or the model for a table failed deep inside pandas (``'DataFrame' object has no attribute
    'contacts'``); it is a TypeError naming the function, the parameter and what to pass.
    Other parameters are left to `func`; its signature and name stay (functools.wraps)."""
    where = f"{func.__module__}.{func.__qualname__}"
    checked = []
    for index, parameter in enumerate(inspect.signature(func).parameters.values()):
        kind = _annotated_kind(parameter.annotation)
        if kind is None or parameter.kind is parameter.VAR_POSITIONAL:
            continue
        positional = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        checked.append((parameter.name, index if positional else None, *kind))
    if not checked:
        raise TypeError(
            f"checked_tables: {where} has no parameter annotated as a CRM, table or journeys"
        )

    @functools.wraps(func)
    def checking(*args, **kwargs):
        for name, index, kind, optional in checked:
            if index is not None and index < len(args):
                value = args[index]
            elif name in kwargs:
                value = kwargs[name]
            else:
                continue  # its default
            if value is None and optional:
                continue
            if not isinstance(value, _kind_type(kind)):
                raise _wrong_argument(where, name, kind, value)
        return func(*args, **kwargs)

    return checking
