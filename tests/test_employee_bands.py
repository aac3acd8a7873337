"""An employee count written as a size band (`11-50`, `1,001-5,000`, `10,001+`, as LinkedIn,
enrichment tools and CRM picklists write company sizes) is read as a number, whatever loader
types it, instead of setting the whole account aside as `unparseable employees` (the company
left segmentation, and its deals lost their account fields, over a firmographic band).

A band is read as its geometric midpoint rounded down (the centre of the band on the log scale
segmentation measures size on), an open band as its lower bound; one warning counts them.
Garbage stays unparseable.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import smk
from smk.io import parse
from smk.io.parse import band_count, parse_counts, salesforce_id18


def S(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


BANDS = {
    "11-50": 23,  # sqrt(11 * 50) = 23.45
    "51-200": 100,
    "201 - 500": 317,
    "501-1,000": 707,
    "1,001-5,000": 2237,
    "5,001-10,000": 7071,
    "10,001+": 10001,  # open: its lower bound
    "10000+": 10000,
    "1-10 employees": 3,
    "10,001+ Employees": 10001,
    "11–50": 23,  # an en dash
    "11 — 50": 23,  # an em dash
    "11\u201050": 23,  # Unicode's hyphen
    "11\u201150": 23,  # a non-breaking hyphen (Word, some CRMs' rich text)
    "11\u201250": 23,  # a figure dash
    "11\u221250": 23,  # a minus sign
    "11 to 50": 23,
    "1.001-5.000": 2237,  # a European export groups thousands with '.'
    "1 001 - 5 000": 2237,
    "1'001-5'000": 2237,
    "0-10": 3,  # from 0: taken from 1
    "5-5": 5,
    "11-50 people": 23,  # any word of parse.COUNT_WORDS may follow a band
    "11-50 MA": 23,
}
GARBAGE = ["lots", "11-", "50-11", "-5", "(5)", "12.5", "1,5-10", "1,2,3-5", "11-50-200", "+"]
GARBAGE += ["Self-employed", "about 50", "-11-50", "11-50 persons"]
#: a whole number and a word of parse.COUNT_WORDS: that number
WORDED = {
    "50 employees": 50,
    "1,200 employees": 1200,
    "1.200 Mitarbeiter": 1200,
    "1 employee": 1,
    "50employees": 50,
    "50 Employees": 50,
    "7 staff": 7,
    "7 people": 7,
    "12 FTE": 12,
    "50 Mitarbeiter": 50,
    "50 MA": 50,
}
#: what stays unparseable: an approximate count, a fraction, a sign, another word, the word first
NOT_WORDED = ["ca. 50", "approx. 50 employees", "50 employees approx.", "12.5 FTE", "-5 staff"]
NOT_WORDED += [
    "50 persons",
    "50 Leute",
    "employees 50",
    "50 employees 2026",
    "50 MAs",
    "fifty employees",
]


@pytest.mark.parametrize(("text", "count"), BANDS.items())
def test_a_band_is_read_as_its_geometric_midpoint_rounded_down(text: str, count: int) -> None:
    values, bad, notes = parse_counts(S(text, "120"))
    assert values.tolist() == [count, 120] and not bad.any()
    assert notes == [
        f"1 value is written as a band ({text!r} = {count}): a band is read as its geometric "
        "midpoint rounded down, an open band (`10,001+`) as its lower bound (docs/data-model.md)"
    ]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_stays_unparseable(text: str) -> None:
    values, bad, notes = parse_counts(S(text, "120"))
    assert values.isna().tolist() == [True, False] and bad.tolist() == [True, False]
    assert notes == []


@pytest.mark.parametrize(("text", "count"), WORDED.items())
def test_a_number_with_a_word_is_that_number(text: str, count: int) -> None:
    values, bad, notes = parse_counts(S(text, "120", "11-50"))
    assert values.tolist() == [count, 120, 23] and not bad.any()
    assert notes[1] == (
        f"1 value is written with a word ({text!r} = {count}): a whole number followed by "
        "`employees`, `employee`, `staff`, `people`, `FTE`, `Mitarbeiter` or `MA` is read as "
        "that number (docs/data-model.md)"
    )
    assert notes[0].startswith("1 value is written as a band ('11-50' = 23)")


@pytest.mark.parametrize("text", NOT_WORDED)
def test_other_words_stay_unparseable(text: str) -> None:
    values, bad, notes = parse_counts(S(text, "120"))
    assert values.isna().tolist() == [True, False] and bad.tolist() == [True, False]
    assert notes == []


def test_worded_counts_are_counted_in_one_warning_with_a_few_shown() -> None:
    values, bad, notes = parse_counts(S("50 employees", "50 employees", "7 staff", "12 FTE", "x"))
    assert values.tolist()[:4] == [50, 50, 7, 12] and bad.tolist() == [False] * 4 + [True]
    assert notes == [
        "4 values are written with a word ('50 employees' = 50, '7 staff' = 7, '12 FTE' = 12): "
        "a whole number followed by `employees`, `employee`, `staff`, `people`, `FTE`, "
        "`Mitarbeiter` or `MA` is read as that number (docs/data-model.md)"
    ]


def test_band_count_stays_within_the_band_and_is_the_log_centre() -> None:
    for low, high in [(1, 10), (11, 50), (201, 500), (10_001, 50_000), (7, 8), (0, 0), (0, 1)]:
        count = band_count(low, high)
        assert low <= count <= high
        if low:  # as close to the band's centre on the log scale as a whole number gets
            centre = (math.log(low) + math.log(high)) / 2
            assert math.log(count) <= centre < math.log(count + 1)
    assert band_count(10_001, None) == 10_001
    big = 2**62
    assert band_count(big, big) == big  # exact: no float rounding


def test_a_large_or_categorical_column_reads_bands_alike() -> None:
    """Columns of 5,000 values and more are parsed per distinct value (`on_uniques`), a
    categorical one (a Parquet dictionary) on its categories."""
    small = S(*BANDS, *GARBAGE, *WORDED, *NOT_WORDED, "120", None, "")
    expected, bad, _ = parse_counts(small)
    many = pd.concat([small] * 300, ignore_index=True)
    for column in (many, many.astype("category"), small.astype("category")):
        values, flags, notes = parse_counts(column)
        n = len(column) // len(small)
        assert values.tolist() == expected.tolist() * n
        assert flags.tolist() == bad.tolist() * n
        assert notes[0].startswith(f"{len(BANDS) * n} values are written as a band ('11-50' = 23")
        assert notes[1].startswith(f"{len(WORDED) * n} values are written with a word (")
    assert expected.iloc[len(BANDS) + len(GARBAGE) :].head(len(WORDED)).tolist() == list(
        WORDED.values()
    )


def test_plain_counts_never_reach_the_band_parser(monkeypatch) -> None:
    """The 1M-contact benchmark's 333k accounts hold plain integers: they cost what the
    integer parse costs. Only the values it refuses are tried as bands."""
    seen: list[list[str]] = []
    real = parse._band_counts

    def spy(values: pd.Series, *args) -> pd.Series:
        seen.append(sorted(values.dropna().astype(str)))
        return real(values, *args)

    monkeypatch.setattr(parse, "_band_counts", spy)
    rng = np.random.default_rng(0)
    plain = S(*rng.integers(1, 100_000, 20_000).astype(str), "1,500", "1.500", None)
    values, bad, notes = parse_counts(plain)
    assert not bad.any() and notes == [] and values.iloc[-3:-1].tolist() == [1500, 1500]
    values, bad, notes = parse_counts(S("-5", "0", "7"))  # a negative count: no band either
    assert bad.tolist() == [True, False, False] and notes == [] and seen == []
    mixed = pd.concat([plain, S("11-50", "lots")], ignore_index=True)
    for column in (mixed, mixed.astype("category")):  # not the categories of plain numbers
        seen.clear()
        values, bad, notes = parse_counts(column)
        assert seen[0] == ["11-50", "lots"] and {v for part in seen for v in part} == {
            "11-50",
            "lots",
        }
        assert values.iloc[-2] == 23 and bad.sum() == 1


# ---------------------------------------------------------------- every loader
WARNING = "accounts.employees: 1 value is written as a band ('11-50' = 23)"


def _read_alike(crm: smk.CRM, band_id: str, garbage_id: str) -> None:
    """The band's account is loaded with 23 employees, the garbage's set aside."""
    employees = dict(zip(crm.accounts["account_id"], crm.accounts["employees"], strict=True))
    assert employees[band_id] == 23
    assert garbage_id not in employees
    assert crm.quality.tables["accounts"].reasons() == {"unparseable employees": 1}
    assert [w for w in crm.quality.warnings if w.startswith("accounts.employees")] == [
        next(w for w in crm.quality.warnings if w.startswith(WARNING))
    ]


def test_canonical_csv(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at,account_id\nc1,2026-01-05,a1\n")
    (tmp_path / "accounts.csv").write_text(
        "account_id,created_at,employees\na1,2026-01-01,11-50\na2,2026-01-01,50-11\n"
        "a3,2026-01-01,120\n"
    )
    _read_alike(smk.load(tmp_path), "a1", "a2")


def test_a_worded_count_is_loaded_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at,account_id\nc1,2026-01-05,a1\n")
    (tmp_path / "accounts.csv").write_text(
        'account_id,created_at,employees\na1,2026-01-01,"1,200 employees"\n'
        "a2,2026-01-01,ca. 50\na3,2026-01-01,120\n"
    )
    crm = smk.load(tmp_path)
    assert dict(zip(crm.accounts["account_id"], crm.accounts["employees"], strict=True)) == {
        "a1": 1200,
        "a3": 120,
    }
    assert crm.quality.tables["accounts"].reasons() == {"unparseable employees": 1}
    assert any(
        w.startswith(
            "accounts.employees: 1 value is written with a word ('1,200 employees' = 1200)"
        )
        for w in crm.quality.warnings
    )


def test_european_canonical_csv(tmp_path: Path) -> None:
    """A `;`-delimited export with decimal commas: `1.001-5.000` is 1001 to 5000."""
    (tmp_path / "contacts.csv").write_text("contact_id;created_at\nc1;2026-01-05\n")
    (tmp_path / "accounts.csv").write_text(
        "account_id;created_at;employees;annual_revenue\n"
        "a1;2026-01-01;1.001-5.000;1.234,50\na2;2026-01-01;1.500;2,5\n"
    )
    for decimal in (None, ",", "."):  # a count has one reading, whatever the option
        crm = smk.load(tmp_path, decimal=decimal)
        assert crm.accounts["employees"].tolist() == [2237, 1500]
        assert crm.accounts["annual_revenue"].tolist() == [1234.5, 2.5]


def test_hubspot_number_of_employees(tmp_path: Path) -> None:
    (tmp_path / "hubspot-crm-exports-all-companies-2026-10-02.csv").write_text(
        '"Record ID","Company name","Number of Employees","Create Date"\n'
        '"1001","Ahorn GmbH","11-50","2026-01-02 08:00"\n'
        '"1002","Buchs KG","lots","2026-01-03 08:00"\n'
    )
    (tmp_path / "hubspot-crm-exports-all-deals-2026-10-02.csv").write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Create Date,Associated Company IDs\n"
        "7001,Ahorn - pilot,Closed Won,5000,2026-02-01 09:00,1001\n"
    )
    crm = smk.load(tmp_path)
    assert crm.format == "hubspot"
    _read_alike(crm, "1001", "1002")


def test_salesforce_number_of_employees(tmp_path: Path) -> None:
    (tmp_path / "Account.csv").write_text(
        "Id,Name,NumberOfEmployees,CreatedDate\n"
        "0015g00000AAAAA,Acme GmbH,11-50,2026-09-01T08:00:00.000+0000\n"
        "0015g00000BBBBB,Beta AG,50-11,2026-09-01T08:00:00.000+0000\n"
    )
    (tmp_path / "Contact.csv").write_text(
        "Id,AccountId,LastName,CreatedDate\n"
        "0035g00000CCCCC,0015g00000AAAAA,Doe,2026-09-02T08:00:00.000+0000\n"
    )
    crm = smk.load(tmp_path)
    assert crm.format == "salesforce"
    ids = [salesforce_id18(i) for i in ("0015g00000AAAAA", "0015g00000BBBBB")]  # as loaded
    _read_alike(crm, *ids)


MAPPING = """\
name: pd
data: ./pd
tables:
  contacts:
    files: ["people*"]
    columns:
      contact_id: ["Person - ID"]
      account_id: ["Person - Organization ID"]
      created_at: ["Person - Person created"]
  accounts:
    files: ["organizations*"]
    columns:
      account_id: ["Organization - ID"]
      employees: ["Organization - Number of employees"]
      created_at: ["Organization - Organization created"]
