"""The funnel and SLA page (notebook 01), detail by detail.

* An MQL worked in exactly 24.0 h was within the SLA (<=) but in the "24-48 h" band.
* The cohort table's "not mature" star: subscriber -> lead was never starred (contacts created
  straight as leads gave 0-day gaps), and a transition nobody had made yet counted as mature.
* The checks cell used `row`, defined only by a hidden print cell and reused by two loops:
  re-running the scorecard print cell, then the checks cell, failed with a TypeError.
* The provenance table left out fx_rates, reporting_currency, mix_months, segments_csv and
  owner_labels.
* The marketing mix called every deal's campaign "(no campaign)" in an export without
  touchpoints, and divided won revenue by every won deal, those without an amount too.
"""

from __future__ import annotations

import ast
import dataclasses
import warnings

import nbformat
import numpy as np
import pandas as pd
import pytest
from test_notebook_parameters import _run_setup
from test_thin_months import FX, _crm, _deal

import smk
from smk import config, funnel, notebooks, scorecard, sla
from smk.model import CRM, make_table
from smk.report import declared_parameters

NOTEBOOK = "01_funnel_sla.ipynb"


# ------------------------------------------------------------------ speed-to-lead bands
def _worked_after(*hours: float) -> CRM:
    """One October MQL per entry of `hours`, each worked that many hours after its MQL date."""
    mql = pd.Timestamp("2026-10-05 08:00", tz="UTC")
    contacts = [
        {
            "contact_id": f"c{i}",
            "created_at": "2026-09-01",
            "became_lead_at": "2026-09-01",
            "became_mql_at": mql.isoformat(),
            "owner_id": "o1",
            "original_source": "paid_search",
        }
        for i in range(len(hours))
    ]
    acts = [
        {
            "activity_id": str(i),
            "contact_id": f"c{i}",
            "occurred_at": (mql + pd.Timedelta(hours=h)).isoformat(),
            "type": "call",
        }
        for i, h in enumerate(hours)
    ]
    return CRM(contacts=make_table("contacts", contacts), activities=make_table("activities", acts))


