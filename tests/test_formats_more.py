"""Export shapes the loaders misread (reference: CRM export formats, §1.4, §2.1, §4, §7):
HubSpot's stage-calculated lifecycle dates, a Salesforce report's grand-totals line with sums,
amounts in Nordic and Brazilian currency formats, Salesforce leads whose company several
accounts share, and the documented Zoho mapping on a backup with leads."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import config
from smk.funnel import mql_entry_dates
from smk.io.files import footer_mask
from smk.io.parse import currency_notes, currency_symbols, parse_numbers
from smk.quality import set_aside_counts


def other_warnings(crm: smk.CRM) -> list[str]:
    """The load's warnings but the one on columns empty in every row (these fixtures have no
    source or owner column)."""
    return [w for w in crm.quality.warnings if "empty in every row" not in w]


DOCS = Path(__file__).parents[1] / "docs"


def ts(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def write_csv(path: Path, rows: list[list[str]], **options) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n", **options).writerows(rows)
    return path


# ---------------------------------------------------------------- HubSpot: hs_v2_date_entered_*

HS_CONTACTS = "hubspot-crm-exports-all-contacts-2024-05-02.csv"


def test_stage_calculated_dates_of_internal_names_fill_the_stage_dates(tmp_path):
    """An export of internal names whose stage dates are `hs_v2_date_entered_<stage>` only:
    every became_*_at was empty, and the funnel dated the MQLs by their creation."""
    write_csv(
        tmp_path / HS_CONTACTS,
        [
            ["hs_object_id", "email", "lifecyclestage", "createdate", "hs_v2_date_entered_lead",
             "hs_v2_date_entered_marketingqualifiedlead", "hs_v2_date_entered_salesqualifiedlead",
             "hs_v2_date_entered_opportunity", "hs_v2_date_entered_customer",
             "hs_v2_date_entered_subscriber", "hs_v2_date_entered_evangelist",
             "hs_v2_date_entered_other"],
            ["301", "a@x.example", "customer", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z",
             "2024-03-05T10:00:00Z", "2024-03-10T10:00:00Z", "2024-03-20T10:00:00Z",
             "2024-04-01T10:00:00Z", "", "", ""],
            ["302", "b@x.example", "marketingqualifiedlead", "2024-03-02T10:00:00Z",
             "2024-03-02T10:00:00Z", "2024-04-20T10:00:00Z", "", "", "", "2024-03-02T09:00:00Z",
             "", ""],
        ],
    )  # fmt: skip
    crm = smk.load(tmp_path, format="hubspot")
    c = crm.contacts.set_index("contact_id")
    assert c.loc["301", "became_mql_at"] == ts("2024-03-05 10:00")
    assert c.loc["301", "became_sql_at"] == ts("2024-03-10 10:00")
    assert c.loc["301", "became_opportunity_at"] == ts("2024-03-20 10:00")
    assert c.loc["301", "became_customer_at"] == ts("2024-04-01 10:00")
    assert c.loc["302", "became_mql_at"] == ts("2024-04-20 10:00")  # April, not March
    assert c.loc["302", "became_subscriber_at"] == ts("2024-03-02 09:00")
    assert c["became_lead_at"].notna().all() and c["became_evangelist_at"].isna().all()
    # no stage of ours for `other`: the column is kept under its own name
    assert "hs_v2_date_entered_other" in crm.contacts
    entry = mql_entry_dates(crm.contacts.set_index("contact_id", drop=False))
    assert entry.loc["302", "mql_at"] == ts("2024-04-20 10:00")
    assert not entry["mql_date_inferred"].any()  # was inferred from creation: March


def test_the_became_date_wins_and_the_date_entered_label_fills_its_gaps(tmp_path):
    """UI labels: `Date entered "<Stage> (Lifecycle Stage Pipeline)"` beside the classic
    "Became a ... Date": the classic one when filled, else the stage-calculated one."""
    mql_v2 = 'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"'
    lead_v2 = 'Date entered "Lead (Lifecycle Stage Pipeline)"'
    write_csv(
        tmp_path / HS_CONTACTS,
        [
            ["Record ID", "Email", "Lifecycle Stage", "Create Date",
             "Became a Marketing Qualified Lead Date", mql_v2, "Became a Lead Date", lead_v2],
            ["1", "a@x.example", "Marketing Qualified Lead", "2024-03-01 10:00",
             "2024-03-05 10:00", "2024-03-09 10:00", "", "2024-03-01 10:00"],
            ["2", "b@x.example", "Marketing Qualified Lead", "2024-03-02 10:00",
             "", "2024-04-20 10:00", "2024-03-02 10:00", "2024-03-03 10:00"],
        ],
    )  # fmt: skip
    c = smk.load(tmp_path, format="hubspot").contacts.set_index("contact_id")
    assert c["became_mql_at"].tolist() == [ts("2024-03-05 10:00"), ts("2024-04-20 10:00")]
    assert c["became_lead_at"].tolist() == [ts("2024-03-01 10:00"), ts("2024-03-02 10:00")]
    assert mql_v2 not in c and lead_v2 not in c  # mapped: not kept again


def test_a_warehouse_sync_column_of_the_stage_calculated_date_is_read(tmp_path):
    write_csv(
        tmp_path / HS_CONTACTS,
        [
            ["property_hs_object_id", "property_createdate",
             "property_hs_v2_date_entered_salesqualifiedlead"],
            ["7", "2024-01-02T00:00:00Z", "2024-02-03T04:05:06Z"],
        ],
    )  # fmt: skip
    c = smk.load(tmp_path, format="hubspot").contacts
    assert c["became_sql_at"].tolist() == [ts("2024-02-03 04:05:06")]


# ---------------------------------------------------------------- Salesforce report footer

OPP_HEADER = ["Opportunity ID", "Opportunity Name", "Account ID", "Stage", "Amount", "Close Date",
              "Created Date", "Opportunity Owner"]  # fmt: skip
OPPS = [
    ["0065g00000OpAa1", "Deal", "0015g00000Gbx1A", "Closed Won", "48,000.00", "3/28/2024",
     "2/10/2024 11:05 AM", "Rosa T"],
    ["0065g00000OpBb2", "Deal2", "0015g00000Gbx1A", "Prospecting", "2,000.00", "6/28/2024",
     "2/11/2024 11:05 AM", "Rosa T"],
]  # fmt: skip


@pytest.mark.parametrize("blank", [[""], [""] * len(OPP_HEADER)])
def test_a_grand_totals_line_with_the_reports_sums_is_its_footer(tmp_path, blank):
    """`"Grand Totals (2 records)","","","","50,000.00",...` was set aside as a record without
    created_at (a fault), and the blank line before it as an empty row (a fault)."""
    write_csv(
        tmp_path / "report1712345678903.csv",
        [OPP_HEADER, *OPPS, blank, ["Grand Totals (2 records)", "", "", "", "50,000.00", "", "", ""],
         blank, ["Confidential Information - Do Not Distribute"]],
        quoting=csv.QUOTE_ALL,
    )  # fmt: skip
    crm = smk.load(tmp_path, format="salesforce")
    assert len(crm.deals) == 2 and crm.deals["amount"].sum() == 50_000
    aside = crm.quality.set_aside("deals").set_index("_row")
    assert aside.loc["5", "_reason"] == "report footer"
    assert "missing created_at" not in set(aside["_reason"])
    assert set_aside_counts(crm) == {"total": 4, "by_design": 4, "faults": 0}


def frame(first: list[str], other: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"Id": first, "Amount": other, "_row": range(2, len(first) + 2)})


@pytest.mark.parametrize(
    ("first", "other", "footer"),
    [
        (["a", "Grand Totals (2 records)"], ["1", "50,000.00"], [False, True]),
        (["a", "Grand Total (1 record)", "Copyright © 2000-2025"], ["1", "1", ""],
         [False, True, True]),
        # a first cell that only starts like a footer is one when nothing is beside it
        (["a", "Total"], ["1", ""], [False, True]),
        (["a", "Total"], ["1", "50"], [False, False]),  # a record whose id says Total
        (["a", "Subtotal"], ["1", "50"], [False, False]),
        (["a", "Grand Totals (2 records) of Q1"], ["1", "50"], [False, False]),
        # not at the end: a record, set aside (or not) for what it lacks
        (["Grand Totals (2 records)", "a"], ["50", "1"], [False, False]),
    ],
)  # fmt: skip
def test_only_a_grand_totals_line_is_a_footer_with_values_beside_it(first, other, footer):
    assert footer_mask(frame(first, other)).tolist() == footer


# ---------------------------------------------------------------- currency signs


@pytest.mark.parametrize(
    ("values", "numbers", "codes"),
    [
        (["12\u00a0345,67 kr", "500,00 kr", "kr. 1.234,56"], [12345.67, 500.0, 1234.56],
         [None, None, None]),
        (["R$ 1.234,56", "R$ 10,00"], [1234.56, 10.0], ["BRL", "BRL"]),
        (["1.234,56 zł", "99,00 zł"], [1234.56, 99.0], ["PLN", "PLN"]),
        (["1 234,50 Kč", "10,00 Kč"], [1234.5, 10.0], ["CZK", "CZK"]),
        (["CHF 1'234.50", "SFr. 12.00"], [1234.5, 12.0], ["CHF", "CHF"]),
        (["US$ 1,200.00", "A$ 5.00", "C$ 7.50", "NZ$ 1.25", "HK$ 3.00", "S$ 2.00"],
         [1200.0, 5.0, 7.5, 1.25, 3.0, 2.0], ["USD", "AUD", "CAD", "NZD", "HKD", "SGD"]),
        (["₹ 1,23,456", "¥120,000", "$1,234.56"], [123456.0, 120000.0, 1234.56],
         ["INR", None, "USD"]),
        (["1 234 Ft", "12 lei"], [1234.0, 12.0], ["HUF", "RON"]),
    ],
)  # fmt: skip
def test_amounts_in_excel_currency_formats_are_read(values, numbers, codes):
    s = pd.Series(values, dtype="string")
    parsed, bad = parse_numbers(s)
    assert parsed.tolist() == numbers and not bad.any()
    assert [None if pd.isna(c) else c for c in currency_symbols(s)] == codes


def test_every_currency_a_sign_names_is_read_by_its_code_too():
    """`RM 1000` was MYR but `1000 MYR` unparseable (and so for RUB, THB, IDR, PHP, ...)."""
    from smk.io.parse import _CURRENCY_SIGNS

    codes = sorted({code for code in _CURRENCY_SIGNS.values() if code})
    values = pd.Series([f"1000 {code}" for code in codes] + [f"{code} 1000" for code in codes])
    numbers, bad = parse_numbers(values)
    assert not bad.any() and numbers.tolist() == [1000.0] * len(values)
    assert currency_symbols(values).tolist() == codes + codes


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_rupiah_and_yen_groups_are_thousands(delimiter):
    """`Rp 150.000` in a comma-delimited file was read as 150 (with a 'may be 150' warning):
    rupiah and yen are written without cents. A euro amount keeps its warning."""
    from smk.io.parse import Source, decimal_for

    source = Source(("deals.csv",), delimiter)
    for values in (["Rp 150.000", "Rp 250.000"], ["JPY 1.500", "1.500 円"]):
        mark, notes = decimal_for(pd.Series(values, dtype="string"), source=source)
        numbers, _ = parse_numbers(pd.Series(values, dtype="string"), mark)
        assert numbers.tolist()[0] in (150000.0, 1500.0) and not notes
    mark, notes = decimal_for(pd.Series(["€1.234", "€2.500"], dtype="string"), source=source)
    assert len(notes) == 1


def test_a_word_that_holds_a_sign_is_no_currency():
    s = pd.Series(["Kronor 5", "krone", "5 Rs", "Frs. 5"], dtype="string")
    assert parse_numbers(s)[1].tolist() == [True, True, False, True]
    assert currency_symbols(s).isna().all()
    assert currency_symbols(s.astype("category")).isna().all()


def test_an_ambiguous_sign_is_counted_in_a_warning_not_guessed():
    s = pd.Series(["12 345,67 kr", "100 kr", "5,00 €", None, "¥5"], dtype="string")
    notes = currency_notes(s)
    assert len(notes) == 2
    assert notes[0].startswith(
        "in the export, 2 amounts are written with 'kr' (e.g. '12 345,67 kr')"
    )
    assert "(SEK, NOK, DKK, ISK)" in notes[0] and "(JPY, CNY)" in notes[1]
    assert currency_notes(s.astype("category")) == notes


HS_DEALS = "hubspot-crm-exports-all-deals-2024-05-02.csv"


def test_nordic_and_brazilian_amounts_of_an_excel_resave_are_loaded(tmp_path):
    """A deals export re-saved by Excel in Swedish and Brazilian locales: every row was set
    aside as `unparseable amount`."""
    (tmp_path / HS_DEALS).write_text(
        "Record ID;Deal Name;Deal Stage;Close Date;Deal owner;Amount;Create Date\r\n"
        "6877153472;A;Closed Won;2024-05-02 10:00;Petra P;12\u00a0345,67 kr;2024-04-01 10:00\r\n"
        "6877153473;B;Closed Lost;2024-05-02 10:00;Petra P;R$ 1.234,56;2024-04-01 10:00\r\n"
        "6877153474;C;Appointment Scheduled;2024-06-30 10:00;Petra P;500,00 kr;2024-04-01 10:00\r\n",
        encoding="utf-8-sig",
    )
    crm = smk.load(tmp_path, format="hubspot")
    deals = crm.deals.set_index("deal_id")
    assert deals["amount"].tolist() == [12345.67, 1234.56, 500.0]
    assert deals["currency"].isna().tolist() == [True, False, True]
    assert deals.loc["6877153473", "currency"] == "BRL"
    assert crm.quality.tables["deals"].n_set_aside == 0
    warned = [w for w in crm.quality.warnings if "'kr'" in w]
    assert len(warned) == 1 and warned[0].startswith(f"deals.amount: in {HS_DEALS}, 2 amounts")


def test_a_currency_column_gives_the_currency_an_ambiguous_sign_does_not(tmp_path):
    (tmp_path / HS_DEALS).write_text(
        "Record ID,Deal Stage,Amount,Currency,Create Date\n"
        '1,Closed Won,"12 345,67 kr",SEK,2024-04-01 10:00\n'
        '2,Closed Won,"500,00 kr",,2024-04-01 10:00\n'
    )
    deals = smk.load(tmp_path, format="hubspot").deals
    assert deals["amount"].tolist() == [12345.67, 500.0]
    assert deals["currency"].tolist() == ["SEK", pd.NA]


# ---------------------------------------------------------------- Salesforce: lead accounts


def write_sf(folder: Path, accounts: list[tuple[str, str]], leads: list[tuple[str, str]]) -> Path:
    write_csv(
        folder / "Account.csv",
        [["Id", "Name", "CreatedDate"]]
        + [[i, name, "2024-01-01T00:00:00.000+0000"] for i, name in accounts],
    )
    write_csv(
        folder / "Lead.csv",
        [["Id", "Company", "Email", "IsConverted", "CreatedDate"]]
        + [[i, company, f"{i}@x.example", "0", "2024-02-01T00:00:00.000+0000"]
           for i, company in leads],
    )  # fmt: skip
    return folder


def test_leads_of_a_company_several_accounts_share_get_no_account_and_a_warning(tmp_path):
    accounts = [("0015g00000Acc0001AAA", "Globex"), ("0015g00000Acc0002AAA", "Initech"),
                ("0015g00000Acc0003AAA", " initech "), ("0015g00000Acc0004AAA", "Umbrella"),
                ("0015g00000Acc0005AAA", "Umbrella")]  # fmt: skip
    leads = [("00Q5g00000Led0001AAA", "globex"), ("00Q5g00000Led0002AAA", "Initech"),
             ("00Q5g00000Led0003AAA", "INITECH "), ("00Q5g00000Led0004AAA", "Umbrella"),
             ("00Q5g00000Led0005AAA", "Hooli")]  # fmt: skip
    crm = smk.load(write_sf(tmp_path, accounts, leads), format="salesforce")
    account = crm.contacts.set_index("contact_id")["account_id"]
    assert account["00Q5g00000Led0001AAA"] == "0015g00000Acc0001AAA"  # one account: matched
    assert account.drop("00Q5g00000Led0001AAA").isna().all()  # shared or unknown: none
    assert other_warnings(crm) == [
        "contacts: 3 unconverted leads have no account: their Company is the name of several "
        "accounts (2 names, e.g. 'Initech' (2 accounts), 'Umbrella' (2 accounts)); a lead is "
        "given the account whose name equals its Company only when exactly one account has "
        "that name. Give such accounts distinct names, or convert the leads in Salesforce"
    ]


def test_an_account_listed_twice_is_one_account_for_a_leads_company(tmp_path):
    """A duplicated Account row (the same id twice, set aside later as a duplicate) made its
    name look shared: the lead of that company got no account."""
    account = ("0015g00000Acc0001AAA", "Globex")
    crm = smk.load(
        write_sf(tmp_path, [account, account], [("00Q5g00000Led0001AAA", "Globex")]),
        format="salesforce",
    )
    assert crm.contacts["account_id"].tolist() == ["0015g00000Acc0001AAA"]
    assert other_warnings(crm) == []


def test_the_sample_says_how_many_leads_a_shared_company_name_leaves_without_account():
    crm = smk.load(config.SAMPLE_SALESFORCE)
    warned = [w for w in crm.quality.warnings if "Company is the name of several" in w]
    assert len(warned) == 1 and warned[0].startswith("contacts: 90 unconverted leads")
    lead = pd.read_csv(config.SAMPLE_SALESFORCE / "Lead.csv", dtype=str, encoding="utf-8-sig")
    names = crm.accounts["name"].str.strip().str.lower().value_counts()
    shared = lead["Company"].str.strip().str.lower().map(names).gt(1)
    open_leads = lead.loc[shared & lead["IsConverted"].str.lower().isin(["0", "false"]), "Id"]
    on_shared = crm.contacts[crm.contacts["contact_id"].str[:15].isin(open_leads.str[:15])]
    assert len(on_shared) == 90 and on_shared["account_id"].isna().all()
    # the company of the sample's duplicated Account row is one account's: its lead has it
    vexora = crm.contacts.loc[crm.contacts["Company"] == "Vexora Market SAS", "account_id"]
    assert vexora.tolist() == ["0015g00TQNfw2d5A2A"]


# ---------------------------------------------------------------- Zoho (docs/mappings.md)


def zoho_example() -> str:
    """The Zoho mapping shown in docs/mappings.md, as a user would copy it."""
    doc = (DOCS / "mappings.md").read_text(encoding="utf-8")
    return "name: zoho\n" + doc.split("```yaml\nname: zoho\n", 1)[1].split("```", 1)[0]


def zoho_file(folder: Path, name: str, rows: list[list[str]]) -> None:
    """A Zoho backup file: comma-separated, ending with an empty line (`\\n\\n`)."""
    write_csv(folder / name, rows)
    with (folder / name).open("a", encoding="utf-8") as fh:
        fh.write("\n")


def zoho_backup(folder: Path) -> Path:
    folder.mkdir()
    owner = "zcrm_404427000000235011"
    zoho_file(folder, "Accounts_001.csv", [
        ["Record Id", "Account Owner Id", "Account Name", "Industry", "Employees",
         "Annual Revenue", "Billing Country", "Created Time"],
        ["zcrm_404427000000249001", owner, "Testwerk GmbH", "Consulting", "40", "2500000",
         "Germany", "2022-09-13 16:42:26"],
    ])  # fmt: skip
    zoho_file(folder, "Contacts_001.csv", [
        ["Record Id", "Contact Owner Id", "Lead Source", "First Name", "Last Name", "Account Id",
         "Email", "Title", "Mailing Country", "Created Time"],
        ["zcrm_404427000000250001", owner, "Advertisement", "Ada", "Apfel",
         "zcrm_404427000000249001", "ada@x.example", "CEO", "Germany", "2022-10-13 16:50:00"],
    ])  # fmt: skip
    lead_header = [
        "Record Id",
        "Lead Owner Id",
        "Company",
        "Email",
        "Lead Source",
        "Lead Status",
        "Created Time",
        "Is Converted",
        "Converted Contact Id",
        "Converted Date Time",
    ]
    zoho_file(folder, "Leads_001.csv", [
        lead_header,
        ["zcrm_404427000000270001", owner, "Testwerk GmbH", "ada@x.example", "Advertisement",
         "Contacted", "2022-10-01 09:00:00", "true", "zcrm_404427000000250001",
         "2022-10-13 16:50:00"],
        ["zcrm_404427000000270002", owner, "Shop AG", "bo@shop.example", "Online Store",
         "Not Contacted", "2022-10-20 09:00:00", "false", "", ""],
    ])  # fmt: skip
    zoho_file(folder, "Leads_002.csv", [
        lead_header,
        ["zcrm_404427000000270003", owner, "Partner SA", "cy@partner.example", "Partner",
         "Pre-Qualified", "2022-10-21 09:00:00", "false", "", ""],
        ["zcrm_404427000000270004", owner, "Dl Ltd", "di@dl.example", "Web Download",
         "Attempted to Contact", "2022-10-22 09:00:00", "false", "", ""],
    ])  # fmt: skip
    zoho_file(folder, "Deals_001.csv", [
        ["Record Id", "Deal Owner Id", "Amount", "Deal Name", "Closing Date", "Account Id",
         "Stage", "Contact Id", "Created Time", "Currency", "Pipeline", "Reason For Loss"],
        ["zcrm_404427000000260001", owner, "48000", "Testwerk deal", "2022-12-31",
         "zcrm_404427000000249001", "Closed Won", "zcrm_404427000000250001",
         "2022-10-20 10:00:00", "EUR", "Standard", ""],
    ])  # fmt: skip
    zoho_file(folder, "Users_001.csv", [["Record Id", "First Name"], [owner, "Sam"]])
    return folder


def test_the_documented_zoho_mapping_reads_leads_sources_and_owners(tmp_path):
    """The example read no Leads_00n.csv, made `Online Store`, `Web Download` and `Partner`
    `other` with a warning, and left every owner empty."""
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text(zoho_example(), encoding="utf-8")
    crm = smk.load(zoho_backup(tmp_path / "backup"), mapping=mapping)
    assert crm.quality.warnings == [
        "not read, as their names match no zoho table's file patterns (contacts: "
        "Contacts_*.csv, Leads_*.csv; accounts: Accounts_*.csv; deals: Deals_*.csv, "
        "Potentials_*.csv): Users_001.csv. If one holds a table, rename it to match its "
        "pattern (or add the pattern to a mapping file's `files:`)"
    ]
    c = crm.contacts.set_index("email")
    assert len(c) == 4  # 1 contact + 4 leads, the converted lead merged into its contact
    assert crm.quality.set_aside("contacts")["_reason"].tolist() == [
        "merged into contact with same email"
    ]
    ada = c.loc["ada@x.example"]
    assert ada["became_lead_at"] == ts("2022-10-01 07:00")  # the lead's creation, Berlin time
    assert ada["became_sql_at"] == ts("2022-10-13 14:50")  # converted
    assert ada["account_id"] == "zcrm_404427000000249001" and ada["job_title"] == "CEO"
    assert crm.deals["contact_id"].tolist() == [ada["contact_id"]]  # re-pointed at the person
    assert c["original_source"].to_dict() == {
        "ada@x.example": "paid_search",
        "bo@shop.example": "direct",
        "cy@partner.example": "referral",
        "di@dl.example": "direct",
    }
    # Ada's won deal makes her a customer: an opportunity at its creation, a customer at its
    # close (Zoho writes neither date; docs/mappings.md, "Stage dates from deals")
    assert c["lifecycle_stage"].tolist() == ["customer", "lead", "mql", "lead"]
    assert ada["became_opportunity_at"] == ts("2022-10-20 08:00")  # Berlin 10:00
    assert ada["became_customer_at"] == crm.deals["closed_at"].iloc[0]
    assert (c["owner_id"] == "zcrm_404427000000235011").all()
    assert crm.accounts["country"].tolist() == ["Germany"]
    assert crm.deals["is_won"].tolist() == [True]
