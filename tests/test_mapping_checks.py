"""What a user's mapping file names that is not there: headers no file of a table has (a
warning naming the mapping file and the key), columns not in the data model under any key
(an error), and keys YAML reads as numbers or a time zone no one knows (errors that say so)."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk.errors import CRMExportError
from smk.io.mapping import builtin_mapping, load_mapped, read_mapping
from smk.model import TABLES as SCHEMA_TABLES

FIXTURES = Path(__file__).parent / "fixtures"
PIPEDRIVE = Path(smk.__file__).parent / "mappings" / "pipedrive.yaml"
UNFOUND = "names headers that no"

CONTACTS = "Id,Email,Created\nC1,a@x.example,2026-01-05\nC2,b@x.example,2026-01-06\n"
DEALS = (
    "Deal Id,Created,Value,Status,Won time,Lost time\n"
    "D1,2026-01-05,100,Won,2026-02-01,\n"
    "D2,2026-01-06,50,Lost,,2026-02-03\n"
)
DEALS_MAPPING = """\
  deals:
    files: ["deals*"]
    columns:
      deal_id: ["Deal Id"]
      created_at: [Created]
      amount: [{amount}]
      closed_at: ["Won time", {lost}]
    coalesce: [closed_at]
    derive:
      is_won: {{from: {status}, pattern: "^won$"}}
"""


def export(folder: Path, deals: dict[str, str] | None = None) -> Path:
    """A small export: contacts.csv and the deals files given (default: deals.csv)."""
    folder.mkdir(exist_ok=True)
    (folder / "contacts.csv").write_text(CONTACTS)
    for name, text in (deals or {"deals.csv": DEALS}).items():
        (folder / name).write_text(text)
    return folder


def mapping(folder: Path, amount="Value", lost='"Lost time"', status="Status", extra="") -> Path:
    """A user's mapping file for `export`, with the deals headers given."""
    path = folder / "mine.yaml"
    path.write_text(
        "name: mine\ntables:\n"
        '  contacts: {files: ["contacts*"], columns: {contact_id: [Id], email: [Email], '
        "created_at: [Created]}}\n"
        + DEALS_MAPPING.format(amount=amount, lost=lost, status=status)
        + extra
    )
    return path


def unfound(crm: smk.CRM) -> list[str]:
    return [w for w in crm.quality.warnings if UNFOUND in w]


# ------------------------------------------------------------ 1. headers no file has
def test_a_mapping_that_reads_every_header_says_nothing(tmp_path):
    crm = smk.load(export(tmp_path / "x"), mapping=mapping(tmp_path))
    assert unfound(crm) == []
    assert crm.deals["amount"].tolist() == [100, 50]
    assert crm.deals["is_won"].tolist() == [True, False]


def test_headers_no_file_has_are_named_with_the_mapping_file_and_key(tmp_path):
    """`amount: ["Deal - Amount"]` for a file with `Deal - Value`, `from: "Deal - State"`:
    loaded with no word, won revenue 0."""
    spec = mapping(tmp_path, amount='"Amount"', lost='"Lost on"', status='"Statuss"')
    crm = smk.load(export(tmp_path / "x"), mapping=spec)
    assert unfound(crm) == [
        "deals: the mapping file mine.yaml names headers that no deals file has: "
        "columns.amount looks for 'Amount'; columns.closed_at looks for 'Lost on'; "
        "derive.is_won.from looks for 'Statuss' (similar: 'Status'). So amount is left "
        "empty (the figures drawn from it read as none or 0); is_won is left empty "
        "(every closed deal counts as lost, so won revenue and the win rate read 0); "
        "closed_at is read from its other headers alone: correct the headers in the mapping "
        "file (or remove the lines, if the export has no such column; docs/mappings.md). "
        "deals.csv has the headers 'Deal Id', 'Created', 'Value', 'Status', 'Won time', "
        "'Lost time'"
    ]
    deals = crm.deals
    assert deals["amount"].isna().all() and deals["is_won"].isna().all()
    assert deals["closed_at"].notna().tolist() == [True, False]  # the lost deal's is gone


