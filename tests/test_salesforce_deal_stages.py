"""A Salesforce person's opportunity and customer dates come from the opportunities loaded.

They were derived from every row of Opportunity.csv, also the rows `assemble` then set aside
(`negative amount`, `unknown account_id`, ...): a contact whose only won deal was set aside
counted as a customer (the sample's October funnel: 11 customers for 10 won deals). Each test
copies the Data Loader fixture (tests/fixtures/salesforce/dataloader/, the org of
tests/test_salesforce.py) and changes its Opportunity.csv.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import config, funnel, periods
from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
ADA, EVE = salesforce_id18("0035g00000CtAa1"), salesforce_id18("00Q5g00000LdEe5")
CHIARA, DIETER = salesforce_id18("0035g00000CtCc3"), salesforce_id18("0035g00000CtDd4")
O1 = salesforce_id18("0065g00000OpAa1")  # Ada's only deal: won, created 10 Feb, closed 28 Mar
UNKNOWN_ACCOUNT = "0015g00000ZzZz9AAA"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _export(tmp_path: Path, extra: list[dict] | None = None, **changes: dict) -> Path:
    """The fixture with Opportunity rows changed (named by a part of their id) and added."""
    export = shutil.copytree(FIXTURE, tmp_path / "sf")
    opps = pd.read_csv(export / "Opportunity.csv", dtype=str, encoding="utf-8-sig")
    for part, values in changes.items():
        rows = opps["Id"].str.contains(part)
        assert rows.sum() == 1, part
        for col, value in values.items():
            opps.loc[rows, col] = value
    if extra:
        opps = pd.concat([opps, pd.DataFrame(extra)], ignore_index=True)
    opps.to_csv(export / "Opportunity.csv", index=False)
    return export


def _won(contact: str, **values: str) -> dict:
    """A won opportunity of `contact` (its account known unless `values` say otherwise)."""
    return {
        "Id": "0065g00000OpEe5AAF",
        "AccountId": "0015g00000Gbx1AAAR",
        "ContactId": contact,
        "Name": "Added deal",
        "StageName": "Closed Won",
        "Amount": "1000",
        "CloseDate": "2024-02-20",
        "IsClosed": "1",
        "IsWon": "1",
        "CurrencyIsoCode": "USD",
        "CreatedDate": "2024-02-01T09:00:00.000+0000",
        **values,
    }


def _person(crm, contact_id: str) -> pd.Series:
    rows = crm.contacts[crm.contacts["contact_id"] == contact_id]
    assert len(rows) == 1
    return rows.iloc[0]


def _notes(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "would have made" in w]


def test_a_contact_whose_only_won_deal_is_set_aside_is_no_customer(tmp_path):
    crm = load_salesforce(_export(tmp_path, OpAa1={"Amount": "-48000"}))
    aside = crm.quality.set_aside("deals")
    assert aside.loc[aside["deal_id"] == O1, "_reason"].tolist() == ["negative amount"]
    crm.quality.check()  # read == loaded + set aside
    ada = _person(crm, ADA)
    assert pd.isna(ada["became_opportunity_at"]) and pd.isna(ada["became_customer_at"])
    # the stage her Lead gives: converted ("Closed - Converted"), SQL date 9 Feb
    assert ada["lifecycle_stage"] == "sql"
    assert ada["became_sql_at"] == utc("2024-02-09 17:20")
    assert _notes(crm) == [
        "deals: 1 opportunity set aside (negative amount: 1) would have made 1 contact an "
        "opportunity or a customer, or made it one earlier: a contact's opportunity and "
        "customer dates and lifecycle stage come from its loaded opportunities only; it is left "
        "with none and keeps the stage of their Lead or Contact"
    ]


def test_a_set_aside_deal_gives_no_earlier_date_than_the_loaded_ones(tmp_path):
    """Ada's loaded deal (created 10 Feb, won 28 Mar) and one of an unknown account, created
    and won earlier (1 and 20 Feb): her dates are the loaded deal's."""
    added = _won(ADA, AccountId=UNKNOWN_ACCOUNT)
    crm = load_salesforce(_export(tmp_path, extra=[added]))
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["unknown account_id"]
    ada = _person(crm, ADA)
    assert ada["became_opportunity_at"] == utc("2024-02-10 16:05")
    assert ada["became_customer_at"] == utc("2024-03-28")
    assert ada["lifecycle_stage"] == "customer"
    assert _notes(crm) == [
        "deals: 1 opportunity set aside (unknown account_id: 1) would have made 1 contact an "
        "opportunity or a customer, or made it one earlier: a contact's opportunity and "
        "customer dates and lifecycle stage come from its loaded opportunities only"
    ]


