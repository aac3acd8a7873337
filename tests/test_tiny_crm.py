"""Small, young CRMs (a tester's exports of 20 contacts and a few deals): a deal without an
amount is unknown money, not 0; the funnel page shows every month of the data up to the report
month; a month with leads but no MQL and no deal is scored, not dropped; tables say unknown
where the export has no deals; the month funnel's ratio is named what it is (two flows, not a
conversion); an n/a tile says so; `latest` and its messages for a CRM younger than a month."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import smk  # noqa: E402
from smk import funnel, outputs, periods, plots, scorecard, sla  # noqa: E402
from smk import segmentation as sg  # noqa: E402
from smk.errors import NoDataError  # noqa: E402
from smk.model import CRM, make_table  # noqa: E402
from smk.report import _change, write_month_index  # noqa: E402
from smk.sla import SLA  # noqa: E402

# the small exports here end before the months they are scored for, which `mql_leads` warns of
pytestmark = pytest.mark.filterwarnings(
    "ignore:as_of .* after the export's last record:UserWarning"
)

FX = {"EUR": 1.0}
OCT = periods.as_month("2026-10")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _contact(cid: str, created: str, mql: str | None = None, **more) -> dict:
    return {
        "contact_id": cid,
        "account_id": more.pop("account_id", "a1"),
        "created_at": created,
        "became_lead_at": created,
        "became_mql_at": mql,
        "lifecycle_stage": "mql" if mql else "lead",
        "owner_id": "rep",
        "original_source": "organic_search",
        **more,
    }


def _deal(did: str, cid: str, created: str, closed: str | None, amount: float | None) -> dict:
    return {
        "deal_id": did,
        "contact_id": cid,
        "account_id": "a1",
        "created_at": created,
        "closed_at": closed,
        "is_closed": closed is not None,
        "is_won": closed is not None,
        "amount": amount,
        "currency": "EUR",
    }


def _crm(contacts: list[dict], deals: list[dict] = (), activities: list[dict] = ()) -> CRM:
    return CRM(
        contacts=make_table("contacts", contacts),
        deals=make_table("deals", list(deals)),
        activities=make_table("activities", list(activities)),
        accounts=make_table("accounts", [{"account_id": "a1", "country": "Germany"}]),
    )


def _october(amounts: tuple[float | None, float | None, float | None]) -> CRM:
    """Three MQLs of October with a deal each: two won in October, one open; the export runs
    to the end of October (a call on Friday the 30th)."""
    contacts = [_contact(f"c{i}", f"2026-10-0{i} 09:00", f"2026-10-0{i} 10:00") for i in (1, 2, 3)]
    won1, won2, open_ = amounts
    deals = [
        _deal("d1", "c1", "2026-10-05 12:00", "2026-10-20 12:00", won1),
        _deal("d2", "c2", "2026-10-06 12:00", "2026-10-21 12:00", won2),
        _deal("d3", "c3", "2026-10-07 12:00", None, open_),
    ]
    call = {"activity_id": "x", "contact_id": "c1", "occurred_at": "2026-10-30 16:00"}
    return _crm(contacts, deals, [{**call, "type": "call"}])


# ------------------------------------------------------------------ 1. deals without an amount
def test_a_won_deal_without_an_amount_is_left_out_and_the_scorecard_says_so():
    crm = _october((6_000.0, None, 5_000.0))
    card = scorecard.kpi_scorecard(crm, OCT, SLA(revenue_target=10_000), FX, "EUR")
    won = card.set_index("id").loc["won_revenue"]
    assert won["actual"] == 6_000.0  # the known amount, the blank one not read as 0 ...
    assert won["note"] == (
        "1 of the 2 deals won in 2026-10 has no amount: the figure adds up the other 1"
    )
    assert pd.isna(won["status"])  # ... and not "missed": the true figure may be higher
    created = card.set_index("id").loc["pipeline_created"]
    assert created["actual"] == 11_000.0 and created["note"].startswith("1 of the 3 deals")
    met = scorecard.kpi_scorecard(crm, OCT, SLA(revenue_target=5_000), FX, "EUR")
    assert met.set_index("id").loc["won_revenue", "status"] == "met"  # a floor that meets it
    tile = {k["id"]: k for k in scorecard.scorecard_kpis(card)}["won_revenue"]
    assert tile["value"] == 6_000.0 and tile["detail"] == won["note"]
    row = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR"), months=[OCT]).iloc[0]
    assert row["won_revenue"] == 6_000.0 and row["deals_won"] == 2
    assert row["deals_won_without_amount"] == 1 and row["deals_created_without_amount"] == 1
    text = sla.pipeline_text(row, OCT, "EUR")
    assert "won revenue: 6,000 EUR (1 of the 2 deals won has no amount, not counted)" in text


def test_without_any_amount_pipeline_and_revenue_are_unknown_not_zero(tmp_path):
    crm = _october((None, None, None))
    card = scorecard.kpi_scorecard(crm, OCT, SLA(revenue_target=10_000), FX, "EUR")
    rows = card.set_index("id")
    for kpi, note in (
        ("won_revenue", "the 2 deals won in 2026-10 have no amount"),
        ("pipeline_created", "the 3 deals created in 2026-10 have no amount"),
        ("pipeline_from_mqls", "the 3 deals created from MQLs in 2026-10 have no amount"),
    ):
        assert np.isnan(rows.loc[kpi, "actual"]), kpi  # was 0.0, "missed"
        assert rows.loc[kpi, "status"] == "no data" and rows.loc[kpi, "note"] == note
    assert rows.loc["win_rate", "actual"] == 1.0  # the deals themselves still count
    path = outputs.write_metrics(tmp_path, "funnel_sla", {"kpis": scorecard.scorecard_kpis(card)})
    tile = {k["id"]: k for k in json.loads(path.read_text())["kpis"]}["won_revenue"]
    assert tile["value"] is None and tile["detail"] == "the 2 deals won in 2026-10 have no amount"
    row = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR"), months=[OCT]).iloc[0]
    assert np.isnan(row["won_revenue"]) and np.isnan(row["pipeline_created"])
    assert row["deals_won"] == 2 == row["deals_won_without_amount"]
    assert "won revenue: unknown (the 2 deals won have no amount)" in sla.pipeline_text(
        row, OCT, "EUR"
    )


def test_loading_warns_when_some_deals_have_no_amount(tmp_path):
    contacts = pd.DataFrame([_contact("c1", "2026-10-01T09:00:00Z")])
    contacts.to_csv(tmp_path / "contacts.csv", index=False)
    deals = pd.DataFrame(
        [
            _deal("d1", "c1", "2026-10-05T12:00:00Z", "2026-10-20T12:00:00Z", 6_000.0),
            _deal("d2", "c1", "2026-10-06T12:00:00Z", "2026-10-21T12:00:00Z", None),
            _deal("d3", "c1", "2026-10-07T12:00:00Z", None, None),
        ]
    ).drop(columns="account_id")
    deals.to_csv(tmp_path / "deals.csv", index=False)
    crm = smk.load(tmp_path, format="canonical")
    said = [w for w in crm.quality.warnings if "no amount" in w]
    assert said == [
        "deals: 2 of 3 deals (1 of them won) have no amount: they count as deals, but add "
        "nothing to pipeline or won revenue, whose figures say how many deals they leave out"
    ]
    deals.assign(amount=None).to_csv(tmp_path / "deals.csv", index=False)
    every = smk.load(tmp_path, format="canonical").quality.warnings
    assert not [w for w in every if "no amount" in w]  # all blank: the empty-column warning
    assert [w for w in every if w.startswith("deals: ") and "amount are empty in every row" in w]


# ------------------------------------------------------------------ 2. and 3. months shown
def _young() -> CRM:
    """Deals created and won in September, MQLs only in October, two new leads in October."""
    contacts = [
        _contact("c1", "2026-09-01 09:00", "2026-10-01 10:00"),
        _contact("c2", "2026-09-02 09:00", "2026-10-02 10:00"),
        _contact("c3", "2026-10-29 09:00"),
    ]
    deals = [
        _deal("d1", "c1", "2026-09-16 12:00", "2026-09-25 12:00", 5_000.0),
        _deal("d2", "c2", "2026-09-17 12:00", "2026-09-28 12:00", 7_000.0),
    ]
    return _crm(contacts, deals)


def test_the_pages_months_run_from_the_first_month_of_data_to_the_report_month():
    crm = _young()
    leads = sla.mql_leads(crm, as_of=OCT.end)
    months = sla.report_months(crm, OCT, leads)
    assert months == ["2026-09", "2026-10"]  # September has deals, no MQL
    monthly = sla.sla_by_month(leads, months=months).set_index("month")
    assert monthly.loc["2026-09", "mqls"] == 0 and monthly.loc["2026-10", "mqls"] == 2
    pipeline = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR"), months=months)
    assert pipeline.set_index("month").loc["2026-09", "won_revenue"] == 12_000.0
    assert sla.report_months(crm, "2026-09", leads) == ["2026-09"]  # none after the report month


def test_a_month_the_export_covers_is_scored_without_mqls_or_deals():
    contacts = [_contact(f"c{i}", f"2026-{9 + i % 2:02d}-{10 + i:02d} 09:00") for i in range(6)]
    # a lead on Friday 2026-10-30: the export covers October to its end (a month it ends
    # inside is a partial month, not judged: tests/test_partial_month.py)
    contacts.append(_contact("c9", "2026-10-30 09:00"))
    crm = _crm(contacts)  # leads only, no deals table, no activities
    card = scorecard.kpi_scorecard(crm, OCT, SLA(), FX, "EUR").set_index("id")
    assert card.loc["mqls", "actual"] == 0 and card.loc["mqls", "status"] == "missed"
    assert card.loc["mql_to_sql_rate", "status"] == "no data"
    # the MQLs it judges, September's, are not all in the export, which starts inside it
    assert card.loc["mql_to_sql_rate", "note"] == (  # the label names the MQLs, once
        "the export starts on 2026-09-10, inside 2026-09; no MQLs in 2026-10 so far"
    )
    assert card.loc["won_revenue", "note"] == "the export has no deals"
    assert card["note"].drop("mqls").notna().all()  # every KPI without a value says why
    with pytest.raises(NoDataError, match="does not cover it"):
        scorecard.kpi_scorecard(crm, "2027-03", SLA(), FX, "EUR")


@pytest.mark.parametrize("first", ["2026-10-01", "2026-08-03"])
def test_an_acceptance_tile_without_mqls_to_judge_names_them_once_and_claims_no_window(first):
    """`smk synth --contacts 50 --months 1`: contacts from 2026-10-01, a deal from 2026-09-28.
    The MQL to SQL tile read "2026-09's MQLs, all past their 30 days · 2026-09's MQLs, all past
    their 30 days: the export's contacts begin on 2026-10-01, after 2026-09 …". An export
    that covers September without an MQL in it said "all past" of none as well."""
    contacts = [_contact(f"c{i}", f"{first} 09:00", f"2026-10-{10 + i} 09:00") for i in range(4)]
    contacts.append(_contact("c9", "2026-10-30 09:00"))
    deal = _deal("d1", "c1", "2026-09-28T12:00:00Z", None, 1_000.0)
    card = scorecard.kpi_scorecard(_crm(contacts, [deal]), OCT, SLA(), FX, "EUR")
    (tile,) = [k for k in scorecard.scorecard_kpis(card) if k["id"] == "mql_to_sql_rate"]
    assert tile["value"] is None or np.isnan(tile["value"])
    assert tile["period"] == "2026-09's MQLs"
    # the page's scorecard row says the same (it read "... all past their 30 days", F3 of
    # session 24)
    row = card.set_index("id").loc["mql_to_sql_rate"]
    assert row["label"] == "MQL to SQL of 2026-09's MQLs"
    assert tile["previous_period"] == "2026-08's MQLs, all past their 30 days"  # the rule's
    why = {
        "2026-10-01": "the export's contacts begin on 2026-10-01, after 2026-09 (its other "
        "records reach into 2026-09 from 2026-09-28)",
        "2026-08-03": "no MQLs in 2026-09",
    }[first]
    assert (
        tile["detail"]
        == f"{why}; 2026-10's MQLs so far, not judged: 0 of 4 MQLs (0.0%), 4 still inside the 30-day window"
    )


def test_the_funnel_page_of_a_young_crm_shows_every_month_and_scores_a_quiet_one(tmp_path):
    """September: deals won (one without an amount), no MQL; October: new leads only. The
    page stopped on "nothing to score in 2026-10", and showed no September."""
    from smk.report import run_report

    export = tmp_path / "export"
    export.mkdir()
    contacts = [
        _contact("c1", "2026-09-01T09:00:00Z"),
        _contact("c2", "2026-09-02T09:00:00Z"),
        _contact("c3", "2026-10-29T09:00:00Z"),
        _contact("c4", "2026-10-30T09:00:00Z"),
    ]
    deals = [
        _deal("d1", "c1", "2026-09-16T12:00:00Z", "2026-09-25T12:00:00Z", 5_000.0),
        _deal("d2", "c2", "2026-09-17T12:00:00Z", "2026-09-28T12:00:00Z", None),
    ]
    pd.DataFrame(contacts).to_csv(export / "contacts.csv", index=False)
    pd.DataFrame(deals).drop(columns="account_id").to_csv(export / "deals.csv", index=False)
    out = tmp_path / "reports"
    run_report(export, "latest", out, data_format="canonical", notebooks=["funnel_sla"], quiet=True)
    month = out / "2026-10"
    metrics = json.loads((month / "metrics-funnel_sla.json").read_text())
    assert "no_data" not in metrics
    kpis = {k["id"]: k for k in metrics["kpis"]}
    assert kpis["mqls"]["value"] == 0 and kpis["mqls"]["status"] == "missed"
    # September's MQLs (both won: MQLs from their later stages), all past their 30 days
    assert kpis["mql_to_sql_rate"]["detail"] == "2 of 2 MQLs (100.0%); no MQLs in 2026-10 so far"
    assert kpis["mql_to_sql_rate"]["period"] == "2026-09's MQLs, all past their 30 days"
    assert kpis["won_revenue"]["value"] == 0.0  # none won in October: a true 0 ...
    assert kpis["won_revenue"]["previous"] == 5_000.0  # ... after September's known amount
    pipeline = pd.read_csv(month / "pipeline_by_month.csv", encoding="utf-8-sig")
    assert pipeline["month"].tolist() == ["2026-09", "2026-10"]
    september = pipeline.set_index("month").loc["2026-09"]
    assert september["won_revenue"] == 5_000.0 and september["deals_won_without_amount"] == 1
    monthly = pd.read_csv(month / "sla_by_month.csv", encoding="utf-8-sig")
    assert monthly["month"].tolist() == ["2026-09", "2026-10"]
    assert "Not enough data for 2026-10." not in (month / "01_funnel_sla.html").read_text()


# ------------------------------------------------------------------ 4. unknown, not 0
def test_without_deals_the_pipeline_table_is_unknown_not_zero():
    crm = _crm([_contact("c1", "2026-09-01 09:00", "2026-09-02 10:00")])
    table = sla.pipeline_by_month(sla.deal_table(crm, FX, "EUR"), months=["2026-09"])
    row = table.iloc[0]
    for column in ("deals_created", "deals_won", "mql_deals", "deals_closed"):
        assert pd.isna(row[column]), column  # was 0
    for column in ("pipeline_created", "mql_pipeline", "won_revenue", "win_rate"):
        assert np.isnan(row[column]), column  # was 0.0
    assert sla.pipeline_text(row, "2026-09") == (
        "deals, pipeline and won revenue in 2026-09: unknown (the export has no deals)"
    )
    assert scorecard.kpi_details(None, row) == {}  # the tiles' notes say why instead


def test_segment_revenue_shares_are_unknown_without_deals():
    contacts = [_contact(f"c{i}", "2026-09-01 09:00", account_id=f"a{i}") for i in (1, 2)]
    accounts = [{"account_id": f"a{i}", "industry": "Software"} for i in (1, 2)]
    crm = CRM(contacts=make_table("contacts", contacts), accounts=make_table("accounts", accounts))
    assignments = pd.DataFrame({"account_id": ["a1", "a2"], "segment": [1, 2]})
    profiles = sg.persona_profiles(crm, assignments, "2026-10-01")
    assert profiles["share_of_revenue"].isna().all()  # was 0.0 while the tile said n/a
    profiles.insert(1, "persona", sg.name_personas(profiles))
    for line in sg.persona_lines(profiles):
        assert "won revenue unknown" in line and "nan" not in line


# ------------------------------------------------------------------ 5. a ratio of flows
def test_the_month_funnel_calls_its_ratio_of_flows_no_conversion():
    contacts = [_contact(f"s{i}", f"2026-09-{i + 1:02d} 09:00", f"2026-10-0{i % 9 + 1} 10:00")
                for i in range(10)]  # fmt: skip
    contacts += [_contact(f"n{i}", "2026-10-20 09:00") for i in range(2)]
    counts = funnel.funnel_counts(make_table("contacts", contacts), month=OCT)
    assert "conversion" not in counts.columns
    rows = counts.set_index("stage")
    assert rows.loc["lead", "contacts"] == 2 and rows.loc["mql", "contacts"] == 10
    assert rows.loc["mql", "ratio_to_previous"] == 5.0  # two flows, not "500% converted"
    ax = plots.funnel_chart(counts)
    labels = [t.get_text() for t in ax.texts]
    assert "10  (5.00× the stage above)" in labels
    assert not [t for t in labels if "%" in t]


# ------------------------------------------------------------------ 6. an n/a tile
def test_a_tile_without_a_value_says_so_and_keeps_the_previous_month(tmp_path):
    tile = {"id": "mql_to_sql_rate", "value": None, "format": "pct", "previous": 0.75}
    assert _change(tile, {}) == "n/a this month; was 75.0% the previous month"
    unknown = {k: v for k, v in tile.items() if k != "previous"}
    assert _change(unknown, {}) == "n/a this month; no previous month"
    # a previous month the export covers whose figure is n/a too (`scorecard_kpis`)
    assert _change({**tile, "previous": None}, {}) == "n/a this month; no previous value"
    kpi = {**tile, "label": "MQL to SQL", "detail": "no MQLs in 2026-10", "target": 0.4}
    (tmp_path / "metrics-funnel_sla.json").write_text(json.dumps({"kpis": [kpi]}))
    context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
    page = write_month_index(tmp_path, OCT, [], context, tmp_path).read_text()
    assert (
        "no MQLs in 2026-10 · target 40.0% · n/a this month; was 75.0% the previous month" in page
    )
    assert "no previous month" not in page


# ------------------------------------------------------------------ 7. a CRM younger than a month
def _spanning(first: str, last: str, stage_after: str | None = None) -> CRM:
    contacts = [_contact("c1", first), _contact("c2", last, stage_after)]
    return _crm(contacts)


def test_a_crm_younger_than_a_full_month_is_told_which_months_it_can_name():
    crm = _spanning("2026-09-16 09:00", "2026-10-19 09:00")
    reached = "2026-09 (covered from 2026-09-16) or 2026-10 (covered up to 2026-10-19)"
    with pytest.raises(ValueError, match="covers no full month yet") as latest:
        periods.resolve_month(crm, "latest")
    assert reached in str(latest.value)
    with pytest.raises(ValueError, match="outside the data") as before:
        periods.resolve_month(crm, "2026-08")
    assert reached in str(before.value) and "latest" not in str(before.value)
    for named in ("2026-09", "2026-10"):  # the months named are accepted
        assert str(periods.resolve_month(crm, named)) == named
    with pytest.warns(UserWarning, match="after the export's last record") as said:
        sla.mql_leads(crm, as_of=OCT.end)  # October, which the export ends inside
    text = str(said[0].message)
    assert "choose 2026-09, which the export covers to its end" in text
    assert "choose a month the export covers to its end" not in text


def test_latest_ends_where_the_sla_s_data_end_does():
    # the last contact was created on Thursday 29 October, an MQL recorded on Friday the 30th:
    # the SLA judged windows at the 30th, while `latest` said October was not covered
    crm = _spanning("2026-09-01 09:00", "2026-10-29 09:00", stage_after="2026-10-30 15:00")
    assert sla.data_end(crm) > pd.Timestamp("2026-10-30 15:00", tz="UTC")
    assert str(periods.resolve_month(crm, "latest")) == "2026-10"
    without = _spanning("2026-09-01 09:00", "2026-10-29 09:00")
    assert str(periods.resolve_month(without, "latest")) == "2026-09"  # Friday not reached
