"""smk in a locale that is not UTF-8 (LC_ALL=C, fr_FR.ISO-8859-1, a Windows code page).

The text smk writes (pages, logs, manifests) is UTF-8, as the pages declare, whatever the
locale: `smk report` crashed writing the month's index (`'latin-1' codec can't encode
character '\\u2212'`) and published nothing. And Arrow, which encodes a file name as UTF-8,
is handed the file opened by Python when the file system encodes names otherwise
(`files.arrow_file`): an export or a model in `Café données` was "not found" in a Latin-1
locale, and a UnicodeEncodeError under LC_ALL=C.

The locale is LC_ALL=C with Python's UTF-8 mode and locale coercion off (PYTHONUTF8=0,
PYTHONCOERCECLOCALE=0): ASCII text and file names, with no locale files to install.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smk.io import files

SMK = Path(__file__).parent.parent / "smk"
ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
PRELUDE = """
import codecs, locale, sys
from pathlib import Path
assert codecs.lookup(locale.getpreferredencoding(False)).name != "utf-8"
assert codecs.lookup(sys.getfilesystemencoding()).name != "utf-8"
root = Path(sys.argv[1])
"""


#: An ASCII locale's file-system encoding exists on Linux (and other Unix but macOS): on macOS
#: and Windows Python names files in UTF-8 whatever the locale, so there is no such case to run
ascii_file_names = pytest.mark.skipif(
    sys.platform in ("darwin", "win32"), reason="file names are UTF-8 in every locale here"
)


def _in_ascii_locale(script: str, folder: Path) -> None:
    """Run `script` (ASCII: the locale decodes the command too) in a Python of the ASCII
    locale, with `root` the Path of `folder` (a name beyond ASCII reaches it as bytes that are
    no text there, held with surrogates)."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script), str(folder)],
        env=os.environ | ASCII_LOCALE,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert done.returncode == 0, done.stderr
    assert "Logging error" not in done.stderr, done.stderr


@ascii_file_names
def test_the_pages_and_the_log_are_utf8_in_an_ascii_locale(tmp_path: Path) -> None:
    _in_ascii_locale(
        """
        from smk import periods
        from smk.report import _log_to, log, write_month_index, write_reports_index

        context = {"month": "2026-10", "source": "x", "generated": "now", "version": "0"}
        (root / "2026-10").mkdir()
        write_month_index(root / "2026-10", periods.as_month("2026-10"), [], context, root)
        write_reports_index(root, {"2026-10": "its previous month changed"})
        _log_to(root / "smk-report.log")
        log.info("the export Caf\\u00e9 \\u2212 Caf\\udcc3\\udca9")
        """,
        tmp_path,
    )
    month = (tmp_path / "2026-10" / "index.html").read_bytes().decode("utf-8")
    assert '<meta charset="utf-8">' in month and " · " in month
    assert " · <strong>out of date:</strong>" in (tmp_path / "index.html").read_bytes().decode()
    log = (tmp_path / "smk-report.log").read_bytes().decode("utf-8")
    # a name of bytes that are no UTF-8 (held with surrogates) as Python shows it
    assert "the export Café \u2212 Caf\\udcc3\\udca9" in log


@ascii_file_names
def test_exports_and_models_in_a_folder_of_a_name_beyond_ascii_are_written_and_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "Café données"
    _in_ascii_locale(
        """
        import smk
        from smk import synth
        from smk.io.canonical import write_canonical
        from smk.io.mapping import _file_headers

        made = synth.synthesize(n_contacts=300, months=2)
        synth.write_export(made, root / "export", format="canonical")  # the truth too
        crm = smk.load(root / "export")
        crm.to_parquet(root / "model")
        write_canonical(crm, root / "parquet", "parquet")
        again = smk.load(root / "parquet")
        back = smk.CRM.from_parquet(root / "model")
        assert _file_headers(root / "parquet" / "deals.parquet")[:1] == ["deal_id"]
        for table in ("contacts", "deals", "touchpoints"):
            rows = len(getattr(crm, table))
            assert rows == len(getattr(back, table)) == len(getattr(again, table)) > 0, table
        """,
        folder,
    )
    assert (folder / "export" / "truth" / "contacts.csv").stat().st_size > 0
    assert (folder / "model" / "contacts.parquet").stat().st_size > 0


def test_arrow_is_given_the_file_when_the_file_system_encodes_its_name_otherwise(
    tmp_path: Path, monkeypatch
) -> None:
    """A Latin-1 file system (as in fr_FR.ISO-8859-1): `Café` is not Arrow's `Caf\\xc3\\xa9`."""
    (tmp_path / "Café.csv").write_bytes(b"a\n1\n")
    (tmp_path / "cafe.csv").write_bytes(b"a\n1\n")
    monkeypatch.setattr(os, "fsencode", lambda path: str(path).encode("latin-1"))
    with files.arrow_file(tmp_path / "Café.csv") as given:
        assert given.read() == b"a\n1\n"
    with files.arrow_file(tmp_path / "cafe.csv") as given:
        assert given == str(tmp_path / "cafe.csv")  # the name: Arrow opens the file itself


def _text_opens_without_encoding(tree: ast.AST) -> list[int]:
    """The lines of `tree` that open a text file, or read or write one, with no `encoding`:
    the locale's encoding, not UTF-8 (`open`, `Path.open`, `os.fdopen` and the temporary
    files in a mode without "b", `read_text`, `write_text`, `logging.FileHandler`)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        on_os = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "os"
        mode_at = {"open": 0 if isinstance(func, ast.Attribute) else 1, "fdopen": 1}
        binary = {"TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile"}
        if name in mode_at and not (name == "open" and on_os):
            mode = _argument(node, mode_at[name], "mode", "r")
        elif name in binary:
            mode = _argument(node, 0, "mode", "w+b")
        else:
            mode = "" if name in {"read_text", "write_text", "FileHandler"} else "b"
        if isinstance(mode, str) and "b" not in mode:
            found.append(node.lineno)
    return found


def _argument(call: ast.Call, at: int, keyword: str, default: str) -> object:
    """A call's argument given at position `at` or as `keyword`: its value if a literal,
    None if an expression, `default` if not given."""
    given = next((k.value for k in call.keywords if k.arg == keyword), None)
    if given is None and len(call.args) > at:
        given = call.args[at]
    if given is None:
        return default
    return given.value if isinstance(given, ast.Constant) else None


def test_smk_names_the_encoding_of_every_text_file_it_opens() -> None:
    found = {
        f"{path.relative_to(SMK.parent)}:{line}"
        for path in sorted(SMK.rglob("*.py"))
        for line in _text_opens_without_encoding(ast.parse(path.read_bytes()))
    }
    assert not found, sorted(found)