def test_a_loaded_earlier_deal_still_sets_the_dates(tmp_path):
    """The same added deal with a known account is loaded: it is Ada's first; no warning."""
    crm = load_salesforce(_export(tmp_path, extra=[_won(ADA)]))
    ada = _person(crm, ADA)
    assert ada["became_opportunity_at"] == utc("2024-02-01 09:00")
    assert ada["became_customer_at"] == utc("2024-02-20")
    assert _notes(crm) == []


def test_a_disqualified_lead_is_other_unless_a_loaded_deal_shows_otherwise(tmp_path):
    """Eve's Lead is `Closed - Not Converted` (`other`); a deal made her an opportunity, one
    set aside (a close before its creation) does not."""
    deal = _won(EVE, StageName="Prospecting", IsClosed="", IsWon="", CloseDate="2024-05-01")
    loaded = load_salesforce(_export(tmp_path / "a", extra=[deal]))
    assert _person(loaded, EVE)["lifecycle_stage"] == "opportunity"
    bad = _won(EVE, CloseDate="2024-01-15")  # closed before created (1 Feb)
    crm = load_salesforce(_export(tmp_path / "b", extra=[bad]))
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["closed_at before created_at"]
    eve = _person(crm, EVE)
    assert eve["lifecycle_stage"] == "other"
    assert pd.isna(eve["became_opportunity_at"]) and pd.isna(eve["became_customer_at"])
    assert len(_notes(crm)) == 1


def test_deals_of_a_contact_merged_by_e_mail_count_for_the_survivor(tmp_path):
    """Dieter shares Chiara's e-mail and is merged into her (created first): his deal (created
    1 Feb, lost) is the survivor's first opportunity; hers (won 2 Apr) makes her a customer."""
    export = _export(tmp_path)
    people = pd.read_csv(export / "Contact.csv", dtype=str, encoding="utf-8-sig")
    people.loc[people["Id"].str.startswith("0035g00000CtDd4"), "Email"] = (
        "chiara@initech-sample.example"
    )
    people.to_csv(export / "Contact.csv", index=False)
    crm = load_salesforce(export)
    assert not (crm.contacts["contact_id"] == DIETER).any()
    chiara = _person(crm, CHIARA)
    assert chiara["became_opportunity_at"] == utc("2024-02-01 10:30")
    assert chiara["became_customer_at"] == utc("2024-04-02 16:20")
    assert chiara["lifecycle_stage"] == "customer"


def test_the_samples_stage_dates_are_those_of_its_loaded_deals():
    """The sample: no contact is an opportunity or a customer without a loaded deal, and the
    funnel counts as many customers in October as deals were won (10; 11 before), as many
    opportunities in May as deals were created (14; 15 before)."""
    crm = smk.load(config.SAMPLE_SALESFORCE)
    contacts, deals = crm.contacts.set_index("contact_id"), crm.deals
    won = deals[deals["is_won"].fillna(False).astype(bool)]
    for col, frame, when in (
        ("became_opportunity_at", deals, "created_at"),
        ("became_customer_at", won, "closed_at"),
    ):
        first = frame.groupby("contact_id")[when].min().reindex(contacts.index)
        same = (contacts[col] == first) | (contacts[col].isna() & first.isna())
        assert contacts.index[~same].tolist() == [], col
    for month, stage, made in (
        ("2026-10", "customer", won["closed_at"]),
        ("2026-05", "opportunity", deals["created_at"]),
    ):
        counts = funnel.funnel_counts(crm.contacts, month=month)
        shown = int(counts.loc[counts["stage"] == stage, "contacts"].iloc[0])
        m = periods.Month(month)
        assert shown == int(((made >= m.start) & (made < m.end)).sum())
    october = funnel.funnel_counts(crm.contacts, month="2026-10")
    assert int(october.loc[october["stage"] == "customer", "contacts"].iloc[0]) == 10
    assert _notes(crm) == [  # as docs/data-model.md quotes it
        "deals: 4 opportunities set aside (closed_at before created_at: 1, negative amount: 2, "
        "unknown account_id: 1) would have made 4 contacts an opportunity or a customer, or "
        "made them one earlier: a contact's opportunity and customer dates and lifecycle stage "
        "come from its loaded opportunities only; they are left with none and keep the stage "
        "of their Lead or Contact"
    ]


