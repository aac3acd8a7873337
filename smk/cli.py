"""The `smk` command line: a thin layer over the package.

Exit codes: 0 success / data usable, 2 bad input (the message names file, column and row),
3 the report failed once it ran (a notebook failed: the message names notebook, cell and error;
or a file could not be written, as on a full disk: it names the file), 1 an internal error (a
bug in smk: the message says so; `--debug` shows the traceback), or the command's own output
could not be written (stdout or stderr on a full disk: `_OutputLost`, a one-line message). A
failed `smk report` ends its log (OUT/smk-report.log, once the run opened it) with the message
and the exit code. A reader of stdout or stderr that goes early (`| head`) changes no exit code
(`_ReaderMayGo`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import pandas as pd

import smk
from smk import config
from smk.checks import checked_tables
from smk.errors import CRMExportError, NoDataError
from smk.io import FORMATS, missing_source, resolve_mapping
from smk.io.files import arrow_csv, shown_name
from smk.model import SCHEMA
from smk.outputs import terminal_safe
from smk.quality import account_notes, every_table_account, not_in_export, set_aside_in_order

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT, EXIT_REPORT_FAILED = 0, 1, 2, 3
EXIT_NO_OUTPUT = 1  # stdout or stderr cannot be written (a full disk): no bug, but no result
SYNTH_YEARS = (1900, 2200)  # synthetic data stays well inside what timestamps can hold


def _at_least(least: int):
    """An argparse type: a whole number of at least `least`."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return whole


_positive, _seed = _at_least(1), _at_least(0)


def _day(text: str) -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day like 2026-10-31: {text!r}") from None
    if not SYNTH_YEARS[0] <= day.year <= SYNTH_YEARS[1]:
        raise argparse.ArgumentTypeError(
            f"must lie between {SYNTH_YEARS[0]} and {SYNTH_YEARS[1]}, got {text}"
        )
    return text


