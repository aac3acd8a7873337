"""`smk report` refuses an export that loads no contact before any notebook runs (it published
a month of "not enough data" pages and exited 0: a silent failure for a scheduler), and
`smk validate` says so while it keeps calling an export with deals usable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from smk import config, sla
from smk.cli import main
from smk.report import check_params, discover_notebooks, read_params

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
        # one: `segmentation.deals_used`), but only when rates are given
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
        f"notebooks.funnel_sla: segments_csv: no such file {tmp_path.resolve() / 'nowhere.csv'} "
        "(a relative path in the params file is read from the params file's folder)"
    ) in err
    assert not (out / "2026-01").exists()


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
    assert payload["report_problem"].startswith("notebooks.funnel_sla: no exchange rate for CHF")
    assert payload["report_problem"].endswith("add the rates to the params file")
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
        (USD_BASED, ["attribution"], None),  # 04 has no reporting currency
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
