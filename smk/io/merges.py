"""Records the CRM itself merged: the ids a surviving record lists as absorbed.

HubSpot's surviving record lists the records merged into it in ``hs_merged_object_ids``
(``;``-separated; a Fivetran sync: ``property_hs_merged_object_ids``, ``contact_merge_audit``,
``merged_deal``); a mapping file names such a column ``merged_ids``. An absorbed id still in
the export (an older export's row, a warehouse that kept it, an activity that names it) is the
surviving record: `merge_redirect` says which, for `smk.io.validate` to set such rows aside
and re-point the references. The work is done only for a table with a ``merged_ids`` column.

Chains resolve to the final survivor (A absorbed B, B had absorbed C: C is A). An id two
records claim is taken by the one the other was merged into (as a chain lists it); an id two
unrelated survivors claim, and ids that claim each other (a cycle), are taken as merged into
none: their rows load as they are and their references are not re-pointed, with a warning.
A survivor whose own row was set aside (a fault, a deletion) still absorbed the ids it lists:
their rows are set aside as merged and their references point at it. A listed id that is not
one id (`2.0E+02` from a spreadsheet, `200,250` or `200 250`: HubSpot separates ids with
``;``) is not taken, with a warning counting such ids.
"""

from __future__ import annotations

import pandas as pd

from smk.io import parse
from smk.model import PRIMARY_KEYS

#: the optional column of contacts, accounts and deals: ids of records merged into this one
MERGED_IDS = "merged_ids"
#: the columns that say where a row was read (present in a loaded export)
_PLACE = ("_file", "_row")


def merge_redirect(
    frame: pd.DataFrame, table: str, warnings: list[str], aside: pd.DataFrame | None = None
) -> dict[str, str]:
    """Absorbed id -> its final surviving id, from the ``merged_ids`` column of `frame` and of
    the rows of the table already set `aside` (empty without one); ids that cannot be read
    and contradictions (`_resolve`) are said in `warnings`."""
    key = PRIMARY_KEYS[table]
    parts = [f for f in (frame, aside) if f is not None and len(f) and MERGED_IDS in f.columns]
    if not parts:
        return {}
    columns = [key, MERGED_IDS, *_PLACE]
    listed = pd.concat(
        [f[[c for c in columns if c in f.columns]] for f in parts], ignore_index=True
    )
    claims = _claims(listed, key, table, warnings)
    if not claims:
        return {}
    redirect, conflicts, cycles = _resolve(claims)
    warnings.extend(_warnings(table, claims, conflicts, cycles))
    return redirect


def _claims(frame: pd.DataFrame, key: str, table: str, warnings: list[str]) -> dict[str, set[str]]:
    """Absorbed id -> the records that list it (a record listing itself is no claim); ids
    that are not one id are said in `warnings` (`_unreadable`)."""
    listed = parse.as_text(parse.clean_text(frame[MERGED_IDS]))
    rows = listed.notna().to_numpy(dtype=bool)
    if not rows.any():
        return {}
    pairs = pd.DataFrame(
        {
            "survivor": parse.parse_ids(frame.loc[rows, key].astype("string"))[0],
            "absorbed": listed[rows].str.split(";"),
        }
    ).explode("absorbed")
    absorbed = pairs["absorbed"].astype("string").str.strip()
    absorbed = absorbed.mask(absorbed.eq(""))
    parsed, bad = parse.parse_ids(absorbed)
    bad = (bad | parsed.str.contains(r"[\s,]", regex=True).fillna(False)).to_numpy(dtype=bool)
    if bad.any():
        warnings.append(_unreadable(table, absorbed[bad], frame.loc[pairs.index[bad]]))
    pairs["absorbed"] = parsed.mask(bad)
    pairs = pairs.dropna()
    pairs = pairs[pairs["absorbed"] != pairs["survivor"]]
    claims: dict[str, set[str]] = {}
    for survivor, absorbed in zip(pairs["survivor"], pairs["absorbed"], strict=True):
        claims.setdefault(str(absorbed), set()).add(str(survivor))
    return claims


def _unreadable(table: str, values: pd.Series, rows: pd.DataFrame) -> str:
    """The warning for listed merged ids that are not one id (`values`, of `rows`)."""
    where = ""
    if all(c in rows.columns for c in _PLACE):
        where = f" in {rows['_file'].iloc[0]} row {rows['_row'].iloc[0]}"  # the first example's
    examples = list(dict.fromkeys(values.astype(str)))[:3]
    shown = ", ".join(repr(v) for v in examples)
    n = len(values)
    ids, are = ("ids", "are") if n > 1 else ("id", "is")
    return (
        f"{table}: {n} {ids} listed as merged into a record ({MERGED_IDS}) {are} not one "
        f"id (e.g. {shown}{where}; a number a spreadsheet wrote as 2.0E+02, or ids separated "
        "by other than ';'): not taken; the records they name load as they are"
    )


def _final(record: str, parent: dict[str, str]) -> str | None:
    """The end of `record`'s chain of merges; None if the chain runs in a circle."""
    seen = set()
    while record in parent:
        if record in seen:
            return None
        seen.add(record)
        record = parent[record]
    return record


def _resolve(claims: dict[str, set[str]]) -> tuple[dict[str, str], list[str], list[str]]:
    """The redirects of `claims`, the ids claimed by unrelated survivors, the ids in cycles.

    An id claimed by one record merges into it; one claimed by several, into the final
    survivor they all lead to (a chain: the later survivor lists the earlier one's ids too).
    """
    parent = {a: next(iter(c)) for a, c in claims.items() if len(c) == 1}
    conflicts = []
    shared = {}
    for absorbed, claimants in claims.items():
        if len(claimants) > 1:
            ends = {_final(c, parent) for c in claimants}
            end = ends.pop() if len(ends) == 1 else None
            if end is None or end == absorbed:
                conflicts.append(absorbed)
            else:
                shared[absorbed] = end
    parent.update(shared)
    redirect, cycles = {}, []
    for absorbed in parent:
        end = _final(absorbed, parent)
        if end is None:
            cycles.append(absorbed)
        else:
            redirect[absorbed] = end
    return redirect, sorted(conflicts), sorted(cycles)


def _warnings(
    table: str, claims: dict[str, set[str]], conflicts: list[str], cycles: list[str]
) -> list[str]:
    """The warnings for ids claimed by unrelated survivors and for cycles of claims."""
    out = []
    if conflicts:
        first = conflicts[0]
        n = len(conflicts)
        ids, are = ("ids", "are") if n > 1 else ("id", "is")
        out.append(
            f"{table}: {n} {ids} {are} listed as merged ({MERGED_IDS}) into records "
            f"that are not merged with each other (e.g. {first} into "
            f"{' and '.join(sorted(claims[first]))}): taken as merged into none; their rows "
            "load as they are and rows naming them are not re-pointed"
        )
    if cycles:
        out.append(
            f"{table}: {len(cycles)} records list each other as merged ({MERGED_IDS}), in a "
            f"circle (e.g. {', '.join(cycles[:3])}): taken as merged into none; their rows load "
            "as they are"
        )
    return out
