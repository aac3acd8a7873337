"""`smk report` on an export whose owners are personal names, with parameters keyed by owner:
the published notebooks hold no name (parameters, injected cell, outputs) and still re-run."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from smk import config
from smk.report import NAME_REMOVED, NAMES_NOTE_TAG, scrub_notebook

#: owner ids of the bundled sample -> the names a tester's export has instead
OWNERS = {"owner-01": "Jane Doe", "owner-02": "Doe, John"}
#: every form a name may take on a page ("Doe, John" is "John Doe" too)
FORMS = ("Jane Doe", "Doe, John", "John Doe")
TEAMS = {"Jane Doe": "inside sales", "Doe, John": "field"}


def _named_export(tmp_path: Path) -> Path:
    """The sample with owner-01 and owner-02 written as names in every owner column (Contact
    owner, Deal owner, Activity assigned to)."""
    data = tmp_path / "named"
    shutil.copytree(config.SAMPLE_HUBSPOT, data)
    for path in data.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for owner, name in OWNERS.items():
            text = text.replace(f'"{owner}"', json.dumps(name))
        path.write_text(text, encoding="utf-8")
    return data


def _report(tmp_path: Path, owner_labels: str | None) -> Path:
    settings = {"teams": TEAMS} | ({"owner_labels": owner_labels} if owner_labels else {})
    params = tmp_path / "p.yaml"
    params.write_text(json.dumps({"notebooks": {"funnel_sla": settings}}))  # JSON is YAML
    out = tmp_path / "rep"
    result = subprocess.run(
        [
            sys.executable, "-m", "smk", "report", "--data", str(_named_export(tmp_path)),
            "--params", str(params), "--out", str(out), "--month", "latest",
            "--notebooks", "funnel_sla", "--quiet",
        ],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (month,) = [p for p in out.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name)]
    return month


def _assert_no_name_in(month: Path, suffixes: tuple[str, ...] | None = None) -> None:
    files = [p for p in month.rglob("*") if p.is_file()]
    files = [p for p in files if suffixes is None or p.suffix in suffixes]
    assert any(p.suffix == ".ipynb" for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for name in FORMS:
            assert name not in text, (path.name, name)


def _team_table(book) -> str:
    """The plain text of the funnel page's SLA table by team."""
    cell = next(c for c in book.cells if 'by="team"' in c.source)
    return cell.outputs[0]["data"]["text/plain"]


