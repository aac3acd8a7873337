"""Reading export files: encodings decided by the whole file, not only its first bytes."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

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


# ----------------------------------------------------------------- .xls (Excel 97-2003) exports
#
# HubSpot exports "CSV, XLSX or XLS". tests/fixtures/hubspot/xls/ holds one contacts export as
# a real BIFF8 .xls and as the CSV HubSpot writes for the same rows (`XLS_ROWS` below: ids as
# the floats Excel holds, dates as date cells, a `[h]:mm:ss` duration, non-ASCII names, empty
# cells, a formatted empty row after the data). Both were made, in that folder, with xlwt 1.3
# (a writer only these fixtures need, not a dependency of smk) by this script:
#
#   import csv, datetime as dt, xlwt
#   HEADERS, ROWS = ...  # XLS_HEADERS and XLS_ROWS below, as written here
#   NAME = "hubspot-crm-exports-all-contacts-2026-02-21"
#   date = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
#   duration = xlwt.easyxf(num_format_str="[h]:mm:ss")
#   book = xlwt.Workbook(encoding="utf-8")
#   sheet = book.add_sheet("Contacts")
#   for c, header in enumerate(HEADERS):
#       sheet.write(0, c, header)
#   for r, row in enumerate(ROWS, start=1):
#       for c, value in enumerate(row):
#           if isinstance(value, dt.datetime):
#               sheet.write(r, c, value, date)
#           elif isinstance(value, dt.timedelta):
#               sheet.write(r, c, value.total_seconds() / 86400, duration)
#           elif value is not None:
#               sheet.write(r, c, value)
#   for c in range(3):  # a formatted but empty row after the data, as Excel keeps them
#       sheet.write(len(ROWS) + 2, c, None, date)
#   book.save(f"{NAME}.xls")
#   def text(value):  # as HubSpot writes the CSV
#       if isinstance(value, float):
#           return str(int(value))
#       if isinstance(value, dt.datetime):
#           return value.strftime("%Y-%m-%d %H:%M")
#       if isinstance(value, dt.timedelta):
#           minutes = int(value.total_seconds()) // 60
#           return f"{minutes // 60}:{minutes % 60:02d}:00"
#       return "" if value is None else value
#   with open(f"{NAME}.csv", "w", encoding="utf-8", newline="") as fh:
#       csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(
#           [HEADERS] + [[text(v) for v in row] for row in ROWS])
#
# encrypted-password-smk.xlsx is a two-column .xlsx (Record ID, Email) locked with the password
# `smk`, as a user password-protects an export (Office's agile encryption, made with
# msoffcrypto-tool 6.1: `OOXMLFile(open(plain, "rb")).encrypt("smk", out)`).

XLS_DIR = Path(__file__).parent / "fixtures" / "hubspot" / "xls"
XLS_NAME = "hubspot-crm-exports-all-contacts-2026-02-21"
XLS_HEADERS = [
    "Record ID", "First Name", "Last Name", "Email", "Lifecycle Stage", "Create Date",
    "Became a Lead Date", "Original Source", "Original Source Drill-Down 1", "Country/Region",
    "Job Title", "Time to move from lead to customer (HH:mm:ss)", "Last Modified Date",
    "Associated Company IDs",
]  # fmt: skip
XLS_ROWS = [
    [3000000001.0, "Zoë", "Ångström", "zoe@quillfeather.example", "Customer",
     dt.datetime(2026, 1, 15, 10, 2), dt.datetime(2026, 1, 20, 8, 15), "Organic Search",
     "crm for widget makers", "Germany", "Head of Operations", dt.timedelta(hours=1779, minutes=33),
     "2026-02-20 22:10", 105284053743.0],
    [3000000002.0, "Łukasz", "Wójcik", "lukasz@bramblewick.example", "Marketing Qualified Lead",
     dt.datetime(2026, 2, 3, 14, 7), dt.datetime(2026, 2, 3, 14, 7), "Paid Search",
     "hubspot alternative", "Poland", None, None, "2026-02-20 22:10", "105284053744;105284053743"],
    [3000000003.0, "Søren", "Kierkegaard-Møller", "soren@example.dk", "Lead",
     dt.datetime(2026, 2, 10, 9, 45), None, "Direct Traffic", None, "Denmark", "CTO", None,
     "2026-02-21 07:00", None],
    [105284060001.0, "Amélie", None, "amelie@example.fr", "Subscriber",
     dt.datetime(2026, 2, 18, 16, 30), None, "Organic Social", "LinkedIn", "France", None, None,
     "2026-02-21 07:05", 105284053745.0],
]  # fmt: skip


def _xlsx_of_xls_rows(path: Path) -> Path:
    """The fixture's rows as Excel saves them in an .xlsx: same cell types, same formats."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(XLS_HEADERS)
    for r, row in enumerate(XLS_ROWS, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c, value)
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.timedelta):
                cell.number_format = "[h]:mm:ss"
    for c in range(1, 4):
        sheet.cell(len(XLS_ROWS) + 3, c).number_format = "yyyy-mm-dd hh:mm"
    book.save(path)
    return path


