"""Write a `CRM` as a HubSpot UI export: the files a marketer downloads from HubSpot.

This is the writer only (used by the synthetic data generator and for fixtures); HubSpot
exports are read through `smk/mappings/hubspot.yaml`. Files are named like the UI exports
(``hubspot-crm-exports-all-contacts-2026-11-01.csv``, ``...-all-companies-...``,
``...-all-deals-...``), with HubSpot's English labels as headers (``Record ID``,
``Lifecycle Stage`` = ``Marketing Qualified Lead``, ``Original Source`` = ``Organic Search``,
``Associated Company IDs``, ``Deal Stage``, ``Close Date``), timestamps as ``YYYY-MM-DD HH:MM``
in UTC (HubSpot drops the seconds) and a few extra columns a real export has (First Name,
Last Name, Company Name, Deal Name, Call direction). Touchpoints go to
``...-all-interactions-...``, sales activities to one file per type (``...-all-calls-...``,
``-emails-``, ``-meetings-``, ``-tasks-``) and ad spend to ``ad-spend.csv``, as the mapping
expects (not ``spend.csv``: a file named after a model table with our column names makes
`smk.io.detect_format` take the folder for a canonical export).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smk.checks import checked_tables
from smk.io.canonical import format_datetimes, format_numbers, text, write_text_csv
from smk.model import CRM

DATE_FORMAT = "%Y-%m-%d %H:%M"

LIFECYCLE_LABELS: dict[str, str] = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "mql": "Marketing Qualified Lead",
    "sql": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other",
}
STAGE_DATE_LABELS: dict[str, str] = {
    "became_subscriber_at": "Became a Subscriber Date",
    "became_lead_at": "Became a Lead Date",
    "became_mql_at": "Became a Marketing Qualified Lead Date",
    "became_sql_at": "Became a Sales Qualified Lead Date",
    "became_opportunity_at": "Became an Opportunity Date",
    "became_customer_at": "Became a Customer Date",
    "became_evangelist_at": "Became an Evangelist Date",
}
SOURCE_LABELS: dict[str, str] = {
    "organic_search": "Organic Search",
    "paid_search": "Paid Search",
    "email": "Email Marketing",
    "organic_social": "Social Media",
    "paid_social": "Paid Social",
    "referral": "Referrals",
    "direct": "Direct Traffic",
    "offline": "Offline Sources",
    "other_campaigns": "Other Campaigns",
    "other": "Integration",
}
TOUCH_TYPE_LABELS: dict[str, str] = {
    "visit": "Page view",
    "form": "Form submission",
    "email_click": "Marketing email click",
    "ad_click": "Ad click",
    "event": "Marketing event",
    "content": "Content download",
    "chat": "Conversation",
    "other": "Other",
}
ACTIVITY_FILES: dict[str, str] = {
    "call": "calls",
    "email": "emails",
    "meeting": "meetings",
    "task": "tasks",
}


def export_file_name(view: str, export_date: str) -> str:
    """``hubspot-crm-exports-<view>-<YYYY-MM-DD>.csv``, as HubSpot names a UI export."""
    return f"hubspot-crm-exports-{view}-{export_date}.csv"


def _labels(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Our vocabulary -> HubSpot's labels (values without a label are kept as they are)."""
    arr = pa.array(text(values), from_pandas=True).dictionary_encode()
    words = arr.dictionary.to_pylist()
    relabelled = pa.array([labels.get(w, w) for w in words], pa.string())
    out = pa.DictionaryArray.from_arrays(arr.indices, relabelled).cast(pa.string())
    return text(out, index=values.index)


def _dates(values: pd.Series) -> pd.Series:
    return format_datetimes(values, DATE_FORMAT)


