"""The deal pipelines a report counts (`pipelines`): an export of several pipelines (new
business, renewals, partner deals) was pooled in every figure, with no way to choose and no
word on the pages. The setting sets the other pipelines' deals aside by design, once, where a
notebook opens the export (`smk.notebooks.open_crm`, `CRM.of_pipelines`); a name the export
lacks is refused naming those it has; every page that uses deals says which it counts."""

from __future__ import annotations

import ast
import html
import json
from dataclasses import replace

import nbformat
import pandas as pd
import pytest
import yaml

import smk
from smk import attribution, cli, config, notebooks, periods, quality, sla
from smk.model import CRM, make_table

FX = {"EUR": 1.0}


def _three_pipelines() -> CRM:
    """Three customers touched by organic search, each winning one October deal in its own
    pipeline: Sales Pipeline 100 EUR, Renewals 1,000, Partner 500."""
    contacts, touches, deals = [], [], []
    for i, (pipeline, amount) in enumerate(
        [("Sales Pipeline", 100.0), ("Renewals", 1000.0), ("Partner", 500.0)]
    ):
        cid = f"c{i}"
        contacts.append({"contact_id": cid, "created_at": "2026-08-01", "account_id": "a1"})
        touches.append(
            {
                "touchpoint_id": f"t{i}",
                "contact_id": cid,
                "occurred_at": "2026-09-01",
                "channel": "organic_search",
            }
        )
        deals.append(
            {
                "deal_id": f"d{i}",
                "contact_id": cid,
                "account_id": "a1",
                "pipeline": pipeline,
                "created_at": "2026-10-02",
                "closed_at": "2026-10-20",
                "is_closed": True,
                "is_won": True,
                "amount": amount,
                "currency": "EUR",
            }
        )
    return CRM(
        contacts=make_table("contacts", contacts),
        accounts=make_table("accounts", [{"account_id": "a1"}]),
        deals=make_table("deals", deals),
        touchpoints=make_table("touchpoints", touches),
    )


@pytest.fixture()
def export(tmp_path):
    """The three-pipeline CRM as a Parquet model, which a notebook opens (`open_crm`)."""
    return str(_three_pipelines().to_parquet(tmp_path / "model"))


def _won_in_october(crm: CRM) -> float:
    deals = sla.deal_table(crm, FX, "EUR")
    table = sla.pipeline_by_month(deals, months=["2026-10"]).set_index("month")
    return float(table.loc["2026-10", "won_revenue"])


def _won_conversions(crm: CRM) -> float:
    return attribution.journeys(crm, "won", start="2026-01-01", end="2026-11-01").total_conversions


def test_the_setting_changes_won_revenue_and_attribution_conversions(export):
    pooled = notebooks.open_crm(export, "parquet")
    sales = notebooks.open_crm(export, "parquet", pipelines=["Sales Pipeline"])
    assert _won_in_october(pooled) == 1600.0 and _won_conversions(pooled) == 3
    assert _won_in_october(sales) == 100.0 and _won_conversions(sales) == 1
    # set aside by design, not dropped: the account adds up and the data-quality page counts them
    sales.quality.check()
    assert sales.quality.tables["deals"].reasons() == {"pipeline not reported on": 2}
    assert quality.set_aside_counts(sales) == {"total": 2, "by_design": 2, "faults": 0}
    # a name read in any case, two pipelines at once
    both = notebooks.open_crm(export, "parquet", pipelines=["sales pipeline", "PARTNER"])
    assert _won_in_october(both) == 600.0 and _won_conversions(both) == 2


def test_a_pipeline_the_export_lacks_is_refused_naming_those_it_has(export):
    with pytest.raises(ValueError, match="no deal pipeline 'Renewal'") as refused:
        notebooks.open_crm(export, "parquet", pipelines=["Renewal"])
    assert "its deals' pipelines are: Partner, Renewals, Sales Pipeline" in str(refused.value)
    with pytest.raises(ValueError, match="pipelines must be a list"):
        notebooks.parameters({"__annotations__": {"pipelines": list}, "pipelines": [""]})


def _spelt_two_ways() -> CRM:
    """The three-pipeline CRM with one more deal in each of "RENEWALS" and "sales pipeline":
    two spellings of one pipeline, as an export whose pipeline was renamed writes them."""
    crm = _three_pipelines()
    more = crm.deals.head(2).assign(deal_id=["d3", "d4"], pipeline=["sales pipeline", "RENEWALS"])
    return replace(crm, deals=pd.concat([crm.deals, more], ignore_index=True))


def test_the_refusal_names_every_spelling_of_the_pipelines():
    """`found` was keyed by the casefolded name, the last spelling winning: "its deals'
    pipelines are" left out one of "Renewals" and "RENEWALS"."""
    with pytest.raises(ValueError, match="no deal pipeline 'Renewal'") as refused:
        _spelt_two_ways().of_pipelines(["Renewal"])
    assert str(refused.value).endswith(
        "its deals' pipelines are: Partner, RENEWALS, Renewals, Sales Pipeline, sales pipeline"
    )


