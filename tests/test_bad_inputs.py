"""The malformed-input corpus: every broken export either fails with a message that says where,
or loads with every unusable row set aside for a stated reason.

Cases live in tests/data/bad/<case>/ and their expected outcome in tests/data/bad/EXPECTED.yaml.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

import smk
from smk import cli
from smk.model import SCHEMA, dtype_of

BAD = Path(__file__).parent / "data" / "bad"
EXPECTED: dict[str, dict] = yaml.safe_load((BAD / "EXPECTED.yaml").read_text(encoding="utf-8"))
ERRORS = sorted(k for k, v in EXPECTED.items() if "error" in v)
LOADS = sorted(k for k, v in EXPECTED.items() if "error" not in v)


def case_path(case: str) -> Path:
    """The file or folder a case loads."""
    spec = EXPECTED[case]
    return (BAD / case / spec["path"]).resolve() if "path" in spec else BAD / case


@functools.cache
def loaded(case: str) -> smk.CRM:
    """Each loadable case is loaded once per test run (the tests only read it)."""
    return smk.load(case_path(case))


def same(got: object, expected: object) -> bool:
    """Compare a loaded cell with a YAML value (datetimes given as UTC wall-clock text)."""
    if expected is None:
        return got is None or bool(pd.isna(got))
    if isinstance(got, pd.Timestamp):
        return got == pd.Timestamp(expected, tz="UTC")
    if isinstance(expected, float):
        return not pd.isna(got) and math.isclose(float(got), expected)
    if isinstance(expected, bool):
        return not pd.isna(got) and bool(got) is expected
    if isinstance(expected, int):
        return int(got) == expected
    return got == expected


def test_every_corpus_folder_has_an_expected_outcome() -> None:
    folders = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert folders - set(EXPECTED) == set()
    for case in EXPECTED:
        assert case_path(case).exists(), case
    assert len(folders) >= 30


def test_corpus_covers_both_failures_and_set_aside_rows() -> None:
    assert len(ERRORS) >= 10
    reasons = {
        reason
        for case in LOADS
        for table in EXPECTED[case]["tables"].values()
        for reason in table["reasons"]
    }
    assert {
        "unparseable created_at",
        "missing contact_id",
        "duplicate contact_id",
        "merged into contact with same email",
        "unknown account_id",
        "unknown contact_id",
        "negative amount",
        "closed_at before created_at",
        "empty row",
        "wrong number of fields",
        "report footer",
    } <= reasons


@pytest.mark.parametrize("case", ERRORS)
def test_broken_export_raises_an_error_that_says_where(case: str) -> None:
    spec = EXPECTED[case]["error"]
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(case_path(case))
    message = str(info.value)
    for part in spec["contains"]:
        assert part in message, f"{part!r} not in {message!r}"
    assert info.value.column == spec["column"]
    if spec["column"]:
        assert f"column {spec['column']!r}" in message
    assert "Traceback" not in message and "\n" not in message


@pytest.mark.parametrize("case", LOADS)
def test_malformed_rows_are_set_aside_with_their_reason_and_row(case: str) -> None:
    spec = EXPECTED[case]
    crm = loaded(case)
    assert crm.format == spec["format"]
    assert set(crm.quality.tables) == set(spec["tables"])
    for table, want in spec["tables"].items():
        acc = crm.quality.tables[table]
        assert acc.read == want["read"], table
        assert acc.loaded == want["loaded"] == len(getattr(crm, table)), table
        assert acc.reasons() == want["reasons"], table
        assert acc.read == acc.loaded + acc.n_set_aside
        assert acc.merged == want.get("merged", 0)
        for reason, rows in want.get("rows", {}).items():
            aside = acc.set_aside[acc.set_aside["_reason"] == reason]
            assert sorted(int(r) for r in aside["_row"]) == rows, (table, reason)
            assert set(aside["_file"]) <= set(crm.quality.files[table])


@pytest.mark.parametrize("case", [c for c in LOADS if "warnings" in EXPECTED[c]])
def test_load_warns_exactly_when_expected(case: str) -> None:
    want = EXPECTED[case]["warnings"]
    warnings = loaded(case).quality.warnings
    if not want:
        assert warnings == []
    for part in want:
        assert any(part in w for w in warnings), f"{part!r} not in {warnings!r}"
    for w in warnings:  # and no warning the case does not name
        assert any(part in w for part in want), f"unexpected warning {w!r}"


@pytest.mark.parametrize("case", [c for c in LOADS if "values" in EXPECTED[c]])
def test_tolerated_quirks_load_with_exact_values(case: str) -> None:
    crm = loaded(case)
    for table, rows in EXPECTED[case]["values"].items():
        frame = getattr(crm, table)
        key = {"contacts": "contact_id", "deals": "deal_id", "accounts": "account_id"}.get(
            table, "activity_id"
        )
        indexed = frame.set_index(key)
        for rid, columns in rows.items():
            assert rid in indexed.index, (table, rid)
            for col, expected in columns.items():
                got = indexed.loc[rid, col]
                assert same(got, expected), (table, rid, col, got, expected)


@pytest.mark.parametrize("case", LOADS)
def test_loaded_tables_keep_the_schema_dtypes(case: str) -> None:
    crm = loaded(case)
    for table, frame in crm.tables().items():
        for col, kind in SCHEMA[table].items():
            assert str(frame[col].dtype) == dtype_of(kind), (table, col, frame[col].dtype)


def test_set_aside_rows_keep_the_original_text_of_their_cells() -> None:
    crm = loaded("unparseable-date")
    aside = crm.quality.set_aside("contacts")
    assert aside["created_at"].tolist() == ["yesterday"]
    assert aside["contact_id"].tolist() == ["30200002"]


def test_ragged_and_footer_rows_carry_their_raw_line() -> None:
    crm = loaded("salesforce-footer-in-hubspot-file")
    aside = crm.quality.set_aside("contacts")
    footer = aside[aside["_reason"] == "report footer"]["_text"].tolist()
    assert footer[0] == '"Grand Totals (3 records)"'
    assert "_text" not in crm.contacts.columns


def test_merged_contact_points_at_its_survivor() -> None:
    crm = loaded("duplicate-email-merged")
    aside = crm.quality.set_aside("contacts")
    assert aside.set_index("contact_id").loc["30200009", "_merged_into"] == "30200001"


# ------------------------------------------------------------------ the same through the CLI
@pytest.mark.parametrize(
    "case", ["contacts-without-record-id", "binary-png-named-csv", "unknown-format", "empty-file"]
)
def test_cli_validate_exits_2_and_prints_the_same_message(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["validate", str(case_path(case))])
    err = capsys.readouterr().err
    assert code == 2
    for part in EXPECTED[case]["error"]["contains"]:
        assert part in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "case",
    ["salesforce-footer-in-hubspot-file", "duplicate-email-merged", "deal-with-unknown-account"],
)
def test_cli_validate_json_reports_the_same_account(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["validate", "--json", str(case_path(case))])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    for table, want in EXPECTED[case]["tables"].items():
        got = payload["tables"][table]
        assert (got["read"], got["loaded"], got["reasons"]) == (
            want["read"],
            want["loaded"],
            want["reasons"],
        )
