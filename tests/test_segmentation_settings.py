"""Notebook 02's settings and unknowns: last month's model is reused only with the settings it
was fitted with; `features` must be a list; an export without deals or touchpoints gives
unknown purchases and touches, not zeros; won deals without an amount give unknown revenue,
not 0.0 (RFM's `monetary`, `rfm_summary` and the personas showed 0.0 revenue and a 0.0 share for
every segment), while accounts that bought nothing while deals exist still won 0.0. Last
month's model meets this month's export as it is: features it learnt from that the export lost
(a column, a channel no touch names any more) are left out and named, not read as 0 touches
(a channel merely untouched this month keeps its shares, as every touch before the month's end
counts), a channel new this month is named as one it cannot use (beside a channel gone: perhaps
renamed), values it never saw are counted (quoted, on one line), and a model file that cannot
be read is refitted with a note naming it by its month folder, never by a path; with no contact linked to an account, contacts
per account are unknown (not 0) and the features line names the behaviour that is unknown."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import re
import shutil
from dataclasses import replace
from types import SimpleNamespace

import joblib
import nbformat
import numpy as np
import pandas as pd
import pytest
import sklearn
from test_notebook_runs_small import _report
from test_segmentation_thin import NOTEBOOK, _cell, _run_cell

import smk
from smk import config, notebooks, outputs, sla
from smk import segmentation as sg
from smk.model import CRM, empty_table, make_table
from smk.periods import Month

pytestmark = pytest.mark.filterwarnings(
    "ignore:deal amounts are in EUR, USD and no fx rates were given"
)
SEPTEMBER, OCTOBER = Month("2026-09"), Month("2026-10")
FX = {"EUR": 1.0, "USD": 0.92}  # the notebook's default rates
MONEY = {"fx_rates": FX, "reporting_currency": "EUR"}


@pytest.fixture(scope="module")
def hubspot() -> smk.CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


@pytest.fixture(scope="module")
def features(hubspot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """September's and October's account features of the sample."""
    return sg.account_features(hubspot, SEPTEMBER.end), sg.account_features(hubspot, OCTOBER.end)


# ------------------------------------------------------------------ last month's model
def test_last_months_model_is_not_reused_with_other_settings(tmp_path, hubspot, features):
    # the tester's run: September with the defaults, October with 3 k-means segments on two
    # feature groups; the old code assigned October to September's 4 GMM segments on all
    before, now = features
    sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09")
    groups = sg.select_feature_groups(["size", "industry"])
    run = sg.segment_accounts(
        now, OCTOBER, tmp_path / "2026-10", n_segments=3, method="kmeans", feature_groups=groups
    )
    assert run.fitted and run.model_month == "2026-10"
    assert run.model.n_segments_ == 3 and run.model.method == "kmeans"
    assert set(run.model.feature_groups_) == {"size", "industry"}
    assert "the settings given differ from those of the model of 2026-09" in run.note
    for said in ("n_segments 3 (the model's: auto)", "method kmeans (the model's: gmm)"):
        assert said in run.changed_settings and said in run.note
    assert "features size, industry (the model's: size, industry, country," in run.note
    kpis = sg.segmentation_kpis(hubspot, run, *_tables(hubspot, run))
    tile = {k["id"]: k for k in kpis}["segments"]
    assert tile["value"] == 3
    assert tile["detail"] == "fitted this month: the settings given differ from last month's model"
    # the model saved for November is the one used, with the settings given
    saved = sg.load_segmenter(tmp_path / "2026-10" / sg.MODEL_FILE)
    assert saved["month"] == "2026-10" and saved["model"].method == "kmeans"


def test_last_months_model_is_not_reused_for_other_deal_pipelines(tmp_path, hubspot, features):
    """A model fitted on every pipeline's deals was reused under `pipelines: [new business]`
    (its deal features count other deals): the pipelines are a setting of the model too."""
    before, _ = features
    sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09", n_segments=3)
    new = hubspot.of_pipelines(["new business"])
    now = sg.account_features(new, OCTOBER.end)
    assert now.attrs["pipelines"] == ["new business"]
    assert "pipelines" not in before.attrs  # every pipeline: none named
    run = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10", n_segments=3)
    assert run.fitted and run.changed_settings == "pipelines new business (the model's: all)"
    assert "the settings given differ from those of the model of 2026-09" in run.note
    saved = sg.load_segmenter(tmp_path / "2026-10" / sg.MODEL_FILE)
    assert saved["pipelines"] == ["new business"]
    again = sg.segment_accounts(now, Month("2026-11"), tmp_path / "2026-11", n_segments=3)
    assert not again.fitted and again.model_month == "2026-10"  # the same pipelines: reused


def test_last_months_model_is_reused_with_the_same_settings(tmp_path, features):
    before, now = features
    first = sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09", n_segments=3)
    same = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10", n_segments=3)
    assert not same.fitted and same.model_month == "2026-09" and same.changed_settings == ""
    assert (same.assignments["segment"] == first.model.predict(now)).all()
    # the seed is a setting too: another seed's starts may give other segments
    other = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10b", n_segments=3, random_state=1)
    assert other.fitted and other.changed_settings == "random_state 1 (the model's: 0)"


def test_changed_settings_compare_feature_groups_by_columns_and_weights():
    default = sg.AccountSegmenter()
    assert sg.changed_settings(default, sg.AccountSegmenter(features=dict(sg.FEATURE_GROUPS))) == ""
    heavier = {**sg.FEATURE_GROUPS, "size": {**sg.FEATURE_GROUPS["size"], "weight": 2.0}}
    text = sg.changed_settings(default, sg.AccountSegmenter(features=heavier))
    assert text.startswith("features size, industry") and "(other columns or weights)" in text


def _tables(crm: smk.CRM, run: sg.SegmentationRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    profiles = sg.persona_profiles(crm, run.assignments, OCTOBER.end)
    profiles.insert(1, "persona", sg.name_personas(profiles))
    return profiles, sg.rfm_table(crm, OCTOBER.end)


# ------------------------------------------------------------------ features must be a list
def test_features_given_as_a_text_are_refused_with_what_to_give():
    # `papermill -p features size` passes the text "size": it was read letter by letter
    with pytest.raises(ValueError, match=r"features must be a list .*\['size'\], got the text"):
        sg.select_feature_groups("size")
    assert list(sg.select_feature_groups(["size"])) == ["size"]


# ------------------------------------------------------------------ unknown, not zero
def test_without_deals_purchases_are_unknown_not_none(hubspot):
    no_deals = replace(hubspot, deals=empty_table("deals"))
    rfm = sg.rfm_table(no_deals, OCTOBER.end)
    assert len(rfm) == len(hubspot.accounts.drop_duplicates("account_id"))
    assert rfm["rfm_segment"].isna().all() and rfm["frequency"].isna().all()
    assert rfm["monetary"].isna().all()
    assert sg.rfm_summary(rfm).empty
    line = sg.customers_line(no_deals, rfm, OCTOBER)
    assert (
        line == f"the export has no deals: which of the {len(rfm)} accounts have bought is unknown"
    )
    # with deals, accounts without a won one have bought nothing yet: that is known
    with_deals = sg.rfm_table(hubspot, OCTOBER.end)
    assert (with_deals["rfm_segment"] == sg.RFM_NO_PURCHASE).any()
    customers = int((with_deals["frequency"] > 0).sum())
    assert sg.customers_line(hubspot, with_deals, OCTOBER) == (
        f"{customers} of {len(with_deals)} accounts have won deals by the end of 2026-10"
    )


def test_without_touchpoints_touches_per_contact_are_unknown_not_zero(hubspot):
    no_touches = replace(hubspot, touchpoints=empty_table("touchpoints"))
    feats = sg.account_features(no_touches, OCTOBER.end)
    assert feats["log_touches_per_contact"].isna().all()  # was 0.0 for every account
    assert not any(c.startswith("channel_") for c in feats.columns)
    assert sg.features_line(feats) == (
        f"{len(feats)} accounts, {feats.shape[1]} features; unknown, as the export has no "
        "touchpoints: touches per contact, channel mix"
    )
    full = sg.account_features(hubspot, OCTOBER.end)
    assert full["log_touches_per_contact"].notna().any()
    assert sg.features_line(full) == f"{len(full)} accounts, {full.shape[1]} features"
    assert sg.AccountSegmenter(n_segments=3).fit(feats).n_segments_ >= 2  # still segmented


# ------------------------------------------------------------------ unknown revenue, not zero
@pytest.fixture(scope="module")
def no_amounts(hubspot) -> smk.CRM:
    """The sample with every deal's amount blank (an export without the amount column)."""
    return replace(hubspot, deals=hubspot.deals.assign(amount=np.nan))


