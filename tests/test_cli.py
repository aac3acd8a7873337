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


def test_validate_tells_a_header_only_file_from_a_missing_table(export, capsys):
    # a deals file holding only its header was listed as "Not in this export"
    (export / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(
        "Record ID,Deal Name,Deal Stage,Create Date,Amount\n"
    )
    assert main(["validate", str(export)]) == 0
    out = capsys.readouterr().out
    assert "Not in this export: accounts, touchpoints, activities, spend" in out
    assert "In this export, but without a row (a header only): deals" in out


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
    # it said "File exists", as if a folder were in the way
    assert (
        f"cannot write the export to {taken}: it is a file, not a folder" in capsys.readouterr().err
    )


def test_an_unwritable_set_aside_folder_is_bad_input(export, tmp_path, capsys):
    taken = tmp_path / "aside"
    taken.write_text("")
    assert main(["validate", str(export), "--set-aside", str(taken)]) == 2
    err = capsys.readouterr().err
    assert str(taken) in err and "internal error" not in err
    assert f"--set-aside: {taken} is a file, not a folder" in err  # was "File exists"


def test_set_aside_rows_never_go_into_the_export_they_came_from(export, tmp_path, capsys):
    # `--set-aside` into the export folder wrote `contacts.set_aside.csv` there, and the next
    # load read its rows as contacts (303 read -> 306)
    before = sorted(p.name for p in export.iterdir())
    inside = export / "aside"
    for aside, what in (
        (export, "the export folder"),
        (inside, f"inside the export folder {export}"),
    ):
        assert main(["validate", str(export), "--set-aside", str(aside), "--json"]) == 2
        out, err = capsys.readouterr()
        message = f"--set-aside: {aside} is {what}: the next load would read the set-aside files"
        assert message in err and message in json.loads(out)["error"]
    assert sorted(p.name for p in export.iterdir()) == before
    # an export read through a mapping file: its data folder
    mapping = tmp_path / "ours.yaml"
    builtin = Path(smk.__file__).parent / "mappings" / "pipedrive.yaml"
    mapping.write_text(builtin.read_text(encoding="utf-8") + f"\ndata: {export.name}\n")
    assert main(["validate", str(mapping), "--set-aside", str(inside)]) == 2
    assert f"is inside the export folder {export}" in capsys.readouterr().err
    assert sorted(p.name for p in export.iterdir()) == before
    assert main(["validate", str(export), "--set-aside", str(tmp_path / "aside")]) == 0


def test_set_aside_rows_never_go_beside_an_export_given_as_one_file(export, tmp_path, capsys):
    # `smk validate FOLDER/<contacts file> --set-aside FOLDER` wrote contacts.set_aside.csv
    # beside the file, and the next `smk validate FOLDER` read its rows as contacts
    file = export / "hubspot-crm-exports-all-contacts-2026-02-01.csv"
    before = sorted(p.name for p in export.iterdir())
    of = f"the folder of the export file {file.name}"
    for aside, what in ((export, of), (export / "aside", f"inside {export}, {of}")):
        assert main(["validate", str(file), "--set-aside", str(aside), "--json"]) == 2
        out, err = capsys.readouterr()
        message = (
            f"--set-aside: {aside} is {what}: a load of that folder would read the set-aside "
            "files as rows of the export; choose a folder outside it"
        )
        assert message in err and message in json.loads(out)["error"]
    assert sorted(p.name for p in export.iterdir()) == before
    assert main(["validate", str(export), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["contacts"]["read"] == 2
    assert main(["validate", str(file), "--set-aside", str(tmp_path / "aside")]) == 0
    assert (tmp_path / "aside" / "contacts.set_aside.csv").is_file()


def test_format_mapping_without_a_mapping_file_says_what_is_missing(export, tmp_path, capsys):
    # it said "...smk-mapping.yaml: cannot read the mapping file: [Errno 2] No such file..."
    assert main(["validate", str(export), "--format", "mapping"]) == 2
    none_given = (
        f"smk: error: {export}: format 'mapping' reads an export through a mapping file, and "
        "none was given: give one (--mapping FILE.yaml; smk.load(..., mapping=...)), or save "
        "it as smk-mapping.yaml in the export folder (docs/mappings.md)\n"
    )
    assert capsys.readouterr().err == none_given
    out = tmp_path / "reports"  # `smk report` says it alike, before any notebook runs
    report = ["report", "--data", str(export), "--format", "mapping", "--out", str(out)]
    assert main([*report, "--quiet"]) == 2
    assert capsys.readouterr().err == none_given
    folder = "this is a folder, not a mapping file: give the mapping's .yaml file"
    for given, why in ((tmp_path / "nope.yaml", "no such mapping file"), (tmp_path, folder)):
        assert main(["validate", str(export), "--mapping", str(given)]) == 2
        assert capsys.readouterr().err == f"smk: error: {given}: {why}\n"
    assert main(["validate", str(export), "--format", str(tmp_path / "nope.yaml")]) == 2
    assert (
        capsys.readouterr().err == f"smk: error: {tmp_path / 'nope.yaml'}: no such mapping file\n"
    )


@pytest.mark.parametrize("fmt", ["salesforce", "hubspot"])
def test_synth_says_the_rows_each_file_it_wrote_holds(tmp_path, capsys, fmt):
    # a Salesforce export said "touchpoints 3,115" while its CampaignMember.csv held 1,240
    # rows (one member per campaign and person): the count of the data, not of the export
    out = tmp_path / fmt
    args = ["synth", "--contacts", "60", "--months", "3", "--format", fmt, "--out", str(out)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"wrote a synthetic {fmt} export to {out} (ground truth in {out}/truth):"
    said = {}
    for line in lines[1:]:
        name, rows, unit = line.split()
        said[name] = int(rows.replace(",", ""))
        assert unit == ("row" if said[name] == 1 else "rows")
    files = sorted(out.glob("*.csv"))
    assert said == {p.name: len(pd.read_csv(p, dtype=str, keep_default_na=False)) for p in files}
    read = {t: a.read for t, a in smk.load(out).quality.tables.items()}
    if fmt == "salesforce":
        assert said["CampaignMember.csv"] == read["touchpoints"]
        assert said["Lead.csv"] + said["Contact.csv"] == read["contacts"]
    else:
        assert sum(said.values()) == sum(read.values())


def test_synth_s_summary_counts_each_file_s_records_one_row_as_such(tmp_path):
    from smk.cli import _synth_summary

    (tmp_path / "a.csv").write_text('id,note\n1,"two\nlines"\n\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("id\n1\n2\n", encoding="utf-8")
    lines = _synth_summary("hubspot", tmp_path).splitlines()[1:]
    assert [line.split() for line in lines] == [["a.csv", "1", "row"], ["b.csv", "2", "rows"]]


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


@pytest.mark.parametrize("schema", [[], ["--schema", "hubspot"]])
@pytest.mark.parametrize("as_url", [True, False])
def test_a_mapping_file_for_a_database_is_refused_naming_the_mapping(
    tmp_path, capsys, schema, as_url
):
    """With --schema the message said the schema applies only to a SQL database (the source
    is one); without it a database file was read as an unknown file type ('.duckdb')."""
    path = contacts_database(tmp_path / "crm.duckdb", schema="hubspot")
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text("name: zoho\ntables: {}\n")
    source = f"duckdb:///{path}" if as_url else str(path)
    assert main(["validate", source, "--mapping", str(mapping), *schema]) == 2
    err = capsys.readouterr().err
    assert f"a mapping file ({mapping}) is not read for a database" in err
    assert "leave out the mapping (--mapping)" in err
    assert "applies only to a SQL database" not in err and "file type" not in err
    with pytest.raises(smk.CRMExportError, match="is not read for a database"):
        smk.load(source, mapping=mapping, schema="hubspot" if schema else None)


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
        said = "is not read for a database" if "mapping" in how else "read with format .sql."
        with pytest.raises(smk.CRMExportError, match=said) as raised:
            smk.load(url, **how)
        assert "S3cret" not in str(raised.value)


# ------------------------------------------------------------------ exit codes scripts rely on
HEADER_ONLY = "Record ID,First Name,Email,Lifecycle Stage,Create Date\n"


@pytest.fixture
def header_only(tmp_path: Path) -> Path:
    folder = tmp_path / "hdr"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(HEADER_ONLY)
    return folder


def run_cli_into_closed_pipe(*args: str, stderr_too: bool = False) -> subprocess.CompletedProcess:
    """`smk ARGS | true` (`smk ARGS 2>&1 | true` with `stderr_too`): stdout (and stderr) is a
    pipe whose reader has gone."""
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "smk", *args],
            stdout=write,
            stderr=write if stderr_too else subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)


def test_a_closed_stdout_keeps_the_exit_code_the_data_deserves(export, header_only):
    """`smk validate hdr | true` exited 0: the BrokenPipeError handler always returned 0."""
    for args in ([str(header_only)], ["--json", str(header_only)]):
        result = run_cli_into_closed_pipe("validate", *args)
        assert result.returncode == 2, result.stderr
        assert "no usable contacts or deals" in result.stderr
        assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    result = run_cli_into_closed_pipe("validate", str(export))
    assert result.returncode == 0 and result.stderr == ""
    result = run_cli_into_closed_pipe("validate", str(export / "missing"))
    assert result.returncode == 2 and "no such file or folder" in result.stderr


def test_a_closed_stderr_keeps_every_command_s_exit_code(export, header_only, tmp_path):
    """`smk validate hdr 2>&1 | head` exited 1, not 2: the error line written to stderr after
    the reader had gone raised a BrokenPipeError, taken for a bug. Every command keeps the
    exit code it meant, whether its output fits the pipe or not."""
    commands = {
        ("validate", str(header_only)): 2,
        ("validate", "--json", str(header_only)): 2,
        ("validate", str(export / "missing")): 2,
        ("validate", str(export)): 0,
        ("validate", "--no-such-option", str(export)): 2,
        ("report", "--data", str(header_only), "--out", str(tmp_path / "reports")): 2,
        ("synth", "--contacts", "20", "--months", "1", "--out", str(tmp_path / "synth")): 0,
        ("--help",): 0,
    }
    for args, code in commands.items():
        assert run_cli_into_closed_pipe(*args, stderr_too=True).returncode == code, args


def test_a_stderr_that_breaks_without_a_file_descriptor_keeps_the_exit_code(
    header_only, monkeypatch
):
    """In process, a stderr whose reader has gone and that has no file descriptor (the
    `_ReaderMayGo` fallback): the message is dropped, the exit code stays 2."""

    class Gone:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            raise OSError("no file descriptor")

    gone = Gone()
    monkeypatch.setattr(sys, "stderr", gone)
    assert main(["validate", str(header_only)]) == 2
    assert sys.stderr is gone  # given back as it was


FULL = Path("/dev/full")  # every write fails with ENOSPC, as on a full disk


def run_cli_into_full_device(*args: str, stream: str = "stdout") -> subprocess.CompletedProcess:
    """`smk ARGS > /dev/full` (`2> /dev/full` for `stream="stderr"`): output cannot be
    written. The other stream is captured."""
    with FULL.open("w") as full:
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: full}
        return subprocess.run([sys.executable, "-m", "smk", *args], text=True, timeout=120, **pipes)


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
def test_output_that_cannot_be_written_fails_with_one_line_never_a_traceback(export, tmp_path):
    """`smk validate --json X > /dev/full` printed a traceback and exited 1 as a bug, `smk
    validate X > /dev/full` exited 2 as if the export were unusable, `smk --help > /dev/full`
    exited 0 and lost the text: each now exits 1 with one line on stderr."""
    commands = [
        ("validate", "--json", str(export)),
        ("validate", str(export)),
        ("validate", "--json", str(export / "missing")),  # the JSON of a failure is lost too
        ("--help",),
        ("validate", "--help"),
        ("synth", "--contacts", "20", "--months", "1", "--out", str(tmp_path / "synth")),
    ]
    for args in commands:
        result = run_cli_into_full_device(*args)
        assert result.returncode == 1, args
        assert result.stderr.splitlines()[-1] == (
            "smk: error: cannot write to stdout: No space left on device"
        ), args
        assert "Traceback" not in result.stderr and "bug" not in result.stderr, args


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
def test_a_stderr_that_cannot_be_written_exits_1_and_nothing_is_output_but_stdout(header_only):
    """The error of an unusable export cannot be written to stderr: exit 1, not 2 (no one
    was told why); the exit-time flush adds no second error either."""
    result = run_cli_into_full_device("validate", str(header_only), stream="stderr")
    assert result.returncode == 1
    quiet = run_cli_into_full_device("--help", stream="stderr")  # stdout written: all is well
    assert quiet.returncode == 0 and "usage: smk" in quiet.stdout


def test_a_stream_that_fails_without_a_file_descriptor_is_said_in_one_line(
    export, monkeypatch, capsys
):
    """In process, a stdout whose writes fail (ENOSPC) and that has no file descriptor: the
    command exits 1 with the message on stderr, and stdout is given back as it was."""

    class Full:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            raise OSError(28, "No space left on device")

        def fileno(self) -> int:
            raise OSError("no file descriptor")

    full = Full()
    monkeypatch.setattr(sys, "stdout", full)
    assert main(["validate", "--json", str(export)]) == 1
    assert sys.stdout is full
    assert (
        capsys.readouterr().err
        == "smk: error: cannot write to the output: No space left on device\n"
    )


def test_set_aside_folder_shows_this_run_only(export, tmp_path, capsys):
    """A clean second run left the first run's set-aside files in place."""
    aside = tmp_path / "aside"
    assert main(["validate", str(export), "--set-aside", str(aside)]) == 0
    assert "unparseable created_at" in (aside / "contacts.set_aside.csv").read_text()
    (aside / "notes.txt").write_text("mine")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(
        CONTACTS.splitlines(True)[0] + CONTACTS.splitlines(True)[1]
    )
    assert main(["validate", str(clean), "--set-aside", str(aside)]) == 0
    written = sorted(p.name for p in aside.glob("*.set_aside.csv"))
    assert written == sorted(f"{t}.set_aside.csv" for t in smk.model.SCHEMA)
    for path in aside.glob("*.set_aside.csv"):  # every table: its header, no rows
        frame = pd.read_csv(path)
        assert frame.empty and {"_file", "_row", "_reason"} <= set(frame.columns), path.name
    assert (aside / "notes.txt").read_text() == "mine"
    assert "DIR/<table>.set_aside.csv" in run_cli("validate", "--help").stdout


def _fatal(tmp: Path, case: str) -> Path:
    """A path `validate` cannot read at all."""
    if case == "empty-folder":
        (tmp / "empty").mkdir()
        return tmp / "empty"
    if case == "binary-file":
        (tmp / "bad.csv").write_bytes(b"garbage\x00\x01\n")
        return tmp / "bad.csv"
    if case == "missing-column":
        path = tmp / "hubspot-crm-exports-all-contacts-2026-02-01.csv"
        path.write_text("Record ID,Email\n1,a@example.test\n")
        return path
    return tmp / "nope"


@pytest.mark.parametrize(
    "case, error, file, column",
    [
        ("missing-path", "no such file or folder", "nope", None),
        ("empty-folder", "the folder is empty", "empty", None),
        ("binary-file", "cannot tell the export format", "bad.csv", None),
        ("missing-column", "required 'created_at'", "contacts-2026-02-01.csv", "created_at"),
    ],
)
def test_validate_json_prints_one_object_also_on_a_fatal_error(
    tmp_path, capsys, case, error, file, column
):
    """stdout was empty on exit 2, so `smk validate --json X | jq` failed."""
    path = _fatal(tmp_path, case)
    assert main(["validate", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["usable"] is False and payload["tables"] == {}
    assert error in payload["error"] and error in err
    assert payload["file"].endswith(file) and payload["column"] == column
    assert payload["source"] == str(path)


def test_validate_json_lists_every_table_and_the_missing_ones(export, header_only, capsys):
    """Only the tables found were listed: a missing table had no field (text mode names it)."""
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload["tables"]) == list(smk.model.SCHEMA)
    assert payload["tables"]["deals"] == {"read": 0, "loaded": 0, "set_aside": 0, "reasons": {}}
    assert payload["tables"]["contacts"]["read"] == 2 and payload["usable"] is True
    assert payload["missing_tables"] == ["accounts", "deals", "touchpoints", "activities", "spend"]
    assert "error" not in payload
    assert main(["validate", str(header_only), "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is False and "no usable contacts or deals" in payload["error"]
    assert payload["missing_tables"] == list(smk.model.SCHEMA)


def test_validate_json_reports_an_internal_error_as_json_too(export, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(smk, "load", broken)
    assert main(["validate", str(export), "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["usable"] is False and "internal error" in json.loads(out)["error"]
    assert "This is a bug in smk" in err


def test_validate_and_report_refuse_a_damaged_zip_or_parquet_as_bad_input(tmp_path, capsys):
    """Encrypted zips and empty Parquet files were internal errors (exit 1)."""
    import zipfile

    archive = tmp_path / "enc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("hubspot-crm-exports-all-contacts-2026-02-01.csv", CONTACTS)
    data = bytearray(archive.read_bytes())
    data[6] |= 1  # the "encrypted" flag, in the local header and the central directory
    data[data.find(b"PK\x01\x02") + 8] |= 1
    archive.write_bytes(bytes(data))
    parquet = tmp_path / "pq0"
    parquet.mkdir()
    (parquet / "contacts.parquet").write_bytes(b"")
    reports = str(tmp_path / "reports")
    for source, message in ((archive, "password-protected"), (parquet, "the file is empty")):
        assert main(["validate", str(source)]) == 2
        err = capsys.readouterr().err
        assert message in err and "internal error" not in err
        assert main(["report", "--data", str(source), "--out", reports, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and "internal error" not in err


def test_report_maps_only_smks_own_value_errors_to_bad_input(export, tmp_path, capsys, monkeypatch):
    """`except ValueError` in cmd_report called any ValueError bad input, bugs included."""
    import pyarrow as pa

    import smk.report
    from smk import periods
    from smk.errors import NoDataError

    def failing(error):
        def run_report(*args, **kwargs):
            error()

        return run_report

    def bad_month():
        periods.as_month("2026-1")

    def no_data():
        raise NoDataError("nothing this month")

    def arrow_bug():
        raise pa.ArrowInvalid("a bug in a cast")

    def pandas_bug():
        pd.Series([1, 2]).reindex([0, 0]).reindex([0])  # duplicate labels: pandas' ValueError

    out = str(tmp_path / "reports")
    for error, code, message in (
        (bad_month, 2, "month must look like YYYY-MM"),
        (no_data, 2, "nothing this month"),
        (arrow_bug, 1, "internal error (ArrowInvalid: a bug in a cast)"),
        (pandas_bug, 1, "internal error (ValueError: cannot reindex"),
    ):
        monkeypatch.setattr(smk.report, "run_report", failing(error))
        assert main(["report", "--data", str(export), "--out", out, "--quiet"]) == code
        assert message in capsys.readouterr().err


def test_links_that_lead_nowhere_and_unreadable_folders_are_named_as_such(export, tmp_path):
    import os
    import shutil

    loop, broken = tmp_path / "loop", tmp_path / "broken"
    os.symlink(loop, loop)
    os.symlink(tmp_path / "gone", broken)
    gone = f"a symbolic link to {tmp_path / 'gone'}, which does not exist"
    for path, message in ((loop, "a loop of symbolic links"), (broken, gone)):
        report = ["report", "--data", str(path), "--out", str(tmp_path / "reports"), "--quiet"]
        for command in (["validate", str(path)], report):
            result = run_cli(*command)
            assert result.returncode == 2 and f"{path}: " in result.stderr
            assert message in result.stderr and "no such file" not in result.stderr
    locked = tmp_path / "locked"
    shutil.copytree(export, locked)
    locked.chmod(0o000)
    try:
        prefix = []
        if os.geteuid() == 0:  # root reads any folder: drop that power for the run
            if shutil.which("setpriv") is None:
                pytest.skip("root without setpriv cannot test permissions")
            prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "smk", "validate", str(locked)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2
    assert f"{locked}: permission denied: smk may not read this folder" in result.stderr
    assert "smk-model.json" not in result.stderr


def test_set_aside_files_are_safe_to_open_in_a_spreadsheet(tmp_path, capsys):
    # the raw rows went out with plain to_csv: a name cell `=HYPERLINK(...)` ran in Excel
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(
        "Record ID,First Name,Email,Create Date,Lifecycle Stage\n"
        '1,"=HYPERLINK(""http://evil.test"",""x"")",a@b.co,2026-13-45 10:00,lead\n'
        "2,Ann,ann@b.co,2026-01-05 10:00,lead\n"
    )
    main(["validate", str(folder), "--set-aside", str(tmp_path / "aside")])
    text = (tmp_path / "aside" / "contacts.set_aside.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


# ------------------------------------------------------------------ terminal safety
#: a pipeline name that sets the terminal's title, paints what follows red and reverses it
HOSTILE_PIPELINE = "\x1b]0;PWNED\x07Sales\u202e \x1b[41mX\x1b[0m"


@pytest.fixture
def hostile_pipeline(tmp_path: Path) -> tuple[Path, Path]:
    """A HubSpot export whose one deal's pipeline holds escape sequences, and a params file
    whose pipelines setting names none of the export's (the refusal lists the export's)."""
    folder = tmp_path / "hubspot"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-contacts-2026-04-10.csv").write_text(
        "Record ID,Email,Create Date,Lifecycle Stage\n"
        "1,a@x.test,2026-01-05,lead\n2,b@x.test,2026-04-10,lead\n"
    )
    (folder / "hubspot-crm-exports-all-deals-2026-04-10.csv").write_text(
        "Record ID,Deal Stage,Pipeline,Create Date,Close Date,Amount,Associated Contact IDs\n"
        f'100,closedwon,"{HOSTILE_PIPELINE}",2026-03-05,2026-03-20,1000,1\n'
    )
    params = tmp_path / "params.yaml"
    params.write_text('pipelines: ["nope"]\n')
    return folder, params


def _inert(text: str) -> bool:
    """Whether `text` holds the hostile pipeline's characters only as escapes."""
    return "\x1b" not in text and "\x07" not in text and "\u202e" not in text


def test_crm_text_with_escape_sequences_does_nothing_to_the_terminal(hostile_pipeline, capsys):
    """`smk validate` quotes the export's pipelines when a setting names none of them: the
    escape sequences of one (a window title, a colour, a direction control) are written as
    escapes, legible and inert, never to the terminal as they are."""
    folder, params = hostile_pipeline
    assert main(["validate", str(folder), "--params", str(params)]) == 0
    out, err = capsys.readouterr()
    assert "deal pipeline 'nope'" in out
    assert _inert(out + err)
    assert "\\x1b]0;PWNED\\x07Sales\\u202e X" in out  # colour codes dropped


def test_a_report_refusal_quoting_crm_text_is_inert_on_the_terminal_and_in_its_log(
    hostile_pipeline, tmp_path, capsys
):
    folder, params = hostile_pipeline
    out = tmp_path / "reports"
    code = main(
        ["report", "--data", str(folder), "--month", "2026-03", "--out", str(out)]
        + ["--params", str(params), "--quiet"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "deal pipeline 'nope'" in err and _inert(err)
    log = (out / "smk-report.log").read_text()
    assert "deal pipeline 'nope'" in log and _inert(log)


def test_terminal_safe_keeps_text_and_line_breaks_and_escapes_what_a_terminal_obeys():
    from smk.outputs import terminal_safe

    assert terminal_safe("Zoë\tÜber 5 €\r\n") == "Zoë\tÜber 5 €\r\n"
    assert terminal_safe("\x1b[1;31mred\x1b[0m") == "red"
    assert terminal_safe("a\x1b[2Jb\x9bc\x00") == "a\\x1b[2Jb\\x9bc\\x00"
    assert terminal_safe("x\u200by\u202e") == "x\\u200by\\u202e"
    # a progress bar's carriage return starts its text; one inside a value overwrites (RV)
    assert terminal_safe("\r 50%|#####     | 2/4") == "\r 50%|#####     | 2/4"
    assert terminal_safe("no rate for AB\rCD: add it") == "no rate for AB\\rCD: add it"
    assert terminal_safe("a\r\nb\r\n") == "a\r\nb\r\n"  # CRLF line ends stay (RV3)
