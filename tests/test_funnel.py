"""The lifecycle funnel: stage skipping, as-of cut-offs, periods, cohorts, velocity, breakdowns,
and the acceptance test against the synthetic generator's truth on a loaded (messy) export."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smk
from smk import config, funnel
from smk.model import make_table
from smk.synth import Synthetic, synthesize, write_export

ORDER = ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist"]


def ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC") if text else pd.NaT


def make_contacts(rows: list[dict]) -> pd.DataFrame:
    """A canonical contacts table from a few dicts (stage dates as text, UTC)."""
    return make_table("contacts", rows)


# ------------------------------------------------------------------------------ synthetic truth
@pytest.fixture(scope="module")
def synth() -> Synthetic:
    return synthesize(n_contacts=2000, months=12, seed=11)


@pytest.fixture(scope="module")
def export(synth, tmp_path_factory) -> Path:
    return write_export(synth, tmp_path_factory.mktemp("hubspot"), format="hubspot", seed=3)


@pytest.fixture(scope="module")
def loaded(export) -> smk.CRM:
    return smk.load(export)


def _reached(truth: pd.DataFrame) -> pd.Series:
    return truth["reached_stage"].map({s: i for i, s in enumerate(ORDER)}).fillna(-1)


def test_funnel_counts_on_the_loaded_export_equal_the_generators_reached_stages(synth, loaded):
    truth = synth.truth["contacts"]
    rank = _reached(truth)
    counts = funnel.funnel_counts(loaded.contacts, as_of=synth.end).set_index("stage")
    for i, stage in enumerate(funnel.FUNNEL_STAGES):
        assert counts.loc[stage, "contacts"] == int((rank >= i).sum()), stage
    # the messy export adds merged duplicate contacts; they must not add to the funnel
    assert counts.loc["subscriber", "contacts"] == len(synth.crm.contacts)


def test_skipped_stages_on_the_loaded_export_equal_the_generators_designed_skips(synth, loaded):
    truth = synth.truth["contacts"]
    rank = _reached(truth)
    counts = funnel.funnel_counts(loaded.contacts, as_of=synth.end).set_index("stage")
    sales_sourced = truth["sales_sourced"].astype(bool) & (rank >= ORDER.index("sql"))
    mql_to_opportunity = truth["skipped_sql"].astype(bool) & (rank >= ORDER.index("opportunity"))
    assert sales_sourced.sum() > 0 and mql_to_opportunity.sum() > 0
    assert counts.loc["mql", "skipped"] == int(sales_sourced.sum())
    assert counts.loc["sql", "skipped"] == int(mql_to_opportunity.sum())
    entries = funnel.stage_entry_dates(loaded.contacts, synth.end)
    skipped_ids = set(loaded.contacts.loc[entries["skipped_mql"], "contact_id"])
    assert skipped_ids == set(truth.loc[sales_sourced, "contact_id"])


def test_mqls_entering_each_month_equal_the_truths_mql_dates(synth, loaded):
    truth = synth.truth["contacts"]
    truth_months = truth["became_mql_at"].dropna().dt.strftime("%Y-%m").value_counts()
    entries = funnel.stage_entry_dates(loaded.contacts, synth.end)
    for month, expected in truth_months.items():
        counts = funnel.funnel_counts(loaded.contacts, month=month, entries=entries)
        row = counts.set_index("stage").loc["mql"]
        # the month view also counts sales-sourced leads at their SQL date, shown as skipped
        assert row["contacts"] - row["skipped"] == expected, month


# ------------------------------------------------------------------------------ stage skipping
@pytest.fixture
def skippers() -> pd.DataFrame:
    return make_contacts(
        [
            {  # lead straight to customer
                "contact_id": "c1",
                "created_at": "2026-01-01",
                "lifecycle_stage": "customer",
                "became_lead_at": "2026-01-02",
                "became_customer_at": "2026-03-10",
                "owner_id": "o1",
                "original_source": "paid_search",
            },
            {  # the full way to SQL
                "contact_id": "c2",
                "created_at": "2026-01-01",
                "lifecycle_stage": "sql",
                "became_subscriber_at": "2026-01-01",
                "became_lead_at": "2026-01-05",
                "became_mql_at": "2026-02-01",
                "became_sql_at": "2026-02-03",
                "owner_id": "o2",
                "original_source": "email",
            },
            {  # an evangelist without a customer date
                "contact_id": "c3",
                "created_at": "2026-01-01",
                "lifecycle_stage": "evangelist",
                "became_lead_at": "2026-01-03",
                "became_evangelist_at": "2026-04-01",
                "owner_id": "o1",
                "original_source": "referral",
            },
            {  # an import without history: customer, no stage date at all
                "contact_id": "c4",
                "created_at": "2026-02-15",
                "lifecycle_stage": "customer",
                "owner_id": "o2",
                "original_source": "offline",
            },
            {  # only a subscriber
                "contact_id": "c5",
                "created_at": "2026-01-10",
                "lifecycle_stage": "subscriber",
                "became_subscriber_at": "2026-01-10",
                "owner_id": "o2",
            },
            {  # outside the funnel
                "contact_id": "c6",
                "created_at": "2026-01-10",
                "lifecycle_stage": "other",
            },
        ]
    )


def test_lead_straight_to_customer_counts_in_every_stage_in_between(skippers):
    entries = funnel.stage_entry_dates(skippers).set_index(skippers["contact_id"])
    row = entries.loc["c1"]
    for stage in ("mql", "sql", "opportunity"):
        assert row[stage] == ts("2026-03-10"), stage
        assert row[f"skipped_{stage}"], stage
    assert row["lead"] == ts("2026-01-02") and not row["skipped_lead"]
    assert row["furthest_stage"] == "customer"


def test_evangelist_without_customer_date_is_a_customer_from_that_date(skippers):
    entries = funnel.stage_entry_dates(skippers).set_index(skippers["contact_id"])
    assert entries.loc["c3", "customer"] == ts("2026-04-01")
    assert entries.loc["c3", "furthest_stage"] == "customer"


def test_lifecycle_stage_without_dates_counts_from_creation(skippers):
    entries = funnel.stage_entry_dates(skippers).set_index(skippers["contact_id"])
    assert entries.loc["c4", "customer"] == ts("2026-02-15")
    assert entries.loc["c4", "lead"] == ts("2026-02-15")
    assert pd.isna(entries.loc["c6", "subscriber"])
    assert pd.isna(entries.loc["c6", "furthest_stage"])


def test_funnel_counts_include_skipping_contacts_and_say_how_many_skipped(skippers):
    counts = funnel.funnel_counts(skippers).set_index("stage")
    assert counts["contacts"].tolist() == [5, 4, 4, 4, 3, 3]
    assert counts.loc["mql", "skipped"] == 3  # c1, c3, c4
    assert counts.loc["sql", "skipped"] == 3
    assert counts.loc["lead", "ratio_to_previous"] == pytest.approx(4 / 5)
    assert pd.isna(counts.loc["subscriber", "ratio_to_previous"])


def test_as_of_ignores_stages_reached_later(skippers):
    counts = funnel.funnel_counts(skippers, as_of="2026-03-01").set_index("stage")
    # c1 reaches customer on 2026-03-10 and c3 on 2026-04-01: not yet by March 1st
    assert counts.loc["customer", "contacts"] == 1  # c4 only
    assert counts.loc["mql", "contacts"] == 2  # c2, c4


def test_an_undated_stage_after_as_of_is_not_imputed_from_the_current_lifecycle():
    contacts = make_contacts(
        [
            {
                "contact_id": "x",
                "created_at": "2026-01-01",
                "lifecycle_stage": "customer",
                "became_lead_at": "2026-01-02",
                "became_customer_at": "2026-05-01",
            }
        ]
    )
    entries = funnel.stage_entry_dates(contacts, as_of="2026-03-01")
    assert entries.loc[0, "furthest_stage"] == "lead"
    assert pd.isna(entries.loc[0, "customer"])


def test_out_of_order_dates_give_monotone_entry_dates():
    contacts = make_contacts(
        [
            {
                "contact_id": "x",
                "created_at": "2026-01-01",
                "became_lead_at": "2026-01-02",
                "became_mql_at": "2026-02-10",  # recorded after the SQL date
                "became_sql_at": "2026-02-01",
            }
        ]
    )
    entries = funnel.stage_entry_dates(contacts)
    assert entries.loc[0, "mql"] == ts("2026-02-01")
    assert entries.loc[0, "lead"] <= entries.loc[0, "mql"] <= entries.loc[0, "sql"]


def test_month_view_counts_contacts_entering_each_stage_in_that_month(skippers):
    counts = funnel.funnel_counts(skippers, month="2026-02").set_index("stage")
    # February: c2 becomes MQL and SQL; c4 (created Feb 15) enters every stage up to customer
    assert counts.loc["mql", "contacts"] == 2
    assert counts.loc["customer", "contacts"] == 1
    assert counts.loc["lead", "contacts"] == 1


def test_a_month_without_data_gives_a_clear_message_not_a_division_by_zero(skippers):
    counts = funnel.funnel_counts(skippers, month="2024-05")
    assert counts["contacts"].sum() == 0 and counts["ratio_to_previous"].isna().all()
    why = funnel.no_entries_text(skippers, counts, "2024-05")
    assert why.startswith("no contact entered the funnel in 2024-05") and "choose a month" in why


def test_a_month_inside_the_data_without_entries_states_the_real_range_of_stage_dates():
    # stage dates in August and October: September is empty, though inside the range; the
    # range must not be read from entry dates already cut at September's end
    contacts = make_contacts(
        [
            {"contact_id": "h1", "created_at": "2026-08-03", "lifecycle_stage": "mql",
             "became_lead_at": "2026-08-03", "became_mql_at": "2026-08-04"},
            {"contact_id": "h2", "created_at": "2026-10-03", "lifecycle_stage": "mql",
             "became_lead_at": "2026-10-03", "became_mql_at": "2026-10-04"},
        ]
    )  # fmt: skip
    september = funnel.funnel_counts(contacts, month="2026-09")
    message = funnel.no_entries_text(contacts, september, "2026-09")
    assert "stage dates run from 2026-08-03 to 2026-10-04" in message
    assert "none of them in 2026-09" in message and "choose a month" not in message
    december = funnel.funnel_counts(contacts, month="2026-12")
    message = funnel.no_entries_text(contacts, december, "2026-12")
    assert "2026-08-03 to 2026-10-04): choose a month" in message


def test_mql_entry_date_is_the_funnels_mql_entry_and_says_when_it_is_inferred():
    contacts = make_contacts(
        [
            {"contact_id": "recorded", "created_at": "2026-10-01",
             "became_lead_at": "2026-10-01", "became_mql_at": "2026-10-06"},
            {"contact_id": "skipped", "created_at": "2026-10-05",  # lead straight to SQL
             "became_lead_at": "2026-10-05", "became_sql_at": "2026-10-10"},
            {"contact_id": "out_of_order", "created_at": "2026-10-02",
             "became_lead_at": "2026-10-02", "became_mql_at": "2026-11-02",
             "became_sql_at": "2026-10-20"},
            {"contact_id": "stage_only", "created_at": "2026-10-03", "lifecycle_stage": "mql"},
            {"contact_id": "lead", "created_at": "2026-10-03", "became_lead_at": "2026-10-03"},
        ]
    )  # fmt: skip
    for as_of in (None, "2026-11-01", "2026-12-01"):
        entries = funnel.stage_entry_dates(contacts, as_of)
        got = funnel.mql_entry_dates(contacts, as_of).set_index(contacts["contact_id"])
        assert got["mql_at"].tolist() == entries["mql"].tolist()  # the same dates, by definition
        assert got["mql_at"].to_dict() == {
            "recorded": ts("2026-10-06"),
            "skipped": ts("2026-10-10"),
            "out_of_order": ts("2026-10-20"),  # SQL 20 Oct, MQL recorded 2 Nov
            "stage_only": ts("2026-10-03"),  # its creation
            "lead": pd.NaT,
        }
        assert got["mql_date_inferred"].to_dict() == {
            "recorded": False,
            "skipped": True,
            "out_of_order": True,
            "stage_only": True,
            "lead": False,
        }
        october = funnel.funnel_counts(contacts, month="2026-10", as_of=as_of, entries=entries)
        assert october.set_index("stage").loc["mql", "contacts"] == 4
    early = funnel.mql_entry_dates(contacts, "2026-10-08").set_index(contacts["contact_id"])
    assert early["mql_at"].notna().tolist() == [True, False, False, True, False]


def test_breakdown_by_owner_adds_up_to_the_total(skippers):
    total = funnel.funnel_counts(skippers).set_index("stage")["contacts"]
    by_owner = funnel.funnel_counts(skippers, by="owner_id")
    summed = by_owner.groupby("stage")["contacts"].sum()
    assert (summed.reindex(total.index) == total).all()
    wide = funnel.funnel_wide(by_owner)
    assert wide.loc["o1", "Customer"] == 2


def test_segments_plug_in_by_account_or_contact_id(skippers):
    contacts = skippers.copy()
    contacts["account_id"] = pd.Series(["a1", "a1", "a2", "a2", "a2", "a3"], dtype="string")
    by_account = funnel.funnel_counts(contacts, by="segment", segments={"a1": "smb", "a2": "ent"})
    by_contact = funnel.funnel_counts(
        contacts,
        by="segment",
        segments=pd.Series({"c1": "smb", "c2": "smb", "c3": "ent", "c4": "ent", "c5": "ent"}),
    )
    for table in (by_account, by_contact):
        customers = table[table["stage"] == "customer"].set_index("segment")["contacts"]
        assert customers["smb"] == 1 and customers["ent"] == 2


def test_segment_of_leaves_the_callers_series_alone():
    contacts = make_contacts([{"contact_id": "1", "created_at": "2026-10-01"}])
    segments = pd.Series(["A"], index=pd.Index([1]))
    assert funnel.segment_of(contacts, segments).tolist() == ["A"]
    pd.testing.assert_series_equal(segments, pd.Series(["A"], index=pd.Index([1])))


def test_aida_maps_marketing_to_attention_interest_desire_and_sales_to_action(skippers):
    aida = funnel.aida_summary(funnel.funnel_counts(skippers)).set_index("phase")
    assert list(aida.index) == ["Attention", "Interest", "Desire", "Action"]
    assert aida.loc["Desire", "owner"] == "marketing" and aida.loc["Action", "owner"] == "sales"
    assert aida.loc["Action", "contacts"] == 4  # entered SQL


# ------------------------------------------------------------------------------ velocity, cohorts
def test_velocity_uses_only_contacts_with_both_dates():
    rows = []
    for i, days in enumerate([1, 2, 3, 4, 10]):
        mql = pd.Timestamp("2026-01-01", tz="UTC")
        rows.append(
            {
                "contact_id": f"c{i}",
                "created_at": "2025-12-31",
                "became_lead_at": "2025-12-31",
                "became_mql_at": str(mql),
                "became_sql_at": str(mql + pd.Timedelta(days=days)),
            }
        )
    rows.append(  # sales-sourced: lead straight to SQL, no MQL -> SQL duration
        {
            "contact_id": "s",
            "created_at": "2025-12-01",
            "became_lead_at": "2025-12-01",
            "became_sql_at": "2026-03-01",
        }
    )
    vel = funnel.velocity(make_contacts(rows)).set_index(["from_stage", "to_stage"])
    row = vel.loc[("mql", "sql")]
    assert row["contacts"] == 5
    assert row["median_days"] == pytest.approx(3.0)
    assert row["p80_days"] == pytest.approx(np.quantile([1, 2, 3, 4, 10], 0.8))
    assert vel.loc[("opportunity", "customer"), "contacts"] == 0


def test_velocity_counts_the_contacts_it_leaves_out_for_dates_out_of_order():
    """An import with historical stage dates: MQL after SQL is no time to measure, left out
    and counted, not dropped silently (a "0 contacts" row while contacts hold both dates)."""
    rows = []
    for i, (mql, sql) in enumerate(
        [("2026-01-05", "2026-01-01"), ("2026-01-09", "2026-01-02"), ("2026-01-01", "2026-01-03")]
    ):
        rows.append(
            {
                "contact_id": f"c{i}",
                "created_at": "2025-12-31",
                "became_lead_at": "2025-12-31",
                "became_mql_at": mql,
                "became_sql_at": sql,
                "country": "DE" if i < 2 else "FR",
            }
        )
    contacts = make_contacts(rows)
    vel = funnel.velocity(contacts).set_index(["from_stage", "to_stage"])
    assert vel.loc[("mql", "sql"), "contacts"] == 1
    assert vel.loc[("mql", "sql"), "median_days"] == pytest.approx(2.0)
    assert vel.loc[("mql", "sql"), "dates_out_of_order"] == 2
    assert vel.loc[("lead", "mql"), "dates_out_of_order"] == 0
    by = funnel.velocity(contacts, by="country").set_index(["country", "from_stage", "to_stage"])
    assert by.loc[("DE", "mql", "sql"), ["contacts", "dates_out_of_order"]].tolist() == [0, 2]
    assert by.loc[("FR", "mql", "sql"), ["contacts", "dates_out_of_order"]].tolist() == [1, 0]


def test_recent_cohorts_are_flagged_immature_not_read_as_a_drop():
    rows = []
    for month in ("2026-01", "2026-06"):
        for i in range(4):
            mql = pd.Timestamp(f"{month}-10", tz="UTC")
            rows.append(
                {
                    "contact_id": f"{month}-{i}",
                    "created_at": str(mql - pd.Timedelta(days=1)),
                    "became_lead_at": str(mql - pd.Timedelta(days=1)),
                    "became_mql_at": str(mql),
                    # January's MQLs converted after 40 days; June's have not had the time
                    "became_sql_at": str(mql + pd.Timedelta(days=40))
                    if month == "2026-01"
                    else None,
                }
            )
    cohorts = funnel.cohort_conversion(
        make_contacts(rows), as_of="2026-07-01", transitions=(("mql", "sql"),)
    ).set_index("cohort")
    assert cohorts.loc["2026-01", "rate"] == 1.0 and cohorts.loc["2026-01", "mature"]
    assert cohorts.loc["2026-06", "rate"] == 0.0 and not cohorts.loc["2026-06", "mature"]
    assert cohorts.loc["2026-06", "maturity_days"] == pytest.approx(40.0)
    table = funnel.cohort_table(cohorts.reset_index())
    assert table.loc["2026-06"].iloc[0].endswith("*")


def test_empty_groups_give_nan_conversion_without_warnings(skippers):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = funnel.funnel_counts(skippers, by="original_source")
    unknown = counts[counts["original_source"] == funnel.UNKNOWN].set_index("stage")
    assert unknown.loc["lead", "contacts"] == 0  # c5 is only a subscriber
    assert pd.isna(unknown.loc["mql", "ratio_to_previous"])
    assert np.isfinite(counts["ratio_to_previous"].dropna()).all()


def test_contacts_in_stage_lists_the_contacts_behind_a_count(skippers):
    counts = funnel.funnel_counts(skippers, month="2026-02").set_index("stage")
    behind = funnel.contacts_in_stage(skippers, "mql", month="2026-02")
    assert len(behind) == counts.loc["mql", "contacts"]
    assert set(behind["contact_id"]) == {"c2", "c4"}
    assert "email" not in behind.columns


def test_funnel_counts_on_the_bundled_sample_equal_its_truth():
    folder = config.SAMPLE_HUBSPOT
    crm = smk.load(folder)
    truth = pd.read_csv(folder / "truth" / "contacts.csv", dtype={"reached_stage": "string"})
    end = pd.Timestamp(json.loads((folder / "truth" / "params.json").read_text())["end"])
    counts = funnel.funnel_counts(crm.contacts, as_of=end).set_index("stage")
    rank = _reached(truth)
    for i, stage in enumerate(funnel.FUNNEL_STAGES):
        assert counts.loc[stage, "contacts"] == int((rank >= i).sum()), stage
    sales_sourced = truth["sales_sourced"].astype(bool) & (rank >= ORDER.index("sql"))
    assert counts.loc["mql", "skipped"] == int(sales_sourced.sum())


def test_segments_given_as_the_table_assign_returns_are_read_by_its_id_column(skippers):
    """`funnel_counts(by="segment", segments=seg.assign(F))` failed in pandas ("Cannot
    construct a Series from a DataFrame")."""
    contacts = skippers.copy()
    contacts["account_id"] = pd.Series(["a1", "a1", "a2", "a2", "a2", "a3"], dtype="string")
    table = pd.DataFrame({"account_id": ["a2", "a1"], "segment": [2, 1]})  # as `assign` gives
    as_series = funnel.funnel_counts(contacts, by="segment", segments={"a1": 1, "a2": 2})
    as_table = funnel.funnel_counts(contacts, by="segment", segments=table)
    pd.testing.assert_frame_equal(as_table, as_series)
    assert set(as_table["segment"]) == {"1", "2", funnel.UNKNOWN}
    with pytest.raises(ValueError, match=r"key='contact_id', but the segments table is keyed"):
        funnel.segment_of(contacts, table, key="contact_id")
    with pytest.raises(ValueError, match=r"the segments table needs a contact_id or account_id"):
        funnel.funnel_counts(contacts, by="segment", segments=table.set_index("account_id"))


def test_an_id_given_two_segments_is_refused_and_whole_float_segments_read_as_integers(tmp_path):
    """An account listed twice with segments 1 and 2 took the first silently; a float segment
    column (a missing segment makes integers floats) showed segment "1.0"."""
    contacts = make_contacts(
        [{"contact_id": c, "created_at": "2026-10-01"} for c in ("c1", "c2", "c3")]
    )
    contacts["account_id"] = pd.Series(["a1", "a1", "a2"], dtype="string")
    conflicting = pd.DataFrame({"account_id": ["a1", "a2", "a1"], "segment": [1, 3, 2]})
    refusal = r"^the segments: 1 account_id value\(s\) with more than one segment, e\.g\. "
    with pytest.raises(ValueError, match=refusal + r"account_id a1: 1, 2; give each account_id"):
        funnel.segment_of(contacts, conflicting)
    as_series = pd.Series(["x", "y"], index=["c2", "c2"])  # one rule for a Series
    with pytest.raises(ValueError, match=r"contact_id value\(s\) .* contact_id c2: x, y"):
        funnel.segment_of(contacts, as_series, key="contact_id")
    csv = tmp_path / "segments.csv"
    csv.write_text("account_id,segment\na1,1\na1,2\n")
    with pytest.raises(ValueError, match=f"^{csv}: 1 account_id value"):
        funnel.read_segments(csv)
    repeated = pd.DataFrame({"account_id": ["a1", "a1", "a2"], "segment": [1, 1, 3]})
    assert funnel.segment_of(contacts, repeated).tolist() == ["1", "1", "3"]
    floats = pd.DataFrame({"account_id": ["a1", "a2", "a3"], "segment": [1.0, float("nan"), 2.5]})
    assert funnel.segment_of(contacts, floats).tolist() == ["1", "1", funnel.UNKNOWN]
    assert funnel.segment_of(contacts, {"a1": 2.5, "a2": 3.0}).tolist() == ["2.5", "2.5", "3"]
