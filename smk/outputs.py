"""What notebooks leave behind: headline metrics as JSON and spreadsheet-safe CSV exports.

Every notebook writes `output_dir/metrics-<name>.json` (read by the report's index page) and its
CSV exports through these two functions, so the format and the safety rules live in one place.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from smk.checks import checked_tables
from smk.periods import Month, as_month, period_words
from smk.pii import EMAIL_AT, INVISIBLE_CHARACTERS, without_invisible

#: Leading characters that make a spreadsheet evaluate a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Where, inside a text cell, a spreadsheet may start another cell: after a `;` or a tab (the
#: list separator of Excel in German, French, Dutch, Italian or Spanish settings splits a CSV
#: there, whatever its quotes: a quote in mid-field is no text qualifier) or a line end (such a
#: split ends the row there), before any quotes. A formula character there is neutralised as
#: at the start of the cell (`neutralised`), also behind invisible characters
#: (`smk.pii.INVISIBLE`), which a published file loses.
FORMULA_PIECE = re.compile(rf'(?<=[;\t\r\n])(?=["{INVISIBLE_CHARACTERS}]*[=+\-@\t\r])')
#: A negative plain number written as text (`-11510`, `-1.234,50`, a set-aside row's amount as
#: exported): a spreadsheet reads it as that number, never as a formula, so it stays as written.
#: Not `+4915112345678` (a phone number a spreadsheet would show as 4.91512E+12) nor `-0012`
#: (leading zeros it would drop): those keep their `'`, which keeps them text.
PLAIN_NUMBER = r"^-(?:0|[1-9]\d*)(?:[.,]\d+)*$"
#: An e-mail address: name@domain.tld, also with letters beyond ASCII ("jürgen.müller@acme.de"
#: kept "jürgen.mü") and with its "@" URL-encoded (`smk.pii.EMAIL_AT`:
#: "mailto:jane.doe%40acme.com"). An "@" alone ("Founder @ Acme") is none; an apostrophe may
#: be inside the name ("o'brien@acme.ie") but does not start it, so a quoted address keeps
#: its quotes.
EMAIL_ADDRESS = re.compile(rf"[\w.%+-][\w.%+'-]*{EMAIL_AT}[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{{2,}}")
#: An e-mail address cut short where its domain was, as pandas cuts a long table cell
#: ("jane.doe@acmecorporation-...") or text is shortened with an ellipsis ("jane.doe@acme.c…").
EMAIL_CUT_SHORT = re.compile(rf"[\w.%+-][\w.%+'-]*{EMAIL_AT}[\w.-]*?(?:\.\.\.|…)")


#: Significant digits of a float in a CSV export (`tidy_float`; metrics files keep floats as
#: computed, for the thresholds compared with scores): as many
#: as a double holds faithfully, so that the noise of binary sums goes (213901.19999999998 is
#: written 213901.2).
FLOAT_DIGITS = 15
#: How far (in units in the last place) a value may be from its `FLOAT_DIGITS` rounding for
#: the difference to be noise, not a digit the value really has (1e15 + 1 is 8 away).
NOISE_ULPS = 4


#: Terminal colour codes (SGR: ``ESC [ ... m``), as a failed notebook's traceback holds them.
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
#: What a terminal obeys rather than shows: control characters other than a tab and a line
#: end, DEL, C1 controls, the invisible direction and zero-width characters
#: (`smk.pii.INVISIBLE`), and a carriage return inside a line (one inside a quoted value
#: overwrites the message before it), not one that starts the text (a progress bar's redraw)
#: or ends a line (CRLF, or the text's end).
_UNSHOWN = re.compile(
    rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE_CHARACTERS}]|(?<!^)\r(?!\n|$)"
)


def terminal_safe(text: str) -> str:
    """`text` as smk writes it to a terminal or to its log: CRM text a message quotes (a
    stage, a currency, a pipeline) may hold escape sequences that set the window's title,
    clear the screen or hide text, or direction controls that reorder the line. Colour codes
    are dropped; every other such character is written as Python escapes it (``\\x1b``,
    ``\\u202e``), so the value stays legible and does nothing."""
    if "\x1b" in text:
        text = _COLOURS.sub("", text)
    return _UNSHOWN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def tidy_values(values: np.ndarray) -> np.ndarray:
    """`values` (floats) with the noise of binary arithmetic rounded away: a fraction within
    `NOISE_ULPS` of its rounding to `FLOAT_DIGITS` significant digits becomes that rounding,
    which Python and pandas write at its shortest (0.1 + 0.2 -> 0.3; a double does not tell
    noise from a real 16th digit that close: 200/3 is written 66.6666666666667); whole numbers
    (even beyond 15 digits), values farther from their rounding (1/3 keeps its 16 digits, a
    sum's noise beyond 4 ulps stays), a fraction of a value from 1e15 on, tiny values, NaN and
    infinities are left as they are."""
    x = np.array(values, dtype=float)
    fractions = np.isfinite(x) & (x != np.trunc(x))
    v = x[fractions]
    decimals = FLOAT_DIGITS - 1 - np.floor(np.log10(np.abs(v))).astype(int)
    rounded = v.copy()
    # 10**d exact, so the rounding is faithful; from 1e15 on a fraction is a digit it has
    for d in np.unique(decimals[(decimals >= 0) & (decimals <= 22)]):
        at = decimals == d
        rounded[at] = np.round(v[at], d)
    noise = np.abs(rounded - v) <= NOISE_ULPS * np.spacing(np.abs(v))
    x[fractions] = np.where(noise, rounded, v)
    return x


def tidy_difference(a: float, b: float) -> float:
    """`a - b` without the noise of its operands, for a CSV export of a change: `tidy_values`'
    rule with the operands' scale, which the difference alone cannot tell (a difference
    within `NOISE_ULPS` of the larger operand's last place from its rounding where that
    operand's `FLOAT_DIGITS` significant digits end becomes that rounding: 45/62 - 52/70 is
    -0.01705069124424, not -0.017050691244239635); other differences (1/3 - 0), whole ones,
    NaN and infinities as computed."""
    change = float(a) - float(b)
    scale = max(abs(float(a)), abs(float(b)))
    if not math.isfinite(change) or scale == 0:
        return change
    decimals = FLOAT_DIGITS - 1 - math.floor(math.log10(scale))
    if not 0 <= decimals <= 22:  # `tidy_values`' range: from 1e15 on, fractions are digits
        return change
    rounded = round(change, decimals)
    return rounded if abs(rounded - change) <= NOISE_ULPS * np.spacing(scale) else change


def tidy_float(value: float) -> float:
    """One float by `tidy_values`: 213901.19999999998 -> 213901.2; 3.0 stays 3.0."""
    return float(tidy_values(np.array([value]))[0])


#: A frame's ``attrs`` key naming float columns written exactly as computed (`tidy_floats`):
#: scored leads' scores, which thresholds are compared with.
EXACT_FLOATS = "exact_floats"


@checked_tables
def tidy_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every float (of float columns, and floats among other values)
    tidied by `tidy_values`, for a CSV export; not the columns ``frame.attrs[EXACT_FLOATS]``
    names."""
    tidy = frame.copy()
    exact = set(frame.attrs.get(EXACT_FLOATS, ()))
    for i in range(tidy.shape[1]):
        values = tidy.iloc[:, i]
        if tidy.columns[i] in exact:
            continue
        if pd.api.types.is_float_dtype(values):
            clean = tidy_values(values.to_numpy(dtype=float, na_value=np.nan))
            tidy.isetitem(i, pd.Series(clean, index=values.index).astype(values.dtype))
        elif values.dtype == object:  # ints among the floats stay ints (`map` made them floats)
            tidied = [tidy_float(v) if isinstance(v, float) else v for v in values]
            tidy.isetitem(i, pd.Series(tidied, index=values.index, dtype=object))
    return tidy


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    return value


