"""An export replaced while smk reads it: the load is refused, naming the files that changed,
instead of a mix of two exports whose rows are set aside as the export's own faults."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
import smk.io.files as fileio
from smk.errors import CRMExportError

FIXTURES = Path(__file__).parent / "fixtures"


def _change_after_first_read(monkeypatch, change) -> None:
    """`change()` runs once, right after smk has read the first file of the export."""
    real, done = fileio.read_any, []

    def reading(path, *args, **kwargs):
        frame = real(path, *args, **kwargs)
        if not done:
            done.append(path)
            change()
        return frame

    monkeypatch.setattr(fileio, "read_any", reading)


def test_an_export_copied_over_the_folder_during_a_load_is_refused(tmp_path, monkeypatch):
    """The consultancy's case (race2.py): a new export copied over the folder after the
    contacts were read loaded the new deals against the old contacts, 697 deals set aside
    as of unknown contacts, exit 0."""
    export = shutil.copytree(FIXTURES / "hubspot" / "ui", tmp_path / "client")
    newer = FIXTURES / "hubspot" / "eu"  # the same file names, other rows
    real_csv, done = fileio.read_csv_strings, []

    def reading(path, *args, **kwargs):
        frame = real_csv(path, *args, **kwargs)
        if "contacts" in Path(path).name and not done:
            done.append(path)
            for f in newer.iterdir():
                shutil.copy(f, export / f.name)
        return frame

    monkeypatch.setattr(fileio, "read_csv_strings", reading)
    with pytest.raises(CRMExportError) as err:
        smk.load(export)
    assert done
    assert re.fullmatch(
        r"changed while it was read(, as did .*)? \(an export being refreshed\?\): load it "
        r"again once the export is complete",
        err.value.reason,
    )
    assert Path(err.value.file).parent == export


def _append_row(path: Path) -> None:
    with path.open("a") as fh:
        fh.write("\n")


@pytest.mark.parametrize(
    ("fixture", "options", "changed"),
    [
        ("salesforce/dataloader", {}, "Opportunity.csv"),
        ("pipedrive", {"mapping": "pipedrive"}, "deals.csv"),
    ],
)
def test_every_format_checks_the_files_it_read(tmp_path, monkeypatch, fixture, options, changed):
    export = shutil.copytree(FIXTURES / fixture, tmp_path / "client")
    _change_after_first_read(monkeypatch, lambda: _append_row(export / changed))
    with pytest.raises(CRMExportError, match="changed while it was read") as err:
        smk.load(export, **options)
    assert err.value.file == str(export / changed)


def test_a_canonical_parquet_file_removed_during_a_load_is_named(tmp_path, monkeypatch):
    """A file gone by the end of the load (a refresh that deletes first) is named as such."""
    export = tmp_path / "client"
    export.mkdir()
    pd.DataFrame({"contact_id": ["1"], "created_at": ["2026-01-02"]}).to_parquet(
        export / "contacts.parquet"
    )
    pd.DataFrame({"deal_id": ["d1"], "contact_id": ["1"], "created_at": ["2026-02-01"]}).to_parquet(
        export / "deals.parquet"
    )
    gone = export / "deals.parquet"
    _change_after_first_read(monkeypatch, lambda: gone.rename(tmp_path / "moved.parquet"))
    with pytest.raises(CRMExportError, match="went away while it was read") as err:
        smk.load(export)
    assert err.value.file == str(gone)


def test_a_file_the_load_does_not_read_may_change_meanwhile(tmp_path, monkeypatch):
    """A sync tool's log beside the export, appended to during a load, failed the load as a
    changed export file although smk never reads it (its "not read" warning names it)."""
    export = shutil.copytree(FIXTURES / "hubspot" / "ui", tmp_path / "client")
    log = export / "sync-log.txt"
    log.write_text("start\n")
    _change_after_first_read(monkeypatch, lambda: log.write_text("start\nmore\n"))
    crm = smk.load(export)
    assert log.read_text() == "start\nmore\n"
    assert any("sync-log.txt" in w for w in crm.quality.warnings)
