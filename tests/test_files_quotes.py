"""A stray quote closed by a quote on a later line, and a report footer's padding lines.

A stray quote (`2,u2@x.io,2026-01-02,"B`) that a quote lines later closes makes one value of
the lines between: the records on them are read as part of that value. Nothing is split or
changed (an attempt that re-split such values corrupted well-formed files, 3ea26ce): the row is
named in ``frame.attrs["warnings"]`` when lines inside its value look like whole records of the
file; notes, addresses and e-mail bodies are not named.

A Salesforce report download ends in blank padding lines and footer lines; padding lines
written as delimiters (`,,,,`) are records of empty cells, and count with the footer (by
design), not as faults of the export.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import quality
from smk.io import files
from smk.io.files import read_any

HEADER = "contact_id,email,created_at,note"
NAMED = "may hold {n} records, not one"
FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
BAD = Path(__file__).parent / "data" / "bad"


def _row(i: int, note: str = "ok") -> str:
    return f"{i},u{i}@x.io,2026-01-0{i % 9 + 1},{note}"


def _write(tmp_path, lines: list[str], newline: str = "\n", encoding: str = "utf-8") -> Path:
    path = tmp_path / "contacts.csv"
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def _warnings(frame: pd.DataFrame) -> list[str]:
    return frame.attrs.get("warnings", [])


def _as_python_reads(path: Path) -> list[list[str]]:
    """The file's records as Python's CSV reader reads them (the header left out)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.reader(fh)][1:]


# --------------------------------------------------------------- stray quotes: named
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_stray_quote_closed_on_a_later_line_is_named_with_its_row_and_lines(
    tmp_path, newline, encoding
):
    """Row 3's quote is closed by the quote before D on line 5: rows 3-5 are read as one."""
    lines = [HEADER, _row(1), _row(2, '"B'), _row(3, "Grüße"), _row(4, '"D"'), _row(5)]
    frame = read_any(_write(tmp_path, lines, newline, encoding))
    assert frame["contact_id"].tolist() == ["1", "2", "5"]  # read as before: nothing changed
    assert frame["note"].iloc[1] == newline.join(["B", _row(3, "Grüße"), _row(4, 'D"')])
    assert "malformed_rows" not in frame.attrs
    (warning,) = _warnings(frame)
    assert warning.startswith("contacts.csv: row 3 (lines 3-5 of the file) may hold 3 records")
    assert "2 of the lines in its 'note' value are shaped like whole records" in warning
    assert "u3@x.io" not in warning and "Grüße" not in warning  # names no value


def test_a_stray_quote_in_a_middle_column_is_named(tmp_path):
    lines = [HEADER, _row(1), '2,"u2@x.io,2026-01-02,ok', _row(3), '4,"u4@x.io",2026-01-04,ok']
    frame = read_any(_write(tmp_path, [*lines, _row(5)]))
    assert frame["contact_id"].tolist() == ["1", "2", "5"]
    (warning,) = _warnings(frame)
    assert "row 3 (lines 3-5 of the file) may hold 3 records" in warning
    assert "its 'email' value" in warning


def test_a_stray_quote_opening_a_value_of_several_fields_is_named(tmp_path):
    """The brief's shape: `5,"Acme, Inc,...` with the rows after it, up to a quoted company."""
    lines = [
        "Record ID,Company,Email,Create Date",
        "4,Foo,a@x.test,2026-01-01",
        '5,"Acme, Inc,jane@x.test,2026-01-02',
        "6,Bar,b@x.test,2026-01-03",
        "7,Baz,c@x.test,2026-01-04",
        '8,"Qux",d@x.test,2026-01-05',
        "9,Q,e@x.test,2026-01-06",
    ]
    frame = read_any(_write(tmp_path, lines))
    assert frame["Record ID"].tolist() == ["4", "5", "9"]
    (warning,) = _warnings(frame)
    assert "row 3 (lines 3-6 of the file) may hold 4 records" in warning