def _won_deals(rfm: pd.DataFrame) -> int:
    return int(rfm["frequency"].sum())


def _one_segment(crm: CRM) -> pd.DataFrame:
    return pd.DataFrame({"account_id": crm.accounts["account_id"], "segment": 1})


def test_won_deals_without_an_amount_give_unknown_revenue_not_zero(no_amounts):
    rfm = sg.rfm_table(no_amounts, OCTOBER.end, **MONEY)
    buyers = rfm[rfm["frequency"] > 0]
    assert len(buyers) and buyers["monetary"].isna().all() and buyers["m"].isna().all()
    assert (buyers["deals_won_without_amount"] == buyers["frequency"]).all()
    assert (rfm.loc[rfm["frequency"] == 0, "monetary"] == 0.0).all()  # bought nothing: 0.0
    summary = sg.rfm_summary(rfm).set_index("rfm_segment")
    bought = summary.drop(index=sg.RFM_NO_PURCHASE)
    assert bought["won_revenue"].isna().all() and bought["share_of_revenue"].isna().all()
    assert summary.loc[sg.RFM_NO_PURCHASE, ["won_revenue", "share_of_revenue"]].tolist() == [0, 0]
    assert summary["deals_won_without_amount"].sum() == _won_deals(rfm)
    assert sg.revenue_gap(rfm) == (
        f"the {_won_deals(rfm)} deals won have no amount: won revenue is unknown"
    )
    lines = sg.rfm_lines(summary.reset_index())
    assert all(line.endswith("won revenue unknown") for line in lines[:-1])
    assert lines[-1].endswith("  0.0% of won revenue") and "nan" not in "".join(lines)


def test_the_personas_and_the_top_segment_tile_say_revenue_is_unknown(no_amounts):
    assigned = _one_segment(no_amounts)
    profiles = sg.persona_profiles(no_amounts, assigned, OCTOBER.end, **MONEY)
    profiles.insert(1, "persona", sg.name_personas(profiles))
    assert profiles[["won_revenue", "share_of_revenue"]].isna().all().all()
    assert "won revenue unknown" in sg.persona_lines(profiles)[0]
    rfm = sg.rfm_table(no_amounts, OCTOBER.end, **MONEY)
    assert profiles["deals_won_without_amount"].tolist() == [_won_deals(rfm)]
    run = sg.SegmentationRun(SimpleNamespace(n_segments_=1), assigned, True, str(OCTOBER), "")
    tile = sg.segmentation_kpis(no_amounts, run, profiles, rfm)[1]
    assert tile["id"] == "top_segment_revenue_share"
    assert (tile["value"], tile["detail"]) == (None, sg.revenue_gap(rfm))  # not "no deal won"