@pytest.mark.parametrize("files", [["deals.csv"], ["deals_1.csv", "deals_2.csv"]])
def test_a_header_a_derive_rule_reads_is_no_column_smk_did_not_map(tmp_path, files):
    """With the amount's header wrong, the "empty column" warning listed 'Status' among the
    "Columns smk did not map", though `derive.is_won` reads it; it is kept as it was."""
    folder = export(tmp_path / "x", dict.fromkeys(files, DEALS))
    if len(files) == 2:
        (folder / files[1]).write_text(DEALS.replace("D1", "D3").replace("D2", "D4"))
    crm = smk.load(folder, mapping=mapping(tmp_path, amount='"Amount"'))
    (warning,) = [w for w in crm.quality.warnings if w.startswith("deals: stage is empty")]
    assert "Columns smk did not map: 'Value';" in warning
    assert "'Status'" not in warning
    assert crm.deals["Status"].tolist()[:2] == ["Won", "Lost"]  # kept under its own name
    assert crm.deals["is_won"].tolist()[:2] == [True, False]


def test_a_header_the_deleted_rule_reads_is_no_column_smk_did_not_map(tmp_path):
    """`deleted: {from: Archived, ...}` reads `Archived`: it is mapped, not listed among the
    "Columns smk did not map" (it is kept, under its own name)."""
    folder = export(
        tmp_path / "x", {"deals.csv": DEALS.replace("Lost time\n", "Lost time,Archived\n")}
    )
    text = (folder / "deals.csv").read_text().splitlines()
    rows = [text[0], text[1] + ",no", text[2] + ",yes"]
    (folder / "deals.csv").write_text("\n".join(rows) + "\n")
    spec = mapping(
        tmp_path, amount='"Amount"', extra="    deleted: {from: Archived, pattern: '^yes$'}\n"
    )
    crm = smk.load(folder, mapping=spec)
    (warning,) = [w for w in crm.quality.warnings if "Columns smk did not map" in w]
    assert "Columns smk did not map: 'Value';" in warning
    assert "'Archived'" not in warning
    assert crm.deals["deal_id"].tolist() == ["D1"]
    assert crm.quality.tables["deals"].reasons() == {"deleted in the CRM": 1}


def test_a_column_of_one_s_own_under_extra_ok_is_no_column_smk_did_not_map(tmp_path):
    """`deal_value: [Value]` and a constant `region` under `extra_ok` are loaded under those
    names, yet the "empty column" warning listed them among the "Columns smk did not map"
    (by the mapping's names, not the export's headers)."""
    spec = mapping(tmp_path, amount='"Amount"', extra="    constants: {region: EMEA}\n")
    text = spec.read_text().replace("      amount:", '      deal_value: ["Value"]\n      amount:')
    spec.write_text(text + "    extra_ok: true\n")
    crm = smk.load(export(tmp_path / "x"), mapping=spec)
    assert crm.deals["deal_value"].tolist() == ["100", "50"]
    assert crm.deals["region"].tolist() == ["EMEA", "EMEA"]
    (warning,) = [w for w in crm.quality.warnings if w.startswith("deals: stage is empty")]
    # (amount is said empty by the mapping's warning of its header, not a second time here)
    assert warning == (
        "deals: stage is empty in every row (the export has no column for it, or leaves it "
        "blank): the pages that read it show nothing for it"
    )


def test_a_column_none_of_whose_coalesced_headers_is_there_is_left_empty(tmp_path):
    spec = mapping(tmp_path, lost='"Lost on"')
    spec.write_text(spec.read_text().replace('["Won time", "Lost on"]', '["Won on", "Lost on"]'))
    (warning,) = unfound(smk.load(export(tmp_path / "x"), mapping=spec))
    assert "columns.closed_at looks for 'Won on', 'Lost on'" in warning
    assert "So closed_at is left empty (the figures drawn from it read" in warning


