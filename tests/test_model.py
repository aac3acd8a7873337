"""The canonical model: schema, documentation, Parquet cache and clear errors for missing tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smk
from smk import config
from smk.model import BY_DESIGN_REASONS, CRM, SCHEMA, TABLES, empty_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"


def test_data_model_doc_names_every_column_of_every_table():
    text = DOC.read_text()
    for table, columns in SCHEMA.items():
        assert f"## {table}" in text
        for col in columns:
            assert f"| {col} |" in text, f"{table}.{col} is not documented"


def test_empty_tables_have_canonical_columns_and_dtypes():
    crm = CRM()
    for name in TABLES:
        frame = getattr(crm, name)
        assert list(frame.columns) == list(SCHEMA[name])
        assert frame.empty
    assert str(crm.contacts["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(crm.deals["amount"].dtype) == "float64"
    assert str(crm.deals["is_won"].dtype) == "boolean"
    assert str(crm.accounts["employees"].dtype) == "Int64"


def test_require_names_the_missing_table_and_the_analysis():
    crm = CRM(format="hubspot", source="x")
    with pytest.raises(ValueError, match="attribution needs the touchpoints"):
        crm.require("touchpoints", analysis="attribution")


def _tiny_crm(tmp_path: Path) -> CRM:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,email,created_at,lifecycle_stage,became_mql_at,original_source\n"
        "c1,a@example.test,2026-01-02T10:00:00Z,mql,2026-01-05T09:30:00Z,paid_search\n"
        "c2,b@example.test,2026-01-03T11:00:00Z,lead,,email\n"
        "c3,c@example.test,not-a-date,lead,,email\n"
    )
    (folder / "deals.csv").write_text(
        "deal_id,contact_id,created_at,amount,is_won,is_closed\n"
        "d1,c1,2026-02-01T00:00:00Z,1200.5,true,true\n"
    )
    return smk.load(folder)


def test_canonical_folder_loads_with_types_and_accounts_for_rows(tmp_path):
    crm = _tiny_crm(tmp_path)
    assert crm.format == "canonical"
    assert list(crm.contacts["contact_id"]) == ["c1", "c2"]
    assert crm.contacts.loc[0, "became_mql_at"] == pd.Timestamp("2026-01-05 09:30", tz="UTC")
    assert crm.deals.loc[0, "amount"] == 1200.5
    assert crm.quality.to_dict()["tables"]["contacts"] == {
        "read": 3,
        "loaded": 2,
        "set_aside": 1,
        "reasons": {"unparseable created_at": 1},
    }
    assert crm.missing_tables() == ["accounts", "touchpoints", "activities", "spend"]


def test_parquet_cache_round_trips_tables_and_quality(tmp_path):
    crm = _tiny_crm(tmp_path)
    cache = crm.to_parquet(tmp_path / "cache")
    again = smk.load(cache)
    assert again.format == "canonical"
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(crm, name), check_dtype=True)
    assert again.quality.to_dict() == crm.quality.to_dict()
    assert list(again.quality.set_aside("contacts")["_reason"]) == ["unparseable created_at"]


def test_parquet_cache_reads_only_the_tables_and_columns_asked_for(tmp_path):
    crm = _tiny_crm(tmp_path)
    cache = crm.to_parquet(tmp_path / "cache")
    part = CRM.from_parquet(cache, columns={"deals": ["amount", "deal_id"], "contacts": "email"})
    assert list(part.deals.columns) == ["deal_id", "amount"]  # in the model's order
    pd.testing.assert_frame_equal(part.deals, crm.deals[["deal_id", "amount"]])
    pd.testing.assert_frame_equal(part.contacts, crm.contacts[["email"]])
    for name in ("accounts", "touchpoints", "activities", "spend"):
        pd.testing.assert_frame_equal(getattr(part, name), empty_table(name))
    assert set(part.quality.tables) == {"contacts", "deals"}  # the account of the tables read
    assert (
        part.quality.to_dict()["tables"]["contacts"] == crm.quality.to_dict()["tables"]["contacts"]
    )
    part.quality.check()
    assert (part.source, part.format) == (crm.source, crm.format)


def test_parquet_cache_refuses_unknown_tables_and_columns(tmp_path):
    cache = _tiny_crm(tmp_path).to_parquet(tmp_path / "cache")
    with pytest.raises(ValueError, match="unknown table.*opportunities"):
        CRM.from_parquet(cache, columns={"opportunities": ["amount"]})
    with pytest.raises(ValueError, match="deals has no column.*revenue"):
        CRM.from_parquet(cache, columns={"deals": ["deal_id", "revenue"]})


def test_empty_table_helper_matches_schema():
    for name in TABLES:
        assert list(empty_table(name).columns) == list(SCHEMA[name])


def test_a_missing_table_is_a_no_data_error_for_the_report():
    from smk.errors import NoDataError

    crm = CRM(format="hubspot", source="/home/jdoe/exports/hubspot-2026-10")
    with pytest.raises(NoDataError) as err:  # the report publishes such a page as lacking data
        crm.require("deals", analysis="the win rate")
    assert "(hubspot: hubspot-2026-10)" in str(err.value) and "jdoe" not in str(err.value)


def test_set_aside_rows_show_each_tables_own_id_once():
    from smk import config
    from smk.quality import set_aside_rows

    crm = smk.load(config.SAMPLE_HUBSPOT)
    shown = {t: set_aside_rows(crm, t) for t in crm.quality.tables}
    assert list(shown["deals"].columns) == ["file", "row", "reason", "deal_id"]
    activities = shown["activities"]
    assert list(activities.columns) == ["file", "row", "reason", "activity_id", "deal_id"]
    aside = crm.quality.set_aside("activities")
    assert activities["activity_id"].tolist() == aside["activity_id"].tolist()
    assert "duplicate activity_id" in set(activities["reason"])
    for table, frame in shown.items():
        assert frame.columns.is_unique, table
        assert not {"email", "First Name", "Last Name"} & set(frame.columns), table


def test_set_aside_of_a_clean_table_has_the_columns_and_a_typo_is_an_error():
    from smk import config

    crm = smk.load(config.SAMPLE_HUBSPOT)
    tables = list(crm.quality.to_dict()["tables"])
    clean = [
        t for t in TABLES if not crm.quality.tables.get(t) or not crm.quality.tables[t].n_set_aside
    ]
    assert clean  # the sample has a table with nothing set aside
    for table in clean:
        aside = crm.quality.set_aside(table)
        assert aside.empty and {"_reason", "_file", "_row"} <= set(aside.columns)
        assert aside["_reason"].value_counts().empty
    with pytest.raises(ValueError, match="no table 'dealz' in the data model"):
        crm.quality.set_aside("dealz")
    assert list(crm.quality.to_dict()["tables"]) == tables  # no phantom table in the account


def test_the_analysis_modules_are_reached_from_a_plain_import_smk():
    import subprocess
    import sys

    code = "import smk; print(sorted(smk.attribution.journey_columns('won')), smk.sla.SLA)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "['contacts', 'deals', 'touchpoints']" in done.stdout
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        smk.nothing  # noqa: B018


def test_set_aside_counts_tell_the_models_own_rules_from_faults_of_the_export():
    """Merged duplicates and converted leads are set aside by design: the data-quality page
    must not count them as faults to fix (286 of the Salesforce sample's 297 were)."""
    from smk import config, quality
    from smk.model import BY_DESIGN_REASONS, MERGED_CONVERTED_LEAD, MERGED_SAME_EMAIL

    crm = smk.load(config.SAMPLE_SALESFORCE)
    reasons = quality.reasons_table(crm).groupby("reason")["rows"].sum()
    counts = quality.set_aside_counts(crm)
    assert counts["total"] == int(crm.quality.to_frame()["set_aside"].sum())
    assert counts["by_design"] == reasons[MERGED_CONVERTED_LEAD] + reasons[MERGED_SAME_EMAIL]
    assert counts["by_design"] > 200  # the sample's converted leads
    faults = reasons[[r for r in reasons.index if r not in BY_DESIGN_REASONS]]
    assert counts["faults"] == faults.sum() > 0
    assert counts["total"] == counts["by_design"] + counts["faults"]


def test_one_rule_for_what_a_number_is_across_the_settings_checks():
    """`smk.checks`: a bool or a text is no number; a whole number may be written 3.0."""
    import numpy as np

    from smk.checks import is_number, is_whole

    for value in (3, 3.0, np.int64(3), np.float32(3.0), -2, float("nan")):
        assert is_number(value), value
    for value in (True, np.True_, "3", None, [3]):
        assert not is_number(value) and not is_whole(value), value
    assert is_whole(3.0) and is_whole(np.int64(-2)) and is_whole(10**400)  # no OverflowError
    for value in (2.5, float("nan"), float("inf")):
        assert not is_whole(value), value


@pytest.mark.parametrize(
    ("damage", "file"),
    [
        ({"smk-model.json": '{"tables": '}, "smk-model.json"),  # cut short
        ({"smk-model.json": "[]"}, "smk-model.json"),
        (
            {"smk-model.json": '{"format": "canonical", "quality": {"contacts": 5}}'},
            "smk-model.json",
        ),
        ({"deals.parquet": "PAR1 cut"}, "deals.parquet"),
        ({"contacts.parquet": None}, "contacts.parquet"),  # deleted
        # of another shape: loaded as usable before (exit 0), counts that no longer add up
        ({"contacts.parquet": pd.DataFrame({"x": [1, 2]})}, "contacts.parquet"),
        ({"deals.parquet": "folder"}, "deals.parquet"),
        ({"deals.parquet": pd.read_parquet}, "smk-model.json"),  # a row short of its count
    ],
)
def test_a_damaged_model_cache_is_an_export_error_naming_the_file(tmp_path, damage, file):
    """A cut or hand-edited smk-model.json or Parquet file was an internal error (KeyError,
    JSONDecodeError, FileNotFoundError): `smk validate` exits 2 naming the file instead."""
    from smk import config
    from smk.errors import CRMExportError

    cache = smk.load(config.SAMPLE_HUBSPOT).to_parquet(tmp_path / "cache")
    for name, text in damage.items():
        if callable(text):  # the table a row short
            text(cache / name).iloc[1:].to_parquet(cache / name, index=False)
            continue
        (cache / name).unlink()
        if isinstance(text, pd.DataFrame):
            text.to_parquet(cache / name)
        elif text == "folder":
            (cache / name).mkdir()
        elif text is not None:
            (cache / name).write_text(text)
    with pytest.raises(CRMExportError, match="damaged smk model cache") as err:
        smk.load(cache)
    assert err.value.file == str(cache / file)


def test_a_model_filtered_after_loading_reads_back_as_written(tmp_path):
    """`replace(crm, contacts=crm.contacts[mask]).to_parquet(d)` wrote a cache that reading
    called damaged (the account says 2,500 loaded, the table held 211 rows)."""
    import dataclasses

    from smk import config

    crm = smk.load(config.SAMPLE_HUBSPOT)
    some = dataclasses.replace(crm, contacts=crm.contacts[crm.contacts["country"] == "Germany"])
    again = smk.load(some.to_parquet(tmp_path / "some"))
    pd.testing.assert_frame_equal(again.contacts, some.contacts.reset_index(drop=True))
    assert again.quality.to_dict() == crm.quality.to_dict()  # the account is the load's


def test_a_report_downloads_footer_is_set_aside_by_design():
    """Salesforce report downloads end in "Grand Totals", confidentiality and copyright lines
    with blank lines between them: part of the download's format, which no one can fix at the
    source, but they were counted as 33 faults of the export."""
    from smk import quality
    from smk.model import EMPTY_ROW, REPORT_FOOTER

    crm = smk.load(Path(__file__).parent / "fixtures" / "salesforce" / "report")
    reasons = quality.reasons_table(crm).groupby("reason")["rows"].sum()
    assert reasons[REPORT_FOOTER] > 0 and reasons[EMPTY_ROW] > 0  # the footers' blank lines
    assert set(reasons.index) <= BY_DESIGN_REASONS | {EMPTY_ROW}  # nothing else is wrong
    counts = quality.set_aside_counts(crm)
    assert counts == {"total": reasons.sum(), "by_design": reasons.sum(), "faults": 0}
    assert quality.footer_blank_lines(crm) == reasons[EMPTY_ROW]


FOOTER_CASE = Path(__file__).parent / "data" / "bad" / "salesforce-footer-in-hubspot-file"


def _with_footer(tmp_path: Path, middle: list[str]) -> Path:
    """The HubSpot contacts file of the `salesforce-footer-in-hubspot-file` case (three
    records, then a Salesforce report footer) with `middle` put after its first record."""
    source = next(FOOTER_CASE.glob("*.csv"))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / source.name).write_text("".join(lines[:2] + middle + lines[2:]), encoding="utf-8")
    return folder