def test_a_joined_record_set_aside_as_one_row_is_named(tmp_path):
    """With a field count that does not match, the joined lines are one malformed row: set
    aside (as before), and named, since the file held three records there."""
    lines = [HEADER, _row(1), _row(2, '"B'), _row(3), '4,"u4@x.io",2026-01-04,D', _row(5)]
    frame = read_any(_write(tmp_path, lines))
    assert frame["contact_id"].tolist() == ["1", "5"]
    assert [n for n, _ in frame.attrs["malformed_rows"]] == [3]
    (warning,) = _warnings(frame)
    assert "row 3 (lines 3-5 of the file) may hold 3 records" in warning
    assert "its text (the row is set aside)" in warning


def test_the_lines_named_count_the_line_breaks_in_values_before_the_row(tmp_path):
    """A spreadsheet row is one line but for line breaks inside values: an address of two
    lines and a blank line come first, so row 5 starts on line 6."""
    address = '"Main St 1\nSpringfield, IL, 62701"'
    lines = [HEADER, _row(1, address), "", _row(2), _row(3, '"B'), _row(4), _row(5, '"D"')]
    frame = read_any(_write(tmp_path, [*lines, _row(6)]))
    assert frame["_row"].tolist() == [2, 4, 5, 6]
    (warning,) = _warnings(frame)
    assert "row 5 (lines 6-8 of the file) may hold 3 records" in warning


def test_salesforce_ids_and_a_first_column_without_a_shape(tmp_path):
    """18-character ids are a shape; a file led by names is told by its other columns."""
    ids = [f"0035g00000CtAa{i}AAF" for i in range(1, 6)]
    lines = ["Id,Email,CreatedDate,Title"] + [f"{i},u@x.io,2026-01-02,CEO" for i in ids]
    lines[2] = lines[2].replace(",CEO", ',"CEO')
    lines[4] = lines[4].replace(",CEO", ',"CEO"')
    assert "may hold 3 records" in _warnings(read_any(_write(tmp_path, lines)))[0]
    names = ["Name,Email,CreatedDate,Title"] + [
        f"Ann Lee{i},u@x.io,2026-01-02,CEO" for i in range(5)
    ]
    names[2] = names[2].replace(",CEO", ',"CEO')
    names[4] = names[4].replace(",CEO", ',"CEO"')
    assert "may hold 3 records" in _warnings(read_any(_write(tmp_path, names)))[0]


def test_a_note_holding_pasted_records_is_named(tmp_path):
    """From the value alone, pasted records cannot be told from swallowed ones: named too
    (the warning says so), and read as the value it is."""
    note = '"Imported from the old CRM:\n7,u7@x.io,2026-01-07,ok"'
    frame = read_any(_write(tmp_path, [HEADER, _row(1), _row(2, note), _row(3)]))
    assert frame["note"].iloc[1] == note[1:-1]
    (warning,) = _warnings(frame)
    assert "row 3 (lines 3-4 of the file) may hold 2 records" in warning
    assert "a note holding pasted records is named too" in warning


def test_many_rows_named_are_counted_after_the_first_ten(tmp_path):
    note = '"Imported:\n7,u7@x.io,2026-01-07,ok"'
    frame = read_any(_write(tmp_path, [HEADER, *(_row(i, note) for i in range(1, 16))]))
    warnings = _warnings(frame)
    assert len(warnings) == 11
    assert [w.split(" (")[0] for w in warnings[:10]] == [
        f"contacts.csv: row {r}" for r in range(2, 12)
    ]
    assert (
        warnings[10]
        == "contacts.csv: 5 more rows may each hold several records (12, 13, 14, 15, 16)"
    )


