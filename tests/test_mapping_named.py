"""Mapping files: a won stage the rules would take for lost, shipped mappings named by their
name, the separator of a column's several values, and the missing-header error's suggestions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import cli
from smk.errors import CRMExportError
from smk.io.mapping import builtin_mapping

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).parents[1] / "docs" / "mappings.md"
PIPEDRIVE = builtin_mapping("pipedrive").path


def _zoho_example() -> str:
    """The Zoho mapping shown in docs/mappings.md, as a user would copy it."""
    doc = DOCS.read_text(encoding="utf-8")
    return doc.split("```yaml\nname: zoho\n", 1)[1].split("```", 1)[0].join(["name: zoho\n", ""])


def _zoho_signed(tmp_path: Path, closed_pattern: str, won_pattern: str = "closed\\\\W*won") -> Path:
    """The Zoho fixture with its won deal at a custom stage `Contract Signed`, and the docs'
    Zoho mapping with the is_closed (and is_won) rule's pattern replaced."""
    folder = tmp_path / "zoho"
    shutil.copytree(FIXTURES / "zoho", folder)
    deals = folder / "Deals_001.csv"
    text = deals.read_text(encoding="utf-8").replace(",Closed Won,", ",Contract Signed,", 1)
    deals.write_text(text, encoding="utf-8")
    mapping = _zoho_example().replace('pattern: "^closed"', f'pattern: "{closed_pattern}"')
    mapping = mapping.replace('pattern: "closed\\\\W*won"', f'pattern: "{won_pattern}"')
    (tmp_path / "zoho.yaml").write_text(mapping, encoding="utf-8")
    return folder


def _said(crm: smk.CRM, start: str) -> list[str]:
    return [w for w in crm.quality.warnings if w.startswith(start)]


# ------------------------------------------------ defect 1: a won stage taken for lost
def test_a_custom_won_stage_added_to_is_closed_alone_is_said_not_silently_lost(tmp_path):
    folder = _zoho_signed(tmp_path, "^closed|^contract signed$")
    crm = smk.load(folder, mapping=tmp_path / "zoho.yaml")
    assert not crm.deals["is_won"].fillna(False).any()  # what the rules say: lost
    assert _said(crm, "deals.stage") == [
        "deals.stage: 1 deal at stage values the is_closed rule calls closed and the is_won "
        "rule does not call won, which name no lost stage: 'Contract Signed' (1); it is taken "
        "as lost, with no won revenue: add a won value to the is_won rule's `pattern` in "
        "zoho.yaml, or translate the values under `values: stage:` (a won one to a value the "
        "is_won rule calls won); list a lost one under the is_won rule's `false_for` "
        "(docs/mappings.md)"
    ]


def test_the_advice_for_an_unknown_stage_names_the_is_won_rule(tmp_path):
    """The warning for a stage taken as open says where a won one goes: following it wins."""
    crm = smk.load(_zoho_signed(tmp_path, "^closed"), mapping=tmp_path / "zoho.yaml")
    (said,) = _said(crm, "deals.stage")
    assert "'Contract Signed' (1)" in said
    assert "(a won one to the is_won rule's `pattern` as well)" in said
    fixed = _zoho_signed(tmp_path / "b", "^closed|^contract signed$", "closed\\\\W*won|^contract")
    crm = smk.load(fixed, mapping=tmp_path / "b" / "zoho.yaml")
    assert crm.deals["is_won"].fillna(False).sum() == 1
    assert not _said(crm, "deals.stage")


def test_a_lost_stage_listed_under_the_is_won_rules_false_for_is_not_said(tmp_path):
    folder = _zoho_signed(tmp_path, "^closed|^contract signed$")
    mapping = tmp_path / "zoho.yaml"
    text = mapping.read_text(encoding="utf-8").replace(
        'is_won: {from: stage, pattern: "closed\\\\W*won"}',
        'is_won: {from: stage, pattern: "closed\\\\W*won", false_for: [Contract Signed]}',
    )
    assert "false_for: [Contract Signed]" in text
    mapping.write_text(text, encoding="utf-8")
    assert not _said(smk.load(folder, mapping=mapping), "deals.stage")