def test_a_blank_row_inside_the_data_stays_a_fault_beside_a_report_footer(tmp_path):
    """Only the blank lines after the file's last data row belong to its footer; a blank row
    between records (quoted, or a full row of empty cells) is a fault of the export."""
    from smk import quality
    from smk.model import EMPTY_ROW, REPORT_FOOTER

    header = next(FOOTER_CASE.glob("*.csv")).read_text(encoding="utf-8").splitlines()[0]
    commas = "," * header.count('","') + "\n"  # a row of empty cells, as wide as the header
    crm = smk.load(_with_footer(tmp_path, ['""\n', commas]), format="hubspot")
    assert crm.contacts["_row"].tolist() == [2, 5, 6]  # the records around the blank rows
    aside = crm.quality.set_aside("contacts")
    rows = pd.to_numeric(aside["_row"])
    inside, footer = aside[rows < 6], aside[rows > 6]
    assert inside["_reason"].tolist() == [EMPTY_ROW, EMPTY_ROW]  # the two blank rows put in
    assert set(footer["_reason"]) == {EMPTY_ROW, REPORT_FOOTER} and len(footer) == 5
    expected = {"total": 7, "by_design": len(footer), "faults": len(inside)}
    assert quality.set_aside_counts(crm) == expected
    again = smk.load(crm.to_parquet(tmp_path / "model"))  # the same from a model
    assert quality.set_aside_counts(again) == expected
    # read without `_file` and `_row` (columns=), a blank row's place is not known: a fault
    part = CRM.from_parquet(tmp_path / "model", columns={"contacts": ["contact_id"]})
    blank_in_footer = int((footer["_reason"] == EMPTY_ROW).sum())
    assert quality.set_aside_counts(part)["faults"] == len(inside) + blank_in_footer


