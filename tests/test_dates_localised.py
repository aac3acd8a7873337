"""Dates whose month is named in German, French, Spanish, Italian, Dutch or Portuguese.

A European CRM, or a spreadsheet saved in such a locale, writes `1. März 2026`,
`15 janv. 2026`, `3 de marzo de 2026`, and spend months such as `Okt 2026`. Before, only
English month names were read and such a column's rows were set aside as unparseable dates.
The parser now reads them by rewriting the month as English (`parse._in_english`), for the
values the other layouts refuse only.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.io import parse
from smk.io.parse import DateOptions, parse_datetimes, parse_months


def S(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def utc(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def _large(values: list[str]) -> pd.Series:
    """`values` repeated into a column large enough for the per-distinct-value path."""
    reps = -(-parse._LARGE // len(values))
    return pd.Series(values * reps, dtype="string")


# ---------------------------------------------------------------- each language
LOCALISED = {  # text -> the calendar date it names
    "de": {
        "1. März 2026": "2026-03-01",
        "1. Marz 2026": "2026-03-01",
        "1. MÄRZ 2026": "2026-03-01",
        "01.Mär.2026": "2026-03-01",
        "01.Mär.26": "2026-03-01",
        "1. Mrz. 2026": "2026-03-01",
        "15. Januar 2026": "2026-01-15",
        "15. Jän. 2026": "2026-01-15",
        "2. Febr. 2026": "2026-02-02",
        "24. Februar 2026": "2026-02-24",
        "24. Feb. 2026": "2026-02-24",
        "24.Feb.26": "2026-02-24",
        "1. Mai 2026": "2026-05-01",
        "3. Okt. 2026": "2026-10-03",
        "3. Oktober 2026": "2026-10-03",
        "24. Dez. 2026": "2026-12-24",
        "24. Dezember 2026": "2026-12-24",
        "24-Dez-2026": "2026-12-24",
    },
    "fr": {
        "15 janv. 2026": "2026-01-15",
        "15 janvier 2026": "2026-01-15",
        "1 févr. 2026": "2026-02-01",
        "1 fevrier 2026": "2026-02-01",
        "1 février 2026": "2026-02-01",
        "1er mars 2026": "2026-03-01",
        "2 avr. 2026": "2026-04-02",
        "2 juin 2026": "2026-06-02",
        "14 juil. 2026": "2026-07-14",
        "14 juillet 2026": "2026-07-14",
        "15 août 2026": "2026-08-15",
        "1 déc. 2026": "2026-12-01",
        "1 décembre 2026": "2026-12-01",
    },
    "es": {
        "3 de marzo de 2026": "2026-03-03",
        "3 mar 2026": "2026-03-03",
        "3 mar. 2026": "2026-03-03",
        "1 de enero de 2026": "2026-01-01",
        "1 ene. 2026": "2026-01-01",
        "12 de octubre del 2026": "2026-10-12",
        "25 dic. 2026": "2026-12-25",
        "25 de diciembre de 2026": "2026-12-25",
        "7 de setiembre de 2026": "2026-09-07",
        "7 sept. 2026": "2026-09-07",
    },
    "it": {
        "1 dicembre 2026": "2026-12-01",
        "1 dic 2026": "2026-12-01",
        "6 gen 2026": "2026-01-06",
        "6 gennaio 2026": "2026-01-06",
        "2 giugno 2026": "2026-06-02",
        "2 giu 2026": "2026-06-02",
        "15 ago 2026": "2026-08-15",
        "1 ott. 2026": "2026-10-01",
        "1 ottobre 2026": "2026-10-01",
    },
    "nl": {
        "1 mei 2026": "2026-05-01",
        "1 mrt 2026": "2026-03-01",
        "1 maart 2026": "2026-03-01",
        "1-mrt-2026": "2026-03-01",
        "1-mrt-26": "2026-03-01",
        "3 okt. 2026": "2026-10-03",
        "31 augustus 2026": "2026-08-31",
    },
    "pt": {
        "1 de dezembro de 2026": "2026-12-01",
        "1 dez 2026": "2026-12-01",
        "1 de março de 2026": "2026-03-01",
        "1 de marco de 2026": "2026-03-01",
        "7 de setembro de 2026": "2026-09-07",
        "7 set. 2026": "2026-09-07",
        "1 out. 2026": "2026-10-01",
        "1 de outubro de 2026": "2026-10-01",
        "1 de maio de 2026": "2026-05-01",
    },
}


@pytest.mark.parametrize("language", sorted(LOCALISED))
def test_each_languages_full_and_abbreviated_month_names_are_read(language):
    cases = LOCALISED[language]
    parsed, bad, notes = parse_datetimes(S(*cases))
    assert parsed.tolist() == [utc(day) for day in cases.values()]
    assert not bad.any() and notes == []


def test_a_month_name_whose_accent_is_written_apart_is_read_as_the_composed_one():
    """`März` written as `a` and a combining accent (NFD: files from macOS, some exports) names
    March too, in a column holding both forms. (pyarrow before 26 normalises no text to NFC:
    the accents were read as the end of a word, `Ma` and `rz`, and the dates set aside.)"""
    accented = {
        t: day for cases in LOCALISED.values() for t, day in cases.items() if not t.isascii()
    }
    apart = {unicodedata.normalize("NFD", t): day for t, day in accented.items()}
    assert not set(apart) & set(accented)
    parsed, bad, notes = parse_datetimes(S(*apart, *accented))
    assert parsed.tolist() == [utc(day) for day in [*apart.values(), *accented.values()]]
    assert not bad.any() and notes == []


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_a_localised_date_is_a_calendar_date_in_any_zone(timezone):
    """Written without a time, it is 00:00 UTC of its day, as an English one is."""
    parsed, bad, _ = parse_datetimes(
        S("1. März 2026", "1 Mar 2026"), DateOptions(timezone=timezone)
    )
    assert parsed.tolist() == [utc("2026-03-01")] * 2 and not bad.any()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. März 2026 14:30", "2026-03-01 13:30"),  # Berlin wall time, winter
        ("1. März 2026 14:30:15", "2026-03-01 13:30:15"),
        ("15 janv. 2026, 14:30", "2026-01-15 13:30"),
        ("3 de marzo de 2026 2:30 PM", "2026-03-03 13:30"),
        ("3 de marzo de 2026 2:30 PM CET", "2026-03-03 13:30"),
        ("1 de junho de 2026 14:30", "2026-06-01 12:30"),  # summer time
        ("1. März 2026 14:30 GMT", "2026-03-01 14:30"),  # a zone is read as for English
        ("1. März 2026 14:30 CEST", "2026-03-01 12:30"),
    ],
)
def test_a_time_after_a_localised_date_is_read_as_after_an_english_one(text, expected):
    parsed, bad, _ = parse_datetimes(S(text), DateOptions(timezone="Europe/Berlin"))
    assert parsed.tolist() == [utc(expected)] and not bad.any()


def test_a_mixed_column_is_read_value_by_value():
    values = S(
        "2026-03-01T09:00:00Z",
        "Mar 1, 2026",
        "1. März 2026",
        "1er mars 2026",
        "1 de marzo de 2026",
        "1 marzo 2026",
        "1 maart 2026",
        "1 de março de 2026",
        "01.03.2026",
        "",
        "#VALUE!",
        "1. Märzz 2026",
    )
    parsed, bad, notes = parse_datetimes(values)
    assert parsed.iloc[0] == utc("2026-03-01 09:00")
    assert parsed.iloc[1:9].tolist() == [utc("2026-03-01")] * 8
    assert parsed.iloc[9:].isna().all()
    assert bad.tolist() == [False] * 10 + [True, True]
    assert notes == []


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin"])
def test_a_large_column_reads_as_a_small_one(timezone):
    """Per distinct value (`on_uniques`), and as the few values the ISO fast path refuses."""
    options = DateOptions(timezone=timezone)
    odd = ["1. März 2026 14:30", "15 janv. 2026", "3 de marzo de 2026", "1. Märzz 2026"]
    iso_then_odd = S(*["2026-01-05 09:30"] * parse._LARGE, *odd)
    assert parse._iso_by_arrow(iso_then_odd, timezone) is not None  # the ISO fast path
    want = parse_datetimes(S(*odd), options)
    assert want[1].tolist() == [False, False, False, True]
    for big in (_large(odd), iso_then_odd):
        got = parse_datetimes(big, options)
        assert got[0].iloc[-4:].tolist() == want[0].tolist()
        assert got[1].iloc[-4:].tolist() == want[1].tolist()


@pytest.mark.parametrize(
    "text",
    [
        "1. Märzz 2026",  # not a month
        "1. Mäz 2026",
        "32. März 2026",  # no such day
        "31. Februar 2026",
        "1. März",  # no year
        "Mo., 1. März 2026",  # a weekday: not read, as English `Mon, Mar 1, 2026` is not
        "1. März 2026 25:00",
        "1. März 2026 14:30 IST",  # a zone with several meanings, as for English
        "de 2026",  # a joiner alone names no month
    ],
)
def test_a_value_that_names_no_date_stays_unparseable(text):
    parsed, bad, _ = parse_datetimes(S(text))
    assert parsed.isna().all() and bad.all()


# ---------------------------------------------------------------- spend months
def test_spend_months_are_read_in_each_language():
    months = {
        "Okt 2026": "2026-10-01",
        "Okt. 2026": "2026-10-01",
        "März 2026": "2026-03-01",
        "Marz 2026": "2026-03-01",
        "janv. 2026": "2026-01-01",
        "février 2026": "2026-02-01",
        "marzo de 2026": "2026-03-01",
        "ott 2026": "2026-10-01",
        "mei 2026": "2026-05-01",
        "dezembro de 2026": "2026-12-01",
        "Nov 2026": "2026-11-01",
        "2026-11": "2026-11-01",
    }
    parsed, bad, _ = parse_months(S(*months, "Märzz 2026", "Q1 2026", None))
    assert parsed.iloc[:-3].tolist() == [pd.Timestamp(m) for m in months.values()]
    assert parsed.iloc[-3:].isna().all()
    assert bad.tolist() == [False] * len(months) + [True, True, False]
    big, big_bad, _ = parse_months(_large([*months, "Märzz 2026"]))  # per distinct value
    assert big.iloc[-13:-1].tolist() == parsed.iloc[:-3].tolist() and big_bad.iloc[-1]


def test_a_canonical_export_with_localised_dates_loads_whole(tmp_path: Path):
    """`smk validate` / `smk.load`: before, every localised row was set aside."""
    (tmp_path / "contacts.csv").write_text(
        "contact_id,email,created_at,lifecycle_stage\n"
        "c-1,a@example.com,1. März 2026 14:30,lead\n"
        "c-2,b@example.com,15 janv. 2026,lead\n"
        "c-3,c@example.com,3 de marzo de 2026,lead\n"
        "c-4,d@example.com,1. Märzz 2026,lead\n",
        encoding="utf-8",
    )
    (tmp_path / "spend.csv").write_text(
        "month,channel,campaign,amount,currency\n"
        "Okt 2026,paid_search,brand,100,EUR\n"
        "März 2026,paid_search,brand,100,EUR\n",
        encoding="utf-8",
    )
    crm = smk.load(tmp_path, timezone="Europe/Berlin")
    assert crm.contacts["created_at"].tolist() == [
        utc("2026-03-01 13:30"),
        utc("2026-01-15"),
        utc("2026-03-03"),
    ]
    aside = crm.quality.set_aside("contacts")
    assert aside[["created_at", "_reason"]].values.tolist() == [
        ["1. Märzz 2026", "unparseable created_at"]
    ]
    assert crm.spend["month"].tolist() == [pd.Timestamp("2026-10-01"), pd.Timestamp("2026-03-01")]


# ---------------------------------------------------------------- English as before
ENGLISH = {  # each read so by the parser before month names of other languages were added
    "Feb 24, 2026": "2026-02-24",
    "February 24, 2026": "2026-02-24",
    "24 Feb 2026": "2026-02-24",
    "24 February 2026": "2026-02-24",
    "24-Feb-2026": "2026-02-24",
    "24-Feb-26": "2026-02-24",
    "feb 24, 2026": "2026-02-24",
    "24 FEB 2026": "2026-02-24",
    "Feb 24, 2026 8:55 PM": "2026-02-24 20:55",
    "24 Feb 2026 20:55": "2026-02-24 20:55",
    "24-Feb-2026 20:55:00": "2026-02-24 20:55",
    "Feb 24, 2026, 8:55 PM": "2026-02-24 20:55",
    "24 Feb 2026 20:55 CET": "2026-02-24 19:55",
    "Sep 1, 2026": "2026-09-01",
    "1 May 2026": "2026-05-01",
    "Mar 3, 2026 08:15:30 AM": "2026-03-03 08:15:30",
    "2026-02-24": "2026-02-24",
}


@pytest.mark.parametrize("large", [False, True])
def test_an_english_column_reads_as_before(large):
    """The same results as the parser gave before (it passes on the old code too)."""
    values = [*ENGLISH, "Mon, Feb 24, 2026", "Feb 2026"]  # unread before and after
    column = _large(values) if large else S(*values)
    parsed, bad, notes = parse_datetimes(column)
    n = len(values)
    assert parsed.iloc[-n:-2].tolist() == [utc(v) for v in ENGLISH.values()]
    assert bad.iloc[-n:].tolist() == [False] * (n - 2) + [True, True] and notes == []


@pytest.mark.parametrize("large", [False, True])
def test_only_values_every_layout_refuses_go_through_the_month_name_step(large, monkeypatch):
    seen: list[str] = []
    rewrite = parse._in_english

    def spy(s: pd.Series) -> pd.Series:
        seen.extend(s.dropna().tolist())
        return rewrite(s)

    monkeypatch.setattr(parse, "_in_english", spy)
    values = [*ENGLISH, "1. März 2026", "#VALUE!", "46327", "1771966500"]
    parsed, bad, _ = parse_datetimes(_large(values) if large else S(*values))
    assert set(seen) == {"1. März 2026", "#VALUE!"}
    assert parsed.iloc[-4] == utc("2026-03-01")
    assert bad.iloc[-4:].tolist() == [False, True, False, False]


def test_english_abbreviations_with_a_dot_are_read_too():
    """`nov.` is French, Spanish, Italian, Dutch and Portuguese: English gains it as well."""
    parsed, bad, _ = parse_datetimes(S("Nov. 2, 2026", "Sept 2, 2026", "2 Nov, 2026", "2 Nov 26"))
    assert parsed.tolist() == [utc("2026-11-02"), utc("2026-09-02")] + [utc("2026-11-02")] * 2
    assert not bad.any()


# ---------------------------------------------------------------- one month per word
def test_no_spelling_names_two_months_across_the_languages():
    assert not parse._MONTH_CLASHES
    for language, months in parse._MONTH_NAMES.items():
        for number, spellings in enumerate(months, 1):
            for word in spellings:
                assert parse._MONTH_WORDS[word] == number, (language, word)
    shared = {"mar": 3, "mai": 5, "dez": 12, "set": 9, "ago": 8, "dic": 12, "sept": 9}
    assert {w: parse._MONTH_WORDS[w] for w in shared} == shared


def test_a_spelling_that_names_two_months_is_left_unread(monkeypatch):
    names = {**parse._MONTH_NAMES, "xx": ((),) * 5 + (("mei",),) + ((),) * 6}  # mei = June?
    words, clashes = parse._month_words(names)
    assert clashes == frozenset({"mei"}) and "mei" not in words and words["juni"] == 6
    monkeypatch.setattr(parse, "_MONTH_WORDS", words)
    parsed, bad, _ = parse_datetimes(S("1 mei 2026", "1 juni 2026"))
    assert parsed.isna().tolist() == [True, False] and bad.tolist() == [True, False]


def test_the_rewrite_passes_over_the_column_once_per_month_named(monkeypatch):
    """One Arrow pass per spelling written made a column of junk with month words in many
    spellings and cases take a minute (300k values, words in random case): the passes are per
    month named (plus the joiners), whatever the spellings and their case."""
    spellings = sorted({w for months in parse._MONTH_NAMES.values() for m in months for w in m})
    cased = [f(w) for w in spellings for f in (str.lower, str.title, str.upper)]
    values = pd.Series([f"x{i} {w} de junk" for i, w in enumerate(cased)], dtype="string")
    calls = []
    real = parse.pc.replace_substring_regex

    def counted(*args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("pattern"))
        return real(*args, **kwargs)

    monkeypatch.setattr(parse.pc, "replace_substring_regex", counted)
    english = parse._in_english(values)
    assert len(english) == len(values)  # every value names a month
    assert len(calls) <= 12 + 1 + 3  # the months, the joiners, the fixed clean-ups
    assert english.str.contains(" Jan ").sum() == 3 * len(
        {w for months in parse._MONTH_NAMES.values() for w in months[0]} - set(parse._MONTH_CLASHES)
    )


def test_spend_months_keep_a_column_s_repeated_labels():
    values = pd.Series(["Okt 2026", "2026-11", "März 2026", "junk"], index=[0, 0, 1, 1])
    months, bad, _ = parse.parse_months(values)
    assert list(months.index) == [0, 0, 1, 1] and list(bad.index) == [0, 0, 1, 1]
    assert months.dt.strftime("%Y-%m").tolist()[:3] == ["2026-10", "2026-11", "2026-03"]
    assert bad.tolist() == [False, False, False, True]
