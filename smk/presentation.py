"""Tables for people: what a published page shows of a frame (docs/notebooks.md, "Tables").

`as_table` turns a frame into the table marketing and sales managers read: headers in plain
words, shares as percentages (a share that is neither 0 nor 1 never reads "0.0%" nor
"100.0%"), money in whole units under its currency, counts with thousands separators, times
to the minute (UTC), yes/no for flags, a dash for what is missing or infinite (a ratio over
nothing), and no row numbers. Only the display changes: the frame a notebook computed, its
CSV export and its metrics stay as they are.

Each column's format is chosen by its name (`column_format`) unless the call names one
(`formats`, `every`), where a name misleads (a channel column holding shares).

`top_rows` cuts a long table (thousands of campaigns) to its largest rows and one row per
group that adds up the rest, so the page stays readable and every total still holds; the
CSV export keeps every row, and `folded_note` says where to find them.

`markdown_text` is the same for a value from the export or the params in the Markdown a helper
writes for a page (a currency in a caption): it is shown as written, never read as HTML or
Markdown.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from smk.checks import checked_tables
from smk.outputs import Note, counted, format_kpi, show_table

#: What a missing value is shown as (the dash the report shows for pandas' NaN).
MISSING = "–"
#: Words kept as written in a header (acronyms, and their plurals).
ACRONYMS = {
    w.lower(): w
    for w in [
        "MQL",
        "MQLs",
        "SQL",
        "SQLs",
        "SLA",
        "SLAs",
        "ROI",
        "CLV",
        "RFM",
        "AUC",
        "ROC",
        "PR",
        "PSI",
        "ECE",
        "ID",
        "IDs",
        "ROAS",
        "CPA",
        "AIDA",
        "KPI",
        "KPIs",
        "UTC",
        "CRM",
        "URL",
        "CSV",
    ]
}
#: Header words spelled out for readers.
WORDS = {"avg": "average", "std": "standard deviation", "pct": "percent", "vs": "vs"}
#: Columns that name a row (an ID, a month, a decile, the export's row): shown as written,
#: never with thousands separators.
LABELS = frozenset({"row", "decile", "segment", "month", "cohort", "year", "touches"})
#: Header words that make a column a share or a rate (shown as a percentage).
PERCENT_WORDS = frozenset({"share", "rate", "ratio", "percent", "pct"})
#: Header words that make a column money (whole units, the currency in the header).
MONEY_WORDS = frozenset(
    {"revenue", "pipeline", "amount", "value", "clv", "spend", "cpa", "cost", "size"}
)
#: The formats `formats` and `every` may name (an int instead: that many decimals).
FORMATS = ("pct", "times", "money", "count", "hours", "days", "label", "number", "text")
#: What `markdown_text` writes with a backslash: what would start a link or image (`[`, `]`),
#: a bare link (`:` of `https://`), emphasis (`*`, an `_` not inside a word), a code span,
#: strikethrough, math (`$`), a table cell, a heading, or escape the next sign (`\`).
_MARKDOWN_SIGNS = re.compile(r"[\\`*\[\]$~|#:]|(?<![^\W_])_|_(?![^\W_])")


def markdown_text(value: object) -> str:
    """`value` (text from the export or the params: a currency, a channel, a name) as Markdown
    that shows it as written within a line of a page, and nothing else: its ``<``, ``>`` and
    ``&`` as HTML entities, so that no tag or entity in it reaches the page; the signs of
    `_MARKDOWN_SIGNS` with a backslash, so that ``[x](javascript:...)`` is no link and
    ``*x*`` no emphasis; its line breaks and runs of spaces as one space (a blank line would
    end the paragraph it is in). Letters, digits, quotes, ``.``, ``-``, ``@`` and an ``_``
    inside a word (``paid_search``) stay as written, so that the report's scrub still finds an
    e-mail address or a personal name in it (`smk.report.scrub_notebook`)."""
    text = one_line(value)
    return html.escape(_MARKDOWN_SIGNS.sub(lambda sign: "\\" + sign.group(), text), quote=False)


def one_line(value: object) -> str:
    """`value` (text from the export) on one line of plain text: its line breaks, tabs and runs
    of spaces as one space, none at either end."""
    return " ".join(str(value).split())


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[_\s]+", str(name).lower()) if w]


def _is_time_name(name) -> bool:
    """Whether a column's name says it holds times (``first_activity_at``): its header says
    "(UTC)" even when no value is there to show it (every one missing)."""
    return _words(name)[-1:] == ["at"]


def column_format(name: str) -> str:
    """The format a numeric column named `name` is shown in (one of `FORMATS`): an ID or
    `LABELS` as written (``label``); a count of what is ``without``/``with`` something
    (``deals_won_without_amount``, ``with_clv``) as a count; a ``lift`` or ``roas`` as a
    multiple (``times``); shares and rates as percentages (``pct``); money (``money``);
    hours and days with one decimal; anything else as a number (``number``)."""
    words = set(_words(name))
    last = _words(name)[-1:] or [""]
    if str(name).lower() in LABELS or last[0] in {"id", "ids"}:
        return "label"
    if words & {"without", "with"}:
        return "count"
    if words & {"lift", "roas"}:
        return "times"
    if words & PERCENT_WORDS:
        return "pct"
    if words & MONEY_WORDS or str(name).lower() == "avg_won_deal":
        return "money"
    if "hours" in words:
        return "hours"
    if "days" in words:
        return "days"
    return "number"


def header(name, kind: str = "number", currency: str = "", utc: bool = False) -> str:
    """A column's name as a reader's header: words, not a Python name, in sentence case, the
    known acronyms kept (`ACRONYMS`): ``share_within_sla`` -> "Share within SLA",
    ``p80_hours`` -> "80th percentile hours", ``u_shaped`` -> "U shaped"; a money column
    with its currency ("Won revenue (EUR)"), a column of times with "(UTC)"."""
    words = [ACRONYMS.get(w, WORDS.get(w, w)) for w in re.split(r"_+", str(name)) if w]
    words = [re.sub(r"^p(\d\d)$", r"\1th percentile", w) for w in words]
    words = [w.upper() if len(w) == 1 else w for w in words]  # U-shaped's "u", the four P's
    text = " ".join(words)
    text = text[:1].upper() + text[1:] if text[:1].islower() else text
    if kind == "money" and currency:
        text = f"{text} ({currency})"
    return f"{text} (UTC)" if utc else text


def _missing(value) -> bool:
    """Whether a cell shows the dash: missing, or an infinite number (a ratio over nothing,
    such as a return on no spend), which no figure can show."""
    if value is None or isinstance(value, str):
        return value is None
    return bool(pd.isna(value)) or (isinstance(value, (int, float)) and math.isinf(value))


def share_text(value: float) -> str:
    """A share as a percentage to one decimal (`format_kpi`), except that a share that is not
    0 but rounds to it reads "<0.1%" (">-0.1%" below 0), and one just below 1 that rounds to
    100.0% reads ">99.9%": a page must not say none or all when it is not."""
    text = format_kpi(value, "pct")
    if text in ("0.0%", "-0.0%") and value != 0:
        return "<0.1%" if value > 0 else ">-0.1%"
    if text == "100.0%" and value < 1:
        return ">99.9%"
    return text


def _number(decimals: int) -> Callable[[float], str]:
    return lambda v: f"{v:,.{decimals}f}"


#: How each format shows one (present) value; `format_kpi` where it has the format.
_SHOW: dict[str, Callable] = {
    "pct": share_text,
    "times": lambda v: f"{v:,.2f}x",
    "money": lambda v: format_kpi(v, "money"),
    "count": lambda v: format_kpi(v, "int"),
    "hours": _number(1),
    "days": _number(1),
    "label": lambda v: f"{v:.0f}" if isinstance(v, float) and v.is_integer() else str(v),
    "text": str,
}


def _number_format(values: pd.Series) -> Callable[[float], str]:
    """A plain number column's format: counts when every value is whole, else one decimal
    from 100 on and three below (AUC 0.562, a median of 370.5 employees)."""
    present = values.dropna().astype(float)
    present = present[np.isfinite(present)]  # infinities show the dash (`_missing`)
    if (present % 1 == 0).all():
        return _SHOW["count"]
    return _number(1 if present.abs().max() >= 100 else 3)


def _is_flags(values: pd.Series) -> bool:
    present = values.dropna()
    return pd.api.types.is_bool_dtype(values) or (
        len(present) > 0 and present.map(lambda v: isinstance(v, bool)).all()
    )


def _as_times(values: pd.Series) -> pd.Series | None:
    """`values` as UTC timestamps when they are times (a datetime column, or timestamps held
    as objects), else None."""
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
    elif (
        values.dtype == object and values.dropna().map(lambda v: isinstance(v, pd.Timestamp)).all()
    ):
        if values.dropna().empty:
            return None
        times = pd.to_datetime(values, utc=True)
    else:
        return None
    return times.dt.tz_convert("UTC") if times.dt.tz is not None else times


def _shown_times(times: pd.Series) -> tuple[pd.Series, bool]:
    """Times to the minute ("2026-10-10 09:55"), or dates alone when every time is midnight;
    and whether the text shows times of day (whose header then says UTC)."""
    present = times.dropna()
    dates = (present == present.dt.normalize()).all()
    text = times.dt.strftime("%Y-%m-%d" if dates else "%Y-%m-%d %H:%M")
    return text.where(times.notna(), MISSING), bool(len(present)) and not dates


def _shown_column(values: pd.Series, kind: str | int) -> pd.Series:
    """The texts of one column in format `kind` (an int: a number with that many decimals)."""
    if isinstance(kind, int) and not isinstance(kind, bool):
        show = _number(kind)
    elif kind == "text" or not pd.api.types.is_numeric_dtype(values):
        show = _SHOW["text"]
    elif kind == "number":
        show = _number_format(values)
    else:
        show = _SHOW[kind]
    return values.map(lambda v: MISSING if _missing(v) else show(v)).astype(object)


def _labelled_rows(frame: pd.DataFrame, label: str | None) -> tuple[pd.DataFrame, list]:
    """`frame` without row numbers, and its columns that label rows: an index of its own
    becomes the first column(s) (an unnamed one named `label`); row numbers (a RangeIndex, or
    an unnamed integer index: a filtered frame's 0, 2, 3) are dropped and column `label` comes
    first. Columns named over several levels are named by their levels' words."""
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" ".join(str(p) for p in c if str(p)) for c in frame.columns]
    if _row_numbers(frame.index):
        frame = frame.reset_index(drop=True)
    if not isinstance(frame.index, pd.RangeIndex):
        if frame.index.nlevels == 1 and frame.index.name is None:
            frame = frame.rename_axis(label or "")
        named = list(frame.index.names)
        frame = frame.reset_index(allow_duplicates=True)
    else:
        named = [label] if label in frame.columns else []
        at = [i for i, c in enumerate(frame.columns) if c in named]  # by position: a name
        frame = frame.iloc[:, at + [i for i in range(frame.shape[1]) if i not in at]]  # twice
    frame.columns.name = None
    return frame, named


