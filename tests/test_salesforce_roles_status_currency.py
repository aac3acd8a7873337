"""Three ways a Salesforce export lost or mixed data without a word.

- An "Opportunities with Contact Roles" report (a row per opportunity and role) was read as
  contact roles only: every deal was lost. Renamed Opportunity.csv, each role row after the
  first was a `duplicate deal_id` fault and the deal's contact the first role's, `Primary`
  ignored. It is read as the opportunities (one deal each, from its primary role's row) and
  their contact roles, as an opportunity report beside an OpportunityContactRole file is.
- An org's own Lead Status values were dropped in silence (`Disqualified - No Budget` was not
  `other`); they are read by their first words where these say it, and the rest are warned of.
- A multi-currency org's AnnualRevenue (each account's in its own currency) was mixed with no
  warning.

Each test copies the report fixture (tests/fixtures/salesforce/report/) and changes it.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smk.io.parse import salesforce_id18
from smk.io.salesforce import load_salesforce
from smk.model import BY_DESIGN_REASONS, OTHER_CONTACT_ROLE

REPORT = Path(__file__).parent / "fixtures" / "salesforce" / "report"
DATALOADER = Path(__file__).parent / "fixtures" / "salesforce" / "dataloader"
OPPS = "report1712345678901.csv"
ADA, BERTRAND = "0035g00000CtAa1", "0035g00000CtBb2"
CHIARA, DIETER = "0035g00000CtCc3", "0035g00000CtDd4"
FOOTER = [
    ["Grand Totals (4 records)"],
    ["Confidential Information - Do Not Distribute"],
]
#: opportunity -> its roles (contact, role, primary), in the order the report lists them: the
#: first role of the won Globex deal is a non-primary Influencer
ROLES = {
    "0065g00000OpAa1": [(CHIARA, "Influencer", "0"), (ADA, "Decision Maker", "1")],
    "0065g00000OpBb2": [(BERTRAND, "Economic Buyer", "1")],
    "0065g00000OpCc3": [(DIETER, "Evaluator", "0"), (CHIARA, "Influencer", "0")],
    "0065g00000OpDd4": [(CHIARA, "Economic Buyer", "1")],
}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(rows)


def _opportunities() -> pd.DataFrame:
    opps = pd.read_csv(REPORT / OPPS, dtype=str, keep_default_na=False)
    return opps[opps["Opportunity ID"].str.startswith("006")]


def _with_roles(tmp_path: Path, name: str) -> Path:
    """The report export with its opportunity report replaced by an "Opportunities with
    Contact Roles" report named `name`."""
    export = shutil.copytree(REPORT, tmp_path / "roles")
    (export / OPPS).unlink()
    opps = _opportunities()
    header = [*opps.columns, "Contact ID", "Role", "Primary"]
    rows = [
        [*opp, *role]
        for opp in opps.itertuples(index=False)
        for role in ROLES[opp[opps.columns.get_loc("Opportunity ID")]]
    ]
    _write(export / name, header, rows + FOOTER)
    return export


def _with_role_file(tmp_path: Path) -> Path:
    """The same opportunities and roles as an opportunity report and an OpportunityContactRole
    file."""
    export = shutil.copytree(REPORT, tmp_path / "ocr")
    rows = [[opp, *role] for opp, roles in ROLES.items() for role in roles]
    _write(
        export / "OpportunityContactRole.csv",
        ["Opportunity ID", "Contact ID", "Role", "Primary"],
        rows,
    )
    return export


@pytest.mark.parametrize("name", [OPPS, "Opportunity.csv"])
def test_opportunities_with_contact_roles_report(tmp_path, name):
    crm = load_salesforce(_with_roles(tmp_path, name), timezone="America/New_York")
    same = load_salesforce(_with_role_file(tmp_path), timezone="America/New_York")

    # one deal per opportunity, with its primary role's contact (else its first role's)
    assert len(crm.deals) == 4
    contact = crm.deals.set_index("deal_id")["contact_id"]
    assert contact[salesforce_id18("0065g00000OpAa1")] == salesforce_id18(ADA)
    assert contact[salesforce_id18("0065g00000OpCc3")] == salesforce_id18(DIETER)
    assert contact.sort_index().equals(same.deals.set_index("deal_id")["contact_id"].sort_index())

    # every row counted: the other roles' rows set aside by design, no fault
    acc = crm.quality.to_dict()["tables"]["deals"]
    assert acc["read"] == acc["loaded"] + acc["set_aside"]
    assert acc["reasons"] == {OTHER_CONTACT_ROLE: 2, "report footer": 2}
    assert OTHER_CONTACT_ROLE in BY_DESIGN_REASONS

    # the role contacts are on their opportunities as an OpportunityContactRole file's are
    cols = ["contact_id", "became_opportunity_at", "became_customer_at", "lifecycle_stage"]
    ours = crm.contacts[cols].sort_values("contact_id", ignore_index=True)
    theirs = same.contacts[cols].sort_values("contact_id", ignore_index=True)
    pd.testing.assert_frame_equal(ours, theirs)
    chiara = ours.set_index("contact_id").loc[salesforce_id18(CHIARA)]
    assert chiara["became_customer_at"] is not pd.NaT and pd.notna(chiara["became_customer_at"])

    # and the user is told what the file was read as
    said = [w for w in crm.quality.warnings if "contact roles" in w]
    assert len(said) == 1 and name in said[0], crm.quality.warnings
    assert "4 opportunities" in said[0] and "6 contact roles" in said[0]
    assert "other 2 rows (another role of an opportunity)" in said[0]


