"""Mapping files and deals: stage dates from the loaded deals, stages a rule cannot tell,
deleted rows; and Pipedrive's planned activities (docs/mappings.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import funnel
from smk.errors import CRMExportError
from smk.io.mapping import builtin_mapping

FIXTURES = Path(__file__).parent / "fixtures"
PIPEDRIVE = builtin_mapping("pipedrive").path


def _zoho_example() -> str:
    """The Zoho mapping shown in docs/mappings.md, as a user would copy it."""
    doc = (Path(__file__).parents[1] / "docs" / "mappings.md").read_text(encoding="utf-8")
    return doc.split("```yaml\nname: zoho\n", 1)[1].split("```", 1)[0].join(["name: zoho\n", ""])


def _customers(crm: smk.CRM, month: str) -> int:
    counts = funnel.funnel_counts(crm.contacts, month).set_index("stage")["contacts"]
    return int(counts["customer"])


def _zoho(tmp_path: Path, stages: dict[str, str] | None = None) -> Path:
    """The Zoho fixture, its deals' stages renamed (`stages`)."""
    folder = tmp_path / "zoho"
    shutil.copytree(FIXTURES / "zoho", folder)
    deals = folder / "Deals_001.csv"
    text = deals.read_text(encoding="utf-8")
    for old, new in (stages or {}).items():
        text = text.replace(f",{old},", f",{new},", 1)
    deals.write_text(text, encoding="utf-8")
    (tmp_path / "zoho.yaml").write_text(_zoho_example(), encoding="utf-8")
    return folder


# ------------------------------------------------------------- stage dates from deals
def test_a_zoho_won_deal_makes_its_contact_a_customer_in_the_funnel(tmp_path):
    """Zoho writes no opportunity or customer date: the won deal's contact is a customer in
    the month the deal closed, an opportunity since the deal was created."""
    crm = smk.load(_zoho(tmp_path), mapping=tmp_path / "zoho.yaml")
    won = crm.deals[crm.deals["is_won"].eq(True)]
    assert won["deal_id"].tolist() == ["zcrm_404427000000500001"]
    person = crm.contacts.set_index("contact_id").loc[won["contact_id"].iloc[0]]
    assert person["became_customer_at"] == won["closed_at"].iloc[0]
    assert person["became_opportunity_at"] == won["created_at"].iloc[0]
    assert person["lifecycle_stage"] == "customer"
    assert _customers(crm, "2022-12") == 1


def test_a_pipedrive_won_deal_makes_its_contact_a_customer_in_the_funnel():
    crm = smk.load(FIXTURES / "pipedrive", mapping=PIPEDRIVE)
    contacts = crm.contacts.set_index("contact_id")
    # deal 201 of person 101 won 2026-01-15; 208 (108) 2026-02-27; 209 (110) 2026-03-05
    assert contacts.loc["101", "became_customer_at"] == pd.Timestamp("2026-01-15 16:30", tz="UTC")
    assert [_customers(crm, m) for m in ("2026-01", "2026-02", "2026-03")] == [1, 1, 1]


def test_a_date_the_export_gives_wins_over_the_deals(tmp_path):
    """Canonical contacts: one with its own customer date keeps it; one without takes its won
    deal's close; a deal set aside (negative amount) gives none, and a warning says so."""
    folder = tmp_path / "canonical"
    folder.mkdir()
    pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "email": ["a@x.example", "b@x.example", "c@x.example"],
            "created_at": ["2026-01-02T00:00:00Z"] * 3,
            "lifecycle_stage": ["lead", "sql", "lead"],
            "became_customer_at": ["2026-03-31T00:00:00Z", "", ""],
        }
    ).to_csv(folder / "contacts.csv", index=False)
    pd.DataFrame(
        {
            "deal_id": ["d1", "d2", "d3"],
            "contact_id": ["c1", "c2", "c3"],
            "created_at": ["2026-01-10T00:00:00Z"] * 3,
            "closed_at": ["2026-02-01T00:00:00Z"] * 3,
            "stage": ["Closed Won"] * 3,
            "amount": [100, 200, -5],
        }
    ).to_csv(folder / "deals.csv", index=False)
    crm = smk.load(folder, format="canonical")
    c = crm.contacts.set_index("contact_id")
    assert c.loc["c1", "became_customer_at"] == pd.Timestamp("2026-03-31", tz="UTC")
    assert c.loc["c2", "became_customer_at"] == pd.Timestamp("2026-02-01", tz="UTC")
    assert c.loc["c2", "became_opportunity_at"] == pd.Timestamp("2026-01-10", tz="UTC")
    # raised by the date deals gave (opportunity), not by the export's own customer date
    assert c.loc["c1", "lifecycle_stage"] == "opportunity"
    assert c.loc["c2", "lifecycle_stage"] == "customer"
    assert (
        pd.isna(c.loc["c3", "became_opportunity_at"]) and c.loc["c3", "lifecycle_stage"] == "lead"
    )
    assert (
        "deals: 1 deal set aside (negative amount: 1) would have made 1 contact an opportunity "
        "or a customer, or made it one earlier: a contact's opportunity and customer dates and "
        "lifecycle stage come from its loaded deals only; contacts left with none keep the "
        "stage the export gives: 1"
    ) in crm.quality.warnings


def test_hubspot_keeps_its_own_stage_dates():
    """HubSpot's mapping takes no date from deals: its contacts are as HubSpot dates them."""
    assert builtin_mapping("hubspot").stage_dates_from_deals is False
    assert builtin_mapping("pipedrive").stage_dates_from_deals is True


