"""Importing files and folders: each file read, validated and loaded in its own transaction, then recorded."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from leaseguard.errors import InvalidInputError
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.ingest import loading
from leaseguard.ingest.kinds import (
    KIND_BY_NAME,
    KIND_NAMES,
    KINDS,
    LESSORS,
    SCHEDULES,
    TRACKERS,
    KindSpec,
    kind_from_file_name,
    kind_from_header,
)
from leaseguard.ingest.reading import DATA_SUFFIXES, ReadLimits, read_header, read_table
from leaseguard.ingest.reports import FileProblem, FileReport
from leaseguard.ingest.validation import DEFAULT_MAX_AMOUNT_YUAN, DEFAULT_MAX_TERM_MONTHS, validate
from leaseguard.vocabulary import Label

Progress = Callable[[str, int, int], None]
UNKNOWN_KIND = "unknown"
_NAMED_KINDS = [f"{name}*" for name in KIND_NAMES]  # how file names tell their kind


def database_errors() -> tuple[type[Exception], ...]:
    """What the store raises, those of the raw DB-API cursors (bulk copy) too, which SQLAlchemy does not wrap.
    psycopg's only where it is loaded (a PostgreSQL store loads it): a SQLite import goes without it."""
    psycopg = sys.modules.get("psycopg")
    return (SQLAlchemyError, sqlite3.Error, *((psycopg.Error,) if psycopg is not None else ()))


def import_paths(
    engine: Engine,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    progress: Progress | None = None,
    max_amount_yuan: int = DEFAULT_MAX_AMOUNT_YUAN,
    limits: ReadLimits | None = None,
    signer: NoteSigner | None = None,
    max_term_months: int = DEFAULT_MAX_TERM_MONTHS,
    lessor: str | None = None,
    names: Mapping[Path, str] | None = None,
) -> list[FileReport]:
    """Load files and folders into the store; one report per file, in the order they were loaded.

    notices* and documents* files (the demands and documents the case files rest on) load last, row by row,
    each file they name deposited in the evidence log with `signer`.

    A folder stands for its recognised files (lessors*, contracts*, assets*, payments*, valuations*; CSV or
    XLSX). Files load in dependency order, so a contract may refer to a lessor from the same load. `kind`
    forces the kind of every file. Problems are reported, never raised: a bad row is a RowError, a bad file
    a report with status "rejected" and a message.

    With `lessor`, the data files load that lessor's rows only (`import_file`); `names` gives the name a file
    is reported and recorded under, when not its path (an upload kept in a temporary file).
    """
    forced = KIND_BY_NAME.get(kind) if kind else None
    if kind and forced is None:
        raise InvalidInputError(
            Label(
                "未知文件类型 {kind!r}；应为以下之一：{kinds}",
                "unknown file kind {kind!r}; expected one of {kinds}",
            ),
            kind=kind,
            kinds=", ".join(KIND_NAMES),
        )
    reports: list[FileReport] = []
    planned: list[tuple[Path, KindSpec | None]] = []
    for path in paths:
        if path.is_dir():
            found = expand_directory(path, forced)
            if not found:
                reports.append(_refused(path, UNKNOWN_KIND, FileProblem("no_data_files", kinds=_NAMED_KINDS)))
            planned.extend((file, forced or kind_from_file_name(file.name)) for file in found)
        elif path.exists():
            planned.append((path, forced or _kind_of_file(path, limits)))
        else:
            reports.append(_refused(path, UNKNOWN_KIND, FileProblem("no_such_path")))
    from leaseguard.enforcement.records import import_record_file, record_kind_of

    records = [
        (file, record_kind)
        for file, spec in planned
        if spec is None and (record_kind := record_kind_of(file.name)) is not None
    ]
    planned = [
        (file, spec) for file, spec in planned if spec is not None or record_kind_of(file.name) is None
    ]
    order = {spec.name: index for index, spec in enumerate(KINDS)}
    planned.sort(key=lambda item: order[item[1].name] if item[1] else len(order))  # stable: keeps given order
    for file, spec in planned:
        reports.append(
            import_file(
                engine,
                file,
                spec,
                progress=progress,
                max_amount_yuan=max_amount_yuan,
                limits=limits,
                max_term_months=max_term_months,
                lessor=lessor,
                name=(names or {}).get(file),
            )
        )
    for file, record_kind in sorted(records, key=lambda item: item[1] != "notices"):
        reports.append(import_record_file(engine, file, record_kind, signer, limits))
    return reports


def expand_directory(directory: Path, forced: KindSpec | None = None) -> list[Path]:
    """The data files of a folder (not its sub-folders); with a forced kind, every CSV or XLSX in it."""
    files = [
        path
        for path in sorted(directory.iterdir())
        if path.is_file()
        and path.suffix.lower() in DATA_SUFFIXES
        and not path.name.startswith((".", "~$"))  # hidden files and Excel's lock files
    ]
    if forced:
        return files
    from leaseguard.enforcement.records import record_kind_of

    return [path for path in files if kind_from_file_name(path.name) or record_kind_of(path.name)]