def test_an_account_s_revenue_sums_its_known_amounts_and_counts_the_others(monkeypatch):
    monkeypatch.setattr(sg, "MIN_CUSTOMERS_RANKED", 4)  # the M scores of four customers

    def won(deal: str, account: str, amount: float, is_won: bool = True) -> dict:
        return {"deal_id": deal, "account_id": account, "created_at": "2026-06-01",
                "closed_at": "2026-09-15", "is_closed": True, "is_won": is_won, "amount": amount}  # fmt: skip

    deals = [won("a", "A", 1000), won("b", "B", np.nan), won("c1", "C", 500)]
    deals += [won("c2", "C", np.nan), won("d", "D", 200), won("e", "E", 300, is_won=False)]
    accounts = make_table("accounts", [{"account_id": a} for a in "ABCDE"])
    crm = CRM(accounts=accounts, deals=make_table("deals", deals))
    rfm = sg.rfm_table(crm, OCTOBER.end).set_index("account_id")
    assert rfm["monetary"].to_dict() == pytest.approx(
        {"A": 1000.0, "B": np.nan, "C": 500.0, "D": 200.0, "E": 0.0}, nan_ok=True
    )
    assert rfm["deals_won_without_amount"].tolist() == [0, 1, 1, 0, 0]
    # M ranks the known amounts only (three values: 1, 3, 5); B has none, nor an rfm code
    assert rfm["m"].loc[["A", "C", "D"]].tolist() == [5, 3, 1] and pd.isna(rfm.at["B", "m"])
    assert pd.isna(rfm.at["B", "rfm"]) and rfm.at["A", "rfm"].endswith("5")
    assert sg.revenue_gap(rfm.reset_index()) == (
        "2 of the 5 deals won have no amount: won revenue and its shares count the other 3"
    )
    summary = sg.rfm_summary(rfm.reset_index())
    assert summary["won_revenue"].sum() == 1700.0
    assert summary["share_of_revenue"].sum() == pytest.approx(1.0)  # of the known revenue


