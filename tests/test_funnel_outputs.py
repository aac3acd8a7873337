"""The funnel page's machine outputs: a month nobody entered the funnel in, and the scorecard's
CSV and tiles saying what its page says."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smk import funnel, outputs, scorecard
from smk.errors import NoDataError
from smk.model import make_table

GAP = [
    {"contact_id": "h1", "created_at": "2026-08-03", "lifecycle_stage": "mql",
     "became_lead_at": "2026-08-03", "became_mql_at": "2026-08-04"},
    {"contact_id": "h2", "created_at": "2026-10-03", "lifecycle_stage": "mql",
     "became_lead_at": "2026-10-03", "became_mql_at": "2026-10-04"},
]  # fmt: skip


def test_a_month_nobody_entered_is_a_funnel_of_zeros_with_the_reason():
    contacts = make_table("contacts", GAP)
    counts = funnel.funnel_counts(contacts, month="2026-09")
    assert counts["stage"].tolist() == list(funnel.FUNNEL_STAGES)
    assert counts["contacts"].tolist() == [0] * 6 and counts["skipped"].tolist() == [0] * 6
    assert funnel.no_entries_text(contacts, counts, "2026-09") == (
        "no contact entered the funnel in 2026-09 (stage dates run from 2026-08-03 to "
        "2026-10-04, none of them in 2026-09)"
    )
    later = funnel.funnel_counts(contacts, month="2026-12")
    assert "choose a month" in funnel.no_entries_text(contacts, later, "2026-12")
    october = funnel.funnel_counts(contacts, month="2026-10")
    assert funnel.no_entries_text(contacts, october, "2026-10") is None
    by_owner = funnel.funnel_counts(contacts.assign(owner_id="o1"), "2026-09", by="owner_id")
    assert by_owner["contacts"].sum() == 0


def test_an_export_without_contacts_still_has_no_funnel_to_give():
    with pytest.raises(NoDataError, match="no funnel for 2026-09: the export has no contacts"):
        funnel.funnel_counts(make_table("contacts", []), month="2026-09")


def _card() -> pd.DataFrame:
    """A scorecard as `kpi_scorecard` gives it: MQLs with a float previous month, pipeline
    created n/a (no target), a win rate not compared for too few deals closed."""
    rows = [
        ("mqls", "int", 62.0, 60, "met", None, 70.0),
        ("pipeline_created", "money", np.nan, None, "no data", "the deals have no amount", 9.0),
        ("win_rate", "pct", 0.45, None, None, None, 0.444),
    ]
    card = pd.DataFrame(
        [
            {"id": i, "label": i, "format": f, "better": "higher", "actual": a, "target": t,
             "status": s, "note": n, "previous_month": p, "change_vs_previous_month": np.nan,
             "same_month_last_year": np.nan, "change_vs_last_year": np.nan}
            for i, f, a, t, s, n, p in rows
        ]
    )  # fmt: skip
    why = "22 deals closed in 2026-10 and 18 in 2026-09, too few"
    card.attrs[scorecard.NOT_COMPARED] = {"win_rate": {"previous_month": why}}
    card.attrs["not_compared"] = {}
    return card


def test_the_scorecard_csv_says_why_a_change_is_not_computed_as_the_page_does():
    card = _card()
    exported = scorecard.scorecard_export(card).set_index("id")
    shown = scorecard.scorecard_display(card).set_index("KPI")
    assert exported.loc["win_rate", "note"] == (
        "previous month: not compared, 22 deals closed in 2026-10 and 18 in 2026-09, too few"
    )
    assert exported["note"].fillna("").tolist() == shown["note"].tolist()
    computed = card.set_index("id").drop(columns="note")
    figures = list(scorecard.FIGURES)
    assert exported[computed.columns.drop(figures)].equals(computed.drop(columns=figures))
    assert exported[figures].astype(float).equals(computed[figures].astype(float))


def test_the_scorecard_csv_writes_counts_as_whole_numbers(tmp_path):
    """The MQLs were written 62.0, target 60.0, previous month 70.0, as floats like the rates
    of their columns: a count is whole, in a spreadsheet and in `read_csv` a number still."""
    card = _card()
    card.loc[0, "change_vs_previous_month"] = -8.0
    path = outputs.export_csv(scorecard.scorecard_export(card), tmp_path, "scorecard.csv")
    written = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    written = written.set_index("id")
    mqls = written.loc["mqls", ["actual", "target", "previous_month", "change_vs_previous_month"]]
    assert mqls.tolist() == ["62", "60", "70", "-8"]  # was 62.0, 60.0, 70.0, -8.0
    assert written.loc["win_rate", ["actual", "previous_month"]].tolist() == ["0.45", "0.444"]
    assert written.loc["pipeline_created", ["actual", "target"]].tolist() == ["", ""]
    read = pd.read_csv(path, encoding="utf-8-sig").set_index("id")
    assert read["actual"].dtype == "float64" and read.loc["mqls", "actual"] == 62
    assert read.loc["pipeline_created", "actual"] != read.loc["pipeline_created", "actual"]


def test_the_scorecard_csv_says_why_a_comparison_column_is_empty_on_every_row():
    """The page's caption above its table ("same month last year: not compared, ...") was
    not in the CSV, whose columns were empty without a reason (RV2)."""
    card = _card()
    card.attrs["not_compared"] = {"same_month_last_year": "the export starts on 2025-11-01"}
    exported = scorecard.scorecard_export(card).set_index("id")
    caption = "same month last year: not compared, the export starts on 2025-11-01"
    assert scorecard.comparison_gaps(card) == caption
    assert exported.loc["mqls", "note"] == caption
    assert exported.loc["pipeline_created", "note"] == f"the deals have no amount; {caption}"
    assert exported.loc["win_rate", "note"].endswith(f"too few; {caption}")


def test_tiles_say_no_data_without_a_target_and_previous_is_written_as_the_value():
    tiles = {t["id"]: t for t in scorecard.scorecard_kpis(_card())}
    assert tiles["pipeline_created"]["status"] == "no data"
    assert "target" not in tiles["pipeline_created"]
    assert "status" not in tiles["win_rate"]  # a value, no target: nothing to judge
    mqls = tiles["mqls"]
    assert (mqls["value"], mqls["target"], mqls["previous"]) == (62, 60, 70)
    assert all(isinstance(mqls[k], int) for k in ("value", "target", "previous"))


def test_every_pages_tile_without_a_value_is_no_data_in_its_metrics(tmp_path):
    kpis = [
        {"id": "rfm_customers_at_risk", "label": "Customers at risk", "value": None},
        {"id": "changed", "label": "Accounts that changed segment", "value": np.nan},
        {"id": "unusable", "label": "Leads above the threshold", "value": 3, "status": "no data"},
        {"id": "top_channel", "label": "Top channel", "value": None, "status": "missed"},
        {"id": "segments", "label": "Account segments", "value": 2},
    ]
    path = outputs.write_metrics(tmp_path, "segmentation", {"title": "S", "kpis": kpis})
    status = {t["id"]: t.get("status") for t in json.loads(path.read_text())["kpis"]}
    assert status == {
        "rfm_customers_at_risk": "no data",
        "changed": "no data",
        "unusable": "no data",
        "top_channel": "missed",  # a tile's own status stands
        "segments": None,
    }
    assert "status" not in kpis[0]  # the caller's tiles are left as they were


def test_the_funnel_page_of_a_month_without_entries_writes_its_zeros_and_notes(tmp_path):
    # September: nobody enters the funnel; a deal without an amount is created and lost, so
    # pipeline created is n/a (no target); one deal closed in August and one in September:
    # too few to compare win rates
    from smk.report import run_report

    export = tmp_path / "export"
    export.mkdir()
    contact = {"lifecycle_stage": "mql", "owner_id": "o1", "original_source": "email"}
    deal = {"contact_id": "", "is_closed": "true", "currency": "EUR"}
    tables = {
        "contacts": [
            {**contact, "contact_id": "h0", "created_at": "2026-07-01T10:00:00Z",
             "became_lead_at": "2026-07-01T10:00:00Z", "became_mql_at": "2026-07-02T10:00:00Z"},
            {**contact, "contact_id": "h1", "created_at": "2026-08-03T10:00:00Z",
             "became_lead_at": "2026-08-03T10:00:00Z", "became_mql_at": "2026-08-04T10:00:00Z"},
            {**contact, "contact_id": "h2", "created_at": "2026-10-03T10:00:00Z",
             "became_lead_at": "2026-10-03T10:00:00Z", "became_mql_at": "2026-10-04T10:00:00Z"},
        ],
        "deals": [
            {**deal, "deal_id": "d1", "created_at": "2026-08-10T10:00:00Z",
             "closed_at": "2026-08-20T10:00:00Z", "is_won": "true", "amount": "5000"},
            {**deal, "deal_id": "d2", "created_at": "2026-09-05T10:00:00Z",
             "closed_at": "2026-09-15T10:00:00Z", "is_won": "false", "amount": ""},
        ],
        "activities": [
            {"activity_id": "x", "contact_id": "h2", "occurred_at": "2026-11-03T10:00:00Z",
             "type": "call"},
        ],
    }  # fmt: skip
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(export / f"{name}.csv", index=False)
    out = tmp_path / "reports"
    run_report(
        export, "2026-09", out, data_format="canonical", notebooks=["funnel_sla"], quiet=True
    )
    month = out / "2026-09"
    month_funnel = pd.read_csv(month / "funnel_month.csv", encoding="utf-8-sig")
    assert month_funnel["stage"].tolist() == list(funnel.FUNNEL_STAGES)
    assert month_funnel["contacts"].tolist() == [0] * 6
    metrics = json.loads((month / "metrics-funnel_sla.json").read_text())
    assert metrics["funnel"] == [
        {"stage": s, "contacts": 0, "skipped": 0} for s in funnel.FUNNEL_STAGES
    ]
    kpis = {k["id"]: k for k in metrics["kpis"]}
    assert kpis["mqls"]["value"] == 0 and kpis["mqls"]["previous"] == 1
    assert isinstance(kpis["mqls"]["previous"], int)
    assert kpis["pipeline_created"]["value"] is None
    assert kpis["pipeline_created"]["status"] == "no data"
    why = kpis["win_rate"]["previous_not_compared"]
    assert why.startswith("1 deal closed in 2026-09 and 1 in 2026-08, too few")
    card = pd.read_csv(month / "funnel_sla_scorecard.csv", encoding="utf-8-sig").set_index("id")
    gaps = "same month last year: not compared, the export does not reach back to 2025-09"
    assert card.loc["win_rate", "note"] == f"previous month: not compared, {why}; {gaps}"
    assert card.loc["pipeline_created", "status"] == "no data"
    page = (month / "01_funnel_sla.html").read_text()
    assert "stage dates run from 2026-07-01 to 2026-10-04, none of them in 2026-09" in page
    assert "Not enough data for this section: no contact entered the funnel" not in page
    index = (month / "index.html").read_text()
    tiles = re.findall(
        r'class="tile status-([\w-]*)" data-kpi="(\w+)".*?class="value">([^<]*)<', index
    )
    unknown = {kpi: css for css, kpi, value in tiles if value == "n/a"}
    assert unknown["pipeline_created"] == "no-data"
    assert set(unknown.values()) == {"no-data"}  # every n/a tile grey, none "status-"


def test_contacts_with_no_stage_and_no_stage_date_are_counted_outside_the_funnel():
    """A Pipedrive person without a label and without a deal has no lifecycle stage and no
    stage date: no funnel stage counts it, and nothing said so (only `smk validate`'s
    "(no stage)" line). A contact at `other`, one raised by a deal and one created after the
    month are not counted."""
    rows = [
        ("p1", "2026-03-02", "lead", None),  # a label: a lead at its creation
        ("p2", "2026-03-03", None, None),  # no label, no deal: outside the funnel
        ("p3", "2026-03-04", None, "2026-03-05"),  # no label, but a deal dates a stage
        ("p4", "2026-03-06", "other", None),  # a partner: outside by design, not counted
        ("p5", "2026-02-10", None, None),  # an earlier month's
        ("p6", "2026-04-01", None, None),  # after the month's end
    ]
    contacts = make_table(
        "contacts",
        [
            {"contact_id": i, "created_at": c, "lifecycle_stage": s, "became_opportunity_at": o}
            for i, c, s, o in rows
        ],
    )
    counts = funnel.outside_funnel(contacts, "2026-03")
    assert counts == {
        "created_in_month": 1,
        "created_by_month_end": 2,
        "contacts_in_month": 4,
        "contacts_by_month_end": 5,
    }
    month = funnel.funnel_counts(contacts, month="2026-03").set_index("stage")["contacts"]
    assert month["lead"] == 2  # p1 and p3: p2 is in no stage, as the line says
    assert funnel.outside_funnel_text(counts, "2026-03") == (
        "1 of the 4 contacts created in 2026-03 (2 of the 5 created by its end) has no "
        "lifecycle stage and no stage date: they are outside the funnel, in none of its "
        "stages. To count them, give them a lifecycle stage in the CRM (a Pipedrive person's "
        "label); an export read through a mapping file can also translate its stage values "
        "(`values: lifecycle_stage:`) or map a became_lead_at column, such as the creation "
        "date when every contact is a lead (docs/mappings.md)"
    )
    # RVA: a month without new contacts does not lead with "0 of the 0 contacts created"
    may = funnel.outside_funnel(contacts, "2026-05")
    assert may["created_in_month"] == may["contacts_in_month"] == 0
    assert funnel.outside_funnel_text(may, "2026-05").startswith(
        "3 of the 6 contacts created by the end of 2026-05 (none of those created in it) have "
        "no lifecycle stage and no stage date"
    )
    staged = contacts[contacts["lifecycle_stage"].notna()]
    assert funnel.outside_funnel_text(funnel.outside_funnel(staged, "2026-03"), "2026-03") is None


def test_the_funnel_page_counts_the_pipedrive_persons_outside_the_funnel(tmp_path):
    """The shipped Pipedrive mapping: persons without a label and without a deal are in no
    stage; the funnel page and its metrics say how many, of the month's and of all."""
    from smk.report import run_report

    export = shutil.copytree(Path(__file__).parent / "fixtures" / "pipedrive", tmp_path / "x")
    persons = pd.read_csv(export / "persons.csv", dtype=str, keep_default_na=False)
    blank = {c: "" for c in persons.columns}
    unlabelled = [
        {**blank, "Person - ID": i, "Person - Person created": c, "Person - Owner": "Dana Fictional"}
        for i, c in (("901", "2026-01-20 10:00:00"), ("902", "2026-02-03 10:00:00"),
                     ("903", "2026-02-12 10:00:00"))
    ]  # fmt: skip
    pd.concat([persons, pd.DataFrame(unlabelled)]).to_csv(export / "persons.csv", index=False)
    params = tmp_path / "params.yaml"
    params.write_text("fx_rates: {EUR: 1.0, USD: 0.92, GBP: 1.17, CHF: 1.05, PLN: 0.23}\n")
    out = tmp_path / "reports"
    run_report(
        export, "2026-02", out, mapping="pipedrive", notebooks=["funnel_sla"], params=params,
        quiet=True,
    )  # fmt: skip
    month = out / "2026-02"
    metrics = json.loads((month / "metrics-funnel_sla.json").read_text())
    assert metrics["outside_funnel"] == {
        "created_in_month": 2,
        "created_by_month_end": 3,
        "contacts_in_month": 7,
        "contacts_by_month_end": 17,
    }
    assert [f["stage"] for f in metrics["funnel"]] == list(funnel.FUNNEL_STAGES)  # kept
    page = (month / "01_funnel_sla.html").read_text()
    assert "2 of the 7 contacts created in 2026-02 (3 of the 17 created by its end) have" in page