BERTRAND, CLEO = salesforce_id18("0035g00000CtBb2"), salesforce_id18("00Q5g00000Xa1bC")
O2 = salesforce_id18("0065g00000OpBb2")  # Bertrand's deal (his converted Lead's), 5 Mar


def _copy_of_o2(**values: str) -> dict:
    """Bertrand's opportunity row as the fixture has it, with `values` changed."""
    opps = pd.read_csv(FIXTURE / "Opportunity.csv", dtype=str, encoding="utf-8-sig")
    row = opps[opps["Id"].str.startswith("0065g00000OpBb2")].iloc[0].dropna().to_dict()
    return {**row, **values}


def _only_o2_copy_note(reason: str) -> list[str]:
    """The warning of a set-aside copy of O2 created 5 Jan naming Cleo: it would have made
    Cleo (no deal) an opportunity and Bertrand (on O2 by his converted Lead) one earlier."""
    return [
        f"deals: 1 opportunity set aside ({reason}: 1) would have made 2 contacts an "
        "opportunity or a customer, or made them one earlier: a contact's opportunity and "
        "customer dates and lifecycle stage come from its loaded opportunities only; 1 of them "
        "is left with none and keeps the stage of their Lead or Contact"
    ]


def _cleo_stays_mql_and_bertrand_has_o2(crm) -> None:
    cleo, bertrand = _person(crm, CLEO), _person(crm, BERTRAND)
    assert cleo["lifecycle_stage"] == "mql"
    assert pd.isna(cleo["became_opportunity_at"]) and pd.isna(cleo["became_customer_at"])
    assert bertrand["became_opportunity_at"] == utc("2024-03-05 09:45")
    assert bertrand["lifecycle_stage"] == "opportunity"
    deal = crm.deals[crm.deals["deal_id"] == O2]
    assert deal["contact_id"].tolist() == [BERTRAND]
    assert deal["created_at"].tolist() == [utc("2024-03-05 09:45")]


def test_a_contact_named_only_on_a_duplicate_row_of_a_deal_is_no_opportunity(tmp_path):
    """A second row of Bertrand's deal in the same file names Cleo (a lead, MQL): it is set
    aside as a duplicate, so Cleo gets no date from the loaded row (she did: 5 Mar, no warning)."""
    dup = _copy_of_o2(ContactId=CLEO, CreatedDate="2024-01-05T09:00:00.000+0000")
    crm = load_salesforce(_export(tmp_path, extra=[dup]))
    aside = crm.quality.set_aside("deals")
    assert aside["_reason"].tolist() == ["duplicate deal_id"]
    assert aside["_row"].tolist() == ["6"]
    _cleo_stays_mql_and_bertrand_has_o2(crm)
    assert _notes(crm) == _only_o2_copy_note("duplicate deal_id")


def test_a_deal_in_two_exports_takes_its_people_from_the_newest_copy(tmp_path):
    """The older export's copy of Bertrand's deal names Cleo, the newer one (loaded) Bertrand:
    the deal's contact is Bertrand (it was Cleo, the first row's) and Cleo gets no date (she
    got the loaded copy's); the warning counts Cleo as left with none (it said 0)."""
    export = _export(tmp_path)
    modified = {"LastModifiedDate": "2024-04-01T00:00:00.000+0000"}
    old = _copy_of_o2(
        ContactId=CLEO,
        CreatedDate="2024-01-05T09:00:00.000+0000",
        LastModifiedDate="2024-03-01T00:00:00.000+0000",
    )
    newer = pd.read_csv(export / "Opportunity.csv", dtype=str, encoding="utf-8-sig")
    newer.assign(**modified).to_csv(export / "Opportunity_2024-05-01.csv", index=False)
    pd.DataFrame([old]).to_csv(export / "Opportunity_2024-03-01.csv", index=False)
    (export / "Opportunity.csv").unlink()
    crm = load_salesforce(export)
    aside = crm.quality.set_aside("deals")
    assert aside["_file"].tolist() == ["Opportunity_2024-03-01.csv"]
    assert aside["_reason"].tolist() == ["older copy of a record in a later export"]
    _cleo_stays_mql_and_bertrand_has_o2(crm)
    assert _notes(crm) == _only_o2_copy_note("older copy of a record in a later export")


