"""Import data-contract files as a job: `leaseguard import` (`import_files`, through a workspace) and the
console's admin upload (`load_files`, through the served store, for one lessor) end here, so a file is loaded
under the same limits and signed into the evidence log the same way.

Each file is one transaction; a bad row is reported (file, line, column, reason) and the good rows load.
A bad workspace setting is an InvalidInputError naming leaseguard.yaml before anything is read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import DATA_KINDS, DEFAULT_LANG, Label, Lang

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leaseguard.evidence.checkpoint import NoteSigner
    from leaseguard.ingest import FileReport
    from leaseguard.ingest.reading import ReadLimits
    from leaseguard.workspace import Workspace

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportOutcome:
    """One report per file loaded, in the order they were loaded."""

    reports: list[FileReport]

    @property
    def rows_read(self) -> int:
        return sum(report.rows_read for report in self.reports)

    def problems(self, lang: Lang = DEFAULT_LANG) -> list[str]:
        """Every refusal in words: a file refused whole, then each rejected row (file, line, column, reason)."""
        lines: list[str] = []
        for report in self.reports:
            if report.failed_as_a_whole:
                lines.append(report.message_text(lang))
            lines.extend(error.line_text(lang) for error in report.errors)
        return lines

    def warnings(self, lang: Lang = DEFAULT_LANG) -> list[str]:
        return [warning.line_text(lang) for report in self.reports for warning in report.warnings]

    def write_error_report(self, out: Path, lang: Lang = DEFAULT_LANG) -> None:
        """Every rejected row as CSV for people and machines (file, line, column, reason in `lang`, code)."""
        from leaseguard.ingest import write_error_report

        write_error_report(self.reports, out, lang)


def check_request(paths: Sequence[Path], kind: str | None) -> None:
    """The files exist and the kind, if given, is a data-contract kind; else InvalidInputError naming them."""
    if kind is not None and kind not in DATA_KINDS:
        raise InvalidInputError(
            Label("--kind {kind!r} 不是以下之一：{kinds}", "--kind {kind!r} is not one of {kinds}"),
            kind=kind,
            kinds=", ".join(DATA_KINDS),
        )
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise InvalidInputError(
            Label("{path}：文件或文件夹不存在", "{path}: no such file or directory"), path=missing[0]
        )


def import_files(
    workspace: Workspace, paths: Sequence[Path], *, kind: str | None = None, progress: Progress | None = None
) -> ImportOutcome:
    """Load files (CSV, XLSX) and folders of them into the workspace's store: idempotent upserts, one
    transaction per file, under the workspace's `import:` and `ingest.xlsx` limits."""
    from leaseguard.ingest.reading import ReadLimits
    from leaseguard.ingest.validation import DEFAULT_MAX_AMOUNT_YUAN, DEFAULT_MAX_TERM_MONTHS
    from leaseguard.workspace import CONFIG_FILE

    check_request(paths, kind)
    max_amount = int(workspace.setting("import", "max_amount_yuan", default=DEFAULT_MAX_AMOUNT_YUAN))
    max_term = int(workspace.setting("import", "max_term_months", default=DEFAULT_MAX_TERM_MONTHS))
    try:
        limits = ReadLimits.from_settings(workspace.setting("ingest", "xlsx", default=None))
    except InvalidInputError as error:
        raise InvalidInputError(
            Label("{file}：{problem}", "{file}: {problem}"),
            file=workspace.root / CONFIG_FILE,
            problem=Label(error.text("zh"), error.text("en")),
        ) from None
    engine = workspace.engine()
    try:
        return load_files(
            engine, paths, kind=kind, progress=progress, max_amount_yuan=max_amount, limits=limits,
            signer=_signer(workspace), max_term_months=max_term,
        )  # fmt: skip
    finally:
        engine.dispose()


def load_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    progress: Progress | None = None,
    max_amount_yuan: int | None = None,
    limits: ReadLimits | None = None,
    signer: NoteSigner | None = None,
    lessor: str | None = None,
    names: Mapping[Path, str] | None = None,
    max_term_months: int | None = None,
) -> ImportOutcome:
    """`import_files` over a store's `engine` (left open). With `lessor`, only that lessor's rows load: a row
    naming another lessor, or a payment or schedule of another lessor's contract, is a rejected row as one naming
    a lessor or contract the store does not hold, and the runs are recorded as the lessor's. `names`: the name
    each file is reported and recorded under (an upload's own name, not the temporary file's)."""
    from leaseguard.ingest import import_paths
    from leaseguard.ingest.validation import DEFAULT_MAX_AMOUNT_YUAN, DEFAULT_MAX_TERM_MONTHS

    check_request(paths, kind)
    reports = import_paths(
        engine, paths, kind=kind, progress=progress,
        max_amount_yuan=DEFAULT_MAX_AMOUNT_YUAN if max_amount_yuan is None else max_amount_yuan,
        limits=limits, signer=signer, lessor=lessor, names=names,
        max_term_months=DEFAULT_MAX_TERM_MONTHS if max_term_months is None else max_term_months,
    )  # fmt: skip
    return ImportOutcome(reports)


def _signer(workspace: Workspace) -> NoteSigner | None:
    """The workspace's evidence-log key, for the files notices and documents name (None if it has none)."""
    from leaseguard.evidence import EvidenceError, log_settings

    try:
        return log_settings(workspace).signer
    except EvidenceError:
        return None