# --------------------------------------------------------- well-formed values: not named
NOTES = [
    '"Main St 1\nSpringfield, IL, 62701"',  # an address
    '"Main St 1\nSpringfield, IL, 62701, USA"',  # a line with as many fields as a record
    '"Hi Jane,\n\nthanks for the call, as discussed: pricing, timeline, budget.\n\nBest,\nBob"',
    '"Called back.\nLeft a message, will retry, thanks"',
    '"Budget: 10k, timeline: Q3, next: demo, owner: Ann\n3 calls, 2 meetings, 1 demo, 0 deals"',
    '"2026-01-05: call, 20 min, positive, follow up\n2026-01-09: demo, 45 min, ok, send deck"',
    '"Call summary\n\nTotal: 3 calls"',
]


@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("note", NOTES)
def test_well_formed_multi_line_notes_are_not_named(tmp_path, note, last):
    lines = [HEADER, _row(1), _row(2, note), _row(3)]
    path = _write(tmp_path, lines[:3] if last else lines)
    frame = read_any(path)
    assert frame.drop(columns=["_row", "_file"]).values.tolist() == _as_python_reads(path)
    assert "warnings" not in frame.attrs and "malformed_rows" not in frame.attrs


def test_a_numbered_list_in_a_two_column_file_is_not_named(tmp_path):
    """Every line of "1, no answer" has the two fields of an `id,note` file's records: each such
    note was named as holding several records."""
    note = '"Call attempts:\n1, no answer\n2, left voicemail\n3, reached"'
    path = _write(tmp_path, ["id,note", *(f"{i},{note}" for i in range(1, 13))])
    frame = read_any(path)
    assert frame.drop(columns=["_row", "_file"]).values.tolist() == _as_python_reads(path)
    assert "warnings" not in frame.attrs


def test_a_multi_line_address_in_a_middle_column_is_not_named(tmp_path):
    lines = ["contact_id,address,created_at,email"]
    lines += [f'{i},"Main St {i}\nSpringfield, IL {i}",2026-01-0{i},u{i}@x.io' for i in (1, 2, 3)]
    path = _write(tmp_path, lines)
    frame = read_any(path)
    assert frame.drop(columns=["_row", "_file"]).values.tolist() == _as_python_reads(path)
    assert "warnings" not in frame.attrs