def test_a_person_added_to_an_older_deal_dates_its_stages_from_its_creation(tmp_path):
    """Two contacts added to Ada's deal O1 (created 10 Feb, won 28 Mar) by contact roles, one
    created 1 Mar and one 5 Apr, after the deal: no stage is dated before the person existed
    (they became an opportunity on 10 Feb and a customer on 28 Mar, the funnel filling lead,
    MQL and SQL before their creation)."""
    export = _export(tmp_path)
    people = pd.read_csv(export / "Contact.csv", dtype=str, encoding="utf-8-sig")
    added = {"AccountId": "0015g00000Gbx1AAAR", "LastName": "Added", "OwnerId": ""}
    new = [
        {**added, "Id": "0035g00000CtIi9AAF", "CreatedDate": "2024-03-01T09:00:00.000+0000"},
        {**added, "Id": "0035g00000CtJj0AAF", "CreatedDate": "2024-04-05T09:00:00.000+0000"},
    ]
    pd.concat([people, pd.DataFrame(new)]).to_csv(export / "Contact.csv", index=False)
    roles = pd.read_csv(export / "OpportunityContactRole.csv", dtype=str, encoding="utf-8-sig")
    role = {"OpportunityId": "0065g00000OpAa1AAF", "Role": "Influencer", "IsPrimary": "0"}
    new_roles = [
        {**role, "Id": "00K5g00000OcIi9EAF", "ContactId": "0035g00000CtIi9AAF"},
        {**role, "Id": "00K5g00000OcJj0EAF", "ContactId": "0035g00000CtJj0AAF"},
    ]
    roles = pd.concat([roles, pd.DataFrame(new_roles)])
    roles.to_csv(export / "OpportunityContactRole.csv", index=False)
    crm = load_salesforce(export)
    march, april = _person(crm, "0035g00000CtIi9AAF"), _person(crm, "0035g00000CtJj0AAF")
    assert march["became_opportunity_at"] == utc("2024-03-01 09:00")
    assert march["became_customer_at"] == utc("2024-03-28")
    assert april["became_opportunity_at"] == april["became_customer_at"] == utc("2024-04-05 09:00")
    assert march["lifecycle_stage"] == april["lifecycle_stage"] == "customer"
    ada = _person(crm, ADA)  # on O1 from its start: its dates as they were
    assert ada["became_opportunity_at"] == utc("2024-02-10 16:05")
    assert ada["became_customer_at"] == utc("2024-03-28")
    contacts = crm.contacts
    for col in ("became_opportunity_at", "became_customer_at"):
        assert not (contacts[col] < contacts["created_at"]).any(), col


