"""A sync's deleted rows in canonical tables, and telling another CRM's sync from HubSpot's.

Canonical tables written as views or a dbt model over a sync pass its soft deletes on
(`_fivetran_deleted`, `is_deleted`): those rows were loaded as live. A Salesforce sync whose
custom object `Engagement__c` Fivetran names `engagement_c`, one without `lead` and
`opportunity`, or one without `contact` was taken for HubSpot's (its error hunting for
HubSpot's columns) or said to hold no table smk recognises; and a DuckDB file whose other schema
holds a Salesforce sync advised passing that schema, which smk then refused.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_sql import FILE_BACKENDS, accounting_holds, canonical_tables, fivetran_tables, make_db

import smk
from smk.errors import CRMExportError
from smk.io.sql import load_sql
from smk.model import DELETED_IN_CRM, PARENT_DELETED

SALESFORCE = "are those of a Salesforce sync schema, which smk does not read"


def _flagged() -> dict[str, pd.DataFrame]:
    """Canonical tables with a sync's soft deletes: contact C2 `_fivetran_deleted` (as 1, the
    way SQLite stores a boolean), open deal D2 `is_deleted` ('t', as PostgreSQL writes it)."""
    tables = canonical_tables(False)
    tables["contacts"]["_fivetran_deleted"] = [0, 1, 0, None]
    tables["deals"]["is_deleted"] = ["f", "t", None]
    return tables


def _deleted_rows_set_aside(crm: smk.CRM) -> None:
    accounting_holds(crm)
    for table in ("contacts", "deals"):
        assert crm.quality.tables[table].reasons().get(DELETED_IN_CRM) == 1, table
    assert set(crm.contacts["contact_id"]) == {"C1", "C3"}  # C4 has no created_at
    assert "D2" not in set(crm.deals["deal_id"])


@pytest.mark.parametrize("backend", FILE_BACKENDS)
def test_canonical_tables_set_aside_the_rows_a_sync_marks_deleted(tmp_path, backend):
    crm = load_sql(make_db(tmp_path, backend, _flagged()))
    _deleted_rows_set_aside(crm)
    # C2's touchpoint goes with it, as a deleted contact's does in a HubSpot sync
    touchpoints = crm.quality.tables["touchpoints"].reasons()
    assert touchpoints.get(PARENT_DELETED["contact_id"]) == 1


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_canonical_folder_sets_aside_the_rows_a_sync_marks_deleted(tmp_path, kind):
    """A dbt model's tables saved as files: the same columns, the same rows set aside (a
    boolean column in Parquet)."""
    tables = _flagged()
    if kind == "parquet":
        tables["contacts"]["_fivetran_deleted"] = [False, True, False, None]
    for name, frame in tables.items():
        path = tmp_path / f"{name}.{kind}"
        frame.to_csv(path, index=False) if kind == "csv" else frame.to_parquet(path)
    _deleted_rows_set_aside(smk.load(tmp_path, format="canonical"))


def test_a_deleted_flag_of_words_is_said_not_read(tmp_path):
    """`is_deleted` written `Deleted` / `Active` set nothing aside and said nothing: the rows
    loaded as live (RV3 of session 25)."""
    tables = canonical_tables(False)
    tables["contacts"]["is_deleted"] = ["Active", "Deleted", "Active", None]
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    crm = smk.load(tmp_path, format="canonical")
    (said,) = [w for w in crm.quality.warnings if "is no true/false flag" in w]
    assert said.startswith("contacts: contacts.csv: 3 rows' is_deleted is no true/false flag (")
    assert "'Deleted'" in said and "loaded as not deleted in the CRM" in said


def _salesforce_contact() -> pd.DataFrame:
    """A Salesforce Contact as Fivetran syncs it: its API names in snake_case."""
    return pd.DataFrame(
        {
            "id": ["0031"],
            "is_deleted": [False],
            "account_id": ["0011"],
            "last_name": ["Doe"],
            "email": ["a@x.test"],
            "created_date": ["2026-03-01"],
        }
    )


@pytest.mark.parametrize(
    "tables",
    [
        # a custom object Engagement__c: no HubSpot engagement table
        ["lead", "opportunity", "account", "contact", "engagement_c"],
        # a partial sync: neither lead nor opportunity
        ["contact", "account", "task", "event", "campaign_member", "user"],
        # the contact's own columns tell it
        ["contact", "user"],
    ],
)
def test_a_salesforce_sync_is_never_taken_for_hubspots(tmp_path, tables):
    frames = {t: pd.DataFrame({"id": ["1"], "name": ["x"]}) for t in tables}
    frames["contact"] = _salesforce_contact()
    url = make_db(tmp_path, "sqlite", frames)
    with pytest.raises(CRMExportError) as err:
        load_sql(url)
    assert err.value.file == url  # the database, not the contact table
    assert "as a HubSpot schema synced by Fivetran, but its tables" in err.value.reason
    assert SALESFORCE in err.value.reason
    assert "looked for" not in str(err.value)


def test_a_salesforce_sync_without_contacts_is_said_to_be_one(tmp_path):
    """Not "no table smk recognises": what the tables are, and what to do."""
    frames = {t: pd.DataFrame({"id": ["1"]}) for t in ("lead", "opportunity", "account")}
    url = make_db(tmp_path, "sqlite", frames)
    with pytest.raises(CRMExportError) as err:
        load_sql(url)
    assert err.value.file == url
    assert err.value.reason.startswith(
        f"the database's tables (lead, opportunity, account) {SALESFORCE}"
    )
    assert "load Salesforce report exports (CSV) instead" in err.value.reason


def test_a_hubspot_sync_with_an_account_table_is_read(tmp_path):
    """HubSpot's `property_*` columns say HubSpot, whatever other table the schema holds."""
    tables = {t: fivetran_tables()[t] for t in ("contact", "deal")}
    tables["account"] = pd.DataFrame({"id": ["1"], "name": ["x"]})
    crm = load_sql(make_db(tmp_path, "sqlite", tables))
    assert len(crm.contacts) and len(crm.deals)


def test_the_hint_names_no_schema_smk_refuses(tmp_path):
    """A DuckDB file with nothing in its default schema: its Salesforce schema is said to be a
    Salesforce sync, not advised (`--schema salesforce` was then refused)."""
    frames = {"lead": pd.DataFrame({"id": ["1"]}), "contact": _salesforce_contact()}
    url = make_db(tmp_path, "duckdb", frames, schema="salesforce")
    with pytest.raises(CRMExportError) as err:
        load_sql(url)
    assert "no table smk recognises" in err.value.reason
    assert "schema='salesforce'" not in err.value.reason
    assert "schema 'salesforce' holds a Salesforce sync schema" in err.value.reason
