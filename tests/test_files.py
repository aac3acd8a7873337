"""Reading export files: encodings decided by the whole file, not only its first bytes."""

import csv
import io

from smk.io import files
from smk.io.files import read_any


def test_windows_1252_after_a_long_ascii_start_is_read_correctly(tmp_path):
    # Excel re-saves keep ASCII rows ASCII: the first non-UTF-8 byte can come megabytes in
    lines = ["Record ID,Company name,Create Date"]
    lines += [f"{i},Acme {i},2026-01-01 10:00" for i in range(70_000)]
    lines += ["70001,Société Générale,2026-01-02 10:00"]
    path = tmp_path / "hubspot-crm-exports-all-companies-2026-01-03.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    frame = read_any(path)
    assert len(frame) == 70_001
    assert frame["Company name"].iloc[-1] == "Société Générale"
    assert frame["_row"].iloc[-1] == 70_002


def test_utf8_text_is_not_mistaken_for_windows_1252(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("contact_id,name\n1,Zoë Ångström\n", encoding="utf-8")
    assert read_any(path)["name"].iloc[0] == "Zoë Ångström"


def test_date_columns_arrow_can_read_whole_become_timestamps_others_stay_text(tmp_path):
    import pandas as pd

    path = tmp_path / "dates.csv"
    path.write_text(
        "id,blank_gaps,zoned,bad_then_blank,mixed_zones\n"
        "1,2025-01-01 10:00,2025-01-01T10:00:00Z,2025-01-01 10:00,2025-01-01T10:00:00Z\n"
        "2,,2025-01-02T10:00:00+01:00,garbage,2025-01-02 10:00\n"
        "3,2025-01-03 10:00,2025-01-03T10:00:00Z,,2025-01-03T10:00:00Z\n"
    )
    frame = read_any(path, timestamps=["blank_gaps", "zoned", "bad_then_blank", "mixed_zones"])
    assert frame["blank_gaps"].dtype == "datetime64[ns]"  # naive: the loader applies the zone
    assert frame["blank_gaps"].isna().tolist() == [False, True, False]
    assert str(frame["zoned"].dtype) == "datetime64[ns, UTC]"
    assert frame["zoned"][1] == pd.Timestamp("2025-01-02 09:00", tz="UTC")
    # text for smk's own parser, which sets the bad value aside with its row
    assert frame["bad_then_blank"].tolist() == ["2025-01-01 10:00", "garbage", ""]
    assert frame["mixed_zones"][1] == "2025-01-02 10:00"


def _zip(folder, target, prefix=""):
    import zipfile

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def _counts(crm):
    return {t: (a.read, a.loaded, a.n_set_aside) for t, a in crm.quality.tables.items()}


def test_an_export_zip_loads_like_the_folder_it_holds(tmp_path):
    import smk
    from smk import config

    for folder, prefix in ((config.SAMPLE_HUBSPOT, "hubspot/"), (config.SAMPLE_SALESFORCE, "")):
        archive = _zip(folder, tmp_path / f"{folder.name}.zip", prefix)
        crm, direct = smk.load(archive), smk.load(folder)
        assert crm.format == direct.format and crm.source == str(archive)
        assert _counts(crm) == _counts(direct)
        assert crm.contacts.equals(direct.contacts)
        assert crm.quality.files == direct.quality.files  # names inside the zip, no temp path


def test_a_bad_export_zip_is_refused_with_a_clear_message(tmp_path):
    import zipfile

    import pytest

    import smk
    from smk.errors import CRMExportError

    junk = tmp_path / "export.zip"
    junk.write_text("not a zip")
    with pytest.raises(CRMExportError, match="not a readable zip file"):
        smk.load(junk)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../contacts.csv", "contact_id,created_at\n1,2026-01-01\n")
    with pytest.raises(CRMExportError, match="path outside its folder"):
        smk.load(evil)
    assert not (tmp_path.parent / "contacts.csv").exists()
    partial = tmp_path / "partial.zip"
    with zipfile.ZipFile(partial, "w") as archive:
        archive.writestr(
            "hubspot-crm-exports-all-contacts-2026-11-01.csv", "Record ID,Email\n1,a@b.c\n"
        )
    with pytest.raises(CRMExportError) as err:
        smk.load(partial)
    message = str(err.value)
    assert message.startswith(f"{partial} (hubspot-crm-exports-all-contacts-2026-11-01.csv)")
    assert "smk-zip-" not in message


def test_line_breaks_in_values_survive_block_boundaries(tmp_path, monkeypatch):
    """Quoted values with line breaks, cut by many small read blocks, come back whole (a
    reader that splits blocks at every line break returned `   é"` for the first value)."""
    rows = [["Record ID", "Notes", "Owner"]]
    rows += [[str(i), f"line one\r\nline {i}\n   é", "o"] for i in range(1, 40)]
    rows += [[str(i), f'said ""hi""\nbye {i}', ""] for i in range(40, 80)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = tmp_path / "notes.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    monkeypatch.setattr(files, "_BLOCK_SIZE", 64)  # a value straddles most block boundaries
    frame = read_any(path)
    want = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))[1:]
    got = frame[["Record ID", "Notes", "Owner"]].fillna("").to_numpy().tolist()
    assert got == want
    assert frame["_row"].tolist() == list(range(2, 81))


def test_macos_and_office_twins_beside_an_export_are_not_read(tmp_path):
    import shutil

    import smk
    from smk import config

    for folder in (config.SAMPLE_HUBSPOT, config.SAMPLE_SALESFORCE):
        copy = shutil.copytree(folder, tmp_path / folder.name)
        for data in sorted(copy.glob("*.csv")):
            # AppleDouble (resource fork) twins start with this magic number, then NULs
            (copy / f"._{data.name}").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
        (copy / "~$deals.xlsx").write_bytes(b"\x0bowner\x00")  # Excel's lock file
        crm, direct = smk.load(copy), smk.load(folder)
        assert crm.format == direct.format
        assert _counts(crm) == _counts(direct)
        assert crm.quality.files == direct.quality.files


def test_an_unclosed_quote_is_named_as_such_and_its_row_keeps_the_lines_it_ran_over(tmp_path):
    import smk

    rows = ['"Record ID","First Name","Email","Lifecycle Stage","Create Date","Job Title"']
    for i in range(1, 8):
        title = '"Senior Manager' if i == 3 else '"CEO"'  # row 3 never closes its quote
        rows.append(f'"{i}","N{i}","n{i}@x.test","Lead","2026-01-0{i} 10:00",{title}')
    (tmp_path / "hubspot-crm-exports-all-contacts-2026-02-01.csv").write_text(
        "\n".join(rows) + "\n"
    )
    crm = smk.load(tmp_path)
    account = crm.quality.tables["contacts"]
    assert account.read == account.loaded + account.n_set_aside
    assert account.reasons() == {"unclosed quote (the row runs on over the next lines)": 1}
    aside = crm.quality.set_aside("contacts")
    assert aside["_row"].tolist() == ["4"]  # the line the quote opened on
    assert "n4@x.test" in aside["_text"].iloc[0]  # the record it swallowed is shown, not lost
    assert "4" not in set(crm.contacts["contact_id"])
