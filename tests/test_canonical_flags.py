"""The canonical format's deal flags and multi-value ids (docs/data-model.md).

A canonical export (CSV, Parquet, or a SQL database's canonical tables) without `is_closed` /
`is_won` took every deal as open, with no warning: its won revenue was 0. The flag a deals
table lacks is now taken from the stage by the HubSpot mapping's rules, and the deals whose
stage says neither open nor closed are counted in a warning. A contact's `account_id` listing
several accounts (`a1;a2`) was kept whole and warned about as unknown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import smk
from smk.sla import deal_table, pipeline_by_month

#: stage -> (is_closed, is_won) by the HubSpot mapping's rules; the last two say neither
STAGES = {
    "Closed Won": (True, True),
    "closedwon": (True, True),
    "Won": (True, True),
    "Closed Lost": (True, False),
    "Lost": (True, False),
    "Contract Sent": (False, False),
    "Open": (False, False),
    "Negotiation": (False, False),
    "37336401": (False, False),
}


def tables() -> dict[str, pd.DataFrame]:
    """A small canonical CRM: one deal per stage of `STAGES`, each with a won-or-not flag
    and a closed flag (to be dropped), and a contact whose account is `A1;A2`."""
    n = len(STAGES)
    contacts = pd.DataFrame(
        {
            "contact_id": ["C1", "C2"],
            "account_id": ["A1;A2", "A2"],
            "created_at": ["2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"],
            "owner_id": ["owner-1", "owner-2"],
        }
    )
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Alpha", "Beta"]})
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(n)],
            "account_id": ["A1"] * n,
            "contact_id": ["C1"] * n,
            "stage": list(STAGES),
            "created_at": ["2026-01-10T09:00:00Z"] * n,
            "closed_at": ["2026-02-03T10:00:00Z"] * n,
            "is_closed": ["true" if c else "false" for c, _ in STAGES.values()],
            "is_won": ["true" if w else "false" for _, w in STAGES.values()],
            "amount": [1000.0 * (i + 1) for i in range(n)],
            "currency": ["EUR"] * n,
        }
    )
    return {"contacts": contacts, "accounts": accounts, "deals": deals}


def write(folder: Path, frames: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    folder.mkdir()
    for name, frame in frames.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def without(frames: dict[str, pd.DataFrame], *flags: str) -> dict[str, pd.DataFrame]:
    return {**frames, "deals": frames["deals"].drop(columns=list(flags))}


def flags(crm: smk.CRM) -> dict[str, tuple[bool, bool]]:
    """stage -> (is_closed, is_won) as loaded; a missing flag is None."""
    deals = crm.deals.astype({"is_closed": object, "is_won": object})
    deals = deals.replace({pd.NA: None})
    return {r.stage: (r.is_closed, r.is_won) for r in deals.itertuples()}


def stage_warnings(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if "cannot tell open from closed" in w]


UNTOLD = (
    "deals.stage: 2 deals read at stage values smk cannot tell open from closed: '37336401' (1), "
    "'Negotiation' (1); they are taken as open"
)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_canonical_export_without_flags_takes_them_from_the_stage(tmp_path, fmt):
    folder = write(tmp_path / "export", without(tables(), "is_closed", "is_won"), fmt)
    crm = smk.load(folder, format="canonical")

    assert flags(crm) == STAGES
    [warning] = stage_warnings(crm)
    assert warning.startswith(UNTOLD)
    # the figures the report draws: February's won revenue is the three won deals'
    feb = pipeline_by_month(deal_table(crm), months=["2026-02"]).iloc[0]
    assert (feb["deals_closed"], feb["deals_won"], feb["won_revenue"]) == (5, 3, 6000.0)


def test_auto_detection_reads_a_folder_without_flags_as_canonical_too(tmp_path):
    folder = write(tmp_path / "export", without(tables(), "is_closed", "is_won"))
    crm = smk.load(folder)
    assert crm.format == "canonical"
    assert flags(crm) == STAGES


def test_canonical_sql_tables_without_flags_take_them_from_the_stage(tmp_path):
    url = f"sqlite:///{(tmp_path / 'crm.db').as_posix()}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name, frame in without(tables(), "is_closed", "is_won").items():
            frame.to_sql(name, conn, index=False)
    engine.dispose()
    crm = smk.load(url)

    assert flags(crm) == STAGES
    [warning] = stage_warnings(crm)
    assert warning.startswith(UNTOLD)


def test_the_flags_an_export_has_are_read_as_written(tmp_path):
    """A stage that disagrees with the export's flags changes nothing, and says nothing."""
    frames = tables()
    deals = frames["deals"]
    deals.loc[deals["stage"] == "Negotiation", ["is_closed", "is_won"]] = "true"
    crm = smk.load(write(tmp_path / "export", frames), format="canonical")

    assert flags(crm) == {**STAGES, "Negotiation": (True, True)}
    assert stage_warnings(crm) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_empty_flag_is_taken_from_the_stage(tmp_path, fmt):
    """An empty cell of a flag column the export has (a flag left blank for some deals) is
    taken from the stage, as a column it lacks; the given flags stand (the model's own
    boolean columns too, in Parquet), and the load says how many were taken."""
    frames = tables()
    deals = frames["deals"]
    for col in ("is_closed", "is_won"):
        deals[col] = deals[col].map({"true": True, "false": False}).astype("boolean")
    deals.loc[deals["stage"].isin(["Closed Lost", "Won"]), ["is_closed", "is_won"]] = pd.NA
    deals.loc[deals["stage"] == "Negotiation", ["is_closed", "is_won"]] = True
    crm = smk.load(write(tmp_path / "export", frames, fmt), format="canonical")

    assert flags(crm) == {**STAGES, "Negotiation": (True, True)}
    said = [w for w in crm.quality.warnings if "is empty in" in w]
    assert said == [
        f"deals: deals.{fmt}: '{col}' is empty in 2 rows: their {col} is read from 'stage', "
        "as for a file without that column"
        for col in ("is_closed", "is_won")
    ]
    assert stage_warnings(crm) == []  # '37336401' has its flags: only taken ones are counted


def test_is_won_alone_takes_is_closed_from_the_stage(tmp_path):
    """A lost deal is closed by its stage; a won deal is closed whatever its stage says."""
    frames = without(tables(), "is_closed")
    frames["deals"].loc[frames["deals"]["stage"] == "Negotiation", "is_won"] = "true"
    crm = smk.load(write(tmp_path / "export", frames), format="canonical")

    assert flags(crm) == {**STAGES, "Negotiation": (True, True)}
    assert len(stage_warnings(crm)) == 1


def test_is_closed_alone_takes_is_won_from_the_stage(tmp_path):
    crm = smk.load(write(tmp_path / "export", without(tables(), "is_won")), format="canonical")
    assert flags(crm) == STAGES
    assert stage_warnings(crm) == []  # is_closed, which the export has, says open or closed


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_contacts_multi_value_account_id_takes_the_first(tmp_path, fmt):
    crm = smk.load(write(tmp_path / "export", tables(), fmt), format="canonical")

    contacts = crm.contacts.set_index("contact_id")
    assert contacts.loc["C1", "account_id"] == "A1"
    assert contacts.loc["C1", "account_ids_all"] == "A1;A2"
    assert contacts.loc["C2", "account_id"] == "A2"
    assert not [w for w in crm.quality.warnings if "account_id" in w]