def test_the_xls_fixture_holds_typed_cells_like_excel_writes():
    """Guards the claims above: xlrd sees numbers, dates and a trailing empty row."""
    import xlrd

    with xlrd.open_workbook(XLS_DIR / f"{XLS_NAME}.xls", formatting_info=True) as book:
        sheet = book.sheet_by_index(0)
        assert book.biff_version == 80 and sheet.nrows > len(XLS_ROWS) + 1
        assert sheet.row_values(0) == XLS_HEADERS
        ids, created, modified = sheet.col(0)[1:5], sheet.col(5)[1:5], sheet.col(12)[1:5]
        assert [(c.ctype, c.value) for c in ids] == [(xlrd.XL_CELL_NUMBER, r[0]) for r in XLS_ROWS]
        assert {c.ctype for c in created} == {xlrd.XL_CELL_DATE}
        assert [c.value for c in modified] == [r[12] for r in XLS_ROWS]


def test_an_xls_export_loads_like_the_same_rows_as_xlsx_and_as_csv(tmp_path):
    import shutil

    import smk

    folders = {kind: tmp_path / kind for kind in ("xls", "xlsx", "csv")}
    for folder in folders.values():
        folder.mkdir()
    shutil.copy(XLS_DIR / f"{XLS_NAME}.xls", folders["xls"])
    shutil.copy(XLS_DIR / f"{XLS_NAME}.csv", folders["csv"])
    _xlsx_of_xls_rows(folders["xlsx"] / f"{XLS_NAME}.xlsx")

    raw = {kind: read_any(folder / f"{XLS_NAME}.{kind}") for kind, folder in folders.items()}
    cells = raw["xls"].drop(columns="_file")
    assert cells.equals(raw["xlsx"].drop(columns="_file"))  # cell for cell, the .xlsx reading
    assert cells.columns.tolist() == [*XLS_HEADERS, "_row"]
    assert cells["Record ID"].tolist() == ["3000000001", "3000000002", "3000000003", "105284060001"]
    assert cells["Create Date"].iloc[0] == "2026-01-15 10:02:00"
    assert cells["Time to move from lead to customer (HH:mm:ss)"].iloc[0] == "1779:33:00"
    assert cells["Associated Company IDs"].tolist()[::3] == ["105284053743", "105284053745"]
    assert cells["First Name"].tolist() == ["Zoë", "Łukasz", "Søren", "Amélie"]
    assert cells["Last Name"].iloc[3] == "" and cells["_row"].tolist() == [2, 3, 4, 5]

    crms = {kind: smk.load(folder) for kind, folder in folders.items()}
    for kind, crm in crms.items():
        assert crm.format == "hubspot"
        assert crm.quality.files["contacts"] == [f"{XLS_NAME}.{kind}"]
        assert _counts(crm) == {"contacts": (4, 4, 0)}
    contacts = crms["xls"].contacts.drop(columns="_file")
    for kind in ("xlsx", "csv"):
        assert contacts.equals(crms[kind].contacts.drop(columns="_file")), kind
    assert contacts["contact_id"].tolist()[:2] == ["3000000001", "3000000002"]
    assert str(contacts["created_at"].iloc[0]) == "2026-01-15 10:02:00+00:00"


