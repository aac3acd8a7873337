"""The KPI scorecard (targets, status, month-over-month and year-over-year changes, metrics
JSON) and the four-P's marketing mix, on a small hand-made CRM and on the bundled sample."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import smk
from smk import config, scorecard, sla
from smk.countries import COUNTRY_SPELLINGS
from smk.funnel import NoDataError
from smk.model import CRM, make_table
from smk.sla import SLA

# the small exports here end before the months they are scored for, which `mql_leads` warns of
pytestmark = pytest.mark.filterwarnings(
    "ignore:as_of .* after the export's last record:UserWarning"
)

FX = {"EUR": 1.0, "USD": 0.5}


_table = make_table


@pytest.fixture
def crm() -> CRM:
    """September: 2 MQLs; October: 3 MQLs, 2 deals created, 2 deals won (one in USD)."""
    mqls = {
        "s1": "2026-09-03 10:00",
        "s2": "2026-09-10 10:00",
        "o1": "2026-10-02 10:00",
        "o2": "2026-10-05 10:00",
        "o3": "2026-10-07 10:00",
    }
    contacts = [
        {
            "contact_id": cid,
            "account_id": "a1" if cid.startswith("o") else "a2",
            "created_at": "2026-08-20",
            "became_lead_at": "2026-08-21",
            "became_mql_at": mql,
            "became_sql_at": {"o1": "2026-10-20", "o2": "2026-10-20", "s1": "2026-10-02"}.get(cid),
            "owner_id": "rep",
            "original_source": "paid_search" if cid == "o1" else "organic_search",
            "country": "Germany",
        }
        for cid, mql in mqls.items()
    ]
    # speed to lead: s1 2 h, s2 30 h; o1 1 h, o2 3 h, o3 40 h
    hours = {"s1": 2, "s2": 30, "o1": 1, "o2": 3, "o3": 40}
    acts = [
        {
            "activity_id": f"act-{cid}",
            "contact_id": cid,
            "occurred_at": str(pd.Timestamp(mqls[cid]) + pd.Timedelta(hours=h)),
            "type": "call",
        }
        for cid, h in hours.items()
    ]
    deals = [
        {
            "deal_id": "d1",
            "account_id": "a1",
            "contact_id": "o1",
            "created_at": "2026-10-10",
            "closed_at": "2026-10-25",
            "is_closed": True,
            "is_won": True,
            "amount": 10_000.0,
            "currency": "EUR",
            "product": "Core",
            "pipeline": "new business",
        },
        {
            "deal_id": "d2",
            "account_id": "a2",
            "contact_id": "o2",
            "created_at": "2026-10-12",
            "closed_at": "2026-10-28",
            "is_closed": True,
            "is_won": True,
            "amount": 60_000.0,
            "currency": "USD",
            "product": "Add-on",
            "pipeline": "default",
        },
        {
            "deal_id": "d3",
            "account_id": "a2",
            "contact_id": "s1",
            "created_at": "2026-09-12",
            "closed_at": "2026-10-15",
            "is_closed": True,
            "is_won": False,
            "amount": 4_000.0,
            "currency": "EUR",
            "product": "Core",
            "pipeline": "new business",
        },
        {
            "deal_id": "d4",
            "account_id": "a2",
            "contact_id": "s2",
            "created_at": "2026-10-30",
            "closed_at": "2026-12-15",
            "is_closed": True,
            "is_won": True,
            "amount": 99_000.0,
            "currency": "EUR",
            "product": "Core",
            "pipeline": "default",
        },
    ]
    accounts = [
        {"account_id": "a1", "country": "Germany"},
        {"account_id": "a2", "country": "Narnia"},
    ]
    touches = [
        {
            "touchpoint_id": "t1",
            "contact_id": "o1",
            "occurred_at": "2026-08-01",
            "channel": "email",
            "campaign": "newsletter",
        },
        {
            "touchpoint_id": "t2",
            "contact_id": "o1",
            "occurred_at": "2026-07-01",
            "channel": "direct",
        },
        {
            "touchpoint_id": "t3",
            "contact_id": "o1",
            "occurred_at": "2026-10-11",
            "channel": "paid_search",
            "campaign": "too-late",
        },
        {
            "touchpoint_id": "t4",
            "contact_id": "o2",
            "occurred_at": "2026-09-01",
            "channel": "paid_search",
            "campaign": "brand",
        },
    ]
    return CRM(
        contacts=_table("contacts", contacts),
        activities=_table("activities", acts),
        deals=_table("deals", deals),
        accounts=_table("accounts", accounts),
        touchpoints=_table("touchpoints", touches),
    )


def test_status_is_met_at_risk_or_missed_by_direction():
    assert scorecard.status(100, 100) == "met"
    assert scorecard.status(95, 100, margin=0.1) == "at risk"
    assert scorecard.status(80, 100, margin=0.1) == "missed"
    assert scorecard.status(20, 24, better="lower") == "met"
    assert scorecard.status(26, 24, better="lower", margin=0.1) == "at risk"
    assert scorecard.status(30, 24, better="lower", margin=0.1) == "missed"
    assert scorecard.status(30, None) is None
    assert scorecard.status(np.nan, 10) is None


def test_scorecard_has_the_agreed_kpis_with_targets_status_and_changes(crm):
    agreement = SLA(mql_target=3, share_to_work=0.9, acceptance_target=0.5, revenue_target=30_000)
    card = scorecard.kpi_scorecard(crm, "2026-10", agreement, FX, "EUR").set_index("id")
    required = {"mqls", "speed_to_lead_hours", "mql_to_sql_rate", "pipeline_created", "won_revenue"}
    assert required <= set(card.index)
    assert card.loc["mqls", "actual"] == 3 and card.loc["mqls", "status"] == "met"
    assert card.loc["mqls", "previous_month"] == 2
    assert card.loc["mqls", "change_vs_previous_month"] == 1
    assert card.loc["speed_to_lead_hours", "actual"] == pytest.approx(3.0)  # median of 1, 3, 40
    assert card.loc["speed_to_lead_hours", "previous_month"] == pytest.approx(16.0)
    assert card.loc["share_within_sla", "actual"] == pytest.approx(2 / 3)
    assert card.loc["share_within_sla", "status"] == "missed"
    # September's MQLs, the latest month all past their 30 days: s1 accepted, s2 not
    assert card.loc["mql_to_sql_rate", "actual"] == pytest.approx(1 / 2)
    assert card.loc["mql_to_sql_rate", "status"] == "met"
    # 10,000 EUR + 60,000 USD at 0.5 = 40,000 EUR; d4 closes after the month
    assert card.loc["won_revenue", "actual"] == pytest.approx(40_000)
    assert card.loc["won_revenue", "status"] == "met"
    assert card.loc["pipeline_created", "actual"] == pytest.approx(10_000 + 30_000 + 99_000)
    assert card.loc["pipeline_from_mqls", "actual"] == pytest.approx(10_000 + 30_000 + 99_000)
    assert card.loc["win_rate", "actual"] == pytest.approx(2 / 3)
    # the export starts in August 2026: no same month last year
    assert card["same_month_last_year"].isna().all()


def test_speed_to_lead_says_when_it_counts_working_hours(crm):
    calendar = scorecard.kpi_scorecard(crm, "2026-10", SLA(), FX, "EUR").set_index("id")
    assert calendar.loc["speed_to_lead_hours", "label"] == "Median speed to lead"
    working = scorecard.kpi_scorecard(crm, "2026-10", SLA(business_hours=True), FX, "EUR")
    label = working.set_index("id").loc["speed_to_lead_hours", "label"]
    assert label == "Median speed to lead (working hours)"


def test_earlier_months_are_scored_as_they_stood_at_their_end(crm):
    card = scorecard.kpi_scorecard(crm, "2026-10", SLA(), FX, "EUR").set_index("id")
    # September's report judged August's MQLs, before the export's first whole month
    assert np.isnan(card.loc["mql_to_sql_rate", "previous_month"])
    # s1 of September's two MQLs was accepted on 2026-10-02: 50% in October's report
    october = scorecard.kpi_values(crm, "2026-10", SLA(), FX, "EUR")
    assert october["mql_to_sql_rate"] == 0.5
    september = sla.sla_by_month(sla.mql_leads(crm, as_of="2026-10-01"), months=["2026-09"])
    assert september["acceptance_rate"].iloc[0] == 0.0  # at September's end, not 50%


def test_a_month_with_nothing_to_score_raises_a_clear_message(crm):
    with pytest.raises(NoDataError, match=r"nothing to score in 2026-03.*choose a month"):
        scorecard.kpi_scorecard(crm, "2026-03", SLA(), FX, "EUR")


def test_a_month_whose_only_deals_have_no_value_is_scored_not_called_empty(crm):
    """Pipedrive writes 0 for a deal without a value: a month with such deals and no MQL was
    "nothing to score: no MQLs, no deals created and none won", and the page was dropped."""
    zero = crm.deals.iloc[[0, 0]].assign(
        deal_id=["z1", "z2"],
        created_at=pd.Timestamp("2026-11-03", tz="UTC"),
        closed_at=pd.array([pd.NaT, pd.NaT], dtype=crm.deals["closed_at"].dtype),
        is_closed=False,
        is_won=False,
        amount=0.0,
    )
    crm = CRM(**{**crm.tables(), "deals": pd.concat([crm.deals, zero], ignore_index=True)})
    card = scorecard.kpi_scorecard(crm, "2026-11", SLA(), FX, "EUR").set_index("id")
    assert card.loc["pipeline_created", "actual"] == 0.0
    assert card.loc["mqls", "actual"] == 0


def test_scorecard_kpis_follow_the_metrics_json_shape(crm):
    card = scorecard.kpi_scorecard(crm, "2026-10", SLA(mql_target=3), FX, "EUR")
    kpis = scorecard.scorecard_kpis(card, {"mqls": "3 of target 3"})
    by_id = {k["id"]: k for k in kpis}
    assert by_id["mqls"]["value"] == 3 and isinstance(by_id["mqls"]["value"], int)
    assert by_id["mqls"]["status"] == "met" and by_id["mqls"]["detail"] == "3 of target 3"
    assert by_id["speed_to_lead_hours"]["target"] == 24.0
    assert "target" not in by_id["pipeline_created"]  # no pipeline target set
    formats = {"int", "pct", "money", "hours", "float"}
    assert all(k["format"] in formats for k in kpis)
    shown = scorecard.scorecard_display(card, "EUR").set_index("KPI")
    assert shown.loc["Won revenue", "actual"] == "40,000 EUR"


def test_marketing_mix_splits_won_revenue_by_the_four_ps(crm):
    mix = scorecard.marketing_mix(crm, "2026-10", months=3, fx_rates=FX, reporting_currency="EUR")
    assert set(mix["p"]) == {"Product", "Price", "Place", "Promotion"}
    for _, part in mix.groupby("dimension"):
        assert part["won_revenue"].sum() == pytest.approx(40_000)
        assert part["deals_closed"].sum() == 3  # d1, d2, d3; d4 closes after the window
    rows = mix.set_index(["dimension", "value"])
    assert rows.loc[("product line", "Core"), "win_rate"] == pytest.approx(0.5)
    assert rows.loc[("region", "DACH"), "won_revenue"] == pytest.approx(10_000)
    assert rows.loc[("region", "Other"), "won_revenue"] == pytest.approx(30_000)
    assert rows.loc[("region", "Other"), "includes"] == "Narnia"  # the countries it pools
    assert rows["includes"].drop(("region", "Other")).isna().all()
    assert rows.loc[("price band", "< 5k"), "deals_won"] == 0
    assert rows.loc[("price band", "15k-40k"), "avg_won_deal"] == pytest.approx(30_000)
    # first-touch campaign: the earliest touch with a campaign before the deal was created
    assert rows.loc[("campaign", "newsletter"), "won_revenue"] == pytest.approx(10_000)
    assert rows.loc[("campaign", "brand"), "won_revenue"] == pytest.approx(30_000)
    assert ("campaign", "too-late") not in rows.index


def test_first_touch_campaign_is_cut_off_at_each_deals_own_creation():
    contacts = _table("contacts", [{"contact_id": "1", "created_at": "2025-12-01"}])
    touch = {"contact_id": "1", "occurred_at": "2026-03-01", "channel": "email"}
    touchpoints = _table("touchpoints", [{**touch, "campaign": "spring"}])
    won = {"contact_id": "1", "is_closed": True, "is_won": True, "amount": 100.0}
    deals = _table(
        "deals",
        [
            {**won, "deal_id": "A", "created_at": "2026-06-01", "closed_at": "2026-07-01"},
            {**won, "deal_id": "B", "created_at": "2026-01-10", "closed_at": "2026-02-01"},
        ],
    )
    for rows in (deals, deals.iloc[::-1].reset_index(drop=True)):
        crm = CRM(contacts=contacts, touchpoints=touchpoints, deals=rows)
        mix = scorecard.mix_deals(crm, "2026-10")
        got = dict(zip(mix["deal_id"], mix["campaign"], strict=True))
        assert got == {"A": "spring", "B": "(no campaign)"}


def _won_deal_per_country(countries: list) -> CRM:
    """A CRM of one account per country of `countries` (d0 of a0, ...), each with a deal won
    in October 2026."""
    accounts = _table(
        "accounts", [{"account_id": f"a{i}", "country": c} for i, c in enumerate(countries)]
    )
    closed = {"created_at": "2026-09-01", "closed_at": "2026-10-01", "is_closed": True}
    deals = _table(
        "deals",
        [
            {**closed, "deal_id": f"d{i}", "account_id": f"a{i}", "is_won": True, "amount": 1.0}
            for i in range(len(countries))
        ],
    )
    return CRM(accounts=accounts, deals=deals)


def test_regions_read_countries_as_crms_write_them_and_other_names_its_countries():
    """HubSpot keeps countries as typed and Salesforce may write ISO codes: matched exactly,
    "germany", "Deutschland", "UK" or "USA" were "Other", and "Other" (78% of won revenue on a
    real export) did not say which countries it held."""
    written = {
        "DACH": ("germany", "GERMANY", "Deutschland", "DE", "Schweiz", "CH", "Österreich"),
        "UK & Ireland": ("UK", "united kingdom", "GB", "Great Britain", "England", "IE"),
        "North America": ("USA", "U.S.", "United States of America", " united  states ", "CA"),
        "Western Europe": ("The Netherlands", "NL", "Belgique"),
        "other": ("Japan", "Japan", "japan", "Brazil", "Brazil", "Poland", "Chile", "Narnia"),
    }
    countries = [c for names in written.values() for c in names] + [None]
    mix = scorecard.mix_deals(_won_deal_per_country(countries), "2026-10")
    got = dict(zip(mix["deal_id"], mix["region"], strict=True))
    expected = [r if r != "other" else "Other" for r, names in written.items() for _ in names]
    assert [got[f"d{i}"] for i in range(len(countries) - 1)] == expected
    assert got[f"d{len(countries) - 1}"] == "(unknown)"  # no country
    # most deals first, as most often written
    pooled = scorecard.pooled_countries(mix.loc[mix["region"] == "Other", "country"])
    assert pooled == "Japan, Brazil, Chile and 2 more"


def test_every_spelling_of_a_country_has_its_region_and_regions_match_any_case():
    for name, spellings in COUNTRY_SPELLINGS.items():
        for spelling in (name, *spellings):
            for written in (spelling, spelling.lower(), spelling.upper()):
                region = scorecard.regions_of(pd.Series([written]), scorecard.REGIONS)
                assert region.tolist() == [scorecard.REGIONS[name]], written
    # regions of one's own, in any case and by any name of the country
    mine = scorecard.regions_of(pd.Series(["Deutschland", "AT", "Peru"]), {"germany": "D"})
    assert mine.tolist() == ["D", "Other", "Other"]


def test_the_pooled_region_is_one_stable_value_and_placeholders_are_no_country():
    """The region of unlisted countries was "Other (Japan, Brazil, Chile and 2 more)", another
    key in marketing_mix.csv whenever their counts reordered, and "Unknown", "Other" or "-"
    typed as a country were listed as countries ("Other (Other, Unknown and 1 more)")."""
    placeholders = ["Unknown", "other", "n/a", "N/A", "-", "none", " NOT SPECIFIED ", "", None]
    countries = ["Japan", "Brazil", "Brazil", "Germany", *placeholders]
    crm = _won_deal_per_country(countries)
    region = scorecard.mix_deals(crm, "2026-10")["region"].tolist()
    assert region == ["Other", "Other", "Other", "DACH"] + ["(unknown)"] * len(placeholders)
    mix = scorecard.marketing_mix(crm, "2026-10").set_index(["dimension", "value"])
    assert mix.loc[("region", "Other"), "includes"] == "Brazil, Japan"
    assert mix.loc[("region", "Other"), "deals_closed"] == 3
    assert mix.loc[("region", "(unknown)"), "deals_closed"] == len(placeholders)
    assert pd.isna(mix.loc[("region", "(unknown)"), "includes"])
    # Namibia's ISO code is a country, not the "n/a" placeholder
    assert scorecard.regions_of(pd.Series(["NA"]), scorecard.REGIONS).tolist() == ["Other"]


def test_an_account_s_placeholder_country_falls_back_to_the_contact_s_as_a_blank_one():
    """docs: the account's country, else the contact's. An account whose picklist says
    "Unknown" or "Other" has no country, so its contact's counts (RV3: such deals went to
    "(unknown)" though their contacts were in the Netherlands or Spain)."""
    accounts = _table(
        "accounts",
        [{"account_id": "a0", "country": "Unknown"}, {"account_id": "a1", "country": "Other"}],
    )
    contacts = _table(
        "contacts",
        [
            {"contact_id": "c0", "created_at": "2026-08-01", "country": "Netherlands"},
            {"contact_id": "c1", "created_at": "2026-08-01", "country": "DE"},
        ],
    )
    closed = {"created_at": "2026-09-01", "closed_at": "2026-10-01", "is_closed": True}
    deals = _table(
        "deals",
        [
            {**closed, "deal_id": f"d{i}", "account_id": f"a{i}", "contact_id": f"c{i}",
             "is_won": True, "amount": 1.0}
            for i in range(2)
        ],
    )  # fmt: skip
    mix = scorecard.mix_deals(CRM(accounts=accounts, contacts=contacts, deals=deals), "2026-10")
    assert mix.set_index("deal_id")["region"].tolist() == ["Western Europe", "DACH"]


def test_marketing_mix_window_without_closed_deals_raises(crm):
    with pytest.raises(NoDataError, match="no deal closed"):
        scorecard.marketing_mix(crm, "2026-08", months=1, fx_rates=FX)


def test_price_bands_are_labelled_and_cover_every_amount():
    bands = scorecard.price_band(pd.Series([0.0, 4_999.0, 5_000.0, 150_000.0, np.nan]))
    assert bands.tolist() == ["< 5k", "< 5k", "5k-15k", "100k+", "(no amount)"]


def test_scorecard_on_the_bundled_sample_has_no_infinite_or_missing_actuals():
    crm = smk.load(config.SAMPLE_HUBSPOT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        card = scorecard.kpi_scorecard(
            crm, "2026-10", SLA(), {"EUR": 1.0, "USD": 0.9}, "EUR"
        ).set_index("id")
    assert card["actual"].notna().all()
    assert np.isfinite(card["actual"].astype(float)).all()
    assert card.loc["mqls", "actual"] > 0 and card.loc["won_revenue", "actual"] > 0


def test_plot_helpers_draw_on_the_given_axes_and_return_them(crm):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from smk import funnel, plots, sla

    leads = sla.mql_leads(crm, as_of="2026-11-01")
    fig, axes = plt.subplots(2, 2)
    counts = funnel.funnel_counts(crm.contacts, as_of="2026-11-01")
    assert plots.funnel_chart(counts, ax=axes[0, 0]) is axes[0, 0]
    assert len(axes[0, 0].patches) == len(funnel.FUNNEL_STAGES)
    ax = plots.speed_to_lead_histogram(leads["speed_to_lead_hours"], 24, ax=axes[0, 1])
    assert ax is axes[0, 1]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [24]  # the SLA line
    monthly = sla.sla_by_month(leads, SLA(mql_target=3))
    ax = plots.mqls_vs_target(monthly, ax=axes[1, 0])
    assert [bar.get_height() for bar in ax.patches] == monthly["mqls"].tolist()
    assert ax.get_lines()[0].get_ydata()[0] == 3  # the target line
    fig2, ax2 = plt.subplots()
    assert plots.trend(monthly, "share_within_sla", 0.8, ax=ax2, percent=True) is ax2
    assert ax2.get_lines()[0].get_ydata().tolist() == monthly["share_within_sla"].tolist()
    assert ax2.get_lines()[1].get_ydata()[0] == 0.8  # the target line
    plt.close(fig2)
    mix = scorecard.marketing_mix(crm, "2026-10", 3, FX, "EUR")
    assert plots.mix_panel(mix, "Product", ax=axes[1, 1]) is axes[1, 1]
    assert len(axes[1, 1].patches) == 2  # Core, Add-on
    plt.close(fig)


@pytest.fixture
def skipping() -> CRM:
    """October: one recorded MQL, one lead sales took straight to SQL (with a deal), one with
    its MQL date recorded after its SQL date, one MQL by lifecycle stage only; and a lead."""
    base = {"owner_id": "rep", "original_source": "email", "account_id": "a1"}
    contacts = [
        {**base, "contact_id": "rec", "created_at": "2026-10-01", "lifecycle_stage": "mql",
         "became_lead_at": "2026-10-01", "became_mql_at": "2026-10-06"},
        {**base, "contact_id": "skip", "created_at": "2026-10-02", "lifecycle_stage": "opportunity",
         "became_lead_at": "2026-10-02", "became_sql_at": "2026-10-10",
         "became_opportunity_at": "2026-10-12"},
        {**base, "contact_id": "late", "created_at": "2026-10-02", "lifecycle_stage": "sql",
         "became_lead_at": "2026-10-02", "became_mql_at": "2026-11-02",
         "became_sql_at": "2026-10-20"},
        {**base, "contact_id": "bare", "created_at": "2026-10-03", "lifecycle_stage": "mql"},
        {**base, "contact_id": "lead", "created_at": "2026-10-03", "lifecycle_stage": "lead",
         "became_lead_at": "2026-10-03"},
    ]  # fmt: skip
    deal = {"account_id": "a1", "is_closed": False, "is_won": False, "currency": "EUR"}
    deals = [
        # sales-sourced: created at the contact's opportunity date, after its SQL date
        {**deal, "deal_id": "d-skip", "contact_id": "skip", "created_at": "2026-10-12",
         "amount": 7_000.0},
        # created 25 Oct: "late" is a funnel MQL from 20 Oct (its SQL date), on record 2 Nov
        {**deal, "deal_id": "d-late", "contact_id": "late", "created_at": "2026-10-25",
         "amount": 3_000.0},
        # a lead that never reached MQL
        {**deal, "deal_id": "d-lead", "contact_id": "lead", "created_at": "2026-10-26",
         "amount": 500.0},
    ]  # fmt: skip
    acts = [
        {"activity_id": "1", "contact_id": "rec", "occurred_at": "2026-10-06 02:00", "type": "call"}
    ]
    return CRM(
        contacts=_table("contacts", contacts),
        deals=_table("deals", deals),
        activities=_table("activities", acts),
    )


@pytest.mark.filterwarnings("ignore:the export's sales activities end")  # a tiny fixture's
def test_the_mql_tile_equals_the_funnels_mql_row_with_skipped_and_out_of_order_stages(skipping):
    from smk import funnel, sla

    card = scorecard.kpi_scorecard(skipping, "2026-10", SLA(), FX, "EUR").set_index("id")
    month = funnel.funnel_counts(skipping.contacts, "2026-10").set_index("stage")
    assert card.loc["mqls", "actual"] == month.loc["mql", "contacts"] == 4  # not 1 nor 2
    # skipped: "skip", and "late" (its MQL date of 2 Nov is after October's end); "bare" counts
    # from its creation, as an import without history
    assert month.loc["mql", "skipped"] == 2
    leads = sla.mql_leads(skipping, as_of="2026-11-01")
    assert card.loc["mqls", "actual"] == len(sla.leads_behind(leads, "mqls", "2026-10"))
    # pipeline from MQLs: none of them. The skipped-MQL deal is sales-sourced, "late" had no
    # MQL on record by the deal (its 2 Nov is after it), the lead never was an MQL; the funnel
    # counts the first two as MQLs by inferred dates (tests/test_kpi_meaning.py)
    assert card.loc["pipeline_created", "actual"] == pytest.approx(10_500)
    assert card.loc["pipeline_from_mqls", "actual"] == pytest.approx(0)
    deals = sla.deal_table(skipping, FX, "EUR", as_of="2026-11-01").set_index("deal_id")
    assert deals["mql_sourced"].to_dict() == {"d-skip": False, "d-late": False, "d-lead": False}
    assert deals["mql_date_inferred"].to_dict() == {"d-skip": True, "d-late": True, "d-lead": False}
    # November sees no MQL: "late"'s recorded 2 Nov is not a second MQL date
    november = scorecard.kpi_values(skipping, "2026-11", SLA(), FX, "EUR")
    assert november["mqls"] == 0


def test_kpis_from_a_table_the_export_lacks_are_unknown_not_zero(crm):
    from dataclasses import replace

    # touches to Friday 2026-10-30: the export covers October to its end (a partial month is
    # not judged: tests/test_partial_month.py)
    touches = [
        {"touchpoint_id": f"t{i}", "contact_id": "o1", "occurred_at": day, "channel": "email"}
        for i, day in enumerate(["2026-08-20", "2026-10-30 12:00"])
    ]
    no_sales = replace(
        crm,
        deals=make_table("deals", []),
        activities=make_table("activities", []),
        touchpoints=make_table("touchpoints", touches),
    )
    agreement = SLA(mql_target=3, revenue_target=30_000)
    card = scorecard.kpi_scorecard(no_sales, "2026-10", agreement, FX, "EUR").set_index("id")
    assert card.loc["mqls", "actual"] == 3 and card.loc["mqls", "status"] == "met"
    assert card.loc["mql_to_sql_rate", "actual"] == pytest.approx(1 / 2)  # from the contacts
    for kpi, table in (("won_revenue", "deals"), ("share_within_sla", "sales activities")):
        assert np.isnan(card.loc[kpi, "actual"]) and card.loc[kpi, "status"] == "no data"
        assert card.loc[kpi, "note"] == f"the export has no {table}"
    assert card.loc["mqls", "note"] is None or pd.isna(card.loc["mqls", "note"])
    kpis = {k["id"]: k for k in scorecard.scorecard_kpis(card.reset_index(), {"mqls": "x"})}
    assert kpis["won_revenue"]["detail"] == "the export has no deals"
    assert kpis["won_revenue"]["status"] == "no data" and kpis["mqls"]["detail"] == "x"
    # and the full export keeps its figures
    assert scorecard.unknown_kpis(crm) == {}


def test_win_rate_of_a_month_without_a_closed_deal_says_why_instead_of_a_blank(crm):
    # September, the export's first month with MQLs: a deal is open, none has closed yet
    card = scorecard.kpi_scorecard(crm, "2026-09", SLA(), FX, "EUR")
    row = card.set_index("id").loc["win_rate"]
    assert np.isnan(row["actual"]) and row["status"] == "no data"
    assert row["note"] == "no deal closed yet"
    kpis = {k["id"]: k for k in scorecard.scorecard_kpis(card)}
    assert kpis["win_rate"]["detail"] == "no deal closed yet"
    assert np.isnan(kpis["win_rate"]["value"]) and kpis["win_rate"]["status"] == "no data"
    assert "detail" not in kpis["mqls"]
    shown = scorecard.scorecard_display(card, "EUR").set_index("KPI")
    assert shown.loc["Win rate (deals closed)", "note"] == "no deal closed yet"
    assert shown.loc["Win rate (deals closed)", "status"] == "no data"
    assert shown.loc["MQLs (funnel stage) vs target", "note"] == ""
    # November, once the export reaches into it: deals closed in October, none in November
    import dataclasses

    call = {"activity_id": "nov", "contact_id": "o1", "occurred_at": "2026-11-15 10:00"}
    acts = pd.concat([crm.activities, _table("activities", [{**call, "type": "call"}])])
    later = dataclasses.replace(crm, activities=acts.reset_index(drop=True))
    values, notes = scorecard.kpi_values_with_notes(later, "2026-11", SLA(), FX, "EUR")
    assert np.isnan(values["win_rate"]) and notes.pop("win_rate") == "no deal closed in 2026-11"
    rates = {"speed_to_lead_hours", "share_within_sla", "leakage_rate"}
    assert notes == dict.fromkeys(rates, "no MQLs in 2026-11")  # no MQL in November
    assert values["mql_to_sql_rate"] == pytest.approx(2 / 3)  # October's MQLs, past 30 days
    # a month the export does not reach is unknown throughout, not zero
    values, notes = scorecard.kpi_values_with_notes(crm, "2026-12", SLA(), FX, "EUR")
    assert all(np.isnan(v) for v in values.values())
    assert set(notes.values()) == {"the export does not cover 2026-12"}
    # a month with closed deals keeps its figure, and its display has no note column
    october = scorecard.kpi_scorecard(crm, "2026-10", SLA(), FX, "EUR").set_index("id")
    assert october["note"].drop("mql_to_sql_rate").isna().all()  # its note: the counts


def test_pipeline_by_month_shows_months_without_deals_as_zero(crm):
    from smk import sla

    deals = sla.deal_table(crm, FX, "EUR", as_of=pd.Timestamp("2026-12-01", tz="UTC"))
    table = sla.pipeline_by_month(deals, months=["2026-07", "2026-10", "2026-11"])
    assert table["month"].tolist() == ["2026-07", "2026-10", "2026-11"]
    assert table.loc[0, "deals_created"] == 0 and table.loc[0, "won_revenue"] == 0
    early = deals.copy()
    early.loc[early.index[0], ["created_month", "closed_month"]] = ["2026-07", "2026-07"]
    gaps = sla.pipeline_by_month(early)  # default: every month from the first to the last
    assert gaps["month"].tolist() == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert gaps.set_index("month").loc["2026-08", "deals_created"] == 0


def test_the_funnel_page_publishes_the_scorecard_in_a_month_without_funnel_entries(tmp_path):
    # September: no contact enters any stage, but a deal is won; the page must keep its KPIs
    # (won revenue, the missed MQL target) and say "no data" only in the funnel's sections
    import json

    from smk.report import run_report

    export = tmp_path / "export"
    export.mkdir()
    contact = {"lifecycle_stage": "mql", "owner_id": "o1", "original_source": "email"}
    tables = {
        "contacts": [
            {**contact, "contact_id": "h1", "created_at": "2026-08-03T10:00:00Z",
             "became_lead_at": "2026-08-03T10:00:00Z", "became_mql_at": "2026-08-04T10:00:00Z"},
            {**contact, "contact_id": "h2", "created_at": "2026-10-03T10:00:00Z",
             "became_lead_at": "2026-10-03T10:00:00Z", "became_mql_at": "2026-10-04T10:00:00Z"},
        ],
        # the deal names no contact: a contact's won deal would make it a customer in
        # September (stage dates from deals), and the month must have no funnel entry
        "deals": [
            {"deal_id": "d1", "contact_id": "", "created_at": "2026-08-10T10:00:00Z",
             "closed_at": "2026-09-15T10:00:00Z", "is_closed": "true", "is_won": "true",
             "amount": "5000", "currency": "EUR"},
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
    metrics = json.loads((month / "metrics-funnel_sla.json").read_text())
    assert "no_data" not in metrics and [f["contacts"] for f in metrics["funnel"]] == [0] * 6
    kpis = {k["id"]: k for k in metrics["kpis"]}
    assert kpis["won_revenue"]["value"] == 5000.0
    assert kpis["mqls"]["value"] == 0 and kpis["mqls"]["status"] == "missed"
    page = (month / "01_funnel_sla.html").read_text()
    assert "no contact entered the funnel in 2026-09" in page  # beside its stages of 0
    assert "stage dates run from 2026-08-03 to 2026-10-04, none of them in 2026-09" in page
    assert "Not enough data for 2026-09." not in page  # the page was not cut short


def test_scorecard_months_are_months_and_latest_resolves():
    # `kpi_values(crm, "2026-9")` gave 0 MQLs (the funnel: 70), a Timestamp 0 too, and
    # `kpi_scorecard(crm, "latest")`, which its own error message recommends, crashed
    import smk
    from smk import config, scorecard

    crm = smk.load(config.SAMPLE_HUBSPOT)
    fx = {"EUR": 1.0, "USD": 0.92}
    assert scorecard.kpi_values(crm, pd.Period("2026-09", "M"), fx_rates=fx)["mqls"] == 70
    for month in ("2026-9", pd.Timestamp("2026-09-01")):
        with pytest.raises(ValueError, match="YYYY-MM"):
            scorecard.kpi_values(crm, month, fx_rates=fx)
    latest = scorecard.kpi_scorecard(crm, "latest", fx_rates=fx)
    named = scorecard.kpi_scorecard(crm, "2026-10", fx_rates=fx)  # the sample's last full month
    pd.testing.assert_frame_equal(latest, named)
    beyond, notes = scorecard.kpi_values_with_notes(crm, "2030-01", fx_rates=fx)
    assert all(np.isnan(v) for v in beyond.values())  # zeros before: "0 MQLs, missed"
    assert notes["mqls"] == "the export does not cover 2030-01"


def test_a_scorecard_without_contacts_says_so():
    import dataclasses

    import smk
    from smk import config, scorecard
    from smk.errors import NoDataError
    from smk.model import empty_table

    crm = smk.load(config.SAMPLE_HUBSPOT)
    empty = dataclasses.replace(crm, contacts=empty_table("contacts"))
    with pytest.raises(NoDataError, match="needs the contacts table"):
        scorecard.kpi_scorecard(empty, "2026-10", fx_rates={"EUR": 1.0, "USD": 0.92})


def test_a_scorecard_of_a_month_the_export_does_not_cover_says_so(crm):
    with pytest.raises(NoDataError, match="does not cover it"):
        scorecard.kpi_scorecard(crm, "2027-03", SLA(), FX, "EUR")


def test_latest_in_the_scorecard_follows_the_report_s_rule():
    # an export of 9 September to 15 October covers no full month: the report refuses
    # `latest`, and the scorecard scored a half-covered September with 0 MQLs
    import dataclasses

    from smk import config, scorecard

    crm = smk.load(config.SAMPLE_HUBSPOT)
    keep = lambda t, c: t[(t[c] >= "2026-09-09") & (t[c] < "2026-10-15")]  # noqa: E731
    contacts = keep(crm.contacts, "created_at")
    stages = [c for c in contacts.columns if c.startswith("became_")]  # as taken on 15 October
    contacts[stages] = contacts[stages].apply(lambda d: d.where(d < "2026-10-15"))
    cut = dataclasses.replace(
        crm,
        contacts=contacts,
        deals=keep(crm.deals, "created_at"),
        touchpoints=keep(crm.touchpoints, "occurred_at"),
        activities=keep(crm.activities, "occurred_at"),
    )
    with pytest.raises(ValueError, match="covers no full month yet"):
        scorecard.kpi_values(cut, "latest", fx_rates={"EUR": 1.0, "USD": 0.92})
