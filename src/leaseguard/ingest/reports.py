"""What an import tells its caller: one FileReport per file, with every rejected row as a RowError value."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from leaseguard.errors import InvalidInputError

Status = Literal["loaded", "partial", "rejected"]


class FileProblem(InvalidInputError):
    """A file that cannot be loaded at all (empty, undecodable, missing columns); carries the reason."""


@dataclass(frozen=True)
class RowError:
    """One problem with one value: `line` is the 1-based line of the file (header = 1) or the sheet row."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


@dataclass
class FileReport:
    """The outcome of one file: counts of what changed in the store, the rejected rows, and a summary."""

    file: str
    kind: str
    encoding: str | None = None
    status: Status = "rejected"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # loaded rows the user should look at
    message: str = ""
    lessor: str | None = None  # the one lessor whose rows were loaded, if there was exactly one

    @property
    def failed_as_a_whole(self) -> bool:
        """True when the file itself was refused (nothing loaded), not merely some of its rows."""
        return self.status == "rejected" and not self.errors


def write_error_report(reports: Iterable[FileReport], path: Path) -> int:
    """Write every rejected row (and every refused file, with an empty line) as file,line,column,reason CSV.

    Returns the number of lines written below the header. UTF-8 with BOM, so Excel opens Chinese text
    correctly.
    """
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "reason"])
        for report in reports:
            if report.failed_as_a_whole:
                writer.writerow([report.file, "", "", report.message])
                written += 1
            for error in report.errors:
                writer.writerow([error.file, error.line, error.column, error.reason])
                written += 1
    return written
