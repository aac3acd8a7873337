"""Report months and notebook outputs (metrics JSON, spreadsheet-safe CSV)."""

import json

import numpy as np
import pandas as pd
import pytest

from smk.model import CRM, empty_table
from smk.outputs import export_csv, neutralise_formulas, read_metrics, write_metrics
from smk.periods import latest_full_month, parse_month, resolve_month


def _crm_spanning(first: str, last: str) -> CRM:
    contacts = empty_table("contacts")
    contacts = pd.concat(
        [
            contacts,
            pd.DataFrame(
                {
                    "contact_id": ["a", "b"],
                    "created_at": pd.to_datetime([first, last], utc=True, format="ISO8601"),
                }
            ),
        ]
    )
    return CRM(contacts=contacts, source="test")


def test_month_bounds_are_utc_and_end_exclusive():
    m = parse_month("2026-02")
    assert m.start == pd.Timestamp("2026-02-01", tz="UTC")
    assert m.end == pd.Timestamp("2026-03-01", tz="UTC")
    assert str(m.previous) == "2026-01" and str(m.year_ago) == "2025-02"
    times = pd.Series(
        pd.to_datetime(["2026-01-31 23:59", "2026-02-01 00:00", "2026-03-01 00:00"], utc=True)
    )
    assert m.contains(times).tolist() == [False, True, False]


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026/01", "", "latest-ish", "2026-1"])
def test_parse_month_rejects_other_forms(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_latest_full_month_skips_a_partial_last_month():
    assert str(latest_full_month(_crm_spanning("2025-11-02", "2026-11-03 10:00"))) == "2026-10"
    assert str(latest_full_month(_crm_spanning("2025-11-02", "2026-10-31 18:00"))) == "2026-10"


def test_resolve_month_refuses_months_outside_the_data():
    crm = _crm_spanning("2025-11-02", "2026-10-31")
    assert str(resolve_month(crm, "latest")) == "2026-10"
    assert str(resolve_month(crm, "2026-01")) == "2026-01"
    with pytest.raises(ValueError, match="outside the data"):
        resolve_month(crm, "2027-01")


def test_metrics_json_handles_numpy_nan_and_timestamps(tmp_path):
    path = write_metrics(
        tmp_path,
        "funnel",
        {"mqls": np.int64(3), "rate": float("nan"), "at": pd.Timestamp("2026-01-01", tz="UTC")},
    )
    assert path.name == "metrics-funnel.json"
    data = json.loads(path.read_text())
    assert data == {"at": "2026-01-01T00:00:00+00:00", "mqls": 3, "rate": None}
    assert read_metrics(tmp_path) == {"funnel": data}


def test_csv_export_neutralises_formulas_but_not_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "company": ['=HYPERLINK("http://x")', "+1 call", "@SUM(A1)", "-2+3", "Acme"],
            "amount": [-5.0, 1, 2, 3, 4],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["company"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1 call",
        "'@SUM(A1)",
        "'-2+3",
        "Acme",
    ]
    assert safe["amount"].tolist() == [-5.0, 1, 2, 3, 4]
    text = export_csv(frame, tmp_path, "x.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n'+1 call" in text
    assert not any(line.startswith(("=", "+", "@", "-")) for line in text.splitlines())


def test_kpi_values_are_formatted_by_their_declared_format():
    from smk.outputs import format_kpi

    assert format_kpi(0.2531, "pct") == "25.3%"
    assert format_kpi(1234567.8, "money", "EUR") == "1,234,568 EUR"
    assert format_kpi(5.25, "hours") == "5.2 h"
    assert format_kpi(212, "int") == "212"
    assert format_kpi(0.71234, "float") == "0.712"
    assert format_kpi("email", "text") == "email"
    assert format_kpi(None, "pct") == "n/a" and format_kpi(float("nan"), "int", missing="-") == "-"
