"""Mapping files: the Pipedrive worked example, and the errors a broken mapping gives."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.errors import CRMExportError
from smk.io.mapping import TableMapping, builtin_mapping, map_frame, read_mapping

FIXTURE = Path(__file__).parent / "fixtures" / "pipedrive"


@pytest.fixture
def pipedrive_yaml() -> Path:
    """The shipped mapping, found through the package (not the working directory)."""
    with resources.as_file(resources.files("smk.mappings") / "pipedrive.yaml") as path:
        yield path


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def check_pipedrive(crm: smk.CRM) -> None:
    """The values the Pipedrive fixture must load to, whichever way it was loaded."""
    counts = {t: (a.read, a.loaded, a.n_set_aside) for t, a in crm.quality.tables.items()}
    assert counts == {
        "contacts": (16, 15, 1),
        "accounts": (12, 12, 0),
        "deals": (14, 12, 2),
        "activities": (16, 14, 2),  # 306 and 315 are "To do": planned, no sales work yet
    }
    assert crm.format == "pipedrive"

    contacts = crm.contacts.set_index("contact_id")
    # person labels -> lifecycle stages (Pipedrive has no lifecycle stage of its own), raised
    # by the loaded deals: a person with a deal is an opportunity, with a won one a customer
    assert contacts["lifecycle_stage"].fillna("(none)").to_dict() == {
        "101": "customer",
        "102": "opportunity",  # SQL label, open deal 202
        "103": "opportunity",  # Hot lead, lost deal 203
        "104": "opportunity",  # Warm lead, open deal 204
        "105": "opportunity",  # Cold lead, lost deal 205
        "106": "opportunity",
        "107": "opportunity",
        "108": "customer",
        "109": "opportunity",  # no label, deal 212
        "110": "customer",
        "111": "opportunity",
        "112": "opportunity",
        "113": "lead",  # no deal
        "114": "lead",
        "115": "other",  # "Partner" is not in the mapping
    }
    assert contacts.loc["101", "became_opportunity_at"] == ts("2025-11-10 09:00:00")  # deal 201
    assert contacts.loc["101", "became_customer_at"] == ts("2026-01-15 16:30:00")  # its Won time
    assert pd.isna(contacts.loc["103", "became_customer_at"])  # lost: no customer
    assert contacts.loc["104", "email"] == "dmitri.mockov@mail.example"  # only a home e-mail
    assert contacts.loc["101", "email"] == "ada.placeholder@examplia.example"
    assert contacts.loc["103", "original_source"] == "paid_social"  # custom field "LinkedIn Ads"
    assert contacts.loc["111", "original_source"] == "offline"  # "Trade show"
    assert contacts.loc["102", "account_id"] == "1"
    assert pd.isna(contacts.loc["114", "account_id"])
    assert contacts.loc["101", "created_at"] == ts("2025-11-03 10:20:41")
    assert contacts.loc["101", "owner_id"] == "Dana Fictional"
    assert any("'Partner'" in w for w in crm.quality.warnings)

    accounts = crm.accounts.set_index("account_id")
    assert accounts.loc["9", "name"] == "Sample & Sons, Hardware"
    assert accounts.loc["1", "employees"] == 120
    assert accounts.loc["4", "country"] == "Switzerland"
    assert pd.isna(accounts.loc["12", "employees"])

    deals = crm.deals.set_index("deal_id")  # every header of deals.csv uses an en dash
    assert deals.loc["202", "amount"] == 4800.5
    assert deals.loc["202", "Deal – Title"] == "Examplia add-on seats"  # unmapped: kept as is
    assert deals.loc["203", "currency"] == "GBP"
    won = deals.loc["201"]
    assert (bool(won["is_won"]), bool(won["is_closed"])) == (True, True)
    assert won["closed_at"] == ts("2026-01-15 16:30:00")  # Won time
    assert won["stage"] == "Negotiations Started"
    lost = deals.loc["203"]
    assert (bool(lost["is_won"]), bool(lost["is_closed"])) == (False, True)
    assert lost["closed_at"] == ts("2026-03-01 10:00:00")  # Lost time
    assert lost["lost_reason"] == "Price too high"
    open_deal = deals.loc["202"]
    assert (bool(open_deal["is_won"]), bool(open_deal["is_closed"])) == (False, False)
    assert pd.isna(open_deal["closed_at"])
    assert deals["is_won"].sum() == 3
    assert deals.loc["207", "pipeline"] == "Enterprise pipeline"

    acts = crm.activities.set_index("activity_id")
    assert acts.loc["307", "type"] == "task"  # Deadline
    assert acts.loc["308", "type"] == "meeting"  # Lunch
    assert acts.loc["301", "occurred_at"] == ts("2025-11-12 10:24:05")  # marked as done
    assert acts.loc["307", "occurred_at"] == ts("2026-02-19 08:30:00")  # marked as done
    assert acts.loc["301", "owner_id"] == "Dana Fictional"
    assert acts.loc["316", "deal_id"] == "213"

    def aside(table: str) -> list[list[str]]:
        frame = crm.quality.set_aside(table)
        return sorted(frame[["_file", "_row", "_reason"]].values.tolist())

    assert aside("contacts") == [["persons.csv", "17", "missing created_at"]]
    assert aside("deals") == [
        ["deals.csv", "14", "unknown account_id"],
        ["deals.csv", "15", "closed_at before created_at"],
    ]
    # activity 314's person (116) is in the export, only its row was set aside: kept
    assert aside("activities") == [  # 315 and 306: "To do"
        ["activities.csv", "16", "task not done"],
        ["activities.csv", "7", "task not done"],
    ]
    assert acts.loc["314", "contact_id"] == "116"
    assert (
        "activities: 1 activity names a contact_id whose contact is in the export but was set "
        "aside (missing created_at): kept; contact fields are missing for it"
    ) in crm.quality.warnings


def test_pipedrive_mapping_loads_the_example_export(pipedrive_yaml):
    crm = smk.load(FIXTURE, mapping=pipedrive_yaml)
    check_pipedrive(crm)


def test_builtin_pipedrive_mapping_is_shipped_with_the_package():
    mapping = builtin_mapping("pipedrive")
    assert mapping.name == "pipedrive"
    assert set(mapping.tables) == {"contacts", "accounts", "deals", "activities"}
    assert mapping.tables["deals"].coalesce == ["closed_at"]


def test_mapping_file_with_a_data_key_loads_its_export(tmp_path, pipedrive_yaml):
    shutil.copytree(FIXTURE, tmp_path / "export")
    spec = tmp_path / "our-pipedrive.yaml"
    spec.write_text(pipedrive_yaml.read_text(encoding="utf-8") + "\ndata: export\n")
    crm = smk.load(spec)
    check_pipedrive(crm)
    assert Path(crm.source) == (tmp_path / "export").resolve()


def test_smk_mapping_yaml_next_to_the_export_is_used_automatically(tmp_path, pipedrive_yaml):
    folder = tmp_path / "pipedrive-export"
    shutil.copytree(FIXTURE, folder)
    shutil.copy(pipedrive_yaml, folder / "smk-mapping.yaml")
    check_pipedrive(smk.load(folder))


# ------------------------------------------------------------------ broken mappings
def write_mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ntables:\n" + body)
    return path


def test_mapping_with_an_unknown_table_names_the_file(tmp_path):
    path = write_mapping(tmp_path, "  leads:\n    files: ['*person*']\n")
    with pytest.raises(CRMExportError, match="unknown table 'leads'") as err:
        smk.load(FIXTURE, mapping=path)
    assert err.value.file == str(path)


def test_mapping_whose_required_column_is_absent_names_file_and_column(tmp_path):
    path = write_mapping(
        tmp_path,
        "  contacts:\n    files: ['*person*']\n    columns:\n"
        "      contact_id: ['Person - ID']\n      created_at: ['Person - Signup date']\n",
    )
    with pytest.raises(CRMExportError) as err:
        smk.load(FIXTURE, mapping=path)
    assert err.value.column == "created_at"
    assert Path(err.value.file).name == "persons.csv"
    assert "Person - Person created" in err.value.found_columns
    assert "'Person - Person created'" in str(err.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  deals:\n    strip: {deal_id: '([a-z'}\n", r"strip: deal_id .* not a valid regular"),
        (
            "  deals:\n    derive: {is_won: {from: x, pattern: '(won'}}\n",
            r"derive: is_won .* not a",
        ),
        ("  deals:\n    derive: {is_won: '^won$'}\n", r"derive: .* must be .*\{from: column"),
        ("  deals:\n    constants: {currency: [EUR]}\n", r"constants: .* one value"),
        ("  deals:\n    values: {stage: [a, b]}\n", r"values: .* \{their value: our value\}"),
        ("  deals:\n    values: {is_won: {Yes: true}}\n", r"quote yes/no/on/off"),
        ("  deals:\n    columns: {deal_id: {a: b}}\n", r"columns: .* a header or a list"),
        ("  deals:\n    multi_value: contact_id\n", r"multi_value: .* a list of our columns"),
        ("  deals: [files]\n", r"must be a section of keys"),
        ("  deals: {}\ndayfirst: 'false'\n", r"dayfirst: must be true, false or null, not 'false'"),
        ("  deals: {}\ntimezon: Europe/Berlin\n", r"unknown key\(s\) 'timezon' at the top"),
        ("  contacts:\n    files: ['*person*']\n    colums: {}\n", r"unknown key.*'colums'"),
        (  # a column that is not in the data model
            "  contacts:\n    columns: {contact_id: ['Person - ID'], phone_number: ['Phone']}\n",
            "phone_number",
        ),
    ],
)
def test_a_malformed_mapping_is_an_error_naming_the_file_and_key(tmp_path, body, message):
    """A misspelt or mistyped key is an error, never ignored."""
    path = write_mapping(tmp_path, body)
    with pytest.raises(CRMExportError, match=message) as err:
        read_mapping(path)
    assert err.value.file == str(path)


def test_each_pattern_is_checked_by_the_engine_that_runs_it(tmp_path):
    # derive runs in Python's re (lookahead fine), strip in Arrow's RE2 (\\pL fine)
    path = write_mapping(
        tmp_path,
        "  deals:\n    derive: {is_won: {from: x, pattern: '^won(?!der)'}}\n"
        "    strip: {owner_id: '\\s*\\pL+ional$'}\n",
    )
    mapping = read_mapping(path)
    assert mapping.tables["deals"].derive["is_won"]["pattern"] == "^won(?!der)"
    raw = frame(
        **{"ID": ["1", "2"], "Created": ["2026-01-01"] * 2, "Owner": ["Dana Fictional", "Bo"]}
    )
    aliases = {"deal_id": ["ID"], "created_at": ["Created"], "owner_id": ["Owner"]}
    tm = TableMapping(columns=aliases, strip=mapping.tables["deals"].strip)
    assert map_frame(raw, "deals", tm, Path("d"))["owner_id"].tolist() == ["Dana", "Bo"]
    for body in ("strip: {owner_id: '(?!x)'}", "derive: {is_won: {from: x, pattern: '\\pL'}}"):
        with pytest.raises(CRMExportError, match="not a valid regular expression"):
            read_mapping(write_mapping(tmp_path, f"  deals:\n    {body}\n"))


def test_a_mapping_file_that_is_not_text_is_an_error_naming_it(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(CRMExportError, match="cannot read the mapping file") as err:
        read_mapping(path)
    assert err.value.file == str(path)


def test_a_missing_export_is_an_error_not_the_folder_around_it(tmp_path, pipedrive_yaml):
    shutil.copytree(FIXTURE, tmp_path / "export")
    typo = tmp_path / "export" / "export-2026-03-typo"
    with pytest.raises(CRMExportError, match="no such file or folder") as err:
        smk.load(typo, mapping=pipedrive_yaml)
    assert err.value.file == str(typo)
    spec = tmp_path / "export" / "our-pipedrive.yaml"  # its data: names no folder
    spec.write_text(pipedrive_yaml.read_text(encoding="utf-8") + "\ndata: nope\n")
    with pytest.raises(CRMExportError, match=r"data: 'nope' is no folder"):
        smk.load(spec)


# ------------------------------------------------------------------ engine features
def frame(**columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(columns, dtype="string")
    out["_row"] = range(2, len(out) + 2)
    return out


def test_coalesce_takes_the_first_filled_alias_row_by_row():
    raw = frame(
        **{
            "ID": ["1", "2", "3"],
            "Created": ["2026-01-01"] * 3,
            "Won time": ["2026-01-02", "", ""],
            "Lost time": ["", "2026-01-05", ""],
        }
    )
    aliases = {
        "deal_id": ["ID"],
        "created_at": ["Created"],
        "closed_at": ["Won time", "Lost time"],
    }
    both = map_frame(raw, "deals", TableMapping(columns=aliases, coalesce=["closed_at"]), Path("d"))
    assert both["closed_at"].tolist() == ["2026-01-02", "2026-01-05", pd.NA]
    assert "Lost time" not in both.columns  # consumed, not kept as an extra column
    first_only = map_frame(raw, "deals", TableMapping(columns=aliases), Path("d"))
    assert first_only["closed_at"].tolist() == ["2026-01-02", "", ""]
    assert first_only["Lost time"].tolist() == ["", "2026-01-05", ""]


def test_multi_value_takes_the_first_non_empty_value_and_keeps_the_list():
    raw = frame(
        **{
            "ID": ["1", "2", "3", "4", "5"],
            "Created": ["2026-01-01"] * 5,
            "Company": ["205", ";205", " ; 301;302", ";;", "401 ;402"],
        }
    )
    aliases = {"contact_id": ["ID"], "created_at": ["Created"], "account_id": ["Company"]}
    tm = TableMapping(columns=aliases, multi_value=["account_id"])
    out = map_frame(raw, "contacts", tm, Path("c"))
    assert out["account_id"].tolist() == ["205", "205", "301", pd.NA, "401"]
    assert out["account_ids_all"].tolist() == ["205", ";205", "; 301;302", ";;", "401 ;402"]


def test_derive_reads_a_source_header_that_has_no_canonical_column():
    raw = frame(
        **{
            "ID": ["1", "2", "3", "4"],
            "Created": ["2026-01-01"] * 4,
            "Status": ["Won", "lost", "Open", ""],
        }
    )
    tm = TableMapping(
        columns={"deal_id": ["ID"], "created_at": ["Created"]},
        derive={
            "is_won": {"from": "Status", "pattern": "^won$"},
            "is_closed": {"from": "Status", "pattern": "^(won|lost)$"},
        },
    )
    out = map_frame(raw, "deals", tm, Path("deals.csv"))
    assert out["is_won"].tolist() == ["true", "false", "false", pd.NA]
    assert out["is_closed"].tolist() == ["true", "true", "false", pd.NA]
    assert out["Status"].tolist() == ["Won", "lost", "Open", ""]  # the source column is kept


def _zoho_example() -> str:
    """The Zoho mapping shown in docs/mappings.md, as a user would copy it."""
    doc = (Path(__file__).parents[1] / "docs" / "mappings.md").read_text(encoding="utf-8")
    return doc.split("```yaml\nname: zoho\n", 1)[1].split("```", 1)[0].join(["name: zoho\n", ""])


def test_the_documented_zoho_mapping_loads_a_zoho_backup(tmp_path):
    mapping = tmp_path / "zoho.yaml"
    mapping.write_text(_zoho_example(), encoding="utf-8")
    crm = smk.load(Path(__file__).parent / "fixtures" / "zoho", mapping=mapping)
    # the fixture has no Leads file, no Title nor any country: the example's headers for them
    # are named, once per table (tests/test_mapping_checks.py), with what lead scoring and
    # segmentation leave out for them (smk.model.FEATURE_SOURCES): one warning, not a second
    # one of columns empty in every row
    contacts, accounts = crm.quality.warnings
    assert contacts.startswith(
        "contacts: the mapping file zoho.yaml names headers that no contacts file has: "
        "columns.became_sql_at looks for 'Converted Date Time'; columns.lifecycle_stage looks "
        "for 'Lead Status'; columns.job_title looks for 'Title'; columns.country looks for "
        "'Mailing Country', 'Country'. So became_sql_at, job_title, country are left empty "
        "(the figures drawn from them read as none or 0); lead scoring leaves out the "
        "features built from job_title, country; lifecycle_stage is left empty (a contact "
        "without a stage date or a deal is outside the funnel): correct the headers "
    )
    assert accounts.startswith(
        "accounts: the mapping file zoho.yaml names headers that no accounts file has: "
        "columns.country looks for 'Billing Country'. So country is left empty (the figures "
        "drawn from it read as none or 0); account segmentation leaves out the features "
        "built from it: correct the headers "
    )
    assert sorted(crm.accounts["name"]) == ["Müller GmbH", "Núñez S.L."]
    deals = crm.deals.set_index("deal_id")
    assert deals["currency"].tolist() == ["EUR", "USD", "EUR"]
    assert deals["is_won"].tolist() == [True, False, False]
    assert deals["is_closed"].tolist() == [True, True, False]
    assert deals["amount"].tolist() == [25000.0, 1200.5, 9000.0]


def test_vocabulary_warnings_name_the_mapping_to_translate_in(tmp_path, pipedrive_yaml):
    """A source outside the vocabulary gave no advice, and a lifecycle stage outside it
    advised "a copy of smk's hubspot.yaml" on a Pipedrive or Zoho load: both name the mapping
    in use, as the deal-stage warning does (a copy of one smk ships)."""
    shipped = smk.load(FIXTURE, mapping="pipedrive").quality.warnings
    (stage,) = [w for w in shipped if w.startswith("contacts.lifecycle_stage:")]
    assert "'Partner' (1)" in stage and "hubspot.yaml" not in stage
    assert stage.endswith(
        "translate it under `values: lifecycle_stage:` in a copy of pipedrive.yaml "
        "(docs/mappings.md)"
    )
    mine = tmp_path / "mine.yaml"
    mine.write_text(pipedrive_yaml.read_text().replace("        Google Ads: paid_search\n", ""))
    warnings = smk.load(FIXTURE, mapping=mine).quality.warnings
    (source,) = [w for w in warnings if w.startswith("contacts.original_source:")]
    assert source == (
        "contacts.original_source: values outside the vocabulary mapped to 'other': "
        "'Google Ads' (3); translate them under `values: original_source:` in mine.yaml "
        "(docs/mappings.md)"
    )
    (stage,) = [w for w in warnings if w.startswith("contacts.lifecycle_stage:")]
    assert stage.endswith("`values: lifecycle_stage:` in mine.yaml (docs/mappings.md)")


def test_a_file_no_table_claims_is_named_in_a_warning_not_skipped_unsaid(tmp_path):
    # (a HubSpot view's export, `hubspot-crm-exports-q1-pipeline-...`, is read by its headers:
    # tests/test_hubspot_more.py)
    export = tmp_path / "hubspot"
    shutil.copytree(
        Path(__file__).parent / "fixtures" / "hubspot" / "ui", export, dirs_exist_ok=True
    )
    deals = next(export.glob("*deals*"))
    deals.rename(export / "q1-pipeline-2026-02-21.csv")
    crm = smk.load(export)
    (export / "Notes_001.csv").write_text("Record Id,Note\n1,x\n")
    unread = [w for w in crm.quality.warnings if "not read" in w]
    assert len(unread) == 1 and "deals: *deal*" in unread[0] and crm.deals.empty
    assert unread[0].endswith(": q1-pipeline-2026-02-21.csv. If one holds "
                              "a table, rename it to match its pattern (or add the pattern to "
                              "a mapping file's `files:`)")  # fmt: skip
    unread = [w for w in smk.load(export).quality.warnings if "not read" in w]
    assert len(unread) == 1 and "Notes_001.csv, q1-pipeline-2026-02-21.csv" in unread[0]


def test_a_single_file_is_the_table_its_name_says(tmp_path):
    source = Path(__file__).parent / "fixtures" / "hubspot" / "ui"
    folder = smk.load(source)
    for pattern, table in (("*deals*", "deals"), ("*compan*", "accounts")):
        alone = smk.load(next(source.glob(pattern)))
        assert len(getattr(alone, table)) == len(getattr(folder, table)) > 0
        assert alone.contacts.empty
    zoho = tmp_path / "zoho.yaml"
    zoho.write_text(_zoho_example(), encoding="utf-8")
    deals = smk.load(Path(__file__).parent / "fixtures" / "zoho" / "Deals_001.csv", mapping=zoho)
    assert len(deals.deals) == 3 and deals.contacts.empty


ZOHO = Path(__file__).parent / "fixtures" / "zoho"


@pytest.mark.parametrize(
    "columns",
    [
        '{contact_id: ["Record Id"], created_at: ["Created Time"], became_lead_at: ["Created Time"]}',
        '{contact_id: ["Record Id"], became_lead_at: ["Created Time"], created_at: ["Created Time"]}',
    ],
)
def test_a_header_mapped_to_two_of_our_columns_fills_both(tmp_path, columns):
    """One Zoho date for both columns, in either order: neither is left empty (nor the
    required one reported missing while its header is listed as found)."""
    path = tmp_path / "zoho.yaml"
    path.write_text(
        f'tables:\n  contacts:\n    files: ["Contacts_*.csv"]\n    columns: {columns}\n'
    )
    contacts = smk.load(ZOHO, mapping=path).contacts.set_index("contact_id")
    assert contacts["created_at"].notna().all() and len(contacts) == 3
    assert contacts["became_lead_at"].equals(contacts["created_at"].rename("became_lead_at"))
    assert contacts.loc["zcrm_404427000000249401", "became_lead_at"] == ts("2022-10-13 16:42:26")
    assert "Created Time" not in contacts  # mapped, so not kept again under its own name


def test_one_header_is_translated_on_its_own_for_each_column_it_feeds():
    raw = frame(**{"ID": ["1", "2"], "Created": ["2026-01-01"] * 2, "Src": ["Ads", "Fair"]})
    tm = TableMapping(
        columns={
            "contact_id": ["ID"],
            "created_at": ["Created"],
            "original_source": ["Src"],
            "original_source_detail": ["Src"],
        },
        values={"original_source": {"Ads": "paid_search", "Fair": "offline"}},
    )
    out = map_frame(raw, "contacts", tm, Path("contacts.csv"))
    assert out["original_source"].tolist() == ["paid_search", "offline"]
    assert out["original_source_detail"].tolist() == ["Ads", "Fair"]


@pytest.mark.parametrize(
    ("constant", "column", "example"),
    [
        ("{country: NO}", "country", '"NO"'),  # Norway
        ("{country: No}", "country", '"NO"'),
        ("{currency: yes}", "currency", '"yes"'),
    ],
)
def test_a_constant_yaml_reads_as_yes_or_no_is_refused_with_how_to_quote_it(
    tmp_path, constant, column, example
):
    """bool is an int to Python: `country: NO` must not become the text 'False'."""
    path = write_mapping(tmp_path, f"  deals:\n    constants: {constant}\n")
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert f"constants: {column} in the mapping for deals is" in err.value.reason
    assert f"quote the value as written, e.g. {column}: {example}" in err.value.reason


def test_a_flag_s_constant_may_be_yaml_true_or_false(tmp_path):
    """`is_closed: false` means false: it loaded before the yes/no check and was then refused
    with advice to quote it as "NO"."""
    (tmp_path / "contacts.csv").write_text("Id,Email,Created\nC1,a@x.example,2026-01-05\n")
    (tmp_path / "deals.csv").write_text("Deal Id,Created,Amount,Stage\nD1,2026-01-05,100,Open\n")
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: mine\ntables:\n"
        '  contacts: {files: ["contacts*"], columns: {contact_id: [Id], email: [Email], '
        "created_at: [Created]}}\n"
        '  deals: {files: ["deals*"], columns: {deal_id: ["Deal Id"], created_at: [Created], '
        "amount: [Amount], stage: [Stage]}, constants: {is_closed: false, is_won: no}}\n"
    )
    deals = smk.load(tmp_path, mapping=path).deals
    assert deals["is_closed"].tolist() == [False] and deals["is_won"].tolist() == [False]


def test_a_name_yaml_reads_as_yes_or_no_is_refused(tmp_path):
    path = tmp_path / "no.yaml"
    path.write_text("name: no\ntables:\n  deals: {}\n")
    with pytest.raises(CRMExportError, match=r"name: must be a name \(quote yes/no/on/off\)"):
        read_mapping(path)


def test_quoted_and_numeric_constants_load_as_written(tmp_path):
    path = tmp_path / "zoho.yaml"
    path.write_text(
        'tables:\n  accounts:\n    files: ["Accounts_*.csv"]\n'
        '    columns: {account_id: ["Record Id"], name: ["Account Name"]}\n'
        '    constants: {country: "NO", employees: 1e3}\n'  # YAML 1.1 reads 1e3 as text
    )
    accounts = smk.load(ZOHO, mapping=path).accounts
    assert accounts["country"].tolist() == ["NO", "NO"]
    assert accounts["employees"].tolist() == [1000, 1000]
