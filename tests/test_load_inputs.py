"""What `smk.load` says about an operator's export folder when it cannot read part of it.

A file named like a table but in a form smk does not read (compressed, `.json`, a link to
nothing, a named pipe), a file the operating system does not let smk read, and a folder with
no export file directly in it are each named, with what to do: never a table loaded empty
without a word, a bare PermissionError, or "the folder is empty" for a folder that is not.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.io import builtin_mapping
from smk.io.canonical import write_canonical

FIXTURES = Path(__file__).parent / "fixtures"
HUBSPOT = FIXTURES / "hubspot" / "ui"
DEALS = "hubspot-crm-exports-all-deals-2026-10-02.csv"
CONTACTS = "hubspot-crm-exports-all-contacts-2026-10-02.csv"
NOTEBOOK_00 = Path(__file__).parents[1] / "notebooks" / "00_data_quality.ipynb"


def copy_of(source: Path, tmp_path: Path, name: str = "export") -> Path:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    return folder


def run_cli(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "smk", *args], capture_output=True, text=True, timeout=120
    )


# ----------------------------------------------------------- 1. files named like a table
def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    target.write_bytes(gzip.compress(path.read_bytes()))
    return target


def _bzip2(path: Path) -> Path:
    target = path.with_name(path.name + ".bz2")
    target.write_bytes(bz2.compress(path.read_bytes()))
    return target


def _zipped(path: Path) -> Path:
    target = path.with_suffix(".zip")
    with zipfile.ZipFile(target, "w") as archive:
        archive.write(path, path.name)
    return target


def _as(suffix: str):
    def convert(path: Path) -> Path:
        target = path.with_suffix(suffix)
        target.write_bytes(path.read_bytes())
        return target

    return convert


def _dangling(path: Path) -> Path:
    os.symlink(path.parent / "gone" / path.name, path.with_name(path.name + ".lnk.csv"))
    return path.with_name(path.name + ".lnk.csv")


def _downloading(path: Path) -> Path:
    target = path.with_name(path.name + ".crdownload")
    target.write_bytes(path.read_bytes()[:100])
    return target


UNREADABLE = {
    "csv.gz": (_gzip, "decompress it (gunzip '"),
    "csv.bz2": (_bzip2, "decompress it (bunzip2 '"),
    "zip": (_zipped, "decompress it (unzip '"),
    "json": (_as(".json"), "a .json file, which smk does not read"),
    "xml": (_as(".xml"), "a .xml file, which smk does not read"),
    "ods": (_as(".ods"), "a .ods file, which smk does not read"),
    "dangling link": (_dangling, "which does not exist (it points to nothing)"),
    "crdownload": (_downloading, "a download that has not finished"),
}


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_a_table_whose_only_file_smk_cannot_read_is_an_error_naming_it(tmp_path, kind):
    # was: deals read 0, missing_tables ["deals"], usable, no warning; the report then said
    # "the export has no deals" (a revenue of 0)
    folder = copy_of(HUBSPOT, tmp_path)
    make, said = UNREADABLE[kind]
    unread = make(folder / DEALS)
    (folder / DEALS).unlink()
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(folder)
    assert info.value.file == str(unread)
    assert said in info.value.reason
    assert "the only file for the deals table (names like '*deal*')" in info.value.reason


def test_validate_refuses_a_compressed_deals_file_with_exit_2(tmp_path):
    folder = copy_of(HUBSPOT, tmp_path)
    unread = _gzip(folder / DEALS)
    (folder / DEALS).unlink()
    result = run_cli("validate", str(folder), "--json")
    payload = json.loads(result.stdout)
    assert result.returncode == 2 and payload["usable"] is False
    assert f"{unread}: a compressed file (.gz)" in payload["error"]


def test_a_named_pipe_in_place_of_a_table_file_is_named_not_opened(tmp_path):
    # a pipe is never opened (that waits for a writer for ever): the command returns
    folder = copy_of(HUBSPOT, tmp_path)
    (folder / DEALS).unlink()
    os.mkfifo(folder / DEALS)
    result = run_cli("validate", str(folder))
    assert result.returncode == 2
    assert f"{folder / DEALS}: a named pipe (FIFO), not a regular file" in result.stderr
    pipe = tmp_path / "contacts.csv"
    os.mkfifo(pipe)
    for command in (["validate", str(pipe)], ["validate", str(pipe), "--format", "hubspot"]):
        result = run_cli(*command)
        assert result.returncode == 2
        assert f"{pipe}: a named pipe (FIFO), not a regular file" in result.stderr


def test_an_unreadable_copy_beside_a_readable_file_is_a_warning(tmp_path):
    folder = copy_of(HUBSPOT, tmp_path)
    expected = len(smk.load(folder).deals)
    _gzip(folder / DEALS)
    crm = smk.load(folder)
    assert len(crm.deals) == expected
    note = f"{DEALS}.gz was not read (a compressed file (.gz)"
    said = [w for w in crm.quality.warnings if w.startswith(note)]
    assert len(said) == 1 and said[0].endswith(f"was read from {DEALS} alone")


def test_files_of_other_types_named_like_a_table_stay_unread_without_a_word(tmp_path):
    # a PDF or a note is no table: neither an error nor a warning (as before)
    folder = copy_of(HUBSPOT, tmp_path)
    (folder / DEALS).unlink()
    (folder / "deal-notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "deals-README.md").write_text("notes")
    (folder / f".{DEALS}.gz").write_bytes(b"hidden")
    crm = smk.load(folder)
    assert "deals" in crm.missing_tables()
    assert not [w for w in crm.quality.warnings if "not read" in w]


def test_a_table_of_several_patterns_needs_a_readable_file_for_each(tmp_path):
    # HubSpot's activities come from *calls*, *emails*, ...: emails do not stand for calls
    from smk.io.mapping import check_unread, table_groups

    groups_of = table_groups(builtin_mapping("hubspot"))
    calls = "hubspot-crm-exports-all-calls-2026-10-02.csv.gz"
    assert groups_of(calls) == ["the activities table (names like '*calls*')"]
    (tmp_path / calls).write_bytes(b"")
    emails = {"the activities table (names like '*emails*')": ["emails.csv"]}
    with pytest.raises(smk.CRMExportError, match=r"only file for the activities table"):
        check_unread(tmp_path, groups_of, emails)
    calls_read = {"the activities table (names like '*calls*')": ["calls.csv"]}
    assert check_unread(tmp_path, groups_of, calls_read) == [
        f"{calls} was not read (a compressed file (.gz), which smk does not read inside a "
        "folder): the activities table (names like '*calls*') was read from calls.csv alone"
    ]


def test_another_tools_json_named_like_a_table_of_which_files_were_read_is_a_warning(tmp_path):
    """`marketing-emails-performance.json` beside an export without an e-mails file stopped
    the load (the activities table had read its calls, meetings and tasks)."""
    from smk.io.mapping import check_unread, table_groups

    groups_of = table_groups(builtin_mapping("hubspot"))
    (tmp_path / "marketing-emails-performance.json").write_text("{}")
    calls_read = {"the activities table (names like '*calls*')": ["calls.csv"]}
    assert check_unread(tmp_path, groups_of, calls_read) == [
        "marketing-emails-performance.json was not read (a .json file, which smk does not "
        "read): the activities table (names like '*emails*') was read from its other files"
    ]
    with pytest.raises(smk.CRMExportError, match=r"only file for the activities table"):
        check_unread(tmp_path, groups_of, {})  # no activities file at all: an error still


def test_canonical_folders_are_checked_by_table_name(tmp_path):
    folder = tmp_path / "canonical"
    write_canonical(smk.load(HUBSPOT), folder)
    _gzip(folder / "deals.csv")
    (folder / "deals.csv").unlink()
    with pytest.raises(smk.CRMExportError, match="only file for the deals table") as info:
        smk.load(folder)
    assert info.value.file == str(folder / "deals.csv.gz")
    write_canonical(smk.load(HUBSPOT), tmp_path / "parquet", fmt="parquet")
    shutil.copy(tmp_path / "parquet" / "deals.parquet", folder / "deals.parquet")
    crm = smk.load(folder, format="canonical")  # deals.parquet holds the deals
    assert len(crm.deals) > 0
    assert any(w.startswith("deals.csv.gz was not read") for w in crm.quality.warnings)


def test_salesforce_objects_are_checked_by_object(tmp_path):
    folder = copy_of(FIXTURES / "salesforce" / "dataloader", tmp_path)
    _gzip(folder / "Opportunity.csv")
    expected = len(smk.load(folder).deals)
    crm = smk.load(folder)
    assert len(crm.deals) == expected
    assert any(w.startswith("Opportunity.csv.gz was not read") for w in crm.quality.warnings)
    (folder / "Opportunity.csv").unlink()
    with pytest.raises(smk.CRMExportError, match="the Salesforce Opportunity object") as info:
        smk.load(folder)
    assert info.value.file == str(folder / "Opportunity.csv.gz")


def test_a_mapping_export_is_checked_by_its_patterns(tmp_path):
    folder = copy_of(FIXTURES / "pipedrive", tmp_path)
    mapping = Path(smk.__file__).parent / "mappings" / "pipedrive.yaml"
    assert len(smk.load(folder, mapping=mapping).deals) > 0
    (folder / "deals.csv").rename(folder / "deals.xml")
    with pytest.raises(smk.CRMExportError, match="a .xml file, which smk does not read"):
        smk.load(folder, mapping=mapping)


def test_a_zip_holding_a_compressed_table_names_the_zip_and_the_file(tmp_path):
    folder = copy_of(HUBSPOT, tmp_path)
    _gzip(folder / DEALS)
    (folder / DEALS).unlink()
    archive = Path(shutil.make_archive(str(tmp_path / "export"), "zip", folder))
    with pytest.raises(smk.CRMExportError, match="decompress it") as info:
        smk.load(archive)
    assert info.value.file == f"{archive} ({DEALS}.gz)"


# ------------------------------------------------------- 2. files smk may not read
def _denied(path: Path, arrow: bool = False) -> PermissionError:
    """The error the OS gives Python for `path`, or pyarrow's (no `filename`)."""
    if arrow:
        return PermissionError(
            13, f"Failed to open local file '{path}'. Detail: [errno 13] Permission denied"
        )
    return PermissionError(13, "Permission denied", str(path))


