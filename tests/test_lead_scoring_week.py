"""The lead-scoring page judges by the sales team's working week, as the funnel page does:
notebook 03 takes `timezone`, `weekmask` and `holidays` (a params file's top-level setting
reaches it) and passes the week to `periods.resolve_month` and `scoring.lead_features`.

Before, 03 judged by Monday to Friday in UTC: a Sunday-to-Thursday team's export that ends
on Thursday read as a gap on the page ("as_of ... lies 2 days after the export's last
record"), and `smk report` refused a params file's top-level `weekmask` for 03 alone.
"""

from __future__ import annotations

import pytest
import yaml
from test_notebook_runs_small import _report

from smk import cli, load
from smk.periods import data_span, local_day
from smk.report import check_params, discover_notebooks, params_for, working_week
from smk.sla import SLA

WEEK = {"timezone": "Asia/Tokyo", "weekmask": "Sun Mon Tue Wed Thu", "holidays": ["2026-07-30"]}
GAP = "after the export's last record"


def test_a_params_files_top_level_week_reaches_the_lead_scoring_page():
    lead_scoring = discover_notebooks(["lead_scoring"])
    check_params(lead_scoring, WEEK)  # accepted: no longer "which no notebook takes"
    assert params_for(lead_scoring[0], WEEK) == WEEK
    assert working_week(WEEK, lead_scoring) == SLA(**WEEK)
    assert working_week({}, lead_scoring) == SLA(timezone="Europe/Berlin")  # the page's


@pytest.mark.parametrize(
    ("setting", "refused"),
    [
        ({"weekmask": "Mon Mon Tue"}, "weekmask (for notebook lead_scoring): SLA weekmask names"),
        ({"holidays": ["24.12.2026"]}, "holidays (for notebook lead_scoring): "),
        ({"timezone": "Berlin"}, "timezone (for notebook lead_scoring): SLA timezone 'Berlin'"),
        ({"weekmask": 1111100}, "weekmask (for notebook lead_scoring) must be of type str"),
    ],
)
def test_a_week_the_sla_refuses_is_refused_for_lead_scoring_as_for_the_funnel(setting, refused):
    with pytest.raises(ValueError, match="for notebook funnel_sla"):
        check_params(discover_notebooks(["funnel_sla"]), setting)
    with pytest.raises(ValueError, match=refused.replace("(", r"\(").replace(")", r"\)")):
        check_params(discover_notebooks(["lead_scoring"]), setting)


def _gap_warned(executed) -> bool:
    """Whether an executed notebook printed the as-of warning of `warn_if_after_data`."""
    return GAP in executed.read_text()


def _export_ending_late_on_wednesday(tmp_path):
    """A synthetic export (the end of July 2026) whose last record is a touch late on
    Wednesday 29 July in UTC, Thursday in Berlin: the last day of a Sunday-to-Thursday week."""
    export = tmp_path / "export"
    assert cli.main(["synth", "--contacts", "400", "--seed", "1", "--format", "canonical",
                     "--end", "2026-07-29", "--out", str(export)]) == 0  # fmt: skip
    with (export / "touchpoints.csv").open("a", encoding="utf-8") as touches:
        touches.write('"5999999999","3000000016","2026-07-29T22:30:00Z","referral",,"form"\n')
    return export


def test_the_lead_scoring_page_takes_a_sunday_to_thursday_teams_friday_as_no_gap(tmp_path):
    export = _export_ending_late_on_wednesday(tmp_path)
    last = data_span(load(export))[1]  # late on Wednesday in UTC: Thursday in Berlin
    assert local_day(last, SLA(timezone="Europe/Berlin")).day_name() == "Thursday"
    # July 2026 ends on a Friday: for the page's default week (Monday to Friday, Berlin's
    # days) it is a gap; for a Sunday-to-Thursday team it is the weekend
    week = tmp_path / "week"
    week.mkdir()
    (week / "params.yaml").write_text(yaml.safe_dump({"weekmask": "Sun Mon Tue Wed Thu"}))
    args = ["report", "--data", str(export), "--month", "2026-07", "--notebooks", "lead_scoring"]
    args += ["--quiet", "--out", str(week / "reports"), "--params", str(week / "params.yaml")]
    assert cli.main(args) == 0
    assert not _gap_warned(week / "reports" / "2026-07" / "03_lead_scoring.ipynb")
    code, month = _report(tmp_path / "default", export, "2026-07", "lead_scoring")
    assert code == 0
    assert _gap_warned(month / "03_lead_scoring.ipynb")


def test_the_funnel_sections_week_reaches_lead_scoring_as_it_chooses_the_month():
    # the report's month is judged by the funnel page's week (`working_week`), its section's
    # first: lead scoring counts the same days, unless its own section says otherwise
    lead_scoring, segmentation = discover_notebooks(["lead_scoring", "segmentation"])
    params = {"timezone": "UTC", "notebooks": {"funnel_sla": {**WEEK, "mql_target": 9}}}
    assert params_for(lead_scoring, params) == WEEK
    assert SLA(**params_for(lead_scoring, params)) == working_week(params, [lead_scoring])
    own = {**params, "notebooks": {**params["notebooks"], "lead_scoring": {"timezone": "UTC"}}}
    assert params_for(lead_scoring, own) == {**WEEK, "timezone": "UTC"}
    assert "weekmask" not in params_for(segmentation, params)


def test_a_week_refused_in_the_funnel_section_is_named_there_once():
    params = {"notebooks": {"funnel_sla": {"weekmask": 1111100}}}
    written = r"notebooks\.funnel_sla\.weekmask"
    with pytest.raises(ValueError, match=rf"{written} \(for notebook lead_scoring\) must be"):
        check_params(discover_notebooks(["lead_scoring"]), params)
    with pytest.raises(ValueError) as both:
        check_params(discover_notebooks(["funnel_sla", "lead_scoring"]), params)
    assert str(both.value).count("weekmask") == 1
    params = {"notebooks": {"funnel_sla": {"weekmask": "Mon Mon Tue"}}}
    with pytest.raises(ValueError, match=rf"{written} \(for notebook lead_scoring\): SLA weekmask"):
        check_params(discover_notebooks(["lead_scoring"]), params)


def test_a_sunday_to_thursday_week_in_the_funnel_section_is_no_gap_for_lead_scoring(tmp_path):
    export = _export_ending_late_on_wednesday(tmp_path)
    params = tmp_path / "params.yaml"
    week = {"notebooks": {"funnel_sla": {"weekmask": "Sun Mon Tue Wed Thu"}}}
    params.write_text(yaml.safe_dump(week))
    args = ["report", "--data", str(export), "--month", "latest", "--notebooks", "lead_scoring"]
    args += ["--quiet", "--out", str(tmp_path / "reports"), "--params", str(params)]
    assert cli.main(args) == 0  # latest: July, by the funnel section's week
    assert not _gap_warned(tmp_path / "reports" / "2026-07" / "03_lead_scoring.ipynb")


def test_lead_scorings_own_week_is_checked_beside_the_funnel_sections():
    # RV: a key the funnel section gives was skipped for lead scoring even when its own
    # section set it too, so a list of holidays written as a string passed the full run
    params = {
        "notebooks": {
            "funnel_sla": {"holidays": ["2026-12-24"]},
            "lead_scoring": {"holidays": "2026-12-25"},
        }
    }
    written = r"notebooks\.lead_scoring\.holidays must be of type list"
    with pytest.raises(ValueError, match=written):
        check_params(discover_notebooks(["funnel_sla", "lead_scoring"]), params)
