"""Reading CSV rows: every record found and numbered as the spreadsheet row it is on.

The malformed-file corpus (tests/data/bad/) holds one file per quirk; these tests vary the
quirks over encodings and line endings, and check what a good file does not pay for.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from smk.io import files
from smk.io.files import read_any

HEADER = "contact_id,email,created_at,note"
RUN_ON = "unclosed quote (the row runs on over the next lines)"


def _row(i: int, note: str = "ok") -> str:
    return f"{i},u{i}@x.io,2026-01-0{i % 9 + 1},{note}"


def _write(tmp_path, lines: list[str], newline: str = "\n", encoding: str = "utf-8", end=True):
    path = tmp_path / "contacts.csv"
    text = newline.join(lines) + (newline if end else "")
    path.write_bytes(text.encode(encoding))
    return path


def _reasons(frame: pd.DataFrame) -> list[tuple[int, str]]:
    return [
        (row, files.malformed_reason(text, trailing=row > frame["_row"].max()))
        for row, text in frame.attrs.get("malformed_rows", [])
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_an_unclosed_quote_in_the_last_column_does_not_swallow_the_rest_of_the_file(
    tmp_path, newline, encoding
):
    lines = [HEADER, *(_row(i) for i in range(1, 5)), _row(5, '"call me back')]
    lines += [_row(6, '""'), "", _row(7, "Grüße"), _row(8)]
    frame = read_any(_write(tmp_path, lines, newline, encoding))
    assert frame["contact_id"].tolist() == ["1", "2", "3", "4", "6", "7", "8"]
    assert frame["_row"].tolist() == [2, 3, 4, 5, 7, 9, 10]  # line 8 is blank: no row
    assert frame["note"].tolist()[-3:] == ["", "Grüße", "ok"]
    assert _reasons(frame) == [(6, RUN_ON)]
    text = frame.attrs["malformed_rows"][0][1]
    assert text == f'5,u5@x.io,2026-01-06,"call me back{newline}'


def test_lines_after_a_run_on_quote_with_the_wrong_fields_are_set_aside_by_row(tmp_path):
    lines = [HEADER, _row(1), _row(2, '"call me'), "back later", _row(3), "Grand Totals"]
    frame = read_any(_write(tmp_path, lines))
    assert frame["contact_id"].tolist() == ["1", "3"]
    assert frame["_row"].tolist() == [2, 5]
    assert _reasons(frame) == [
        (3, RUN_ON),
        (4, "wrong number of fields"),
        (6, "report footer"),
    ]


@pytest.mark.parametrize("end", [True, False])
@pytest.mark.parametrize(
    "note", ['"call me\nback"', '"say ""hi""\n2,u2@x.io,2026-01-01,ok"', '"a\n\nb ""q"""']
)
def test_a_closed_multi_line_value_at_the_end_of_the_file_is_a_value(tmp_path, note, end):
    frame = read_any(_write(tmp_path, [HEADER, _row(1), _row(9, note)], end=end))
    assert frame["contact_id"].tolist() == ["1", "9"]
    assert frame["note"].iloc[-1] == note[1:-1].replace('""', '"')
    assert "malformed_rows" not in frame.attrs


def test_an_unclosed_quote_in_a_middle_column_keeps_its_reason(tmp_path):
    lines = [HEADER, _row(1), '2,"u2@x.io,2026-01-02,ok', _row(3)]
    frame = read_any(_write(tmp_path, lines))
    assert frame["contact_id"].tolist() == ["1"]
    assert [reason for _, reason in _reasons(frame)] == [RUN_ON]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_blank_lines_keep_the_rows_after_them_on_their_spreadsheet_rows(tmp_path, newline):
    lines = ["", "", HEADER, _row(1), "", _row(2, '"a' + newline + newline + 'b"'), "", ""]
    lines += [_row(3), ",,,", "", _row(4), "", ""]
    frame = read_any(_write(tmp_path, lines, newline))
    assert frame["contact_id"].tolist() == ["1", "2", "3", "", "4"]
    assert frame["_row"].tolist() == [4, 6, 9, 10, 12]
    assert frame["note"].iloc[1] == "a" + newline + newline + "b"
    assert "malformed_rows" not in frame.attrs


@pytest.mark.parametrize(
    "tail",
    [[], [""], ["", ""], [",,,", ",,,", "", ""], ['"","","",""', ""]],
    ids=["none", "blank", "blanks", "excel-rows-then-blanks", "quoted-empty-row"],
)
def test_a_good_file_and_one_that_ends_in_empty_lines_need_no_second_pass(
    tmp_path, monkeypatch, tail
):
    """The slow renumbering pass is for files with blank lines among the data or ragged rows;
    empty lines at the end are told from the file's last bytes."""

    def no_second_pass(*args):
        raise AssertionError("the file was read a second time")

    monkeypatch.setattr(files, "_record_rows", no_second_pass)
    frame = read_any(_write(tmp_path, [HEADER, _row(1), _row(2), *tail]))
    kept = [line for line in tail if line]
    assert frame["contact_id"].tolist() == ["1", "2"] + [""] * len(kept)
    assert frame["_row"].tolist() == list(range(2, 4 + len(kept)))


