"""What an import tells its caller: one FileReport per file, with every rejected row as a RowError value.

A reason is a code and its parameters (see `leaseguard.ingest.reasons`); its words are rendered in the reader's
language only when shown: on the terminal, in the error report, in an API answer."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from leaseguard.errors import InvalidInputError
from leaseguard.ingest.reasons import FILE_PROBLEMS, ROW_REASONS, file_message, outcome_text, reason_text
from leaseguard.sheets import formula_safe
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

Status = Literal["loaded", "partial", "rejected"]
ERROR_REPORT_COLUMNS = ("file", "line", "column", "reason", "code")
_PLAIN = (str, int, float, tuple, list, type(None))


class FileProblem(InvalidInputError):
    """A file that cannot be loaded at all (empty, undecodable, missing columns): a code of `FILE_PROBLEMS`
    and its parameters, said in the reader's language by `text(lang)`."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        # Kept as plain values (an exception as its text), so the problem can be stored with the run as JSON.
        super().__init__(
            FILE_PROBLEMS.get(code, Label(code, code)),
            **{name: value if isinstance(value, _PLAIN) else str(value) for name, value in params.items()},
        )

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return outcome_text(self.code, self.params, lang)


@dataclass(frozen=True)
class RowError:
    """One problem with one value: `line` is the 1-based line of the file (header = 1) or the sheet row; the
    reason is `code` (see `ROW_REASONS`) with the values it quotes in `params`."""

    file: str
    line: int
    column: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The reason in words."""
        return reason_text(self.code, self.params, lang)

    @property
    def reason(self) -> str:
        """The reason in the shipped default language."""
        return self.text(DEFAULT_LANG)

    def line_text(self, lang: Lang = DEFAULT_LANG) -> str:
        """file:line: column: reason, as the terminal shows it."""
        return f"{self.file}:{self.line}: {self.column}: {self.text(lang)}"

    def __str__(self) -> str:
        return self.line_text(DEFAULT_LANG)


@dataclass
class FileReport:
    """The outcome of one file: counts of what changed in the store, the rejected rows, and a summary.

    The summary is `code` and `params` (a count line, or the `FileProblem` that refused the file), rendered by
    `message_text(lang)`; `message` holds it in the default language. A caller without codes may set `message`
    alone, which is then shown as written."""

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
    code: str = ""
    params: dict[str, object] = field(default_factory=dict)

    @property
    def failed_as_a_whole(self) -> bool:
        """True when the file itself was refused (nothing loaded), not merely some of its rows."""
        return self.status == "rejected" and not self.errors

    def say(self, code: str, /, **params: object) -> None:
        """Set the summary to `code` with `params` (an outcome, or a problem of the whole file)."""
        self.code, self.params = code, dict(params)
        self.message = self.message_text(DEFAULT_LANG)

    def message_text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The summary in words; a refused file's problem is said after the file's name."""
        return file_message(self.file, self.code, self.params, lang) if self.code else self.message


def write_error_report(reports: Iterable[FileReport], path: Path, lang: Lang = DEFAULT_LANG) -> int:
    """Write every rejected row (and every refused file, with an empty line) as file,line,column,reason,code
    CSV: the reason in `lang`, its code for machines (empty for a message without one).

    Returns the number of lines written below the header. UTF-8 with BOM, so Excel opens Chinese text
    correctly.
    """
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ERROR_REPORT_COLUMNS)
        for report in reports:
            if report.failed_as_a_whole:
                writer.writerow(
                    [formula_safe(report.file), "", "", formula_safe(report.message_text(lang)), report.code]
                )
                written += 1
            for error in report.errors:
                # A loader without codes yet (notices, documents) gives its words as the code: no code then.
                code = error.code if error.code in ROW_REASONS else ""
                writer.writerow(
                    [formula_safe(error.file), error.line, error.column, formula_safe(error.text(lang)), code]
                )
                written += 1
    return written