def test_a_report_of_contact_roles_alone_is_still_read_as_contact_roles(tmp_path):
    """A report with no opportunity column but its id (no Stage) is an
    OpportunityContactRole file, as before."""
    export = shutil.copytree(REPORT, tmp_path / "sf")
    rows = [[opp, *role] for opp, roles in ROLES.items() for role in roles]
    _write(
        export / "report1712345679999.csv",
        ["Opportunity ID", "Contact ID", "Role", "Primary"],
        rows,
    )
    crm = load_salesforce(export, timezone="America/New_York")
    contact = crm.deals.set_index("deal_id")["contact_id"]
    # the opportunity report names no contact: the primary role's contact is the deal's
    assert contact[salesforce_id18("0065g00000OpDd4")] == salesforce_id18(CHIARA)
    assert not [w for w in crm.quality.warnings if "with their contact roles" in w]


def _roles_report(export: Path, name: str, columns: list[str], deals: dict | None = None) -> None:
    """An "Opportunities with Contact Roles" report `name` in `export`, with the opportunity
    report's `columns` (and its roles) of the opportunities `deals` (default: all)."""
    opps = _opportunities()
    rows = [
        [*opp[columns], *role]
        for _, opp in opps.iterrows()
        for role in (deals or ROLES).get(opp["Opportunity ID"], [])
    ]
    _write(export / name, [*columns, "Contact ID", "Role", "Primary"], rows + FOOTER)


def _deal_contacts(crm) -> pd.Series:
    return crm.deals.set_index("deal_id")["contact_id"].sort_index()


def _faults(crm) -> dict[str, int]:
    reasons = crm.quality.to_dict()["tables"]["deals"]["reasons"]
    return {r: n for r, n in reasons.items() if r not in BY_DESIGN_REASONS}


#: what a report of contact roles may show of its opportunities without what a deal needs
#: (no Created Date): read as their contact roles, as before such reports were opportunities
NO_DEAL = ["Opportunity ID", "Opportunity Name", "Stage"]


def test_a_roles_report_without_a_deals_needs_is_read_as_contact_roles(tmp_path):
    export = shutil.copytree(REPORT, tmp_path / "sf")
    _roles_report(export, "report1.csv", NO_DEAL)
    crm = load_salesforce(export, timezone="America/New_York")  # was: no created_at column
    same = load_salesforce(_with_role_file(tmp_path), timezone="America/New_York")
    assert len(crm.deals) == 4 and not _faults(crm)
    assert _deal_contacts(crm).equals(_deal_contacts(same))
    assert _deal_contacts(crm)[salesforce_id18("0065g00000OpAa1")] == salesforce_id18(ADA)

    # alone (the opportunities not exported), it still loads: contact roles of no deal
    (export / OPPS).unlink()
    crm = load_salesforce(export, timezone="America/New_York")
    assert crm.deals.empty


def test_a_roles_report_beside_the_opportunities_is_read_as_contact_roles(tmp_path):
    """With the deal's columns, beside an opportunity report: not a second copy of them."""
    export = shutil.copytree(REPORT, tmp_path / "sf")
    deal = ["Opportunity ID", "Account ID", "Opportunity Name", "Stage", "Amount"]
    _roles_report(export, "report1.csv", [*deal, "Close Date", "Created Date"])
    crm = load_salesforce(export, timezone="America/New_York")
    same = load_salesforce(_with_role_file(tmp_path), timezone="America/New_York")

    assert len(crm.deals) == 4
    assert not _faults(crm)  # was: each role row a `duplicate deal_id`
    assert OTHER_CONTACT_ROLE not in crm.quality.to_dict()["tables"]["deals"]["reasons"]
    assert _deal_contacts(crm).equals(_deal_contacts(same))
    said = [w for w in crm.quality.warnings if "report1.csv" in w]
    assert len(said) == 1 and "read as 6 contact roles" in said[0], crm.quality.warnings
    assert OPPS in said[0] and "4 opportunities" not in said[0]


