"""A month's rates judge only the MQLs whose window has passed by its end (censoring).

* The leakage rate was leaked / (MQLs - leak_pending): of the MQLs still inside the leakage
  window at the cut, the ones worked already stayed in the denominator (known not to have
  leaked) while the ones not worked yet were dropped, so the rate of the report month was
  biased low every month (HubSpot sample, 10 of 10 months; 2026-10: 3 of 56, 5.4% "at risk",
  where 3 of the 43 MQLs past the window is 7.0%, "missed"). It is now leaked over the MQLs
  whose window has passed (`leak_due`).
* MQL to SQL was judged at once although the month's late MQLs had had days of their 30:
  2026-03 published 31.0% "missed", final 40.5% "met". Then it was judged only when the share
  accepted so far and the share were every open MQL accepted gave one verdict, else "too
  early": with a 30-day window nearly every month (HubSpot sample, target 60%: 11 of 11), and
  no later report judged the month, so the target could never be missed. It is now the
  acceptance of the latest month whose MQLs are all past the window (September's in
  October's report), judged against the target; the month's own share so far is context.

The CRM below has two months alike: in each, the MQLs of the month's first days show how the
month's MQLs end; its last days' MQLs, at the cut, are still inside their windows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from smk import scorecard, sla
from smk.model import CRM, make_table
from smk.periods import Month
from smk.report import _change
from smk.sla import SLA

CUT = pd.Timestamp("2026-11-01", tz="UTC")  # the end of October, the report month


def _month(month: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """Eight MQLs of `month` (YYYY-MM) as contact rows and (contact, activity time) rows: four on its 1st-2nd, four on its 26th-27th. In each half, two
    are worked within an hour and accepted 20 days later, two never worked nor accepted: a
    25-day acceptance window has passed for the first half at the month's end."""
    contacts, acts = [], []
    for half, day in (("early", f"{month}-01"), ("late", f"{month}-26")):
        for n in range(4):
            who = f"{month}-{half}-{n}"
            mql = pd.Timestamp(day) + pd.Timedelta(hours=10 + 12 * n)
            row = {"contact_id": who, "mql": mql, "sql": None}
            if n < 2:  # worked at once, accepted after 20 days
                acts.append((who, str(mql + pd.Timedelta(hours=1))))
                row["sql"] = mql + pd.Timedelta(days=20)
            contacts.append(row)
    return contacts, acts


def _crm() -> CRM:
    """September and October as `_month` makes them, and a record in December (the export
    reaches past every window of October)."""
    sep, sep_acts = _month("2026-09")
    oct_, oct_acts = _month("2026-10")
    rows = [
        {
            "contact_id": c["contact_id"],
            "created_at": "2026-08-03 00:00",
            "became_lead_at": "2026-08-03 00:00",
            "became_mql_at": str(c["mql"]),
            "became_sql_at": None if c["sql"] is None else str(c["sql"]),
            "owner_id": "o1" if c["contact_id"].endswith(("0", "2")) else "o2",
            "original_source": "paid_search",
            "lifecycle_stage": "mql" if c["sql"] is None else "sql",
        }
        for c in sep + oct_
    ]
    acts = sep_acts + oct_acts + [(sep[0]["contact_id"], "2026-12-20 10:00")]
    activities = [
        {"activity_id": str(i), "contact_id": who, "occurred_at": when, "type": "call"}
        for i, (who, when) in enumerate(acts, start=1)
    ]
    return CRM(
        contacts=make_table("contacts", rows), activities=make_table("activities", activities)
    )


@pytest.fixture(scope="module")
def crm() -> CRM:
    return _crm()


def _october(leads: pd.DataFrame) -> pd.Series:
    return sla.sla_by_month(leads, months=["2026-10"]).iloc[0]