def test_the_record_names_every_spelling_counted_and_compares_as_the_setting(tmp_path):
    """`pipelines_basis` recorded one spelling of "Renewals" and "RENEWALS" though the deals
    of both were counted; the record still compares as one pipeline (`same_pipelines`)."""
    from smk.model import same_pipelines

    renewals = _spelt_two_ways().of_pipelines(["renewals"])
    assert sorted(renewals.deals["deal_id"]) == ["d1", "d4"]
    assert renewals.pipelines_basis() == {"pipelines": ["RENEWALS", "Renewals"]}
    again = CRM.from_parquet(renewals.to_parquet(tmp_path / "renewals"))
    assert again.pipelines_basis() == renewals.pipelines_basis()
    assert same_pipelines(renewals.pipelines_basis()["pipelines"], ["Renewals"])
    assert not same_pipelines(renewals.pipelines_basis()["pipelines"], ["Renewals", "Partner"])


def test_the_sentence_says_which_pipelines_are_counted(export, tmp_path):
    pooled = notebooks.open_crm(export, "parquet")
    assert pooled.pipelines_sentence() == (
        "Deals of 3 pipelines, counted together: Partner (1 deal), Renewals (1), "
        "Sales Pipeline (1) (params: pipelines can choose which count)."
    )
    sales = notebooks.open_crm(export, "parquet", pipelines=["Sales Pipeline"])
    assert sales.pipelines_sentence() == (
        "Deals of Sales Pipeline only (params: pipelines); not counted: Partner (1 deal), "
        "Renewals (1)."
    )
    # read back from a model written after the choice, it still says so
    again = CRM.from_parquet(sales.to_parquet(tmp_path / "sales"))
    assert again.pipelines_sentence() == sales.pipelines_sentence()
    one = pooled.of_pipelines(["Renewals"])
    assert one.deals["pipeline"].tolist() == ["Renewals"]
    assert CRM(deals=one.deals).pipelines_sentence() == ""  # one pipeline: nothing to say


def _with_deals_without_a_pipeline(crm: CRM, blank: int, keep=None) -> CRM:
    """`crm` with `blank` more October deals whose pipeline is empty (a blank Salesforce
    `Type`), and only the deals of the pipelines in `keep` (None: all) besides."""
    deals = crm.deals if keep is None else crm.deals[crm.deals["pipeline"].isin(keep)]
    extra = make_table(
        "deals",
        [
            {"deal_id": f"x{i}", "contact_id": "c0", "created_at": "2026-10-05", "amount": 10.0}
            for i in range(blank)
        ],
    )
    return replace(crm, deals=pd.concat([deals, extra], ignore_index=True))


def test_deals_without_a_pipeline_are_named_counted_or_not(tmp_path):
    """Deals without a pipeline were left out of both lists: counted, or set aside by the
    setting, without a word; with one named pipeline besides, the pages said nothing."""
    mixed = _with_deals_without_a_pipeline(_three_pipelines(), 2)
    export = str(mixed.to_parquet(tmp_path / "mixed"))
    pooled = notebooks.open_crm(export, "parquet")
    assert len(pooled.deals) == 5
    assert pooled.pipelines_sentence() == (
        "Deals of 3 pipelines and deals without one, counted together: Partner (1 deal), "
        "Renewals (1), Sales Pipeline (1), no pipeline (2) (params: pipelines can choose "
        "which count)."
    )
    sales = notebooks.open_crm(export, "parquet", pipelines=["Sales Pipeline"])
    assert sales.quality.tables["deals"].reasons() == {"pipeline not reported on": 4}
    assert sales.pipelines_sentence() == (
        "Deals of Sales Pipeline only (params: pipelines); not counted: Partner (1 deal), "
        "Renewals (1), no pipeline (2)."
    )
    # one named pipeline and deals without one: the pages said nothing
    one = _with_deals_without_a_pipeline(_three_pipelines(), 3, keep=["Sales Pipeline"])
    export = str(one.to_parquet(tmp_path / "one"))
    assert notebooks.open_crm(export, "parquet").pipelines_sentence() == (
        "Deals of 1 pipeline and deals without one, counted together: Sales Pipeline "
        "(1 deal), no pipeline (3) (params: pipelines can choose which count)."
    )
    chosen = notebooks.open_crm(export, "parquet", pipelines=["sales pipeline"])
    assert chosen.pipelines_sentence() == (
        "Deals of Sales Pipeline only (params: pipelines); not counted: no pipeline (3 deals)."
    )
    none = _with_deals_without_a_pipeline(_three_pipelines(), 2, keep=[])
    assert none.pipelines_sentence() == ""  # one entry, nothing set aside: nothing to say


