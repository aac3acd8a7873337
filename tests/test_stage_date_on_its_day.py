"""A stage date without a time of day (00:00 UTC of its date) on the day of an earlier stage's
date with a time is read at that earlier moment, in every format (`smk.io.validate.
_stage_dates_in_order`), as Salesforce's ConvertedDate is on the day of the lead's MQL.

Before, a Salesforce Lead with `MQL_Date__c` 2026-03-10 14:00 and `SQL_Date__c` 2026-03-10 (a
workflow-stamped Date field) was an SQL at midnight, before its MQL: the funnel took the MQL
date from the SQL (inferred, 00:00), the SLA counted a nurture call a week before the MQL as
answering it at once (0 h, within the SLA) and the velocity table counted the dates as out of
order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.io import parse

OWNER = "0055g00000UsRa1AAF"
LEAD_HEAD = "Id,LastName,Company,OwnerId,Status,IsConverted,CreatedDate,MQL_Date__c,SQL_Date__c\n"
TASK_HEAD = "Id,WhoId,Subject,Status,IsClosed,TaskSubtype,OwnerId,CreatedDate\n"


def utc(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def _salesforce(folder: Path, leads: list[tuple[str, str, str]], tasks: list[tuple]) -> Path:
    """A Data Loader export: Leads (id, MQL_Date__c, SQL_Date__c), all created 2026-03-01
    09:00 UTC, and their calls (task id, lead id, CreatedDate)."""
    rows = "".join(
        f"{i},L{i},Co {i},{OWNER},Working - Contacted,false,2026-03-01T09:00:00.000+0000,"
        f"{mql},{sql}\n"
        for i, mql, sql in leads
    )
    (folder / "Lead.csv").write_text(LEAD_HEAD + rows, encoding="utf-8")
    calls = "".join(f"{i},{who},Call,Completed,true,Call,{OWNER},{at}\n" for i, who, at in tasks)
    (folder / "Task.csv").write_text(TASK_HEAD + calls, encoding="utf-8")
    return folder


LEAD_A, LEAD_B = "00Q5g00000L0000AAA", "00Q5g00000L0001AAA"


def test_salesforce_sql_date_on_the_mql_day_is_not_before_the_mql(tmp_path):
    """The hunter's repro: a nurture call a week before the MQL no longer answers it."""
    export = _salesforce(
        tmp_path,
        [
            (LEAD_A, "2026-03-10T14:00:00.000+0000", "2026-03-10"),  # SQL on the MQL's day
            (LEAD_B, "2026-03-10T14:00:00.000+0000", "2026-03-11"),  # the next day: as it is
        ],
        [
            ("00T5g00000T0000AAA", LEAD_A, "2026-03-03T10:00:00.000+0000"),  # nurture call
            ("00T5g00000T0001AAA", LEAD_A, "2026-03-12T10:00:00.000+0000"),
            ("00T5g00000T0002AAA", LEAD_B, "2026-03-03T10:00:00.000+0000"),
            ("00T5g00000T0003AAA", LEAD_B, "2026-03-12T10:00:00.000+0000"),
        ],
    )
    crm = smk.load(export)
    contacts = crm.contacts.set_index("contact_id")
    a = contacts.index[contacts.index.str.startswith(LEAD_A[:15])][0]
    b = contacts.index[contacts.index.str.startswith(LEAD_B[:15])][0]
    assert contacts.loc[a, "became_sql_at"] == utc("2026-03-10 14:00")
    assert contacts.loc[b, "became_sql_at"] == utc("2026-03-11")
    leads = smk.sla.mql_leads(crm, smk.sla.SLA(timezone="Europe/Berlin"))
    leads = leads.set_index("contact_id")
    assert not leads["mql_date_inferred"].any()
    assert leads.loc[a, "mql_at"] == utc("2026-03-10 14:00")
    assert leads.loc[a, "speed_to_lead_hours"] == 44.0
    assert not leads.loc[a, "within_sla"]
    speed = smk.funnel.velocity(crm.contacts).set_index("to_stage")
    assert speed.loc["sql", "dates_out_of_order"] == 0
    assert speed.loc["sql", "contacts"] == 2


@pytest.mark.parametrize(
    ("timezone", "mql"),
    [
        ("UTC", "2026-03-10 14:00:00"),
        ("Europe/Berlin", "2026-03-10 15:00:00"),
        ("Europe/Berlin", "2026-03-10 00:30:00"),  # 2026-03-09 23:30 UTC: the date is later
        ("America/New_York", "2026-03-10 21:00:00"),  # 2026-03-11 01:00 UTC
    ],
)
def test_a_canonical_stage_date_on_an_earlier_stages_day_is_read_at_that_moment(
    tmp_path, timezone, mql
):
    """Only a date without a time on the local day of an earlier stage's later moment moves;
    times, other days and dates already after the earlier stage stay as written."""
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at,became_mql_at,became_sql_at,became_opportunity_at,"
        "became_customer_at\n"
        f"same_day,2026-03-01 09:00:00,{mql},2026-03-10,,\n"
        f"next_day,2026-03-01 09:00:00,{mql},2026-03-12,,\n"
        f"day_before,2026-03-01 09:00:00,{mql},2026-03-08,,\n"
        f"timed_before,2026-03-01 09:00:00,{mql},2026-03-05 08:00:00,,\n"
        "won_that_day,2026-03-01 09:00:00,,,2026-03-20 15:00:00,2026-03-20\n",
        encoding="utf-8",
    )
    crm = smk.load(tmp_path, format="canonical", timezone=timezone)
    contacts = crm.contacts.set_index("contact_id")
    mql_at = pd.Timestamp(mql).tz_localize(timezone).tz_convert("UTC")
    sql = contacts["became_sql_at"]
    assert (contacts["became_mql_at"].dropna() == mql_at).all()  # never moved
    assert sql["same_day"] == max(mql_at, utc("2026-03-10"))
    assert sql["next_day"] == utc("2026-03-12")
    assert sql["day_before"] == utc("2026-03-08")
    assert sql["timed_before"] == pd.Timestamp("2026-03-05 08:00").tz_localize(timezone)
    won = contacts.loc["won_that_day"]
    assert won["became_customer_at"] == won["became_opportunity_at"]
    mqls = smk.funnel.mql_entry_dates(crm.contacts).set_index(crm.contacts["contact_id"])
    inferred = mqls["mql_date_inferred"]  # out of order, truly: the SQL a day or more before
    assert inferred.to_dict() == {
        "same_day": False,
        "next_day": False,
        "day_before": True,
        "timed_before": True,
        "won_that_day": True,  # no MQL date: skipped
    }
    assert mqls.loc["same_day", "mql_at"] == mql_at