def format_kpi(value, fmt: str | None, currency: str = "", missing: str = "n/a") -> str:
    """A KPI value as people read it; `fmt` as in a metrics file's `kpis` (docs/notebooks.md)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return missing
    if isinstance(value, str):
        return value
    if fmt == "int":
        return f"{value:,.0f}"
    if fmt == "pct":
        return f"{value:.1%}"
    if fmt == "money":
        return f"{value:,.0f} {currency}".strip()
    if fmt == "hours":
        return f"{value:,.1f} h"
    if fmt == "float":
        return f"{value:.3f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def counted(n: float, noun: str) -> str:
    """A whole count and its noun, plural unless it is 1: "1 day", "1 lead", "1,204 leads"."""
    return f"{n:,.0f} {noun}{'' if n == 1 else 's'}"


def quoted_few(values: list, few: int = 3) -> str:
    """The first `few` of `values` quoted, and how many there are when that is more: "'a',
    'b', 'c', ... (5 in all)", as a warning names the entries of a setting it cannot use."""
    shown = ", ".join(repr(value) for value in values[:few])
    return shown + (f", ... ({len(values)} in all)" if len(values) > few else "")


def unmatched_text(
    where: str,
    unmatched: list,
    total: int,
    part: tuple[str, str],
    missing: str,
    effect: str,
    few: int = 3,
) -> str:
    """A warning that the entries `unmatched` of the setting `where` (of `total`; `part` their
    name, one and many: ("key", "keys")) name no `missing` ("owner in the export"), so that
    they do nothing: `effect`, in which "{them}" stands for them ("no owner is put in a team by
    {them}")."""
    names, them = ("names", "it") if len(unmatched) == 1 else ("name", "them")
    parts = f"its only {part[0]}" if total == 1 else f"{len(unmatched)} of its {total} {part[1]}"
    shown = quoted_few(unmatched, few)
    return f"{where}: {parts} {names} no {missing} ({shown}), so {effect.replace('{them}', them)}"