def _bands(crm: CRM, agreement: sla.SLA, edge: bool = True) -> tuple[pd.Series, int]:
    """MQLs per speed-to-lead band of October (`edge`: the SLA time among the band edges), and
    how many were worked within the SLA."""
    as_of = pd.Timestamp("2026-11-01", tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a tiny export: its activities end early
        leads = sla.mql_leads(crm, agreement, as_of=as_of)
    given = {"sla": agreement} if edge else {}
    dist = sla.speed_to_lead_distribution(leads, "2026-10", **given)
    return dist.set_index("band")["mqls"], int(leads["within_sla"].sum())


def test_an_mql_worked_at_exactly_the_sla_time_is_in_the_band_that_ends_there():
    bands, within = _bands(_worked_after(24.0, 0.0, 30.0), sla.SLA(), edge=False)
    assert within == 2  # 24.0 h is within a 24-hour SLA ...
    assert bands["8-24 h"] == 1 and bands["24-48 h"] == 1  # ... and so in the band up to 24
    assert bands["0-1 h"] == 1  # the first band holds 0
    assert bands.loc[:"8-24 h"].sum() == within
    assert list(bands.index[-2:]) == ["over 168 h", "not worked"]


def test_the_sla_time_is_a_band_edge_so_the_bands_add_up_to_the_share_within():
    agreement = sla.SLA(max_hours_to_first_activity=12)  # no edge of the default bands
    bands, within = _bands(_worked_after(12.0, 12.5, 9.0), agreement)
    assert within == 2
    assert bands["8-12 h"] == 2 and bands["12-24 h"] == 1
    assert bands.loc[:"8-12 h"].sum() == within


# ------------------------------------------------------------------ cohort maturity
def _funnel_contacts() -> pd.DataFrame:
    """One subscriber who became a lead after 20 days (August); nine contacts created straight
    as leads in October (the subscriber stage skipped: 0 days); one October opportunity (also
    created as a lead) that has not become a customer, nor has anyone else."""
    rows = [
        {
            "contact_id": "s1",
            "created_at": "2026-08-01",
            "became_subscriber_at": "2026-08-01",
            "became_lead_at": "2026-08-21",
        }
    ]
    rows += [
        {"contact_id": f"l{i}", "created_at": "2026-10-05", "became_lead_at": "2026-10-05"}
        for i in range(9)
    ]
    rows.append(
        {
            "contact_id": "o1",
            "created_at": "2026-09-02",
            "became_lead_at": "2026-09-02",
            "became_mql_at": "2026-09-03",
            "became_sql_at": "2026-09-04",
            "became_opportunity_at": "2026-10-10",
        }
    )
    return make_table("contacts", rows)


def test_cohort_maturity_comes_from_contacts_that_made_the_transition():
    contacts = _funnel_contacts()
    as_of = pd.Timestamp("2026-11-01", tz="UTC")
    cohorts = funnel.cohort_conversion(contacts, as_of)
    transition = cohorts["from_stage"] + " -> " + cohorts["to_stage"]
    lead = cohorts[transition == "subscriber -> lead"].set_index("cohort")
    assert lead["maturity_days"].iloc[0] == pytest.approx(20.0)  # s1's 20 days, not the 0s
    assert not lead.loc["2026-10", "mature"] and lead.loc["2026-08", "mature"]
    customer = cohorts[transition == "opportunity -> customer"].set_index("cohort")
    assert np.isnan(customer.loc["2026-10", "maturity_days"])  # nobody made it yet
    assert not customer.loc["2026-10", "mature"]
    table = funnel.cohort_table(funnel.cohort_conversion(contacts, as_of))
    assert table.loc["2026-10", "Subscriber -> Lead"] == "100% (9 of 9)*"
    assert table.loc["2026-10", "Opportunity -> Customer"] == "0% (0 of 1)*"
    velocity = funnel.velocity(contacts, as_of).set_index(["from_stage", "to_stage"])
    assert velocity.loc[("subscriber", "lead"), "p80_days"] == pytest.approx(20.0)  # agrees


def test_a_transition_made_only_by_skipping_a_stage_is_mature_at_once():
    """Salesforce leads are never subscribers: every subscriber -> lead cohort was starred as
    immature ("may still rise" at 100%), as if nobody had made the transition."""
    contacts = smk.load(config.SAMPLE_DIR / "salesforce").contacts
    cohorts = funnel.cohort_conversion(contacts, pd.Timestamp("2026-11-01", tz="UTC"))
    lead = cohorts[cohorts["from_stage"] == "subscriber"]
    assert len(lead) and (lead["maturity_days"] == 0).all() and lead["mature"].all()


def test_monthly_tables_start_with_the_first_contact_not_an_earlier_touch():
    """One touch logged a week before the first contact added a month of "0 MQLs" that the
    scorecard on the same page says the export does not cover."""
    crm = smk.load(config.SAMPLE_DIR / "hubspot")
    first = crm.contacts["created_at"].min()
    early = first - pd.Timedelta(days=20)
    touch = crm.touchpoints.iloc[:1].assign(touchpoint_id="t-early", occurred_at=early)
    earlier = dataclasses.replace(crm, touchpoints=pd.concat([touch, crm.touchpoints]))
    months = sla.report_months(earlier, "2026-10")
    assert months[0] == f"{first:%Y-%m}" and months[-1] == "2026-10"


# ------------------------------------------------------------------ the notebook's names
class _Names(ast.NodeVisitor):
    """Names a cell assigns, reads and loops over."""

    def __init__(self) -> None:
        self.stored: set[str] = set()
        self.loaded: set[str] = set()
        self.loops: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        (self.stored if isinstance(node.ctx, ast.Store) else self.loaded).add(node.id)

    def visit_For(self, node: ast.For) -> None:
        self.loops |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        self.generic_visit(node)


def _hidden(cell) -> bool:
    """A cell the published page leaves out (as `smk.report` does)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return "hide-in-report" in tags or cell.source.startswith("# NBVAL_CHECK_OUTPUT")


def test_each_cell_of_the_funnel_page_reads_only_names_of_one_meaning():
    """No cell reads a name that only a hidden cell assigns (a reader who skips it, or the
    page, has another value), nor one another cell uses as its loop variable (re-running
    that cell changes it)."""
    cells = nbformat.read(config.NOTEBOOKS_DIR / NOTEBOOK, as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
    names = []
    for cell in code:
        visitor = _Names()
        visitor.visit(ast.parse(cell.source))
        names.append(visitor)
    visible = set().union(*(n.stored for c, n in zip(code, names, strict=True) if not _hidden(c)))
    for i, (cell, own) in enumerate(zip(code, names, strict=True)):
        others = [n for j, n in enumerate(names) if j != i]
        read_elsewhere = set().union(*(n.loaded for n in others))
        assert not own.loops & read_elsewhere, (cell.source[:60], own.loops & read_elsewhere)
        if _hidden(cell):
            assert not (own.stored - visible) & read_elsewhere, cell.source[:60]


# ------------------------------------------------------------------ provenance
@pytest.mark.filterwarnings("ignore")
def test_the_funnel_page_gives_provenance_every_parameter_and_the_slas_own_values(tmp_path):
    injected = {
        "output_dir": str(tmp_path / "out"),
        "fx_rates": {"EUR": 1.0, "USD": 0.5},
        "reporting_currency": "EUR",
        "mix_months": 6,
        "owner_labels": "pseudonyms",
        "teams": {"owner-05": "inside sales"},
        "pipeline_target": 0.0,
    }
    namespace = _run_setup(NOTEBOOK, injected)
    cells = nbformat.read(config.NOTEBOOKS_DIR / NOTEBOOK, as_version=4).cells
    last = ast.parse(cells[-1].source)  # the provenance cell: its table is its last expression
    table = eval(compile(ast.Expression(last.body[-1].value), NOTEBOOK, "eval"), namespace)
    shown = dict(zip(table["item"], table["value"], strict=True))
    declared = declared_parameters(config.NOTEBOOKS_DIR / NOTEBOOK) - {"output_dir"}
    assert {f"parameter {name}" for name in declared} <= set(shown)
    assert shown["parameter fx_rates"] == str(injected["fx_rates"])
    assert shown["parameter mix_months"] == "6" and shown["parameter owner_labels"] == "pseudonyms"
    assert shown["parameter segments_csv"] == "" and shown["parameter reporting_currency"] == "EUR"
    # the SLA's own values: an owner by pseudonym, a target of 0 as none
    pseudonym = namespace["aliases"]["owner-05"]
    assert pseudonym != "owner-05"
    assert shown["parameter teams"] == str({pseudonym: "inside sales"})
    assert shown["parameter pipeline_target"] == "None"


# ------------------------------------------------------------------ the marketing mix
def test_the_mix_averages_won_deals_over_those_with_an_amount_and_says_how_many_lack_one():
    crm = _crm([_deal("d1", True, 9_000.0), _deal("d2", True, None), _deal("d3", False)])
    mix = scorecard.marketing_mix(crm, "2026-09", months=12, fx_rates=FX)
    core = mix.set_index(["dimension", "value"]).loc[("product line", "Core")]
    assert core["won_revenue"] == 9_000.0 and core["deals_won"] == 2
    assert core["avg_won_deal"] == 9_000.0  # not 9,000 / 2
    assert core["deals_won_without_amount"] == 1
    assert scorecard.mix_caveats(mix) == (
        "in the 12 months to 2026-09, 1 of the 2 deals won has no amount: won revenue and the "
        "average won deal count the other 1\n"
        "first-touch campaign unknown: the export has no touchpoints"  # (`_crm` has none)
    )
    unknown = scorecard.marketing_mix(_crm([_deal("d2", True, None)]), "2026-09", fx_rates=FX)
    assert unknown["won_revenue"].isna().all() and unknown["avg_won_deal"].isna().all()


def test_without_touchpoints_the_first_touch_campaign_is_unknown_not_none():
    crm = _crm([_deal("d1", True)])
    assert crm.touchpoints.empty
    assert set(scorecard.mix_deals(crm, "2026-09")["campaign"]) == {funnel.UNKNOWN}
    mix = scorecard.marketing_mix(crm, "2026-09", fx_rates=FX)
    assert "(no campaign)" not in set(mix["value"])
    assert scorecard.mix_caveats(mix) == (
        "first-touch campaign unknown: the export has no touchpoints"
    )
    touched = make_table(
        "touchpoints",
        [{"contact_id": "c2", "occurred_at": "2026-09-01", "channel": "email", "campaign": "x"}],
    )
    with_touches = dataclasses.replace(crm, touchpoints=touched)
    assert set(scorecard.mix_deals(with_touches, "2026-09")["campaign"]) == {"(no campaign)"}
    assert scorecard.mix_caveats(scorecard.marketing_mix(with_touches, "2026-09")) is None


def test_monthly_tables_keep_deals_before_the_first_contact_and_skip_stray_dates():
    """Review of 7b718ef: starting at the first contact's month dropped deals imported before
    the contacts (165 of 170 deals shown), and one contact dated 2016 added ten years of rows."""
    crm = smk.load(config.SAMPLE_DIR / "hubspot")
    first = crm.contacts["created_at"].min()
    deals = crm.deals.copy()
    deals.loc[deals.index[:5], "created_at"] = first - pd.Timedelta(days=8)
    deals.loc[deals.index[:5], "closed_at"] = first - pd.Timedelta(days=3)
    earlier = dataclasses.replace(crm, deals=deals)
    months = sla.report_months(earlier, "2026-10")
    assert months[0] == f"{first - pd.Timedelta(days=8):%Y-%m}" < f"{first:%Y-%m}"
    rates = {"EUR": 1.0, "USD": 0.9}
    table = sla.deal_table(earlier, rates, "EUR", as_of=pd.Timestamp("2026-11-01", tz="UTC"))
    assert sla.pipeline_by_month(table, months=months)["deals_created"].sum() == len(deals)
    contacts = crm.contacts.copy()
    contacts.loc[contacts.index[5], "created_at"] = pd.Timestamp("2016-03-04", tz="UTC")
    stray = dataclasses.replace(crm, contacts=contacts)
    assert sla.report_months(stray, "2026-10") == sla.report_months(crm, "2026-10")


def test_a_lead_that_skipped_the_next_stage_counts_at_the_time_it_took():
    """Review of 7b718ef: leads taken to SQL without an MQL date (59 and 61 days) made
    lead -> MQL mature at 0 days, so a cohort of October's unconverted leads read 0%, final."""
    rows = [("c1", "2026-01-01", "2026-03-01"), ("c2", "2026-03-01", "2026-05-01")]
    rows += [(f"n{i}", f"2026-10-{d:02d}", None) for i, d in enumerate((5, 10, 20))]
    contacts = pd.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "created_at": pd.to_datetime([r[1] for r in rows], utc=True),
            "became_lead_at": pd.to_datetime([r[1] for r in rows], utc=True),
            "became_sql_at": pd.to_datetime([r[2] for r in rows], utc=True),
            "lifecycle_stage": ["sql", "sql", "lead", "lead", "lead"],
        }
    )
    for stage in ("subscriber", "mql", "opportunity", "customer"):
        contacts[f"became_{stage}_at"] = pd.Series(
            pd.NaT, index=contacts.index, dtype="datetime64[ns, UTC]"
        )
    cohorts = funnel.cohort_conversion(contacts, "2026-11-01", transitions=[("lead", "mql")])
    october = cohorts.set_index("cohort").loc["2026-10"]
    assert october["maturity_days"] > 55 and not october["mature"]