@pytest.mark.parametrize(
    ("table", "key", "typo", "effect"),  # typo: the key with a header mistyped
    [
        ("activities", 'task_status: ["Activity - Done"]', 'task_status: ["Activity - State"]',
         "task_status is left empty (every task counts as done sales work, one still to do at "
         "its due date, so an MQL with only a planned task reads as worked)"),
        ("deals", 'is_closed: {from: "Deal - Status"', 'is_closed: {from: "Deal - State"',
         "is_closed is left empty (every deal not won counts as open, a lost one too, so the "
         "win rate counts no deal lost; one with a close date before its creation is set "
         "aside, as its state is unknown)"),
        ("contacts", 'lifecycle_stage: ["Person - Label", "Person - Labels"]',
         'lifecycle_stage: ["Person - Tag"]',
         "lifecycle_stage is left empty (a contact without a stage date or a deal is outside "
         "the funnel)"),
    ],
    ids=["task_status", "is_closed", "lifecycle_stage"],
)  # fmt: skip
def test_a_column_whose_emptiness_changes_a_rule_says_what_it_does(
    tmp_path, table, key, typo, effect
):
    """A mistyped `task_status` header said "the figures drawn from it read as none or 0",
    but every task then loaded as done sales work (the To do one too: an MQL worked that
    nobody worked); a mistyped is_closed rule left every lost deal open."""
    name, mistyped = key.split(":")[0], typo.split('"')[1]
    spec = tmp_path / "mine.yaml"
    spec.write_text(PIPEDRIVE.read_text().replace(key, typo))
    own = smk.load(FIXTURES / "pipedrive", mapping="pipedrive")
    crm = smk.load(FIXTURES / "pipedrive", mapping=spec)
    (warning,) = [w for w in unfound(crm) if w.startswith(f"{table}:")]
    assert f"looks for '{mistyped}'" in warning
    assert effect in warning
    assert f"{name} is left empty (the figures" not in warning
    if name == "task_status":  # the planned task is loaded as sales work
        assert len(crm.activities) == len(own.activities) + 1
    if name == "is_closed":
        lost = own.deals["is_closed"] & ~own.deals["is_won"]
        assert lost.any() and not crm.deals.loc[lost, "is_closed"].fillna(False).any()


def test_a_table_of_several_files_warns_once_and_only_of_what_no_file_has(tmp_path):
    other = DEALS.replace("Value", "Amount").replace("D1", "D3").replace("D2", "D4")
    folder = export(tmp_path / "x", {"deals_1.csv": DEALS, "deals_2.csv": other})
    spec = mapping(tmp_path, amount='"Amount"', status='"State"')
    (warning,) = unfound(smk.load(folder, mapping=spec))  # one, not one per file
    assert "columns.amount" not in warning  # deals_2.csv has it
    assert "derive.is_won.from looks for 'State'" in warning
    assert "deals_1.csv has the headers 'Deal Id', 'Created', 'Value'," in warning
    assert "; deals_2.csv has the headers 'Deal Id', 'Created', 'Amount'," in warning
    same = export(tmp_path / "y", {"deals_1.csv": DEALS, "deals_2.csv": DEALS})
    (warning,) = unfound(smk.load(same, mapping=spec))
    assert "deals_1.csv, deals_2.csv have the headers 'Deal Id'" in warning


def test_a_fallback_that_fills_the_column_is_no_header_missing(tmp_path):
    """A derive rule for a column the file has, a column a constant fills: nothing missing."""
    deals = "Deal Id,Created,Value,Won?\nD1,2026-01-05,100,true\nD2,2026-01-06,50,false\n"
    folder = export(tmp_path / "x", {"deals.csv": deals})
    spec = mapping(tmp_path, status='"State"', extra="    constants: {currency: EUR}\n")
    spec.write_text(
        spec.read_text()
        .replace('      closed_at: ["Won time", "Lost time"]\n    coalesce: [closed_at]\n', "")
        .replace(
            "amount: [Value]\n",
            'amount: [Value]\n      is_won: ["Won?"]\n      currency: [Currency]\n',
        )
    )
    crm = smk.load(folder, mapping=spec)
    assert unfound(crm) == []
    assert crm.deals["currency"].tolist() == ["EUR", "EUR"]
    assert crm.deals["is_won"].tolist() == [True, False]


