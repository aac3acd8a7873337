"""What `smk.load` refuses instead of ignoring: reading options and export formats given for an
smk model (a folder written by `CRM.to_parquet`), and what a wrong format guess says."""

from __future__ import annotations

from pathlib import Path

import pytest

import smk
from smk.cli import main
from smk.errors import CRMExportError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("load-options") / "model"
    smk.load(FIXTURES / "hubspot" / "ui").to_parquet(folder)
    return folder


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"timezone": "America/New_York"}, "timezone= (--timezone)"),
        ({"dayfirst": True}, "dayfirst= (--dayfirst)"),
        ({"dayfirst": False}, "dayfirst= (--dayfirst)"),
        ({"decimal": ","}, "decimal= (--decimal)"),
        ({"timezone": "UTC", "decimal": "."}, "timezone=, decimal= (--timezone --decimal)"),
    ],
)
def test_reading_options_for_a_model_are_refused_not_ignored(model, options, named):
    with pytest.raises(CRMExportError) as err:
        smk.load(model, **options)
    assert err.value.file == str(model)
    assert err.value.reason.startswith(f"{named} cannot apply to an smk model")
    assert "read with the options of its export" in err.value.reason
    assert f"smk.load(export, {next(iter(options))}=...).to_parquet(folder)" in err.value.reason


def test_a_model_loads_without_options_as_itself(model):
    crm = smk.load(model)
    assert crm.from_model and len(crm.deals) == len(smk.load(FIXTURES / "hubspot" / "ui").deals)
    assert len(smk.load(model, format="parquet").deals) == len(crm.deals)


@pytest.mark.parametrize("fmt", ["hubspot", "canonical", "salesforce"])
def test_a_model_read_as_an_export_format_is_refused(model, fmt):
    """Its Parquet files (set-aside rows among them) are no export's tables."""
    with pytest.raises(CRMExportError) as err:
        smk.load(model, format=fmt)
    assert err.value.file == str(model)
    assert (
        f"an smk model (written by CRM.to_parquet, with smk-model.json), not a {fmt} export"
    ) in err.value.reason
    assert "format 'parquet'" in err.value.reason


def test_a_model_read_through_a_mapping_is_refused(model, tmp_path):
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text("tables:\n  deals:\n    files: ['*deal*']\n")
    with pytest.raises(CRMExportError, match="is an smk model .* not an export read through"):
        smk.load(model, mapping=mapping)


def test_cli_report_and_validate_refuse_what_a_model_would_ignore(model, tmp_path, capsys):
    out = str(tmp_path / "reports")
    args = ["report", "--data", str(model), "--out", out, "--timezone", "America/New_York"]
    assert main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "timezone= (--timezone) cannot apply to an smk model" in err and "bug" not in err
    assert main(["validate", str(model), "--format", "hubspot"]) == 2
    err = capsys.readouterr().err
    assert "is an smk model" in err and "not a hubspot export" in err


def test_a_guessed_format_is_named_when_a_required_column_is_missing():
    """A Zoho backup has `Record Id` headers, as HubSpot exports do: the failing file's own is
    named (the first file's, Accounts_001.csv, would point at another file)."""
    with pytest.raises(CRMExportError) as err:
        smk.load(FIXTURES / "zoho")
    assert err.value.column == "created_at" and "Created Time" in err.value.found_columns
    assert (
        "; read as a hubspot export (detected from a 'Record Id' header in Contacts_001.csv): "
        "if it is another CRM's export, give a mapping file (docs/mappings.md)"
    ) in err.value.reason


def test_a_format_given_is_not_said_to_be_guessed():
    with pytest.raises(CRMExportError) as err:
        smk.load(FIXTURES / "zoho", format="hubspot")
    assert err.value.column == "created_at" and "detected" not in err.value.reason


def test_an_error_copied_with_a_change_keeps_the_rest():
    from smk.errors import CRMExportError

    error = CRMExportError("bad", file="f.csv", column="c", row=3, value="v", found_columns=["a"])
    copy = error.but(reason="worse")
    assert (copy.reason, copy.file, copy.column, copy.row, copy.value) == (
        "worse",
        "f.csv",
        "c",
        3,
        "v",
    )
    assert copy.found_columns == ["a"] and str(copy).startswith("f.csv, row 3, column 'c': worse")
    assert error.but(file="g.csv").reason == "bad"