def test_the_leakage_rate_is_of_the_mqls_whose_window_has_passed(crm):
    row = _october(sla.mql_leads(crm, as_of=CUT))
    # at the cut: the 2 early unworked leaked; of the 4 late, 2 worked, 2 still pending
    assert (row["mqls"], row["leaked"], row["leak_pending"], row["leak_due"]) == (8, 2, 2, 4)
    final = _october(sla.mql_leads(crm))  # at the end of the data, in December
    assert final["leakage_rate"] == pytest.approx(4 / 8)  # the late unworked leaked too
    # the rate over the MQLs past the window is the final one; leaked / (MQLs - pending),
    # 2 of 6, kept the late worked MQLs and dropped the late unworked ones
    assert row["leakage_rate"] == pytest.approx(2 / 4) == final["leakage_rate"]
    owners = sla.sla_by_month(sla.mql_leads(crm, as_of=CUT), by="owner_id", months=["2026-10"])
    assert owners["leak_due"].tolist() == [2, 2]
    assert owners["leakage_rate"].tolist() == pytest.approx([1 / 2, 1 / 2])


def test_the_leakage_tile_counts_and_judges_the_mqls_past_the_window(crm):
    agreement = SLA(max_leakage_share=0.4, acceptance_target=0.2)
    card = scorecard.kpi_scorecard(crm, "2026-10", agreement).set_index("id")
    leakage = card.loc["leakage_rate"]
    assert leakage["actual"] == pytest.approx(0.5) and leakage["status"] == "missed"
    # September by the same rule, as of its own end (not 2 of 6: 33.3%, "met")
    assert leakage["previous_month"] == pytest.approx(0.5)
    leads = sla.mql_leads(crm, agreement, as_of=CUT)
    summary = sla.month_summary(leads, "2026-10", agreement)
    assert sla.leakage_text(summary, agreement) == (
        "2 of the 4 MQLs past the 7-day window (50.0%); 4 more still inside it, 2 of them not "
        "worked yet"
    )
    assert len(sla.leads_behind(leads, "leak_due", "2026-10")) == 4


def test_mql_to_sql_judges_the_latest_month_whose_mqls_are_all_past_the_window(crm):
    """September's MQLs, all past their 30 days at October's end, 4 of 8 accepted: 50.0%
    misses 60%. The rule before judged October's own MQLs only when none or all of the open
    ones accepted gave one verdict: 2 of 8 so far, 6 open, 25% to 100%, "too early"; with a
    30-day window that was nearly every month, and no later report judged it."""
    agreement = SLA(acceptance_target=0.6)
    assert sla.acceptance_cohort("2026-10", agreement) == Month("2026-09")
    leads = sla.mql_leads(crm, agreement, as_of=CUT)
    september = sla.sla_by_month(leads, agreement, months=["2026-09"]).iloc[0]
    assert (september["accepted"], september["rejected"], september["open"]) == (4, 4, 0)
    card = scorecard.kpi_scorecard(crm, "2026-10", agreement).set_index("id")
    accepted = card.loc["mql_to_sql_rate"]
    assert accepted["label"] == "MQL to SQL of 2026-09's MQLs, all past their 30 days"
    assert accepted["actual"] == pytest.approx(0.5) and accepted["status"] == "missed"
    # October's own share so far is context, not judged
    assert accepted["note"] == (
        "4 of 8 MQLs (50.0%); 2026-10's MQLs so far, not judged: 2 of 8 MQLs (25.0%), 6 still "
        "inside the 30-day window"
    )
    # the previous month is September's report, of August's MQLs: before the export's
    assert pd.isna(accepted["previous_month"])
    november = scorecard.kpi_scorecard(crm, "2026-11", agreement).set_index("id")
    assert november.loc["mql_to_sql_rate", "previous_month"] == pytest.approx(0.5)
    assert november.loc["mql_to_sql_rate", "actual"] == pytest.approx(0.5)  # October's, final
    assert november.loc["mql_to_sql_rate", "status"] == "missed"


@pytest.mark.parametrize(("target", "verdict"), [(0.5, "met"), (0.54, "at risk")])
def test_mql_to_sql_is_judged_every_month_against_its_target(crm, target, verdict):
    agreement = SLA(acceptance_target=target)
    card = scorecard.kpi_scorecard(crm, "2026-10", agreement).set_index("id")
    assert card.loc["mql_to_sql_rate", "status"] == verdict


