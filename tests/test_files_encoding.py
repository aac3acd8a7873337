"""A UTF-8 export with a few lines saved as Windows-1252 (a row touched up in Excel).

A file that starts with a byte-order mark, or of whose lines beyond ASCII more are UTF-8 than
not, is such a file: each line that is valid UTF-8 is read as that, any other as Windows-1252,
and a warning names the rows read as Windows-1252. Re-reading the whole file as Windows-1252
turned every UTF-8 `Zoë` into `ZoÃ«` without a word, and with a byte-order mark (every
Salesforce Data Loader file) the export was refused. Any other file is Windows-1252
throughout, read as before, though a line of it be valid UTF-8 by chance (`JOSÉ` and a
non-breaking space are).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import pytest

import smk
from smk.cli import main
from smk.io import files
from smk.io.files import read_any

BOM = b"\xef\xbb\xbf"
HEADER = "contact_id,first_name,email,created_at,note"
NAMES = ["Zoë", "Jürgen", "Anaïs", "Müller", "Ångström", "Søren", "Chloé"]
SAMPLE = Path(__file__).parent.parent / "data" / "sample"


def _write(tmp_path: Path, lines: list[str], foreign: set[int], bom=False, newline="\n") -> Path:
    """`lines` in UTF-8 but those at the indexes in `foreign`, in Windows-1252."""
    raw = [line.encode("cp1252" if i in foreign else "utf-8") for i, line in enumerate(lines)]
    path = tmp_path / "contacts.csv"
    path.write_bytes((BOM if bom else b"") + newline.encode().join(raw) + newline.encode())
    return path


def _row(i: int, note: str = "ok") -> str:
    return f"{i},{NAMES[i % len(NAMES)]} {i},u{i}@x.io,2026-01-0{i % 9 + 1},{note}"


def _warning(rows: str, n: int = 1) -> str:
    noun, verb, them = ("row", "is", "it") if n == 1 else ("rows", "are", "them")
    return (
        f"contacts.csv: {n} {noun} {verb} not UTF-8 like the rest of the file ({noun} {rows}): "
        f"read as Windows-1252, check {them}"
    )


# ------------------------------------------------------------ the file reader
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_windows_1252_row_in_a_utf8_file_is_read_as_such_and_named(tmp_path, bom, newline):
    lines = [HEADER, *(_row(i) for i in range(1, 7))]
    frame = read_any(_write(tmp_path, lines, {3}, bom, newline))  # row 4: `Müller 3`
    assert frame["first_name"].tolist() == [NAMES[i % 7] + f" {i}" for i in range(1, 7)]
    assert frame["_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert frame.attrs["warnings"] == [_warning("4")]
    assert "malformed_rows" not in frame.attrs


def test_rows_are_named_as_the_data_quality_account_numbers_them(tmp_path):
    """A value with a line break and a blank line come first, a ragged row is set aside: rows
    after them are named with their line of the file; a row with two such lines, once. (Rows
    7-9 make the UTF-8 lines beyond ASCII outnumber the four in Windows-1252.)"""
    lines = [
        HEADER,
        _row(1, '"Main St 1\nSpringfield"'),  # row 2, lines 2-3
        "",  # row 3
        _row(2),  # row 4, line 5: Windows-1252
        "3,too,few",  # row 5: set aside
        _row(4, '"Kärntner Str. 1\nWien, Österreich"'),  # row 6, lines 7-8: Windows-1252
        _row(5),  # row 7, line 9
        _row(6),  # row 8, line 10: Windows-1252
        *(_row(i) for i in (7, 8, 9)),  # rows 9-11, lines 11-13
    ]
    lines = "\n".join(lines).split("\n")  # one item per line of the file
    frame = read_any(_write(tmp_path, lines, {4, 6, 7, 9}))
    assert frame["_row"].tolist() == [2, 4, 6, 7, 8, 9, 10, 11]
    assert (
        frame["note"].tolist()
        == ["Main St 1\nSpringfield", "ok", "Kärntner Str. 1\nWien, Österreich"] + ["ok"] * 5
    )
    assert frame["first_name"].tolist() == ["Jürgen 1", "Anaïs 2", "Ångström 4", "Søren 5"] + [
        "Chloé 6",
        "Zoë 7",
        "Jürgen 8",
        "Anaïs 9",
    ]
    assert [n for n, _ in frame.attrs["malformed_rows"]] == [5]
    assert frame.attrs["warnings"] == [_warning("4 (line 5), 6 (line 7), 8 (line 10)", 3)]


def test_an_unclosed_quote_at_the_end_is_told_from_the_recoded_text(tmp_path):
    """The lines an unclosed quote swallowed are read again from the text Arrow read (here the
    recoded one: the file's own bytes hold a Windows-1252 line among them)."""
    lines = [HEADER, _row(1), _row(2, '"unclosed'), _row(3), _row(4)]
    frame = read_any(_write(tmp_path, lines, {3}))
    assert frame["first_name"].tolist() == ["Jürgen 1", "Müller 3", "Ångström 4"]
    assert frame["_row"].tolist() == [2, 4, 5]
    assert frame.attrs["malformed_rows"] == [(3, _row(2, '"unclosed') + "\n")]
    assert frame.attrs["warnings"] == [_warning("4")]


def test_a_windows_1252_header_over_utf8_rows_names_the_columns_right(tmp_path):
    lines = [HEADER.replace("first_name", "prénom"), _row(1), _row(2)]
    frame = read_any(_write(tmp_path, lines, {0}))
    assert "prénom" in frame.columns
    assert frame["prénom"].tolist() == ["Jürgen 1", "Anaïs 2"]
    assert frame.attrs["warnings"] == [_warning("1")]


def test_many_windows_1252_rows_are_counted_and_the_first_named(tmp_path):
    lines = [HEADER, *(_row(i) for i in range(1, 60))]
    frame = read_any(_write(tmp_path, lines, set(range(2, 60, 2))))
    assert frame["first_name"].tolist() == [NAMES[i % 7] + f" {i}" for i in range(1, 60)]
    rows = ", ".join(str(r) for r in range(3, 42, 2))
    assert frame.attrs["warnings"] == [_warning(rows + ", ...", 29)]


def test_a_large_file_with_the_row_late_reads_every_row_right(tmp_path, monkeypatch):
    """1.8 MB read by Arrow in blocks of 64 KiB and looked at in blocks of an odd size, so
    that many blocks end inside a `\\r\\n`; values with line breaks move rows off their lines."""
    monkeypatch.setattr(files, "_BLOCK_SIZE", 1 << 16)
    monkeypatch.setattr(files, "_RECODE_BLOCK", 4099)
    notes = ['"two\r\nlines"' if i % 1000 == 0 else "ok" for i in range(1, 40_001)]
    lines = [HEADER, *(_row(i, note) for i, note in enumerate(notes, start=1))]
    path = _write(tmp_path, lines, {39_500}, newline="\r\n")  # row 39501
    assert path.stat().st_size > 1 << 20
    frame = read_any(path)
    assert frame["first_name"].tolist() == [NAMES[i % 7] + f" {i}" for i in range(1, 40_001)]
    assert frame["note"].tolist() == [n.strip('"') for n in notes]
    assert frame["_row"].tolist() == list(range(2, 40_002))
    assert frame.attrs["warnings"] == [_warning("39501 (line 39540)")]


def test_a_recoded_file_is_not_held_in_memory(tmp_path, monkeypatch):
    """The recoded bytes were joined in memory and read from there: Python held twice the
    file's size at the peak (Arrow's own memory aside). Written block by block to a copy on
    disk, they take a block or two. Nor are the rows of the Windows-1252 lines found with
    arrays over every row (48 bytes a row) when no value has a line break."""
    monkeypatch.setattr(files, "_RECODE_BLOCK", 1 << 16)
    lines = [HEADER, *(_row(i, "ok " * 20) for i in range(1, 60_001))]
    path = _write(tmp_path, lines, {30_000})
    tracemalloc.start()
    try:
        frame = read_any(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert frame.attrs["warnings"] == [_warning("30001")]
    assert path.stat().st_size > 6_000_000 > 3 * peak


def test_the_recoded_copy_is_read_and_removed_after_the_read_and_after_an_error(
    tmp_path, monkeypatch
):
    """Arrow reads a temporary copy of the file in UTF-8 throughout (`tempfile`'s folder),
    removed when the read is done, and when it fails."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    read = []

    def arrow_csv(path, *args):
        read.append((path, path.read_bytes()))
        return real(path, *args)

    real = files.arrow_csv
    monkeypatch.setattr(files, "arrow_csv", arrow_csv)
    lines = [HEADER, _row(1, '"two\nlines"'), "", _row(3), _row(4)]
    frame = read_any(_write(tmp_path, lines, {3}))
    assert frame["_row"].tolist() == [2, 4, 5]
    assert frame.attrs["warnings"] == [_warning("4 (line 5)")]
    ((copy, text),) = read
    assert copy.parent == scratch and copy.name.startswith("smk-recoded-")
    assert text == "\n".join(lines).encode() + b"\n"  # all in UTF-8
    assert not any(scratch.iterdir())
    path = tmp_path / "contacts.csv"
    path.write_bytes(path.read_bytes() + _row(0).encode() + b"\n5,Ren\x81,r@x.io,,\n")
    with pytest.raises(smk.CRMExportError):
        read_any(path)
    assert len(read) == 2 and read[1][0].parent == scratch
    assert not any(scratch.iterdir())


def test_a_windows_1252_file_is_read_as_before_without_a_warning(tmp_path):
    """Accented rows in the first bytes and far down, one (`ÉTÉ»`) holding bytes that are a
    UTF-8 sequence: no line of it is UTF-8 beyond ASCII, so it is Windows-1252 throughout.
    (Passes on the old code too: what must not change.)"""
    lines = [HEADER, *(_row(i) for i in range(1, 30_000)), "30000,«ÉTÉ»,e@x.io,2026-01-01,ok"]
    frame = read_any(_write(tmp_path, lines, set(range(len(lines)))))
    assert frame["first_name"].tolist() == [NAMES[i % 7] + f" {i}" for i in range(1, 30_000)] + [
        "«ÉTÉ»"
    ]
    assert "warnings" not in frame.attrs


def _names_file(tmp_path: Path, names: list[str], foreign: set[int], bom=False) -> Path:
    lines = [HEADER, *(f"{i},{name},u{i}@x.io,2026-01-01,ok" for i, name in enumerate(names))]
    return _write(tmp_path, lines, {i + 1 for i in foreign}, bom)


COINCIDENCE = ["Müller", "Zoë", "JOSÉ\u00a0GARCIA", "Anaïs"]  # `É` + NBSP: UTF-8's `ɠ`


@pytest.mark.parametrize("ascii_rows", [0, 3000])
def test_a_windows_1252_line_valid_as_utf8_does_not_make_the_file_utf8(tmp_path, ascii_rows):
    """One line of a Windows-1252 file that was valid UTF-8 by chance made the whole file
    UTF-8 with three lines in Windows-1252: `JOSɠGARCIA`, and the three named. (After 3000
    ASCII rows the first bytes are UTF-8: Arrow finds the others.)"""
    names = ["Smith"] * ascii_rows + COINCIDENCE
    foreign = set(range(ascii_rows, len(names)))
    frame = read_any(_names_file(tmp_path, names, foreign))
    assert frame["first_name"].tolist() == names
    assert "warnings" not in frame.attrs


def test_with_a_bom_a_windows_1252_line_valid_as_utf8_is_read_as_utf8(tmp_path):
    """The known limit (docs/data-model.md, "Encodings"): a file with a BOM is UTF-8, and its
    Windows-1252 line that is valid UTF-8 is read as UTF-8, not named. (Passes on the old
    code too.)"""
    frame = read_any(_names_file(tmp_path, COINCIDENCE, {0, 1, 2, 3}, bom=True))
    assert frame["first_name"].tolist() == ["Müller", "Zoë", "JOSɠGARCIA", "Anaïs"]
    assert frame.attrs["warnings"] == [_warning("2, 3, 5", 3)]


def test_more_utf8_lines_than_windows_1252_ones_make_a_utf8_file(tmp_path):
    """Three UTF-8 lines beyond ASCII, two in Windows-1252 (rows 5 and 6). (Passes on the
    old code too.)"""
    names = ["Zoë", "Jürgen", "Anaïs", "Müller", "Ångström"]
    frame = read_any(_names_file(tmp_path, names, {3, 4}))
    assert frame["first_name"].tolist() == names
    assert frame.attrs["warnings"] == [_warning("5, 6", 2)]


def test_as_many_windows_1252_lines_as_utf8_ones_make_a_mixed_file_with_a_warning(tmp_path):
    """Two and two: read as UTF-8 with two lines in Windows-1252 (rows 4 and 5), named. A tie
    is more likely a UTF-8 export with touched-up rows than a Windows-1252 file with lines
    valid as UTF-8 by chance, and read so it is never silent."""
    names = ["Zoë", "Jürgen", "Anaïs", "Müller"]
    frame = read_any(_names_file(tmp_path, names, {2, 3}))
    assert frame["first_name"].tolist() == names
    assert frame.attrs["warnings"] == [_warning("4, 5", 2)]


@pytest.mark.parametrize("bom", [False, True])
def test_a_line_neither_utf8_nor_windows_1252_is_refused_with_its_row_and_column(tmp_path, bom):
    """0x81 is no character in Windows-1252. Arrow counts columns from 0: the error names the
    column, and the row as the account numbers it (a blank line and a line break before)."""
    lines = [HEADER, _row(1, '"two\nlines"'), "", _row(3)]
    path = tmp_path / "contacts.csv"
    text = "\n".join(lines).encode()
    path.write_bytes((BOM if bom else b"") + text + b"\n4,Ren\x81,r@x.io,2026-01-01,ok\n")
    with pytest.raises(smk.CRMExportError) as caught:
        read_any(path)
    assert (caught.value.row, caught.value.column) == (5, "first_name")
    assert "neither UTF-8 nor Windows-1252" in caught.value.reason


# ------------------------------------------------------------ whole exports
def _spoil(folder: Path, name: str, index: int, old: bytes, new: str) -> None:
    """Line `index` of `name`, with `old` replaced by `new` in Windows-1252."""
    path = folder / name
    lines = path.read_bytes().split(b"\n")
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new.encode("cp1252"), 1)
    path.write_bytes(b"\n".join(lines))


def _validate(folder: Path, capsys) -> dict:
    code = main(["validate", str(folder), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    return payload


@pytest.mark.parametrize(
    ("fmt", "name", "index", "old", "new", "warning"),
    [
        (
            "hubspot",
            "hubspot-crm-exports-all-contacts-2026-11-01.csv",
            2000,
            b'","',
            '","Zoë ',
            "hubspot-crm-exports-all-contacts-2026-11-01.csv: 1 row is not UTF-8 like the rest "
            "of the file (row 2001): read as Windows-1252, check it",
        ),
        (  # a Data Loader file: a BOM
            "salesforce",
            "Lead.csv",
            4,
            b'","0","',
            '","0","Müller ',
            "Lead.csv: 1 row is not UTF-8 like the rest of the file (row 5): read as "
            "Windows-1252, check it",
        ),
    ],
)
def test_validate_json_loads_the_export_and_warns_of_the_row(
    tmp_path, capsys, fmt, name, index, old, new, warning
):
    clean, spoilt = tmp_path / "clean", tmp_path / "spoilt"
    for folder in (clean, spoilt):
        shutil.copytree(SAMPLE / fmt, folder, ignore=shutil.ignore_patterns("truth"))
    utf8 = (spoilt / name).read_bytes().replace(b'"Velwyn"', '"Zoë"'.encode())
    (spoilt / name).write_bytes(utf8)  # 10 UTF-8 names above and below the row
    _spoil(spoilt, name, index, old, new)
    before, after = _validate(clean, capsys), _validate(spoilt, capsys)
    assert after["usable"] and after["tables"] == before["tables"]  # every row accounted
    assert after["warnings"] == [warning, *before["warnings"]]
