"""`smk report` refuses an export that loads no contact before any notebook runs (it published
a month of "not enough data" pages and exited 0: a silent failure for a scheduler), and
`smk validate` says so while it keeps calling an export with deals usable; the params file is
checked as a person writes it (its last section)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import smk
from smk import config, sla
from smk.cli import ERROR_KINDS, main
from smk.report import (
    channel_group_warnings,
    check_params,
    currency_gap,
    discover_notebooks,
    params_for,
    read_params,
    team_owner_warnings,
)

CONTACTS_FILE = "hubspot-crm-exports-all-contacts-2026-02-01.csv"
CONTACTS_HEADER = "Record ID,First Name,Email,Lifecycle Stage,Create Date\n"
#: three contacts, none of which can be loaded: two unreadable dates, one without an id
CONTACTS_SET_ASIDE = (
    "1,Ada,ada@example.test,Lead,garbage\n"
    "2,Bo,bo@example.test,Lead,2026-13-45 10:00\n"
    ",Cy,cy@example.test,Lead,2026-01-04 10:00\n"
)
DEALS = (
    "Record ID,Deal Name,Deal Stage,Create Date,Amount\n"
    "7,Big,Closed Won,2026-01-05 10:00,10\n"
    "8,Small,Closed Lost,2026-01-12 10:00,5\n"
)
#: what the refusal says of the contacts, per case
WHY = {
    "header only": f"no contact was loaded: {CONTACTS_FILE} holds only its header (0 rows read)",
    "every row set aside": (
        f"no contact was loaded: all 3 rows read from {CONTACTS_FILE} were set aside, for "
        "unparseable created_at (2), missing contact_id (1) (`smk validate --set-aside DIR` "
        "lists them)"
    ),
    "no contacts file": "no contact was loaded: the export has no contacts table",
}


def _export(tmp_path: Path, case: str) -> Path:
    """A HubSpot export with deals whose contacts load no row, as `case` says."""
    folder = tmp_path / "hubspot"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(DEALS)
    if case != "no contacts file":
        rows = CONTACTS_SET_ASIDE if case == "every row set aside" else ""
        (folder / CONTACTS_FILE).write_text(CONTACTS_HEADER + rows)
    return folder


@pytest.mark.parametrize("case", list(WHY))
def test_a_report_on_an_export_without_contacts_is_refused_before_any_notebook(
    tmp_path, capsys, case
):
    export, out = _export(tmp_path, case), tmp_path / "reports"
    args = ["report", "--data", str(export), "--month", "2026-01", "--out", str(out), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    message = (
        f"{export}: {WHY[case]}. The report needs contacts; without them its pages would only "
        "say 'not enough data'. No notebook was run"
    )
    assert err == f"smk: error: {message}\n"
    log = (out / "smk-report.log").read_text(encoding="utf-8").splitlines()
    assert len(log) == 1 and log[0].endswith(f" ERROR exit code 2: error: {message}")
    assert sorted(p.name for p in out.iterdir()) == ["smk-report.log"]  # no month, no cache


def test_only_notebooks_that_need_contacts_make_the_report_refuse_an_export_without():
    """`--notebooks segmentation` on companies and deals made a real page before the refusal
    came in, and was refused; a user's own notebook says itself what it needs."""
    from smk.report import _need_contacts, discover_notebooks

    assert not _need_contacts(discover_notebooks(["segmentation"]))
    assert not _need_contacts([Path("elsewhere/05_pipeline_review.ipynb")])
    assert _need_contacts(discover_notebooks(["segmentation", "funnel_sla"]))
    assert _need_contacts(discover_notebooks())


@pytest.mark.parametrize("case", list(WHY))
def test_validate_keeps_an_export_with_deals_usable_but_says_the_report_cannot_run(
    tmp_path, capsys, case
):
    export = _export(tmp_path, case)
    why = f"{export}: {WHY[case]}. The report needs contacts"
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is True and "error" not in payload
    assert payload["report_ready"] is False and payload["report_problem"].startswith(why)
    assert main(["validate", str(export)]) == 0
    out = capsys.readouterr().out
    assert f"\nsmk report cannot run on this export: {why}" in out
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "'report_ready'" in capsys.readouterr().out


def test_validate_says_an_export_with_contacts_is_ready_for_the_report(tmp_path, capsys):
    export = _export(tmp_path, "every row set aside")  # data from 1 December to 12 January
    (export / CONTACTS_FILE).write_text(CONTACTS_HEADER + "4,Di,di@example.test,Lead,2025-12-01\n")
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["report_ready"] is True and "report_problem" not in payload
    assert main(["validate", str(export)]) == 0
    assert "cannot run" not in capsys.readouterr().out


#: what `smk report --month latest` says of the export of 4 to 12 January 2026
NO_FULL_MONTH = (
    "the export covers no full month yet (its data run from 2026-01-04 to 2026-01-12); name "
    "the month to report, e.g. 2026-01 (covered from 2026-01-04 to 2026-01-12)"
)


@pytest.mark.parametrize("deals", [True, False], ids=["with deals", "contacts only"])
def test_validate_is_not_ready_for_an_export_the_report_refuses_as_covering_no_full_month(
    tmp_path, capsys, deals
):
    """`report_ready` was true for an export of 4 to 12 January, which `smk report --month
    latest` refuses with exit 2 (it covers no full month yet): a scheduler trusting the flag
    got a failed run. Both ask `smk.report.check_export` now, so they cannot disagree."""
    export = _export(tmp_path, "every row set aside")
    (export / CONTACTS_FILE).write_text(CONTACTS_HEADER + "4,Di,di@example.test,Lead,2026-01-04\n")
    if not deals:  # no deal nor spend: the month was not even looked at
        (export / "hubspot-crm-exports-all-deals-2026-02-01.csv").unlink()
        (export / CONTACTS_FILE).write_text(
            CONTACTS_HEADER + "4,Di,di@example.test,Lead,2026-01-04\n"
            "5,Ed,ed@example.test,Lead,2026-01-12\n"
        )
    out = tmp_path / "reports"
    assert main(["report", "--data", str(export), "--out", str(out), "--quiet"]) == 2
    refusal = capsys.readouterr().err.removeprefix("smk: error: ").rstrip("\n")
    assert refusal == NO_FULL_MONTH
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is True and payload["report_ready"] is False
    problem = f"`smk report --month latest` refuses the export: {refusal}"
    assert payload["report_problem"] == problem
    assert main(["validate", str(export)]) == 0
    assert f"\nsmk report cannot run on this export: {problem}\n" in capsys.readouterr().out