def import_file(
    engine: Engine,
    path: Path,
    kind: KindSpec | None,
    *,
    progress: Progress | None = None,
    max_amount_yuan: int = DEFAULT_MAX_AMOUNT_YUAN,
    limits: ReadLimits | None = None,
    max_term_months: int = DEFAULT_MAX_TERM_MONTHS,
    lessor: str | None = None,
    name: str | None = None,
) -> FileReport:
    """Read, validate and load one file in one transaction; a file that fails as a whole changes nothing.

    With `lessor`, rows may name that lessor only and refer to its contracts only (loading.read_references):
    another lessor's are rejected rows, reported as unknown, and the run is recorded as the lessor's. `name`:
    the file as reported and recorded (default: its path)."""
    started = _now()
    report = FileReport(file=name or str(path), kind=kind.name if kind else UNKNOWN_KIND, lessor=lessor)
    sha256 = ""
    try:
        table = read_table(path, limits)
        sha256, report.encoding = table.sha256, table.encoding
        kind = kind or kind_from_header(table.header)
        if kind is None:
            raise FileProblem("unknown_kind", kinds=_NAMED_KINDS)
        report.kind = kind.name
        report.rows_read = table.rows.height
        if progress:
            progress(path.name, 0, report.rows_read)
        with engine.begin() as connection:
            loading.hold_import_lock(connection)  # another import's file first, then this one
            checked = validate(
                kind,
                table,
                lambda named: loading.read_references(connection, kind, lessor, named),
                file=report.file,
                max_amount_yuan=max_amount_yuan,
                max_term_months=max_term_months,
            )
            report.errors, report.rejected = checked.errors, checked.rejected
            report.warnings = checked.warnings
            report.lessor = lessor or _sole_lessor(kind, checked.rows)

            def staged(done: int) -> None:
                if progress:
                    progress(path.name, checked.rejected + done, report.rows_read)

            if kind is TRACKERS:
                changes = loading.upsert_bindings(connection, checked.rows, checked.update_columns, staged)
            else:
                changes = loading.upsert(connection, kind, checked.rows, checked.update_columns, staged)
            if kind is SCHEDULES:
                loading.trim_schedules(connection, checked.rows)
            report.inserted, report.updated, report.unchanged = (
                changes.inserted,
                changes.updated,
                changes.unchanged,
            )
            report.status = _status(report, checked.rows.height)
            _summarise(report, checked.ignored_columns)
            loading.record_run(connection, report, sha256, started, _now())
        if progress:
            progress(path.name, report.rows_read, report.rows_read)
    except FileProblem as problem:
        _refuse(report, problem)
        _record_refusal(engine, report, sha256, started)
    except database_errors() as error:
        # The transaction rolled back: nothing of this file is in the store.
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        _refuse(report, FileProblem("database_error", error=first_line))
        _record_refusal(engine, report, sha256, started)
    return report


def _sole_lessor(kind: KindSpec, rows: pl.DataFrame) -> str | None:
    column = "code" if kind is LESSORS else "lessor"
    if column not in rows.columns:
        return None
    lessors = rows.get_column(column).drop_nulls().unique()
    return str(lessors[0]) if lessors.len() == 1 else None


def _kind_of_file(path: Path, limits: ReadLimits | None) -> KindSpec | None:
    """The kind named by the file name, else the one its header fits; None leaves the verdict to the load
    (and is what a notices or documents file gets: those load by their own path)."""
    from leaseguard.enforcement.records import record_kind_of

    named = kind_from_file_name(path.name)
    if named or record_kind_of(path.name):
        return named
    try:
        return kind_from_header(read_header(path, limits))
    except (FileProblem, OSError):
        return None


def _status(report: FileReport, loaded_rows: int) -> loading.Status:
    if not report.rejected:
        return "loaded"
    return "partial" if loaded_rows else "rejected"


def _summarise(report: FileReport, ignored: tuple[str, ...]) -> None:
    counts = {
        "read": report.rows_read,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }
    if ignored:
        report.say("summary_columns_not_stored", **counts, kind=report.kind, columns=list(ignored))
    else:
        report.say("summary", **counts)


def _refuse(report: FileReport, problem: FileProblem) -> None:
    report.status = "rejected"
    report.inserted = report.updated = report.unchanged = 0
    report.rejected = report.rows_read
    report.errors = []
    report.say(problem.code, **problem.params)


def _refused(path: Path, kind: str, problem: FileProblem) -> FileReport:
    report = FileReport(file=str(path), kind=kind)
    _refuse(report, problem)
    return report


def _record_refusal(engine: Engine, report: FileReport, sha256: str, started: dt.datetime) -> None:
    try:
        with engine.begin() as connection:
            loading.record_run(connection, report, sha256, started, _now())
    except database_errors():
        pass  # a store that cannot even record the refusal: the caller still has the report


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