def _default_export_date(crm: CRM) -> str:
    stamps = [
        crm.contacts["created_at"].max() if len(crm.contacts) else pd.NaT,
        crm.touchpoints["occurred_at"].max() if len(crm.touchpoints) else pd.NaT,
    ]
    stamps = [s for s in stamps if pd.notna(s)]
    day = max(stamps) if stamps else pd.Timestamp.now(tz="UTC")
    return (day.normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


def _names_from_email(email: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last name from ``first.last<n>@...`` addresses (else empty), capitalised."""
    arr = pa.array(text(email), from_pandas=True)
    parts = pc.extract_regex(arr, r"^(?P<first>[A-Za-z]+)\.(?P<last>[A-Za-z]+)\d*@")
    first = pc.utf8_capitalize(pc.struct_field(parts, "first"))
    last = pc.utf8_capitalize(pc.struct_field(parts, "last"))
    return text(first, index=email.index), text(last, index=email.index)


@checked_tables
def hubspot_frames(crm: CRM, export_date: str) -> list[tuple[str, str, pd.DataFrame]]:
    """The export as ``(table, file name, frame of text)`` triples, before writing.

    Each frame keeps the index of the table it came from, so a caller can find (and, for test
    data, deliberately spoil) the line a given record lands on.
    """
    out: list[tuple[str, str, pd.DataFrame]] = []
    company_names = crm.accounts.set_index("account_id")["name"] if len(crm.accounts) else None

    def company_name(ids: pd.Series) -> pd.Series:
        if company_names is None:
            return pd.Series(pd.NA, index=ids.index, dtype="string")
        names = company_names[~company_names.index.duplicated()]
        return text(ids.map(names))

    c = crm.contacts
    first, last = _names_from_email(c["email"])
    contacts = pd.DataFrame(
        {
            "Record ID": text(c["contact_id"]),
            "First Name": first,
            "Last Name": last,
            "Email": text(c["email"]),
            "Job Title": text(c["job_title"]),
            "Contact owner": text(c["owner_id"]),
            "Lifecycle Stage": _labels(c["lifecycle_stage"], LIFECYCLE_LABELS),
            "Create Date": _dates(c["created_at"]),
            **{label: _dates(c[col]) for col, label in STAGE_DATE_LABELS.items()},
            "Original Source": _labels(c["original_source"], SOURCE_LABELS),
            "Original Source Drill-Down 1": text(c["original_source_detail"]),
            "Country/Region": text(c["country"]),
            "Company Name": company_name(c["account_id"]),
            "Associated Company IDs": text(c["account_id"]),
        },
        index=c.index,
    )
    out.append(("contacts", export_file_name("all-contacts", export_date), contacts))

    a = crm.accounts
    companies = pd.DataFrame(
        {
            "Record ID": text(a["account_id"]),
            "Company name": text(a["name"]),
            "Industry": text(a["industry"]),
            "Number of Employees": format_numbers(a["employees"]),
            "Annual Revenue": format_numbers(a["annual_revenue"]),
            "Country/Region": text(a["country"]),
            "Create Date": _dates(a["created_at"]),
        },
        index=a.index,
    )
    out.append(("accounts", export_file_name("all-companies", export_date), companies))

    d = crm.deals
    deal_name = (
        company_name(d["account_id"]).fillna("New deal") + " - " + text(d["product"]).fillna("deal")
    )
    deals = pd.DataFrame(
        {
            "Record ID": text(d["deal_id"]),
            "Deal Name": deal_name,
            "Pipeline": text(d["pipeline"]),
            "Deal Stage": text(d["stage"]),
            "Amount": format_numbers(d["amount"]),
            "Currency": text(d["currency"]),
            "Close Date": _dates(d["closed_at"]),
            "Create Date": _dates(d["created_at"]),
            "Deal owner": text(d["owner_id"]),
            "Closed Lost Reason": text(d["lost_reason"]),
            "Product line": text(d["product"]),
            "Associated Company IDs": text(d["account_id"]),
            "Associated Contact IDs": text(d["contact_id"]),
        },
        index=d.index,
    )
    out.append(("deals", export_file_name("all-deals", export_date), deals))

    t = crm.touchpoints
    touches = pd.DataFrame(
        {
            "Interaction ID": text(t["touchpoint_id"]),
            "Contact ID": text(t["contact_id"]),
            "Interaction date": _dates(t["occurred_at"]),
            "Interaction source": _labels(t["channel"], SOURCE_LABELS),
            "Campaign": text(t["campaign"]),
            "Interaction type": _labels(t["touch_type"], TOUCH_TYPE_LABELS),
        },
        index=t.index,
    )
    out.append(("touchpoints", export_file_name("all-interactions", export_date), touches))

    act = crm.activities
    for kind, view in ACTIVITY_FILES.items():
        rows = act[act["type"] == kind]
        if rows.empty:
            continue
        frame = pd.DataFrame(
            {
                "Record ID": text(rows["activity_id"]),
                "Activity date": _dates(rows["occurred_at"]),
                "Activity assigned to": text(rows["owner_id"]),
                "Associated Contact IDs": text(rows["contact_id"]),
                "Associated Deal IDs": text(rows["deal_id"]),
            },
            index=rows.index,
        )
        if kind == "call":
            frame["Call direction"] = text(pd.Series("Outbound", index=rows.index))
        out.append(("activities", export_file_name(f"all-{view}", export_date), frame))

    s = crm.spend
    spend = pd.DataFrame(
        {
            "Month": text(pd.to_datetime(s["month"]).dt.strftime("%Y-%m")),
            "Channel": _labels(s["channel"], SOURCE_LABELS),
            "Campaign": text(s["campaign"]),
            "Amount": format_numbers(s["amount"]),
            "Currency": text(s["currency"]),
        },
        index=s.index,
    )
    out.append(("spend", "ad-spend.csv", spend))
    return out


@checked_tables
def write_hubspot(crm: CRM, out_dir: str | Path, export_date: str | None = None) -> list[Path]:
    """Write `crm` as HubSpot UI export files into `out_dir`; returns the paths written.

    Parameters
    ----------
    crm : the model to write (canonical tables).
    out_dir : folder to create or fill.
    export_date : ``YYYY-MM-DD`` in the file names; default the day after the latest record.

    Empty tables (and activity types without rows) are not written, as HubSpot would not offer
    an export for them. ``smk.load(out_dir, format="hubspot")`` reads the folder back.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    date = export_date or _default_export_date(crm)
    return [
        write_text_csv(frame, folder / name)
        for _table, name, frame in hubspot_frames(crm, date)
        if not frame.empty
    ]