def _row_numbers(index: pd.Index) -> bool:
    """An unnamed index of whole numbers: row numbers, which tell a reader nothing."""
    return index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(index.dtype)


class Table(pd.DataFrame):
    """A table as a page shows it (`as_table`): every cell a text, shown whole, without the
    row numbers; its HTML is pandas' own `to_html` (escaped, the same on every run)."""

    def _repr_html_(self) -> str:
        with pd.option_context("display.max_colwidth", None):
            return pd.DataFrame(self).to_html(index=False)

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None):
            return pd.DataFrame(self).to_string(index=False)


def as_table(
    frame: pd.DataFrame | pd.Series | None,
    formats: Mapping[str, str | int] | None = None,
    *,
    label: str | None = None,
    currency: str = "",
    headers: Mapping[str, str] | None = None,
    every: str | int | None = None,
    empty: str | None = None,
) -> Table | Note | None:
    """`frame` as a page shows it, for people (module doc): each column in the format
    `formats` names for it (one of `FORMATS`, or an int: that many decimals), else `every`
    (for a wide table whose columns are channels or models), else by its name
    (`column_format`); times as "2026-10-10 09:55" (UTC; a column named ``*_at`` says UTC
    even when every value is missing), flags as yes/no, missing or infinite as "–"; a share
    that is not 0 nor 1 but rounds to either as "<0.1%" or ">99.9%".
    Headers by `header` (money ones with `currency`), or as `headers` names them.

    Rows are labelled, never numbered: an index of its own (an unnamed one named `label`)
    becomes the first column, and a column `label` is put first. With `empty`, a frame that
    is None or has no rows is the sentence `empty` instead (`smk.outputs.show_table`);
    without `empty`, None shows nothing (None).
    """
    if frame is None and empty is None:  # nothing to show (`notebooks.optional` said why)
        return None
    if empty is not None:
        shown = show_table(frame, empty)
        if isinstance(shown, Note):
            return shown
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    formats, headers = dict(formats or {}), dict(headers or {})
    _check_formats({**formats, **({"every": every} if every is not None else {})})
    table, labels = _labelled_rows(frame, label)
    texts, names = [], []
    for i, name in enumerate(table.columns):
        kind = formats.get(name, every if i >= len(labels) else None)
        kind = column_format(name) if kind is None else kind
        if not pd.api.types.is_numeric_dtype(table.iloc[:, i]):
            kind = "text"  # a text column named like money (the mix's `value`): no currency
        text, utc = _shown_values(table.iloc[:, i], kind)
        utc = utc or (_is_time_name(name) and table.iloc[:, i].isna().all())
        texts.append(text.reset_index(drop=True))
        names.append(headers.get(name) or header(name, kind, currency, utc))
    shown = pd.concat(texts, axis=1, ignore_index=True) if texts else pd.DataFrame()
    return Table(shown.set_axis(names, axis=1))


