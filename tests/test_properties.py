"""Property-based tests: however a valid HubSpot export is mangled, smk accounts for every row.

Starting from the UI export fixture (a subset of its columns), hypothesis blanks cells, writes
garbage into them, duplicates rows, empties rows, negates amounts and drops columns. `smk.load`
must then either raise CRMExportError (only when a required column is gone) or return a CRM in
which every table satisfies read == loaded + set aside, and read equals the number of data
records written.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smk
from smk.model import PRIMARY_KEYS, REQUIRED, SCHEMA, dtype_of

UI = Path(__file__).parent / "fixtures" / "hubspot" / "ui"
CONTACTS = "hubspot-crm-exports-all-contacts-2026-10-02.csv"
DEALS = "hubspot-crm-exports-all-deals-2026-10-02.csv"
CONTACT_COLUMNS = [
    "Record ID",
    "First Name",
    "Email",
    "Lifecycle Stage",
    "Create Date",
    "Became a Lead Date",
    "Became a Customer Date",
    "Original Source",
    "Contact owner",
    "Associated Company IDs",
    "Country/Region",
    "höbbela",
]
REQUIRED_HEADERS = {"Record ID", "Create Date"}  # contacts and deals alike


def _read(name: str, columns: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    with (UI / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    if columns is None:
        return header, body
    idx = [header.index(c) for c in columns]
    return columns, [[r[i] for i in idx] for r in body]


BASE = {"contacts": _read(CONTACTS, CONTACT_COLUMNS), "deals": _read(DEALS)}
FILES = {"contacts": CONTACTS, "deals": DEALS}

garbage = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=12,
    ),
    st.sampled_from(
        [
            "1.05284E+11",
            "-5",
            "yesterday",
            "Grand Totals (3 records)",
            "(120)",
            "1.234,50 €",
            "n/a",
            "TRUE",
            "02/23/26 08:55 PM",
            "1767225600000",
            '"',
            ";",
            "\n",
            "\r",
            "Closed Won",
            "Other",
            "30100001",
            "ada.apfelbaum@quillfeather.example",
            "2026-13-45 25:61",
            "9999-12-31",
            "2026-02-30T10:00:00Z",
            "31.12.2026",
            "1,05284E+11",
            "Confidential Information - Do Not Distribute",
        ]
    ),
)
operation = st.tuples(
    st.sampled_from(["contacts", "deals"]),
    st.sampled_from(["blank", "garbage", "duplicate", "empty", "negate", "drop_column"]),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=1000),
    garbage,
)


def mangle(ops: list[tuple]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Apply the operations to copies of the base export."""
    tables = {t: (list(h), [list(r) for r in rows]) for t, (h, rows) in BASE.items()}
    for table, kind, i, j, text in ops:
        header, rows = tables[table]
        if kind == "drop_column" and len(header) > 2:
            col = j % len(header)
            header.pop(col)
            for r in rows:
                r.pop(col)
            continue
        if not rows:
            continue
        r = i % len(rows)
        c = j % len(header)
        if kind == "blank":
            rows[r][c] = ""
        elif kind == "garbage":
            rows[r][c] = text
        elif kind == "duplicate":
            rows.insert(r, list(rows[r]))
        elif kind == "empty":
            rows[r] = [""] * len(header)
        elif kind == "negate" and "Amount" in header:
            a = header.index("Amount")
            rows[r][a] = "-" + rows[r][a] if rows[r][a] else "-1"
    return tables


def write(folder: Path, tables: dict[str, tuple[list[str], list[list[str]]]]) -> None:
    for table, (header, rows) in tables.items():
        with (folder / FILES[table]).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)  # default \r\n terminator: lone \r and \n get quoted
            writer.writerow(header)
            writer.writerows(rows)


def check_table(crm: smk.CRM, table: str, written: int) -> None:
    acc = crm.quality.tables[table]
    frame = getattr(crm, table)
    assert acc.read == written, (table, acc.read, written)
    assert acc.read == acc.loaded + acc.n_set_aside
    assert acc.loaded == len(frame)
    for col, kind in SCHEMA[table].items():
        assert str(frame[col].dtype) == dtype_of(kind), (table, col, frame[col].dtype)
    for col in REQUIRED[table]:
        assert frame[col].notna().all(), (table, col)
    key = PRIMARY_KEYS[table]
    assert frame[key].is_unique
    if len(acc.set_aside):
        assert acc.set_aside["_reason"].notna().all()
        rows = pd.to_numeric(acc.set_aside["_row"])
        assert rows.between(2, written + 1).all(), rows.tolist()