def test_a_required_column_missing_is_still_an_error_not_a_warning(tmp_path):
    spec = mapping(tmp_path)
    spec.write_text(spec.read_text().replace("created_at: [Created]\n", "created_at: [Made]\n"))
    with pytest.raises(CRMExportError, match="required 'created_at'") as err:
        smk.load(export(tmp_path / "x"), mapping=spec)
    assert Path(err.value.file).name == "deals.csv"


def test_smk_s_own_mappings_do_not_name_the_aliases_an_export_lacks(tmp_path):
    """The shipped Pipedrive mapping lists `Deal - Product name`, UK spellings and more that
    the fixture lacks, as HubSpot's lists labels, API and sync names: no warning for them,
    read as built in or by its path; a user's copy of it names them."""
    pipedrive = FIXTURES / "pipedrive"
    assert unfound(load_mapped(pipedrive, builtin_mapping("pipedrive"))) == []
    assert unfound(smk.load(pipedrive, mapping=PIPEDRIVE)) == []
    assert unfound(smk.load(FIXTURES / "hubspot" / "ui")) == []
    copy = tmp_path / "our-pipedrive.yaml"
    shutil.copy(PIPEDRIVE, copy)
    said = "\n".join(unfound(smk.load(pipedrive, mapping=copy)))
    assert "the mapping file our-pipedrive.yaml" in said
    assert "columns.product looks for 'Deal - Product name', 'Deal - Products'" in said


# ------------------------------------------------------------ 2. columns not in the model
def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ntables:\n" + body)
    return path


@pytest.mark.parametrize(
    ("table", "section", "said"),
    [
        ("deals", "derive: {is_wn: {from: Status, pattern: '^won$'}}", "derive: is_wn (did you"),
        ("contacts", "values: {lifecyle_stage: {Hot lead: sql}}", "values: lifecyle_stage (did"),
        ("contacts", "coalesce: [emails]", "coalesce: emails (did you mean email?)"),
        ("contacts", "multi_value: [acount_id]", "multi_value: acount_id (did you"),
        ("deals", "strip: {owner: x}", "strip: owner"),
        ("deals", "constants: {curency: EUR}", "constants: curency (did you mean currency?)"),
        ("deals", "columns: {amout: [Value]}", "columns: amout (did you mean amount?)"),
    ],
)
def test_a_column_not_in_the_data_model_is_an_error_under_every_key(tmp_path, table, section, said):
    """Only `columns:` was checked: the others were ignored or added a stray column."""
    path = write(tmp_path, f"  {table}:\n    files: ['x*']\n    {section}\n")
    with pytest.raises(CRMExportError, match="not in the data model") as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert said in err.value.reason


def test_extra_ok_lets_any_key_name_a_column_of_ones_own(tmp_path):
    path = write(
        tmp_path,
        "  deals:\n    extra_ok: true\n    columns: {deal_id: [Id], probability: [P]}\n"
        "    constants: {region: EU}\n    derive: {is_big: {from: P, pattern: '^9'}}\n",
    )
    assert read_mapping(path).tables["deals"].constants == {"region": "EU"}


def test_the_shipped_and_documented_mappings_still_load(tmp_path):
    for name in ("hubspot", "pipedrive"):
        assert builtin_mapping(name).tables
    doc = (Path(__file__).parents[1] / "docs" / "mappings.md").read_text(encoding="utf-8")
    zoho = tmp_path / "zoho.yaml"
    zoho.write_text("name: zoho\n" + doc.split("```yaml\nname: zoho\n", 1)[1].split("```")[0])
    assert set(read_mapping(zoho).tables) == {"contacts", "accounts", "deals"}


