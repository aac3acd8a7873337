"""SQL loader: the values a database types as numbers are read as numbers, on SQLite and DuckDB.

An id in a DECIMAL/NUMERIC(38,0) column keeps its exact digits (a float would make
900000000000000001 and ...002 one id), an amount or count stored as a number is never re-read
by the text rules (whose decimal-mark detection would read 99.99 as 9999 next to a '1.234,50'),
and a row set aside shows the value the database holds.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import smk
from smk.io import parse
from smk.io import sql as sqlmod
from smk.io.sql import load_sql

BACKENDS = ("sqlite", "duckdb")


def make_db(tmp_path: Path, backend: str, script: str) -> str:
    """Run `script` (SQL statements) in a fresh SQLite or DuckDB file; returns its URL."""
    path = tmp_path / ("crm.db" if backend == "sqlite" else "crm.duckdb")
    if backend == "sqlite":
        con = sqlite3.connect(path)
        con.executescript(script)
        con.commit()
    else:
        con = duckdb.connect(str(path))
        con.execute(script)
    con.close()
    return f"{backend}:///{path.as_posix()}"


def other_warnings(crm: smk.CRM) -> list[str]:
    """The load's warnings but the one on columns empty in every row and the one on deals
    naming no currency (these tables have none: the types are what is tested)."""
    skipped = ("empty in every row", "no deal names the currency of its amount")
    return [w for w in crm.quality.warnings if not any(s in w for s in skipped)]


DECIMAL_IDS = """
CREATE TABLE contacts (contact_id DECIMAL(38,0), created_at TIMESTAMP);
INSERT INTO contacts VALUES
    (123456789012345678, '2026-03-01 09:00:00'), (123456789012345679, '2026-03-02 09:00:00');
