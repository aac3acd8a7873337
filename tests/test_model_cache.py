"""Writing a Parquet model into a folder: the folder then holds that model whole, and the model
names its export so that it can be found from any working folder."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.errors import CRMExportError
from smk.model import CRM, TABLES, export_changed

CONTACTS = "contact_id,email,created_at,lifecycle_stage,original_source\n"
GOOD = [
    "c1,a@example.test,2026-01-02T10:00:00Z,mql,paid_search\n",
    "c2,b@example.test,2026-01-03T11:00:00Z,lead,email\n",
    "c3,c@example.test,2026-01-04T11:00:00Z,lead,email\n",
]
DEALS = "deal_id,contact_id,created_at,amount\nd1,c1,2026-02-01T00:00:00Z,1200.5\n"


def _export(folder: Path, bad_rows: int) -> Path:
    """A canonical export: three contacts and a deal, with `bad_rows` contacts set aside."""
    folder.mkdir(parents=True)
    bad = [f"x{i},x{i}@example.test,not-a-date,lead,email\n" for i in range(bad_rows)]
    (folder / "contacts.csv").write_text(CONTACTS + "".join(GOOD + bad))
    (folder / "deals.csv").write_text(DEALS)
    return folder


def _messy_and_clean(tmp_path: Path) -> tuple[CRM, CRM]:
    messy = smk.load(_export(tmp_path / "messy", bad_rows=2))
    clean = smk.load(_export(tmp_path / "clean", bad_rows=0))
    clean.contacts = clean.contacts.iloc[:2]  # rows other than the messy model's
    assert messy.quality.tables["contacts"].n_set_aside == 2
    assert not any(a.n_set_aside for a in clean.quality.tables.values())
    return messy, clean


def _assert_reads_back_as(folder: Path, crm: CRM) -> None:
    again = smk.load(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(again, name), getattr(crm, name).reset_index(drop=True)
        )
    assert again.quality.to_dict() == crm.quality.to_dict()


def test_a_models_text_reads_back_as_the_models_string_dtype(tmp_path):
    """Text columns (the tables' and the set-aside rows') read back as written: `string`,
    missing as <NA>. (pyarrow before 19 read them as pandas' `str`, missing as NaN.)"""
    crm = smk.load(_export(tmp_path / "export", bad_rows=2))
    crm.to_parquet(tmp_path / "model")
    back = smk.load(tmp_path / "model")
    frames = [(getattr(back, n), getattr(crm, n)) for n in TABLES]
    frames.append((back.quality.set_aside("contacts"), crm.quality.set_aside("contacts")))
    for got, written in frames:
        assert got.dtypes.map(repr).to_dict() == written.dtypes.map(repr).to_dict()
    assert back.contacts["lifecycle_stage"].dtype.na_value is pd.NA


def test_writing_a_model_again_replaces_the_earlier_one_whole(tmp_path):
    """The monthly workflow: a clean export written over last month's model, which had rows
    set aside, read the old set-aside files as its own (a damaged cache, exit 2)."""
    messy, clean = _messy_and_clean(tmp_path)
    model = tmp_path / "model"
    messy.to_parquet(model)
    assert (model / "contacts.set_aside.parquet").is_file()
    (model / "notes.md").write_text("the user's own file")
    clean.to_parquet(model)
    _assert_reads_back_as(model, clean)
    assert not list(model.glob("*.set_aside.parquet"))  # the earlier model's files are gone
    assert (model / "notes.md").read_text() == "the user's own file"  # not smk's: kept
    assert sorted(p.name for p in model.iterdir() if p.name.startswith(".")) == []
    messy.to_parquet(model)  # and back
    _assert_reads_back_as(model, messy)


def test_a_set_aside_file_the_manifest_does_not_list_is_not_read(tmp_path):
    messy, clean = _messy_and_clean(tmp_path)
    messy.to_parquet(tmp_path / "messy_model")
    clean.to_parquet(tmp_path / "model")
    stray = tmp_path / "messy_model" / "contacts.set_aside.parquet"
    shutil.copy(stray, tmp_path / "model" / stray.name)  # put there by hand or another tool
    _assert_reads_back_as(tmp_path / "model", clean)
    listed = json.loads((tmp_path / "model" / "smk-model.json").read_text())["model_files"]
    assert sorted(listed) == sorted(f"{t}.parquet" for t in TABLES)


def test_a_write_that_fails_before_moving_in_leaves_the_earlier_model(tmp_path, monkeypatch):
    """Files used to be overwritten one by one: a write stopped after the contacts left the
    earlier manifest with the new contacts, a mix of two models."""
    messy, clean = _messy_and_clean(tmp_path)
    model = messy.to_parquet(tmp_path / "model")
    real, calls = pd.DataFrame.to_parquet, []

    def failing(frame, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(OSError, match="No space left"):
        clean.to_parquet(model)
    monkeypatch.undo()
    _assert_reads_back_as(model, messy)
    assert not list(model.glob(".smk-write-*"))  # its temporary folder went with it


def test_a_write_stopped_while_moving_in_reads_as_unfinished(tmp_path, monkeypatch):
    import smk.model

    messy, clean = _messy_and_clean(tmp_path)
    model = messy.to_parquet(tmp_path / "model")
    real, calls = smk.model.os.replace, []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # the unfinished marker and one table are in
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(smk.model.os, "replace", failing)
    with pytest.raises(OSError, match="Input/output error"):
        clean.to_parquet(model)
    monkeypatch.undo()
    with pytest.raises(
        CRMExportError, match="being written: a write in progress.*stopped midway"
    ) as err:
        smk.load(model)
    assert err.value.file == str(model / "smk-model.json")
    clean.to_parquet(model)  # writing it again mends it
    _assert_reads_back_as(model, clean)


def test_a_killed_writes_temporary_folder_is_removed_by_the_next_write(tmp_path):
    _, clean = _messy_and_clean(tmp_path)
    leftover = tmp_path / "model" / ".smk-write-k1ll3d"
    leftover.mkdir(parents=True)
    (leftover / "contacts.parquet").write_bytes(b"PAR1 personal data")
    clean.to_parquet(tmp_path / "model")
    assert not leftover.exists()
    _assert_reads_back_as(tmp_path / "model", clean)


def test_a_model_names_its_export_by_its_absolute_path(tmp_path, monkeypatch):
    """`smk.load("base/export").to_parquet("model")` stored "base/export": a report or a
    truth lookup run from another working folder then named a folder that is not there."""
    from smk.attribution import truth_shares

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    export = _export(work / "base" / "export", bad_rows=0)
    (export / "truth").mkdir()
    (export / "truth" / "channel_effects.csv").write_text(
        "channel,share_of_incremental\npaid_search,0.75\nemail,0.25\n"
    )
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    smk.load("base/export").to_parquet("model")
    monkeypatch.chdir(elsewhere)
    again = smk.load(work / "model")
    assert again.source == str(export.resolve())
    assert Path(again.source).is_dir()
    shares = truth_shares(work / "model")  # found beside the export the model names
    assert shares is not None and shares.to_dict() == {"paid_search": 0.75, "email": 0.25}


@pytest.mark.parametrize(
    "source",
    ["postgresql://smk:***@db.example/crm", "sqlite:///relative.db", "smk.synth", ""],
)
def test_a_models_source_that_is_no_local_path_is_stored_as_it_is(tmp_path, source):
    CRM(source=source, format="sql").to_parquet(tmp_path / "model")
    assert smk.load(tmp_path / "model").source == source


def test_an_absolute_export_path_is_stored_as_given(tmp_path):
    """Through a link as the user named it, not the folder the link points at."""
    export = _export(tmp_path / "exports" / "2026-10", bad_rows=0)
    (tmp_path / "current").symlink_to(export)
    smk.load(tmp_path / "current").to_parquet(tmp_path / "model")
    assert smk.load(tmp_path / "model").source == str(tmp_path / "current")


def test_an_export_folder_read_as_parquet_is_no_model_folder_not_a_damaged_cache(tmp_path):
    """`smk validate export --format parquet` said "a damaged smk model cache ... write it
    again" of a HubSpot export's folder, which was never a cache."""
    from smk.errors import CRMExportError

    (tmp_path / "contacts.csv").write_text("contact_id,created_at\n1,2026-01-01\n")
    with pytest.raises(CRMExportError) as caught:
        smk.load(tmp_path, format="parquet")
    message = str(caught.value)
    assert "no smk-model.json here: not an smk model folder" in message
    assert "damaged" not in message


def test_a_model_is_not_written_into_an_export_folder(tmp_path):
    """`smk.load("clients/cm2").to_parquet("clients/cm2")`: the folder then read as the model,
    and a new export copied in went unread (the old contacts, no warning)."""
    export = _export(tmp_path / "export", bad_rows=0)
    with pytest.raises(CRMExportError, match="holds export files .*choose another folder") as err:
        smk.load(export).to_parquet(export)
    assert err.value.file == str(export)
    assert "contacts.csv" in err.value.reason
    assert not (export / "smk-model.json").exists()


@pytest.mark.parametrize("newer", ["deals.csv", "contacts-2026-11.csv"])
def test_a_model_whose_export_changed_since_says_so(tmp_path, newer):
    """A file the model was read from rewritten, or a new export's file (HubSpot names its
    exports by date) beside them: the model read back as the old export without a word."""
    import os

    export = _export(tmp_path / "export", bad_rows=0)
    model = smk.load(export).to_parquet(tmp_path / "model")
    before = smk.load(model).quality.warnings
    assert not [w for w in before if "export changed" in w]
    written = (model / "smk-model.json").stat().st_mtime_ns - 10**10  # written 10 s ago,
    os.utime(model / "smk-model.json", ns=(written, written))
    for f in export.iterdir():  # from files older still
        os.utime(f, ns=(written - 10**10, written - 10**10))
    (export / newer).write_text((export / "deals.csv").read_text())  # modified now
    added = smk.load(model).quality.warnings[len(before) :]
    assert len(added) == 1
    assert added[0].startswith(
        f"the export changed after this model was written: {newer} in {export.resolve()} is "
        "newer than the model"
    )
    assert "write the model again" in added[0]


def test_a_live_writes_folder_survives_another_write(tmp_path, monkeypatch):
    """Each write removed every `.smk-write-*` folder as a killed write's, another live
    write's too: 10 of 12 concurrent writes failed with FileNotFoundError."""
    import threading

    import smk.model

    messy, clean = _messy_and_clean(tmp_path)
    model = tmp_path / "model"
    real, started, go = smk.model.CRM._write_model, threading.Event(), threading.Event()

    def slow(crm, folder):
        if crm is messy:  # the first write: its folder holds its files while it waits
            written = real(crm, folder)
            started.set()
            assert go.wait(10)
            return written
        return real(crm, folder)

    monkeypatch.setattr(smk.model.CRM, "_write_model", slow)
    errors = []

    def write(crm):
        try:
            crm.to_parquet(model)
        except Exception as exc:  # noqa: BLE001 - any failure of either write fails the test
            errors.append(exc)

    first = threading.Thread(target=write, args=(messy,))
    first.start()
    assert started.wait(10)
    live = list(model.glob(".smk-write-*"))
    second = threading.Thread(target=write, args=(clean,))
    second.start()
    second.join(1)  # the second write waits for the first
    assert [p for p in live if p.is_dir() and (p / "contacts.parquet").is_file()] == live != []
    go.set()
    first.join(10)
    second.join(10)
    assert errors == []
    _assert_reads_back_as(model, clean)  # the last write's model
    assert sorted(p.name for p in model.iterdir() if p.name.startswith(".")) == []


def test_a_model_rewritten_while_it_is_read_is_read_again(tmp_path, monkeypatch):
    """A reader whose write swapped the files mid-read said "a damaged smk model cache ...
    write it again" of a sound model (rw.py)."""
    import smk.model

    messy, clean = _messy_and_clean(tmp_path)
    model = messy.to_parquet(tmp_path / "model")
    real, reads = smk.model._read_cached, []

    def rewritten(path, *args, **kwargs):
        reads.append(path)
        if len(reads) == 1:  # another process writes the clean model meanwhile
            clean.to_parquet(model)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(smk.model, "_read_cached", rewritten)
    monkeypatch.setattr(smk.model, "_REREAD_WAIT", 0)
    _assert_reads_back_as(model, clean)


def test_a_model_rewritten_at_every_read_says_a_write_is_in_progress(tmp_path, monkeypatch):
    import smk.model

    messy, clean = _messy_and_clean(tmp_path)
    model = messy.to_parquet(tmp_path / "model")
    real, turn = smk.model._read_cached, [messy, clean]

    def rewritten(path, *args, **kwargs):
        if path.name == "contacts.parquet":
            turn.reverse()
            turn[0].to_parquet(model)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(smk.model, "_read_cached", rewritten)
    monkeypatch.setattr(smk.model, "_REREAD_WAIT", 0)
    with pytest.raises(CRMExportError) as err:
        smk.load(model)
    assert "changed while it was read (a write in progress?)" in err.value.reason
    assert "damaged" not in str(err.value)


def test_an_export_time_after_the_present_tells_nothing(tmp_path):
    """Files whose times are ahead of this machine's clock (a file server's clock ahead, times
    kept from an archive) made every fresh model say its export had changed since."""
    import os
    import time

    export = _export(tmp_path / "export", bad_rows=0)
    ahead = time.time_ns() + 2 * 3600 * 10**9
    for f in export.iterdir():
        os.utime(f, ns=(ahead, ahead))
    model = smk.load(export).to_parquet(tmp_path / "model")
    assert not [w for w in smk.load(model).quality.warnings if "export changed" in w]


def test_a_model_folder_holding_notes_is_written_again(tmp_path):
    """A folder that holds a model already is the model's: a README.txt beside it made the
    next monthly write refuse the folder as an export's."""
    crm = smk.load(_export(tmp_path / "export", bad_rows=0))
    model = crm.to_parquet(tmp_path / "model")
    (model / "README.txt").write_text("notes")
    assert crm.to_parquet(model) == model
    assert (model / "README.txt").read_text() == "notes"
    assert smk.load(model).quality.tables["contacts"].loaded == len(crm.contacts)


def test_the_cache_of_a_report_says_its_export_changed_while_the_report_ran(tmp_path):
    """The cache `smk report` reads its notebooks from told the published page to "write the
    model again (smk.load(export).to_parquet(folder))": advice for a user's own model, not
    for a reader of a report whose export was refreshed while it ran."""
    import os

    export = _export(tmp_path / "export", bad_rows=0)
    cache = smk.load(export).to_parquet(tmp_path / ".cache-2026-10-abcd")
    (cache / "smk-report-source.json").write_text("{}\n")
    written = (cache / "smk-model.json").stat().st_mtime_ns - 10**10
    os.utime(cache / "smk-model.json", ns=(written, written))
    for f in export.iterdir():
        os.utime(f, ns=(written - 10**10, written - 10**10))
    assert export_changed(cache) is None
    (export / "deals.csv").write_text((export / "deals.csv").read_text())  # modified now
    said = export_changed(cache)
    assert said == (
        f"the export changed while this report ran: deals.csv in {export.resolve()} is newer "
        "than the report's load of it, which its pages show; run the report again for the "
        "export as it is now"
    )
    assert said in smk.load(cache).quality.warnings


def test_a_file_the_load_did_not_read_changes_no_model(tmp_path):
    """A note or a sync tool's log beside the export (the load read none of it) rewritten
    after the model was written: every read of the model, and of a model written from it (the
    report's cache of a `--data` model), warned that the export had changed."""
    import os

    export = _export(tmp_path / "export", bad_rows=0)
    (export / "notes.txt").write_text("exported by Jo\n")
    model = smk.load(export).to_parquet(tmp_path / "model")
    again = smk.load(model).to_parquet(tmp_path / "again")
    for folder in (model, again):
        written = (folder / "smk-model.json").stat().st_mtime_ns - 10**10
        os.utime(folder / "smk-model.json", ns=(written, written))
    for f in export.iterdir():
        os.utime(f, ns=(written - 10**10, written - 10**10))
    (export / "notes.txt").write_text("exported by Jo\nrefreshed OK\n")  # modified now
    for folder in (model, again):
        assert not [w for w in smk.load(folder).quality.warnings if "export changed" in w]
        assert export_changed(folder) is None
    (export / "deals.csv").write_text((export / "deals.csv").read_text())  # but a file it read
    assert export_changed(again).startswith("the export changed after this model was written")


def test_a_model_folder_holding_only_a_note_is_written(tmp_path):
    """`to_parquet` into a new folder holding a README.txt refused it as an export folder."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.txt").write_text("Model of the HubSpot export, rebuilt nightly\n")
    export = _export(tmp_path / "export", bad_rows=0)
    crm = smk.load(export)
    assert crm.to_parquet(folder) == folder
    _assert_reads_back_as(folder, crm)
    assert (folder / "README.txt").read_text().startswith("Model of the HubSpot")


def test_a_folder_of_a_text_export_is_still_refused(tmp_path):
    """Text files that are an export smk recognises (a tab-separated Salesforce report saved as
    .txt) still keep a model out of their folder."""
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "leads.txt").write_text("Id\tLeadSource\tIsConverted\n00Q1\tWeb\tfalse\n")
    with pytest.raises(CRMExportError, match="holds export files \\(leads.txt\\)"):
        smk.load(_export(tmp_path / "export", bad_rows=0)).to_parquet(folder)


def test_a_file_the_load_read_for_no_table_of_its_own_still_changes_the_model(tmp_path):
    """Salesforce's Campaign.csv gives touchpoints their channels and campaign names, though
    no table is read from it: recorded as a file not read, its change went unsaid (the
    touchpoints' channels of the model were no longer the export's)."""
    import os

    from smk import config

    export = tmp_path / "sf"
    shutil.copytree(config.SAMPLE_SALESFORCE, export)
    (export / "notes.txt").write_text("exported by Jo\n")
    crm = smk.load(export)
    assert crm.quality.unread == ["notes.txt"]
    model = crm.to_parquet(tmp_path / "model")
    assert smk.load(model).quality.unread == ["notes.txt"]
    written = (model / "smk-model.json").stat().st_mtime_ns - 10**10
    os.utime(model / "smk-model.json", ns=(written, written))
    for f in export.iterdir():
        os.utime(f, ns=(written - 10**10, written - 10**10))
    (export / "notes.txt").write_text("refreshed\n")
    assert export_changed(model) is None
    (export / "Campaign.csv").write_text((export / "Campaign.csv").read_text())
    said = export_changed(model)
    assert said is not None and said.startswith(
        f"the export changed after this model was written: Campaign.csv in {export.resolve()}"
    )