# ------------------------------------------------------------------ what a run leaves
@pytest.mark.filterwarnings("ignore")
def test_a_rerun_whose_mix_has_no_data_leaves_no_earlier_mix_export(tmp_path):
    """Run in one kernel on the HubSpot sample, then on the Salesforce sample's 2025-11 (no
    deal closed in the mix window) into the same output_dir: the page said "wrote ... 7 CSV
    exports", and marketing_mix.csv was still the first run's table (HubSpot, 2026-10)."""
    import papermill as pm

    from smk.report import ensure_kernel, kernel_manager_class

    out = tmp_path / "out"
    out.mkdir()
    earlier = {"marketing_mix.csv": "an earlier run's mix\n", "segments.csv": "02's\n"}
    for name, text in {**earlier, "metrics-funnel_sla.json": "{}\n"}.items():
        (out / name).write_text(text)
    params = {
        "data_path": str(config.SAMPLE_SALESFORCE),
        "month": "2025-11",
        "output_dir": str(out),
    }
    executed = pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / NOTEBOOK), str(tmp_path / "run.ipynb"), parameters=params,
        cwd=str(tmp_path), kernel_name=ensure_kernel(), kernel_manager_class=kernel_manager_class(),
        progress_bar=False,
    )  # fmt: skip
    text = "".join(
        o.get("text", "") for c in executed.cells for o in c.get("outputs", []) if "text" in o
    )
    assert "Not enough data for this section: no deal closed in the 12 months up to 2025-11" in (
        text
    )
    assert (
        "wrote metrics-funnel_sla.json and 7 CSV exports; marketing_mix.csv not written, as its "
        "section has no data (no copy is kept from an earlier run)"
    ) in text
    written = {p.name for p in out.iterdir()}
    assert "marketing_mix.csv" not in written and (out / "segments.csv").read_text() == "02's\n"
    assert written == {
        "metrics-funnel_sla.json",
        "segments.csv",
        *notebooks.EXPORTS["funnel_sla"],
    } - {"marketing_mix.csv"}