CREATE TABLE accounts (
    account_id DECIMAL(10,2), name VARCHAR, employees DECIMAL(10,0), annual_revenue DECIMAL(18,2)
);
INSERT INTO accounts VALUES (5.00, 'Five', 250, 1500000.25), (7.50, 'Seven', 1200, 98000000.10);
CREATE TABLE deals (
    deal_id DECIMAL(38,0), contact_id DECIMAL(38,0), account_id DECIMAL(10,2),
    created_at TIMESTAMP, amount DECIMAL(18,2), stage VARCHAR
);
INSERT INTO deals VALUES
    (900000000000000001, 123456789012345678, 5.00, '2026-03-05 10:00:00', 1234.50, 'Open'),
    (900000000000000002, 123456789012345679, 7.50, '2026-03-05 10:00:00', 99.99, 'Open'),
    (900000000000000003, 123456789012345679, NULL, '2026-03-05 10:00:00', 0.10, 'Open');
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_decimal_ids_keep_their_digits_and_numbers_their_values(tmp_path, backend):
    crm = load_sql(make_db(tmp_path, backend, DECIMAL_IDS))

    counts = {t: (a.read, a.loaded) for t, a in crm.quality.tables.items()}
    assert counts == {"contacts": (2, 2), "accounts": (2, 2), "deals": (3, 3)}
    assert other_warnings(crm) == []
    assert crm.contacts["contact_id"].tolist() == ["123456789012345678", "123456789012345679"]
    deals = crm.deals
    assert deals["deal_id"].tolist() == [
        "900000000000000001",
        "900000000000000002",
        "900000000000000003",
    ]
    assert deals["contact_id"].tolist() == [
        "123456789012345678",
        "123456789012345679",
        "123456789012345679",
    ]
    # a whole DECIMAL is its digits (5.00 -> 5); a non-whole one as the database writes it
    # (SQLite keeps no scale: its NUMERIC column holds the REAL 7.5)
    half = "7.50" if backend == "duckdb" else "7.5"
    assert crm.accounts["account_id"].tolist() == ["5", half]
    assert deals["account_id"].tolist()[:2] == ["5", half]  # and they match: no unknown account
    assert deals["amount"].dtype == "float64"
    assert deals["amount"].tolist() == [1234.5, 99.99, 0.1]
    assert crm.accounts["employees"].dtype == "Int64"
    assert crm.accounts["employees"].tolist() == [250, 1200]
    assert crm.accounts["annual_revenue"].tolist() == [1_500_000.25, 98_000_000.1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_set_aside_rows_show_the_values_the_database_holds(tmp_path, backend):
    script = """
    CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP);
    INSERT INTO contacts VALUES ('1', '2026-03-01 09:00:00');
    CREATE TABLE deals (
        deal_id DECIMAL(38,0), contact_id VARCHAR, created_at TIMESTAMP, amount DECIMAL(18,2)
    );
    INSERT INTO deals VALUES
        (900000000000000001, '1', '2026-03-05 10:00:00', 1234.50),
        (900000000000000001, '1', '2026-03-06 10:00:00', 10.00),
        (900000000000000004, '1', NULL, 99.99);
    """
    crm = load_sql(make_db(tmp_path, backend, script))

    assert crm.deals["deal_id"].tolist() == ["900000000000000001"]
    aside = crm.quality.set_aside("deals").set_index("_reason")
    assert aside.loc["missing created_at", "deal_id"] == "900000000000000004"
    assert aside.loc["missing created_at", "amount"] == "99.99"
    assert aside.loc["duplicate deal_id", "deal_id"] == "900000000000000001"
    assert float(aside.loc["duplicate deal_id", "amount"]) == 10.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_id_stored_as_a_float_beyond_2_53_is_set_aside_not_loaded_as_another_id(
    tmp_path, backend
):
    """A DOUBLE/REAL holds 123456789012345678 as 1.2345678901234568e17, and any id past 2**53
    only as the float nearest to it: not the CRM's id (as an Excel cell's, `files._excel_cell`).
    A whole float within 2**53 is its digits."""
    script = """
    CREATE TABLE contacts (contact_id DOUBLE, created_at VARCHAR);
    INSERT INTO contacts VALUES (123456789012345678, '2026-03-01'), (1e20, '2026-03-01'),
        (4000000001, '2026-03-02'), (12.0, '2026-03-03');
    """
    crm = load_sql(make_db(tmp_path, backend, script))

    assert crm.contacts["contact_id"].tolist() == ["4000000001", "12"]
    aside = crm.quality.set_aside("contacts")
    assert aside["_reason"].tolist() == ["unparseable contact_id"] * 2
    assert aside["contact_id"].tolist() == ["1.2345678901234568e+17", "1.0e+20"]


MIXED = {
    # SQLite stores any value in any column: REAL amounts next to a European text amount
    "sqlite": (
        """
        CREATE TABLE contacts (contact_id TEXT, created_at TEXT);
        INSERT INTO contacts VALUES ('1', '2026-03-01');
        CREATE TABLE deals (deal_id TEXT, contact_id TEXT, created_at TEXT, amount);
        INSERT INTO deals VALUES
            ('d1', '1', '2026-03-05', 99.99), ('d2', '1', '2026-03-05', 1234.5),
            ('d3', '1', '2026-03-05', '1.234,50'), ('d4', '1', '2026-03-05', 1.234);
        CREATE TABLE accounts (account_id TEXT, employees);
        INSERT INTO accounts VALUES ('a1', 1500), ('a2', '2.500'), ('a3', 12.0);
        """,
        [99.99, 1234.5, 1234.5, 1.234],
    ),
    # DuckDB types every column: a decimal mark given for text numbers must not touch them
    "duckdb": (
        """
        CREATE TABLE contacts (contact_id VARCHAR, created_at VARCHAR);
        INSERT INTO contacts VALUES ('1', '2026-03-01');
        CREATE TABLE deals (deal_id VARCHAR, contact_id VARCHAR, created_at VARCHAR, amount DOUBLE);
        INSERT INTO deals VALUES
            ('d1', '1', '2026-03-05', 99.99), ('d2', '1', '2026-03-05', 1234.5),
            ('d3', '1', '2026-03-05', 1234.5), ('d4', '1', '2026-03-05', 1.234);
        CREATE TABLE accounts (account_id VARCHAR, employees VARCHAR);
        INSERT INTO accounts VALUES ('a1', '1500'), ('a2', '2.500'), ('a3', '12');
        """,
        [99.99, 1234.5, 1234.5, 1.234],
    ),
}


@pytest.mark.parametrize("decimal", [None, ","])
@pytest.mark.parametrize("chunk", [None, 2], ids=["one_chunk", "chunks_of_2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_typed_numbers_are_never_reread_as_text(tmp_path, backend, chunk, decimal, monkeypatch):
    """Only the text values of a column go through the text rules (the decimal-mark detection
    sees only them); in chunks, a column typed in one and text in another reads the same."""
    if chunk is not None:
        monkeypatch.setattr(sqlmod, "_CHUNK", chunk)
    script, amounts = MIXED[backend]
    crm = load_sql(make_db(tmp_path, backend, script), decimal=decimal)

    assert crm.deals["amount"].dtype == "float64"
    assert crm.deals["amount"].tolist() == amounts
    assert crm.accounts["employees"].dtype == "Int64"
    assert crm.accounts["employees"].tolist() == [1500, 2500, 12]
    assert other_warnings(crm) == []


def test_a_number_column_empty_in_a_chunk_keeps_its_type(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlmod, "_CHUNK", 2)
    script = """
    CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP, became_mql_at TIMESTAMP);
    INSERT INTO contacts VALUES ('1', '2026-03-01 09:00', NULL), ('2', '2026-03-01 09:00', NULL),
        ('3', '2026-03-01 09:00', '2026-03-04 10:00');
    CREATE TABLE deals (deal_id VARCHAR, contact_id VARCHAR, created_at TIMESTAMP, amount DOUBLE);
    INSERT INTO deals VALUES ('d1', '1', '2026-03-05', NULL), ('d2', '1', '2026-03-05', NULL),
        ('d3', '1', '2026-03-05', 1.234);
    """
    crm = load_sql(make_db(tmp_path, "duckdb", script), decimal=",")
    assert crm.deals["amount"].tolist()[2] == 1.234
    assert crm.contacts["became_mql_at"].tolist()[2] == pd.Timestamp("2026-03-04 10:00", tz="UTC")
    assert other_warnings(crm) == [  # the two amounts left blank, no warning about types
        "deals: 2 of 3 deals (0 of them won) have no amount: they count as deals, but add "
        "nothing to pipeline or won revenue, whose figures say how many deals they leave out"
    ]


@pytest.mark.parametrize(
    "value, written, neutral",
    [
        (Decimal("900000000000000001"), "900000000000000001", "900000000000000001"),
        (Decimal("5.00"), "5", "5"),
        (Decimal("1234.50"), "1234.50", "123450e-2"),
        (Decimal("-0.0000001"), "-0.0000001", "-1e-7"),
        (99.99, "99.99", "9999e-2"),
        (1.234, "1.234", "1234e-3"),
        (1e20, "1.0e+20", "100000000000000000000"),
        (42, "42", "42"),
    ],
)
def test_number_text_writes_numbers_exactly_and_without_a_mark_for_the_text_rules(
    value, written, neutral
):
    from smk.io.sql import _number_text

    assert _number_text(value) == written
    assert _number_text(value, neutral=True) == neutral
    # the neutral form shows no decimal mark: read the same whichever mark a column shows
    for mark in (None, ".", ","):
        numbers, bad = parse.parse_numbers(pd.Series([neutral], dtype="string"), mark)
        assert numbers.iloc[0] == float(value) and not bad.iloc[0]