def test_a_blank_row_of_a_file_without_a_footer_stays_a_fault(tmp_path):
    from smk import quality

    case = Path(__file__).parent / "data" / "bad" / "empty-trailing-rows"
    crm = smk.load(case)
    counts = quality.set_aside_counts(crm)
    assert counts["total"] == crm.quality.tables["contacts"].n_set_aside > 0
    assert counts["by_design"] == 0 and counts["faults"] == counts["total"]


def test_a_crm_built_with_naive_timestamps_is_refused_naming_table_and_column():
    """Naive timestamps were taken as UTC by the funnel and failed inside pandas in the
    scorecard ("Cannot compare tz-naive and tz-aware")."""
    import dataclasses

    contacts = pd.DataFrame(
        {"contact_id": ["1"], "created_at": pd.to_datetime(["2026-01-02 10:00"])}
    )
    with pytest.raises(ValueError, match=r"CRM contacts\.created_at holds timestamps without"):
        CRM(contacts=contacts)
    aware = CRM(contacts=contacts.assign(created_at=contacts["created_at"].dt.tz_localize("UTC")))
    deals = pd.DataFrame({"deal_id": ["7"], "closed_at": pd.to_datetime(["2026-01-05"])})
    with pytest.raises(ValueError, match=r"CRM deals\.closed_at .*tz_localize\('UTC'\)"):
        dataclasses.replace(aware, deals=deals)


