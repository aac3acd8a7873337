"""A Salesforce opportunity's pipeline is its record type, not its Type.

`Opportunity.Type` is the standard picklist of the kind of deal (`New Customer`, `Existing
Customer - Upgrade`, an org's `New Business` / `Existing Business`), as HubSpot's Deal Type;
the sales process is the record type (`RecordType.Name`, `RecordTypeId`, "Opportunity Record
Type" in a report). The loader read Type as the pipeline, so an export without a record type
split its deals by deal type (the pipelines sentence, the setting `pipelines`), and the
generator wrote the pipeline into Type. It reads the record type only (an export without one
has every opportunity in one unnamed pipeline, as a HubSpot export without Pipeline), keeps
Type as an extra column, and writes the pipeline as `RecordType.Name`.

Each load test copies the Data Loader fixture (tests/fixtures/salesforce/dataloader/), whose
Opportunity.csv has Type and no record type.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
from test_salesforce import small_crm

import smk
from smk.io.salesforce import load_salesforce, write_salesforce

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
#: the fixture's opportunities, in its order, and their Type
TYPES = ["New Business", "New Business", "New Business", "Existing Business"]


def _load(tmp_path: Path, **columns: list[str]):
    """The fixture, with `columns` added to its Opportunity.csv, loaded."""
    export = shutil.copytree(FIXTURE, tmp_path / "export")
    path = export / "Opportunity.csv"
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    table.assign(**columns).to_csv(path, index=False, encoding="utf-8-sig")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crm = load_salesforce(export)
    crm.quality.check()  # rows read = loaded + set aside
    return crm, table


def _by_id(crm, table: pd.DataFrame, col: str) -> list:
    deals = crm.deals.set_index("deal_id")
    return [None if pd.isna(v) else v for v in deals.loc[table["Id"], col]]


def test_type_without_a_record_type_is_one_pipeline_and_kept_as_an_extra(tmp_path):
    crm, table = _load(tmp_path)
    assert list(table["Type"]) == TYPES
    assert _by_id(crm, table, "pipeline") == [None] * 4
    assert _by_id(crm, table, "Type") == TYPES
    assert crm.pipelines_sentence() == ""  # one pipeline: nothing to say


def test_the_record_type_name_is_the_pipeline(tmp_path):
    kinds = ["Direct Sales", "Direct Sales", "Partner", "Renewals"]
    crm, table = _load(tmp_path, **{"RecordType.Name": kinds})
    assert _by_id(crm, table, "pipeline") == kinds
    assert _by_id(crm, table, "Type") == TYPES
    assert "Deals of 3 pipelines" in crm.pipelines_sentence()


def test_a_record_type_id_alone_tells_the_pipelines_apart(tmp_path):
    ids = ["0125g000000AbCdAAK", "0125g000000AbCdAAK", "0125g000000EfGhAAK", "0125g000000AbCdAAK"]
    crm, table = _load(tmp_path, RecordTypeId=ids)
    assert _by_id(crm, table, "pipeline") == ids
    assert _by_id(crm, table, "Type") == TYPES


def test_the_writer_puts_the_pipeline_in_the_record_type_and_the_deal_kind_in_type(tmp_path):
    crm = small_crm()  # D-1 acme; D-2 and, later, D-5 globex; D-3 no account
    write_salesforce(crm, tmp_path)
    opp = pd.read_csv(
        tmp_path / "Opportunity.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    assert list(opp["RecordType.Name"]) == list(crm.deals["pipeline"])
    assert list(opp["Type"]) == ["New Customer"] * 3 + ["Existing Customer - Upgrade"]
    back = load_salesforce(tmp_path)
    assert list(back.deals["pipeline"]) == list(crm.deals["pipeline"])


def test_record_type_ids_of_either_length_name_one_pipeline(tmp_path):
    # RV: a report's 15-character id and a Data Loader's 18-character one were two pipelines,
    # and the empty lookup some tools write a pipeline of its own
    ids = ["0125g000000AbCd", "0125g000000AbCdAAK", "000000000000000AAA", "0125g000000EfGh"]
    crm, table = _load(tmp_path, RecordTypeId=ids)
    assert _by_id(crm, table, "pipeline") == [
        "0125g000000AbCdAAK",
        "0125g000000AbCdAAK",
        None,
        "0125g000000EfGhAAK",
    ]


def test_a_record_type_name_like_an_id_of_another_object_is_kept(tmp_path):
    names = ["Enterprise2026Q", "Direct Sales", "0015g000000AbCd", "Renewals"]
    crm, table = _load(tmp_path, **{"RecordType.Name": names})
    assert _by_id(crm, table, "pipeline") == names


def test_a_pipelines_setting_may_name_a_record_type_by_its_15_character_id(tmp_path):
    # RV2: the loader writes 18-character ids, so a setting copied from a report was refused
    ids = ["0125g000000AbCd", "0125g000000AbCd", "0125g000000EfGh", "0125g000000AbCd"]
    crm, _table = _load(tmp_path, RecordTypeId=ids)
    assert len(crm.of_pipelines(["0125g000000AbCd"]).deals) == 3
    assert len(crm.of_pipelines(["0125g000000EfGhAAK"]).deals) == 1


def test_a_pipeline_named_like_a_15_character_id_is_matched_as_given_first(tmp_path):
    # RV3: a canonical export whose pipelines are 15-character ids (a Parquet model of an older
    # load, a report's ids): the setting was rewritten to an 18-character name none had
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-02\n")
    (tmp_path / "deals.csv").write_text(
        "deal_id,contact_id,created_at,pipeline\n"
        "d1,c1,2026-01-05,0125g000000XyZa\nd2,c1,2026-01-05,012345678901234\n"
    )
    crm = smk.load(tmp_path, format="canonical")
    assert list(crm.of_pipelines(["0125g000000XyZa"]).deals["deal_id"]) == ["d1"]
    assert list(crm.of_pipelines(["012345678901234"]).deals["deal_id"]) == ["d2"]
