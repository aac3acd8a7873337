"""Which of a HubSpot export's columns gives each of ours when it has several that could:
the closed flag under its UI label, an amount in the company currency beside the deal's own
amount and currency, the primary company beside the list of associated companies.

Each export is written here, in a temporary folder, as HubSpot's UI writes it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.errors import CRMExportError
from smk.io.mapping import read_mapping, untold_deals

DATE = "2026-03-02"


def export(folder: Path, view: str, header: str, *rows: str) -> Path:
    path = folder / f"hubspot-crm-exports-{view}-{DATE}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def warnings_with(crm: smk.CRM, text: str) -> list[str]:
    return [w for w in crm.quality.warnings if text in w]


# ---------------------------------------------------------------- the closed flag's UI label
def test_is_deal_closed_tells_custom_stages_closed_and_lost(tmp_path: Path) -> None:
    """HubSpot writes hs_is_closed as `Is Deal Closed?`: a custom pipeline's lost stage
    (`Churned`, a stage id) is closed by it, not taken as open."""
    export(
        tmp_path,
        "all-deals",
        "Record ID,Deal Stage,Amount,Create Date,Is Deal Closed?,Is Closed Won",
        "1,Churned,100,2026-02-01 09:00,true,false",
        "2,Renewed,200,2026-02-01 09:00,true,true",
        "3,12345679,300,2026-02-01 09:00,true,false",
        "4,Negotiation,400,2026-02-01 09:00,false,false",
    )
    crm = smk.load(tmp_path)
    flags = crm.deals.set_index("deal_id")[["is_closed", "is_won"]]
    assert flags.values.tolist() == [[True, False], [True, True], [True, False], [False, False]]
    assert not warnings_with(crm, "cannot tell")


def test_stages_without_flags_name_the_flag_columns_hubspot_writes(tmp_path: Path) -> None:
    export(
        tmp_path,
        "all-deals",
        "Record ID,Deal Stage,Amount,Create Date",
        "1,Churned,100,2026-02-01 09:00",
    )
    [said] = warnings_with(smk.load(tmp_path), "cannot tell")
    assert "(HubSpot: Is Deal Closed?, Is Closed Won)" in said


# ------------------------------------------------------------ flag columns left empty
FLAGS_HEADER = "Record ID,Deal Stage,Amount,Create Date,Is Deal Closed?,Is Closed Won"


def _flags(crm: smk.CRM) -> list[list[object]]:
    return crm.deals.set_index("deal_id")[["is_closed", "is_won"]].values.tolist()


def test_empty_flag_columns_are_read_from_the_stage(tmp_path: Path) -> None:
    """An export with `Is Deal Closed?` and `Is Closed Won` left empty (a property added to
    the export view, not filled for these deals) loaded every deal with unknown flags: the
    stage gives them, as for an export without the columns, and the load says so."""
    export(
        tmp_path,
        "all-deals",
        FLAGS_HEADER,
        "1,Closed Won,100,2026-02-01 09:00,,",
        "2,Closed Lost,200,2026-02-01 09:00,,",
        "3,Contract Sent,300,2026-02-01 09:00, ,",
        "4,37336401,400,2026-02-01 09:00,,",
    )
    crm = smk.load(tmp_path)
    assert _flags(crm) == [[True, True], [True, False], [False, False], [False, False]]
    name = f"hubspot-crm-exports-all-deals-{DATE}.csv"
    for header, col in (("Is Deal Closed?", "is_closed"), ("Is Closed Won", "is_won")):
        assert warnings_with(crm, f"deals: {name}: '{header}' is empty in 4 rows: their {col} ")
    [untold] = warnings_with(crm, "cannot tell")
    assert "1 deal read at stage values" in untold and "'37336401' (1)" in untold
    account = crm.quality.tables["deals"]
    assert account.read == account.loaded + account.n_set_aside == 4


def test_a_partly_empty_flag_column_keeps_its_values_and_fills_the_rest(tmp_path: Path) -> None:
    """Older deals without the property: each empty cell is read from the stage, each given
    value wins over the stage, and only the deals the stage gave are counted in warnings."""
    export(
        tmp_path,
        "all-deals",
        FLAGS_HEADER,
        "1,Churned,100,2026-02-01 09:00,true,false",  # a custom lost stage, told by its flags
        "2,Closed Won,200,2026-02-01 09:00,,",
        "3,Appointment Scheduled,300,2026-02-01 09:00,false,",
        "4,Renewed,400,2026-02-01 09:00,,",
    )
    crm = smk.load(tmp_path)
    assert _flags(crm) == [[True, False], [True, True], [False, False], [False, False]]
    for header in ("Is Deal Closed?", "Is Closed Won"):
        assert len(warnings_with(crm, f"'{header}' is empty in ")) == 1
    assert warnings_with(crm, "'Is Closed Won' is empty in 3 rows")
    assert warnings_with(crm, "'Is Deal Closed?' is empty in 2 rows")
    [untold] = warnings_with(crm, "cannot tell")
    assert "'Renewed' (1)" in untold and "Churned" not in untold


def test_a_closed_deal_at_a_custom_won_stage_without_its_won_flag_is_said(tmp_path: Path) -> None:
    """`Is Deal Closed?` true and `Is Closed Won` blank at a stage the is_won rule does not
    call won and that names no loss (`Contract Signed`): the deal loads as lost, which the
    load said only when the stage gave both flags. A deal whose won flag is given, or at a
    stage named lost, is no news."""
    export(
        tmp_path,
        "all-deals",
        FLAGS_HEADER,
        "1,Contract Signed,100,2026-02-01 09:00,true,",
        "2,Contract Signed,200,2026-02-01 09:00,true,",
        "3,Contract Signed,300,2026-02-01 09:00,true,true",  # its own won flag: no news
        "4,Closed Lost,400,2026-02-01 09:00,true,",
        "5,Churned,500,2026-02-01 09:00,true,",
        "6,Closed Won,600,2026-02-01 09:00,,",
    )
    crm = smk.load(tmp_path)
    assert _flags(crm)[:3] == [[True, False], [True, False], [True, True]]
    assert warnings_with(crm, "with no won revenue") == [
        "deals.stage: 3 deals closed by their own closed flag, with no won flag, at stage values "
        "the is_won rule does not call won, which name no lost stage: 'Contract Signed' (2), "
        "'Churned' (1); they are taken as lost, with no won revenue: fill the deals' won flag "
        "where it is empty (Is Closed Won: 5 rows), or map the values with a mapping file "
        "(docs/mappings.md)"
    ]
    account = crm.quality.tables["deals"]
    assert account.read == account.loaded + account.n_set_aside == 6


def test_a_closed_deal_without_a_won_column_is_told_to_export_it(tmp_path: Path) -> None:
    export(
        tmp_path,
        "all-deals",
        "Record ID,Deal Stage,Amount,Create Date,Is Deal Closed?",
        "1,Contract Signed,100,2026-02-01 09:00,true",
    )
    [said] = warnings_with(smk.load(tmp_path), "with no won revenue")
    assert said.startswith("deals.stage: 1 deal closed by its own closed flag, with no won flag")
    assert said.endswith(
        "it is taken as lost, with no won revenue: export the deals' won flag too (HubSpot: Is "
        "Closed Won), or map the values with a mapping file (docs/mappings.md)"
    )


def test_stages_with_empty_flag_columns_are_told_to_fill_them(tmp_path: Path) -> None:
    """The advice for stages smk cannot tell was to export the flag columns, which the file
    has, empty: it says which to fill, and where; the deals are still counted as untold."""
    export(
        tmp_path,
        "all-deals",
        FLAGS_HEADER,
        "1,37336401,100,2026-02-01 09:00,,",
        "2,37336401,200,2026-02-01 09:00,,",
        "3,Closed Won,300,2026-02-01 09:00,true,",
    )
    crm = smk.load(tmp_path)
    [said] = warnings_with(crm, "cannot tell")
    assert said == (
        "deals.stage: 2 deals read at stage values smk cannot tell open from closed: '37336401' (2); "
        "they are taken as open: fill the deals' closed and won flags where they are empty (Is "
        "Deal Closed?: 2 rows, Is Closed Won: 3 rows), or map the values with a mapping file "
        "(docs/mappings.md)"
    )
    assert untold_deals(crm.quality.warnings) == 2


def test_filled_flag_columns_are_not_said(tmp_path: Path) -> None:
    export(tmp_path, "all-deals", FLAGS_HEADER, "1,Churned,100,2026-02-01 09:00,true,false")
    crm = smk.load(tmp_path)
    assert _flags(crm) == [[True, False]]
    assert not warnings_with(crm, "is empty in") and not warnings_with(crm, "cannot tell")


# --------------------------------------------------------- the amount in the company currency
#: a deal of 13,570 GBP, 15,876.90 in the portal's company currency (EUR)
OWN, HOME = "13570", "15876.90"


@pytest.mark.parametrize(
    ("header", "row", "kept"),
    [  # the company-currency amount with the deal's own currency, without the deal's amount
        ("Deal currency code,Amount in company currency", f"GBP,{HOME}", "'Deal currency code'"),
        # the deal's own amount, in several currencies, with no currency column
        ("Amount,Amount in company currency", f"{OWN},{HOME}", "'Amount' is not read"),
        ("Amount in company currency", HOME, None),
    ],
)
def test_an_amount_in_the_company_currency_has_no_deal_currency(
    tmp_path: Path, header: str, row: str, kept: str | None
) -> None:
    export(
        tmp_path,
        "all-deals",
        f"Record ID,Deal Stage,Create Date,{header}",
        f"1,Closed Won,2026-02-01 09:00,{row}",
    )
    crm = smk.load(tmp_path)
    deal = crm.deals.iloc[0]
    assert (deal["amount"], pd.isna(deal["currency"])) == (15876.9, True)
    [said] = warnings_with(crm, "company currency")
    assert said.startswith(
        f"deals: amount of hubspot-crm-exports-all-deals-{DATE}.csv is read from 'Amount in "
        "company currency', in the CRM's company currency, which the export does not name: the "
        "currency is left empty, so the report takes the amounts to be in the reporting currency"
    )
    if kept is not None:
        assert kept in said
    if "Deal currency code" in header:  # kept as exported, under its own name
        assert deal["Deal currency code"] == "GBP"


def test_the_deal_s_own_amount_and_currency_win_over_the_company_currency(
    tmp_path: Path,
) -> None:
    export(
        tmp_path,
        "all-deals",
        "Record ID,Deal Stage,Create Date,Amount,Deal currency code,Amount in company currency",
        f"1,Closed Won,2026-02-01 09:00,{OWN},GBP,{HOME}",
    )
    crm = smk.load(tmp_path)
    assert crm.deals[["amount", "currency"]].values.tolist() == [[13570.0, "GBP"]]
    assert not warnings_with(crm, "company currency")


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ("home_currency: {amount: 1}", "home_currency: in the mapping for deals must be a header"),
        ("primary: {acount_id: X}", "primary: acount_id \\(did you mean account_id\\?\\)"),
    ],
)
def test_the_keys_in_a_mapping_file_are_checked(tmp_path: Path, section: str, error: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"tables:\n  deals:\n    {section}\n", encoding="utf-8")
    with pytest.raises(CRMExportError, match=error):
        read_mapping(path)


def test_a_mapping_file_reads_a_primary_and_a_company_currency_amount(tmp_path: Path) -> None:
    """The two keys are the mapping machinery's, not HubSpot's alone: any CRM's primary value
    beside its list, any amount in the company's own currency."""
    (tmp_path / "m.yaml").write_text(
        "tables:\n  deals:\n    files: ['*deal*']\n    columns:\n"
        "      deal_id: Id\n      created_at: Created\n      contact_id: [Contacts, Main]\n"
        "      amount: [Amount, Home]\n      currency: Currency\n"
        "    multi_value: [contact_id]\n    primary: {contact_id: Main}\n"
        "    home_currency: Home\n",
        encoding="utf-8",
    )
    (tmp_path / "deals.csv").write_text(
        "Id,Created,Contacts,Main,Home,Currency\n1,2026-02-01,C1;C2,C2,99,USD\n",
        encoding="utf-8",
    )
    crm = smk.load(tmp_path, mapping=tmp_path / "m.yaml")
    deal = crm.deals.iloc[0]
    assert (deal["contact_id"], deal["contact_ids_all"], deal["amount"]) == ("C2", "C1;C2", 99.0)
    assert pd.isna(deal["currency"]) and deal["Currency"] == "USD"