def _check_formats(formats: Mapping[str, str | int]) -> None:
    """A ValueError naming the column whose format is none of `FORMATS` (nor a number of
    decimals)."""
    for name, kind in formats.items():
        if not (kind in FORMATS or (isinstance(kind, int) and not isinstance(kind, bool))):
            raise ValueError(
                f"as_table: format {kind!r} for {name!r} is none of {', '.join(FORMATS)} "
                "(or a whole number of decimals)"
            )


def _shown_values(values: pd.Series, kind: str | int) -> tuple[pd.Series, bool]:
    """A column's texts and whether they are times of day (UTC)."""
    times = _as_times(values)
    if times is not None:
        return _shown_times(times)
    if _is_flags(values):
        return values.map(lambda v: MISSING if _missing(v) else ("yes" if v else "no")), False
    return _shown_column(values, kind), False


@checked_tables
def top_rows(
    frame: pd.DataFrame,
    by: str,
    n: int,
    *,
    label: str,
    other: str,
    sums: Sequence[str],
    within: Sequence[str] = (),
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """`frame` cut for a page: per group of `within` (the whole frame without), the `n` rows
    with the most `by` (missing last), in `frame`'s order, and one more row that holds the
    rest, so that a table of thousands of rows reads and still adds up.

    That row names them in column `label` (`other` formatted with `n`, the rows it holds, and
    the group's `within` values: ``"other ({n:,} {dimension}s)"``), keeps the `within` values
    and sums the additive columns `sums` (missing when all its rows are). A ratio (a win rate,
    an average deal) can be neither added nor averaged: every other column is missing there
    unless `derive`, given the folded rows and returning them, recomputes it from the sums.
    A group with fewer than two rows to fold is kept whole. `attrs["top_rows"]` says what was
    cut, for `folded_note`; `frame` itself (and its CSV export) keeps every row.
    """
    within = list(within)
    groups = frame.groupby(within, sort=False, dropna=False) if within else [((), frame)]
    parts, folded, others = [], 0, 0
    for keys, group in groups:
        ranked = group[by].reset_index(drop=True)
        order = ranked.sort_values(ascending=False, na_position="last", kind="stable").index
        rest = group.iloc[order[n:]]
        if len(rest) < 2:
            parts.append(group)
            continue
        values = dict(zip(within, keys, strict=True))
        row = {column: rest[column].sum(min_count=1) for column in sums}
        row |= values | {label: other.format(n=len(rest), **values)}
        row = pd.DataFrame([row], columns=frame.columns)
        parts += [group.iloc[np.sort(order[:n])], derive(row) if derive else row]
        folded, others = folded + len(rest), others + 1
    out = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0].copy()
    out.attrs = {**frame.attrs, "top_rows": {"by": by, "n": n, "within": within}}
    out.attrs["top_rows"] |= {"rows": len(frame), "folded": folded, "others": others}
    return out