# ------------------------------------------- a close date the evening before, in UTC
# A close date without a time the day before a deal's UTC creation day, in a load in UTC.
#
# Data Loader writes every timestamp at +0000, so a user has no reason to give `--timezone`. A
# US org's opportunity created at 20:00 in Los Angeles (03:00 UTC the next day) and closed that
# evening (CloseDate, a date, the local day) was set aside as `closed_at before created_at`: its
# won revenue lost, and nothing suggested `--timezone`. Now, in a load in UTC, such a close date
# counts at the creation moment when some zone west of UTC (down to UTC-12) puts the creation on
# it, and a warning counts those deals and names `--timezone`; anything earlier stays a fault.
US_ACCOUNT = "Id,Name,CreatedDate\n0015g00000AAAAAAAA,Acme Inc,2025-01-01T00:00:00.000+0000\n"
US_CONTACT = (
    "Id,AccountId,LastName,Email,LeadSource,CreatedDate\n"
    "0035g00000CCCCCAAA,0015g00000AAAAAAAA,Doe,jd@acme.test,Web,2026-09-01T12:00:00.000+0000\n"
)
US_OPP_HEAD = "Id,AccountId,ContactId,Name,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate\n"
#: (id suffix, CloseDate, CreatedDate): every one Closed Won
US_OPPS = [
    ("EVE", "2026-10-14", "2026-10-15T03:00:00.000+0000"),  # 20:00 on 14 Oct in Los Angeles
    ("LAST", "2026-10-14", "2026-10-15T11:59:00.000+0000"),  # 23:59 on 14 Oct at UTC-12
    ("NOON", "2026-10-14", "2026-10-15T12:00:00.000+0000"),  # 15 Oct in every zone
    ("TWO", "2026-10-13", "2026-10-15T03:00:00.000+0000"),  # two days before
]


def oid(suffix: str) -> str:
    """The loaded (18-character) id of the opportunity `suffix`."""
    return salesforce_id18(oid15(suffix))


def oid15(suffix: str) -> str:
    return f"0065g00000{suffix:0<5}"