# ------------------------------------------------------------------------ the primary company
def test_a_contact_s_primary_company_is_its_account_not_the_first_listed(tmp_path: Path) -> None:
    export(
        tmp_path,
        "all-contacts",
        "Record ID,Email,Create Date,Associated Company IDs,Primary Associated Company ID",
        "1,a@x.test,2026-02-01 09:00,201;202,202",
        "2,b@x.test,2026-02-01 09:00,203;204,",  # no primary: the first listed
        "3,c@x.test,2026-02-01 09:00,205,205",
        "4,d@x.test,2026-02-01 09:00,,",
    )
    contacts = smk.load(tmp_path).contacts.set_index("contact_id")
    assert contacts["account_id"].tolist() == ["202", "203", "205", pd.NA]
    assert contacts.loc["1", "account_ids_all"] == "201;202"  # the list, as exported
    assert "Primary Associated Company ID" not in contacts  # read: not kept again


def test_a_deal_s_primary_company_is_its_account_not_the_first_listed(tmp_path: Path) -> None:
    export(
        tmp_path,
        "all-deals",
        "Record ID,Deal Stage,Amount,Create Date,Associated Company IDs,"
        "Associated Company IDs (Primary)",
        "1,Closed Won,100,2026-02-01 09:00,201;202,202",
        "2,Closed Won,100,2026-02-01 09:00,203;204,",
    )
    deals = smk.load(tmp_path).deals.set_index("deal_id")
    assert deals["account_id"].tolist() == ["202", "203"]
    assert deals["account_ids_all"].tolist() == ["201;202", "203;204"]