def test_stage_dates_from_deals_false_keeps_the_export_dates_only(tmp_path):
    folder = _zoho(tmp_path)
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text("stage_dates_from_deals: false\n" + mapping.read_text(), encoding="utf-8")
    crm = smk.load(folder, mapping=mapping)
    assert crm.contacts["became_customer_at"].isna().all()
    assert crm.contacts["became_opportunity_at"].isna().all()
    assert not crm.contacts["lifecycle_stage"].isin(["opportunity", "customer"]).any()


def test_stage_dates_from_deals_must_be_true_or_false(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text('stage_dates_from_deals: "no"\n' + _zoho_example(), encoding="utf-8")
    with pytest.raises(CRMExportError, match="stage_dates_from_deals: must be true or false"):
        smk.load(_zoho(tmp_path), mapping=mapping)


# ------------------------------------------------------------- stages a rule cannot tell
def test_the_zoho_example_names_custom_stages_it_takes_as_open(tmp_path):
    folder = _zoho(tmp_path, {"Closed Won": "Won - Signed", "Negotiation/Review": "Verbal yes"})
    crm = smk.load(folder, mapping=tmp_path / "zoho.yaml")
    said = [w for w in crm.quality.warnings if w.startswith("deals.stage")]
    assert len(said) == 1
    assert "2 deals at stage values smk cannot tell open from closed" in said[0]
    assert "'Verbal yes' (1), 'Won - Signed' (1); they are taken as open" in said[0]


def test_the_zoho_example_is_quiet_on_zoho_stages(tmp_path):
    crm = smk.load(_zoho(tmp_path), mapping=tmp_path / "zoho.yaml")
    assert not [w for w in crm.quality.warnings if w.startswith("deals.stage")]


def test_an_is_closed_rule_without_false_for_names_what_it_takes_as_open(tmp_path):
    mapping = tmp_path / "zoho.yaml"
    folder = _zoho(tmp_path, {"Closed Won": "Won - Signed"})
    text = mapping.read_text(encoding="utf-8")
    start = text.index("      is_closed:")
    mapping.write_text(text[:start] + '      is_closed: {from: stage, pattern: "^closed"}\n')
    crm = smk.load(folder, mapping=mapping)
    said = [w for w in crm.quality.warnings if w.startswith("deals.stage")]
    assert said == [
        "deals.stage: 2 deals at stage values the mapping's is_closed pattern does not match "
        "are taken as open: 'Negotiation/Review' (1), 'Won - Signed' (1); the rule lists no "
        "open values (`false_for`), so a closed one it does not match is taken as open too, "
        "unsaid: list the open values under `false_for`, and only the others are said "
        "(docs/mappings.md)"
    ]


# ------------------------------------------------------------- deleted rows, planned work
def _pipedrive_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "pipedrive"
    shutil.copytree(FIXTURES / "pipedrive", folder)
    return folder


def test_a_deleted_pipedrive_deal_is_set_aside_not_open(tmp_path):
    folder = _pipedrive_copy(tmp_path)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    status = [c for c in deals.columns if c.endswith("Status")][0]
    deals.loc[deals["Deal – ID"] == "202", status] = "Deleted"
    deals.to_csv(folder / "deals.csv", index=False)
    crm = smk.load(folder, mapping=PIPEDRIVE)
    acc = crm.quality.tables["deals"]
    assert (acc.read, acc.loaded, acc.n_set_aside) == (14, 11, 3)
    aside = crm.quality.set_aside("deals")
    assert aside.loc[aside["deal_id"] == "202", "_reason"].tolist() == ["deleted in the CRM"]
    assert "202" not in set(crm.deals["deal_id"])
    assert not [w for w in crm.quality.warnings if w.startswith("deals.Deal - Status")]


def test_an_unknown_pipedrive_status_is_said(tmp_path):
    folder = _pipedrive_copy(tmp_path)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    status = [c for c in deals.columns if c.endswith("Status")][0]
    deals.loc[deals["Deal – ID"] == "202", status] = "Archived"
    deals.to_csv(folder / "deals.csv", index=False)
    crm = smk.load(folder, mapping=PIPEDRIVE)
    assert any(
        w.startswith("deals.Deal - Status: 1 deals at Deal - Status values smk cannot tell")
        and "'Archived' (1)" in w
        for w in crm.quality.warnings
    )


def test_a_deleted_rule_is_checked_when_the_mapping_is_read(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tables:\n  deals:\n    files: ['*deal*']\n"
        "    deleted: {from: Status, pattern: '^deleted$', false_for: [Open]}\n",
        encoding="utf-8",
    )
    with pytest.raises(CRMExportError, match="deleted: in the mapping for deals must be"):
        smk.load(_pipedrive_copy(tmp_path), mapping=mapping)


def test_planned_pipedrive_activities_are_set_aside_done_ones_loaded(tmp_path):
    """`Activity - Done` = `To do`: planned, not sales work (`task not done`); `Done` loads."""
    folder = _pipedrive_copy(tmp_path)
    acts = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    acts["Activity - Done"] = ["To do" if i % 2 else "Done" for i in range(len(acts))]
    acts.loc[acts["Activity - Done"] == "To do", "Activity - Marked as done time"] = ""
    acts.to_csv(folder / "activities.csv", index=False)
    crm = smk.load(folder, mapping=PIPEDRIVE)
    acc = crm.quality.tables["activities"]
    planned = set(acts.loc[acts["Activity - Done"] == "To do", "Activity - ID"])
    aside = crm.quality.set_aside("activities")
    assert set(aside.loc[aside["_reason"] == "task not done", "activity_id"]) == planned
    assert not planned & set(crm.activities["activity_id"])
    assert acc.read == acc.loaded + acc.n_set_aside == len(acts)
    assert not [w for w in crm.quality.warnings if "task status" in w]