@pytest.mark.parametrize(
    "names",
    [
        ("Opportunity-1.csv", "Opportunity-2.csv"),
        ("report1712345678901.csv", "report1712345678902.csv"),
    ],
)
def test_a_roles_report_split_over_two_files_is_one_deal_per_opportunity(tmp_path, names):
    """The won Globex deal's non-primary Influencer in the first file (files are read in
    name order), its primary Decision Maker in the second: the deal is the primary role's,
    once; the Müller deal, with no primary role, its first role's."""
    export = shutil.copytree(REPORT, tmp_path / "split")
    (export / OPPS).unlink()
    columns = list(_opportunities().columns)
    first = {opp: roles[:1] for opp, roles in ROLES.items()}
    second = {opp: roles[1:] for opp, roles in ROLES.items() if roles[1:]}
    _roles_report(export, names[0], columns, first)
    _roles_report(export, names[1], columns, second)
    crm = load_salesforce(export, timezone="America/New_York")
    same = load_salesforce(_with_role_file(tmp_path), timezone="America/New_York")

    assert len(crm.deals) == 4 and not _faults(crm)  # was: 2 `duplicate deal_id`
    assert _deal_contacts(crm).equals(_deal_contacts(same))
    reasons = crm.quality.to_dict()["tables"]["deals"]["reasons"]
    assert reasons[OTHER_CONTACT_ROLE] == 2
    said = [w for w in crm.quality.warnings if "with their contact roles" in w]
    assert len(said) == 1 and all(n in said[0] for n in names), crm.quality.warnings
    assert "4 opportunities" in said[0] and "6 contact roles" in said[0]


def _with_statuses(tmp_path: Path, statuses: dict[str, str]) -> Path:
    export = shutil.copytree(REPORT, tmp_path / "status")
    lines = (export / "Lead.csv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        for lead, status in statuses.items():
            if line.startswith(f'"{lead}"'):
                cells = next(csv.reader([line]))
                cells[8] = status  # "Lead Status"
                lines[i] = ",".join(f'"{c}"' for c in cells)
    (export / "Lead.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return export


def test_custom_lead_statuses_read_by_their_words_or_warned(tmp_path):
    dex, hana, cleo, fritz = (
        "00Q5g00000xA1Bc",
        "00Q5g00000LdHh8",
        "00Q5g00000Xa1bC",
        "00Q5g00000LdFf6",
    )
    export = _with_statuses(
        tmp_path,
        {
            dex: "Disqualified - No Budget",
            hana: "MQL - Marketing Qualified",
            cleo: "Sales Accepted",
            fritz: "MQL - Rejected",
        },
    )
    crm = load_salesforce(export, timezone="America/New_York")
    stage = crm.contacts.set_index("contact_id")["lifecycle_stage"]
    assert stage[salesforce_id18(dex)] == "other"  # disqualified, as `Disqualified`
    assert stage[salesforce_id18(hana)] == "mql"
    assert stage[salesforce_id18(fritz)] == "lead"  # a rejected MQL is not read as one
    said = [w for w in crm.quality.warnings if w.startswith("contacts.lead_status")]
    assert len(said) == 1, crm.quality.warnings
    assert "'MQL - Rejected' (1), 'Sales Accepted' (1)" in said[0]
    assert "2 leads have a Lead Status outside the vocabulary" in said[0]
    assert "stage comes from its dates" in said[0] and "lead_status" in said[0]
    # the status itself is kept
    status = crm.contacts.set_index("contact_id")["lead_status"]
    assert status[salesforce_id18(cleo)] == "Sales Accepted"


def test_known_lead_statuses_warn_nothing(tmp_path):
    crm = load_salesforce(REPORT, timezone="America/New_York")
    assert not [w for w in crm.quality.warnings if "Lead Status" in w]


def _with_currencies(tmp_path: Path, codes: list[str]) -> Path:
    export = shutil.copytree(DATALOADER, tmp_path / "cur")
    accounts = pd.read_csv(export / "Account.csv", dtype=str, encoding="utf-8-sig")
    accounts["CurrencyIsoCode"] = (codes * len(accounts))[: len(accounts)]
    accounts.to_csv(export / "Account.csv", index=False)
    return export


def test_annual_revenue_in_several_currencies_is_warned_of(tmp_path):
    crm = load_salesforce(_with_currencies(tmp_path, ["USD", "EUR"]))
    said = [w for w in crm.quality.warnings if "AnnualRevenue" in w]
    assert len(said) == 1, crm.quality.warnings
    with_revenue = crm.accounts[crm.accounts["annual_revenue"].notna()]
    counts = with_revenue["CurrencyIsoCode"].value_counts()
    assert "2 currencies" in said[0]
    assert all(f"{c} {n:,}" in said[0] for c, n in counts.items())
    assert "not converted" in said[0]


def test_annual_revenue_in_one_currency_warns_nothing(tmp_path):
    crm = load_salesforce(_with_currencies(tmp_path, ["EUR"]))
    assert not [w for w in crm.quality.warnings if "AnnualRevenue" in w]
