"""A CRM built or changed by hand is checked like a loaded one (`smk.model._checked_table`):
column dtypes, missing columns, repeated ids, tables assigned after construction."""

import copy
import dataclasses
import io
import pickle

import pandas as pd
import pytest

import smk
from smk import config, funnel, periods
from smk.model import CRM, SCHEMA, make_table


@pytest.fixture(scope="module")
def loaded() -> CRM:
    return smk.load(config.SAMPLE_HUBSPOT)


def _as_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` written to CSV and read back as a user reads it: every column text."""
    buffer = io.StringIO()
    frame[list(SCHEMA["deals"])].to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer, dtype=str)


# ------------------------------------------------------------------------- 1. column dtypes
def test_flags_read_from_csv_as_text_are_refused_never_read_by_truthiness(loaded):
    """`is_won` read as text "False" was truthy: every deal counted won (win rate 100%)."""
    deals = _as_csv_text(loaded.deals)
    deals["created_at"] = pd.to_datetime(deals["created_at"], utc=True)
    deals["closed_at"] = pd.to_datetime(deals["closed_at"], utc=True)
    deals["amount"] = pd.to_numeric(deals["amount"])
    with pytest.raises(ValueError, match=r"CRM deals\.is_closed has dtype str, not true/false"):
        CRM(deals=deals)
    flags = {"True": True, "False": False}
    typed = deals.assign(
        is_closed=deals["is_closed"].map(flags).astype("boolean"),
        is_won=deals["is_won"].map(flags),  # objects holding bools (and NaN): taken
    )
    crm = CRM(deals=typed)
    assert str(crm.deals["is_won"].dtype) == "boolean"
    assert crm.deals["is_won"].sum() == loaded.deals["is_won"].sum()


@pytest.mark.parametrize(
    "col, values, said",
    [
        ("created_at", ["2026-01-05", "2026-02-01"], r"created_at has dtype str, not UTC time"),
        ("amount", ["100.0", "20"], r"amount has dtype str, not numbers \(float64"),
        ("is_won", [0, 2], r"is_won has dtype int64, not true/false flags"),
        ("stage", [1.5, 2.0], r"stage has dtype float64, not text \(string"),
    ],
)
def test_a_column_of_another_dtype_is_refused_naming_it_and_how_to_convert(col, values, said):
    deals = pd.DataFrame({"deal_id": ["1", "2"], col: values})
    with pytest.raises(ValueError, match=rf"CRM deals\.{said}.*convert it, e.g. with `"):
        CRM(deals=deals)


def test_columns_of_the_kinds_family_are_taken_in_the_models_dtype():
    deals = pd.DataFrame(
        {
            "deal_id": ["1", "2"],
            "amount": [100, 20],  # integers: numbers
            "is_won": [1, 0],  # 0/1: flags
            "is_closed": pd.Series([True, None], dtype=object),
            "lost_reason": [float("nan")] * 2,  # an empty CSV column (floats): empty text
            "closed_at": pd.to_datetime(["2026-01-05", None]).tz_localize("Europe/Berlin"),
        }
    )
    got = CRM(deals=deals).deals
    assert got["amount"].dtype == "float64" and got["amount"].tolist() == [100.0, 20.0]
    assert got["is_won"].tolist() == [True, False] and str(got["is_won"].dtype) == "boolean"
    assert got["is_closed"].tolist() == [True, pd.NA]
    assert str(got["lost_reason"].dtype) == "string"
    employees = CRM(accounts=pd.DataFrame({"account_id": ["a"], "employees": [12.0]}))
    assert str(employees.accounts["employees"].dtype) == "Int64"
    with pytest.raises(ValueError, match=r"accounts\.employees has dtype float64, not whole"):
        CRM(accounts=pd.DataFrame({"account_id": ["a"], "employees": [12.5]}))