def test_revenue_that_is_really_zero_stays_zero(hubspot):
    none_won = replace(hubspot, deals=hubspot.deals.assign(is_won=False))
    rfm = sg.rfm_table(none_won, OCTOBER.end, **MONEY)
    summary = sg.rfm_summary(rfm)
    assert summary["rfm_segment"].tolist() == [sg.RFM_NO_PURCHASE]
    assert summary[["won_revenue", "share_of_revenue"]].iloc[0].tolist() == [0.0, 0.0]
    assert sg.revenue_gap(rfm) is None
    profiles = sg.persona_profiles(none_won, _one_segment(none_won), OCTOBER.end, **MONEY)
    assert profiles[["won_revenue", "share_of_revenue"]].iloc[0].tolist() == [0.0, 0.0]
    full = sg.rfm_summary(sg.rfm_table(hubspot, OCTOBER.end, **MONEY)).set_index("rfm_segment")
    assert full.loc[sg.RFM_NO_PURCHASE, "won_revenue"] == 0.0
    assert full["won_revenue"].notna().all() and (full["deals_won_without_amount"] == 0).all()
    assert full["share_of_revenue"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("case", ["no amounts", "no deals table"])
def test_unknown_revenue_is_published_empty_and_null_never_nan(hubspot, no_amounts, case, tmp_path):
    crm = no_amounts if case == "no amounts" else replace(hubspot, deals=empty_table("deals"))
    rfm = sg.rfm_table(crm, OCTOBER.end, **MONEY)
    value = sg.customer_value(rfm, OCTOBER.end)[["account_id", "annual_value", "clv"]]
    profiles = sg.persona_profiles(crm, _one_segment(crm), OCTOBER.end, **MONEY)
    published = {  # as notebook 02 exports them; and the RFM summary its page shows
        "rfm.csv": (rfm.merge(value, how="left"), "monetary"),
        "segment_profiles.csv": (profiles, "won_revenue"),
        "rfm_summary.csv": (sg.rfm_summary(rfm), "won_revenue"),
    }
    for name, (table, money) in published.items():
        outputs.export_csv(table, tmp_path, name)
        assert "nan" not in (tmp_path / name).read_text(encoding="utf-8-sig").lower(), name
        cells = pd.read_csv(tmp_path / name, keep_default_na=False, dtype=str)[money]
        assert (cells == "").tolist() == table[money].isna().tolist(), name
        assert set(cells[cells != ""].astype(float)) <= {0.0}, name  # no purchase yet
    assert rfm["monetary"].isna().any() and profiles["won_revenue"].isna().all()
    records = profiles[["segment", "won_revenue", "share_of_revenue"]].to_dict("records")
    path = outputs.write_metrics(tmp_path, "segmentation", {"segments": records})
    assert "NaN" not in path.read_text()
    (segment,) = json.loads(path.read_text())["segments"]
    assert segment["won_revenue"] is None and segment["share_of_revenue"] is None


def test_notebook_02_says_revenue_is_unknown_instead_of_showing_zeros(no_amounts):
    namespace = {
        "seg": sg,
        "sla": sla,
        "outputs": outputs,
        "notebooks": notebooks,
        "crm": no_amounts,
    }
    namespace["as_of"] = OCTOBER.end
    namespace.update(report_month=OCTOBER, fx_rates=FX, reporting_currency="EUR")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        shown = _run_cell(_cell("rfm_summary = seg.rfm_summary(rfm)"), namespace)
        _run_cell(_cell("# NBVAL_CHECK_OUTPUT\nprint(seg.customers_line"), namespace)
    pipelines = no_amounts.pipelines_sentence(OCTOBER.end) + "\n"  # the cell says it first
    assert printed.getvalue().startswith(pipelines)
    text = printed.getvalue().removeprefix(pipelines)
    rfm = namespace["rfm"]
    assert text.startswith(
        f"the {_won_deals(rfm)} deals won have no amount: won revenue is unknown"
    )
    assert text.count("won revenue unknown") == len(shown) - 1 and "nan" not in text.lower()
    revenue = shown.set_index("RFM segment")["Won revenue (EUR)"]  # as the page shows it
    assert (revenue.drop(index=sg.RFM_NO_PURCHASE) == "–").all()  # unknown, not 0
    assert revenue[sg.RFM_NO_PURCHASE] == "0"  # nothing bought: nothing won


def test_notebook_02_says_why_it_names_no_customer_when_too_few_to_rank(hubspot):
    # a CRM of a few customers called them "champions" and the like, on quintiles of three
    won = hubspot.deals["is_won"].fillna(False).astype(bool)
    few = replace(hubspot, deals=hubspot.deals[~won | (won.cumsum() <= 3)])
    namespace = {"seg": sg, "sla": sla, "outputs": outputs, "notebooks": notebooks, "crm": few}
    namespace.update(as_of=OCTOBER.end, report_month=OCTOBER, **MONEY)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        shown = _run_cell(_cell("rfm_summary = seg.rfm_summary(rfm)"), namespace)
    customers = int((namespace["rfm"]["frequency"] > 0).sum())
    assert 0 < customers < sg.MIN_CUSTOMERS_RANKED  # the case
    assert printed.getvalue() == few.pipelines_sentence(OCTOBER.end) + "\n" + (
        f"{customers} of {len(namespace['rfm'])} accounts have won deals by the end of 2026-10: "
        "too few to rank, so none is scored or named (RFM ranks customers against each other: "
        "at least 20 customers needed)\n"
    )
    assert shown["RFM segment"].tolist() == [sg.RFM_UNRANKED, sg.RFM_NO_PURCHASE]


# ------------------------------------------------------------------ the features used, said
def _page_with_features(tmp_path, features: list) -> tuple[list[str], str, pd.DataFrame]:
    """Notebook 02 up to its feature table, given `features`: what it shows in words (the
    Markdown it displays), the line it prints and the table it describes."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {}
    _run_cell(code[0], namespace)  # the parameters cell, then what papermill injects
    namespace.update(features=features, month="2026-09", output_dir=str(tmp_path))
    _run_cell(code[1], namespace)
    shown: list[str] = []
    namespace["display"] = lambda obj: shown.append(obj.data)
    _run_cell(_cell("features_text"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        table = _run_cell(_cell("account_features = seg.account_features("), namespace)
    return shown, printed.getvalue().strip(), table


def test_the_page_describes_the_features_it_segments_on(tmp_path):
    """With features [size, industry] the page said "808 accounts, 18 features", described all
    18 columns, and its text had each account described by its behaviour too ("Behaviour
    counts less than who the account is"), which was not used."""
    shown, line, table = _page_with_features(tmp_path, ["size", "industry"])
    assert shown == [
        "Each account is described by who it is (number of employees, revenue per employee, "
        "industry). Not used (the `features` setting): country, channel_mix, engagement, funnel."
    ]
    used = ["log_employees", "log_revenue_per_employee", "industry"]
    assert re.fullmatch(r"\d+ accounts, 3 of 18 features segmented on: size, industry", line)
    assert list(table["Feature"]) == used  # summarised: every one (industry was left out)
    model = sg.AccountSegmenter(features=sg.select_feature_groups(["size", "industry"]))
    feats = sg.account_features(smk.load(config.SAMPLE_HUBSPOT), SEPTEMBER.end, **MONEY)
    fitted = model.fit(feats).encoder_
    assert fitted.numeric_columns_ + fitted.category_columns_ == used
    assert list(sg.used_features(feats, sg.select_feature_groups(["size", "industry"]))) == used


def test_the_words_for_the_features_follow_the_groups():
    everything = sg.features_text(sg.select_feature_groups(None))
    assert everything == sg.features_text() and "Not used" not in everything
    assert everything.startswith("Each account is described by who it is (number of employees")
    assert "and how it behaves (which channels reach its contacts" in everything
    assert "Behaviour counts less than who the account is" in everything
    funnel = sg.features_text(sg.select_feature_groups(["funnel"]))
    assert funnel.startswith(
        "Each account is described by how it behaves (how far its contacts got in the funnel, "
        "its typical deal size)."
    )
    assert "who it is" not in funnel and "counts less" not in funnel
    even = {n: {**g, "weight": 1.0} for n, g in sg.FEATURE_GROUPS.items()}
    assert "counts less" not in sg.features_text(even)  # said only when it is so


def test_the_feature_line_says_unknown_touches_only_when_a_touch_group_is_used(hubspot):
    no_touches = replace(hubspot, touchpoints=empty_table("touchpoints"))
    feats = sg.account_features(no_touches, OCTOBER.end, **MONEY)
    firmographics = sg.select_feature_groups(["size", "country"])
    assert sg.features_line(feats, firmographics) == (
        f"{len(feats)} accounts, 3 of {feats.shape[1]} features segmented on: size, country"
    )
    behaviour = sg.select_feature_groups(["engagement"])
    assert sg.features_line(feats, behaviour).endswith(
        "segmented on: engagement; unknown, as the export has no touchpoints: touches per "
        "contact, channel mix"
    )


def test_a_feature_column_given_as_a_text_is_refused_as_a_group_name_is():
    """`AccountSegmenter(features="industry")` read the name letter by letter ("feature(s)
    i, n, d, u, s, t, r, y are not in the feature table"); a text is refused as
    `select_feature_groups` refuses one, and a one-item list is the way to give one column."""
    X = pd.DataFrame({"industry": ["a", "b", "a", "b"], "size": [1.0, 2.0, 1.5, 2.5]})
    said = r"features must be a list of column names .*\['industry'\], got the text 'industry'"
    with pytest.raises(ValueError, match=said):
        sg.AccountSegmenter(features="industry", n_segments=2).fit(X)
    with pytest.raises(ValueError, match=said):
        sg.FeatureEncoder("industry").fit(X)
    fitted = sg.AccountSegmenter(features=["industry"], n_segments=2).fit(X)
    assert fitted.encoder_.category_columns_ == ["industry"]


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "assign", "fit"])
def test_a_feature_table_of_no_accounts_is_refused_in_smks_words(features, method):
    """0 rows failed in scikit-learn's words: "Found array with 0 sample(s) ... required by
    StandardScaler"."""
    september = features[0]
    model = sg.AccountSegmenter(n_segments=2, random_state=0).fit(september)
    with pytest.raises(
        ValueError, match=rf"AccountSegmenter\.{method} needs a feature table of at least one"
    ):
        getattr(model, method)(september.iloc[:0])