def test_lost_stages_are_not_said(tmp_path):
    """Zoho's `Closed Lost` and `Closed-Lost to Competition`, Pipedrive's `Lost`: known lost."""
    folder = tmp_path / "zoho"
    shutil.copytree(FIXTURES / "zoho", folder)
    (tmp_path / "zoho.yaml").write_text(_zoho_example(), encoding="utf-8")
    crm = smk.load(folder, mapping=tmp_path / "zoho.yaml")
    assert crm.deals["is_closed"].fillna(False).sum() > crm.deals["is_won"].fillna(False).sum()
    assert not _said(crm, "deals.stage")
    crm = smk.load(FIXTURES / "pipedrive", mapping="pipedrive")
    assert (crm.deals["is_closed"].eq(True) & crm.deals["is_won"].eq(False)).any()
    assert not [w for w in crm.quality.warnings if "call won" in w]


# ------------------------------------------------ defect 2: shipped mappings by name
def test_a_shipped_mapping_is_named_by_its_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    by_path = smk.load(FIXTURES / "pipedrive", mapping=PIPEDRIVE)
    for given in ({"mapping": "pipedrive"}, {"mapping": "Pipedrive"}, {"format": "pipedrive"}):
        crm = smk.load(FIXTURES / "pipedrive", **given)
        assert crm.format == "pipedrive"
        pd.testing.assert_frame_equal(crm.deals, by_path.deals)


def test_a_file_of_the_name_wins_and_a_folder_of_it_does_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pipedrive").write_text("name: mine\ntables: {unknown: {}}\n", encoding="utf-8")
    with pytest.raises(CRMExportError, match="unknown table 'unknown'"):
        smk.load(FIXTURES / "pipedrive", mapping="pipedrive")
    Path("pipedrive").unlink()
    shutil.copytree(FIXTURES / "pipedrive", "pipedrive")  # the export folder, named so
    assert smk.load("pipedrive", mapping="pipedrive").format == "pipedrive"