"""


def _pipedrive(tmp_path: Path, mapping: str = MAPPING) -> Path:
    data = tmp_path / "pd"
    data.mkdir()
    (data / "organizations.csv").write_text(
        "Organization - ID,Organization - Number of employees,Organization - Organization created\n"
        "10,11-50,2025-12-01 10:00:00\n11,11-,2025-12-02 10:00:00\n12,120,2025-12-02 10:00:00\n"
    )
    (data / "people.csv").write_text(
        "Person - ID,Person - Organization ID,Person - Person created\n"
        "1,10,2026-01-05 09:00:00\n2,12,2026-01-06 09:00:00\n"
    )
    (tmp_path / "pd.yaml").write_text(mapping)
    return tmp_path / "pd.yaml"


def test_mapping_file_and_segmentation(tmp_path: Path) -> None:
    """The tester's Pipedrive export: organisation 10 (`11-50`) is loaded, its contact keeps
    its account fields, and segmentation sizes it by its band."""
    crm = smk.load(_pipedrive(tmp_path))
    _read_alike(crm, "10", "11")
    assert not [w for w in crm.quality.warnings if "name an account_id" in w]
    features = smk.segmentation.account_features(crm)
    assert features.loc["10", "log_employees"] == pytest.approx(math.log(23))


def test_mapping_constant(tmp_path: Path) -> None:
    """`constants: {employees: "11-50"}` is typed as the export's own cells are."""
    mapping = MAPPING.replace(
        '      employees: ["Organization - Number of employees"]\n', ""
    ).replace("  accounts:\n", '  accounts:\n    constants: {employees: "11-50"}\n')
    crm = smk.load(_pipedrive(tmp_path, mapping))
    assert crm.accounts["employees"].tolist() == [23, 23, 23]
    assert any(
        w.startswith("accounts.employees: 3 values are written") for w in crm.quality.warnings
    )


def test_sql_text_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        pd.DataFrame(
            {"contact_id": ["C1"], "created_at": ["2026-01-05 09:00:00"], "account_id": ["A1"]}
        ).to_sql("contacts", conn, index=False)
        pd.DataFrame(
            {"account_id": ["A1", "A2", "A3"], "employees": ["11-50", "lots", "120"]}
        ).to_sql("accounts", conn, index=False)
    engine.dispose()
    _read_alike(smk.load(url), "A1", "A2")