def _deny_reading(monkeypatch, name: str, arrow: bool = False) -> None:
    """Every read of a file called `name` fails as a file without read permission does."""
    from smk.io import files

    real = files.read_any

    def read_any(path, *args, **kwargs):
        if Path(path).name == name:
            raise _denied(Path(path), arrow)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(files, "read_any", read_any)


SOURCES = {
    "hubspot": (HUBSPOT, DEALS),
    "salesforce": (FIXTURES / "salesforce" / "dataloader", "Opportunity.csv"),
    "mapping": (FIXTURES / "pipedrive", "deals.csv"),
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_a_file_smk_may_not_read_is_an_export_error_naming_it(tmp_path, monkeypatch, kind):
    # was: a bare PermissionError out of smk.load
    source, name = SOURCES[kind]
    folder = copy_of(source, tmp_path)
    mapping = Path(smk.__file__).parent / "mappings" / "pipedrive.yaml"
    _deny_reading(monkeypatch, name)
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(folder, mapping=mapping if kind == "mapping" else None)
    assert info.value.file == str(folder / name)
    assert info.value.reason.startswith("permission denied: smk may not read this file")


def test_a_parquet_file_smk_may_not_read_is_named_from_pyarrows_message(tmp_path, monkeypatch):
    folder = tmp_path / "canonical"
    write_canonical(smk.load(HUBSPOT), folder, fmt="parquet")
    _deny_reading(monkeypatch, "deals.parquet", arrow=True)
    with pytest.raises(smk.CRMExportError, match="permission denied") as info:
        smk.load(folder)
    assert info.value.file == str(folder / "deals.parquet")


def test_a_zip_or_a_model_smk_may_not_read_is_an_export_error(tmp_path, monkeypatch):
    archive = Path(shutil.make_archive(str(tmp_path / "export"), "zip", HUBSPOT))
    model = tmp_path / "model"
    smk.load(HUBSPOT).to_parquet(model)

    def denied_zip(path, *args, **kwargs):
        raise _denied(Path(path))

    monkeypatch.setattr(zipfile, "ZipFile", denied_zip)
    with pytest.raises(smk.CRMExportError, match="permission denied") as info:
        smk.load(archive)
    assert info.value.file == str(archive)

    def denied_parquet(path, *args, **kwargs):
        raise _denied(Path(path), arrow=True)

    monkeypatch.setattr(pd, "read_parquet", denied_parquet)
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(model)
    assert info.value.file == str(model / "contacts.parquet")
    assert "permission denied" in info.value.reason and "damaged" not in info.value.reason


def test_errors_that_are_no_unreadable_input_are_not_turned_into_export_errors(
    tmp_path, monkeypatch
):
    # a bug stays a bug; a temporary folder smk may not write in is no fault of the export
    from smk.io import files

    def broken(path, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(files, "read_any", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        smk.load(HUBSPOT)
    monkeypatch.undo()
    archive = Path(shutil.make_archive(str(tmp_path / "export"), "zip", HUBSPOT))

    def unwritable(self, member, path=None, pwd=None):
        raise PermissionError(13, "Permission denied", os.path.join(path, str(member)))

    monkeypatch.setattr(zipfile.ZipFile, "extract", unwritable)
    with pytest.raises(PermissionError):
        smk.load(archive)


def _without_root_power() -> tuple[str, ...]:
    """A command prefix under which chmod 000 stops this process reading (none for a user
    who is not root); skips where root cannot drop that power."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv cannot test permissions")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


def test_files_without_read_permission_for_real(tmp_path):
    prefix = _without_root_power()
    folder = copy_of(HUBSPOT, tmp_path)
    parquet = tmp_path / "parquet"
    write_canonical(smk.load(HUBSPOT), parquet, fmt="parquet")
    archive = Path(shutil.make_archive(str(tmp_path / "export"), "zip", HUBSPOT))
    locked = [folder / DEALS, parquet / "deals.parquet", archive]
    for path in locked:
        path.chmod(0)
    try:
        for source, named in ((folder, locked[0]), (parquet, locked[1]), (archive, archive)):
            result = run_cli("validate", str(source), prefix=prefix)
            assert result.returncode == 2, result.stderr
            assert f"{named}: permission denied: smk may not read this file" in result.stderr
        single = run_cli("validate", str(locked[0]), prefix=prefix)
        assert f"{locked[0]}: permission denied" in single.stderr
    finally:
        for path in locked:
            path.chmod(0o644)


# ------------------------------------------------- 3. folders with no export directly in it
def test_a_folder_with_only_the_answer_key_says_so(tmp_path):
    folder = tmp_path / "export"
    (folder / "truth").mkdir(parents=True)
    (folder / "truth" / "channel_effects.csv").write_text("channel,effect\nads,1\n")
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(folder)
    assert "the folder is empty" not in info.value.reason
    assert "the folder 'truth' is the answer key `smk synth` writes" in info.value.reason


def test_a_folder_holding_the_export_one_level_down_says_where_it_is(tmp_path):
    folder = tmp_path / "download"
    shutil.copytree(HUBSPOT, folder / "hubspot")
    (folder / "README.md").write_text("our export")
    for fmt in ("auto", "hubspot"):
        with pytest.raises(smk.CRMExportError) as info:
            smk.load(folder, format=fmt)
        assert info.value.file == str(folder)
        assert info.value.reason.startswith("no export files directly in it")
        assert "the folder 'hubspot' holds 3 export file(s)" in info.value.reason
        assert "point smk at that folder" in info.value.reason
        assert "README.md, of no type smk reads" in info.value.reason


def test_a_zip_of_two_export_folders_names_both(tmp_path):
    for name in ("one", "two"):
        shutil.copytree(HUBSPOT, tmp_path / "content" / name)
    archive = Path(shutil.make_archive(str(tmp_path / "two"), "zip", tmp_path / "content"))
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(archive)
    assert info.value.file == str(archive)
    assert "the folder 'one' holds" in info.value.reason
    assert "the folder 'two' holds" in info.value.reason


def test_a_folder_of_unreadable_table_files_names_them(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    os.mkfifo(folder / CONTACTS)
    (folder / f"{DEALS}.gz").write_bytes(gzip.compress(b"Record ID,Deal Name\n"))
    with pytest.raises(smk.CRMExportError) as info:
        smk.load(folder)
    assert f"{CONTACTS} is a named pipe (FIFO), not a regular file" in info.value.reason
    assert f"{DEALS}.gz is a compressed file (.gz)" in info.value.reason


def test_a_folder_empty_but_for_hidden_files_is_called_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_bytes(b"")
    with pytest.raises(smk.CRMExportError, match="the folder is empty: no export files in it"):
        smk.load(tmp_path / "empty")


# ----------------------------------------------------- 4. an export without contacts
def _checks_cell() -> str:
    cells = json.loads(NOTEBOOK_00.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return next(s for s in sources if s.startswith("crm.quality.check()"))


def test_the_data_quality_checks_say_no_contacts_with_a_no_data_error(tmp_path):
    # was: AssertionError: no contacts were loaded (the report failed instead of a short page)
    folder = copy_of(HUBSPOT, tmp_path)
    contacts = folder / CONTACTS
    contacts.write_text(contacts.read_text(encoding="utf-8").splitlines()[0] + "\n")
    crm = smk.load(folder)
    assert crm.missing_tables()[:1] == ["contacts"] and len(crm.deals) > 0
    with pytest.raises(smk.NoDataError, match="needs the contacts table"):
        exec(_checks_cell(), {"crm": crm})
