"""The data-quality page's files keep one shape every month, whatever the export holds and
whatever was set aside, so that month after month they append to one table:
`data_quality_set_aside.csv` has the same columns in the same order (an empty file, the
header only, when nothing was set aside), and `data_quality.csv` and the metrics' `tables`
list every table of the model (read 0 for one the export lacks), as `smk validate --json`
does, through the same function (`smk.quality.every_table_account`)."""

from __future__ import annotations

import csv
import html
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_notebook_runs_small import _report

import smk
from smk import cli, config, quality
from smk.model import SCHEMA


def _synthetic(tmp_path: Path, name: str) -> Path:
    """A clean canonical export of 200 contacts (every table)."""
    out = tmp_path / name
    args = ["synth", "--contacts", "200", "--seed", "3", "--format", "canonical", "--no-mess"]
    assert cli.main([*args, "--out", str(out)]) == 0
    return out


def _spoil(path: Path, column: str, value: str) -> None:
    """The first row of a CSV file with `value` in `column`."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0][column] = value
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, smk.CRM]:
    """A clean export, the same with a bad deal and a bad spend row, and the Salesforce
    sample (merged contacts, converted leads) without its Task, Event and spend files."""
    tmp = tmp_path_factory.mktemp("exports")
    salesforce = tmp / "salesforce"
    shutil.copytree(config.SAMPLE_SALESFORCE, salesforce, ignore=shutil.ignore_patterns("truth"))
    for name in ("Task.csv", "Event.csv", "spend.csv"):
        (salesforce / name).unlink()
    clean = _synthetic(tmp, "clean")
    bad = _synthetic(tmp, "bad")
    _spoil(bad / "deals.csv", "amount", "-5")
    _spoil(bad / "spend.csv", "amount", "lots")
    return {
        "clean": smk.load(clean),
        "bad": smk.load(bad),
        "salesforce": smk.load(salesforce),
    }


def test_the_set_aside_rows_have_the_same_columns_whatever_was_set_aside(exports):
    """They had `table,file,row,reason` for a clean export, `...,deal_id,month,channel,campaign`
    with a bad deal and a bad spend row, `...,contact_id,account_id,...,merged_into` for the
    Salesforce sample: a month's CSV did not append to the last."""
    listed = {name: quality.all_set_aside_rows(crm) for name, crm in exports.items()}
    assert listed["clean"].empty and len(listed["bad"]) == 2 and len(listed["salesforce"])
    assert {tuple(rows.columns) for rows in listed.values()} == {quality.SET_ASIDE_COLUMNS}
    columns = quality.SET_ASIDE_COLUMNS
    assert columns[:4] == ("table", "file", "row", "reason")
    assert columns[-2:] == ("merged_into", "salesforce_lead_id")  # the optional ones last
    for table in SCHEMA:  # every table's ids, always
        assert set(quality.set_aside_rows(exports["salesforce"], table).columns) <= set(columns)
    bad = listed["bad"].set_index("table")
    assert bad.loc["deals", "reason"] == "negative amount" and pd.isna(bad.loc["deals", "month"])
    assert bad.loc["spend", "channel"] and pd.isna(bad.loc["spend", "deal_id"])


def test_the_account_lists_every_table_of_the_model(exports):
    """A Salesforce export without Task, Event or spend files gave an account of 4 tables on
    the page's CSV and metrics, while `smk validate --json` gave every table."""
    crm = exports["salesforce"]
    assert crm.quality.tables.keys() < set(SCHEMA)  # no activities, no spend
    account = quality.every_table_account(crm)
    frame = account.to_frame()
    assert frame["table"].tolist() == list(SCHEMA)
    absent = frame[~frame["table"].isin(crm.quality.tables)]
    assert len(absent) and (absent[["read", "loaded", "set_aside"]] == 0).all().all()
    assert quality.not_in_export(crm) == absent["table"].tolist()
    assert cli.account_json(crm)["tables"] == account.to_dict()["tables"]
    assert list(crm.quality.tables) == [t for t in SCHEMA if t in crm.quality.tables]  # untouched


def test_the_page_s_files_keep_their_shape_without_some_tables(tmp_path):
    """The published files of an export without activities or spend, with a bad deal: every
    table in `data_quality.csv` and the metrics, the set-aside CSV in its columns; the page
    says which tables the export lacks."""
    export = _synthetic(tmp_path, "export")
    (export / "activities.csv").unlink()
    (export / "spend.csv").unlink()
    _spoil(export / "deals.csv", "amount", "-5")
    code, month = _report(tmp_path, export, "2026-09", "data_quality")
    assert code == 0
    account = pd.read_csv(month / "data_quality.csv", encoding="utf-8-sig")
    assert account["table"].tolist() == list(SCHEMA)
    absent = account[account["table"].isin(["activities", "spend"])]
    assert (absent[["read", "loaded", "set_aside"]] == 0).all().all()
    metrics = json.loads((month / "metrics-data_quality.json").read_text())
    assert sorted(metrics["tables"]) == sorted(SCHEMA)  # written with its keys sorted
    assert metrics["tables"]["spend"] == {"read": 0, "loaded": 0, "set_aside": 0, "reasons": {}}
    listed = pd.read_csv(month / "data_quality_set_aside.csv", encoding="utf-8-sig", dtype=str)
    assert tuple(listed.columns) == quality.SET_ASIDE_COLUMNS
    assert listed[["table", "reason"]].values.tolist() == [["deals", "negative amount"]]
    page = html.unescape((month / "00_data_quality.html").read_text())
    assert "not in this export: activities, spend (0 rows read)" in page