# ------------------------------------------------------------------ last month's model, this export
# Last month's model meeting this month's export: a channel gone from it failed notebook 02's
# segment map (and the whole month, exit 3); a column gone from it (the companies' industry)
# went unnoticed and its reshuffle was told as accounts that moved; values the model never saw
# (a new industry) were read as unknown without a word; and a damaged model file failed the
# month with "EOFError" instead of a refit with a note.
@pytest.fixture(scope="module")
def saved(hubspot, tmp_path_factory):
    """The reports folder with September's model (all feature groups, seed 0) saved."""
    out = tmp_path_factory.mktemp("reports")
    sg.segment_accounts(sg.account_features(hubspot, SEPTEMBER.end), SEPTEMBER, out / "2026-09")
    return out


def _october(saved, features: pd.DataFrame, tmp_path) -> sg.SegmentationRun:
    """October's accounts assigned to September's model (a copy, so each test has its own)."""
    reports = tmp_path / "reports"
    shutil.copytree(saved / "2026-09", reports / "2026-09")
    return sg.segment_accounts(features, OCTOBER, reports / "2026-10")


def _moved_tile(crm: smk.CRM, run: sg.SegmentationRun) -> dict:
    profiles = sg.persona_profiles(crm, run.assignments, OCTOBER.end)
    profiles.insert(1, "persona", sg.name_personas(profiles))
    kpis = sg.segmentation_kpis(crm, run, profiles, sg.rfm_table(crm, OCTOBER.end))
    return {k["id"]: k for k in kpis}["accounts_changed_segment"]


# ------------------------------------------------------------------ a channel gone
def test_the_segment_map_draws_the_accounts_when_a_channel_the_model_used_is_gone(
    saved, hubspot, tmp_path
):
    # HubSpot's "Referrals" renamed: October has no channel_referral; the map cell failed:
    # "AccountSegmenter.transform: X lacks 1 feature(s) ... channel_referral"
    now = sg.account_features(hubspot, OCTOBER.end).drop(columns=["channel_referral"])
    run = _october(saved, now, tmp_path)
    assert not run.fitted and "channel_referral" in run.model.feature_names_in_  # the case
    points = sg.segment_projection(run.model, now)
    assert list(points["account_id"]) == list(now.index)
    assert (points["segment"].to_numpy() == run.assignments["segment"].to_numpy()).all()
    import matplotlib.pyplot as plt

    from smk import plots

    plt.close("all")
    namespace = {"seg": sg, "plots": plots, "model": run.model, "seed": 0}
    _run_cell(_cell("segment_projection"), namespace | {"account_features": now})
    assert len(plt.gcf().axes[0].collections) == run.model.n_segments_  # a cloud per segment
    plt.close("all")
    detail = "since last month; features missing this month: channel_referral"
    assert _moved_tile(hubspot, run)["detail"] == detail


def _touches(crm: smk.CRM, keep=None, channels: dict | None = None) -> smk.CRM:
    """`crm` with the touchpoints `keep` selects (a function of the table; None: all), their
    channels renamed by `channels`."""
    tp = crm.touchpoints if keep is None else crm.touchpoints[keep(crm.touchpoints)]
    return replace(crm, touchpoints=tp.assign(channel=tp["channel"].replace(channels or {})))


def _in_october(tp: pd.DataFrame) -> pd.Series:
    """Which touchpoints of `tp` occurred in October."""
    return (tp["occurred_at"] >= OCTOBER.start) & (tp["occurred_at"] < OCTOBER.end)


def test_a_channel_gone_from_the_export_is_missing_not_zero_touches(saved, hubspot, tmp_path):
    # October's export without "paid_social" and with "referral" renamed "partner": both were
    # read as 0 touches for every account with contacts, so every account was assigned as if
    # none of its contacts had ever been touched in them, the note named only channel_partner
    # and told "0.1% changed segment ... stable" with no word of a missing feature
    crm = _touches(hubspot, lambda tp: tp["channel"] != "paid_social", {"referral": "partner"})
    now = sg.account_features(crm, OCTOBER.end)
    gone = ["channel_paid_social", "channel_referral"]
    run = _october(saved, now, tmp_path / "one")
    assert set(gone) <= set(run.model.feature_names_in_) and not set(gone) & set(now)  # the case
    X, missing = sg.model_input(run.model, now)
    assert X[gone].isna().all().all()  # unknown, not 0, for every account
    assert missing == run.missing_features == gone and run.new_features == ["channel_partner"]
    assert (
        "Features missing this month (left out): channel_paid_social, channel_referral; the "
        "segments use them, so accounts may have changed segment because these are unknown "
        "this month rather than because the accounts changed. Features new this month, which "
        "the model was not fitted on and so does not use: channel_partner. channel_paid_social "
        "and channel_referral are gone and channel_partner is new: was a channel renamed? Refit "
        "(refit=True) to segment on what this month's export holds."
    ) in run.note
    assert _moved_tile(crm, run)["detail"] == (
        "since last month; features missing this month: channel_paid_social, channel_referral; "
        "features new this month, not used: channel_partner"
    )
    # a channel only dropped: missing, with the advice of a missing feature
    dropped = _touches(hubspot, lambda tp: tp["channel"] != "paid_social")
    alone = _october(saved, sg.account_features(dropped, OCTOBER.end), tmp_path / "two")
    assert alone.missing_features == ["channel_paid_social"] and alone.new_features == []
    assert "because the accounts changed: refit (refit=True) to segment on what" in alone.note
    assert "renamed" not in alone.note


