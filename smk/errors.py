"""Errors that smk raises for bad input (never a bare KeyError from deep inside pandas)."""

from __future__ import annotations

from collections.abc import Iterable


class CRMExportError(ValueError):
    """A CRM export cannot be used: it names the file, the column, the row and the value.

    `str(error)` is a one-paragraph message fit for a terminal; the attributes let callers
    (and tests) inspect what went wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
        found_columns: Iterable[str] | None = None,
        found_label: str = "Columns found",
    ) -> None:
        self.reason = message
        self.file = file
        self.column = column
        self.row = row
        self.value = value
        self.found_columns = list(found_columns) if found_columns is not None else None
        self.found_label = found_label
        super().__init__(self._format())

    def but(self, **changes) -> CRMExportError:
        """A copy of this error with `changes` (``reason=``, ``file=``, ...), all else kept."""
        fields = {
            "file": self.file,
            "column": self.column,
            "row": self.row,
            "value": self.value,
            "found_columns": self.found_columns,
            "found_label": self.found_label,
        }
        reason = changes.pop("reason", self.reason)
        return CRMExportError(reason, **{**fields, **changes})

    def _format(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        where = ", ".join(parts)
        msg = f"{where}: {self.reason}" if where else self.reason
        if self.value is not None:
            msg += f" (value: {str(self.value)[:80]!r})"
        if self.found_columns is not None:
            shown = ", ".join(repr(c) for c in self.found_columns[:40])
            more = (
                "" if len(self.found_columns) <= 40 else f", ... ({len(self.found_columns)} in all)"
            )
            msg += f". {self.found_label}: {shown}{more}"
        return msg


class NoDataError(ValueError):
    """The data hold nothing for the figure asked for (a month with no MQLs, no conversions in
    the window, a table the export lacks, too little history to train on); the message says
    what to do. The monthly report publishes such a page as "not enough data" instead of
    failing the whole month."""