def test_validate_of_nothing_usable_is_not_ready_for_the_report_either(tmp_path, capsys):
    export = _export(tmp_path, "header only")
    (export / "hubspot-crm-exports-all-deals-2026-02-01.csv").unlink()
    assert main(["validate", str(export), "--json"]) == 2  # as before: nothing usable
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is False and "no usable contacts or deals" in payload["error"]
    assert payload["report_ready"] is False and WHY["header only"] in payload["report_problem"]
    assert main(["validate", str(tmp_path / "nope"), "--json"]) == 2  # cannot be read at all
    payload = json.loads(capsys.readouterr().out)
    assert payload["report_ready"] is False and payload["report_problem"] == payload["error"]


CHF_DEALS = (
    "Record ID,Deal Name,Deal Stage,Create Date,Close Date,Amount,Currency\n"
    "7,Big,Closed Won,2026-01-05 10:00,2026-01-20 10:00,10,EUR\n"
    "8,Swiss,Closed Won,2026-01-12 10:00,2026-02-09 10:00,5,CHF\n"
    "9,Later,Closed Won,2026-03-02 10:00,2026-03-16 10:00,5,GBP\n"
)


def _export_with_currencies(tmp_path: Path) -> Path:
    folder = tmp_path / "hubspot"
    folder.mkdir()
    (folder / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(CHF_DEALS)
    (folder / CONTACTS_FILE).write_text(
        CONTACTS_HEADER + "1,Ada,ada@example.test,Lead,2026-01-02\n"
    )
    return folder


def test_a_deal_currency_without_exchange_rate_is_refused_before_any_notebook(tmp_path, capsys):
    """A CHF deal and the notebooks' default rates (EUR, USD): notebook 00 ran, then 01 failed
    in its third cell with exit 3 ("report failed") for what is a gap in the params file."""
    export, out = _export_with_currencies(tmp_path), tmp_path / "reports"
    args = ["report", "--data", str(export), "--month", "2026-01", "--out", str(out), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        "notebooks.funnel_sla: no exchange rate for CHF: add it to fx_rates (EUR, USD given; "
        "for `smk report`, in the --params file, see docs/examples/report-params.yaml). No "
        "notebook was run (funnel_sla converts deals created by the end of 2026-01)"
    ) in err
    assert not (out / "2026-01").exists()


RATES = {"fx_rates": {"EUR": 1.0, "CHF": 1.05}}


@pytest.mark.parametrize(
    ("notebooks", "month", "params", "refused"),
    [
        (["funnel_sla"], "2026-01", RATES, None),  # the rates cover CHF
        (["funnel_sla"], "2026-01", {"notebooks": {"funnel_sla": {"fx_rates": {"EUR": 1}}}}, "CHF"),
        (["funnel_sla"], "2026-02", RATES, None),  # GBP's deal: March
        (["funnel_sla"], "2026-03", RATES, "GBP"),  # ... and now it counts
        # segmentation converts the deals created or closed by the month's end (not a later
        # one: `segmentation.deals_used`); without rates, several currencies are added
        (["segmentation"], "2026-01", RATES, None),
        (["segmentation"], "2026-02", RATES, None),  # GBP's deal: March
        (["segmentation"], "2026-03", RATES, "GBP"),
        (["segmentation"], "2026-03", {"fx_rates": {}}, None),
        # attribution converts the deals won in its window (`journeys`), not a later one
        (["attribution"], "2026-02", {}, "CHF"),
        (["attribution"], "2026-01", {}, None),  # CHF's deal is won in February
        (["attribution"], "2026-03", {}, "CHF, GBP"),
        (["attribution"], "2026-03", {"notebooks": {"attribution": {"window_months": 1}}}, "GBP"),
        (["attribution"], "2026-02", {"fx_rates": {}}, None),  # none: added as they are
        # ... created in its window, for `conversion: opportunity`
        (["attribution"], "2026-01", {"conversion": "opportunity"}, "CHF"),
        (["attribution"], "2026-03", {"notebooks": {"attribution": {"conversion": "mql"}}}, None),
        (["data_quality"], "2026-03", {}, None),
        # rates in the reporting currency, which has a rate too (without one: refused, below)
        (
            ["funnel_sla"],
            "2026-03",
            {"reporting_currency": "GBP", "fx_rates": {"GBP": 1.0, "EUR": 0.85, "CHF": 0.9}},
            None,
        ),
        # ... or in another base currency, divided by the reporting currency's rate
        (
            ["funnel_sla"],
            "2026-03",
            {"reporting_currency": "GBP", "fx_rates": {"EUR": 1.0, "CHF": 1.05, "GBP": 1.17}},
            None,
        ),
    ],
)
def test_the_currency_check_follows_what_each_notebook_converts(
    tmp_path, notebooks, month, params, refused
):
    import smk
    from smk.periods import Month
    from smk.report import check_currencies, discover_notebooks

    crm = smk.load(_export_with_currencies(tmp_path))
    chosen = discover_notebooks(notebooks)
    if refused is None:
        check_currencies(crm, chosen, params, Month(month))
        return
    with pytest.raises(ValueError, match=f"no exchange rate for {refused}:"):
        check_currencies(crm, chosen, params, Month(month))


def test_a_users_notebook_of_a_packaged_name_with_other_rates_is_left_alone(tmp_path):
    """A user's 01_funnel_sla.ipynb whose `fx_rates: str = "ecb"` made the check an internal
    error (TypeError), exit 1."""
    import nbformat

    import smk
    from smk.periods import Month
    from smk.report import check_currencies

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('data_path = ""\nfx_rates: str = "ecb"')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "01_funnel_sla.ipynb"
    nbformat.write(nb, path)
    crm = smk.load(_export_with_currencies(tmp_path))
    check_currencies(crm, [path], {}, Month("2026-03"))


def test_a_relative_file_setting_is_read_from_the_params_file_s_folder(tmp_path, monkeypatch):
    """`segments_csv: my-segments.csv` beside the params file was looked for in smk's own
    folder: the run failed inside notebook 01 (exit 3) though the file was there."""
    from smk.report import check_params, discover_notebooks, read_params

    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "my-segments.csv").write_text("contact_id,segment\n1,A\n")
    params = folder / "params.yaml"
    params.write_text(
        "segments_csv: my-segments.csv\nnotebooks:\n  attribution:\n    channel_groups: ''\n"
    )
    monkeypatch.chdir(tmp_path)  # not the params file's folder
    settings = read_params(params)
    assert settings["segments_csv"] == str(folder.resolve() / "my-segments.csv")
    assert settings["notebooks"]["attribution"]["channel_groups"] == ""
    check_params(discover_notebooks(["funnel_sla", "attribution"]), settings)