def test_mixed_files_are_told_to_fill_the_empty_flags_and_export_the_missing(
    tmp_path: Path,
) -> None:
    """RV: a folder of one file with both flag columns (its won flag empty for deals closed
    at a custom won stage) and one without them: the advice was to export the won flag, which
    the deals' own file has."""
    export(
        tmp_path,
        "all-deals",
        FLAGS_HEADER,
        *(f"{i},Contract Signed,100,2026-02-01 09:00,true," for i in range(1, 6)),
    )
    export(
        tmp_path,
        "more-deals",
        "Record ID,Deal Stage,Amount,Create Date",
        "9,Closed Won,5,2026-02-01 09:00",
    )
    crm = smk.load(tmp_path)
    [said] = warnings_with(crm, "with no won revenue")
    assert said.endswith(  # RV2: not told to export it from a file none of whose deals is said
        "fill the deals' won flag where it is empty (Is Closed Won: 5 rows), or map the values "
        "with a mapping file (docs/mappings.md)"
    )
    account = crm.quality.tables["deals"]
    assert account.read == account.loaded + account.n_set_aside == 6
    export(  # a file of such a deal without the won column: told to export it there
        tmp_path,
        "closed-deals",
        "Record ID,Deal Stage,Amount,Create Date,Is Deal Closed?",
        "10,Contract Signed,5,2026-02-01 09:00,true",
    )
    [said] = warnings_with(smk.load(tmp_path), "with no won revenue")
    assert "'Contract Signed' (6)" in said and said.endswith(
        "fill the deals' won flag where it is empty (Is Closed Won: 5 rows) and export it from "
        "the files without it, or map the values with a mapping file (docs/mappings.md)"
    )
