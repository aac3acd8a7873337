"""A lifecycle stage smk does not know (a HubSpot custom stage, `Sales Accepted Lead`, or its id
in an export of internal values) reads `other`, but is kept in `lifecycle_stage_raw` and is not
the CRM's own Other stage: the SLA judges such an MQL by its dates, never as disqualified."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import sla
from smk.io.canonical import write_canonical

AS_OF = pd.Timestamp("2026-11-01", tz="UTC")
CONTACTS = "hubspot-crm-exports-all-contacts-2026-11-01.csv"
HEADER = (
    '"Record ID","Email","Create Date","Lifecycle Stage",'
    '"Became a Marketing Qualified Lead Date","Became a Sales Qualified Lead Date",'
    '"Contact owner","Original Source"'
)
STAGES = {  # contact id: its Lifecycle Stage, every one an October MQL without an SQL date
    "1": "Sales Accepted Lead",
    "2": "Sales Accepted Lead",
    "3": "124866084",
    "4": "Other",
    "5": "Marketing Qualified Lead",
}


def _export(folder: Path) -> Path:
    """A HubSpot UI export of `STAGES`' contacts, MQLs of 20 October, and a lead of December
    (the export runs past the as-of dates)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        f'"{i}","p{i}@x.example","2026-10-01 09:00","{stage}","2026-10-20 10:00","","Ann",'
        '"Organic Search"'
        for i, stage in STAGES.items()
    ]
    rows.append('"6","p6@x.example","2026-12-05 09:00","Lead","","","Ann","Direct Traffic"')
    (folder / CONTACTS).write_text("\n".join([HEADER, *rows]) + "\n")
    return folder


def _leads(crm: smk.CRM) -> pd.DataFrame:
    return sla.mql_leads(crm, as_of=AS_OF).set_index("contact_id")


def test_an_mql_at_a_custom_stage_is_open_not_disqualified(tmp_path):
    crm = smk.load(_export(tmp_path / "hs"))
    leads = _leads(crm)
    assert leads.loc[["1", "2", "3", "5"], "rejection_reason"].isna().all()
    assert leads.loc[["1", "2", "3", "5"], "open"].all()
    assert leads.loc["4", "rejection_reason"] == "disqualified (lifecycle stage other)"
    month = sla.sla_by_month(sla.mql_leads(crm, as_of=AS_OF)).iloc[0]
    assert (month["open"], month["rejected"]) == (4, 1)
    later = sla.mql_leads(crm, as_of=pd.Timestamp("2026-12-01", tz="UTC"))
    reasons = later.set_index("contact_id")["rejection_reason"]  # judged by their dates
    assert (reasons[["1", "2", "3"]] == "no SQL within 30 days").all()
    contacts = crm.contacts.set_index("contact_id")
    assert (contacts["lifecycle_stage"][["1", "3", "4"]] == "other").all()
    raw = contacts["lifecycle_stage_raw"]
    assert raw[["1", "2", "3"]].tolist() == ["Sales Accepted Lead"] * 2 + ["124866084"]
    assert raw[["4", "5", "6"]].isna().all()  # the CRM's own Other, and stages smk knows


def test_the_warning_says_what_happens_to_them_and_how_to_map_them(tmp_path):
    crm = smk.load(_export(tmp_path / "hs"))
    said = [w for w in crm.quality.warnings if w.startswith("contacts.lifecycle_stage:")]
    assert said == [
        "contacts.lifecycle_stage: 3 contacts are at lifecycle stages smk does not know (the "
        "CRM's custom stages, or their ids): 'Sales Accepted Lead' (2), '124866084' (1). Their "
        "lifecycle_stage reads other, the stage as written is kept in lifecycle_stage_raw, and "
        "they are not taken for the CRM's own Other stage: the funnel counts them by their "
        "stage dates, and the SLA judges an MQL among them by its dates (open until its SQL "
        "date, or until the acceptance window passes without one), not as disqualified. To "
        "read such a stage as one of smk's (subscriber, lead, mql, sql, opportunity, customer, "
        "evangelist; other for a disqualified one), translate it under `values: "
        "lifecycle_stage:` in a mapping file (for a HubSpot export, a copy of smk's "
        "hubspot.yaml, given with --mapping; docs/mappings.md)"
    ]
    assert not [w for w in crm.quality.warnings if "Columns smk did not map" in w]


def test_a_copy_of_the_hubspot_mapping_translates_a_custom_stage(tmp_path):
    """The way the warning gives: `Sales Accepted Lead` an SQL, the id a disqualified stage."""
    text = (resources.files("smk.mappings") / "hubspot.yaml").read_text(encoding="utf-8")
    mine = tmp_path / "my-hubspot.yaml"
    mine.write_text(
        text.replace(
            "        Other: other\n",
            '        Other: other\n        Sales Accepted Lead: sql\n        "124866084": other\n',
            1,
        )
    )
    crm = smk.load(_export(tmp_path / "hs"), mapping=str(mine))
    stages = crm.contacts.set_index("contact_id")["lifecycle_stage"]
    assert stages[["1", "2", "3", "4"]].tolist() == ["sql", "sql", "other", "other"]
    assert "lifecycle_stage_raw" not in crm.contacts  # every stage is one of smk's
    reasons = _leads(crm)["rejection_reason"]
    assert reasons[["3", "4"]].tolist() == ["disqualified (lifecycle stage other)"] * 2


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_canonical_export_keeps_the_distinction(tmp_path, fmt):
    """Written in smk's own format (`write_canonical`), a custom stage is written as the
    export wrote it and loads back told apart from Other; so does an smk model."""
    crm = smk.load(_export(tmp_path / "hs"))
    write_canonical(crm, tmp_path / "canonical", fmt=fmt)
    again = smk.load(tmp_path / "canonical", format="canonical")
    kept = again.contacts.set_index("contact_id")["lifecycle_stage_raw"]
    assert kept.equals(crm.contacts.set_index("contact_id")["lifecycle_stage_raw"])
    assert again.contacts["lifecycle_stage"].eq("other").sum() == 3 + 1
    assert _leads(again)["open"].sum() == 4
    crm.to_parquet(tmp_path / "model")
    assert _leads(smk.load(tmp_path / "model"))["open"].sum() == 4


def test_a_canonical_file_with_the_column_keeps_it(tmp_path):
    """A canonical file that writes `other` with the stage beside it (a CRM's contacts saved
    with their extra columns) is read the same."""
    crm = smk.load(_export(tmp_path / "hs"))
    folder = tmp_path / "canonical"
    folder.mkdir()
    crm.contacts.drop(columns=["_file", "_row"]).to_csv(folder / "contacts.csv", index=False)
    again = smk.load(folder, format="canonical")
    assert again.contacts["lifecycle_stage"].eq("other").sum() == 3 + 1
    assert again.contacts["lifecycle_stage_raw"].notna().sum() == 3
    assert _leads(again)["open"].sum() == 4