def test_not_before_on_its_day_moves_only_dates():
    day = pd.Series([utc("2026-03-10"), utc("2026-03-10 09:00"), utc("2026-03-10"), pd.NaT])
    moments = [
        pd.Series([utc("2026-03-10 08:00")] * 4),
        pd.Series([utc("2026-03-10 14:00"), utc("2026-03-10 14:00"), pd.NaT, pd.NaT]),
    ]
    out = parse.not_before_on_its_day(day, moments, "UTC")
    assert out.tolist()[:3] == [utc("2026-03-10 14:00"), utc("2026-03-10 09:00")] + [
        utc("2026-03-10 08:00")
    ]
    assert pd.isna(out.iloc[3])


def test_an_mql_date_beside_a_morning_sql_east_of_utc_is_not_after_it(tmp_path):
    """RV2, the mirror: in Sydney, an MQL date 2026-03-10 and an SQL at 09:00 that day (22:00
    UTC the day before) read SQL before MQL: the MQL was inferred at the SQL's time, so a call
    five days before answered it; an SQL at 13:00 (02:00 UTC) did not. Both are in order now."""
    sydney = "Australia/Sydney"
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at,became_mql_at,became_sql_at\n"
        "morning,2026-03-01 09:00:00,2026-03-10,2026-03-10 09:00:00\n"
        "afternoon,2026-03-01 09:00:00,2026-03-10,2026-03-10 13:00:00\n"
        "next_day,2026-03-01 09:00:00,2026-03-10,2026-03-11 09:00:00\n"
        "late,2026-04-01 10:00:00,,\n",  # the export runs to the month's end (UTC)
        encoding="utf-8",
    )
    (tmp_path / "activities.csv").write_text(
        "activity_id,contact_id,occurred_at,type\n"
        "a1,morning,2026-03-05 10:00:00,call\n"
        "a2,afternoon,2026-03-05 10:00:00,call\n"
        "a3,next_day,2026-03-05 10:00:00,call\n"
        "a4,late,2026-04-01 09:00:00,call\n",
        encoding="utf-8",
    )
    crm = smk.load(tmp_path, format="canonical", timezone=sydney)
    contacts = crm.contacts.set_index("contact_id")
    day_start = pd.Timestamp("2026-03-10").tz_localize(sydney).tz_convert("UTC")
    assert contacts.loc["morning", "became_mql_at"] == day_start  # Sydney's day: before the SQL
    assert contacts.loc["afternoon", "became_mql_at"] == utc("2026-03-10")  # already before
    assert contacts.loc["next_day", "became_mql_at"] == utc("2026-03-10")
    leads = smk.sla.mql_leads(crm, smk.sla.SLA(timezone=sydney), as_of="2026-04-01")
    leads = leads.set_index("contact_id")
    assert not leads["mql_date_inferred"].any()
    assert not leads["worked"].any() and leads["leaked"].all()  # the old call answers none


def test_a_call_that_morning_before_the_sql_answers_the_mql_east_of_utc(tmp_path):
    """RV3: the mirror first moved the MQL date to the SQL's moment, so a call at 08:00 on
    the MQL's day in Sydney, an hour before the SQL, came before the MQL: not worked. The MQL
    date keeps its whole local day, as in every zone at or west of UTC (8 hours)."""
    for zone in ("UTC", "Australia/Sydney", "Pacific/Kiritimati"):
        folder = tmp_path / zone.replace("/", "-")
        folder.mkdir()
        sql, call = (
            pd.Timestamp(f"2026-03-10 {hour}").tz_localize(zone).tz_convert("UTC")
            for hour in ("09:00", "08:00")
        )
        (folder / "contacts.csv").write_text(
            "contact_id,created_at,became_mql_at,became_sql_at\n"
            f"c1,2026-03-01 00:00:00+00:00,2026-03-10,{sql.isoformat()}\n"
            "late,2026-04-01 00:00:00+00:00,,\n",
            encoding="utf-8",
        )
        (folder / "activities.csv").write_text(
            "activity_id,contact_id,occurred_at,type\n"
            f"a1,c1,{call.isoformat()},call\na2,late,2026-03-31 23:00:00+00:00,call\n",
            encoding="utf-8",
        )
        crm = smk.load(folder, format="canonical", timezone=zone)
        lead = smk.sla.mql_leads(crm, smk.sla.SLA(timezone=zone), as_of="2026-04-01").iloc[0]
        assert lead["worked"] and lead["within_sla"], zone
        assert lead["speed_to_lead_hours"] == 8 and not lead["mql_date_inferred"], zone