def test_a_missing_file_setting_is_refused_before_any_notebook(tmp_path, capsys):
    export, out = _export_with_currencies(tmp_path), tmp_path / "reports"
    params = tmp_path / "params.yaml"
    params.write_text("fx_rates: {EUR: 1.0, CHF: 1.0}\nsegments_csv: nowhere.csv\n")
    args = ["report", "--data", str(export), "--month", "2026-01", "--out", str(out)]
    assert main([*args, "--params", str(params), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert (
        "the params file: segments_csv (for notebook funnel_sla): segments_csv: no such file "
        f"{tmp_path.resolve() / 'nowhere.csv'} "
        "(a relative path in the params file is read from the params file's folder)"
    ) in err
    assert not (out / "2026-01").exists()


#: Settings files whose contents the notebook refuses (file name, contents, what the refusal
#: says after the file's path): each refused before any notebook runs, as a missing file is
BAD_SETTINGS_FILES = [
    (
        "channel_groups",
        "groups.yaml",
        "Paid > Search: [paid_search]\n",
        ": group name 'Paid > Search' contains the path separator ' > '",
    ),
    ("channel_groups", "groups.yaml", "'': [paid_search]\n", ": a group name is empty"),
    ("channel_groups", "groups.yaml", "- paid_search\n", " must be a mapping"),
    # YAML's empty value was the group "None" (F4 of session 25)
    ("channel_groups", "groups.yaml", "~: [paid_search]\n", " holds an empty name (~ or"),
    ("channel_groups", "groups.yaml", "paid: [~]\n", " holds an empty name (~ or"),
    ("channel_groups", "groups.yaml", "paid: [a\n", ": cannot read it: while parsing"),
    ("segments_csv", "segments.csv", "id,seg\n1,A\n", " needs a contact_id or account_id"),
    ("segments_csv", "segments.csv", "", ": No columns to parse"),
]


@pytest.mark.parametrize("key, name, contents, refusal", BAD_SETTINGS_FILES)
def test_a_settings_file_the_notebook_refuses_is_refused_before_any_notebook(
    tmp_path, capsys, key, name, contents, refusal
):
    """A channel_groups file naming a group 'Paid > Search' passed the report's check (the
    file existed) and failed inside notebook 04 after two minutes of notebooks, exit 3: the
    file is read with the notebook's own reader first, and `smk validate --params` says so."""
    export, out = _export_with_currencies(tmp_path), tmp_path / "reports"
    (tmp_path / name).write_text(contents)
    notebook = "attribution" if key == "channel_groups" else "funnel_sla"
    params = tmp_path / "params.yaml"
    params.write_text(f"notebooks: {{{notebook}: {{{key}: {name}}}}}\n")
    args = ["report", "--data", str(export), "--month", "2026-01", "--out", str(out)]
    assert main([*args, "--params", str(params), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"the params file: notebooks.{notebook}: {key}" in err
    assert f"{tmp_path.resolve() / name}{refusal}" in err
    assert not (out / "2026-01").exists()
    assert main(["validate", str(export), "--params", str(params)]) == 2
    assert f"{tmp_path.resolve() / name}{refusal}" in capsys.readouterr().err


def test_a_channel_groups_url_is_refused_as_the_notebook_reads_only_files(tmp_path):
    """`channel_groups: https://...` passed (a URL was left to the notebook, as pandas reads a
    segments CSV from one) and notebook 04 failed opening it as a file."""
    from smk.report import _check_file_setting

    with pytest.raises(ValueError, match="^channel_groups: https://x.test/g.yaml is a URL; "):
        _check_file_setting("channel_groups", "https://x.test/g.yaml")


def test_the_default_reports_folder_is_in_the_current_folder(tmp_path, monkeypatch, capsys):
    """Without --out, a run from another folder wrote into smk's own reports/ (overwriting that
    month's page of the project; under site-packages for a non-editable install)."""
    from smk.report import LOG_FILE

    export = _export(tmp_path, "header only")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--data", str(export), "--month", "2026-01", "--quiet"]) == 2
    assert "no contact was loaded" in capsys.readouterr().err
    assert (tmp_path / "reports" / LOG_FILE).is_file()  # the refusal is logged there


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_notebook_folder_that_is_missing_or_empty_is_named_as_such(tmp_path, capsys, folder):
    """`--notebook-dir /nonexistent --notebooks data_quality` said "there are: " and nothing."""
    (tmp_path / "empty").mkdir()
    export = _export_with_currencies(tmp_path)
    args = ["report", "--data", str(export), "--out", str(tmp_path / "out"), "--quiet"]
    args += ["--notebook-dir", str(tmp_path / folder), "--notebooks", "data_quality"]
    assert main(args) == 2
    err = capsys.readouterr().err
    if folder == "missing":
        assert f"no notebook folder {tmp_path / folder}: it does not exist or is no folder" in err
    else:
        assert "no notebook 'data_quality' in" in err
        assert "there are: none (no NN_name.ipynb file)" in err


def test_file_settings_leave_urls_and_users_notebooks_alone(tmp_path):
    """A URL in segments_csv was made a path under the params folder and refused; a user's
    notebook's own `channel_groups: "paid,organic"` was rewritten into a path."""
    from smk.report import _check_file_setting, read_params

    params = tmp_path / "params.yaml"
    url = "https://example.test/seg.csv"
    params.write_text(
        f"segments_csv: {url}\n"
        "notebooks:\n  forecast:\n    channel_groups: paid,organic\n"
        "  attribution:\n    channel_groups: groups.yaml\n"
    )
    settings = read_params(params)
    assert settings["segments_csv"] == url
    _check_file_setting("segments_csv", url)  # read by the notebook, not checked here
    assert settings["notebooks"]["forecast"]["channel_groups"] == "paid,organic"
    assert settings["notebooks"]["attribution"]["channel_groups"] == str(
        tmp_path.resolve() / "groups.yaml"
    )


def test_without_smk_s_own_notebooks_folder_a_params_file_still_reads(tmp_path, monkeypatch):
    """The missing-folder check of `discover_notebooks` must not stop an install without
    smk's notebooks (run with --notebook-dir) from reading its params file."""
    from smk import config, report
    from smk.report import read_params

    gone = tmp_path / "gone"  # as an install without smk's notebooks has it
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", gone)
    monkeypatch.setattr(report.discover_notebooks, "__defaults__", (None, gone))
    params = tmp_path / "params.yaml"
    params.write_text("segments_csv: seg.csv\n")
    assert read_params(params)["segments_csv"] == str(tmp_path.resolve() / "seg.csv")


def test_validate_says_the_report_refuses_deal_currencies_without_a_default_rate(tmp_path, capsys):
    """`report_ready` was true for an export with CHF deals, which `smk report` with the
    notebooks' default rates (EUR, USD) then refused with exit 2."""
    export = _export_with_currencies(tmp_path)
    assert main(["validate", str(export), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["usable"] is True and payload["report_ready"] is False
    problem = payload["report_problem"]
    assert problem.startswith("notebooks.funnel_sla: no exchange rate for CHF: add it")
    assert "`smk report --month 2026-02` with the notebooks' default parameters" in problem
    assert problem.endswith("give the rates with `--params FILE`")
    assert main(["validate", str(export)]) == 0
    assert f"\nsmk report cannot run on this export: {problem}" in capsys.readouterr().out
    # one currency the defaults convert: ready
    (export / "hubspot-crm-exports-all-deals-2026-02-01.csv").write_text(
        CHF_DEALS.replace("CHF", "USD").replace("GBP", "EUR")
    )
    assert main(["validate", str(export), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["report_ready"] is True


def test_validate_judges_report_ready_with_a_params_file_s_rates(tmp_path, capsys):
    """`report_ready` ignored the params file a scheduler runs `smk report` with: an export
    with CHF deals stayed "not ready" although the params file gives the CHF rate."""
    export = _export_with_currencies(tmp_path)
    given = tmp_path / "params.yaml"
    given.write_text("fx_rates: {EUR: 1.0, USD: 0.92, CHF: 1.05}\n")
    assert main(["validate", str(export), "--json", "--params", str(given)]) == 0
    assert json.loads(capsys.readouterr().out)["report_ready"] is True
    assert main(["validate", str(export), "--params", str(given)]) == 0
    assert "smk report cannot run" not in capsys.readouterr().out
    lacking = tmp_path / "lacking.yaml"  # rates, but not CHF's
    lacking.write_text("fx_rates: {EUR: 1.0, GBP: 1.2}\n")
    assert main(["validate", str(export), "--json", "--params", str(lacking)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["report_ready"] is False
    problem = payload["report_problem"]  # the rates named as the file writes them: at its top
    assert problem.startswith("fx_rates (for notebook funnel_sla): no exchange rate for CHF")
    assert problem.endswith("add the rates to the params file")
    # a params file `smk report` refuses is refused here too, naming the option
    typo = tmp_path / "typo.yaml"
    typo.write_text("fx_rate: {CHF: 1.05}\n")
    for bad in (typo, tmp_path / "missing.yaml"):
        assert main(["validate", str(export), "--json", "--params", str(bad)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("smk: error: --params: ")
        assert json.loads(captured.out)["usable"] is False


def test_spend_in_a_currency_without_exchange_rate_is_refused_before_any_notebook(tmp_path):
    """GBP spend in attribution's window failed notebook 04 in `spend_by_channel` (exit 3)."""
    import smk
    from smk.periods import Month
    from smk.report import check_currencies, discover_notebooks

    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,created_at\n1,2026-01-02T10:00:00Z\n")
    (folder / "spend.csv").write_text(
        "month,channel,campaign,amount,currency\n"
        "2025-01-01,paid_search,old,500,GBP\n"  # before the 12-month window of 2026-03
        "2026-02-01,paid_search,brand,1000,EUR\n"
    )
    crm = smk.load(folder)
    chosen = discover_notebooks(["attribution"])
    check_currencies(crm, chosen, {}, Month("2026-03"))  # the GBP row is outside the window
    (folder / "spend.csv").write_text(
        (folder / "spend.csv").read_text() + "2026-03-01,paid_social,launch,200,GBP\n"
    )
    crm = smk.load(folder)
    with pytest.raises(ValueError, match="no exchange rate for GBP") as caught:
        check_currencies(crm, chosen, {}, Month("2026-03"))
    assert "(attribution converts the spend of 2025-04 to 2026-03)" in str(caught.value)
    check_currencies(crm, chosen, {"fx_rates": {}}, Month("2026-03"))  # no rates: as they are


def _export_in_chf(tmp_path: Path, spend_currency: str = "CHF") -> Path:
    """A canonical export whose deals (won in February 2026) are all in CHF, and its spend in
    `spend_currency`."""
    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,created_at\n1,2026-01-02T10:00:00Z\n")
    (folder / "deals.csv").write_text(
        "deal_id,contact_id,created_at,closed_at,is_won,amount,currency\n"
        "7,1,2026-01-05T10:00:00Z,2026-02-09T10:00:00Z,true,10,CHF\n"
        "8,1,2026-01-12T10:00:00Z,2026-02-16T10:00:00Z,true,5,CHF\n"
    )
    (folder / "spend.csv").write_text(
        "month,channel,campaign,amount,currency\n"
        f"2026-02-01,paid_search,brand,100,{spend_currency}\n"
    )
    return folder


NO_RATES = {"notebooks": {name: {"fx_rates": {}} for name in ("segmentation", "attribution")}}
MQL = {"notebooks": {"attribution": {"fx_rates": {}, "conversion": "mql"}}}


@pytest.mark.parametrize(
    ("notebook", "params", "spend_currency", "refused"),
    [
        # without rates, deals in one currency other than the reporting one are refused by
        # `sla.deal_amounts` (segmentation's and attribution's deals and spend) ...
        ("segmentation", NO_RATES, "EUR", "deals are in CHF, the reporting currency is EUR: "),
        ("segmentation", {"fx_rates": {}}, "EUR", "deals are in CHF, the reporting currency"),
        ("attribution", NO_RATES, "CHF", "deals are in CHF, the reporting currency is EUR: "),
        # RV: only the spend converts here; the refusal called it deals
        ("attribution", MQL, "CHF", "spend amounts are in CHF, the reporting currency is EUR"),
        ("attribution", NO_RATES, "EUR", "deals are in CHF, the reporting currency is EUR: "),
        # ... not when they are in the reporting currency (several currencies are added as
        # they are: above), nor deals that conversion does not value
        ("segmentation", {**NO_RATES, "reporting_currency": "CHF"}, "EUR", None),
        ("attribution", {**NO_RATES, "reporting_currency": "CHF"}, "CHF", None),
        ("attribution", MQL, "EUR", None),  # only the spend converts: in EUR
    ],
)
def test_one_foreign_currency_without_rates_is_refused_as_the_notebooks_refuse_it(
    tmp_path, notebook, params, spend_currency, refused
):
    """`fx_rates: {}` for segmentation or attribution and every deal in CHF (reporting in
    EUR): the pre-check let it through, the notebook stopped half-way (exit 3)."""
    from smk.periods import Month
    from smk.report import check_currencies

    crm = smk.load(_export_in_chf(tmp_path, spend_currency))
    chosen = discover_notebooks([notebook])
    if refused is None:
        check_currencies(crm, chosen, params, Month("2026-02"))
        return
    with pytest.raises(ValueError, match=re.escape(refused)):
        check_currencies(crm, chosen, params, Month("2026-02"))


def test_smk_report_refuses_deals_in_one_foreign_currency_without_rates(tmp_path, capsys):
    """`notebooks: {segmentation: {fx_rates: {}}}` and every deal in CHF: notebook 02 failed
    in its rfm cell with exit 3 ("report failed") instead of a refusal before any notebook."""
    export, out = _export_in_chf(tmp_path), tmp_path / "reports"
    params = tmp_path / "params.yaml"
    params.write_text("notebooks:\n  segmentation:\n    fx_rates: {}\n")
    args = ["report", "--data", str(export), "--month", "2026-02", "--out", str(out), "--quiet"]
    assert main([*args, "--notebooks", "segmentation", "--params", str(params)]) == 2
    assert (
        "notebooks.segmentation: deals are in CHF, the reporting currency is EUR: set "
        "reporting_currency to CHF, or give fx_rates to convert them (e.g. {'EUR': 1.0, 'CHF': "
        "...}). No notebook was run (segmentation converts the deals created or closed by the "
        "end of 2026-02)"
    ) in capsys.readouterr().err
    assert not (out / "2026-02").exists()


# ------------------------------------------------------------------ rates and reporting currency
# Rates without one for the reporting currency are refused before any notebook runs: a USD/CAD
# team following docs/examples/report-params.yaml wrote `fx_rates: {USD: 1.0, CAD: 0.73}`, `smk
# validate` said report_ready true and the index showed "Won revenue 139,400 EUR" (USD figures
# under the notebooks' default reporting currency).
USD_BASED = {"fx_rates": {"USD": 1.0, "CAD": 0.73}}  # rates in USD; reporting_currency left EUR
REFUSAL = (
    "fx_rates (CAD, USD) has no rate for the reporting currency EUR (reporting_currency): the "
    "money figures would be in USD but labelled EUR. Add EUR to fx_rates (EUR: 1.0 when each "
    "rate is the value of one unit in EUR; else its value in the rates' base currency), or set "
    "reporting_currency: USD"
)


@pytest.mark.parametrize(
    "params, notebooks, refused",
    [  # the settings named as the file writes them: at its top, or in a notebook's section
        (USD_BASED, None, "fx_rates (for notebook funnel_sla)"),
        ({"notebooks": {"segmentation": USD_BASED}}, None, "notebooks.segmentation.fx_rates"),
        (  # with the notebook's default rates
            {"reporting_currency": "GBP"},
            ["segmentation"],
            "reporting_currency (for notebook segmentation)",
        ),
        (
            {"reporting_currency": "GBP", "notebooks": {"funnel_sla": USD_BASED}},
            ["funnel_sla"],
            "notebooks.funnel_sla.fx_rates and reporting_currency (for notebook funnel_sla)",
        ),
        (USD_BASED, ["attribution"], "fx_rates (for notebook attribution)"),  # 04's too
        ({**USD_BASED, "reporting_currency": "USD"}, None, None),
        ({"fx_rates": {"USD": 1.0, "CAD": 0.73, "EUR": 1.25}}, None, None),  # rates in USD
        ({"reporting_currency": "USD"}, None, None),  # the default rates, in EUR, have USD
        ({"fx_rates": {}}, None, None),  # no rates: nothing converted
    ],
)
def test_check_params_refuses_rates_without_the_reporting_currency(params, notebooks, refused):
    chosen = discover_notebooks(notebooks)
    if refused is None:
        check_params(chosen, params)
        return
    with pytest.raises(ValueError, match=rf"^the params file: {re.escape(refused)}: fx_rates "):
        check_params(chosen, params)


def test_smk_report_and_validate_refuse_usd_rates_labelled_eur(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text("fx_rates:\n  USD: 1.0\n  CAD: 0.73\n")
    out = tmp_path / "reports"
    data = str(config.SAMPLE_HUBSPOT)
    args = ["report", "--data", data, "--month", "2026-09", "--params", str(params)]
    assert main([*args, "--out", str(out), "--quiet"]) == 2
    assert (
        f"the params file: fx_rates (for notebook funnel_sla): {REFUSAL}" in capsys.readouterr().err
    )
    assert not (out / "2026-09").exists()
    assert main(["validate", data, "--params", str(params), "--json"]) == 2
    assert REFUSAL in capsys.readouterr().err


def test_deal_values_refuses_rates_without_the_reporting_currency_and_divides_by_its_rate():
    deals = pd.DataFrame({"amount": [100.0, 100.0], "currency": ["USD", "CAD"]})
    with pytest.raises(ValueError) as refused:
        sla.deal_values(deals, USD_BASED["fx_rates"], "EUR")
    assert str(refused.value) == REFUSAL
    rates = {**USD_BASED["fx_rates"], "EUR": 1.25}  # one EUR is 1.25 USD
    assert sla.deal_values(deals, rates, "EUR").tolist() == [80.0, 58.4]
    assert sla.deal_values(deals, USD_BASED["fx_rates"], "USD").tolist() == [100.0, 73.0]
    assert sla.deal_values(deals, USD_BASED["fx_rates"]).tolist() == [100.0, 73.0]  # none named
    no_base = {"CAD": 0.73}
    with pytest.raises(ValueError, match="set reporting_currency to the currency whose rate is 1"):
        sla.deal_values(deals.iloc[1:], no_base, "EUR")


def test_a_currency_code_with_spaces_and_two_rates_of_one_are_said_plainly():
    """`reporting_currency: "USD "` was refused as having no rate, "Add USD  to fx_rates";
    with `{USD: 1, CAD: 1}` the refusal spoke of "the currency whose rate is 1.0"."""
    with pytest.raises(ValueError) as spaced:
        sla.check_fx_rates({"USD": 1.0}, "USD ")
    assert str(spaced.value) == (
        "reporting_currency must be a currency code like 'EUR', without spaces around it, "
        "got 'USD '"
    )
    with pytest.raises(ValueError, match=r"^fx_rates: each key .* around it, got ' USD'$"):
        sla.check_fx_rates({" USD": 1.0}, "USD")
    with pytest.raises(ValueError) as two:
        sla.check_fx_rates({"USD": 1, "CAD": 1}, "EUR")
    said = str(two.value)
    assert "the money figures would be in CAD or USD (each has the rate 1.0) but labelled" in said
    assert said.endswith("or set reporting_currency to the one of CAD, USD the rates are given in")


def test_the_example_params_file_documents_reporting_currency():
    example = config.ROOT / "docs" / "examples" / "report-params.yaml"
    params = read_params(example)
    assert params["reporting_currency"] in params["fx_rates"]
    check_params(discover_notebooks(), params)
    assert "`reporting_currency`" in (config.ROOT / "README.md").read_text()


def test_a_params_mapping_keyed_by_numbers_and_text_reads_its_keys_as_text(tmp_path):
    """`teams: {1: inside, owner-02: field}` (YAML reads 1 as a number) failed when papermill
    wrote the parameters as JSON with sorted keys: "internal error (TypeError: '<' not
    supported between instances of 'str' and 'int')". Owner ids are text in the model."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from smk.report import params_for

    params = tmp_path / "params.yaml"
    params.write_text(
        "notebooks:\n  funnel_sla:\n    teams: {1: inside, owner-02: field}\n"
        "    holidays: [2026-12-24]\n"
    )
    settings = read_params(params)
    assert settings["notebooks"]["funnel_sla"]["teams"] == {"1": "inside", "owner-02": "field"}
    chosen = discover_notebooks(["funnel_sla"])
    check_params(chosen, settings)
    notebook = load_notebook_node(str(chosen[0]))
    injected = parameterize_notebook(notebook, params_for(chosen[0], settings))
    nbformat.writes(injected)  # as papermill writes the executed notebook
    cell = next(c for c in injected.cells if "injected-parameters" in c.metadata.tags)
    assert 'teams = {"1": "inside", "owner-02": "field"}' in cell.source


# ------------------------------------------------------------------ the params file as written
# `validate --json` tells a refused params file from a broken export (`error_kind`), currency
# codes are read in any case, a refused setting is named where the file writes it, and a
# `teams` key that names no owner of the export is warned about.
SAMPLE = str(config.SAMPLE_HUBSPOT)


def _params(tmp_path: Path, text: str, name: str = "params.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _validate_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["validate", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------ validate --json: error_kind
def test_validate_json_tells_a_refused_params_file_from_a_broken_export(tmp_path, capsys):
    """Both said `{"usable": false, "tables": {}, "error": ...}`, exit 2: a scheduler could not
    tell a mistake in its params file from an export it cannot use."""
    good, bad = _params(tmp_path, "seed: 3\n"), _params(tmp_path, "seed: -1\n", "bad.yaml")
    for params in (bad, tmp_path / "missing.yaml"):  # refused, unreadable
        code, payload = _validate_json(capsys, SAMPLE, "--params", str(params))
        assert code == 2 and payload["usable"] is False and payload["error_kind"] == "params"
        assert payload["error"].startswith("--params: ")
    code, payload = _validate_json(capsys, str(tmp_path / "no-export"), "--params", str(good))
    assert code == 2 and payload["error_kind"] == "export"
    assert payload["file"] == str(tmp_path / "no-export")  # the keys it had are kept
    empty = tmp_path / "canonical"  # read, but nothing usable loaded
    empty.mkdir()
    (empty / "contacts.csv").write_text("contact_id,created_at\n")
    code, payload = _validate_json(capsys, str(empty), "--params", str(good))
    assert code == 2 and payload["error_kind"] == "export" and payload["tables"]
    code, payload = _validate_json(capsys, SAMPLE, "--set-aside", SAMPLE)
    assert code == 2 and payload["error_kind"] == "set_aside"
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(good))
    assert code == 0 and "error_kind" not in payload and "error" not in payload
    assert {"params", "export", "set_aside"} < set(ERROR_KINDS)


@pytest.mark.parametrize(
    ("line", "kind", "error"),
    [
        ([SAMPLE, "--json", "--decimal", "x"], "export", "argument --decimal: invalid choice"),
        (["--json"], "export", "the following arguments are required: path"),
        ([SAMPLE, "--json", "--params"], "params", "argument --params: expected one argument"),
        (["--set-aside", "--json"], "set_aside", "argument --set-aside: expected one argument"),
        ([SAMPLE, "--js", "--decimal", "x"], "export", "argument --decimal: invalid choice"),
    ],
)
def test_validate_json_gives_its_object_for_a_command_line_argparse_refuses(
    capsys, line, kind, error
):
    """`smk validate PATH --json --decimal x` printed only argparse's usage on stderr: no JSON
    object on stdout, as the README promises whatever the outcome (H1 of session 25)."""
    with pytest.raises(SystemExit) as exit:
        main(["validate", *line])
    assert exit.value.code == 2
    said = capsys.readouterr()
    payload = json.loads(said.out)
    assert payload["usable"] is False and payload["error_kind"] == kind
    assert payload["error"].startswith(error) and payload["source"] is None
    assert f"smk validate: error: {error}" in said.err  # argparse's usage and error, as ever
    with pytest.raises(SystemExit):
        main(["validate", *(w for w in line if w not in ("--json", "--js"))])
    assert capsys.readouterr().out == ""  # no object without --json


def test_validate_json_says_an_internal_error_is_smk_s(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(smk, "load", broken)
    code, payload = _validate_json(capsys, SAMPLE)
    assert code == 1 and payload["error_kind"] == "internal"


def test_error_kind_is_documented_where_validate_json_is():
    from smk.cli import _parser

    validate = _parser()._subparsers._group_actions[0].choices["validate"]
    assert all(kind in validate.format_help() for kind in ERROR_KINDS)
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert '`"error_kind"`' in readme
    assert all(f'`"{kind}"`' in readme for kind in ERROR_KINDS)


# ------------------------------------------------------------------ currency codes in any case
def test_currency_codes_in_a_params_file_are_read_in_any_case(tmp_path, capsys):
    """`reporting_currency: eur` was refused ("Add eur to fx_rates ... or set
    reporting_currency: EUR"), as were rates keyed `usd`: the export's `eur` is EUR."""
    text = (
        "reporting_currency: usd\n"
        "fx_rates: {Eur: 1.087, usd: 1.0, kr: 0.1}\n"  # `kr`: a sign the export keeps as written
        "notebooks:\n  segmentation:\n    reporting_currency: gbp\n"
        "    fx_rates: {GBP: 1.0, eur: 0.85, usd: 0.79}\n"
    )
    settings = read_params(_params(tmp_path, text))
    assert settings["reporting_currency"] == "USD"
    assert settings["fx_rates"] == {"EUR": 1.087, "USD": 1.0, "kr": 0.1}
    segmentation = settings["notebooks"]["segmentation"]
    assert segmentation == {
        "reporting_currency": "GBP",
        "fx_rates": {"GBP": 1.0, "EUR": 0.85, "USD": 0.79},
    }
    chosen = discover_notebooks()
    check_params(chosen, settings)
    funnel = next(nb for nb in chosen if nb.stem.endswith("funnel_sla"))
    assert params_for(funnel, settings)["reporting_currency"] == "USD"  # what its page shows
    lower = _params(tmp_path, "reporting_currency: eur\n", "lower.yaml")
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(lower))
    assert code == 0 and payload["report_ready"] is True


@pytest.mark.parametrize(
    "text, refused",
    [
        ("reporting_currency: euro\n", "no rate for the reporting currency euro"),
        ('reporting_currency: "usd "\n', "without spaces around it, got 'usd '"),
        ("reporting_currency: [eur]\n", "reporting_currency (for notebook funnel_sla) must be"),
        (
            "fx_rates: {eur: 1.0, EUR: 1.0, usd: 0.92}\n",
            "the params file: fx_rates gives the rate of EUR more than once ('eur', 'EUR'): "
            "currency codes are read in any case",
        ),
        (  # `aud` only upper-cased: not the currency given twice
            "fx_rates: {aud: 1.5, EUR: 1.0, eur: 1.0}\n",
            "the params file: fx_rates gives the rate of EUR more than once ('EUR', 'eur'): ",
        ),
        (
            "notebooks:\n  funnel_sla:\n    fx_rates: {usd: 1.0, Usd: 1.0, EUR: 1.1}\n",
            "notebooks.funnel_sla.fx_rates gives the rate of USD more than once",
        ),
    ],
)
def test_currency_nonsense_is_still_refused(tmp_path, text, refused):
    with pytest.raises(ValueError) as caught:
        check_params(discover_notebooks(), read_params(_params(tmp_path, text)))
    assert refused in str(caught.value)


# ------------------------------------------------------------------ settings named where written
@pytest.mark.parametrize(
    "setting, notebook, said",
    [
        ({"seed": -1}, "segmentation", ": seed must be an integer from 0 to 4294967295"),
        ({"share_to_work": 80}, "funnel_sla", ": SLA share_to_work is a share between 0 and 1"),
        ({"holidays": ["24/12/2026"]}, "funnel_sla", ": a holiday is a date like 2026-12-25"),
        ({"capacity_per_month": 0}, "lead_scoring", ": the sales capacity (capacity_per_month"),
        ({"mix_months": 2.5}, "funnel_sla", " must be of type int like its default 12"),
    ],
)
def test_a_refused_setting_is_named_where_the_file_writes_it(setting, notebook, said):
    """A top-level `seed: -1` was refused as `notebooks.segmentation: seed ...`, a section
    the file does not have."""
    (key,) = setting
    chosen = discover_notebooks([notebook])
    with pytest.raises(ValueError) as top:
        check_params(chosen, setting)
    assert str(top.value).startswith(f"the params file: {key} (for notebook {notebook}){said}")
    with pytest.raises(ValueError) as own:
        check_params(chosen, {"notebooks": {notebook: setting}})
    section = f"notebooks.{notebook}" + (f".{key}" if said.startswith(" must") else "")
    assert str(own.value).startswith(f"the params file: {section}{said}")


def test_a_sla_setting_is_named_where_written_beside_others_from_the_section():
    given = {"share_to_work": 80, "notebooks": {"funnel_sla": {"leakage_days": 3}}}
    with pytest.raises(ValueError, match=r"^the params file: share_to_work \(for notebook "):
        check_params(discover_notebooks(["funnel_sla"]), given)
    given = {"leakage_days": 3, "notebooks": {"funnel_sla": {"share_to_work": 80}}}
    with pytest.raises(ValueError, match=r"^the params file: notebooks\.funnel_sla: SLA share"):
        check_params(discover_notebooks(["funnel_sla"]), given)


def test_rates_that_cannot_convert_the_export_are_named_where_the_file_writes_them():
    from smk.periods import Month

    crm = smk.load(SAMPLE)
    chosen, month = discover_notebooks(["funnel_sla"]), Month("2026-09")
    rates = {"fx_rates": {"EUR": 1.0}}  # the sample's USD deals have no rate
    gap = currency_gap(crm, chosen, rates, month)
    assert gap is not None and gap[0].startswith("fx_rates (for notebook funnel_sla): ")
    gap = currency_gap(crm, chosen, {"notebooks": {"funnel_sla": rates}}, month)
    assert gap is not None and gap[0].startswith("notebooks.funnel_sla: ")


# ------------------------------------------------------------------ teams naming no owner
def test_teams_keys_that_name_no_owner_are_warned_about():
    crm = smk.load(SAMPLE)  # owners owner-01 and owner-02
    funnel = discover_notebooks(["funnel_sla"])
    typo = {"teams": {"owner-01": "inside", "owner-0l": "field"}}
    assert team_owner_warnings(crm, funnel, typo, {}) == [
        "teams (for notebook funnel_sla): 1 of its 2 keys names no owner in the export "
        "('owner-0l'), so no owner is put in a team by it (owners not listed count as "
        "'other'); check the owner ids"
    ]
    many = {f"owner-{i}": "field" for i in range(3, 8)}
    (text,) = team_owner_warnings(crm, funnel, {"notebooks": {"funnel_sla": {"teams": many}}}, {})
    assert text.startswith(
        "notebooks.funnel_sla.teams: 5 of its 5 keys name no owner in the export "
        "('owner-3', 'owner-4', 'owner-5', ... (5 in all))"
    )
    fine = {"teams": {"owner-01": "inside", "owner-02": "field"}}
    assert team_owner_warnings(crm, funnel, fine, {}) == []
    # a pseudonym names its owner where the notebook shows owners by pseudonym, not with "ids"
    aliases = {"owner-01": "rep-abc123"}
    pseudonyms = {"teams": {"rep-abc123": "inside"}, "owner_labels": "pseudonyms"}
    assert team_owner_warnings(crm, funnel, pseudonyms, aliases) == []
    ids = {**pseudonyms, "owner_labels": "ids"}
    assert len(team_owner_warnings(crm, funnel, ids, aliases)) == 1


def test_teams_are_not_judged_on_an_export_without_owners(tmp_path):
    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,created_at\n1,2026-01-02T10:00:00Z\n")
    crm = smk.load(folder)
    teams = {"teams": {"owner-01": "inside"}}
    assert team_owner_warnings(crm, discover_notebooks(["funnel_sla"]), teams, {}) == []


class _Stop(Exception):
    """Ends a report before its first notebook runs."""


def test_smk_report_warns_once_of_a_team_key_naming_no_owner(tmp_path, monkeypatch, capsys):
    from smk import report

    def stop() -> str:
        raise _Stop

    monkeypatch.setattr(report, "ensure_kernel", stop)
    params = _params(tmp_path, "teams: {owner-01: inside, owner-0l: field}\n")
    out = tmp_path / "reports"
    with pytest.raises(_Stop):
        report.run_report(SAMPLE, "2026-09", out, notebooks=["funnel_sla"], params=params)
    err = capsys.readouterr().err
    warning = "teams (for notebook funnel_sla): 1 of its 2 keys names no owner in the export"
    assert err.count("smk: warning: ") == 1 and f"smk: warning: {warning} ('owner-0l')" in err
    log = (out / report.LOG_FILE).read_text(encoding="utf-8")
    assert re.search(rf"WARNING .*{re.escape(warning)}", log)


def test_smk_validate_params_gives_smk_report_s_warning_of_a_team_key_naming_no_owner(
    tmp_path, monkeypatch, capsys
):
    """`smk validate --params` said nothing of it: a mistyped owner id was found only when the
    report ran. Now it is listed with the export's warnings (`--json`: in `warnings`), in
    the report's words, the key as written (the terminal's only)."""
    crm = smk.load(SAMPLE)
    typo = _params(tmp_path, "teams: {owner-01: inside, owner-0l: field}\n")
    (warning,) = team_owner_warnings(crm, discover_notebooks(), read_params(typo), {})
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(typo))
    assert code == 0 and payload["warnings"] == [*crm.quality.warnings, warning]
    assert main(["validate", SAMPLE, "--params", str(typo)]) == 0
    assert "\nWarnings\n" in (out := capsys.readouterr().out) and f"  - {warning}\n" in out
    # an owner's pseudonym, where the pages show them, names the owner: with the kept key
    alias = sla.owner_aliases(crm, "pseudonyms")["owner-01"]
    by_alias = _params(
        tmp_path, f"owner_labels: pseudonyms\nteams: {{{alias}: inside}}\n", "a.yaml"
    )
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(by_alias))
    assert code == 0 and payload["warnings"] == crm.quality.warnings
    # no key kept: none is made (a report would make a new one, whose pseudonyms differ)
    monkeypatch.delenv("SMK_OWNER_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(by_alias))
    assert code == 0 and len(payload["warnings"]) == len(crm.quality.warnings) + 1
    assert not (tmp_path / "config").exists()


# ------------------------------------------------------------------ channel groups naming no channel
def test_channel_groups_naming_no_channel_are_warned_of_by_report_and_validate(
    tmp_path, monkeypatch, capsys
):
    """A groups file naming a channel as no touchpoint writes it formed no group, unsaid; the
    export's labels ("Paid Search") name smk's channels (paid_search) and are not warned of."""
    crm = smk.load(SAMPLE)
    (tmp_path / "groups.yaml").write_text("paid: [Paid Search, adwords]\nowned: [email]\n")
    params = _params(tmp_path, "channel_groups: groups.yaml\n")
    attribution = discover_notebooks(["attribution"])
    (text,) = channel_group_warnings(crm, attribution, read_params(params))
    channels = ", ".join(sorted(set(crm.touchpoints["channel"].dropna())))
    assert text == (
        "channel_groups (for notebook attribution): 1 of its 3 entries names no channel of the "
        "journeys ('adwords'), so no touch is put in a group by it (channels not listed keep "
        f"their own name); the channels are {channels}"
    )
    assert (
        channel_group_warnings(crm, discover_notebooks(["funnel_sla"]), read_params(params)) == []
    )
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(params))
    assert code == 0 and payload["warnings"] == [*crm.quality.warnings, text]
    from smk import report

    def stop() -> str:
        raise _Stop

    monkeypatch.setattr(report, "ensure_kernel", stop)
    with pytest.raises(_Stop):  # said once, before the first notebook runs
        report.run_report(
            SAMPLE, "2026-09", tmp_path / "o", notebooks=["attribution"], params=params
        )
    assert capsys.readouterr().err.count(f"smk: warning: {text}") == 1
    (tmp_path / "groups.yaml").write_text("paid: [Paid Search, paid-social]\nowned: [email]\n")
    assert channel_group_warnings(crm, attribution, read_params(params)) == []


# ------------------------------------------------------------------ times YAML reads as numbers
def test_a_time_of_day_yaml_read_as_a_number_is_refused_with_a_hint_to_quote_it(tmp_path):
    # `workday_end: 17:00` unquoted is the base-60 number 1020 to YAML 1.1: the refusal said
    # only "must be of type str ..., got 1020"
    params = _params(tmp_path, "notebooks:\n  funnel_sla:\n    workday_end: 17:00\n")
    assert read_params(params)["notebooks"]["funnel_sla"]["workday_end"] == 1020
    hint = '("17:00" read by YAML as 1020: write it in quotes)'
    with pytest.raises(ValueError, match=re.escape(f"got 1020 {hint}")):
        check_params(discover_notebooks(["funnel_sla"]), read_params(params))
    with pytest.raises(ValueError, match=re.escape(f"got 1020 {hint}")):
        sla.SLA.from_yaml(_params(tmp_path, "workday_end: 17:00\n", "sla.yaml"))
    # a number that no unquoted time gives, or another setting, gets no hint
    with pytest.raises(ValueError) as refused:
        check_params(discover_notebooks(["funnel_sla"]), {"workday_start": 8})
    assert "in quotes" not in str(refused.value)
    with pytest.raises(ValueError) as refused:
        check_params(discover_notebooks(["funnel_sla"]), {"timezone": 1020})
    assert "in quotes" not in str(refused.value)


def test_a_weekmask_of_digits_yaml_read_as_a_number_is_refused_with_a_hint(tmp_path):
    # `weekmask: 1111100` unquoted is the number 1111100: "must be of type str", no hint
    params = _params(tmp_path, "notebooks:\n  funnel_sla:\n    weekmask: 1111100\n")
    hint = "(YAML read 1111100 as a number: write it in quotes, '1111100')"
    with pytest.raises(ValueError, match=re.escape(hint)):
        check_params(discover_notebooks(["funnel_sla"]), read_params(params))
    with pytest.raises(ValueError, match=re.escape(hint)):
        sla.SLA(weekmask=1111100)


#: `weekmask` naming a day twice: numpy read "Mon Mon Tue Wed Thu" as four working days
TWICE = "Mon Mon Tue Wed Thu"
TWICE_REFUSED = (
    "SLA weekmask names each working weekday once, like 'Mon Tue Wed Thu Fri'; got "
    "'Mon Mon Tue Wed Thu', which names Mon more than once"
)


def test_a_weekmask_naming_a_day_twice_is_refused_naming_the_day(tmp_path, capsys):
    """It was taken as four working days, without a word: a slip for another week (perhaps
    "Sun Mon Tue Wed Thu") measured every SLA time on the wrong days."""
    with pytest.raises(ValueError) as refused:
        sla.SLA(weekmask=TWICE)
    assert str(refused.value) == TWICE_REFUSED
    with pytest.raises(ValueError, match="names Sat and Sun more than once"):
        sla.SLA(weekmask="SatSun Mon Sat Sun")  # numpy reads names run together too
    own = _params(tmp_path, f'notebooks:\n  funnel_sla:\n    weekmask: "{TWICE}"\n')
    with pytest.raises(ValueError) as refused:
        check_params(discover_notebooks(), read_params(own))
    assert str(refused.value) == f"the params file: notebooks.funnel_sla: {TWICE_REFUSED}"
    top = _params(tmp_path, f'weekmask: "{TWICE}"\n', "top.yaml")
    code, payload = _validate_json(capsys, SAMPLE, "--params", str(top))
    assert code == 2 and payload["error_kind"] == "params"
    assert payload["error"].endswith(f"weekmask (for notebook funnel_sla): {TWICE_REFUSED}")


def test_two_spellings_of_one_working_week_are_one_sla():
    # "1111100" against "Mon Tue Wed Thu Fri" made the index say "measured differently"
    assert sla.SLA(weekmask="1111100") == sla.SLA()
    assert sla.SLA(weekmask="Sun Mon Tue Wed Thu").weekmask == "Mon Tue Wed Thu Sun"
    assert sla.SLA(weekmask="0111110").weekmask == sla.SLA(weekmask="Tue Wed Thu Fri Sat").weekmask