def test_two_notes_starting_with_the_same_lines_are_read_as_written(tmp_path):
    """One of the well-formed files 3ea26ce corrupted: a real contact was set aside and rows
    were made from note text. Every record is read as written, and nothing is named."""
    first = "Call notes\nPricing, timeline, budget, next steps"
    lines = [
        HEADER,
        _row(1),
        _row(2, f'"{first}"'),
        _row(3),
        _row(4, f'"{first}\nSent the deck, the quote, the terms, the plan"'),
        _row(5),
    ]
    path = _write(tmp_path, lines)
    frame = read_any(path)
    assert frame["contact_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert frame.drop(columns=["_row", "_file"]).values.tolist() == _as_python_reads(path)
    assert "warnings" not in frame.attrs and "malformed_rows" not in frame.attrs


def test_a_quoted_address_followed_by_text_is_read_as_before(tmp_path):
    """The other file 3ea26ce corrupted (its text split into a fake contact): the text after
    the closing quote joins the value, as Arrow reads it; no row is made or named."""
    address = '"Main St 1\nSpringfield, IL, 62701, USA" (billing)'
    lines = [HEADER, _row(1), _row(2, address), _row(3)]
    frame = read_any(_write(tmp_path, lines))
    assert frame["contact_id"].tolist() == ["1", "2", "3"]
    assert frame["note"].iloc[1] == "Main St 1\nSpringfield, IL, 62701, USA (billing)"
    assert "warnings" not in frame.attrs and "malformed_rows" not in frame.attrs


def test_a_note_line_longer_than_python_s_csv_field_limit(tmp_path):
    """3ea26ce crashed on a note line over 131,072 characters (Python's field limit)."""
    long_line = "x" * 200_000 + ',a,b,""c""'  # as many fields as a record, with quotes
    frame = read_any(_write(tmp_path, [HEADER, _row(1), _row(2, f'"Summary\n{long_line}"')]))
    assert frame["note"].iloc[1] == "Summary\n" + long_line.replace('""', '"')
    assert "warnings" not in frame.attrs


# ---------------------------------------------------------------------------- cost
def test_a_file_without_line_breaks_in_values_examines_no_value(tmp_path, monkeypatch):
    """A tab (a byte the first check cannot tell from a line break) costs a search of its
    column, no value examined."""

    def no_examination(*args):
        raise AssertionError("a value was examined")

    for name in ("in_value", "in_row"):
        monkeypatch.setattr(files._RecordLines, name, no_examination)
    monkeypatch.setattr(files, "_column_shape", no_examination)
    notes = ['"a, b"', "a\tb", "plain"] * 3
    frame = read_any(_write(tmp_path, [HEADER, *(_row(i, n) for i, n in enumerate(notes))]))
    assert frame["note"].tolist() == ["a, b", "a\tb", "plain"] * 3
    assert "warnings" not in frame.attrs


def test_only_values_with_a_line_break_and_enough_delimiters_are_split(tmp_path, monkeypatch):
    """Values are counted by Arrow; only those with a line break and as many delimiters as a
    record-shaped line needs are split into lines, each once; the columns' shapes are taken
    once, from a sample."""
    seen: list[str] = []
    shapes: list[object] = []
    in_value, column_shape = files._RecordLines.in_value, files._column_shape
    monkeypatch.setattr(
        files._RecordLines, "in_value", lambda self, v, c: seen.append(v) or in_value(self, v, c)
    )
    monkeypatch.setattr(files, "_column_shape", lambda v: shapes.append(v) or column_shape(v))
    few = '"Called.\nLeft a message"'  # no delimiter: never split
    many = '"Agenda\nPricing, timeline, budget, next steps"'
    notes = [few, many, '"plain, text"', many] * 50
    frame = read_any(_write(tmp_path, [HEADER, *(_row(i, n) for i, n in enumerate(notes))]))
    assert len(frame) == 200 and "warnings" not in frame.attrs
    assert seen == [many[1:-1]] * 100
    assert len(shapes) == 4  # one per column


# ------------------------------------------------------------- report footer padding
FOOTER_LINES = ('"Grand Totals', '"Confidential', '"Copyright')


def _report(tmp_path: Path, shape: str) -> Path:
    """The report fixture with a `,,,` line before the opportunity report's "Grand Totals";
    `shape` "all": every file's blank footer lines written as delimiters too, and its footer
    lines padded with them (as an Excel re-save writes them)."""
    folder = tmp_path / "report"
    shutil.copytree(FIXTURES / "report", folder)
    for path in sorted(folder.glob("*.csv")):
        report = path.name.startswith("report")
        if shape == "all" or report:
            lines = path.read_text(encoding="utf-8").splitlines()
            pad = "," * (len(next(csv.reader([lines[0]]))) - 1)
            lines = [pad if line == '""' else line for line in lines]
            if shape == "all":
                lines = [
                    f"{x}{pad}" if x.startswith(FOOTER_LINES) and x[-1] != "," else x for x in lines
                ]
            if report:
                lines.insert(
                    next(i for i, x in enumerate(lines) if x.startswith(FOOTER_LINES)), pad
                )
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("shape", ["before", "all"])
def test_padding_lines_of_a_report_footer_count_by_design(tmp_path, shape):
    """A `,,,` line before the footer was set aside as 'missing deal_id' (or 'missing
    contact_id' for tasks) and counted as a fault of the export. It holds no cell of the file:
    an empty row (though a checkbox reads its blank as false), by design in its place."""
    crm = smk.load(_report(tmp_path, shape))
    crm.quality.check()  # rows read = loaded + set aside
    reasons = quality.reasons_table(crm).groupby("reason")["rows"].sum()
    assert not [reason for reason in reasons.index if reason.startswith("missing")]
    blank = crm.quality.set_aside("deals").query("_reason == 'empty row'")["_row"]
    assert blank.tolist() == ["6"]  # the padding line is still set aside
    counts = quality.set_aside_counts(crm)
    assert counts == {"total": reasons.sum(), "by_design": reasons.sum(), "faults": 0}
    again = smk.load(crm.to_parquet(tmp_path / "model"))  # the same from a model
    assert quality.set_aside_counts(again) == counts


def test_padding_among_the_data_and_a_record_without_its_id_stay_faults(tmp_path):
    """Only rows with nothing in them after the last data row belong to the footer."""
    folder = _report(tmp_path, "before")
    path = next(folder.glob("report*.csv"))
    lines = path.read_text(encoding="utf-8").splitlines()
    width = len(next(csv.reader([lines[0]])))
    nameless = next(csv.reader([lines[-5]]))  # the last opportunity, its id taken out
    nameless[0] = ""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(nameless)
    lines[2:2] = ["," * (width - 1)]  # a padding line among the records
    lines.insert(len(lines) - 4, text.getvalue().rstrip("\n"))  # before the padding line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    crm = smk.load(folder)
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].value_counts().to_dict() == {
        "report footer": 3,
        "empty row": 2,
        "missing deal_id": 1,
    }
    # faults: the padding line among the records and the opportunity without its id (the
    # padding line after it, before the footer, counts by design)
    assert quality.set_aside_counts(crm)["faults"] == 2