def test_blank_lines_before_ragged_rows_are_counted_by_the_second_pass(tmp_path):
    lines = [HEADER, _row(1), "", "2,too,few", "", ",,,", _row(3), "   "]
    frame = read_any(_write(tmp_path, lines, "\r\n"))
    assert frame["contact_id"].tolist() == ["1", "", "3"]
    assert frame["_row"].tolist() == [2, 6, 7]
    assert _reasons(frame) == [(4, "wrong number of fields"), (8, "empty row")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
@pytest.mark.parametrize("text", ["deal_id,created_at,amount", "\n\ndeal_id,created_at,amount"])
def test_a_header_without_a_line_break_after_it_is_an_empty_table(tmp_path, encoding, text):
    path = tmp_path / "deals.csv"
    path.write_bytes(text.encode(encoding))
    frame = read_any(path)
    assert len(frame) == 0
    assert [c for c in frame.columns if not c.startswith("_")] == [
        "deal_id",
        "created_at",
        "amount",
    ]


def test_made_column_names_never_repeat_and_are_named_as_for_a_workbook(tmp_path):
    import openpyxl
    from pandas.io.parsers import TextParser

    rng = random.Random(7)
    pool = ["Note", "Note.1", "Note.2", "Note.1.1", "Note.1.2", "unnamed_1", "", "Id"]
    for _ in range(500):
        names = [rng.choice(pool) for _ in range(rng.randint(1, 8))]
        made = files._dedupe_names(names)
        assert len(set(made)) == len(made), names
        if all(names):  # as pandas names the columns of a workbook's sheet
            parsed = TextParser([names, list(range(len(names)))], header=0, dtype=object)
            assert made == list(parsed.read().columns), names
    headers = ["Record ID", "Note", "Note", "Note.1", "Note.1"]
    book = openpyxl.Workbook()
    book.active.append(headers)
    book.active.append(["1", "a", "b", "c", "d"])
    book.save(tmp_path / "contacts.xlsx")
    _write(tmp_path, [",".join(headers), "1,a,b,c,d"])
    workbook = read_any(tmp_path / "contacts.xlsx")
    text = read_any(tmp_path / "contacts.csv")
    assert list(text.columns) == list(workbook.columns)
    assert text.iloc[0, :5].tolist() == workbook.iloc[0, :5].tolist() == ["1", "a", "b", "c", "d"]


def test_excel_floats_beyond_exact_whole_numbers_are_no_ids_but_still_amounts():
    from smk.io.parse import parse_ids, parse_numbers

    big = float(5725767000000412001)  # the double Excel stores: 5725767000000411648
    cells = [files._excel_cell(files._whole(v)) for v in (big, 3000000002.0, 2.0**53, -big)]
    assert cells == [
        "5.725767000000412e+18",
        "3000000002",
        "9007199254740992",
        "-5.725767000000412e+18",
    ]
    assert files._excel_cell(5725767000000412001) == "5725767000000412001"  # an int is exact
    assert files._excel_cell(files._whole(1e19)) == "1.0e+19"
    ids, bad = parse_ids(pd.Series(cells[:3] + ["1.0e+19"], dtype="string"))
    assert bad.tolist() == [True, False, False, True]
    amounts, bad = parse_numbers(pd.Series(cells[:1] + ["1.0e+19"], dtype="string"))
    assert not bad.any()
    assert np.allclose(amounts.to_numpy(), [big, 1e19])


def test_a_value_longer_than_python_s_csv_field_limit_keeps_row_numbers(tmp_path):
    """The second pass (blank lines, ragged rows) stopped at a 140,000-character note: the
    blank line became a row set aside, and later rows lost their spreadsheet numbers."""
    import smk

    folder = tmp_path / "export"
    folder.mkdir()
    note = "x" * 140_000
    (folder / "hubspot-crm-exports-all-contacts-2026-11-01.csv").write_text(
        "Record ID,Email,Create Date,Notes\n"
        f"1,a@x.example,2026-01-05,{note}\n"
        "\n"
        "2,b@x.example,2026-01-06,B\n"
        "3,c@x.example\n"
        "4,d@x.example,2026-01-07,D\n"
    )
    crm = smk.load(folder, format="hubspot")
    crm.quality.check()
    assert crm.contacts.set_index("contact_id")["_row"].to_dict() == {"1": 2, "2": 4, "4": 6}
    aside = crm.quality.set_aside("contacts")
    assert aside["_row"].astype(int).tolist() == [5]
