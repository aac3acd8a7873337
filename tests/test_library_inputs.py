"""smk used as a Python library: tables and arguments as users hand them over.

A lead table whose index was reset, a table that lost its attrs in a join, a channel named as
one text, a CRM filtered by contact, an export in another row order, an array where a
DataFrame was fitted, and months or periods where dates were expected.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import smk
from smk import attribution as at
from smk import config, funnel, quality
from smk import scoring as sc
from smk.errors import NoDataError
from smk.model import CRM, make_table
from smk.periods import Month
from smk.synth import synthesize

FX = {"EUR": 1.0, "USD": 0.92}


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(scope="module")
def synth():
    """A small synthetic CRM, its lead table as of November 2026 and a scoring model."""
    data = synthesize(n_contacts=1500, months=12, seed=7)
    leads = sc.lead_features(data.crm, as_of="2026-11-01")
    split = sc.time_split(leads)
    with threadpool_limits(1):
        held = sc.fit_held_out(sc.LeadScorer(model="logistic", random_state=0), split)
        model = sc.build_model(held.scorer, split.train, held.scores, leads.attrs["spec"])
    return data.crm, leads, model


@pytest.fixture(scope="module")
def hubspot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smk.load(config.SAMPLE_HUBSPOT)


# ---------------------------------------------------------------------------- contact ids
def test_scored_leads_take_their_contact_ids_from_a_contact_id_column(synth):
    crm, leads, model = synth
    month = sc.leads_scored_in(leads, "2026-10")
    want = sc.score_leads(model, month).set_index("contact_id")
    got = sc.score_leads(model, month.reset_index()).set_index("contact_id")
    assert set(got.index) == set(month.index)  # contact ids, not row numbers
    pd.testing.assert_frame_equal(got.loc[want.index], want)
    population = sc.explain.scored_population(crm, sc.score_leads(model, month), "2026-10")
    from_column = sc.explain.scored_population(
        crm, sc.score_leads(model, month.reset_index()), "2026-10"
    )
    assert from_column == population


def test_the_rule_based_score_reads_a_contact_id_column(synth):
    crm, leads, _ = synth
    want = sc.rule_based_score(crm, leads)
    assert want["engagement_points"].mean() > 0
    got = sc.rule_based_score(crm, leads.reset_index())
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    rebuilt = pd.concat([leads.iloc[:100].reset_index(), leads.iloc[100:].reset_index()])
    rebuilt = rebuilt.reset_index(drop=True)  # a table rebuilt with ignore_index=True
    np.testing.assert_allclose(sc.rule_based_score(crm, rebuilt).to_numpy(), want.to_numpy())


def test_an_index_of_row_numbers_is_refused_not_read_as_contact_ids(synth):
    crm, leads, model = synth
    positions = leads.reset_index(drop=True)
    rebuilt = pd.concat([leads.iloc[:10], leads.iloc[10:20]], ignore_index=True)
    for table in (positions, rebuilt, positions.iloc[5:40]):
        with pytest.raises(ValueError, match=r"no contact_id column.*row numbers"):
            sc.score_leads(model, table)
        with pytest.raises(ValueError, match=r"no contact_id column.*RangeIndex|row numbers"):
            sc.rule_based_score(crm, table)
    with pytest.raises(ValueError, match="row numbers"):
        sc.engagement_points(crm, positions["scored_at"])
    ids = leads.set_axis(leads.index.astype("int64")).rename_axis("hs_object_id")
    with pytest.raises(ValueError, match="integers, which may be row numbers or ids under"):
        sc.score_leads(model, ids)
    missing = leads.reset_index().head(5)
    missing.loc[3, "contact_id"] = None
    with pytest.raises(ValueError, match=r"1 lead has no contact id .*\(first: row 3\)"):
        sc.score_leads(model, missing)


def test_engagement_points_of_a_contact_scored_twice_are_its_own_each_time(synth):
    crm, leads, _ = synth
    touched = leads[leads["touches"] > 1].head(20)
    later = touched["scored_at"] + pd.Timedelta(days=30)
    twice = pd.concat([touched["scored_at"], later])  # each contact twice
    got = sc.engagement_points(crm, twice)
    np.testing.assert_allclose(got.iloc[:20], sc.engagement_points(crm, touched["scored_at"]))
    np.testing.assert_allclose(got.iloc[20:], sc.engagement_points(crm, later))


def test_contact_ids_are_no_feature(synth):
    _, leads, _ = synth
    assert "contact_id" not in sc.feature_matrix(leads.reset_index()).columns
    assert list(sc.feature_matrix(leads.reset_index())) == list(sc.feature_matrix(leads))


# ---------------------------------------------------------------------------- labels
def _stage_crm() -> CRM:
    rows = [
        # an evangelist without customer or SQL date: SQL and customer on 03-20 (funnel)
        {"contact_id": "e1", "created_at": utc("2026-03-01"), "lifecycle_stage": "evangelist",
         "became_lead_at": utc("2026-03-01"), "became_evangelist_at": utc("2026-03-20")},
        # an import without stage history: customer from its creation
        {"contact_id": "i1", "created_at": utc("2026-03-01"), "lifecycle_stage": "customer"},
        {"contact_id": "o1", "created_at": utc("2026-03-01"), "lifecycle_stage": "opportunity",
         "became_lead_at": utc("2026-03-01"), "became_opportunity_at": utc("2026-03-20")},
        {"contact_id": "l1", "created_at": utc("2026-03-01"), "lifecycle_stage": "lead",
         "became_lead_at": utc("2026-03-01")},
    ]  # fmt: skip
    return CRM(contacts=make_table("contacts", rows), source="hand")


@pytest.mark.filterwarnings("ignore:as_of .* after the export's last record:UserWarning")
@pytest.mark.parametrize(
    ("target", "labels"),
    [("sql", {"e1": 1, "o1": 1, "l1": 0}), ("customer", {"e1": 1, "o1": 0, "l1": 0})],
)
def test_lead_labels_follow_the_funnels_stage_entry_dates(target, labels):
    leads = sc.lead_features(_stage_crm(), as_of="2026-11-01", target=target)
    assert leads["label"].astype(int).to_dict() == labels
    # the import was a customer (and so an SQL) from its creation: nothing left to predict
    assert "i1" not in leads.index and leads.attrs["left_out"] == 1


def _without_stage_history(crm: CRM) -> CRM:
    """`crm` with every other customer an evangelist without earlier stage dates, and every
    other SQL an import without stage history (its stage only)."""
    c = crm.contacts.copy()
    customers = c.index[c["became_customer_at"].notna()][::2]
    c.loc[customers, "became_evangelist_at"] = c.loc[customers, "became_customer_at"]
    c.loc[customers, ["became_customer_at", "became_opportunity_at", "became_sql_at"]] = pd.NaT
    c.loc[customers, "lifecycle_stage"] = "evangelist"
    imports = c.index[(c["lifecycle_stage"] == "sql") & c["became_sql_at"].notna()][::2]
    c.loc[imports, [col for col in c if col.startswith("became_")]] = pd.NaT
    return dataclasses.replace(crm, contacts=c)


@pytest.mark.parametrize("target", ["sql", "customer"])
def test_every_label_is_the_funnel_entry_date_within_the_window(synth, target):
    crm = _without_stage_history(synth[0])
    as_of = utc("2026-11-01")
    leads = sc.lead_features(crm, as_of=as_of, target=target)
    known = leads[leads["label"].notna()]
    entry = funnel.stage_entry_dates(crm.contacts.set_index("contact_id"), as_of)[target]
    entry = entry.reindex(known.index)
    window_end = known["scored_at"] + pd.Timedelta(days=leads.attrs["spec"]["within_days"])
    reached = (entry > known["scored_at"]) & (entry <= window_end)
    assert (known["label"].astype(bool) == reached).all() and reached.any()
    assert not (entry.reindex(leads.index) <= leads["scored_at"]).any()  # none converted yet


# ---------------------------------------------------------------------------- time split
def test_time_split_without_the_tables_attrs_asks_for_the_gap(synth):
    _, leads, _ = synth
    mine = leads.join(pd.DataFrame({"my_feature": 1.0}, index=leads.index))
    assert not mine.attrs  # a join drops them
    with pytest.raises(ValueError, match=r"outcome window.*gap_days="):
        sc.time_split(mine)
    split = sc.time_split(mine, gap_days=leads.attrs["spec"]["within_days"])
    want = sc.time_split(leads)
    assert split.gap_days == want.gap_days == 60
    assert split.train.index.equals(want.train.index)
    assert sc.time_split(leads.assign(my_feature=1.0)).gap_days == 60  # assign keeps them


# ---------------------------------------------------------------------------- attribution
def test_a_direct_channel_given_as_text_is_one_channel():
    paths = pd.DataFrame({"path": ["email > direct", "referral > direct"], "total_conversions": 1})
    j = at.from_paths(paths)
    default = at.attribute(j, "last_non_direct").set_index("channel")["conversions"]
    assert default.to_dict() == {"direct": 0.0, "email": 1.0, "referral": 1.0}
    as_text = at.attribute(j, "last_non_direct", direct_channels="direct")
    assert as_text.set_index("channel")["conversions"].equals(default)
    with pytest.warns(UserWarning, match=r"direct_channels 'Direct' not among .*channels"):
        last = at.attribute(j, "last_non_direct", direct_channels=["Direct"])
    assert last.set_index("channel")["conversions"]["direct"] == 2.0


def _deal(deal_id, contact_id, day, amount, account_id=None) -> dict:
    return {
        "deal_id": deal_id, "contact_id": contact_id, "account_id": account_id,
        "created_at": utc(day) - pd.Timedelta(days=10), "closed_at": utc(day),
        "is_closed": True, "is_won": True, "amount": amount, "currency": "EUR",
    }  # fmt: skip


def _attribution_crm(deals: list[dict], touches=None) -> CRM:
    contacts = [
        {"contact_id": "1", "account_id": "A", "created_at": utc("2026-01-01")},
        {"contact_id": "2", "account_id": "B", "created_at": utc("2026-01-01")},
    ]
    touches = touches or [("t1", "1", "2026-01-10", "email")]
    tp = [
        {"touchpoint_id": i, "contact_id": c, "occurred_at": utc(t), "channel": ch,
         "touch_type": "visit"}
        for i, c, t, ch in touches
    ]  # fmt: skip
    return CRM(
        contacts=make_table("contacts", contacts),
        deals=make_table("deals", deals),
        touchpoints=make_table("touchpoints", tp),
    )


def test_unattributed_conversions_say_why_they_have_nothing_to_credit():
    deals = [
        _deal("D1", "1", "2026-01-20", 100.0),  # touched: attributed
        _deal("D2", "2", "2026-01-20", 200.0),  # a contact without touches
        _deal("D3", "9", "2026-01-21", 300.0),  # a contact the contacts table lacks
        _deal("D4", "9", "2026-01-22", 400.0),
        _deal("D5", None, "2026-01-23", 500.0),  # no contact at all
    ]
    j = at.journeys(_attribution_crm(deals), lookback_days=90)
    c = j.coverage()
    assert (c["attributed"], c["unattributed"], c["unattributed_value"]) == (1, 4, 1400.0)
    assert (c["no_touch"], c["no_touch_value"]) == (1, 200.0)
    assert (c["unknown_contact"], c["unknown_contact_value"]) == (2, 700.0)
    assert (c["no_contact"], c["no_contact_value"]) == (1, 500.0)
    assert j.coverage_lines("January", 90)[2:5] == [
        "unattributed (no touch in the 90 days before the conversion): 1 (value 200 EUR)",
        "unattributed (contact not in the contacts table): 2 (value 700 EUR)",
        "unattributed (no contact on the deal): 1 (value 500 EUR); no model can credit them, so "
        "the figures below are about the 1 attributed",
    ]
    assert j.coverage_detail(90) == (
        "of 5 won conversions; 4 unattributed: 1 no touch in the 90 days before, 2 contact "
        "not in the contacts table, 1 no contact on the deal"
    )


def test_the_values_name_the_currency_they_are_in():
    """The attribution page said "72 (value 1,905,781)": values in the currency whose fx rate
    is 1.0, or without rates the one currency of the deals; none named when it is unclear."""
    deals = [_deal("D1", "1", "2026-01-20", 100.0), _deal("D2", "2", "2026-01-21", 50.0)]
    crm = _attribution_crm(deals)
    for fx, value in [
        (None, "150 EUR"),
        ({"USD": 1.0, "EUR": 1.25}, "188 USD"),  # rates given in USD: the values are in USD
        ({"EUR": 0.5}, "75"),  # no rate of 1.0: in what currency cannot be told
    ]:
        j = at.journeys(crm, lookback_days=90, fx=fx)
        assert j.currency == at.value_currency(fx, crm) == (value.split(" ") + [None])[1]
        assert j.coverage_lines("January", 90)[0] == (
            f"won conversions from January: 2 (value {value})"
        )
    mixed = _attribution_crm(
        [*deals[:1], {**_deal("D2", "2", "2026-01-21", 50.0), "currency": "USD"}]
    )
    assert at.value_currency(None, mixed) is None  # added as they are, with a warning


def test_a_crm_filtered_by_contact_reports_its_deals_as_of_unknown_contacts(hubspot):
    germany = hubspot.contacts[hubspot.contacts["country"] == "Germany"]
    sub = dataclasses.replace(hubspot, contacts=germany)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # contacts filtered: their touches are unknown
        j = at.journeys(sub, "won", fx=FX, start="2025-11-01", end="2026-11-01")
    c = j.coverage()
    won = hubspot.deals[hubspot.deals["is_won"].fillna(False).astype(bool)]
    won = won[(won["closed_at"] >= utc("2025-11-01")) & (won["closed_at"] < utc("2026-11-01"))]
    outside = ~won["contact_id"].isin(germany["contact_id"])
    assert c["unknown_contact"] == outside.sum() > 0
    assert c["no_touch"] + c["unknown_contact"] == c["unattributed"]
    assert "contact not in the contacts table" in j.coverage_detail(90)
    none_attributed = dataclasses.replace(j, table=j.table.assign(conversions=0.0))
    with pytest.raises(NoDataError, match=r"\d+: contact not in the contacts table\)"):
        none_attributed.require_conversions("2025-11 to 2026-10")


def test_touches_at_the_same_time_follow_their_ids_not_their_rows():
    deals = [_deal("D1", "1", "2026-01-20", 100.0)]
    touches = [
        ("t2", "1", "2026-01-10", "email"),
        ("t1", "1", "2026-01-10", "paid_search"),
        ("t3", "1", "2026-01-12", "referral"),
        ("t5", "1", "2026-01-12", "direct"),
        ("t4", "1", "2026-01-12", "direct"),
    ]
    paths = set()
    for rows in (touches, touches[::-1], touches[2:] + touches[:2]):
        j = at.journeys(_attribution_crm(deals, rows), lookback_days=90)
        paths.add(j.table["path"].iloc[0])
    assert paths == {"paid_search > email > referral > direct > direct"}


def test_markov_credit_does_not_depend_on_the_row_order_of_the_touchpoints(hubspot):
    reversed_rows = dataclasses.replace(hubspot, touchpoints=hubspot.touchpoints.iloc[::-1])
    credit = [
        at.attribute(at.journeys(crm, "won", fx=FX), "markov")["conversions"].to_numpy()
        for crm in (hubspot, reversed_rows)
    ]
    np.testing.assert_allclose(credit[0], credit[1], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- LeadScorer
def test_a_scorer_fitted_on_a_dataframe_scores_an_array_by_position():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    X["kind"] = np.where(X["b"] > 0, "big", "small")
    y = (X["a"] + rng.normal(size=300) > 0).astype(int)
    for columns in (["a", "b"], ["a", "b", "kind"]):
        scorer = sc.LeadScorer(random_state=0).fit(X[columns], y)
        with pytest.warns(UserWarning, match="does not have valid feature names"):
            positional = scorer.predict_proba(X[columns].to_numpy())
        np.testing.assert_array_equal(positional, scorer.predict_proba(X[columns]))
    on_array = sc.LeadScorer(random_state=0).fit(X[["a", "b"]].to_numpy(), y)
    with pytest.warns(UserWarning, match="X has feature names"):
        named = on_array.predict_proba(X[["a", "b"]])
    np.testing.assert_array_equal(named, on_array.predict_proba(X[["a", "b"]].to_numpy()))


# ---------------------------------------------------------------------------- arguments
def test_freshness_takes_a_month_as_every_analysis_does(hubspot):
    want = quality.freshness(hubspot, Month("2026-10"))
    for month in ("2026-10", pd.Period("2026-10", "M")):
        pd.testing.assert_frame_equal(quality.freshness(hubspot, month), want)
    with pytest.raises(ValueError, match="month must look like YYYY-MM"):
        quality.freshness(hubspot, "2026-10-15")


def test_journeys_take_months_and_periods_and_refuse_dates_that_read_two_ways(hubspot):
    def won(**bounds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return at.journeys(hubspot, "won", fx=FX, **bounds).coverage()["conversions"]

    want = won(start="2025-11-01", end="2026-11-01")
    assert want > 0
    assert won(start=Month("2025-11"), end=Month("2026-10")) == want
    assert won(start=pd.Period("2025-11", "M"), end=pd.Period("2026-10", "M")) == want
    assert won(start="2025-11", end=utc("2026-11-01")) == want
    # a month written another way starts on its first day, as before (it was refused with
    # advice for an end: "give ... the day after it")
    for month in ("2025/11", "November 2025", np.datetime64("2025-11")):
        assert won(start=month, end="2026-11-01") == want
    with pytest.raises(ValueError, match="got 'November', which names no full date"):
        won(start="November", end="2026-11-01")  # no year: it was the year 1
    with pytest.raises(ValueError, match=r"^start '01/10/2026' reads as a day or a month first"):
        won(start="01/10/2026", end="2026-11-01")
    with pytest.raises(ValueError, match=r"^end must be a date or time, got '2026-10'"):
        won(start="2025-11-01", end="2026-10")
    assert at.period_label(Month("2025-11"), Month("2026-10")) == "2025-11-01 to 2026-10-31"
    spend = at.spend_by_channel(hubspot.spend, Month("2025-11"), Month("2026-10"), fx=FX)
    pd.testing.assert_frame_equal(
        spend, at.spend_by_channel(hubspot.spend, "2025-11-01", "2026-11-01", fx=FX)
    )


def test_engagement_points_match_touches_of_a_crm_with_integer_contact_ids(hubspot):
    """A CRM whose contact ids are integers (built by hand) got 0 engagement points for every
    lead once lead ids were read as text."""
    leads = sc.lead_features(hubspot, as_of=Month("2026-10").end)
    want = sc.rule_based_score(hubspot, leads)["engagement_points"]
    as_int = {
        t: getattr(hubspot, t).assign(contact_id=lambda f: f["contact_id"].astype("Int64"))
        for t in ("contacts", "touchpoints", "activities")
    }
    crm = dataclasses.replace(hubspot, **as_int)
    got = sc.rule_based_score(crm, sc.lead_features(crm, as_of=Month("2026-10").end))
    assert want.sum() > 0
    np.testing.assert_allclose(got["engagement_points"].to_numpy(), want.to_numpy())
    touches = crm.touchpoints.assign(contact_id=crm.touchpoints["contact_id"].astype("float64"))
    floats = sc.rule_based_score(dataclasses.replace(crm, touchpoints=touches), leads)
    np.testing.assert_allclose(floats["engagement_points"].to_numpy(), want.to_numpy())