def test_a_footer_after_many_padding_rows_is_a_footer(tmp_path):
    """An Excel re-save keeps the rows of empty cells a sheet once had: with more than 20 of
    them after the footer, its lines were not told (set aside as 'missing created_at')."""
    folder = tmp_path / "export"
    shutil.copytree(BAD / "excel-resaved-footer", folder)
    path = next(folder.glob("*.csv"))
    path.write_text(path.read_text(encoding="utf-8") + ",,,,\n" * 25, encoding="utf-8")
    crm = smk.load(folder, format="hubspot")
    reasons = crm.quality.tables["contacts"].reasons()
    assert reasons == {"report footer": 3, "empty row": 27}
    assert quality.set_aside_counts(crm) == {"total": 30, "by_design": 30, "faults": 0}


# ------------------------------------------------ the warning in the load's account
def test_a_hubspot_load_names_the_joined_rows_in_its_warnings(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    name = "hubspot-crm-exports-all-contacts-2026-10-02.csv"
    lines = ["Record ID,First Name,Email,Create Date"]
    lines += [f"3020000{i},Ann,u{i}@x.example,2026-01-0{i} 09:15" for i in range(1, 6)]
    lines[2] = lines[2].replace(",Ann,", ',"Ann,')
    lines[4] = lines[4].replace(",Ann,", ',"Ann",')
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    crm = smk.load(folder, format="hubspot")
    assert crm.contacts["contact_id"].tolist() == ["30200001", "30200002", "30200005"]
    (warning,) = [w for w in crm.quality.warnings if "may hold" in w]
    assert warning.startswith(f"{name}: row 3 (lines 3-5 of the file) may hold 3 records")


def test_a_salesforce_load_names_the_joined_rows_in_its_warnings(tmp_path):
    folder = tmp_path / "excel_us"
    shutil.copytree(FIXTURES / "excel_us", folder)
    path = folder / "contact_export.csv"
    text = path.read_text(encoding="cp1252")
    text = text.replace(",Directeur Achats,", ',"Directeur Achats,')
    path.write_text(text.replace(",Head of Procurement,", ',"Head of Procurement",'), "cp1252")
    crm = smk.load(folder)
    joined = [w for w in crm.quality.warnings if "may hold" in w]
    assert joined == [w for w in joined if w.startswith("contact_export.csv: row 3 (lines 3-4")]
    assert len(joined) == 1