def test_the_sentence_counts_the_deals_created_by_the_report_months_end(tmp_path):
    """A report for an earlier month listed the deals of the whole export, later ones too."""
    crm = _three_pipelines()
    later = crm.deals["pipeline"] == "Renewals"
    deals = crm.deals.assign(
        created_at=crm.deals["created_at"].mask(later, pd.Timestamp("2026-11-03", tz="UTC"))
    )
    export = str(replace(crm, deals=deals).to_parquet(tmp_path / "model"))
    october = periods.as_month("2026-10").end
    pooled = notebooks.open_crm(export, "parquet")
    assert "Renewals (1)" in pooled.pipelines_sentence()  # every deal of the export
    assert pooled.pipelines_sentence(october) == (
        "Deals of 2 pipelines, counted together: Partner (1 deal), Sales Pipeline (1) "
        "(params: pipelines can choose which count)."
    )
    sales = notebooks.open_crm(export, "parquet", pipelines=["Sales Pipeline"])
    assert sales.pipelines_sentence(october) == (
        "Deals of Sales Pipeline only (params: pipelines); not counted: Partner (1 deal)."
    )
    november = periods.as_month("2026-11").end
    assert sales.pipelines_sentence(november) == sales.pipelines_sentence()
    assert sales.pipelines_sentence(periods.as_month("2026-09").end) == ""  # no deal yet
    renewals = notebooks.open_crm(export, "parquet", pipelines=["Renewals"])
    assert renewals.pipelines_sentence(october) == (
        "No deal counted (params: pipelines); not counted: Partner (1 deal), Sales Pipeline (1)."
    )


@pytest.mark.parametrize(
    "name", ["01_funnel_sla", "02_segmentation", "03_lead_scoring", "04_attribution"]
)
def test_each_notebook_says_the_pipelines_as_of_its_report_months_end(name):
    """Each page's sentence is of the deals by the end of its report month: the call passes
    `report_month.end`, or the name the notebook gives it (`as_of`, `period_end`)."""
    cells = nbformat.read(config.ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    tree = ast.parse("\n".join(c.source for c in cells if c.cell_type == "code"))
    ends = {"report_month.end"} | {
        ast.unparse(node.targets[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and ast.unparse(node.value) == "report_month.end"
    }
    calls = [
        [ast.unparse(arg) for arg in node.args]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "pipelines_sentence"
    ]
    assert calls and all(len(args) == 1 and args[0] in ends for args in calls), calls


def test_by_default_every_pipeline_counts_as_before():
    loaded = smk.load(config.SAMPLE_HUBSPOT)
    opened = notebooks.open_crm(str(config.SAMPLE_HUBSPOT))
    assert opened.deals.equals(loaded.deals) and loaded.of_pipelines([]) is loaded
    assert opened.quality.to_dict() == loaded.quality.to_dict()


def test_smk_report_refuses_an_unknown_pipeline_before_any_notebook_runs(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"pipelines": ["Renewals"]}))
    args = ["report", "--data", str(config.SAMPLE_HUBSPOT), "--month", "2026-10"]
    args += ["--out", str(tmp_path / "reports"), "--params", str(tmp_path / "params.yaml")]
    assert cli.main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no deal pipeline 'Renewals'" in err and "default, new business" in err
    assert "No notebook was run" in err and not (tmp_path / "reports" / "2026-10").exists()


def test_the_funnel_page_counts_and_names_the_pipelines_of_the_params_file(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"pipelines": ["new business"]}))
    args = ["report", "--data", str(config.SAMPLE_HUBSPOT), "--month", "2026-10", "--quiet"]
    args += ["--out", str(tmp_path / "reports"), "--params", str(tmp_path / "params.yaml")]
    assert cli.main([*args, "--notebooks", "funnel_sla"]) == 0
    month = tmp_path / "reports" / "2026-10"
    page = html.unescape((month / "01_funnel_sla.html").read_text())
    assert "Deals of new business only (params: pipelines); not counted: default (49 deals)." in (
        page
    )
    metrics = json.loads((month / "metrics-funnel_sla.json").read_text())
    won = next(k for k in metrics["kpis"] if k["id"] == "won_revenue")["value"]
    crm = smk.load(config.SAMPLE_HUBSPOT)
    fx = {"EUR": 1.0, "USD": 0.92}  # the notebook's default rates
    as_of = periods.as_month("2026-10").end
    table = sla.pipeline_by_month(
        sla.deal_table(crm.of_pipelines(["new business"]), fx, "EUR", as_of)
    )
    pooled = sla.pipeline_by_month(sla.deal_table(crm, fx, "EUR", as_of))
    expected = table.set_index("month").loc["2026-10", "won_revenue"]
    assert won == pytest.approx(expected)
    assert won < pooled.set_index("month").loc["2026-10", "won_revenue"]