# ------------------------------------------------------------ 3. numbers and time zones
def test_a_stage_id_written_as_a_number_is_translated_as_that_text(tmp_path):
    """Was refused with advice to quote yes/no/on/off."""
    (tmp_path / "deals.csv").write_text(
        "Id,Created,Stage\nD1,2026-01-05,37336401\nD2,2026-01-06,Qualified\n"
    )
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: m\ntables:\n  deals:\n    files: [deals*]\n"
        "    columns: {deal_id: [Id], created_at: [Created], stage: [Stage]}\n"
        "    values: {stage: {37336401: Closed Won, -5: x}}\n"
        "    derive: {is_won: {from: stage, pattern: '^closed won$'}}\n"
    )
    assert read_mapping(path).tables["deals"].values == {
        "stage": {"37336401": "Closed Won", "-5": "x"}
    }
    deals = smk.load(tmp_path, mapping=path).deals
    assert deals["stage"].tolist() == ["Closed Won", "Qualified"]
    assert deals["is_won"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("key", "number"), [("0123", "83"), ("1.50", "1.5"), ("1_000", "1000"), ("0x1F", "31")]
)
def test_a_key_yaml_reads_as_another_number_is_refused_with_how_to_quote_it(tmp_path, key, number):
    path = write(
        tmp_path, f"  deals:\n    columns: {{stage: [S]}}\n    values: {{stage: {{{key}: Won}}}}\n"
    )
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert (
        f"values: stage in the mapping for deals has the key {key}, which YAML reads as the "
        f"number {number}, not as the text written"
    ) in err.value.reason
    assert f'quote the key as written, e.g. "{key}": Won' in err.value.reason


def test_a_yes_or_no_key_is_still_refused(tmp_path):
    path = write(tmp_path, "  deals:\n    columns: {stage: [S]}\n    values: {stage: {Yes: won}}\n")
    with pytest.raises(CRMExportError, match="quote yes/no/on/off"):
        read_mapping(path)


def test_an_unknown_time_zone_names_the_mapping_file_and_key(tmp_path):
    path = tmp_path / "tz.yaml"
    path.write_text("name: x\ntimezone: Europe/Berln\ntables:\n  deals: {}\n")
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert err.value.reason.startswith("timezone: unknown time zone 'Europe/Berln'")


def test_constants_read_as_numbers_are_plain_numbers(tmp_path):
    path = write(tmp_path, "  accounts:\n    constants: {employees: 120, annual_revenue: 1.5}\n")
    constants = read_mapping(path).tables["accounts"].constants
    assert [type(v) for v in constants.values()] == [int, float]
    assert pd.Series(constants).tolist() == [120, 1.5]


def test_a_table_key_left_empty_is_taken_as_empty(tmp_path):
    """`derive:` or `coalesce:` with nothing under it was an internal error (None)."""
    spec = mapping(tmp_path, extra="    multi_value:\n    constants:\n")
    spec.write_text(spec.read_text().replace("    coalesce: [closed_at]\n", "    coalesce:\n"))
    tm = read_mapping(spec).tables["deals"]
    assert (tm.coalesce, tm.multi_value, tm.constants) == ([], [], {})
    assert smk.load(export(tmp_path / "x"), mapping=spec).deals["amount"].tolist() == [100, 50]


# ------------------------------------------------------------ 4. values outside a vocabulary
STAGES_SAID = "subscriber, lead, mql, sql, opportunity, customer, evangelist, other (any case)"


def test_a_translation_to_no_lifecycle_stage_is_an_error_when_the_mapping_is_read(tmp_path):
    """`{Contacted: marketing qualified lead}` loaded every such contact at `other`, under a
    warning that named 'marketing qualified lead' as if the export held it."""
    path = write(
        tmp_path,
        "  contacts:\n    values:\n      lifecycle_stage: {Contacted: marketing qualified lead, "
        "New: lead, Won: Kunde}\n",
    )
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert err.value.reason == (
        "values: lifecycle_stage: Contacted: 'marketing qualified lead' (did you mean mql?); "
        "values: lifecycle_stage: Won: 'Kunde' in the mapping for contacts are not one of "
        f"smk's lifecycle stages, which are {STAGES_SAID}: write one of them "
        "(see docs/mappings.md, `values`)"
    )