def test_times_of_another_zone_or_unit_are_held_as_the_models_utc_nanoseconds(loaded):
    """`pd.to_datetime` gives microseconds, a user's frame may be in local time: the model
    holds the same instants in UTC nanoseconds, which the analyses count in."""
    contacts = loaded.contacts.assign(
        created_at=loaded.contacts["created_at"].dt.tz_convert("Asia/Tokyo").dt.as_unit("us"),
        became_mql_at=pd.to_datetime(loaded.contacts["became_mql_at"].astype(str), utc=True),
    )
    spend = loaded.spend.assign(month=loaded.spend["month"].dt.as_unit("s"))
    crm = dataclasses.replace(loaded, contacts=contacts, spend=spend)
    assert str(crm.contacts["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(crm.contacts["became_mql_at"].dtype) == "datetime64[ns, UTC]"
    assert str(crm.spend["month"].dtype) == "datetime64[ns]"
    pd.testing.assert_series_equal(crm.contacts["created_at"], loaded.contacts["created_at"])
    for month in ("2026-03", "2026-10"):
        pd.testing.assert_frame_equal(
            funnel.funnel_counts(crm.contacts, month), funnel.funnel_counts(loaded.contacts, month)
        )
    assert periods.empty_months(crm) == periods.empty_months(loaded)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_a_time_nanoseconds_cannot_hold_is_refused_naming_its_row(zone):
    """In any zone: bounds put in a zone east or west of UTC overflow themselves (RV)."""
    times = pd.Series(pd.to_datetime(["2026-01-05", "2300-01-01"]).tz_localize(zone), index=[7, 8])
    with pytest.raises(
        ValueError, match=r"contacts\.became_mql_at holds a time .*2300-01-01.*row 8"
    ):
        CRM(contacts=pd.DataFrame({"contact_id": ["a", "b"], "became_mql_at": times}, index=[7, 8]))


# ---------------------------------------------------------------------- 2. missing columns
def test_missing_columns_are_added_empty_and_a_missing_id_column_refused():
    """contacts with only three columns were taken, then `sla.mql_leads` raised KeyError
    'owner_id' deep in pandas."""
    from smk import sla

    created = pd.to_datetime(["2026-01-05", "2026-02-03"], utc=True)
    hand = CRM(
        contacts=pd.DataFrame(
            {"contact_id": ["1", "2"], "created_at": created, "became_lead_at": created}
        )
    )
    assert list(hand.contacts.columns) == list(SCHEMA["contacts"])
    model = make_table("contacts", []).dtypes
    added = [
        c for c in SCHEMA["contacts"] if c not in ("contact_id", "created_at", "became_lead_at")
    ]
    assert hand.contacts[added].dtypes.equals(model[added])
    assert sla.mql_leads(hand).empty  # no MQL, no KeyError
    with pytest.raises(ValueError, match=r"CRM contacts has no contact_id column"):
        CRM(contacts=pd.DataFrame({"created_at": created}))


def test_a_model_read_with_some_columns_keeps_only_those(loaded, tmp_path):
    wanted = ["contact_id", "occurred_at", "channel"]
    part = CRM.from_parquet(loaded.to_parquet(tmp_path / "m"), columns={"touchpoints": wanted})
    assert list(part.touchpoints.columns) == wanted
    filtered = part.of_pipelines(None)
    assert list(dataclasses.replace(filtered).touchpoints.columns) == wanted


# ------------------------------------------------------------------------ 3. repeated ids
def test_two_loads_concatenated_are_refused_naming_the_repeated_ids(loaded):
    """The funnel counted every contact twice, and elsewhere InvalidIndexError."""
    tables = {n: pd.concat([t, t], ignore_index=True) for n, t in loaded.tables().items()}
    first = loaded.contacts["contact_id"].iloc[0]
    n = len(loaded.contacts)
    said = rf"CRM contacts\.contact_id repeats ids: {n:,} rows .* \(the first: '{first}'\)"
    with pytest.raises(ValueError, match=said):
        CRM(**tables)
    deals = pd.DataFrame({"deal_id": ["7", "8", "7", None, None]})
    with pytest.raises(ValueError, match=r"deals\.deal_id repeats ids: 1 row has .* '7'"):
        CRM(deals=deals)


def test_a_loaded_model_keeps_its_checked_ids_and_a_filtered_one_loads(loaded):
    again = dataclasses.replace(loaded)
    assert again.contacts is loaded.contacts  # nothing changed, nothing copied
    half = loaded.contacts.iloc[: len(loaded.contacts) // 2]
    assert len(CRM(contacts=half, quality=loaded.quality).contacts) == len(half)


# ------------------------------------------------------------- 4. tables assigned afterwards
def test_a_table_assigned_after_construction_is_checked(loaded):
    crm = dataclasses.replace(loaded)
    naive = crm.contacts.assign(created_at=crm.contacts["created_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match=r"CRM contacts\.created_at holds timestamps without"):
        crm.contacts = naive
    crm.contacts = crm.contacts.astype({"contact_id": "int64"})
    assert str(crm.contacts["contact_id"].dtype) == "string"
    with pytest.raises(ValueError, match=r"contacts\.contact_id repeats ids"):
        crm.contacts = pd.concat([crm.contacts, crm.contacts])
    assert funnel.funnel_counts(crm.contacts).equals(funnel.funnel_counts(loaded.contacts))


def test_copies_and_pickles_keep_checking_assigned_tables(loaded):
    for other in (copy.copy(loaded), copy.deepcopy(loaded), pickle.loads(pickle.dumps(loaded))):
        pd.testing.assert_frame_equal(other.deals, loaded.deals)
        with pytest.raises(ValueError, match=r"deals\.amount has dtype str"):
            other.deals = other.deals.assign(amount=other.deals["amount"].astype(str))