def test_a_channel_no_contact_was_touched_in_this_month_keeps_its_shares(saved, hubspot, tmp_path):
    # every touch before October's end counts, so a channel none of October's touches is in
    # keeps its column, and an account whose contacts were never touched in it has a share of
    # 0 there (shrunk towards the average, as every share): nothing is missing
    crm = _touches(hubspot, lambda tp: ~(_in_october(tp) & (tp["channel"] == "referral")))
    now = sg.account_features(crm, OCTOBER.end)
    run = _october(saved, now, tmp_path / "one")
    X, missing = sg.model_input(run.model, now)
    assert missing == run.missing_features == [] and run.new_features == []
    assert "Features missing" not in run.note and "Features new" not in run.note
    pd.testing.assert_series_equal(X["channel_referral"], now["channel_referral"])
    touched = now["channel_email"].notna()  # the accounts with contacts
    assert X.loc[touched, "channel_referral"].notna().all()
    # an export without touchpoints this month: the channel mix is unknown, not 0
    no_touches = replace(hubspot, touchpoints=empty_table("touchpoints"))
    unknown = _october(saved, sg.account_features(no_touches, OCTOBER.end), tmp_path / "two")
    channels = [c for c in unknown.model.feature_names_in_ if c.startswith("channel_")]
    assert set(channels) <= set(unknown.missing_features) and channels


def test_a_channel_new_this_month_is_named_as_one_the_model_cannot_use(saved, hubspot, tmp_path):
    # touches in a channel first seen this month were dropped without a word
    crm = _touches(hubspot)
    october = _in_october(crm.touchpoints) & (crm.touchpoints["channel"] == "organic_search")
    crm.touchpoints.loc[october, "channel"] = "partner_portal"  # its own copy (`_touches`)
    now = sg.account_features(crm, OCTOBER.end)
    run = _october(saved, now, tmp_path)
    assert "channel_partner_portal" not in run.model.feature_names_in_  # the case
    assert run.new_features == ["channel_partner_portal"] and run.missing_features == []
    assert (
        "Features new this month, which the model was not fitted on and so does not use: "
        "channel_partner_portal: refit (refit=True) to segment on them."
    ) in run.note
    assert "renamed" not in run.note
    detail = _moved_tile(crm, run)["detail"]
    assert detail == "since last month; features new this month, not used: channel_partner_portal"
    same = _october(saved, sg.account_features(hubspot, OCTOBER.end), tmp_path / "same")
    assert same.new_features == [] and "Features new" not in same.note
    size = sg.AccountSegmenter(2, features=sg.select_feature_groups(["size"]))
    size.fit(sg.account_features(hubspot, SEPTEMBER.end))
    assert sg.new_features(size, now) == []  # a model without the channel mix


def _without_referrals(folder) -> None:
    """The HubSpot export in `folder` with its "Referrals" source renamed "Partner Portal"."""
    path = next(folder.glob("*-interactions-*.csv"))
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["Interaction source"] = table["Interaction source"].replace(
        {"Referrals": "Partner Portal"}
    )
    table.to_csv(path, index=False, quoting=csv.QUOTE_ALL)


def test_a_month_whose_export_lost_a_channel_publishes_its_segments_with_a_note(tmp_path):
    # the reviewer's run: 2026-08 on the sample, 2026-09 on the export without "Referrals":
    # the segmentation notebook failed and the month exited 3, publishing nothing
    export = tmp_path / "export"
    shutil.copytree(config.SAMPLE_HUBSPOT, export, ignore=shutil.ignore_patterns("truth"))
    _without_referrals(export)
    assert _report(tmp_path, config.SAMPLE_HUBSPOT, "2026-08", "segmentation")[0] == 0
    code, month = _report(tmp_path, export, "2026-09", "segmentation")
    assert code == 0
    metrics = json.loads((month / "metrics-segmentation.json").read_text())
    assert metrics["model_month"] == "2026-08"
    # its touches read as "other" (a source the mapping does not know): a channel new this
    # month; and no touch of the export is a referral any more: a missing feature, not 0
    said = "channel_referral is gone and channel_other is new: was a channel renamed? Refit"
    assert "Features missing this month (left out): channel_referral;" in metrics["note"]
    assert said in metrics["note"]
    assert said in html.unescape((month / "02_segmentation.html").read_text())


# ------------------------------------------------------------------ a column gone
@pytest.fixture(scope="module")
def without_industry(tmp_path_factory) -> smk.CRM:
    """The sample read from an export whose companies' file has no "Industry" column."""
    export = tmp_path_factory.mktemp("no-industry") / "hubspot"
    shutil.copytree(config.SAMPLE_HUBSPOT, export, ignore=shutil.ignore_patterns("truth"))
    path = next(export.glob("*-companies-*.csv"))
    table = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["Industry"])
    table.to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    return smk.load(export)


def test_a_column_gone_from_the_export_is_a_missing_feature_not_accounts_that_moved(
    saved, without_industry, tmp_path
):
    # the note blamed accounts ("15.3% ... changed segment ... consider refitting") and the
    # features line said "17 of 18 features segmented on: size, industry, ..." unqualified
    now = sg.account_features(without_industry, OCTOBER.end)
    assert now["industry"].isna().all()  # the case: the column is kept, every value unknown
    line = sg.features_line(now, sg.select_feature_groups(None))
    assert line.endswith(
        "segmented on: size, industry, country, channel_mix, engagement, funnel; unknown, as "
        "no account in the export has one: industry"
    )
    firmographics = sg.select_feature_groups(["size", "country"])
    assert "unknown" not in sg.features_line(now, firmographics)  # industry is not used
    run = _october(saved, now, tmp_path)
    assert not run.fitted and run.missing_features == ["industry"]
    assert (
        "changed segment; 25 accounts are new. Features missing this month (left out): "
        "industry; the segments use them, so accounts may have changed segment because these "
        "are unknown this month rather than because the accounts changed: refit (refit=True)"
    ) in run.note
    detail = _moved_tile(without_industry, run)["detail"]
    assert detail == "since last month; features missing this month: industry"