@pytest.mark.parametrize(
    ("table", "section", "said", "words"),
    [
        (
            "contacts",
            "values: {original_source: {Webinar: Events}}",
            "values: original_source: Webinar: 'Events' in the mapping for contacts is not",
            "channels, which are organic_search, paid_search, email,",
        ),
        (
            "touchpoints",
            "values: {channel: {Google: paid search ads}}",
            "values: channel: Google: 'paid search ads' (did you mean paid_search?) in",
            "channels, which are",
        ),
        (
            "touchpoints",
            "values: {touch_type: {Web visit: visits}}",
            "values: touch_type: Web visit: 'visits' (did you mean visit?) in",
            "touch types, which are visit, form, email_click, ad_click, event, content, chat,",
        ),
        (
            "activities",
            "values: {type: {Call: phone call, Inbound mail: INCOMING_EMAIL}}",
            "values: type: Call: 'phone call' (did you mean call?); values: type: Inbound "
            "mail: 'INCOMING_EMAIL' (an e-mail sales did not write is told by its type as the "
            "export writes it, INCOMING_EMAIL or FORWARDED_EMAIL, or by its email_direction: "
            "map that column and translate its values under `values: email_direction:`) in "
            "the mapping for activities are not",
            "activity types, which are call, email, meeting, task (any case)",
        ),
        (
            "activities",
            "values: {task_status: {Done: Complete!, '0': Finished}}",
            "values: task_status: Done: 'Complete!' (did you mean Complete?); values: "
            "task_status: 0: 'Finished' in",
            "task statuses (smk.io.mapping.TASK_STATUS_DONE), which are Completed, Complete,",
        ),
        (
            "activities",
            "values: {email_direction: {Reply: inbound mail}}",
            "values: email_direction: Reply: 'inbound mail' (did you mean Inbound?) in",
            "e-mail directions, which are INCOMING_EMAIL, FORWARDED_EMAIL, EMAIL,",
        ),
        (
            "activities",
            "type_from_file: {'*calls*': phone}",
            "type_from_file: *calls*: 'phone' in",
            "activity types",
        ),
        (
            "spend",
            "constants: {channel: Paid Ads}",
            "constants: channel: 'Paid Ads' in",
            "channels",
        ),
        (
            "deals",
            "values: {is_won: {Gewonnen: won}}",
            "values: is_won: Gewonnen: 'won' in the mapping for deals is not",
            "flag values (true, false, yes, no, 1, 0, ...), which are true, false",
        ),
    ],
)
def test_every_value_a_mapping_makes_of_a_vocabulary_column_is_checked(
    tmp_path, table, section, said, words
):
    path = write(tmp_path, f"  {table}:\n    {section}\n")
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert err.value.reason.startswith(said)
    assert f"not one of smk's {words}" in err.value.reason


def test_targets_the_loader_reads_as_vocabulary_words_and_free_text_columns_pass(tmp_path):
    """A target is judged as the loader reads it (any case, a space or a hyphen for `_`:
    `Paid Search` is paid_search); columns with no vocabulary (a deal's stage, campaign,
    industry, currency, a column of one's own) take any value."""
    path = write(
        tmp_path,
        "  contacts:\n    values: {lifecycle_stage: {Hot: MQL}, original_source: "
        "{Ads: Paid Search, Ads2: paid-search}}\n"
        "  accounts:\n    values: {industry: {IT: Informationstechnik}}\n"
        "  deals:\n    values: {stage: {'37336401': Anything at all}, is_won: {Gewonnen: ja}}\n"
        "    constants: {currency: EURO}\n"
        "  touchpoints:\n    values: {campaign: {x: Spring sale}}\n"
        "  activities:\n    extra_ok: true\n    values: {type: {Lunch: Meeting}, "
        "task_status: {'1': completed}, email_direction: {Reply: incoming_email}, "
        "mood: {a: whatever}}\n",
    )
    assert set(read_mapping(path).tables) == {
        "contacts",
        "accounts",
        "deals",
        "touchpoints",
        "activities",
    }


def test_a_target_written_in_another_case_loads_as_the_vocabulary_word(tmp_path):
    """What the check lets pass, the loader reads as the word: no contact at `other`."""
    folder = shutil.copytree(FIXTURES / "pipedrive", tmp_path / "x")
    spec = tmp_path / "ours.yaml"
    text = PIPEDRIVE.read_text(encoding="utf-8")
    spec.write_text(text.replace("Google Ads: paid_search", "Google Ads: Paid Search"))
    crm = smk.load(folder, mapping=spec)
    persons = pd.read_csv(folder / "persons.csv", dtype=str).set_index("Person - ID")
    google = persons.index[persons["Person - Lead source"].eq("Google Ads")]
    sources = crm.contacts.set_index("contact_id").loc[list(google), "original_source"]
    assert len(sources) and set(sources) == {"paid_search"}
    # (the fixture has no original_source_detail, which a warning of its own names)
    assert not [w for w in crm.quality.warnings if re.search(r"original_source(?!_detail)", w)]


