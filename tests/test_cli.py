"""The `smk` command line: the contract schedulers and users' scripts rely on."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.cli import main

CONTACTS = (
    "Record ID,First Name,Email,Lifecycle Stage,Create Date,Original Source\n"
    "101,Ada,ada@example.test,Lead,2026-01-04 10:00,Organic Search\n"
    "102,Bo,bo@example.test,Customer,2026-13-45 10:00,Paid Search\n"
)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "hubspot"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(CONTACTS)
    return folder


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smk", *args], capture_output=True, text=True, timeout=120
    )


def test_help_lists_subcommands_and_each_has_help():
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("validate", "synth"):
        assert command in out.stdout
        sub = run_cli(command, "--help")
        assert sub.returncode == 0 and "usage: smk " + command in sub.stdout


def test_validate_json_accounts_for_every_row(export, capsys):
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["format"] == "hubspot"
    contacts = payload["tables"]["contacts"]
    assert contacts == {
        "read": 2,
        "loaded": 1,
        "set_aside": 1,
        "reasons": {"unparseable created_at": 1},
    }


def test_validate_table_output_shows_account_and_stages(export, capsys):
    assert main(["validate", str(export)]) == 0
    out = capsys.readouterr().out
    assert "Data-quality account" in out
    assert "unparseable created_at: 1" in out
    assert "Not in this export: accounts, deals, touchpoints, activities, spend" in out
    assert "every row set aside" not in out


def test_validate_tells_a_table_whose_rows_were_all_set_aside_from_a_missing_one(export, capsys):
    deals = "Record ID,Deal Name,Deal Stage,Create Date,Amount\n7,Big,Closed Won,garbage,10\n"
    (export / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(deals)
    assert main(["validate", str(export)]) == 0
    out = capsys.readouterr().out
    assert "Not in this export: accounts, touchpoints, activities, spend" in out
    assert "Read, but every row set aside (see above): deals" in out


def test_validate_writes_set_aside_rows_with_file_and_row(export, tmp_path, capsys):
    out_dir = tmp_path / "aside"
    assert main(["validate", str(export), "--set-aside", str(out_dir)]) == 0
    text = (out_dir / "contacts.set_aside.csv").read_text()
    assert "2026-13-45 10:00" in text and "unparseable created_at" in text
    assert "hubspot-crm-exports-all-contacts-2026-02-01.csv" in text


def test_binary_garbage_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"garbage\x00\x01\n")
    out = run_cli("validate", str(bad))
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert "bad.csv" in out.stderr


def test_missing_required_column_names_file_and_column(tmp_path):
    folder = tmp_path / "hs"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(
        "Record ID,Email,Lifecycle Stage\n1,a@example.test,Lead\n"
    )
    out = run_cli("validate", str(folder))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "hubspot-crm-exports-all-contacts-2026-02-01.csv" in out.stderr
    assert "'created_at'" in out.stderr and "'Create Date'" in out.stderr
    assert "Lifecycle Stage" in out.stderr


def test_missing_path_exits_2(tmp_path):
    out = run_cli("validate", str(tmp_path / "nope"))
    assert out.returncode == 2 and "no such file or folder" in out.stderr


def test_export_with_nothing_usable_exits_2(tmp_path, capsys):
    folder = tmp_path / "hs"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(
        "Record ID,Create Date\n1,garbage\n"
    )
    assert main(["validate", str(folder)]) == 2
    assert "no usable contacts or deals" in capsys.readouterr().err


def test_bad_reading_options_and_out_folders_are_bad_input_not_bugs(export, tmp_path, capsys):
    assert main(["validate", str(export), "--timezone", "Mars/Base"]) == 2
    err = capsys.readouterr().err
    assert "unknown time zone 'Mars/Base'" in err and "bug" not in err
    assert main(["validate", str(export), "--timezone", "America/New_York"]) == 0
    capsys.readouterr()
    taken = tmp_path / "reports.txt"
    taken.write_text("not a folder")
    assert main(["report", "--data", str(export), "--out", str(taken), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"cannot use {taken} as the reports folder" in err and "bug" not in err
    out = str(tmp_path / "reports")
    assert main(["report", "--data", str(export), "--out", out, "--timezone", "Nowhere"]) == 2
    assert "unknown time zone 'Nowhere'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--contacts", "0"], "--contacts: must be at least 1"),
        (["--months", "x"], "--months: not a whole number"),
        (["--end", "2026-13-01"], "--end: not a day like 2026-10-31"),
        (["--seed", "-1"], "--seed: must be at least 0"),
        (["--end", "2300-01-01"], "--end: must lie between 1900 and 2200"),
        (["--end", "1677-01-01"], "--end: must lie between 1900 and 2200"),
        (["--months", "5000"], "--months: 5000 months before 2026-10-31 reach back past 1900"),
    ],
)
def test_synth_rejects_bad_settings_as_usage_errors(tmp_path, args, message):
    result = run_cli("synth", *args, "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and message in result.stderr
    assert "internal error" not in result.stderr and not (tmp_path / "x").exists()


def test_synth_refuses_a_non_empty_folder_unless_replacing_an_earlier_export(tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["synth", "--contacts", "30", "--out", str(out)]) == 0
    first = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    # a second export on top would stack two exports' files (their names carry the date)
    again = ["synth", "--contacts", "30", "--end", "2026-09-30", "--out", str(out)]
    assert main(again) == 2
    assert "is not empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == first  # untouched
    assert main([*again, "--replace"]) == 0
    crm = smk.load(out)
    assert crm.contacts["created_at"].max() < pd.Timestamp("2026-10-01", tz="UTC")
    assert all(a.read == a.loaded + a.n_set_aside for a in crm.quality.tables.values())
    assert not any("2026-10-31" in p.name for p in out.iterdir())  # the first export is gone
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    assert main(["synth", "--contacts", "30", "--out", str(other), "--replace"]) == 2
    assert "holds more than an earlier synthetic export" in capsys.readouterr().err
    assert (other / "mine.txt").read_text() == "keep me"
    (out / "notes.txt").write_text("mine")  # an export with the user's own file beside it
    assert main([*again, "--replace"]) == 2
    assert (out / "notes.txt").read_text() == "mine"


def test_synth_into_a_path_that_is_a_file_is_bad_input(tmp_path, capsys):
    taken = tmp_path / "export"
    taken.write_text("")
    assert main(["synth", "--contacts", "20", "--out", str(taken)]) == 2
    assert f"cannot write the export to {taken}" in capsys.readouterr().err


def test_an_unwritable_set_aside_folder_is_bad_input(export, tmp_path, capsys):
    taken = tmp_path / "aside"
    taken.write_text("")
    assert main(["validate", str(export), "--set-aside", str(taken)]) == 2
    err = capsys.readouterr().err
    assert str(taken) in err and "internal error" not in err


def test_an_empty_folder_is_named_as_such(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert "the folder is empty" in capsys.readouterr().err


def test_validate_with_a_broken_mapping_exits_2_naming_the_mapping(tmp_path, export):
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("tables:\n  deals:\n    strip: {deal_id: '([a-z'}\n")
    result = run_cli("validate", str(export), "--mapping", str(mapping))
    assert result.returncode == 2, result.stderr
    assert str(mapping) in result.stderr and "strip: deal_id" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def contacts_database(path: Path, schema: str | None = None) -> Path:
    """A DuckDB or SQLite file with a canonical `contacts` table (in `schema`, if given)."""
    contacts = pd.DataFrame(  # DuckDB reads the frame by its variable name
        {
            "contact_id": ["1", "2"],
            "email": ["ann@example.test", "bob@example.test"],
            "created_at": ["2026-01-05 09:00:00", "2026-01-06 10:00:00"],
            "lifecycle_stage": ["lead", "mql"],
        }
    )
    if path.suffix == ".duckdb":
        import duckdb

        with duckdb.connect(str(path)) as con:
            table = f"{schema}.contacts" if schema else "contacts"
            if schema:
                con.execute(f"CREATE SCHEMA {schema}")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM contacts")
    else:
        import sqlite3

        with sqlite3.connect(path) as con:
            contacts.to_sql("contacts", con, index=False)
    return path


def test_validate_never_shows_a_password_given_as_a_query_parameter(tmp_path, capsys):
    path = contacts_database(tmp_path / "crm.db")
    url = f"sqlite:///file:{path}?mode=ro&uri=true&password=S3cret"
    assert main(["validate", url, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["source"] == f"sqlite:///file:{path}?mode=ro&uri=true&password=***"
    assert main(["validate", url]) == 0
    assert "S3cret" not in capsys.readouterr().out


def test_an_invalid_sqlite_url_is_bad_input_naming_the_masked_url(tmp_path, capsys):
    path = contacts_database(tmp_path / "crm.db")
    assert main(["validate", f"sqlite://u:S3cret@/{path}"]) == 2
    err = capsys.readouterr().err
    assert f"sqlite://u:***@/{path}" in err and "not a valid sqlite URL" in err
    assert "S3cret" not in err and "bug" not in err


def test_validate_and_report_read_the_tables_of_a_database_schema(tmp_path, capsys, monkeypatch):
    url = f"duckdb:///{contacts_database(tmp_path / 'crm.duckdb', schema='hubspot')}"
    assert main(["validate", url]) == 2
    assert "--schema hubspot" in capsys.readouterr().err
    assert main(["validate", url, "--schema", "hubspot", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["contacts"]["loaded"] == 2
    seen = {}

    def load(source, **options):  # the report passes its reading options on to smk.load
        seen.update(options)
        raise smk.CRMExportError("stop here", file=str(source))

    monkeypatch.setattr(smk, "load", load)
    out = str(tmp_path / "reports")
    assert main(["report", "--data", url, "--out", out, "--schema", "hubspot", "--quiet"]) == 2
    assert seen["schema"] == "hubspot" and "stop here" in capsys.readouterr().err


def test_an_unusable_database_and_a_url_read_as_files_never_show_the_password(tmp_path, capsys):
    import sqlite3

    path = tmp_path / "empty.db"
    with sqlite3.connect(path) as con:  # a contacts table with no rows: nothing usable
        pd.DataFrame({"contact_id": ["x"], "created_at": ["2026-01-01"]}).iloc[:0].to_sql(
            "contacts", con, index=False
        )
    url = f"sqlite:///file:{path}?mode=ro&uri=true&password=S3cret"
    assert main(["validate", url]) == 2
    err = capsys.readouterr().err
    assert "no usable contacts or deals" in err and "S3cret" not in err and "password=***" in err
    for how in ({"format": "hubspot"}, {"format": "parquet"}, {"mapping": "m.yaml"}):
        with pytest.raises(smk.CRMExportError, match="read with format .sql.") as raised:
            smk.load(url, **how)
        assert "S3cret" not in str(raised.value)