# ------------------------------------------------------------------ working hours, weekdays
def _shown_by(namespace: dict, needle: str):
    """What the code cell of notebook 01 holding `needle` shows (its last expression), run in
    `namespace` (`_run_setup`)."""
    cells = nbformat.read(config.NOTEBOOKS_DIR / NOTEBOOK, as_version=4).cells
    (source,) = [c.source for c in cells if c.cell_type == "code" and needle in c.source]
    tree = ast.parse(source)
    last = tree.body.pop()
    exec(compile(tree, NOTEBOOK, "exec"), namespace)
    return eval(compile(ast.Expression(last.value), NOTEBOOK, "eval"), namespace)


@pytest.mark.filterwarnings("ignore")
def test_the_owner_and_team_tables_name_working_hours_and_a_team_may_work_sunday_to_thursday(
    tmp_path,
):
    # the tables said "Median hours" where the SLA counts working hours (the tile said so);
    # and notebook 01 had no `weekmask`: a Sunday-Thursday team could not be measured
    injected = {
        "output_dir": str(tmp_path / "out"),
        "business_hours": True,
        "weekmask": "Sun Mon Tue Wed Thu",
        "teams": {"owner-01": "inside sales"},
    }
    namespace = _run_setup(NOTEBOOK, injected)
    agreement = namespace["agreement"]
    assert agreement.weekmask == "Mon Tue Wed Thu Sun" and agreement.business_hours
    working = ["Median working hours", "80th percentile working hours"]
    for needle in ("per_owner = sla.sla_by_owner(", 'by="team"', "monthly = sla.sla_by_month("):
        shown = list(_shown_by(namespace, needle).columns)
        assert all(h in shown for h in working), (needle, shown)
        assert "Median hours" not in shown
    assert {"median_hours", "p80_hours"} <= set(namespace["per_owner"].columns)  # the CSV's
    # calendar hours: "Median hours", as before
    calendar = _run_setup(NOTEBOOK, {"output_dir": str(tmp_path / "cal")})
    shown = list(_shown_by(calendar, "per_owner = sla.sla_by_owner(").columns)
    assert "Median hours" in shown and "80th percentile hours" in shown


def test_a_weekmask_the_sla_cannot_read_is_refused_before_any_notebook_runs():
    from smk.report import check_params, discover_notebooks

    funnel = discover_notebooks(["funnel_sla"])
    check_params(funnel, {"notebooks": {"funnel_sla": {"weekmask": "Sun Mon Tue Wed Thu"}}})
    with pytest.raises(ValueError, match=r"params file: notebooks\.funnel_sla: SLA weekmask names"):
        check_params(funnel, {"notebooks": {"funnel_sla": {"weekmask": "Mon,Tue"}}})
    with pytest.raises(ValueError, match="SLA weekmask names the working weekdays"):
        sla.SLA(weekmask="0000000")