def _reading_options(p: argparse.ArgumentParser) -> None:
    """How to read the export: the same options for `validate` and `report`."""
    p.add_argument(
        "--format",
        default="auto",
        help=f"one of {', '.join(FORMATS)} (default: auto), a mapping file (.yaml) or the name "
        "of a mapping smk ships (pipedrive)",
    )
    p.add_argument(
        "--mapping",
        help="YAML mapping file for CRMs without a built-in loader, or the name of one smk "
        "ships (pipedrive; a file of that name in the current folder wins)",
    )
    p.add_argument("--timezone", help="time zone of timestamps written without one (default UTC)")
    p.add_argument("--dayfirst", action="store_true", default=None, help="read 01/02 as 1 February")
    p.add_argument(
        "--decimal",
        choices=[".", ","],
        help="decimal mark of every number column, when the numbers do not show it (1.500; 1,500 in a ;-delimited file)",
    )
    p.add_argument(
        "--schema", help="SQL sources: the database schema holding the tables (e.g. hubspot)"
    )


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error of `smk validate ... --json` (a bad `--decimal`,
    no path) is also the JSON object of an unusable validation on stdout, as every other
    failure of it is (`_failed`): a script has one to read whatever the outcome. Then, as
    argparse does, the usage and the error on stderr, exit 2."""

    #: the command line being parsed (`_run`)
    given: list[str] = []

    def error(self, message: str):
        if _validates_to_json(self.given):
            kind = next((k for o, k in _OPTION_KINDS.items() if o in message), "export")
            payload = {"format": None, "source": None, "usable": False, "tables": {}}
            payload |= {"error": message, "error_kind": kind}  # no source: the line is refused
            _print(
                json.dumps(payload | {"report_ready": False, "report_problem": message}, indent=2)
            )
        super().error(message)


#: the `error_kind` of a usage error naming an option (`_Parser`); any other: "export" (the
#: path, or an option saying how to read the export)
_OPTION_KINDS = {"--params": "params", "--set-aside": "set_aside"}


def _validates_to_json(given: list[str]) -> bool:
    """Whether the command line `given` is `smk validate ... --json` (or an abbreviation
    argparse takes for it: `--js`)."""
    words = [w for w in given if not w.startswith("-")]
    json = any(len(w) > 2 and "--json".startswith(w) for w in given)
    return bool(words) and words[0] == "validate" and json


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smk",
        description="smarketing analytics: marketing and sales as one team, from one CRM export.",
    )
    parser.add_argument("--version", action="version", version=f"smk {smk.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "validate",
        help="load an export, print its data-quality account and a summary",
        description="Load a CRM export and account for every row: read, loaded, set aside (why). "
        "Exit 0 when the data is usable, 2 when it is not.",
    )
    p.add_argument("path", help="export folder or file, SQLAlchemy URL, or mapping file (.yaml)")
    _reading_options(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print the account as one JSON object: every table of the model under 'tables' "
        "(read 0 when the export lacks it), 'missing_tables' (no row loaded), 'report_ready' "
        "(false when `smk report --month latest` with the notebooks' default parameters refuses "
        "the export: no contact loaded, no full month yet, or deal currencies without a default "
        "exchange rate; "
        "'report_problem' says why); on exit 2 or 1 the object says usable: false and "
        "carries 'error' (and 'file', 'column', 'row', 'value' where known) and 'error_kind': "
        "'export' (the export cannot be read or loads nothing usable), 'params' (the --params "
        "file is refused), 'set_aside' (the --set-aside folder is refused or cannot be "
        "written) or 'internal' (a bug, exit 1)",
    )
    p.add_argument(
        "--params",
        metavar="FILE.yaml",
        help="judge 'report_ready' with the settings `smk report --params FILE.yaml` would run "
        "with (its fx_rates and reporting_currency), not the notebooks' defaults; a params file "
        "`smk report` would refuse is refused here too (exit 2)",
    )
    p.add_argument(
        "--set-aside",
        metavar="DIR",
        help="write the set-aside rows of every table as DIR/<table>.set_aside.csv, with only "
        "the header for a table with none (so DIR shows this run, not an earlier one); "
        "nothing is written when the export cannot be read at all",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "synth",
        help="generate a synthetic CRM export with known ground truth",
        description="Write a realistic synthetic CRM export (with a little deliberate mess) and "
        "its ground truth in OUT/truth/.",
    )
    p.add_argument(
        "--contacts", type=_positive, default=3000, help="number of contacts (default 3000)"
    )
    p.add_argument("--months", type=_positive, default=12, help="months of history (default 12)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed, 0 or more (default 0)")
    p.add_argument(
        "--end", type=_day, default="2026-10-31", help="last day of the data (default 2026-10-31)"
    )
    p.add_argument(
        "--format",
        default="hubspot",
        choices=["hubspot", "salesforce", "canonical"],
        help="export format (default hubspot)",
    )
    p.add_argument("--no-mess", action="store_true", help="do not spoil any rows")
    p.add_argument("--out", required=True, help="output folder: new or empty (see --replace)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="delete an earlier synthetic export in OUT first (a folder holding truth/); "
        "without it a non-empty OUT is refused, as files of two exports would be read as one",
    )
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser(
        "report",
        help="run every notebook on one month and publish the monthly report",
        description="Run the numbered notebooks with papermill on one month of an export and "
        "publish OUT/YYYY-MM/ (HTML without code, executed notebooks, CSV exports, metrics.json, "
        "index.html) atomically: a failed run leaves the published month untouched.",
    )
    p.add_argument("--data", required=True, help="export folder or file, SQL URL, or mapping file")
    _reading_options(p)
    p.add_argument(
        "--month",
        default="latest",
        help="YYYY-MM, or 'latest': the last month the data covers from its first to its last "
        "working day (meetings and tasks dated ahead do not count)",
    )
    p.add_argument(
        "--out",
        default="reports",
        help="reports folder: new, empty or smk's own (default: reports/ in the current folder)",
    )
    p.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="run only these notebooks (file name, stem or short name, e.g. data_quality); "
        "their pages and outputs replace theirs in an already published month, whose other "
        "pages and exports are kept and listed in the rebuilt index",
    )
    p.add_argument(
        "--notebook-dir", default=str(config.NOTEBOOKS_DIR), help="folder of numbered notebooks"
    )
    p.add_argument("--params", metavar="FILE.yaml", help="SLA and model settings for the notebooks")
    p.add_argument("--include-pii", action="store_true", help="keep e-mails and names in the HTML")
    p.add_argument("--quiet", action="store_true", help="no progress output (for schedulers)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command `argv` names (default: the command line's); returns its exit code.

    While it runs, stdout and stderr are `_ReaderMayGo`: a reader that goes before the
    command ends (`smk validate PATH 2>&1 | head`) changes no exit code; output that cannot be
    written (`/dev/full`, a full disk) ends the command with `EXIT_NO_OUTPUT` and one line on
    stderr, never a traceback."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (_ReaderMayGo(s) if s is not None else s for s in streams)
    try:
        try:
            return _run(argv)
        finally:
            for stream in (sys.stdout, sys.stderr):  # what is still buffered, before they go
                if stream is not None:
                    stream.flush()
    except _OutputLost as exc:
        return _output_lost(exc)
    finally:
        sys.stdout, sys.stderr = streams


class _OutputLost(Exception):
    """stdout or stderr could not be written (an OSError other than a closed pipe: a full
    disk); not an OSError, so that no command takes it for a file of the export."""


def _output_lost(exc: _OutputLost) -> int:
    """Say on stderr that the output was lost (stderr itself lost: nothing more to say)."""
    with contextlib.suppress(_OutputLost):
        print(f"smk: error: {exc}", file=sys.stderr, flush=True)
    return EXIT_NO_OUTPUT


def _run(argv: list[str] | None) -> int:
    """`main`'s command: parsed, run, its failures turned into exit codes."""
    parser = _parser()
    _Parser.given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    try:
        code = args.func(args)
    except CRMExportError as exc:
        return _failed(args, EXIT_BAD_INPUT, f"smk: error: {exc}", exc)
    except KeyboardInterrupt:
        _report_logged(args, 130, "smk: interrupted")
        return 130
    except SystemExit as exc:  # smk.report.Terminated: SIGTERM or SIGHUP ended a report
        signum = getattr(exc, "signum", None)
        if signum is not None:  # logged as a failure, like an interrupt: the run did not end
            _report_logged(args, int(exc.code), f"smk: terminated by signal {signum}")
        raise
    except _OutputLost:
        raise  # `main` says so
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # stdout's and stderr's are absorbed: another pipe
            return _internal_error(args, exc)
        # a path the user gave cannot be read or written: not a bug
        return _failed(args, EXIT_BAD_INPUT, f"smk: error: {_os_problem(exc)}", exc)
    except Exception as exc:  # an internal error: say so, do not dump a traceback on users
        return _internal_error(args, exc)
    return code


