"""A lower bound for `smk.load` on the benchmark's HubSpot export: the least work that any
loader meeting issue 2's rules must do, with smk's fastest kernels and none of its bookkeeping.

Done, per file: read every column as text (a value that fails typing must be reported with its
own text and row, so the read cannot be a typed one), with line breaks allowed inside quoted
values (exports hold multi-line notes; a reader that splits at every line break can cut such a
value silently, see `smk/io/files.py`); cast the date columns with Arrow's ISO
8601 parser (empty cells null); convert to pandas (the model is pandas). Per table: duplicate
record ids (as int64), and the contact each row points at looked up among the contacts' ids.
The largest file is handled on a second thread while the others are handled on this one, as
`smk.load` does.

Not done (smk.load does all of it): mapping columns and values to the model, vocabularies,
numbers and flags, multi-value fields, extra columns kept as text, the e-mail merge, row
numbers, set-aside rows with their reasons, and the count that rows read = loaded + set aside.
Nor does the floor survive a bad value: a date Arrow refuses leaves that column as text.
"""

from __future__ import annotations

import contextlib
import csv
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from smk.io.parse import blanks_null, iso_target
from smk.io.validate import _duplicated_ints, _int_is_in

CONTACT_REFS = ("Contact ID", "Associated Contact IDs")


def _read_text(path: Path) -> pa.Table:
    with path.open(encoding="utf-8", newline="") as fh:
        names = next(csv.reader(fh))
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    return pacsv.read_csv(
        path,
        pacsv.ReadOptions(block_size=1 << 24),
        pacsv.ParseOptions(newlines_in_values=True),
        convert_options=convert,
    )


def _ints(text: pa.ChunkedArray) -> np.ndarray:
    """Ids as int64 (missing -1); a multi-value cell (`1;2`) by its first id."""
    first = text
    if pc.any(pc.match_substring(text, ";")).as_py():
        first = pc.list_element(pc.split_pattern(text, ";", max_splits=1), 0)
    ints = pc.cast(blanks_null(first), pa.int64())
    return pc.fill_null(ints, -1).to_numpy()


def _one_file(path: Path, keys: list[np.ndarray], typed: threading.Event) -> pd.DataFrame:
    table = _read_text(path)
    for i, name in enumerate(table.column_names):
        if "date" in name.lower():
            stamps, target = iso_target(table.column(i))  # blanks null, no copy of the text
            # a bad date: the floor leaves the column as text (smk parses the rest)
            with contextlib.suppress(pa.ArrowInvalid):
                table = table.set_column(i, name, stamps.cast(target or pa.timestamp("ns")))
    if "ad-spend" not in path.name:  # every other file starts with its record id
        ids = _ints(table.column(0))
        _duplicated_ints(ids)
        if "contacts" in path.name:
            keys.append(ids[ids >= 0])
            typed.set()
    for name in CONTACT_REFS:
        if name in table.column_names:
            typed.wait()
            _int_is_in(_ints(table.column(name)), keys[0])
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def minimum_load(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every CSV file of `folder`, typed with the least work (see the module docstring)."""
    paths = sorted(Path(folder).glob("*.csv"), key=lambda p: ("contacts" not in p.name, p.name))
    largest = max(paths, key=lambda p: p.stat().st_size)
    keys: list[np.ndarray] = []
    typed = threading.Event()  # the contacts' ids are there
    if not any("contacts" in p.name for p in paths):
        keys.append(np.zeros(0, dtype=np.int64))
        typed.set()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_one_file, largest, keys, typed)
        frames = {p.name: _one_file(p, keys, typed) for p in paths if p != largest}
        frames[largest.name] = future.result()
    return frames
