"""The synthetic CRM generator: determinism, schema, funnel logic, ground truth and round trips.

A synthetic export written with deliberate mess must load back (through the real loaders) to
exactly the synthetic tables minus the rows it spoiled, and every spoiled row must be set
aside with the expected reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smk
from smk.io.canonical import write_canonical
from smk.io.hubspot import write_hubspot
from smk.model import PRIMARY_KEYS, SCHEMA, STAGE_DATE_COLUMNS, TABLES, dtype_of
from smk.synth import PARAMS, Synthetic, synthesize, write_export

N = 1000


@pytest.fixture(scope="module")
def synth() -> Synthetic:
    return synthesize(n_contacts=N, months=12, seed=7)


@pytest.fixture(scope="module")
def hubspot_export(synth, tmp_path_factory) -> Path:
    return write_export(synth, tmp_path_factory.mktemp("hubspot"), format="hubspot", seed=3)


@pytest.fixture(scope="module")
def hubspot_crm(hubspot_export) -> smk.CRM:
    return smk.load(hubspot_export)


@pytest.fixture(scope="module")
def canonical_export(synth, tmp_path_factory) -> Path:
    return write_export(synth, tmp_path_factory.mktemp("canonical"), format="canonical", seed=3)


def _spoiled(export: Path) -> pd.DataFrame:
    return pd.read_csv(export / "truth" / "spoiled.csv", dtype="string", keep_default_na=False)


def _sort(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    cols = list(SCHEMA[table])
    key = PRIMARY_KEYS[table] or ["month", "channel", "campaign"]
    return frame[cols].sort_values(key).reset_index(drop=True)


def _assert_round_trip(synth: Synthetic, crm: smk.CRM, spoiled: pd.DataFrame) -> None:
    for table in TABLES:
        expected = getattr(synth.crm, table)
        key = PRIMARY_KEYS[table]
        if key:
            removed = spoiled.loc[
                (spoiled["table"] == table) & (spoiled["effect"] == "removed"), "id"
            ]
            expected = expected[~expected[key].isin(set(removed))]
        pd.testing.assert_frame_equal(
            _sort(getattr(crm, table), table), _sort(expected, table), obj=table
        )


def _assert_spoiled_set_aside(crm: smk.CRM, spoiled: pd.DataFrame) -> None:
    assert len(spoiled) >= 10
    for row in spoiled.itertuples():
        aside = crm.quality.set_aside(row.table)
        hit = aside[(aside["_file"] == row.file) & (aside["_row"].astype(str) == row.row)]
        assert len(hit) == 1, f"{row.table} {row.file}:{row.row} was not set aside"
        assert hit["_reason"].iloc[0] == row.reason
        if row.id:
            key = PRIMARY_KEYS[row.table]
            assert hit[key].iloc[0] == row.id
    # nothing else was set aside
    total = sum(crm.quality.account(t).n_set_aside for t in TABLES)
    assert total == len(spoiled)


# ------------------------------------------------------------------ generator
def test_same_seed_gives_identical_frames_and_other_seed_differs():
    a, b = synthesize(400, seed=11), synthesize(400, seed=11)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a.crm, table), getattr(b.crm, table))
    for name in a.truth:
        pd.testing.assert_frame_equal(a.truth[name], b.truth[name])
    c = synthesize(400, seed=12)
    assert not c.crm.contacts["created_at"].equals(a.crm.contacts["created_at"])
    assert not c.crm.touchpoints.equals(a.crm.touchpoints)


def test_tables_have_the_schema_columns_and_dtypes(synth):
    for table in TABLES:
        frame = getattr(synth.crm, table)
        assert list(frame.columns) == list(SCHEMA[table]), table
        for col, kind in SCHEMA[table].items():
            assert str(frame[col].dtype) == str(pd.Series(dtype=dtype_of(kind)).dtype), (
                f"{table}.{col}: {frame[col].dtype}"
            )
        assert len(frame) > 0, table
    assert synth.crm.quality.tables == {}


def test_volumes_are_realistic(synth):
    crm = synth.crm
    assert len(crm.contacts) == N
    assert abs(len(crm.accounts) - N / 3) <= 1
    assert 8 <= len(crm.touchpoints) / N <= 12
    assert set(crm.touchpoints["channel"].unique()) == {c.name for c in PARAMS.channels}
    assert set(crm.activities["type"].unique()) == {"call", "email", "meeting", "task"}
    assert crm.contacts["owner_id"].nunique() == len(PARAMS.owners)
    assert crm.contacts["email"].is_unique
    assert crm.contacts["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@[a-z-]+\.test").all()


def test_stage_dates_are_ordered_and_after_creation(synth):
    c = synth.crm.contacts
    previous = c["created_at"]
    for col in STAGE_DATE_COLUMNS.values():
        dates = c[col]
        assert (dates.isna() | (dates > c["created_at"])).all(), col
        ok = dates.isna() | previous.isna() | (dates > previous)
        assert ok.all(), col
        previous = dates.fillna(previous)
    assert (c[list(STAGE_DATE_COLUMNS.values())].max(axis=1) <= synth.end).all()


def test_lifecycle_stage_is_the_furthest_stage_reached_and_stages_get_skipped(synth):
    c = synth.crm.contacts
    furthest = pd.Series(pd.NA, index=c.index, dtype="string")
    for stage, col in STAGE_DATE_COLUMNS.items():
        furthest = furthest.mask(c[col].notna(), stage)
    assert (furthest == c["lifecycle_stage"]).all()
    lead_to_sql = c["became_sql_at"].notna() & c["became_mql_at"].isna()
    assert lead_to_sql.sum() > 0


def test_deals_are_consistent_with_customers(synth):
    d, c = synth.crm.deals, synth.crm.contacts.set_index("contact_id")
    assert d["contact_id"].is_unique
    customer = c.loc[d["contact_id"], "became_customer_at"].notna().to_numpy()
    assert (d["is_won"].to_numpy() == customer).all()
    assert (d["is_closed"] | ~d["is_won"]).all()
    assert (d["closed_at"].notna() == d["is_closed"]).all()
    assert (d["closed_at"].isna() | (d["closed_at"] >= d["created_at"])).all()
    lost = d["is_closed"] & ~d["is_won"]
    assert d.loc[lost, "lost_reason"].notna().all() and d.loc[~lost, "lost_reason"].isna().all()
    assert (d.loc[d["is_won"], "stage"] == "Closed Won").all()
    assert set(d["currency"]) == {"EUR", "USD"} and (d["amount"] > 0).all()
    assert set(d["pipeline"]) == {"default", "new business"}
    assert d["product"].nunique() == 3


def test_original_source_is_the_first_touch_and_touches_precede_the_cutoff(synth):
    tp = synth.crm.touchpoints.sort_values(["contact_id", "occurred_at", "touchpoint_id"])
    first = tp.drop_duplicates("contact_id").set_index("contact_id")["channel"]
    c = synth.crm.contacts.set_index("contact_id")
    assert (first.reindex(c.index) == c["original_source"]).all()
    assert (tp["occurred_at"] <= synth.end).all()
    assert (tp["occurred_at"].dt.second == 0).all()


def test_touches_of_a_contacts_first_two_weeks_do_not_grow_near_the_cutoff():
    """A contact's touches are drawn over its whole touching window and those after the
    cut-off dropped, not squeezed into the days before it: a lead created in the export's
    last weeks has as many touches in its (fully observed) first two weeks as any other."""
    s = synthesize(6000, seed=3)
    c = s.crm.contacts.set_index("contact_id")
    tp = s.crm.touchpoints
    age = tp["occurred_at"] - tp["contact_id"].map(c["created_at"])
    first_two_weeks = tp[(age >= pd.Timedelta(0)) & (age < pd.Timedelta(days=14))]
    touches = first_two_weeks.groupby("contact_id").size().reindex(c.index, fill_value=0)
    days_left = (s.end - c["created_at"]).dt.days
    late = touches[(days_left >= 14) & (days_left < 60)].mean()
    earlier = touches[days_left >= 120].mean()
    assert late == pytest.approx(earlier, rel=0.1)
    assert (tp["occurred_at"] <= s.end).all()


def test_first_activity_follows_the_mql_and_slow_owners_are_slower(synth):
    truth = synth.truth["contacts"]
    worked = truth["first_sales_activity_at"].notna() & truth["became_mql_at"].notna()
    assert (truth.loc[worked, "first_sales_activity_at"] > truth.loc[worked, "became_mql_at"]).all()
    acts = synth.crm.activities.groupby("contact_id")["occurred_at"].min()
    first = truth.set_index("contact_id")["first_sales_activity_at"].dropna()
    assert (acts.reindex(first.index) == first).all()
    owners = synth.truth["owners"].set_index("owner_id")
    assert (
        owners.loc["owner-08", "median_hours_to_first_activity"]
        > 5 * owners.loc["owner-01", "median_hours_to_first_activity"]
    )
    sla = synth.truth["sla"]
    assert sla["mqls"].sum() == synth.crm.contacts["became_mql_at"].notna().sum()
    assert sla["leaked"].sum() == truth["leaked"].sum() > 0


def test_true_probability_follows_the_logistic_model(synth):
    truth = synth.truth["contacts"]
    p = truth["true_conversion_probability"]
    assert p.between(0, 1).all() and p.nunique() > 50
    assert abs(truth["will_convert"].mean() - p.mean()) < 4 * np.sqrt(p.mean() / N)
    assert (truth["converted"] <= truth["will_convert"]).all()
    by_segment = truth.groupby("latent_segment")["true_conversion_probability"].mean()
    assert by_segment["enterprise_software"] > by_segment["smb_retail"]
    accounts = synth.truth["accounts"]
    assert set(accounts["account_id"]) == set(synth.crm.accounts["account_id"])


def test_true_probability_is_known_a_week_after_creation(synth):
    """p depends only on what a lead score can see when it scores a lead after a week: the
    segment (through the industry), the job title and the channels touched so far."""
    c = synth.crm.contacts.set_index("contact_id")
    tp = synth.crm.touchpoints
    week = tp["contact_id"].map(c["created_at"]) + pd.Timedelta(days=7)
    early = tp[tp["occurred_at"] < week]
    seen = early.groupby("contact_id")["channel"].agg(lambda s: ",".join(sorted(set(s))))
    assert set(tp["contact_id"]) == set(seen.index)  # every exposed channel shows in week one
    everything = tp.groupby("contact_id")["channel"].agg(lambda s: ",".join(sorted(set(s))))
    assert (seen == everything.reindex(seen.index)).all()
    truth = synth.truth["contacts"].set_index("contact_id")
    industry = c["account_id"].map(synth.crm.accounts.set_index("account_id")["industry"])
    groups = pd.DataFrame(
        {"industry": industry, "title": c["job_title"], "seen": seen.reindex(c.index)}
    )
    spread = (
        truth["true_conversion_probability"]
        .groupby([groups[k] for k in groups])
        .agg(lambda s: s.max() - s.min())
    )
    assert len(spread) > 50 and spread.max() < 1e-12


def test_channel_effects_have_distinct_values_and_follow_the_lifts(synth):
    eff = synth.truth["channel_effects"]
    assert list(eff["channel"]) == [c.name for c in PARAMS.channels]
    assert eff["logit_lift"].is_unique and eff["incremental_share"].is_unique
    assert (eff["incremental_share"] > 0).all()
    assert eff["share_of_incremental"].sum() == pytest.approx(1.0)
    # removing a larger lift from the same exposure loses more conversions
    per_exposed = eff["incremental_conversions"] / eff["exposed_contacts"]
    assert per_exposed.rank().tolist() == eff["logit_lift"].rank().tolist()


def test_contacts_grow_over_the_months_and_dip_at_weekends():
    created = synthesize(4000, seed=2).crm.contacts["created_at"]
    weekend = created.dt.day_of_week >= 5
    assert weekend.mean() < 0.5 * 2 / 7  # quiet weekends
    by_month = created.dt.tz_localize(None).dt.to_period("M").value_counts().sort_index()
    assert len(by_month) == 12
    assert by_month.iloc[-3:].mean() > 1.2 * by_month.iloc[:3].mean()  # growth
    assert (created.dt.second == 0).all() and created.is_monotonic_increasing


# ------------------------------------------------------------------ exports and round trips
def test_hubspot_export_has_ui_file_names_and_labels(hubspot_export):
    names = {p.name for p in hubspot_export.iterdir() if p.is_file()}
    for view in ("contacts", "companies", "deals", "interactions", "calls", "emails"):
        assert f"hubspot-crm-exports-all-{view}-2026-11-01.csv" in names
    contacts = pd.read_csv(
        hubspot_export / "hubspot-crm-exports-all-contacts-2026-11-01.csv", dtype=str
    )
    for header in ("Record ID", "First Name", "Last Name", "Lifecycle Stage", "Create Date"):
        assert header in contacts.columns
    assert "Marketing Qualified Lead" in set(contacts["Lifecycle Stage"])
    assert "Organic Search" in set(contacts["Original Source"])
    assert contacts["Create Date"].dropna().str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    assert contacts["Associated Company IDs"].str.contains(";").sum() > 0
    deals = pd.read_csv(hubspot_export / "hubspot-crm-exports-all-deals-2026-11-01.csv", dtype=str)
    assert deals["Amount"].str.contains(",", regex=False).sum() > 0
    assert deals.iloc[-1].isna().all()  # the empty trailing row


def test_hubspot_round_trip_equals_synthetic_minus_spoiled_rows(synth, hubspot_export, hubspot_crm):
    assert hubspot_crm.format == "hubspot"  # detected from the file names
    _assert_round_trip(synth, hubspot_crm, _spoiled(hubspot_export))


def test_hubspot_spoiled_rows_are_set_aside_with_their_reason(hubspot_export, hubspot_crm):
    crm = hubspot_crm
    spoiled = _spoiled(hubspot_export)
    expected = {
        "unparseable occurred_at",
        "negative amount",
        "duplicate deal_id",
        "duplicate touchpoint_id",
        "unknown account_id",
        "closed_at before created_at",
        "empty row",
        "merged into contact with same email",
    }
    assert expected <= set(spoiled["reason"])
    _assert_spoiled_set_aside(crm, spoiled)


def test_canonical_round_trip_and_set_aside(synth, canonical_export):
    crm = smk.load(canonical_export)
    assert crm.format == "canonical"
    spoiled = _spoiled(canonical_export)
    _assert_round_trip(synth, crm, spoiled)
    _assert_spoiled_set_aside(crm, spoiled)


def test_canonical_parquet_round_trip_and_clean_export(synth, tmp_path):
    out = write_export(synth, tmp_path / "pq", format="canonical-parquet", seed=5)
    crm = smk.load(out, format="canonical")
    spoiled = _spoiled(out)
    _assert_round_trip(synth, crm, spoiled)
    _assert_spoiled_set_aside(crm, spoiled)
    clean = write_export(synth, tmp_path / "clean", format="canonical", mess=False)
    assert _spoiled(clean).empty
    crm = smk.load(clean)
    _assert_round_trip(synth, crm, _spoiled(clean))
    assert sum(crm.quality.account(t).n_set_aside for t in TABLES) == 0


def test_write_hubspot_and_write_canonical_round_trip_a_clean_crm(synth, hubspot_crm, tmp_path):
    paths = write_hubspot(synth.crm, tmp_path / "hs", export_date="2026-12-01")
    assert tmp_path / "hs" / "hubspot-crm-exports-all-deals-2026-12-01.csv" in paths
    crm = smk.load(tmp_path / "hs", format="hubspot")
    _assert_round_trip(synth, crm, _spoiled_none())
    # a loaded CRM (extra columns, _file/_row) writes back to the model's columns only
    for fmt in ("csv", "parquet"):
        paths = write_canonical(hubspot_crm, tmp_path / fmt, fmt=fmt)
        assert {p.stem for p in paths} == set(TABLES)
        again = smk.load(tmp_path / fmt, format="canonical")
        for table in TABLES:
            pd.testing.assert_frame_equal(
                _sort(getattr(again, table), table), _sort(getattr(hubspot_crm, table), table)
            )
        assert list(again.contacts.columns) == [*SCHEMA["contacts"], "_file", "_row"]


def _spoiled_none() -> pd.DataFrame:
    return pd.DataFrame({"table": [], "id": [], "effect": []}, dtype="string")


def test_truth_folder_is_written(hubspot_export):
    truth = hubspot_export / "truth"
    for name in ("contacts", "accounts", "channel_effects", "sla", "owners", "spoiled"):
        assert (truth / f"{name}.csv").exists(), name
    contacts = pd.read_csv(truth / "contacts.csv")
    assert {
        "contact_id",
        "true_conversion_probability",
        "latent_segment",
        "became_mql_at",
        "first_sales_activity_at",
        "converted",
    } <= set(contacts.columns)
    assert len(contacts) == N


def test_unknown_export_format_is_refused(synth, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        write_export(synth, tmp_path, format="pipedrive")


def test_salesforce_round_trip_keeps_ids_and_key_columns(tmp_path, salesforce_touchpoints):
    # write_salesforce cannot carry every column (subscriber dates, lead dates, source details,
    # the time of day of a close date), so the Salesforce round trip compares the ids and the
    # columns the format represents; of the touches, one campaign member per campaign and
    # person, not dated before its person was created (`salesforce_touchpoints`).
    synth = synthesize(n_contacts=500, seed=8)
    out = write_export(synth, tmp_path / "sf", format="salesforce", seed=3)
    crm = smk.load(out)
    assert crm.format == "salesforce"
    id_map = pd.read_csv(out / "truth" / "id_map.csv.gz", dtype="string")
    canonical = dict(zip(id_map["salesforce_id"], id_map["canonical_id"], strict=True))
    spoiled = _spoiled(out)
    key_columns = {
        "contacts": [
            "contact_id",
            "email",
            "created_at",
            "original_source",
            "owner_id",
            "country",
            "job_title",
            "became_mql_at",
            "became_opportunity_at",
        ],
        "accounts": list(SCHEMA["accounts"]),
        "deals": list(SCHEMA["deals"]),
        # a touch without a campaign becomes a member of a per-channel campaign
        "touchpoints": ["touchpoint_id", "contact_id", "occurred_at", "channel", "touch_type"],
        "activities": list(SCHEMA["activities"]),
    }
    for table, cols in key_columns.items():
        key = PRIMARY_KEYS[table]
        loaded = getattr(crm, table)[cols].copy()
        for col in cols:
            if SCHEMA[table][col] == "id":
                loaded[col] = loaded[col].map(canonical).astype("string").where(loaded[col].notna())
        expected = getattr(synth.crm, table)
        if table == "touchpoints":
            expected = salesforce_touchpoints(expected, synth.crm.contacts)
        removed = spoiled.loc[(spoiled["table"] == table) & (spoiled["effect"] == "removed"), "id"]
        expected = expected.loc[~expected[key].isin(set(removed)), cols].copy()
        if table == "deals":  # CloseDate is a date in Salesforce
            expected["closed_at"] = expected["closed_at"].dt.floor("D")
        if table == "contacts":  # from the person's loaded deals, not those spoiled
            deals = synth.crm.deals
            gone = spoiled.loc[(spoiled["table"] == "deals") & (spoiled["effect"] == "removed")]
            kept = deals[~deals["deal_id"].isin(set(gone["id"]))]
            first = kept.groupby("contact_id")["created_at"].min()
            expected["became_opportunity_at"] = expected["contact_id"].map(first)
        pd.testing.assert_frame_equal(
            loaded.sort_values(key).reset_index(drop=True),
            expected.sort_values(key).reset_index(drop=True),
            obj=table,
        )
    assert len(spoiled) >= 8
    for row in spoiled.itertuples():
        aside = crm.quality.set_aside(row.table)
        key = PRIMARY_KEYS[row.table]
        ids = aside[key].map(canonical)
        assert ((ids == row.id) & (aside["_reason"] == row.reason)).sum() == 1, row
