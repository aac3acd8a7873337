"""Records the CRM merged (HubSpot's `hs_merged_object_ids`, Fivetran's `contact_merge_audit`
and `merged_deal`, a mapping's `merged_ids`): an absorbed record's stale row is set aside by
design and every row naming an absorbed id is re-pointed at the final survivor."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_sql import FILE_BACKENDS, fivetran_tables, make_db

import smk
from smk.cli import main
from smk.model import BY_DESIGN_REASONS, MERGED_IN_CRM, MERGED_SAME_EMAIL

DAY = "2026-03-02"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def write(folder: Path, view: str, lines: list[str]) -> None:
    (folder / f"hubspot-crm-exports-{view}-{DAY}.csv").write_text("\n".join(lines) + "\n")


def accounting_holds(crm: smk.CRM) -> None:
    for name, acc in crm.quality.tables.items():
        assert acc.read == acc.loaded + acc.n_set_aside, name


def aside(crm: smk.CRM, table: str) -> pd.DataFrame:
    return crm.quality.set_aside(table)


@pytest.fixture
def ui_export(tmp_path: Path) -> Path:
    """Contact 100 absorbed 200 (its stale row still here, with earlier stage dates) and 250
    (gone); company 10 absorbed 20; calls, touches and a deal name the absorbed ids."""
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,Lifecycle Stage,Became a Lead Date,"
            "Became a Marketing Qualified Lead Date,Associated Company IDs,hs_merged_object_ids",
            "100,ann@a.example,2026-01-10 09:00,Lead,2026-01-10 09:00,,10,200;250",
            "200,ann.old@a.example,2026-01-05 08:00,Marketing Qualified Lead,2026-01-05 08:00,"
            "2026-01-07 12:00,20,",
            "300,bob@b.example,2026-01-11 10:00,Lead,2026-01-11 10:00,,20,",
        ],
    )
    write(
        tmp_path,
        "all-companies",
        [
            "Record ID,Company name,Create Date,hs_merged_object_ids",
            "10,Alpha,2025-12-01 10:00,20",
            "20,Alpha (old),2025-11-01 10:00,",
        ],
    )
    write(
        tmp_path,
        "all-deals",
        [
            "Record ID,Deal Stage,Create Date,Amount,Associated Company IDs,Associated Contact IDs",
            "700,Closed Won,2026-02-01 10:00,1000,20,250",
        ],
    )
    write(
        tmp_path,
        "all-calls",
        [
            "Record ID,Activity date,Associated Contact IDs",
            "900,2026-01-20 10:00,200",
            "901,2026-01-21 10:00,250",
            "902,2026-01-22 10:00,300",
        ],
    )
    write(
        tmp_path,
        "all-interactions",
        [
            "Interaction ID,Contact ID,Interaction date,Interaction source",
            "t1,250,2026-01-04 10:00,Organic Search",
            "t2,200,2026-01-05 08:00,Paid Search",
        ],
    )
    return tmp_path


def test_ui_export_sets_aside_absorbed_rows_and_repoints_their_references(ui_export):
    crm = smk.load(ui_export)
    accounting_holds(crm)

    contacts = crm.contacts.set_index("contact_id")
    assert sorted(contacts.index) == ["100", "300"]  # 200 is 100: one person, counted once
    gone = aside(crm, "contacts")
    assert gone["contact_id"].tolist() == ["200"]
    assert gone["_reason"].tolist() == [MERGED_IN_CRM]
    assert gone["_merged_into"].tolist() == ["100"]
    assert MERGED_IN_CRM in BY_DESIGN_REASONS
    # the survivor keeps its own fields and takes the group's earliest dates, as the e-mail
    # merge does; the stage furthest down the funnel
    assert contacts.loc["100", "email"] == "ann@a.example"
    assert contacts.loc["100", "created_at"] == utc("2026-01-05 08:00")
    assert contacts.loc["100", "became_lead_at"] == utc("2026-01-05 08:00")
    assert contacts.loc["100", "became_mql_at"] == utc("2026-01-07 12:00")
    assert contacts.loc["100", "lifecycle_stage"] == "mql"

    assert crm.activities.set_index("activity_id")["contact_id"].to_dict() == {
        "900": "100",
        "901": "100",
        "902": "300",
    }
    assert crm.touchpoints.set_index("touchpoint_id")["contact_id"].to_dict() == {
        "t1": "100",
        "t2": "100",
    }
    deal = crm.deals.set_index("deal_id").loc["700"]
    assert (deal["contact_id"], deal["account_id"]) == ("100", "10")
    # the company 10 absorbed: its stale row set aside, contacts naming it re-pointed
    assert crm.accounts["account_id"].tolist() == ["10"]
    assert aside(crm, "accounts")["_reason"].tolist() == [MERGED_IN_CRM]
    assert contacts.loc["300", "account_id"] == "10"
    assert not any("unknown" in w or "not in the accounts" in w for w in crm.quality.warnings)


def test_validate_shows_the_reason(ui_export, capsys):
    assert main(["validate", str(ui_export)]) == 0
    out = capsys.readouterr().out
    assert f"{MERGED_IN_CRM}: 1" in out


@pytest.mark.parametrize(
    "survivor_lists",
    ["200;300", "200"],  # the final survivor lists the whole chain, or only its own merge
)
def test_chained_merges_resolve_to_the_final_survivor(tmp_path, survivor_lists):
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,hs_merged_object_ids",
            f"100,a@x.example,2026-01-10 09:00,{survivor_lists}",
            "200,b@x.example,2026-01-09 09:00,300",
            "300,c@x.example,2026-01-08 09:00,",
        ],
    )
    write(
        tmp_path,
        "all-calls",
        ["Record ID,Activity date,Associated Contact IDs", "900,2026-01-20 10:00,300"],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["100"]
    assert crm.contacts["created_at"].tolist() == [utc("2026-01-08 09:00")]
    gone = aside(crm, "contacts").set_index("contact_id")
    assert gone["_reason"].to_dict() == {"200": MERGED_IN_CRM, "300": MERGED_IN_CRM}
    assert gone["_merged_into"].to_dict() == {"200": "100", "300": "100"}
    assert crm.activities["contact_id"].tolist() == ["100"]


def test_conflicting_claims_and_cycles_are_merged_into_none_with_a_warning(tmp_path):
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,hs_merged_object_ids",
            "100,a@x.example,2026-01-10 09:00,400",
            "500,e@x.example,2026-01-10 09:00,400",
            "400,d@x.example,2026-01-09 09:00,",
            "600,f@x.example,2026-01-10 09:00,700",
            "700,g@x.example,2026-01-10 09:00,600",
        ],
    )
    write(
        tmp_path,
        "all-calls",
        ["Record ID,Activity date,Associated Contact IDs", "900,2026-01-20 10:00,400"],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert sorted(crm.contacts["contact_id"]) == ["100", "400", "500", "600", "700"]
    assert crm.activities["contact_id"].tolist() == ["400"]
    said = " ".join(crm.quality.warnings)
    assert "1 id is listed as merged (merged_ids) into records that are not merged" in said
    assert "e.g. 400 into 100 and 500" in said
    assert "2 records list each other as merged (merged_ids), in a circle (e.g. 600, 700)" in said


def test_a_crm_merge_and_an_email_merge_chain(tmp_path):
    """200 was merged into 100 by the CRM; 100 shares its e-mail with the older 50."""
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,hs_merged_object_ids",
            "50,a@x.example,2026-01-01 09:00,",
            "100,A@x.example,2026-01-10 09:00,200",
            "200,z@x.example,2026-01-11 09:00,",
        ],
    )
    write(
        tmp_path,
        "all-calls",
        ["Record ID,Activity date,Associated Contact IDs", "900,2026-01-20 10:00,200"],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["50"]
    reasons = aside(crm, "contacts").set_index("contact_id")["_reason"].to_dict()
    assert reasons == {"200": MERGED_IN_CRM, "100": MERGED_SAME_EMAIL}
    # each names the final survivor, not the record it was merged into first
    into = aside(crm, "contacts").set_index("contact_id")["_merged_into"].to_dict()
    assert into == {"200": "50", "100": "50"}
    assert crm.activities["contact_id"].tolist() == ["50"]
    assert crm.quality.tables["contacts"].merged == 2


@pytest.mark.parametrize("backend", FILE_BACKENDS)
def test_fivetran_schema_reads_merged_ids_and_merge_tables(tmp_path, backend):
    tables = fivetran_tables()
    contact = tables["contact"]
    contact["property_hs_merged_object_ids"] = [None, None, "104", None, None, None]
    tables["contact_merge_audit"] = pd.DataFrame(
        {"canonical_vid": [102, 555], "vid_to_merge": [999, 998], "timestamp": [1, 2]}
    )
    tables["merged_deal"] = pd.DataFrame({"deal_id": [7001], "merged_deal_id": [7002]})
    links = tables["engagement_contact"]
    tables["engagement_contact"] = pd.concat(
        [links, pd.DataFrame({"engagement_id": [8005], "contact_id": [999]})],
        ignore_index=True,
    ).astype("Int64")
    crm = smk.load(make_db(tmp_path, backend, tables))
    accounting_holds(crm)

    assert "104" not in set(crm.contacts["contact_id"])
    merged = aside(crm, "contacts")
    merged = merged[merged["_reason"] == MERGED_IN_CRM]
    assert merged[["contact_id", "_merged_into"]].values.tolist() == [["104", "103"]]
    deals = crm.deals.set_index("deal_id")
    assert "7002" not in deals.index
    assert aside(crm, "deals").set_index("deal_id").loc["7002", "_reason"] == MERGED_IN_CRM
    assert deals.loc["7003", "contact_id"] == "103"  # its contact 104 was merged into 103
    acts = crm.activities.set_index("activity_id")
    assert acts.loc["8003", "deal_id"] == "7001"  # its deal 7002 was merged into 7001
    assert acts.loc["8005", "contact_id"] == "102"  # 999, gone, was merged into 102
    assert any(
        "1 row of contact_merge_audit names a surviving record" in w for w in crm.quality.warnings
    )


def test_a_mapping_file_names_merged_ids(tmp_path):
    (tmp_path / "people.csv").write_text(
        "Person,Mail,Created,Merged\n"
        "p1,a@x.example,2026-01-10,p2 ; p3\n"
        "p2,b@x.example,2026-01-05,\n"
    )
    (tmp_path / "visits.csv").write_text("Visit,Person,When\nv1,p3,2026-01-12\nv2,p2,2026-01-13\n")
    (tmp_path / "crm.yaml").write_text(
        "name: mine\n"
        "tables:\n"
        "  contacts:\n"
        '    files: ["people*"]\n'
        "    columns: {contact_id: [Person], email: [Mail], created_at: [Created],"
        " merged_ids: [Merged]}\n"
        "  touchpoints:\n"
        '    files: ["visits*"]\n'
        "    columns: {touchpoint_id: [Visit], contact_id: [Person], occurred_at: [When]}\n"
        "    constants: {channel: direct}\n"
    )
    crm = smk.load(tmp_path, mapping=tmp_path / "crm.yaml")
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["p1"]
    assert aside(crm, "contacts")["_reason"].tolist() == [MERGED_IN_CRM]
    assert crm.touchpoints["contact_id"].tolist() == ["p1", "p1"]


def test_a_ui_export_heads_merged_ids_with_their_labels(tmp_path):
    """A UI export names hs_merged_object_ids by its label, one per object: read as merged_ids
    (the absorbed rows are set aside, not counted twice), not listed as unmapped."""
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,Lifecycle Stage,Merged Contact IDs",
            "100,ann@a.example,2026-01-10 09:00,Lead,200",
            "200,ann.old@a.example,2026-01-05 08:00,Lead,",
        ],
    )
    write(
        tmp_path,
        "all-companies",
        [
            "Record ID,Company name,Create Date,Merged Company IDs",
            "10,Alpha,2025-12-01 10:00,20",
            "20,Alpha old,2025-11-01 10:00,",
        ],
    )
    write(
        tmp_path,
        "all-deals",
        [
            "Record ID,Deal Stage,Create Date,Amount,Associated Contact IDs,Merged Deal IDs",
            "700,Closed Won,2026-02-01 10:00,1000,100,701",
            "701,Closed Won,2026-02-01 10:00,1000,200,",
        ],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["100"]
    assert crm.accounts["account_id"].tolist() == ["10"]
    assert crm.deals["deal_id"].tolist() == ["700"]
    for table, absorbed in (("contacts", "200"), ("accounts", "20"), ("deals", "701")):
        rows = aside(crm, table)
        assert rows.iloc[:, 0].tolist() == [absorbed]
        assert rows["_reason"].tolist() == [MERGED_IN_CRM]
    assert not any("did not map" in w for w in crm.quality.warnings), crm.quality.warnings


def test_a_survivor_set_aside_for_a_fault_still_absorbs_the_ids_it_lists(tmp_path):
    """100 (its Create Date unreadable: set aside) absorbed 200 (stale row) and 250 (gone):
    200 is set aside as merged into 100, and rows naming 200 or 250 name 100, whose row was
    set aside: kept, as rows naming 100 are."""
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,Lifecycle Stage,hs_merged_object_ids",
            "100,ann@a.example,notadate,Lead,200;250",
            "200,ann.old@a.example,2026-01-05 08:00,Lead,",
            "300,bob@b.example,2026-01-05 08:00,Lead,",
        ],
    )
    write(
        tmp_path,
        "all-calls",
        [
            "Record ID,Activity date,Associated Contact IDs",
            "900,2026-01-20 10:00,200",
            "901,2026-01-20 10:00,250",
            "902,2026-01-20 10:00,100",
        ],
    )
    write(
        tmp_path,
        "all-deals",
        [
            "Record ID,Deal Stage,Create Date,Amount,Associated Contact IDs",
            "702,Closed Won,2026-02-01 10:00,1000,250",
        ],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["300"]
    rows = aside(crm, "contacts").set_index("contact_id")
    assert rows.loc["200", "_reason"] == MERGED_IN_CRM
    assert rows.loc["200", "_merged_into"] == "100"
    assert crm.activities["contact_id"].tolist() == ["100", "100", "100"]
    assert crm.deals["contact_id"].tolist() == ["100"]
    assert aside(crm, "activities").empty
    assert any(
        w.startswith(
            "activities: 3 activities name a contact_id whose contact is in the export "
            "but was set aside"
        )
        for w in crm.quality.warnings
    ), crm.quality.warnings


@pytest.mark.parametrize("backend", FILE_BACKENDS)
def test_a_deleted_survivors_absorbed_record_is_set_aside(tmp_path, backend):
    """A contact_merge_audit survivor (106) the sync marks deleted: the contact it absorbed
    (104) is set aside as merged into it, and rows naming 104 are those of a deleted contact:
    deal 7003, live itself, loads with no contact (it was set aside as `contact_id deleted in
    the CRM`)."""
    tables = fivetran_tables()
    tables["contact_merge_audit"] = pd.DataFrame(
        {"canonical_vid": [106], "vid_to_merge": [104], "timestamp": [1]}
    )
    crm = smk.load(make_db(tmp_path, backend, tables))
    accounting_holds(crm)
    assert "104" not in set(crm.contacts["contact_id"])
    rows = aside(crm, "contacts").set_index("contact_id")
    assert rows.loc["104", ["_reason", "_merged_into"]].tolist() == [MERGED_IN_CRM, "106"]
    assert "7003" not in set(aside(crm, "deals")["deal_id"])
    deals = crm.deals.set_index("deal_id")
    assert pd.isna(deals.loc["7003", "contact_id"])  # it named 104


@pytest.mark.parametrize(
    ("listed", "shown"),
    [("2.0E+02;250", "'2.0E+02'"), ("200,250", "'200,250'"), ("200 250", "'200 250'")],
)
def test_merged_ids_that_are_not_one_id_are_warned(tmp_path, listed, shown):
    """A listed id a spreadsheet wrote in scientific notation, or ids separated by other than
    `;`, are not taken: said with their count, an example and its file and row."""
    write(
        tmp_path,
        "all-contacts",
        [
            "Record ID,Email,Create Date,hs_merged_object_ids",
            f'100,ann@a.example,2026-01-10 09:00,"{listed}"',
            "200,ann.old@a.example,2026-01-05 08:00,",
        ],
    )
    crm = smk.load(tmp_path)
    accounting_holds(crm)
    assert crm.contacts["contact_id"].tolist() == ["100", "200"]
    said = [w for w in crm.quality.warnings if "not one id" in w]
    assert len(said) == 1, crm.quality.warnings
    assert said[0].startswith("contacts: 1 id listed as merged")
    assert shown in said[0] and "row 2" in said[0] and "all-contacts" in said[0]


def test_a_deal_naming_an_absorbed_id_goes_to_the_survivor_when_every_contact_is_set_aside(
    tmp_path,
):
    """The only contact row (A, which absorbed B) is set aside for its date: B's deal and call
    are both A's, as when other contacts load, not `unknown contact_id` for one of them."""
    tables = {
        "contacts": "contact_id,email,created_at,merged_ids\nA,a@x.com,garbage,B\n",
        "deals": "deal_id,contact_id,created_at,amount,stage\nd1,B,2026-02-01,10,open\n",
        "activities": "activity_id,contact_id,occurred_at,type\nx1,B,2026-02-03,call\n",
    }
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text)
    crm = smk.load(tmp_path, format="canonical")
    accounting_holds(crm)
    assert crm.activities["contact_id"].tolist() == ["A"]
    deals = pd.concat([crm.deals, aside(crm, "deals")])
    assert deals["contact_id"].tolist() == ["A"]
    assert "unknown contact_id" not in crm.quality.tables["deals"].reasons()