def _encrypted_xls(data: bytes) -> bytes:
    """The .xls as Excel writes it with a password: a FILEPASS record right after the BOF."""
    bof = data.index(b"\x09\x08\x10\x00")  # the workbook stream's BIFF8 BOF record
    at = bof + 4 + 16
    return data[:at] + b"\x2f\x00" + data[at + 2 :]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("html", r"Excel workbook: it is a web page \(HTML\) with a .xls name"),
        ("csv", r"Excel workbook: it is a text file \(CSV\?\) with a .xls name"),
        ("utf16", r"Excel workbook: it is a text file \(CSV\?\) with a .xls name"),
        ("truncated", r"Excel workbook: the .xls \(Excel 97-2003\) file is damaged"),
        ("encrypted_xls", r"Excel workbook: it is password-protected \(encrypted\)"),
        ("encrypted_xlsx", r"password-protected \(an encrypted .xlsx\)"),
        ("junk", "Excel workbook: its first bytes are neither an .xls nor an .xlsx"),
    ],
)
def test_a_file_named_xls_that_is_no_readable_workbook_is_refused_with_its_name(
    tmp_path, content, reason
):
    import smk
    from smk.errors import CRMExportError

    xls = (XLS_DIR / f"{XLS_NAME}.xls").read_bytes()
    csv_text = (XLS_DIR / f"{XLS_NAME}.csv").read_text(encoding="utf-8")
    data = {
        "html": b"<html><body><table><tr><td>Record ID</td><td>Email</td></tr></table>",
        "csv": csv_text.encode("utf-8"),
        "utf16": csv_text.replace(",", "\t").encode("utf-16"),
        "truncated": xls[: len(xls) // 2],
        "encrypted_xls": _encrypted_xls(xls),
        "encrypted_xlsx": (XLS_DIR / "encrypted-password-smk.xlsx").read_bytes(),
        "junk": bytes(range(256)) * 4,
    }[content]
    path = tmp_path / f"{XLS_NAME}.xls"
    path.write_bytes(data)
    with pytest.raises(CRMExportError, match=reason) as err:
        smk.load(tmp_path)
    assert err.value.file == str(path)
    assert str(err.value).startswith(f"{path}: ")
    # no engine traceback: raised afresh, or with the engine's error suppressed
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_workbooks_are_read_by_their_bytes_not_their_names(tmp_path):
    """An .xlsx saved with an .xls name reads; a password-protected .xlsx says so."""
    import shutil

    from smk.errors import CRMExportError

    _xlsx_of_xls_rows(tmp_path / "contacts.xlsx")
    shutil.copy(tmp_path / "contacts.xlsx", tmp_path / "contacts.xls")
    shutil.copy(XLS_DIR / f"{XLS_NAME}.xls", tmp_path / "legacy.xlsx")
    frames = [
        read_any(tmp_path / name) for name in ("contacts.xlsx", "contacts.xls", "legacy.xlsx")
    ]
    first = frames[0].drop(columns="_file")
    assert all(first.equals(f.drop(columns="_file")) for f in frames[1:])
    shutil.copy(XLS_DIR / "encrypted-password-smk.xlsx", tmp_path / "locked.xlsx")
    with pytest.raises(CRMExportError, match="password-protected"):
        read_any(tmp_path / "locked.xlsx")


def test_time_of_day_and_duration_cells_read_as_excel_shows_them(tmp_path):
    """`10:30` in a time format was a TypeError (pandas cannot make a Timestamp of a time)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Record ID", "Meeting time", "Time to close (HH:mm:ss)"])
    book.active.append([1, dt.time(10, 30), dt.timedelta(days=2, hours=3, seconds=5)])
    book.active["C2"].number_format = "[h]:mm:ss"
    book.save(tmp_path / "t.xlsx")
    frame = read_any(tmp_path / "t.xlsx")
    assert frame.iloc[0, :3].tolist() == ["1", "10:30:00", "51:00:05"]


# ------------------------------------------------------------------ damaged containers, odd names
HUBSPOT_CONTACTS = (
    "Record ID,First Name,Email,Lifecycle Stage,Create Date\n"
    "101,Ada,ada@example.test,Lead,2026-01-04 10:00\n"
    "102,Bo,bo@example.test,Lead,garbage\n"
)
CONTACTS_NAME = "hubspot-crm-exports-all-contacts-2026-02-01.csv"


def _deflated_zip(path: Path, damage: bool = False, encrypted: bool = False) -> Path:
    """A one-member export zip; `damage` flips bytes of the deflated data, `encrypted` sets the
    members' "encrypted" flag (what `zip -P` writes; Python's zipfile cannot write it)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        rows = "".join(f"{i},N{i},n{i}@example.test,Lead,2026-01-04 10:00\n" for i in range(40))
        archive.writestr(CONTACTS_NAME, HUBSPOT_CONTACTS.splitlines(True)[0] + rows)
    data = bytearray(buffer.getvalue())
    if damage:
        start = 30 + len(CONTACTS_NAME)  # the member's data follows its local header
        for i in range(start, start + 16):
            data[i] ^= 0x5A
    if encrypted:
        data[6] |= 1  # the local header's flags
        central = data.find(b"PK\x01\x02")
        data[central + 8] |= 1  # the central directory's
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "kind, message",
    [("encrypted", "password-protected (encrypted)"), ("damage", "the zip is damaged")],
)
def test_an_encrypted_or_damaged_zip_is_bad_input_naming_the_zip_and_member(
    tmp_path, kind, message
):
    """zipfile raised RuntimeError (password required) and zlib.error: internal errors."""
    import smk
    from smk.errors import CRMExportError

    archive = _deflated_zip(tmp_path / "export.zip", **{kind: True})
    with pytest.raises(CRMExportError) as err:
        smk.load(archive)
    assert str(err.value).startswith(f"{archive} ({CONTACTS_NAME}): ")
    assert message in str(err.value) and "smk-zip-" not in str(err.value)
    assert smk.load(_deflated_zip(tmp_path / "fine.zip")).quality.tables["contacts"].loaded == 40