def over_period(tile: dict, month: Month | str, months: int | None = None) -> dict:
    """`tile` with the period its figure covers, for a figure over another period than the
    report `month`: `period` ("12 months to Oct 2026", `months` calendar months up to the
    month's end; "all time to Oct 2026" for `months` None: `periods.period_words`) and
    `previous_period`, the same period a month earlier, which the index's change names
    ("+9 vs 12 months to Sep 2026")."""
    month = as_month(month)
    return tile | {
        "period": period_words(month, months),
        "previous_period": period_words(month.previous, months),
    }


def detail_first(tile: dict, text: str) -> dict:
    """`tile` with `text` at the start of its `detail` (a caveat or a reason the reader must
    see before the figure's own detail): "too few conversions ...; Shapley credit: ..."."""
    return tile | {"detail": f"{text}; {tile['detail']}" if tile.get("detail") else text}


def tile_detail(tile: dict) -> str:
    """A tile's detail as shown: its `period` (`over_period`), when it has one, then its
    `detail`: "12 months to Oct 2026; of 72 won conversions"."""
    return "; ".join(str(tile[k]) for k in ("period", "detail") if tile.get(k))


def kpi_line(tile: dict) -> str:
    """A report tile (an item of a metrics file's `kpis`) as one line of text, as the notebooks
    print them under their metrics: ``label: value (period; detail)`` (`tile_detail`)."""
    detail = f" ({tile_detail(tile)})" if tile_detail(tile) else ""
    return f"{tile['label']}: {format_kpi(tile['value'], tile['format'])}{detail}"


#: The `format`s of a KPI that `format_kpi` knows (docs/notebooks.md, `metrics-<name>.json`);
#: a KPI may also have none (its value shown as a number, or as written).
KPI_FORMATS = ("int", "pct", "money", "hours", "float", "text")


#: The status of a tile whose value cannot be computed or relied on (the index's grey tile;
#: docs/notebooks.md): the scorecard's, `write_metrics`' and the report index's one word.
NO_DATA = "no data"


def _tile_status(kpi: dict) -> dict:
    """`kpi` with the status `NO_DATA` when it has no value (null or NaN, as the metrics file
    writes it) and no status of its own: a tile without a target is n/a as much as one with."""
    if _jsonable(kpi.get("value")) is None and not kpi.get("status"):
        return kpi | {"status": NO_DATA}
    return kpi


