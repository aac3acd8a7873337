"""A record whose row is set aside for its shape (`wrong number of fields`, `unclosed quote`)
keeps the id its text shows, so the deals, touchpoints and activities naming it are kept as
those of any record set aside (`... whose account is in the export but was set aside (wrong
number of fields): kept`), not set aside as `unknown account_id`: a fault of their own.

Before, the row kept no id: a company row whose name lost its closing quote took its won deal
out of revenue, and a stray quote that swallowed the rows after it made every deal, touch and
activity of the first of them `unknown contact_id`, with no warning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import cli
from smk.io import files
from smk.io.parse import salesforce_id18

FIXTURES = Path(__file__).parent / "fixtures"
ASIDE = "is in the export but was set aside"
RAGGED = "wrong number of fields"
RUN_ON = "unclosed quote (the row runs on over the next lines)"
CUT_OFF = "cut off at the end of the file (unclosed quote)"


def _edit(path: Path, old: str, new: str, encoding: str = "utf-8") -> None:
    text = path.read_text(encoding=encoding)
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding=encoding)


def _aside(crm, table: str, key: str) -> dict[str, str]:
    aside = crm.quality.set_aside(table)
    return dict(zip(aside[key].fillna("-"), aside["_reason"], strict=True))


def test_a_hubspot_company_row_that_lost_a_quote_keeps_its_won_deal(tmp_path):
    """Quillfeather's name lost its closing quote (a hand edit): the row has too many fields.
    Its won deal of 375,000 was `unknown account_id`; the set-aside CSV showed no id."""
    export = shutil.copytree(FIXTURES / "hubspot" / "ui", tmp_path / "hs")
    companies = export / "hubspot-crm-exports-all-companies-2026-10-02.csv"
    _edit(companies, '"Quillfeather Widgets GmbH","', '"Quillfeather Widgets GmbH,"')
    listing = tmp_path / "aside"
    assert cli.main(["validate", str(export), "--set-aside", str(listing)]) == 0
    crm = smk.load(export)
    assert _aside(crm, "accounts", "account_id") == {"105284053743": RAGGED}
    assert crm.quality.set_aside("deals").empty
    won = crm.deals[crm.deals["deal_id"] == "6877153472"]
    assert won["amount"].tolist() == [375000] and won["account_id"].tolist() == ["105284053743"]
    assert (
        f"deals: 1 deal names an account_id whose account {ASIDE} ({RAGGED}): kept; account "
        "fields are missing for it"
    ) in crm.quality.warnings
    listed = pd.read_csv(listing / "accounts.set_aside.csv", dtype=str, encoding="utf-8-sig")
    assert listed[["account_id", "_reason"]].values.tolist() == [["105284053743", RAGGED]]
    crm.quality.check()


def _salesforce(tmp_path: Path) -> Path:
    return shutil.copytree(FIXTURES / "salesforce" / "dataloader", tmp_path / "sf")


def test_a_salesforce_account_row_with_a_field_too_many_keeps_its_won_opportunity(tmp_path):
    """`Globex Testworks, Inc` unquoted: ten fields for nine. Its won opportunity (48,000 USD)
    was `unknown account_id`."""
    export = _salesforce(tmp_path)
    _edit(export / "Account.csv", "Globex Testworks,", "Globex Testworks, Inc,", "utf-8-sig")
    crm = smk.load(export)
    globex = salesforce_id18("0015g00000Gbx1A")
    assert _aside(crm, "accounts", "account_id") == {globex: RAGGED}
    assert "unknown account_id" not in set(crm.quality.set_aside("deals")["_reason"])
    won = crm.deals[crm.deals["deal_id"] == salesforce_id18("0065g00000OpAa1")]
    assert won["account_id"].tolist() == [globex] and won["is_won"].tolist() == [True]
    assert any(
        w.startswith("deals: 1 deal names an account_id whose account " + ASIDE)
        for w in crm.quality.warnings
    )
    crm.quality.check()


def test_a_stray_quote_keeps_only_the_id_of_its_own_record(tmp_path):
    """Chiara's title opens a quote nothing closes: her row swallows Dieter's after it. Her
    opportunity and campaign member are kept (they were `unknown contact_id`); Dieter's line
    inside her row is not read as a record (it may as well be a note's), so his stay unknown."""
    export = _salesforce(tmp_path)
    _edit(export / "Contact.csv", ",Head of Procurement,", ',"Head of Procurement,', "utf-8-sig")
    crm = smk.load(export)
    chiara, dieter = salesforce_id18("0035g00000CtCc3"), salesforce_id18("0035g00000CtDd4")
    contacts = crm.quality.set_aside("contacts")
    assert contacts.loc[contacts["_reason"] == RUN_ON, "contact_id"].fillna("-").tolist() == [
        chiara
    ]
    assert (crm.deals["contact_id"] == chiara).sum() == 1
    assert (crm.touchpoints["contact_id"] == chiara).sum() == 1
    for table in ("deals", "touchpoints", "activities"):
        aside = crm.quality.set_aside(table)
        unknown = set(aside.loc[aside["_reason"] == "unknown contact_id", "contact_id"])
        assert unknown == {dieter}, table
    assert (
        f"touchpoints: 1 touchpoint names a contact_id whose contact {ASIDE} ({RUN_ON}): kept; "
        "contact fields are missing for it"
    ) in crm.quality.warnings
    crm.quality.check()


MAPPING = """\
name: orgs
tables:
  accounts:
    files: ["orgs*"]
    columns: {account_id: ["Org ID"], name: ["Org name"], employees: ["Staff"]}
  deals:
    files: ["deals*"]
    columns: {deal_id: ["Deal ID"], account_id: ["Org ID"], created_at: ["Created"],
              amount: ["Value"]}
"""


@pytest.mark.parametrize("form", ["canonical", "mapping"])
def test_the_id_is_read_from_its_place_in_the_header(tmp_path, form):
    """The id is the second column: a row whose name holds a delimiter too many shows no id
    of the column's shape there (the name moved into it), one whose fault comes after its id
    does. Smk's own tables and a mapping file's read it alike."""
    data = tmp_path / "export"
    data.mkdir()
    accounts = (
        "name,account_id,employees\n"
        "Fine,A-0016,10\n"
        "Acme, Inc,A-0017,20\n"  # the name's comma moves the id: not read
        "Beta,A-0018,30,40\n"  # a field too many after the id
    )
    deals = (
        "deal_id,account_id,created_at,amount\n"
        "d16,A-0016,2026-01-03,1\nd17,A-0017,2026-01-03,2\nd18,A-0018,2026-01-03,3\n"
    )
    if form == "mapping":
        accounts = accounts.replace("name,account_id,employees", "Org name,Org ID,Staff")
        deals = deals.replace(
            "deal_id,account_id,created_at,amount", "Deal ID,Org ID,Created,Value"
        )
        (tmp_path / "orgs.yaml").write_text(MAPPING)
    (data / ("orgs.csv" if form == "mapping" else "accounts.csv")).write_text(accounts)
    (data / "deals.csv").write_text(deals)
    crm = smk.load(data, format=str(tmp_path / "orgs.yaml") if form == "mapping" else form)
    assert _aside(crm, "accounts", "account_id") == {"-": RAGGED, "A-0018": RAGGED}
    assert crm.deals["deal_id"].tolist() == ["d16", "d18"]
    assert _aside(crm, "deals", "deal_id") == {"d17": "unknown account_id"}
    crm.quality.check()


@pytest.mark.parametrize(
    ("text", "at", "value"),
    [
        ('"30100002","Benno","Birn,"stiel"', 0, "30100002"),
        ('"a ""b""",30100002,x,y,z', 1, "30100002"),
        ('30100002,Benno,"Leeds\n30100003,Clara,Graz', 0, "30100002"),
        ('"Benno "B" B",30100002,x', 1, None),  # a stray quote before the id
        ('"Benno,30100002,x', 1, None),
        ("Benno", 1, None),  # the row ends before the id
        (",30100002", 0, None),  # no id
        ("Benno,Birnstiel,x", 1, None),  # not shaped like the column's ids
    ],
)
def test_leading_values_read_a_field_only_when_the_fields_before_it_are_whole(text, at, value):
    column = pd.Series(["30100001", "30100004"], dtype="string")
    assert files.leading_values([text], ",", at, column) == [value]


def test_a_file_cut_off_inside_a_quoted_value_says_so(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text('contact_id,email,note\n1,a@x.io,ok\n2,"b@x.io,cut of')
    frame = files.read_any(path)
    [(row, text)] = frame.attrs["malformed_rows"]
    assert files.malformed_reason(text, trailing=row > frame["_row"].max()) == CUT_OFF
    # a quote inside an unquoted value opens none
    assert files.malformed_reason('2,b@x.io,5" screen,x', trailing=True) == RAGGED
