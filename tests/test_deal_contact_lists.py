"""A deal's list of contacts (`contact_ids_all`, HubSpot's "Associated Contact IDs") in any
order: a merged-away contact listed is re-pointed to its survivor, and a deal whose first
listed contact is not in the export takes the first listed one that is (RV4: the order of the
ids decided whether the deal was from MQLs, or loaded at all)."""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import pytest

import smk
from smk import config
from smk.sla import deal_table

DEAL, MQL_CONTACT, NEVER_MQL = "4000000003", "3000000014", "3000000004"
DUPLICATE, UNKNOWN = "3000099999", "3999999999"


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)


def _export(tmp_path: Path, listed: str, duplicate: bool = False, faulty: str = "") -> smk.CRM:
    """The HubSpot sample with the deal's contacts `listed`; with `duplicate`, the MQL contact
    entered a second time under another id (same e-mail: merged into the first); the row of
    contact `faulty` unreadable (set aside: the export holds the contact, the load does not)."""
    folder = tmp_path / listed.replace(";", "_")
    shutil.copytree(config.SAMPLE_HUBSPOT, folder, ignore=shutil.ignore_patterns("truth"))
    path = folder / "hubspot-crm-exports-all-contacts-2026-11-01.csv"
    rows = _rows(path)
    created = rows[0].index("Create Date")
    if duplicate:
        copy = list(next(r for r in rows if r[0] == MQL_CONTACT))
        copy[0], copy[created] = DUPLICATE, "2025-11-09 10:00"
        rows.append(copy)
    for row in rows[1:]:
        if row[0] == faulty:
            row[created] = "garbage"
    _write(path, rows)
    path = folder / "hubspot-crm-exports-all-deals-2026-11-01.csv"
    rows = _rows(path)
    column = rows[0].index("Associated Contact IDs")
    for row in rows[1:]:
        if row[0] == DEAL:
            row[column] = listed
    _write(path, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smk.load(folder)


def _sourced(crm: smk.CRM) -> bool:
    table = deal_table(crm, as_of="2026-11-01", fx_rates={"EUR": 1.0, "USD": 0.92})
    return bool(table.set_index("deal_id").loc[DEAL, "mql_sourced"])


@pytest.mark.parametrize("listed", [f"{DUPLICATE};{NEVER_MQL}", f"{NEVER_MQL};{DUPLICATE}"])
def test_a_merged_away_contact_listed_is_its_survivor(tmp_path, listed):
    crm = _export(tmp_path, listed, duplicate=True)
    deal = crm.deals.set_index("deal_id").loc[DEAL]
    assert DUPLICATE not in str(deal["contact_ids_all"]).split(";")
    assert MQL_CONTACT in str(deal["contact_ids_all"]).split(";")
    assert _sourced(crm)


@pytest.mark.parametrize("listed", [f"{UNKNOWN};{MQL_CONTACT}", f"{MQL_CONTACT};{UNKNOWN}"])
def test_a_deal_whose_first_listed_contact_is_unknown_takes_a_known_one(tmp_path, listed):
    crm = _export(tmp_path, listed)
    account = crm.quality.tables["deals"]
    assert (account.read, account.loaded) == (176, 170)  # the deal loads, in either order
    assert crm.deals.set_index("deal_id").loc[DEAL, "contact_id"] == MQL_CONTACT
    assert _sourced(crm)


@pytest.mark.parametrize("listed", [f"{UNKNOWN};{NEVER_MQL}", f"{NEVER_MQL};{UNKNOWN}"])
def test_a_contact_the_export_holds_but_set_aside_counts_as_known(tmp_path, listed):
    """Its row unreadable, the contact is still the export's: the deal keeps it, as a deal
    naming it alone does, whatever the order (RV5: unknown first set the deal aside)."""
    crm = _export(tmp_path, listed, faulty=NEVER_MQL)
    assert crm.quality.tables["deals"].loaded == 170
    assert crm.deals.set_index("deal_id").loc[DEAL, "contact_id"] == NEVER_MQL


@pytest.mark.parametrize("listed", [f"{NEVER_MQL};{MQL_CONTACT}", f"{MQL_CONTACT};{NEVER_MQL}"])
def test_a_loaded_contact_listed_comes_before_one_set_aside(tmp_path, listed):
    """The first listed contact's row unreadable, a loaded one after it: the deal's contact is
    the loaded one, in either order (RV6: bcabf63 kept the set-aside one when it came first,
    and the load warned that the deal's contact fields were missing)."""
    crm = _export(tmp_path, listed, faulty=NEVER_MQL)
    assert crm.deals.set_index("deal_id").loc[DEAL, "contact_id"] == MQL_CONTACT
    assert _sourced(crm)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_canonical_round_trip_keeps_a_deals_contacts(tmp_path, fmt):
    """`write_canonical` wrote the model's columns only: the list went, and a deal whose MQL
    contact was listed second was no longer from MQLs after the round trip (RV6)."""
    from smk.io.canonical import write_canonical

    crm = _export(tmp_path, f"{NEVER_MQL};{MQL_CONTACT}")
    write_canonical(crm, tmp_path / fmt, fmt)
    back = smk.load(tmp_path / fmt, format="canonical")
    listed = back.deals.set_index("deal_id").loc[DEAL, "contact_ids_all"]
    assert listed == f"{NEVER_MQL};{MQL_CONTACT}"
    assert _sourced(crm) and _sourced(back)