def _os_problem(exc: OSError) -> str:
    """An OSError as the error line says it: the file, then why."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _internal_error(args: argparse.Namespace, exc: Exception) -> int:
    message = (
        f"smk: internal error ({type(exc).__name__}: {exc}). This is a bug in smk; "
        "re-run with --debug for the traceback and report it."
    )
    if args.debug:
        _report_logged(args, EXIT_BUG, message)
        raise exc
    return _failed(args, EXIT_BUG, message, exc)


#: `validate --json`'s `error_kind`: what the failure is the fault of (`ERROR_KINDS`)
ERROR_KINDS = ("export", "params", "set_aside", "internal")


def _failed(
    args: argparse.Namespace,
    code: int,
    message: str,
    exc: Exception | None = None,
    kind: str | None = None,
) -> int:
    """Say why the command failed on stderr (and, for `validate --json`, as the JSON object on
    stdout, so that a script always has one to read, with `kind` as its `error_kind`: by
    default "internal" for `EXIT_BUG`, else "export"; in `smk report`'s log, as it is fit to
    publish: `_report_logged`); return the exit code."""
    message = _report_logged(args, code, message)
    print(shown_name(message), file=sys.stderr)  # `M\xe4rz.csv`, as the other outputs show it
    if getattr(args, "json", False):
        kind = kind or ("internal" if code == EXIT_BUG else "export")
        payload = _unusable(args, message.removeprefix("smk: error: "), kind)
        if isinstance(exc, CRMExportError):
            payload.update(reason=exc.reason, file=exc.file, column=exc.column, row=exc.row)
            payload.update(value=exc.value, found_columns=exc.found_columns)
        elif isinstance(exc, OSError):
            payload["file"] = None if exc.filename is None else str(exc.filename)
        _print(json.dumps(payload, indent=2, default=str))
    return code


def _report_logged(args: argparse.Namespace, code: int, message: str) -> str:
    """For `smk report`: log `message` and the exit `code` as the run's last line (when the
    run opened its log) and return it as the log has it (`smk.report.log_failure`: home folder
    as `~`, no e-mail address, none of the export's personal names), which is also what the
    terminal shows: the kept failed notebook it names holds the rest. Other commands: as is."""
    if getattr(args, "command", None) != "report":
        return message
    from smk.report import log_failure

    return "smk: " + log_failure(args.out, message.removeprefix("smk: "), code)


def _unusable(args: argparse.Namespace, error: str, kind: str) -> dict:
    """The JSON of a validation that found nothing usable: the keys of a success, no tables,
    the `error` and its `error_kind` (`ERROR_KINDS`)."""
    source = str(args.path)
    if "://" in source:
        from smk.io.sql import mask_url  # never a password in the output

        source = mask_url(source)
    payload = {"format": None, "source": source, "usable": False, "tables": {}, "error": error}
    return payload | {"error_kind": kind, "report_ready": False, "report_problem": error}


def _print(text: str) -> None:
    """A command's output on stdout (a reader that has gone: `_ReaderMayGo`)."""
    try:
        print(text, flush=True)
    except UnicodeEncodeError:  # a file name that is no UTF-8, and a stdout that is strict
        encoding = sys.stdout.encoding or "utf-8"
        text = shown_name(text).encode(encoding, "backslashreplace").decode(encoding)
        print(text, flush=True)


class _ReaderMayGo:
    """stdout or stderr, whose reader may go before the command ends (`| head`, `| true`):
    not an error, and no change to the exit code. A write or flush into the closed pipe
    sends the stream to the null device, as Python's docs advise (signal module, "Note on
    SIGPIPE"): the rest of the output is dropped, and the command carries on to exit with
    its own code. Any other failure to write (a full disk) is `_OutputLost`, the stream then
    sent to the null device too (no second error at exit). What is written is `terminal_safe`
    (a warning quoting CRM text with escape sequences does nothing to the terminal).
    Everything else is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            self._stream.write(terminal_safe(text))  # CRM text a message quotes does nothing
            return len(text)
        except BrokenPipeError:
            self._drop()
            return len(text)
        except OSError as exc:
            raise self._lost(exc) from exc

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()
        except OSError as exc:
            raise self._lost(exc) from exc

    def _lost(self, exc: OSError) -> _OutputLost:
        """The output cannot be written: the stream dropped, the error to raise."""
        name = getattr(self._stream, "name", None)
        name = {"<stdout>": "stdout", "<stderr>": "stderr"}.get(str(name), "the output")
        self._drop()
        return _OutputLost(f"cannot write to {name}: {exc.strerror or exc}")

    def _drop(self) -> None:
        """Point the stream's file descriptor at the null device, so that what is still
        buffered goes there too (no error at exit's flush either)."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # a stream without a file descriptor (captured)
            self._stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - stays open until exit

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


# ---------------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    refused = _set_aside_problem(args) if args.set_aside else None
    if refused:
        return _failed(
            args, EXIT_BAD_INPUT, f"smk: error: --set-aside: {refused}", kind="set_aside"
        )
    try:
        params = _report_params(args.params)
    except ValueError as exc:
        return _failed(args, EXIT_BAD_INPUT, f"smk: error: --params: {exc}", kind="params")
    crm = smk.load(
        args.path,
        format=args.format,
        mapping=args.mapping,
        timezone=args.timezone,
        dayfirst=args.dayfirst,
        schema=args.schema,
        decimal=args.decimal,
    )
    usable = any(len(df) for df in crm.tables().values()) and len(crm.contacts) + len(crm.deals) > 0
    shown = crm.source or args.path  # a database URL's password is masked in the source
    problem = None if usable else f"{shown}: no usable contacts or deals were loaded"
    if args.set_aside:
        try:
            _write_set_aside(crm, Path(args.set_aside))
        except OSError as exc:  # a full disk, a folder no longer writable: not the export's fault
            message = f"smk: error: {_os_problem(exc)}"
            return _failed(args, EXIT_BAD_INPUT, message, exc, kind="set_aside")
    if args.json:
        _print(json.dumps(account_json(crm, problem, params), indent=2, default=str))
    else:
        _print(render_account(crm, params))
    if problem:
        print(f"smk: error: {shown_name(problem)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _report_params(path: str | None) -> dict | None:
    """The settings of `validate --params FILE` (None without it), refused as `smk report`
    refuses them (`read_params`, `check_params`): a ValueError says why."""
    if path is None:
        return None
    from smk import config
    from smk.report import check_params, discover_notebooks, read_params

    settings = read_params(path)
    check_params(discover_notebooks(None, config.NOTEBOOKS_DIR), settings)
    return settings


@checked_tables
def account_json(crm: smk.CRM, problem: str | None = None, params: dict | None = None) -> dict:
    """`validate --json`: format, source, usable, every table of the model (read 0 when the
    export lacks it), the tables with no row loaded, the warnings (the export's, then those
    `smk report` gives for `params`: `_params_warnings`; and the error, if any, with its
    `error_kind`: "export"), and whether `smk report` runs on the export (`report_ready`;
    when not, `report_problem` says why: `smk.report.default_report_blocker`, with `params`:
    a params file's settings)."""
    from smk.report import default_report_blocker

    quality = every_table_account(crm).to_dict()
    payload = {"format": crm.format, "source": crm.source, "usable": problem is None}
    payload |= {"tables": quality["tables"], "missing_tables": crm.missing_tables()}
    payload["warnings"] = quality["warnings"] + _params_warnings(crm, params)
    if problem:
        payload |= {"error": problem, "error_kind": "export"}
    blocker = default_report_blocker(crm, params)
    payload["report_ready"] = blocker is None
    if blocker:
        payload["report_problem"] = blocker
    return payload


def _params_warnings(crm: smk.CRM, params: dict | None) -> list[str]:
    """What `smk report` warns of in the params file `params` (None: none) on this export
    before its notebooks run, in the same words: a `teams` key naming no owner
    (`smk.report.team_warnings_before_report`), a `channel_groups` entry naming no channel
    (`smk.report.channel_group_warnings`). The terminal's only: keys as written."""
    from smk.report import channel_group_warnings, discover_notebooks, team_warnings_before_report

    if not params:
        return []
    return team_warnings_before_report(crm, params) + channel_group_warnings(
        crm, discover_notebooks(), params
    )


@checked_tables
def render_account(crm: smk.CRM, params: dict | None = None) -> str:
    """The data-quality account and a summary as plain text (and, when `smk report` would
    refuse the export, why: `smk.report.default_report_blocker`, with `params`: a params
    file's settings, whose warnings are listed with the export's: `_params_warnings`)."""
    from smk.report import default_report_blocker

    lines = [f"{crm.source}  (format: {crm.format})", "", "Data-quality account"]
    account = crm.quality.to_frame()
    lines.append(account.to_string(index=False) if len(account) else "  (no tables found)")
    lines += [f"  {note}" for note in account_notes(crm)]  # rows of another object read in
    warned = crm.quality.warnings + _params_warnings(crm, params)
    if warned:
        lines += ["", "Warnings"] + [f"  - {w}" for w in warned]
    missing = crm.missing_tables()
    read = {t for t, a in crm.quality.tables.items() if a.read}
    filed = {t for t, names in crm.quality.files.items() if names}  # a file, if only a header
    absent = not_in_export(crm)
    if absent:
        lines += ["", f"Not in this export: {', '.join(absent)}"]
    empty = [t for t in missing if t not in read and t in filed]
    if empty:
        lines += ["", f"In this export, but without a row (a header only): {', '.join(empty)}"]
    if set(missing) & read:
        emptied = ", ".join(t for t in missing if t in read)
        lines += ["", f"Read, but every row set aside (see above): {emptied}"]
    blocker = default_report_blocker(crm, params)
    if blocker:
        lines += ["", f"smk report cannot run on this export: {blocker}"]
    lines += ["", "Summary"]
    summary = crm.summary()
    for col in ("first", "last"):
        summary[col] = summary[col].map(lambda t: "" if t is None or pd.isna(t) else str(t)[:10])
    lines.append(summary.to_string(index=False))
    if len(crm.contacts):
        lines += ["", "Contacts by lifecycle stage"]
        lines += [f"  {stage:<12}{n:>8}" for stage, n in _stage_counts(crm.contacts).items()]
    return "\n".join(lines)


def _stage_counts(contacts: pd.DataFrame) -> dict[str, int]:
    """The contacts at each lifecycle stage, in funnel order, and, when some have none, a last
    "(no stage)" line: the counts add up to the contacts loaded."""
    stage = contacts["lifecycle_stage"]
    counts = stage.value_counts().reindex(smk.model.STAGES).fillna(0).astype(int).to_dict()
    if stage.isna().any():
        counts["(no stage)"] = int(stage.isna().sum())
    return counts


def _set_aside_problem(args: argparse.Namespace) -> str | None:
    """Why `--set-aside DIR` cannot take the set-aside rows, or None: DIR is a file, or the
    export's folder or a folder inside it (the next load would read them as export rows)."""
    aside = Path(os.path.expanduser(args.set_aside))
    if aside.exists() and not aside.is_dir():
        return f"{aside} is a file, not a folder"
    export, where = _export_folder(args), aside.resolve()
    if export is None or (where != export[0] and export[0] not in where.parents):
        return None
    folder, file = export
    if file is None:
        what = "the export folder" if where == folder else f"inside the export folder {folder}"
        load = "the next load"
    else:
        what = f"the folder of the export file {file}"
        what = what if where == folder else f"inside {folder}, {what}"
        load = "a load of that folder"
    return (
        f"{aside} is {what}: {load} would read the set-aside files as rows of the export; "
        "choose a folder outside it"
    )


def _export_folder(args: argparse.Namespace) -> tuple[Path, str | None] | None:
    """The folder holding the export `validate` reads (resolved), with the name of the file
    when the export is one data file: PATH itself, the data folder of a mapping file given as
    PATH, or the folder of an export given as one data file (a later `smk validate FOLDER`
    reads every data file in it); None for a database or an archive, read as themselves."""
    from smk.io.mapping import data_files, read_mapping

    source = str(args.path)
    if "://" in source:
        return None
    path = Path(os.path.expanduser(source))
    if path.is_file() and path.suffix.lower() in {".yaml", ".yml"}:
        path = path.parent / (read_mapping(path).data or ".")
    if path.is_dir():
        return path.resolve(), None
    if path.is_file() and path.resolve() in {p.resolve() for p in data_files(path.parent)}:
        return path.parent.resolve(), path.name
    return None


def _write_set_aside(crm: smk.CRM, out: Path) -> None:
    """Every table's set-aside rows as `out/<table>.set_aside.csv`, only the header for a table
    with none: each file is this run's, whatever an earlier run left in the folder. The rows
    in the order of the data-quality page's CSV (`smk.quality.set_aside_in_order`: faults
    first). Safe to open in a spreadsheet (`outputs.export_csv`: a cell like
    `=HYPERLINK(...)` is not run)."""
    from smk.outputs import export_csv

    for name in SCHEMA:
        export_csv(set_aside_in_order(crm, name), out, f"{name}.set_aside.csv")


# ---------------------------------------------------------------------------------- synth
def cmd_synth(args: argparse.Namespace) -> int:
    from smk import synth

    problem = _synth_problem(args)
    if problem:
        print(f"smk: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    data = synth.synthesize(
        n_contacts=args.contacts, months=args.months, seed=args.seed, end=args.end
    )
    if args.replace and Path(args.out).is_dir():  # only once the new export exists in memory
        shutil.rmtree(args.out)
    try:
        out = synth.write_export(
            data, args.out, format=args.format, mess=not args.no_mess, seed=args.seed
        )
    except OSError as exc:  # a file of that name, no permission, a full disk
        print(f"smk: error: cannot write the export to {args.out}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _print(_synth_summary(args.format, Path(out)))
    return EXIT_OK


def _synth_summary(fmt: str, out: Path) -> str:
    """What `smk synth` wrote: each export file of `out` with the rows it holds, counted in
    the file (a Salesforce export holds one campaign member per campaign and person, not a
    row per touchpoint; the deliberate mess adds a few rows)."""
    rows = {p.name: _csv_rows(p) for p in sorted(out.glob("*.csv"))}
    width = max(map(len, rows), default=0)
    lines = [f"wrote a synthetic {fmt} export to {out} (ground truth in {out}/truth):"]
    lines += [
        f"  {name:<{width}}  {n:>10,} {'row' if n == 1 else 'rows'}" for name, n in rows.items()
    ]
    return "\n".join(lines)


def _csv_rows(path: Path) -> int:
    """The records of a CSV file below its header (a quoted line break is no new record, a
    blank line none at all, a row of another length one record), counted by Arrow's reader
    on the first column only: a 1M-contact export's 10M rows in a second or two, where
    Python's csv module takes ten. Read by `smk.io.files.arrow_csv`, which keeps the Python
    row handler off Arrow's thread pool (this is the last read before `smk synth` exits)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    ragged = []

    def count(row) -> str:
        ragged.append(row.number)
        return "skip"

    table = arrow_csv(
        path,
        pacsv.ReadOptions(autogenerate_column_names=True),
        pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=count),
        pacsv.ConvertOptions(include_columns=["f0"], column_types={"f0": pa.string()}),
    )
    return max(table.num_rows + len(ragged) - 1, 0)


def _synth_problem(args: argparse.Namespace) -> str | None:
    """Why `smk synth` cannot write what was asked, or None."""
    out = Path(args.out)
    end = dt.date.fromisoformat(args.end)
    if end.year * 12 + end.month - args.months < SYNTH_YEARS[0] * 12:  # first month of data
        return f"--months: {args.months} months before {args.end} reach back past {SYNTH_YEARS[0]}"
    if not str(args.out).strip():
        return "--out: give a folder"
    if out.exists() and not out.is_dir():
        return f"cannot write the export to {out}: it is a file, not a folder"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    if not args.replace:
        return (
            f"{out} is not empty: choose a new folder, or pass --replace to delete an earlier "
            "synthetic export there first"
        )
    if not _earlier_export(out):
        return (
            f"{out} holds more than an earlier synthetic export (export files and truth/ with "
            "channel_effects.csv): not deleted"
        )
    return None


def _earlier_export(folder: Path) -> bool:
    """`folder` looks like what `smk synth` wrote: its truth and export files, nothing else."""
    if not (folder / "truth" / "channel_effects.csv").is_file():
        return False
    written = {".csv", ".parquet", ".json", ".gz"}
    return all(
        p.name == "truth" if p.is_dir() else "".join(p.suffixes[-1:]).lower() in written
        for p in folder.iterdir()
    )


# ---------------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from smk.report import ReportError, run_report

    for name in ("data", "out", "params", "mapping", "notebook_dir"):  # `~/...` without a shell
        value = getattr(args, name, None)
        if isinstance(value, str) and value.startswith("~"):
            setattr(args, name, os.path.expanduser(value))
    if "://" not in args.data and not Path(args.data).exists():
        raise missing_source(args.data)
    # `--mapping pipedrive`: the shipped file's path, which the published notebooks re-read with
    args.format, args.mapping = resolve_mapping(args.format, args.mapping)
    try:
        result = run_report(
            args.data,
            args.month,
            args.out,
            data_format=args.format,
            mapping=args.mapping,
            timezone=args.timezone,
            dayfirst=args.dayfirst,
            schema=args.schema,
            decimal=args.decimal,
            notebooks=args.notebooks,
            params=args.params,
            quiet=args.quiet,
            include_pii=args.include_pii,
            notebook_dir=args.notebook_dir,
        )
    except ReportError as exc:
        return _failed(args, EXIT_REPORT_FAILED, f"smk: report failed: {exc}", exc)
    except ValueError as exc:
        if not _report_input_error(exc):
            raise  # a ValueError from inside pandas, Arrow, ...: a bug, not the user's input
        return _failed(args, EXIT_BAD_INPUT, f"smk: error: {exc}", exc)
    if not args.quiet:
        lines = [f"published {result.folder}/index.html"]
        for run in result.runs:
            lacking = "  (not enough data this month)" if run.no_data else ""
            lines.append(f"  {run.path.name:<28}{run.seconds:>7.1f} s{lacking}")
        lines.append("  " + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
        _print("\n".join(lines))
    return EXIT_OK


#: Modules whose own `raise ValueError(...)` are the report's checks of its arguments: the
#: month (`periods`), the params file, the notebook names, the reports folder (`report`).
_ARGUMENT_CHECKS = ("smk.periods", "smk.report")


def _report_input_error(exc: ValueError) -> bool:
    """Whether a ValueError out of `run_report` is smk's word on the user's input (exit 2).

    smk's own errors for bad input are CRMExportError, NoDataError, the report's `Refusal`
    of the export, and the plain ValueErrors its argument checks raise; a ValueError raised
    inside a library (ArrowInvalid, a JSONDecodeError, pandas' own) or of another smk module
    is an internal error.
    """
    from smk.report import Refusal

    if isinstance(exc, (CRMExportError, NoDataError, Refusal)):
        return True
    if type(exc) is not ValueError or exc.__traceback__ is None:
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__") in _ARGUMENT_CHECKS


if __name__ == "__main__":
    raise SystemExit(main())