def write_metrics(output_dir: str | Path, name: str, metrics: dict) -> Path:
    """Write `metrics-<name>.json`: the notebook's headline figures for the report index.

    A KPI whose `format` is not one of `KPI_FORMATS` is refused (ValueError naming it), so the
    notebook fails where the mistake is: the index would show a share of 0.25 as "0.25". A KPI
    without a value gets the status `NO_DATA` unless it has one (`_tile_status`), on every page."""
    kpis = metrics.get("kpis")
    for kpi in kpis if isinstance(kpis, (list, tuple)) else []:
        fmt = kpi.get("format") if isinstance(kpi, dict) else None
        if fmt is not None and fmt not in KPI_FORMATS:
            raise ValueError(
                f"KPI {kpi.get('id', kpi.get('label'))!r} has the format {fmt!r}, which smk "
                f"does not know: use one of {', '.join(KPI_FORMATS)} (or none)"
            )
    if isinstance(kpis, (list, tuple)):
        metrics = metrics | {"kpis": [_tile_status(k) if isinstance(k, dict) else k for k in kpis]}
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"metrics-{name}.json"
    path.write_text(
        json.dumps(_jsonable(metrics), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return path


def read_metrics_file(path: str | Path) -> dict:
    """One `metrics-<name>.json`, refused (ValueError naming the file and what is wrong) unless
    it is what the report index reads: a JSON object whose `kpis`, if any, is a list of objects
    (one per tile)."""
    path = Path(path)
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path.name} is not JSON ({exc})") from None
    if not isinstance(metrics, dict):
        raise ValueError(
            f'{path.name} is no JSON object ({{"title": ..., "kpis": [...]}}, as '
            "`outputs.write_metrics` writes)"
        )
    kpis = metrics.get("kpis", [])
    if not isinstance(kpis, list) or not all(isinstance(k, dict) for k in kpis):
        raise ValueError(
            f"{path.name}: its kpis must be a list of objects, one per tile "
            '({"id": ..., "label": ..., "value": ..., "format": ...})'
        )
    return metrics


def read_metrics(output_dir: str | Path) -> dict[str, dict]:
    """All `metrics-*.json` of a folder, keyed by notebook name (each read by
    `read_metrics_file`)."""
    return {
        p.stem.removeprefix("metrics-"): read_metrics_file(p)
        for p in sorted(Path(output_dir).glob("metrics-*.json"))
    }


@checked_tables
def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells a spreadsheet would run as a formula with `'` (OWASP CSV injection):
    each text cell as `neutralised` writes it.

    Numbers stay numbers: only text cells starting with = + - @ (or tab / carriage return)
    are changed, so a negative amount column is untouched, and so is a signed number written
    as text (`-11510` in a set-aside row, which keeps the text it was exported with; `PLAIN_NUMBER`).
    A spreadsheet that splits the file on `;` starts a cell after each `;`, tab or line end
    of a text, so a piece there that starts with one of them gets its `'` too (`FORMULA_PIECE`:
    `spring;=cmd|' /C calc'!A0` is written `spring;'=cmd|' /C calc'!A0`).
    """
    safe = frame.copy()
    for col in safe.columns:
        s = safe[col]
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        text = s.astype("string")
        written = text.map(neutralised, na_action="ignore").astype("string")
        changed = (written != text).fillna(False).astype(bool)
        if changed.any():
            safe[col] = text.mask(changed, written)
    return safe


def neutralised(text: str) -> str:
    """`text` as a spreadsheet cannot run it: with a `'` before it when it starts with a
    formula character (`FORMULA_PREFIXES`) and is no plain number (`PLAIN_NUMBER`), and before
    each piece of it that does (`FORMULA_PIECE`). Judged as the text is seen, without invisible
    characters (`smk.pii.without_invisible`): a zero-width space before "=2+5" hides no formula
    from the guard, as a published file loses it (`smk.report.scrub_file`)."""
    safe = FORMULA_PIECE.sub("'", text)
    if without_invisible(text).startswith(FORMULA_PREFIXES) and not re.match(PLAIN_NUMBER, text):
        safe = "'" + safe
    return safe


#: What an e-mail address is replaced by (`mask_emails`).
EMAIL_REMOVED = "[e-mail removed]"


def may_hold_email(text: str) -> bool:
    """Whether `text` has an "@", as written or URL-encoded ("%40"): else it holds no address."""
    return "@" in text or "%40" in text


#: A run of the characters an address (`EMAIL_ADDRESS`, `EMAIL_CUT_SHORT`) is made of that
#: holds an "@" (or "%40"), from its start: `mask_emails` looks for addresses in these only.
#: The address patterns start with a character most letters are, so tried from every letter
#: of a page they took 0.03 s for the funnel page's 0.7 MB, 0.05 s with "%40"; so, 0.01 s.
_RUN_WITH_AT = re.compile(rf"(?<![\w.%+'@…-])[\w.%+'@…-]*?{EMAIL_AT}[\w.%+'@…-]*")


def mask_emails(text: str) -> str:
    """`text` with each e-mail address replaced by `EMAIL_REMOVED` ("[e-mail removed]"), also
    one cut short after its "@" (`EMAIL_CUT_SHORT`) and one written with "%40" for its "@"."""
    if not may_hold_email(text):
        return text
    return _RUN_WITH_AT.sub(_masked_run, text)


def _masked_run(run: re.Match) -> str:
    """A run of `_RUN_WITH_AT` with its addresses masked (`mask_emails`)."""
    return EMAIL_CUT_SHORT.sub(EMAIL_REMOVED, EMAIL_ADDRESS.sub(EMAIL_REMOVED, run.group()))


@checked_tables
def export_csv(frame: pd.DataFrame, output_dir: str | Path, filename: str) -> Path:
    """Write a CSV export that is safe to open in a spreadsheet (UTF-8 with BOM for Excel),
    its floats at their shortest faithful value (`tidy_floats`)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    neutralise_formulas(tidy_floats(frame)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


class Note:
    """A sentence a notebook cell shows where a table would be (`show_table`): as text, as
    HTML, and printed, never pandas' "Empty DataFrame" repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f'<p class="smk-no-data">{html.escape(self.text)}</p>'

    def __eq__(self, other) -> bool:
        return isinstance(other, Note) and other.text == self.text

    __hash__ = None


def show_table(frame: pd.DataFrame | pd.Series | None, empty: str):
    """`frame` itself when it has rows (a notebook shows it as before), else a `Note` with the
    sentence `empty`, which says what is missing and why (e.g. "no MQL of 2026-09 leaked").

    A notebook cell ending in `show_table(table, empty="...")` shows the table or the sentence.
    """
    if frame is None or len(frame) == 0 or len(getattr(frame, "columns", [None])) == 0:
        return Note(empty)
    return frame
