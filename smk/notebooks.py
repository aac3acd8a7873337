"""Support for the numbered notebooks: open the data, record provenance, refresh stored outputs.

Notebooks stay thin: they call these and the analysis modules, never re-implement them.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
import warnings
from pathlib import Path
from typing import TextIO

import pandas as pd

import smk
from smk import config
from smk.errors import NoDataError
from smk.model import CRM


def resolve_path(path: str | Path) -> str:
    """A path relative to the project root (how parameters defaults are written), else as given."""
    text = str(path)
    if "://" in text or Path(text).is_absolute():
        return text
    return str((config.ROOT / text).resolve())


def display_path(path: str | Path) -> str:
    """A path as shown in outputs: relative to the project root when inside it."""
    try:
        return str(Path(path).resolve().relative_to(config.ROOT))
    except (ValueError, OSError):
        return str(path)


def open_crm(data_path: str, data_format: str = "auto") -> CRM:
    """Load the export a notebook was given (the report runner passes a Parquet cache).

    In a Jupyter kernel, from here on a warning prints as one plain ``warning: ...`` line
    (`show_plain_warnings`): a published page says what smk warns about, never the kernel's
    temporary file and line. Elsewhere (scripts, tests) warnings are left as they are.
    """
    if _in_kernel():
        warnings.showwarning = show_plain_warnings
    return smk.load(resolve_path(data_path), format=data_format)


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def show_plain_warnings(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """`warnings.showwarning` for notebooks: the message alone, on stderr."""
    print(f"warning: {message}", file=file or sys.stderr)


def output_folder(output_dir: str) -> Path:
    """The folder a notebook writes its metrics and exports to (made if need be).

    A published month (it holds the report's `manifest.json`) is refused: an executed
    notebook from `reports/YYYY-MM/` names its month as `output_dir`, and re-running it there
    would change the month's files under its published pages and the next month's inputs.
    """
    folder = Path(resolve_path(output_dir))
    if (folder / "manifest.json").is_file():
        raise ValueError(
            f"output_dir {folder} is a published report month: re-run this notebook with "
            "another output_dir (e.g. output_dir = 'rerun'), so the published files stay as "
            "published"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def optional(compute, *args, **kwargs):
    """`compute(*args, **kwargs)`, or None when the data hold nothing for it (`NoDataError`).

    The reason is printed where the section's result would be: one optional section without
    data (no deal closed yet in a young CRM) must not take the rest of the page with it.
    """
    try:
        return compute(*args, **kwargs)
    except NoDataError as exc:
        print(f"Not enough data for this section: {exc}")
        return None


def provenance(crm: CRM, parameters: dict) -> pd.DataFrame:
    """What produced this notebook's numbers: versions, data source, parameters, run time."""
    import numpy as np

    rows = {
        "smk": smk.__version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "data source": display_path(crm.source),
        "data format": crm.format,
        "run at (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        **{f"parameter {k}": v for k, v in parameters.items()},
    }
    return pd.DataFrame({"item": list(rows), "value": [str(v) for v in rows.values()]})


def refresh(paths: list[Path] | None = None, timeout: int = 600) -> list[Path]:
    """Re-execute notebooks in place (their parameters' defaults: the bundled sample).

    Run after an intended change (`make notebooks`), so the stored outputs that nbval compares
    are the new ones.
    """
    import nbformat
    from nbclient import NotebookClient

    from smk.report import discover_notebooks, ensure_kernel, kernel_manager_class

    kernel = ensure_kernel()
    done = []
    for path in paths or discover_notebooks():
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel,
            kernel_manager_class=kernel_manager_class(),
            record_timing=False,  # keeps re-runs from rewriting every cell's metadata in git
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        nb.metadata["kernelspec"] = {
            "name": kernel,
            "display_name": "Python (smk)",
            "language": "python",
        }
        nbformat.write(nb, path)
        done.append(path)
        print(f"refreshed {path}", file=sys.stderr)
    return done


def main(argv: list[str] | None = None) -> int:
    """`python -m smk.notebooks [NOTEBOOK ...]` (`make notebooks`): refresh stored outputs."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m smk.notebooks",
        description="Re-execute notebooks in place on the bundled sample (all when none given).",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebook files (default: all)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    refresh(args.notebooks or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