@pytest.mark.parametrize(
    ("month", "days", "cohort"),
    [
        ("2026-10", 30, "2026-09"),
        ("2026-10", 31, "2026-09"),  # 2026-09 ends 2026-10-01: 31 days to 2026-11-01
        ("2026-10", 32, "2026-08"),
        ("2026-03", 30, "2026-02"),
        ("2026-02", 30, "2026-01"),  # every month once, though 2026-01-31's MQLs are 28 days old
        ("2026-02", 28, "2026-01"),
        ("2026-10", 45, "2026-08"),
    ],
)
def test_the_judged_mqls_are_a_month_per_31_days_of_the_window_back(month, days, cohort):
    assert sla.acceptance_cohort(month, SLA(acceptance_days=days)) == Month(cohort)


def test_the_mql_to_sql_tile_names_its_mqls_and_compares_with_the_previous_cohort(crm):
    agreement = SLA(acceptance_target=0.6)
    card = scorecard.kpi_scorecard(crm, "2026-11", agreement)
    tile = next(k for k in scorecard.scorecard_kpis(card) if k["id"] == "mql_to_sql_rate")
    assert tile["label"] == "MQL to SQL (accepted by sales)"  # the same every month
    assert tile["period"] == "2026-10's MQLs, all past their 30 days"
    assert tile["previous_period"] == "2026-09's MQLs, all past their 30 days"
    assert tile["detail"] == card.set_index("id").loc["mql_to_sql_rate", "note"]
    assert tile["status"] == "missed"
    # October's report published September's MQLs: the change is against them
    published = scorecard.scorecard_kpis(scorecard.kpi_scorecard(crm, "2026-10", agreement))
    before = {k["id"]: k for k in published}
    assert _change(tile, before) == "+0.0 pts vs 2026-09's MQLs, all past their 30 days"
    # a tile of the rule before (October's own MQLs so far, no basis) is not the base
    old = {k: before["mql_to_sql_rate"][k] for k in ("id", "label", "format")}
    change = _change(tile, {"mql_to_sql_rate": old | {"value": 0.25}})
    assert change == (
        "+0.0 pts vs 2026-09's MQLs, all past their 30 days measured this way (reported then: "
        f"25.0%, measured differently: now counted over {scorecard.ACCEPTANCE_RATE_OF} "
        "(smk's rule changed))"
    )


def test_a_leakage_tile_published_by_the_old_rule_is_not_the_base_of_the_change():
    """September published 33.3% (2 of 6, the worked MQLs inside the window counted): October,
    50.0% of the MQLs past the window, is compared with September measured as it is now."""
    basis = scorecard.kpi_basis("leakage_rate")
    assert basis["rate_of"] == scorecard.LEAKAGE_RATE_OF
    label = scorecard.kpi_label("leakage_rate")
    old = {"label": label, "format": "pct", "basis": {k: basis[k] for k in basis if k != "rate_of"}}
    published = {"leakage_rate": old | {"id": "leakage_rate", "value": 2 / 6}}
    kpi = {"id": "leakage_rate", "label": label, "format": "pct", "basis": basis}
    change = _change(kpi | {"value": 0.5, "previous": 0.5}, published)
    # smk's rule changed, not a setting of the user's ("other settings" before)
    assert change == (
        "+0.0 pts vs previous month measured this way (reported then: 33.3%, measured "
        "differently: now counted over MQLs past the leakage window (smk's rule changed))"
    )
    # a setting changed as well is named with it
    other = old | {"basis": old["basis"] | {"leakage_days": 14}}
    change = _change(
        kpi | {"value": 0.5, "previous": 0.5},
        {"leakage_rate": other | published["leakage_rate"] | {"basis": other["basis"]}},
    )
    assert change.endswith(
        "measured differently: now counted over MQLs past the leakage window (smk's rule "
        "changed), leakage_days 14)"
    )