@pytest.mark.parametrize("column", ["employees", "annual_revenue"])
def test_a_firmographic_no_account_has_is_said_unknown_and_missing(
    saved, hubspot, tmp_path, column
):
    accounts = hubspot.accounts.assign(**{column: pd.NA})
    crm = replace(hubspot, accounts=accounts)
    now = sg.account_features(crm, OCTOBER.end)
    words = {"employees": "number of employees, revenue per employee"}
    words["annual_revenue"] = "annual revenue, revenue per employee"
    line = sg.features_line(now, sg.select_feature_groups(["size"]))
    assert line.endswith(
        f"segmented on: size; unknown, as no account in the export has one: {words[column]}"
    )
    run = _october(saved, now, tmp_path)
    used = {"employees": ["log_employees", "log_revenue_per_employee"]}
    used["annual_revenue"] = ["log_revenue_per_employee"]  # annual revenue itself is not used
    assert run.missing_features == used[column]
    assert f"Features missing this month (left out): {', '.join(used[column])};" in run.note


def test_a_feature_unknown_when_the_model_was_fitted_is_not_missing_now(hubspot, tmp_path):
    # an export that never has touchpoints: touches per contact were unknown in September
    # too, so October lost nothing, and a refit would not help
    no_touches = replace(hubspot, touchpoints=empty_table("touchpoints"))
    before = sg.account_features(no_touches, SEPTEMBER.end)
    sg.segment_accounts(before, SEPTEMBER, tmp_path / "2026-09")
    now = sg.account_features(no_touches, OCTOBER.end)
    run = sg.segment_accounts(now, OCTOBER, tmp_path / "2026-10")
    assert not run.fitted and now["log_touches_per_contact"].isna().all()
    assert run.missing_features == [] and "Features missing" not in run.note


def test_an_export_with_every_column_says_nothing_unknown(hubspot):
    now = sg.account_features(hubspot, OCTOBER.end)
    assert "unknown" not in sg.features_line(now, sg.select_feature_groups(None))


# ------------------------------------------------------------------ values never seen
def test_values_the_saved_model_never_saw_are_counted_in_the_note(saved, hubspot, tmp_path):
    accounts = hubspot.accounts.copy()
    third = accounts.index[::3]
    accounts.loc[third, "industry"] = "Quantum computing"
    accounts.loc[accounts.index[1], "industry"] = pd.NA  # missing: not a value never seen
    crm = replace(hubspot, accounts=accounts)
    now = sg.account_features(crm, OCTOBER.end)
    new = int((now["industry"] == "Quantum computing").sum())
    assert new > len(now) // 4  # the case: a third of the accounts
    run = _october(saved, now, tmp_path)
    assert not run.fitted  # was: assigned without a word
    assert (
        f"{new} accounts hold values the model has not seen, which it reads as unknown "
        f"(industry: {new} accounts, e.g. 'Quantum computing'): refit (refit=True)"
    ) in run.note
    assert run.unseen_values == {"industry": new} and run.missing_features == []
    detail = _moved_tile(crm, run)["detail"]
    assert detail == f"since last month; values the model has not seen: industry ({new} accounts)"
    unchanged = _october(saved, sg.account_features(hubspot, OCTOBER.end), tmp_path / "same")
    assert unchanged.unseen_values == {} and "has not seen" not in unchanged.note


# ------------------------------------------------------------------ a damaged model file
def _bundle_of_no_model(path) -> None:
    joblib.dump({"format": sg.MODEL_FORMAT, "sklearn_version": sklearn.__version__}, path)


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (  # where the cut falls in the pickle depends on numpy's layout of the arrays
            lambda path: path.write_bytes(path.read_bytes()[:5000]),
            r"could not be read \((EOFError|UnpicklingError)\): the file may be damaged",
        ),
        (lambda path: path.write_bytes(b""), re.escape("could not be read (EOFError)")),
        (
            lambda path: path.write_bytes(b"not a joblib file"),
            re.escape("could not be read (KeyError)"),
        ),
        (_bundle_of_no_model, re.escape("holds no fitted segmentation model (found NoneType)")),
    ],
    ids=["truncated", "empty", "not-a-pickle", "no-model"],
)
def test_a_damaged_model_file_is_refitted_with_a_note_naming_it(
    saved, hubspot, tmp_path, damage, why
):
    reports = tmp_path / "reports"
    shutil.copytree(saved / "2026-09", reports / "2026-09")
    path = reports / "2026-09" / sg.MODEL_FILE
    damage(path)
    with pytest.raises(ValueError, match="refit the segments") as refused:
        sg.load_segmenter(path)
    assert str(refused.value).startswith(str(path))
    now = sg.account_features(hubspot, OCTOBER.end)
    run = sg.segment_accounts(now, OCTOBER, reports / "2026-10")  # was: EOFError
    assert run.fitted and run.model_month == "2026-10"
    said = "the saved model could not be used (2026-09/segmentation-model.joblib "
    assert said in run.note
    assert re.search(why, run.note), run.note
    assert str(tmp_path) not in run.note  # the month folder, not a path on this machine
    assert sg.load_segmenter(reports / "2026-10" / sg.MODEL_FILE)["month"] == "2026-10"


def test_values_never_seen_are_quoted_on_one_line(saved, hubspot, tmp_path):
    # CRM values went into the note raw: a line break in an industry split the note across
    # lines (metrics.json, the page) and ", " or ";" in one blurred the list of examples
    accounts = hubspot.accounts.copy()
    accounts["industry"] = accounts["industry"].astype("string")
    rows = accounts.index
    accounts.loc[rows[::3], "industry"] = "Quantum\ncomputing"
    accounts.loc[rows[1::6], "industry"] = "Quantum  computing "  # the same value, as shown
    accounts.loc[rows[2::9], "industry"] = "Fusion, fission; more"
    now = sg.account_features(replace(hubspot, accounts=accounts), OCTOBER.end)
    quantum = int(now["industry"].str.startswith("Quantum").sum())
    fusion = int((now["industry"] == "Fusion, fission; more").sum())
    assert quantum > fusion > 0  # the case
    run = _october(saved, now, tmp_path)
    assert "\n" not in run.note and "  " not in run.note
    assert (
        f"(industry: {quantum + fusion} accounts, e.g. 'Quantum computing', "
        "'Fusion, fission; more'): refit"
    ) in run.note