def test_a_name_with_a_folder_is_a_path_never_the_shipped_mapping(tmp_path, monkeypatch):
    """`./pipedrive` (docs/mappings.md: "always name a file") loaded smk's own mapping when
    there was no such file, or a folder of that name (H1 of session 25): a customised
    mapping file run from another folder gave smk's stock rules without a word."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CRMExportError, match="no such mapping file; smk ships one called"):
        smk.load(FIXTURES / "pipedrive", mapping="./pipedrive")
    Path("pipedrive").mkdir()
    with pytest.raises(CRMExportError, match="this is a folder, not a mapping file"):
        smk.load(FIXTURES / "pipedrive", mapping="./pipedrive")
    assert smk.load(FIXTURES / "pipedrive", mapping="pipedrive").format == "pipedrive"
    # smk report took the path as the bare name again on its way to the notebooks (RV2 of
    # session 25): it ran with the shipped mapping
    from smk.io import resolve_mapping

    assert resolve_mapping("auto", "./pipedrive") == ("auto", "./pipedrive")
    assert resolve_mapping("auto", "pipedrive") == ("auto", str(PIPEDRIVE))
    Path("pipedrive").rmdir()
    out = tmp_path / "out"
    argv = ["report", "--data", str(FIXTURES / "pipedrive"), "--mapping", "./pipedrive"]
    assert cli.main([*argv, "--out", str(out), "--quiet"]) == 2
    assert not out.exists() or not any(out.glob("20*"))


def test_an_unknown_mapping_name_lists_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CRMExportError, match=r"no such mapping file \(.*pipedrive\)"):
        smk.load(FIXTURES / "pipedrive", mapping="pipedrve")
    with pytest.raises(CRMExportError, match="name of a mapping smk ships: pipedrive"):
        smk.load(FIXTURES / "pipedrive", format="pipedrve")


def test_a_missing_mapping_file_named_like_a_shipped_one_names_that_one(tmp_path, monkeypatch):
    """`--mapping pipedrive.yaml` (no such file) said only "no such mapping file"."""
    monkeypatch.chdir(tmp_path)
    for given in ("pipedrive.yaml", "maps/Pipedrive.yml"):
        with pytest.raises(CRMExportError) as err:
            smk.load(FIXTURES / "pipedrive", mapping=given)
        assert str(err.value) == (
            f"{given}: no such mapping file; smk ships one called pipedrive: "
            "mapping='pipedrive' (--mapping pipedrive)"
        )


def test_a_local_file_read_instead_of_a_shipped_mapping_is_named_in_its_error(
    tmp_path, monkeypatch
):
    """A CSV called `pipedrive` in the current folder was read for `--mapping pipedrive`,
    and the error did not say that this file, not smk's mapping, had been read."""
    monkeypatch.chdir(tmp_path)
    Path("pipedrive").write_text("id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(CRMExportError) as err:
        smk.load(FIXTURES / "pipedrive", mapping="pipedrive")
    assert err.value.file == str(tmp_path.resolve() / "pipedrive")
    assert err.value.reason.endswith(
        "(this file in the current folder was read as the mapping pipedrive, not the one smk "
        f"ships by that name: rename it, or give the shipped one's path, {PIPEDRIVE})"
    )


def test_the_cli_reads_a_shipped_mapping_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for option in ("--mapping", "--format"):
        code = cli.main(["validate", str(FIXTURES / "pipedrive"), option, "pipedrive", "--json"])
        assert code == 0, capsys.readouterr().err
        assert '"format": "pipedrive"' in capsys.readouterr().out


def test_a_report_records_the_shipped_mappings_file():
    """`smk report --mapping pipedrive`: the published notebooks re-read with the file."""
    from smk.io import resolve_mapping

    assert resolve_mapping("auto", "pipedrive") == ("auto", str(PIPEDRIVE))
    assert resolve_mapping("pipedrive", None) == ("auto", str(PIPEDRIVE))
    assert resolve_mapping("hubspot", None) == ("hubspot", None)


def test_the_format_error_names_the_pipedrive_mapping_for_pipedrive_headers(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "pipedrive", folder)
    for p in folder.iterdir():
        p.rename(folder / f"{p.stem}-export.csv")
    with pytest.raises(CRMExportError) as err:
        smk.load(folder)
    said = err.value.reason
    assert "one smk ships: mapping='pipedrive' (--mapping pipedrive)" in said
    assert "headers like Pipedrive's ('Activity - ID', 'Activity - Subject')" in said
    assert "--mapping pipedrive" in said and "--timezone" in said


# ------------------------------------------------ defect 4: several values in one cell
def test_pipedrive_people_with_several_labels_take_the_furthest_stage(tmp_path):
    folder = tmp_path / "pipedrive"
    shutil.copytree(FIXTURES / "pipedrive", folder)
    people = pd.read_csv(folder / "persons.csv", dtype=str, keep_default_na=False)
    people.loc[people["Person - ID"] == "114", "Person - Label"] = "Warm lead, Hot lead"
    people.loc[people["Person - ID"] == "113", "Person - Label"] = "Partner,Cold lead"
    people.to_csv(folder / "persons.csv", index=False)
    crm = smk.load(folder, mapping="pipedrive")
    stages = crm.contacts.set_index("contact_id")["lifecycle_stage"]
    assert (stages["114"], stages["113"]) == ("sql", "lead")  # people on no deal
    assert not [w for w in crm.quality.warnings if "Hot lead" in w]


def _mapping_file(tmp_path: Path, multi: str) -> Path:
    text = PIPEDRIVE.read_text(encoding="utf-8")
    old = '    multi_value: {lifecycle_stage: ","}\n'
    assert old in text
    path = tmp_path / "m.yaml"
    path.write_text(text.replace(old, multi), encoding="utf-8")
    return path


def test_a_multi_value_separator_is_set_and_checked(tmp_path):
    folder = tmp_path / "pipedrive"
    shutil.copytree(FIXTURES / "pipedrive", folder)
    people = pd.read_csv(folder / "persons.csv", dtype=str, keep_default_na=False)
    people.loc[people["Person - ID"] == "114", "Person - Label"] = "Warm lead | Hot lead"
    people.to_csv(folder / "persons.csv", index=False)
    mapping = _mapping_file(tmp_path, '    multi_value: {lifecycle_stage: "|"}\n')
    stages = smk.load(folder, mapping=mapping).contacts.set_index("contact_id")
    assert stages.loc["114", "lifecycle_stage"] == "sql"
    mapping = _mapping_file(tmp_path, '    multi_value: {lifecycle_stage: " "}\n')
    with pytest.raises(CRMExportError, match="multi_value: in the mapping for contacts must be"):
        smk.load(folder, mapping=mapping)
    mapping = _mapping_file(tmp_path, '    multi_value: {lifecycle_stag: ","}\n')
    with pytest.raises(CRMExportError, match="did you mean lifecycle_stage"):
        smk.load(folder, mapping=mapping)


# ------------------------------------------------ nit: a required header with a near miss
def test_a_missing_required_header_suggests_a_close_one(tmp_path):
    folder = tmp_path / "pipedrive"
    shutil.copytree(FIXTURES / "pipedrive", folder)
    text = (folder / "persons.csv").read_text(encoding="utf-8")
    (folder / "persons.csv").write_text(text.replace("Person - ID", "Person - IDs", 1), "utf-8")
    with pytest.raises(CRMExportError) as err:
        smk.load(folder, mapping="pipedrive")
    assert "(looked for 'Person - ID' (similar: 'Person - IDs'" in err.value.reason


# ------------------------------------ a type_from_file pattern that matches no file
def test_a_type_from_file_pattern_matching_no_file_is_named_in_the_error(tmp_path):
    folder = tmp_path / "zoho"
    shutil.copytree(FIXTURES / "zoho", folder)
    (folder / "Calls_001.csv").write_text(
        "Record Id,Contact Id,Call Start Time\nzcrm_1,zcrm_404427000000249401,2022-10-20 10:00\n",
        encoding="utf-8",
    )
    activities = (
        '  activities:\n    files: ["Calls_*.csv"]\n    columns:\n'
        '      activity_id: ["Record Id"]\n      contact_id: ["Contact Id"]\n'
        '      occurred_at: ["Call Start Time"]\n    type_from_file: {"Call_*": call}\n'
    )
    (tmp_path / "zoho.yaml").write_text(_zoho_example() + activities, encoding="utf-8")
    with pytest.raises(CRMExportError) as err:
        smk.load(folder, mapping=tmp_path / "zoho.yaml")
    assert err.value.reason.endswith(
        "and the file's name 'Calls_001.csv' matches none of the type_from_file patterns "
        "('Call_*'): correct the pattern meant for it (a pattern matches the whole name, in "
        "any case; `*` stands for any text)"
    )
    mapping = (tmp_path / "zoho.yaml").read_text(encoding="utf-8")
    (tmp_path / "zoho.yaml").write_text(mapping.replace('"Call_*"', '"calls_*"'), "utf-8")
    calls = smk.load(folder, mapping=tmp_path / "zoho.yaml").activities
    assert calls["type"].tolist() == ["call"]


# ------------------------------------ an amount's currency sign against the currency column
def test_a_zoho_amount_signed_in_another_currency_keeps_the_currency_column_s(tmp_path):
    folder = tmp_path / "zoho"
    shutil.copytree(FIXTURES / "zoho", folder)
    deals = folder / "Deals_001.csv"
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text.replace('"25000.00"', '"$ 2,500.00"', 1), encoding="utf-8")
    (tmp_path / "zoho.yaml").write_text(_zoho_example(), encoding="utf-8")
    crm = smk.load(folder, mapping=tmp_path / "zoho.yaml")
    won = crm.deals.set_index("deal_id").loc["zcrm_404427000000500001"]
    assert (won["amount"], won["currency"]) == (2500.0, "EUR")
    assert _said(crm, "deals.amount") == [
        "deals.amount: 1 amount's currency sign is not its row's currency: '$ 2,500.00' (USD) "
        "with currency EUR (Deals_001.csv row 2); the currency column's is kept and the "
        "amount not converted: if the sign is right, correct the currency in the export"
    ]


# ------------------------------------ a report's re-run options name the shipped file
@pytest.mark.parametrize("given", [{"data_format": "pipedrive"}, {"mapping": "Pipedrive"}])
def test_a_report_records_a_shipped_mapping_named_by_name_as_its_file(given, tmp_path, monkeypatch):
    from smk.io.mapping import shipped_mappings
    from smk.report import reading_options

    assert "pipedrive" in shipped_mappings()
    monkeypatch.chdir(tmp_path)  # no file of that name here: the package's mapping is meant
    options = reading_options("exports/pipedrive-2026-03", **given)
    recorded = Path(options["mapping"]).expanduser()
    assert recorded.is_absolute() and recorded.is_file()
    assert (
        recorded.read_bytes()
        == (Path(smk.__file__).parent / "mappings/pipedrive.yaml").read_bytes()
    )