# ------------------------------------------------------------------ ids of a CRM built by hand
def test_a_crm_built_with_integer_ids_holds_them_as_text_and_segments_as_with_text_ids():
    """int64 contact ids were accepted, then `account_features` failed deep in pandas
    ("merge on string and int64 columns"); ids are text, whole numbers their digits."""
    from smk import segmentation as sg

    crm = smk.load(config.SAMPLE_HUBSPOT)
    as_ints = CRM(
        contacts=crm.contacts.astype({"contact_id": "int64"}),
        touchpoints=crm.touchpoints.astype({"contact_id": "int64"}),
        deals=crm.deals,
        accounts=crm.accounts,
        activities=crm.activities,
    )
    assert str(as_ints.contacts["contact_id"].dtype) == "string"
    assert as_ints.contacts["contact_id"].tolist() == crm.contacts["contact_id"].tolist()
    fx = {"fx_rates": {"EUR": 1.0, "USD": 0.92}}
    expected = sg.account_features(crm, **fx)
    pd.testing.assert_frame_equal(sg.account_features(as_ints, **fx), expected)


def test_whole_float_ids_are_their_digits_as_the_loaders_read_them():
    """ids with gaps are floats in pandas: `123.0` is `123`, as `parse_ids` reads text."""
    crm = CRM(contacts=pd.DataFrame({"contact_id": [123.0, None, 7.0]}))
    assert crm.contacts["contact_id"].tolist() == ["123", pd.NA, "7"]
    assert str(crm.contacts["contact_id"].dtype) == "string"
    mixed_objects = CRM(deals=pd.DataFrame({"deal_id": pd.Series([5, np.int64(6)], dtype=object)}))
    assert mixed_objects.deals["deal_id"].tolist() == ["5", "6"]