def _gone_class_model(path, monkeypatch) -> None:
    """A model file whose class this smk no longer has: unpickling it says "Can't get
    attribute 'Renamed' on <module 'smk.segmentation' from '<this machine's path>'>"."""

    class Renamed:
        pass

    Renamed.__module__, Renamed.__qualname__ = sg.__name__, "Renamed"
    monkeypatch.setattr(sg, "Renamed", Renamed, raising=False)
    joblib.dump(Renamed(), path)
    monkeypatch.delattr(sg, "Renamed")


def _raising_on_load(error: type[OSError], errno: int, reason: str):
    """A damage for `test_an_unreadable_model_file_is_noted_without_a_path`: `joblib.load`
    raising `error` with the file's name, as reading a file this user may not read does."""

    def damage(path, monkeypatch) -> None:
        def load(filename, *args, **kwargs):
            raise error(errno, reason, str(filename))

        monkeypatch.setattr(joblib, "load", load)

    return damage


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (
            lambda path, monkeypatch: path.unlink() or path.mkdir(),
            "could not be read (IsADirectoryError: Is a directory)",
        ),
        (
            _raising_on_load(PermissionError, 13, "Permission denied"),
            "could not be read (PermissionError: Permission denied)",
        ),
        (
            _gone_class_model,
            "could not be read (AttributeError): the file may be damaged or incomplete",
        ),
    ],
    ids=["a-directory", "not-permitted", "a-class-gone"],
)
def test_an_unreadable_model_file_is_noted_without_a_path(
    saved, hubspot, tmp_path, monkeypatch, damage, why
):
    # the note said "(IsADirectoryError: [Errno 21] Is a directory: '/home/.../2026-09/
    # segmentation-model.joblib')": metrics.json and the page published the reports' path
    reports = tmp_path / "reports"
    shutil.copytree(saved / "2026-09", reports / "2026-09")
    path = reports / "2026-09" / sg.MODEL_FILE
    damage(path, monkeypatch)
    with pytest.raises(sg.UnusableModelError) as refused:
        sg.load_segmenter(path)
    assert f"({type(refused.value.__cause__).__name__}" in why  # the case: this error
    run = sg.segment_accounts(
        sg.account_features(hubspot, OCTOBER.end), OCTOBER, reports / "2026-10"
    )
    assert run.fitted
    # "damaged or incomplete" only when reading it failed, not for a directory or a permission
    assert f"(2026-09/segmentation-model.joblib {why})" in run.note
    assert str(tmp_path) not in run.note and sg.__file__ not in run.note
    assert re.findall(r"(?<![\w.-])/[^\s'\")]*", run.note) == []  # no absolute path at all


# ------------------------------------------------------------------ no contact linked
@pytest.fixture(scope="module")
def unlinked(hubspot) -> smk.CRM:
    """The sample with no contact linked to an account (the export's "Associated Company IDs"
    empty)."""
    nobody = pd.Series(
        pd.NA, index=hubspot.contacts.index, dtype=hubspot.contacts["account_id"].dtype
    )
    return replace(hubspot, contacts=hubspot.contacts.assign(account_id=nobody))


def test_without_contacts_linked_the_features_line_says_behaviour_is_unknown(unlinked):
    # it said "833 accounts, 9 of 10 features segmented on: ..." and no more, while every
    # feature measured on contacts had no value: only last month's note named them
    feats = sg.account_features(unlinked, OCTOBER.end)
    measured = ["log_touches_per_contact", "share_reached_mql", "share_reached_opportunity"]
    assert feats[measured].isna().all().all()
    assert not any(c.startswith("channel_") for c in feats.columns)
    assert feats["log_median_deal_amount"].notna().any()  # deals name their account
    behaviour = (
        "contacts per account, touches per contact, channel mix, share reaching MQL, share "
        "reaching opportunity"
    )
    line = sg.features_line(feats, sg.select_feature_groups(None))
    assert line.endswith(
        "segmented on: size, industry, country, channel_mix, engagement, funnel; unknown, as "
        f"no contact is linked to an account: {behaviour}"
    )
    assert sg.features_line(feats).endswith(f"; unknown, as {sg.NO_CONTACT_LINKED}: {behaviour}")
    funnel = sg.features_line(feats, sg.select_feature_groups(["size", "funnel"]))
    assert funnel.endswith(
        "segmented on: size, funnel; unknown, as no contact is linked to an account: share "
        "reaching MQL, share reaching opportunity"
    )
    assert "unknown" not in sg.features_line(feats, sg.select_feature_groups(["size"]))


def test_without_contacts_linked_contacts_per_account_are_unknown_not_zero(
    unlinked, saved, tmp_path
):
    # every account had log_contacts 0: "no contacts", segmented on as a fact
    feats = sg.account_features(unlinked, OCTOBER.end)
    assert len(unlinked.contacts) and unlinked.contacts["account_id"].isna().all()  # the case
    assert feats["log_contacts"].isna().all()
    line = sg.features_line(feats, sg.select_feature_groups(["engagement"]))
    assert line.endswith(
        "segmented on: engagement; unknown, as no contact is linked to an account: contacts "
        "per account, touches per contact"
    )
    run = _october(saved, feats, tmp_path)
    assert "log_contacts" in run.missing_features
    assert sg.AccountSegmenter(n_segments=3).fit(feats).n_segments_ >= 2  # still segmented
    no_contacts = replace(unlinked, contacts=unlinked.contacts.iloc[:0])
    assert sg.account_features(no_contacts, OCTOBER.end)["log_contacts"].isna().all()


def test_a_feature_unknown_for_two_reasons_is_named_once(unlinked):
    no_touches = replace(unlinked, touchpoints=empty_table("touchpoints"))
    feats = sg.account_features(no_touches, OCTOBER.end)
    assert sg.features_line(feats).endswith(
        "features; unknown, as the export has no touchpoints: touches per contact, channel mix; "
        "unknown, as no contact is linked to an account: contacts per account, share reaching "
        "MQL, share reaching opportunity"
    )