def test_owner_keyed_teams_reach_the_published_notebook_as_pseudonyms_and_re_run(tmp_path):
    # The HTML, CSVs and JSON were clean, but the published 01_funnel_sla.ipynb held both
    # names in its parameters cell, papermill's injected cell and metadata.papermill.parameters
    month = _report(tmp_path, None)  # owner_labels "auto": owners shown by pseudonyms
    _assert_no_name_in(month)
    published = month / "01_funnel_sla.ipynb"
    book = nbformat.read(published, as_version=4)
    teams = book.metadata["papermill"]["parameters"]["teams"]
    assert sorted(teams.values()) == ["field", "inside sales"]
    assert all(re.fullmatch(r"rep-[0-9a-f]{6}", owner) for owner in teams)
    note = next(c for c in book.cells if NAMES_NOTE_TAG in c.metadata.get("tags", []))
    assert "pseudonym" in note.source and NAME_REMOVED not in note.source
    assert "Owners by pseudonym" not in (month / "01_funnel_sla.html").read_text()
    ran = _team_table(book)
    assert "inside sales" in ran and "field" in ran  # the teams applied in the report's run

    # re-run as published: the pseudonym-keyed teams put the same owners in the same teams
    rerun = tmp_path / "rerun.ipynb"
    done = subprocess.run(
        [
            sys.executable, "-m", "papermill", str(published), str(rerun),
            "-p", "output_dir", str(tmp_path / "rerun-out"),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _team_table(nbformat.read(rerun, as_version=4)) == ran


def test_owner_keyed_teams_lose_names_with_a_note_when_owners_are_shown_as_they_are(tmp_path):
    # owner_labels "ids": the notebook keys teams by the owners as written, so a pseudonym
    # would match nobody on a re-run; the names go and a note says to give teams again
    month = _report(tmp_path, "ids")
    # (with "ids" the notebook's own CSV and metrics exports show owners as written)
    _assert_no_name_in(month, (".ipynb", ".html"))
    book = nbformat.read(month / "01_funnel_sla.ipynb", as_version=4)
    teams = book.metadata["papermill"]["parameters"]["teams"]
    # one entry per owner, each numbered (two owners' names once became one key)
    assert set(teams) == {"[name removed 1]", "[name removed 2]"}
    note = next(c for c in book.cells if NAMES_NOTE_TAG in c.metadata.get("tags", []))
    assert "`teams`" in note.source and NAME_REMOVED in note.source
    assert "hide-in-report" in note.metadata["tags"]
    assert "Personal names removed" not in (month / "01_funnel_sla.html").read_text()


def _executed(tmp_path: Path, image: str) -> Path:
    """A small executed notebook as papermill leaves it, with names in its parameters and in
    every kind of output."""
    values = {"data_path": "/data/export", "teams": {"Doe, John": "field"}, "note": "Jane Doe"}
    book = new_notebook(
        cells=[
            new_code_cell('teams = {}\nnote = ""', metadata={"tags": ["parameters"]}),
            new_code_cell(
                '# Parameters\nteams = {"Doe, John": "field"}\n',
                metadata={"tags": ["injected-parameters"]},
            ),
            new_code_cell(
                "show()",
                outputs=[
                    new_output("stream", name="stdout", text="owner Jane Doe <jane@acme.test>\n"),
                    new_output(
                        "display_data",
                        data={"text/plain": "John Doe", "image/png": image},
                    ),
                    new_output(
                        "error", ename="KeyError", evalue="'Doe, John'", traceback=["Doe, John"]
                    ),
                ],
            ),
            new_markdown_cell("Asked by Jane Doe"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python"},
            "papermill": {"parameters": values},
        },
    )
    path = tmp_path / "executed.ipynb"
    nbformat.write(book, path)
    return path


def test_scrubbing_a_notebook_removes_names_everywhere_but_leaves_images_and_paths_whole(
    tmp_path,
):
    # a name between the `+` and `/` of an image's base64 text must not be touched
    image = base64.b64encode(b"\xff" * 30).decode() + "+Jane/" + "A" * 10
    path = _executed(tmp_path, image)
    scrub_notebook(path, {"Jane Doe", "Doe, John", "John Doe", "Jane"}, {})
    text = path.read_text(encoding="utf-8")
    for name in FORMS:
        assert name not in text
    assert "jane@acme.test" not in text
    book = nbformat.read(path, as_version=4)
    shown = next(c for c in book.cells if c.get("outputs"))
    assert shown.outputs[1]["data"]["image/png"] == image
    values = book.metadata["papermill"]["parameters"]
    assert values == {
        "data_path": "/data/export",
        "teams": {NAME_REMOVED: "field"},
        "note": NAME_REMOVED,
    }
    injected = next(c for c in book.cells if "injected-parameters" in c.metadata["tags"])
    assert f'teams = {{"{NAME_REMOVED}": "field"}}' in injected.source
    assert 'data_path = "/data/export"' in injected.source  # no name: as it was
    note = next(c for c in book.cells if NAMES_NOTE_TAG in c.metadata.get("tags", []))
    assert book.cells.index(note) == book.cells.index(injected) + 1
    assert "`teams`" in note.source and "`note`" in note.source and "`data_path`" not in note.source


@pytest.mark.parametrize("owner", ["Doe, John", "owner-07"])
def test_only_an_owner_key_that_is_a_name_becomes_its_pseudonym(tmp_path, owner):
    path = _executed(tmp_path, "")
    book = nbformat.read(path, as_version=4)
    book.metadata["papermill"]["parameters"] = {"teams": {owner: "field"}}
    nbformat.write(book, path)
    aliases = {"Doe, John": "rep-aaaaaa", "owner-07": "rep-bbbbbb"}
    scrub_notebook(path, {"Doe, John", "John Doe", "Jane Doe"}, aliases)
    values = nbformat.read(path, as_version=4).metadata["papermill"]["parameters"]
    assert values["teams"] == {"rep-aaaaaa" if owner == "Doe, John" else owner: "field"}


def test_e_mails_leave_a_published_notebook_s_outputs_even_when_it_shows_no_name(tmp_path):
    path = _executed(tmp_path, "")
    scrub_notebook(path, {"Somebody Else"}, {})
    text = path.read_text(encoding="utf-8")
    assert "jane@acme.test" not in text and "[e-mail removed]" in text
    assert "Jane Doe" in text  # not among the names given: left as it was


def _export_with_named_owners(folder: Path) -> Path:
    """Two contacts owned by "Jane Doe" and "John Smith", each worked within the hour."""
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,created_at,lifecycle_stage,became_mql_at,owner_id\n"
        "t1,2026-10-01T00:00:00Z,mql,2026-10-05T14:00:00Z,Jane Doe\n"
        "t2,2026-10-01T00:00:00Z,mql,2026-10-06T14:00:00Z,John Smith\n"
        "t3,2026-11-20T00:00:00Z,lead,,Jane Doe\n"
    )
    (folder / "activities.csv").write_text(
        "activity_id,contact_id,occurred_at,type,owner_id\n"
        "x1,t1,2026-10-05T15:00:00Z,call,Jane Doe\n"
        "x2,t2,2026-10-06T15:00:00Z,call,John Smith\n"
        "x3,t3,2026-11-20T15:00:00Z,call,Jane Doe\n"
    )
    return folder


def test_a_teams_key_naming_a_person_who_owns_nothing_is_published_nowhere(tmp_path, capsys):
    # "Mary Major" (a typo, or an owner no longer in the export) was published as written in
    # the page, the notebook, metrics-funnel_sla.json, metrics.json and the run's log
    from smk.report import LOG_FILE, run_report

    teams = {"Jane Doe": "east", "John Smith": "west", "Mary Major": "west", "owner-07": "x"}
    params = tmp_path / "p.yaml"
    params.write_text(json.dumps({"notebooks": {"funnel_sla": {"teams": teams}}}))
    out = tmp_path / "rep"
    data = _export_with_named_owners(tmp_path / "data")
    run_report(data, "2026-10", out, notebooks=["funnel_sla"], params=params)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"01_funnel_sla.html", "metrics.json", LOG_FILE} <= {p.name for p in files}
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for name in ("Mary Major", "Jane Doe", "John Smith"):
            assert name not in text, (path.name, name)
    err = capsys.readouterr().err
    # the operator's terminal names the key to fix (their own params file); the log does not
    assert "'Mary Major'" in err and "'owner-07'" in err
    metrics = json.loads((out / "2026-10" / "metrics-funnel_sla.json").read_text())
    shown = metrics["sla"]["teams"]
    assert shown[NAME_REMOVED] == "west" and shown["owner-07"] == "x"  # an id stays as written
    assert any(k.startswith("rep-") for k in shown)  # the owners' pseudonyms


def test_setting_names_are_the_owner_keys_that_look_like_names():
    from smk.report import setting_names

    settings = {
        "teams": {"Doe, Mary": "east", "owner-07": "west", "rep-3fa2c1": "west"},
        "notebooks": {"funnel_sla": {"teams": {"Mary Major": "west"}}, "other": None},
    }
    assert setting_names(settings) == {"Doe, Mary", "Mary Doe", "Mary Major", "Major, Mary"}
    assert setting_names({"teams": None, "notebooks": None}) == set()