def _us_export(tmp_path: Path, opps: list[tuple[str, str, str]] = US_OPPS) -> Path:
    """A Data Loader export of one account, one contact and the won opportunities `opps`."""
    (tmp_path / "Account.csv").write_text(US_ACCOUNT, encoding="utf-8")
    (tmp_path / "Contact.csv").write_text(US_CONTACT, encoding="utf-8")
    people = "0015g00000AAAAAAAA,0035g00000CCCCCAAA"
    rows = [
        f"{oid15(s)},{people},{s},Closed Won,1000,{close},1,1,{created}"
        for s, close, created in opps
    ]
    (tmp_path / "Opportunity.csv").write_text(
        US_OPP_HEAD + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return tmp_path


def _west_warnings(crm) -> list[str]:
    return [w for w in crm.quality.warnings if "west of UTC" in w]


def test_a_close_date_the_evening_before_in_utc_counts_at_creation(tmp_path):
    crm = smk.load(_us_export(tmp_path))
    deals = crm.deals.set_index("deal_id")
    assert sorted(deals.index) == sorted([oid("EVE"), oid("LAST")])
    assert (deals["closed_at"] == deals["created_at"]).all()
    aside = crm.quality.set_aside("deals").set_index("deal_id")["_reason"]
    assert aside.to_dict() == {
        oid("NOON"): "closed_at before created_at",
        oid("TWO"): "closed_at before created_at",
    }
    (note,) = _west_warnings(crm)
    assert note.startswith("deals: 2 deals with a close date without a time the day before")
    assert "--timezone" in note
    months = smk.sla.pipeline_by_month(smk.sla.deal_table(crm)).set_index("month")
    assert months.loc["2026-10", "won_revenue"] == 2000


def test_the_warning_counts_only_deals_loaded(tmp_path):
    """A deal that is set aside for another fault (an unknown account) is not counted."""
    export = _us_export(tmp_path, US_OPPS[:2])
    path = export / "Opportunity.csv"
    path.write_text(
        path.read_text().replace(
            "0015g00000AAAAAAAA,0035g00000CCCCCAAA,LAST",
            "0015g00000ZZZZZAAA,0035g00000CCCCCAAA,LAST",
        )
    )
    crm = smk.load(export)
    (note,) = _west_warnings(crm)
    assert note.startswith("deals: 1 deal with a close date without a time the day before its")


@pytest.mark.parametrize(
    ("timezone", "loaded"),
    [
        ("America/Los_Angeles", ["EVE"]),  # its local day: as before, and no warning
        ("Europe/Berlin", []),  # the zone is known: 05:00 on 15 Oct there, a close before
    ],
)
def test_a_given_zone_decides_alone(tmp_path, timezone, loaded):
    crm = smk.load(_us_export(tmp_path), timezone=timezone)
    assert sorted(crm.deals["deal_id"]) == sorted(oid(s) for s in loaded)
    assert _west_warnings(crm) == []


def _canonical_deals(tmp_path, other: str) -> smk.CRM:
    """A canonical export of a won deal closed on the date-only day before its creation
    morning in UTC (`eve`), and the deal `other` (a deals.csv row), loaded."""
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2026-01-05\n")
    (tmp_path / "deals.csv").write_text(
        "deal_id,created_at,closed_at,is_closed,is_won,amount\n"
        f"eve,2026-02-27 03:00:00,2026-02-26,true,true,5\n{other}\n"
    )
    return smk.load(tmp_path, format="canonical")


def test_other_formats_with_date_only_close_dates_too(tmp_path):
    """The rule lives in the checks every loader shares: a canonical export's close date
    without a time the day before its UTC creation morning is kept likewise."""
    crm = _canonical_deals(tmp_path, "noon,2026-02-27 12:00:00,2026-02-26,true,true,9")
    assert crm.deals["deal_id"].tolist() == ["eve"]
    assert len(_west_warnings(crm)) == 1


def test_an_open_deals_estimate_is_not_counted_as_a_close_west_of_utc(tmp_path):
    """An open deal's close date is an estimate: the warning of deals taken as closed at
    their creation moment counts the closed one alone."""
    crm = _canonical_deals(tmp_path, "open,2026-02-27 03:00:00,2026-02-26,false,false,9")
    assert crm.deals["deal_id"].tolist() == ["eve", "open"]
    (note,) = _west_warnings(crm)
    assert note.startswith("deals: 1 deal with a close date without a time the day before its")


def test_a_hubspot_close_date_with_a_time_stays_a_fault(tmp_path):
    """HubSpot writes `Close Date` with a time of day: one the evening before the creation
    is a true close before creation, in a load in UTC too."""
    fixture = Path(__file__).parent / "fixtures" / "hubspot" / "ui"
    for f in fixture.iterdir():
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "Close Date" in frame:
            first = frame["Record ID"] == "6877153472"  # created 2026-02-18 16:31
            frame.loc[first, "Create Date"] = "2026-02-18 03:00"
            frame.loc[first, "Close Date"] = "2026-02-17 20:00"
        frame.to_csv(tmp_path / f.name, index=False)
    crm = smk.load(tmp_path)
    aside = crm.quality.set_aside("deals")
    assert aside.loc[aside["deal_id"] == "6877153472", "_reason"].tolist() == [
        "closed_at before created_at"
    ]
    assert _west_warnings(crm) == []


# ------------------------------------------------------------ IsClosed / IsWon left empty
def test_empty_closed_and_won_columns_are_read_from_the_stage(tmp_path):
    """An Opportunity file whose IsClosed and IsWon are empty in every row loaded every
    opportunity as open: the stage gives them, with a warning naming the file and columns."""
    blank = {"IsClosed": "", "IsWon": ""}
    export = _export(tmp_path, OpAa1=blank, OpCc3=blank, OpDd4=blank)
    crm = load_salesforce(export)
    flags = crm.deals.set_index("stage")[["is_closed", "is_won"]]
    assert flags.loc["Closed Lost"].tolist() == [True, False]
    assert flags.loc["Proposal/Price Quote"].tolist() == [False, False]
    assert flags.loc["Closed Won"].values.tolist() == [[True, True], [True, True]]
    for header, col in (("IsClosed", "is_closed"), ("IsWon", "is_won")):
        said = [w for w in crm.quality.warnings if f"'{header}' is empty in" in w]
        assert said == [
            f"deals: Opportunity.csv: '{header}' is empty in 4 rows: their {col} is read "
            "from 'StageName', as for a file without that column"
        ]
    account = crm.quality.tables["deals"]
    assert account.read == account.loaded + account.n_set_aside == 4


def test_an_empty_checkbox_beside_filled_ones_is_false(tmp_path):
    """API extracts write a false checkbox empty: a won stage with IsWon empty beside an
    IsWon of 1 is not won, and nothing is said."""
    crm = load_salesforce(_export(tmp_path, OpDd4={"IsWon": ""}))
    deals = crm.deals.set_index("deal_id")
    assert deals.loc[salesforce_id18("0065g00000OpDd4"), ["is_closed", "is_won"]].tolist() == [
        True,
        False,
    ]
    assert not [w for w in crm.quality.warnings if "is empty in" in w]