def test_whole_decimal_ids_are_their_digits_and_str_ids_take_the_models_dtype():
    """`Decimal("3")` (a database driver's NUMERIC) was refused as "neither text nor a whole
    number"; ids of pandas' `str` dtype kept it, missing ones NaN, not the model's `string`."""
    from decimal import Decimal

    decimals = pd.Series([Decimal("3"), Decimal("4.0"), Decimal("1E+20"), None], dtype=object)
    crm = CRM(deals=pd.DataFrame({"deal_id": decimals}))
    assert crm.deals["deal_id"].tolist() == ["3", "4", "100000000000000000000", pd.NA]
    with pytest.raises(ValueError, match=r"neither text nor a whole number \(index 0: Decimal"):
        CRM(deals=pd.DataFrame({"deal_id": [Decimal("2.5")]}))
    as_str = pd.Series(["a", None, "c"], dtype=pd.StringDtype(na_value=np.nan))  # pandas 3's str
    contacts = CRM(contacts=pd.DataFrame({"contact_id": as_str})).contacts["contact_id"]
    assert contacts.dtype == pd.api.types.pandas_dtype("string")
    assert contacts.tolist() == ["a", pd.NA, "c"]


@pytest.mark.parametrize(
    "values, said",
    [
        ([1.0, 2.5], r"holds a value that is neither text nor a whole number \(index 1: 2\.5\)"),
        (["A1", 2], r"mixes numbers with text \(index 1: 2\)"),
        ([True, False], r"holds a value that is neither text nor a whole number \(index 0: True\)"),
        ([2.0**60, None], r"holds a float too large to hold a whole id exactly"),
    ],
)
def test_ids_that_are_no_text_and_no_whole_numbers_are_refused_naming_table_and_column(
    values, said
):
    frame = pd.DataFrame({"touchpoint_id": ["t1", "t2"], "contact_id": values})
    with pytest.raises(ValueError, match=rf"CRM touchpoints\.contact_id {said}"):
        CRM(touchpoints=frame)


def test_make_table_reads_ids_by_the_same_rule():
    from smk.model import make_table

    deals = make_table("deals", [{"deal_id": 1.0, "account_id": 30}])
    assert deals.loc[0, ["deal_id", "account_id"]].tolist() == ["1", "30"]
    with pytest.raises(ValueError, match=r"CRM deals\.deal_id holds a value that is neither"):
        make_table("deals", [{"deal_id": 1.5}])