def test_a_blank_target_is_unknown_and_spaces_around_a_target_are_dropped(tmp_path):
    """`{"Google Ads": ""}` blanks a placeholder out (a blank cell, as the export's): refusing it
    left nothing valid to write (`other` means something else); `" sql "` reads as sql."""
    folder = shutil.copytree(FIXTURES / "pipedrive", tmp_path / "x")
    spec = tmp_path / "ours.yaml"
    text = PIPEDRIVE.read_text(encoding="utf-8")
    text = text.replace("Google Ads: paid_search", 'Google Ads: ""')
    spec.write_text(text.replace("Hot lead: sql", 'Hot lead: " sql "'))
    crm = smk.load(folder, mapping=spec)
    persons = pd.read_csv(folder / "persons.csv", dtype=str).set_index("Person - ID")
    contacts = crm.contacts.set_index("contact_id")
    google = persons.index[persons["Person - Lead source"].eq("Google Ads")]
    assert len(google) and contacts.loc[list(google), "original_source"].isna().all()
    hot = list(persons.index[persons["Person - Label"].eq("Hot lead")])
    stock_crm = smk.load(folder, mapping=PIPEDRIVE)
    stock = stock_crm.contacts.set_index("contact_id")
    assert hot and contacts.loc[hot, "lifecycle_stage"].equals(stock.loc[hot, "lifecycle_stage"])
    said = [w for w in crm.quality.warnings if "lifecycle_stage" in w]
    stock_said = [w for w in stock_crm.quality.warnings if "lifecycle_stage" in w]
    # the same warnings, each naming the mapping to translate in (ours, a copy of the stock)
    assert [w.replace("ours.yaml", "a copy of pipedrive.yaml") for w in said] == stock_said


def test_smk_validate_says_a_wrong_target_in_one_message_and_exits_2(tmp_path, capsys):
    from smk.cli import main

    spec = tmp_path / "ours.yaml"
    text = PIPEDRIVE.read_text(encoding="utf-8")
    spec.write_text(text.replace("Warm lead: mql", "Warm lead: marketing qualified lead"))
    assert main(["validate", str(FIXTURES / "pipedrive"), "--mapping", str(spec)]) == 2
    out, err = capsys.readouterr()
    assert err == (
        f"smk: error: {spec}: values: lifecycle_stage: Warm lead: 'marketing qualified lead' "
        "(did you mean mql?) in the mapping for contacts is not one of smk's lifecycle stages, "
        f"which are {STAGES_SAID}: write one of them (see docs/mappings.md, `values`)\n"
    )
    assert "Traceback" not in out + err


# ------------------------------------------------------------ 5. the file itself
@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "the mapping file is empty: it needs a 'tables:' section"),
        ("# nothing yet\n", "the mapping file is empty"),
        ("- contacts\n", "a mapping file must be a section of keys (name:, timezone:, tables:,"),
        ("name: x\ntables: [contacts]\n", "tables: must be a section of tables, not ['contacts']"),
        ("name: x\ntables:\n", "a mapping file needs a 'tables:' section naming its tables"),
        ("name: x\n", "a mapping file needs a 'tables:' section naming its tables"),
    ],
)
def test_an_empty_or_misshapen_file_says_what_it_lacks(tmp_path, text, said):
    """Each said "a mapping file needs a 'tables:' section", even one that had it."""
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert err.value.reason.startswith(said)