@settings(
    max_examples=int(os.environ.get("SMK_HYPOTHESIS_EXAMPLES", 50)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=st.lists(operation, max_size=8))
def test_mangled_hubspot_export_loads_with_every_row_accounted_for(ops: list[tuple]) -> None:
    tables = mangle(ops)
    lost_required = any(not set(h) >= REQUIRED_HEADERS for h, _ in tables.values())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, tables)
        try:
            crm = smk.load(folder)
        except smk.CRMExportError as exc:
            assert lost_required, f"unexpected error: {exc}"
            assert exc.column in {"contact_id", "created_at", "deal_id"}
            return
    assert not lost_required, "a required column was dropped but the load succeeded"
    assert crm.format == "hubspot"
    crm.quality.check()
    for table, (_, rows) in tables.items():
        check_table(crm, table, written=len(rows))
    deals = crm.deals
    assert (deals["amount"].dropna() >= 0).all()
    both = deals["closed_at"].notna() & deals["created_at"].notna()
    assert (deals.loc[both, "closed_at"] >= deals.loc[both, "created_at"]).all()
    # a deal names a loaded contact, or one in the export whose own row was set aside (the
    # deal is kept, with a warning: docs/data-model.md, "A record whose row was set aside")
    aside = crm.quality.set_aside("contacts")["contact_id"].dropna()
    known = pd.concat([crm.contacts["contact_id"], aside.astype("string")])
    assert deals["contact_id"].dropna().isin(known).all()
    kept = ~deals["contact_id"].dropna().isin(crm.contacts["contact_id"])
    assert not kept.any() or any("was set aside" in w for w in crm.quality.warnings)


def test_unmangled_base_export_loads_completely() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), mangle([]))
        crm = smk.load(tmp)
    assert crm.quality.to_dict()["tables"] == {
        "contacts": {"read": 8, "loaded": 8, "set_aside": 0, "reasons": {}},
        "deals": {"read": 6, "loaded": 6, "set_aside": 0, "reasons": {}},
    }


def test_mangling_operations_do_what_they_say() -> None:
    tables = mangle(
        [
            ("deals", "negate", 0, 0, ""),
            ("contacts", "duplicate", 1, 0, ""),
            ("contacts", "empty", 0, 0, ""),
            ("contacts", "drop_column", 0, 4, ""),
        ]
    )
    header, rows = tables["contacts"]
    assert "Create Date" not in header and len(rows) == 9
    assert rows[0] == [""] * len(header) and rows[1] == rows[2]
    deal_header, deal_rows = tables["deals"]
    assert deal_rows[0][deal_header.index("Amount")] == "-375000"


cell = st.one_of(
    garbage,
    st.from_regex(r"\A[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}( [0-9]{1,2}:[0-9]{2})?\Z"),
    st.from_regex(r"\A[-+(]?[€$]? ?[0-9]{1,3}([.,][0-9]{3})*([.,][0-9]{1,2})?\)?( €)?\Z"),
    st.integers(min_value=0, max_value=10**14).map(str),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(cell, max_size=12))
def test_parsers_never_raise_and_flag_only_cells_that_hold_something(values: list[str]) -> None:
    from smk.io import parse

    s = pd.Series(values, dtype="string")
    blank = parse.blank(s)
    v, bad, _ = parse.parse_datetimes(s)
    assert str(v.dtype) == "datetime64[ns, UTC]"
    results = [(v, bad)]
    results.append(parse.parse_numbers(s))
    results.append(parse.parse_integers(s))
    results.append(parse.parse_bools(s))
    results.append(parse.parse_ids(s))
    results.append(parse.parse_months(s)[:2])  # and the two-digit years
    for parsed, bad in results:
        assert len(parsed) == len(bad) == len(s)
        assert not (bad & blank).any()  # an empty cell is missing, never bad
        assert not (bad & parsed.notna()).any()  # a bad cell has no value
        assert parsed[blank].isna().all()