def _parquet_bytes() -> bytes:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "contact_id": [str(i) for i in range(2000)],
            "created_at": ["2026-01-05 09:00:00"] * 2000,
            "lifecycle_stage": ["lead"] * 2000,
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _spoil_pages(data: bytes) -> bytes:
    """The data pages overwritten, footer intact: Arrow fails decompressing (an OSError)."""
    spoilt = bytearray(data)
    for i in range(100, min(len(data) - 2000, 4000)):
        spoilt[i] = (i * 7) % 256
    return bytes(spoilt)


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda b: b"", "the file is empty (0 bytes)"),
        (
            lambda b: b[: len(b) // 2],
            "cannot be read as a Parquet file: it is damaged or cut short",
        ),
        (lambda b: b"contact_id,created_at\n1,2026-01-05\n", "cannot be read as a Parquet file"),
        (_spoil_pages, "cannot be read as a Parquet file: it is damaged or cut short"),
    ],
    ids=["empty", "cut-short", "csv-named-parquet", "damaged-pages"],
)
def test_an_unreadable_parquet_file_is_bad_input_naming_it(tmp_path, spoil, message):
    """pd.read_parquet's ArrowInvalid / OSError came out of smk.load unguarded."""
    import smk
    from smk.errors import CRMExportError

    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "contacts.parquet").write_bytes(spoil(_parquet_bytes()))
    with pytest.raises(CRMExportError) as err:
        smk.load(folder)
    assert str(err.value).startswith(f"{folder / 'contacts.parquet'}: {message}")
    assert "\n" not in str(err.value)
    (folder / "contacts.parquet").write_bytes(_parquet_bytes())
    assert smk.load(folder).quality.tables["contacts"].loaded == 2000


def _odd_name(folder: Path, name: bytes) -> Path:
    """`folder/name` for a name that is no UTF-8, as Python names it (surrogates)."""
    import os

    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))
    try:
        path.mkdir() if not name.endswith((b".csv", b".parquet")) else path.write_bytes(b"")
    except (OSError, UnicodeEncodeError):  # macOS, Windows: names must be Unicode there
        pytest.skip("this file system takes only Unicode file names")
    return path


def test_folders_and_files_whose_names_are_not_utf8_are_read(tmp_path):
    """A Windows zip unpacked on Linux: Arrow could not encode the names (UnicodeEncodeError)."""
    import smk
    from smk.errors import CRMExportError

    folder = _odd_name(tmp_path, b"nu\xe9dir")
    (folder / CONTACTS_NAME).write_text(HUBSPOT_CONTACTS)
    crm = smk.load(folder)
    assert crm.source == str(folder) and crm.quality.tables["contacts"].read == 2
    assert read_any(folder / CONTACTS_NAME)["_row"].tolist() == [2, 3]

    (folder / CONTACTS_NAME).unlink()
    odd = _odd_name(folder, b"hubspot-crm-exports-all-contacts-M\xe4rz.csv")
    odd.write_text(HUBSPOT_CONTACTS)
    shown = "hubspot-crm-exports-all-contacts-M\\xe4rz.csv"
    assert read_any(odd)["_file"].tolist() == [shown, shown]
    for source in (folder, odd):
        crm = smk.load(source)
        assert crm.source == str(source) and crm.format == "hubspot"
        assert crm.quality.tables["contacts"].read == 2
        assert crm.quality.set_aside("contacts")["_file"].tolist() == [shown]
    odd.write_text("Record ID,Email\n1,a@example.test\n")  # a fatal error names the real file
    with pytest.raises(CRMExportError) as err:
        smk.load(folder)
    assert err.value.file == str(odd) and "smk-names-" not in str(err.value)

    parquet = _odd_name(tmp_path, b"contacts-\xe4.parquet")
    parquet.write_bytes(_parquet_bytes())
    assert len(read_any(parquet)) == 2000


def test_a_name_that_is_no_utf8_beside_its_shown_twin_is_refused_naming_the_file(tmp_path):
    """`contacts-M\\xe4rz.csv` (no UTF-8) beside a file literally named as smk shows it: the
    load crashed with a bare FileExistsError from the temporary links."""
    import smk
    from smk.errors import CRMExportError

    folder = tmp_path / "export"
    folder.mkdir()
    odd = _odd_name(folder, b"hubspot-crm-exports-all-contacts-M\xe4rz.csv")
    odd.write_text(HUBSPOT_CONTACTS)
    (folder / "hubspot-crm-exports-all-contacts-M\\xe4rz.csv").write_text(HUBSPOT_CONTACTS)
    with pytest.raises(CRMExportError, match="both shown as") as err:
        smk.load(folder)
    assert err.value.file.startswith(str(folder)) and "smk-names-" not in str(err.value)