@checked_tables
def folded_note(table: pd.DataFrame, export: str) -> str | None:
    """The line under a table `top_rows` cut: what it shows, how many rows its "other" rows
    add up and the file, published with the page, that lists every row; None when nothing was
    cut: "The table shows the 10 rows with the most won revenue of each dimension; the other
    3,102 of its 3,133 rows are added up in 6 "other" rows. marketing_mix.csv, published
    with this page, lists every row."
    """
    cut = table.attrs.get("top_rows")
    if not cut or not cut["folded"]:
        return None
    by = " ".join(_words(cut["by"]))
    where = 'one "other" row' if cut["others"] == 1 else f'{cut["others"]} "other" rows'
    each = f" of each {' '.join(_words(cut['within'][-1]))}" if cut["within"] else ""
    return (
        f"The table shows the {cut['n']} rows with the most {by}{each}; the other "
        f"{cut['folded']:,} of its {cut['rows']:,} rows are added up in {where}. "
        f"{export}, published with this page, lists every row."
    )


@checked_tables
def first_rows(
    frame: pd.DataFrame,
    n: int,
    *,
    noun: str,
    keep: pd.Series | None = None,
    kept: str = "",
) -> pd.DataFrame:
    """`frame` cut for a page: every row `keep` marks (a feature whose drift is to watch),
    then the first of the other rows up to `n` rows in all, in `frame`'s order (so a frame
    sorted best first shows its top rows); `frame` itself and its CSV export keep every row.

    `attrs["first_rows"]` says what was cut, for `cut_note`: the rows, each a `noun`
    ("feature"), and `kept`, what the rows `keep` marks are ("at watch or retrain").
    """
    marked = np.zeros(len(frame), bool) if keep is None else keep.fillna(False).to_numpy(bool)
    others = np.flatnonzero(~marked)[: max(n - int(marked.sum()), 0)]
    shown = marked.copy()
    shown[others] = True
    out = frame[shown]
    cut = {"rows": len(frame), "kept": int(marked.sum()), "others": len(others)}
    out.attrs = {**frame.attrs, "first_rows": cut | {"noun": noun, "kept_as": kept}}
    return out


@checked_tables
def cut_note(table: pd.DataFrame, export: str) -> str | None:
    """The line under a table `first_rows` cut: which rows it shows, of how many, and the
    file, published with the page, that lists every one; None when nothing was cut:
    "Shown: the top 10 of 31 features; all in lead_score_drivers.csv, published with this
    page." With rows kept whatever their place: "Shown: the 2 features at watch or retrain,
    then the top 8 of the other 30 features; all in lead_score_drift.csv, published with
    this page."
    """
    cut = table.attrs.get("first_rows")
    if not cut or cut["kept"] + cut["others"] == cut["rows"]:
        return None
    rows, noun, others = cut["rows"], cut["noun"], cut["others"]
    if not cut["kept_as"]:
        shown = f"the top {others:,} of {counted(rows, noun)}"
    elif not cut["kept"]:
        shown = f"the top {others:,} of {counted(rows, noun)} (none {cut['kept_as']})"
    else:
        rest = counted(rows - cut["kept"], noun)
        shown = f"the {counted(cut['kept'], noun)} {cut['kept_as']}" + (
            f", then the top {others:,} of the other {rest}"
            if others
            else f" (of {counted(rows, noun)})"
        )
    return f"Shown: {shown}; all in {export}, published with this page."