@pytest.mark.parametrize(
    ("body", "key", "lines"),
    [
        (  # the first `values:` was dropped without a word: no contact at its stage
            "  contacts:\n    values:\n      lifecycle_stage: {Hot: sql}\n"
            "    values:\n      original_source: {Ads: paid_search}\n",
            "values",
            (4, 6),
        ),
        (  # the first contacts section was dropped
            "  contacts:\n    files: [a*]\n  deals: {}\n  contacts:\n    files: [b*]\n",
            "contacts",
            (3, 6),
        ),
        (
            "  contacts:\n    values:\n      lifecycle_stage:\n        Hot: sql\n        Hot: mql\n",
            "Hot",
            (6, 7),
        ),
    ],
)
def test_a_key_written_twice_is_an_error_not_the_last_one_kept(tmp_path, body, key, lines):
    path = write(tmp_path, body)
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    first, second = lines
    assert (
        f"the key {key!r} is written twice in one section (first at line {first}), and YAML "
        "would keep only the last: merge them into one\n"
        f"  in broken.yaml, line {second}, column"
    ) in err.value.reason


def test_a_yaml_merge_may_override_the_keys_it_brings(tmp_path):
    path = write(
        tmp_path,
        "  touchpoints:\n    values:\n      channel: &channels {Ads: paid_search, Mail: email}\n"
        "  spend:\n    values:\n      channel: {<<: *channels, Ads: paid_social}\n",
    )
    values = read_mapping(path).tables["spend"].values
    assert values == {"channel": {"Ads": "paid_social", "Mail": "email"}}


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, '  deals:\n    columns:\n      amount: "Deal - Value\n')
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    reason = err.value.reason
    assert reason.startswith("cannot read the mapping file, which is not valid YAML: ")
    assert "in broken.yaml, line 5, column 15" in reason and "<unicode string>" not in reason


@pytest.mark.parametrize(
    ("section", "said"),
    [
        (
            "derive:\n      is_won: {from: Status, pattern: '^won$'}\n"
            "      is_closed: {pattern: '^(won|lost)$'}",
            "derive: is_closed in the mapping for deals must be {from: column, pattern: "
            "regular expression} and optionally false_for: [values]; found {'pattern': "
            "'^(won|lost)$'} (no from)",
        ),
        (
            "derive: {is_won: {from: Status, patern: '^won$'}}",
            "(no pattern, unknown key 'patern')",
        ),
        ("deleted: {from: Status}", "deleted: in the mapping for deals must be {from: column, "),
        (
            "strip: {deal_id: x, owner_id: [a, b]}",
            "strip: owner_id in the mapping for deals must be a regular expression; found "
            "['a', 'b'] (see",
        ),
        ("columns: {deal_id: Id, amount: {a: b}}", "columns: amount in the mapping for deals"),
    ],
)
def test_a_misshapen_entry_is_named_alone(tmp_path, section, said):
    """The error named the key (`derive:`) and showed the whole section; it names the rule
    (`derive: is_closed`) and what it lacks."""
    path = write(tmp_path, f"  deals:\n    {section}\n")
    with pytest.raises(CRMExportError) as err:
        read_mapping(path)
    assert err.value.file == str(path)
    assert said in err.value.reason
    assert "Status" not in err.value.reason or "Status" in section.split("\n")[-1]


def _doc_blocks() -> list[str]:
    doc = (Path(__file__).parents[1] / "docs" / "mappings.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in doc.split("```yaml\n")[1:]]


def test_every_complete_mapping_in_the_docs_reads(tmp_path):
    """Each documented mapping (a `tables:` section, no `...`) is read with every check."""
    complete = [b for b in _doc_blocks() if "\ntables:\n" in b and "..." not in b]
    assert complete  # the Zoho example
    for n, block in enumerate(complete):
        path = tmp_path / f"doc{n}.yaml"
        path.write_text(block, encoding="utf-8")
        assert read_mapping(path).tables


def test_every_documented_table_section_key_reads_in_a_table(tmp_path):
    """Each example of a table-section key (`values:`, `derive:`, ...) reads in the section
    of a table, with the checks of its columns and values."""
    parts = [b for b in _doc_blocks() if b.startswith("    ")]
    assert len(parts) >= 10
    for block in parts:
        if block.startswith("      "):  # a rule under `derive:`
            block = "    derive:\n" + block
        path = tmp_path / "part.yaml"
        read = []
        for table in SCHEMA_TABLES:
            path.write_text(f"name: part\ntables:\n  {table}:\n{block}", encoding="utf-8")
            with contextlib.suppress(CRMExportError):
                read.append(read_mapping(path))
        assert read, block
