"""Compute and file a regulatory indicator report: `leaseguard report regulatory` files it, the indicators API
computes the live report of a day through the same function, so both read the same book the same way.

Filing is once for every format asked for: one stored report, its alerts and one evidence record naming every
file written with its SHA-256, in one transaction. The files are written beside their final names first and
put in place only when all of them are, and removed again if the transaction fails: a filing leaves either
the report and all its files, or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from leaseguard.errors import InvalidInputError
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.indicators.balance_sheet import BalanceSheet
from leaseguard.indicators.engine import IndicatorReport, compute_report
from leaseguard.indicators.output import FORMATS, ReportPaper, SignOff, render
from leaseguard.indicators.rules import IndicatorRuleSet, load_risk_weights
from leaseguard.indicators.service import (
    FiledFile,
    deposit_filing,
    previous_values,
    read_book,
    store_report,
)
from leaseguard.tenancy.service import lessor_name
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang


class ReportFileError(InvalidInputError):
    """A report file that cannot be written (its folder is missing or not writable); nothing was filed."""


_CANNOT_WRITE = Label("{path}：无法写出报告（{reason}）", "{path}: cannot write the report ({reason})")


@dataclass(frozen=True)
class ReportRequest:
    """What a report is computed from: the lessor's book of `as_of` under `rule_set`, with its balance sheet."""

    lessor: str
    as_of: dt.date
    rule_set: IndicatorRuleSet
    balance_sheet: BalanceSheet
    margin: Decimal | None = None
    draft: bool = False


@dataclass(frozen=True)
class FilingRequest:
    """A report to file and the files to write, one per format (`FORMATS`), in the reader's language."""

    report: ReportRequest
    outputs: tuple[tuple[str, Path], ...]
    lang: Lang = DEFAULT_LANG
    sign_off: SignOff = field(default_factory=SignOff)
    produced_by: str = "leaseguard"


@dataclass(frozen=True)
class FiledReport:
    report: IndicatorReport
    report_id: int
    lessor_name: str
    files: tuple[tuple[Path, FiledFile], ...]
    evidence_index: int | None  # the first record of the filing in the evidence log (its alerts, then itself)


def compute_regulatory_report(engine: Engine, request: ReportRequest) -> IndicatorReport:
    """Every indicator of the rule set on the lessor's book of the day, with the change since its last filed
    report. IndicatorInputError (no such lessor, no daily run) and MissingInputError (an item the rule set
    needs) name what is missing."""
    book = read_book(engine, request.lessor, request.as_of)
    before_day, before = previous_values(engine, request.lessor, request.rule_set.id, request.as_of)
    return compute_report(
        request.rule_set, request.balance_sheet, book, load_risk_weights(), as_of=request.as_of,
        margin=request.margin, draft=request.draft, previous=before, previous_as_of=before_day,
    )  # fmt: skip


def file_regulatory_report(
    engine: Engine, request: FilingRequest, *, signer: NoteSigner | None
) -> FiledReport:
    """Compute the report, keep it with its balance sheet, write every file asked for and deposit its alerts
    and the filing (with a `signer`) in the evidence log — all or nothing."""
    from leaseguard.store.db import session_factory

    unknown = [fmt for fmt, _ in request.outputs if fmt not in FORMATS]
    if unknown or not request.outputs:
        raise InvalidInputError(
            Label("formats：请从 {formats} 中选择", "formats: choose among {formats}"),
            formats=", ".join(FORMATS),
        )
    report = compute_regulatory_report(engine, request.report)
    name = lessor_name(engine, report.lessor)
    placed: list[Path] = []
    try:
        with session_factory(engine)() as session, session.begin():
            row = store_report(session, report, request.report.balance_sheet.as_json())
            paper = ReportPaper(
                report, lessor_name=name, lang=request.lang, sign_off=request.sign_off, report_id=row.id
            )
            contents = [(fmt, path, render(paper, fmt)) for fmt, path in request.outputs]
            files = tuple(
                (path, FiledFile(fmt, path.name, hashlib.sha256(data).hexdigest(), len(data)))
                for fmt, path, data in contents
            )
            deposit_filing(
                session,
                row,
                report,
                signer=signer,
                produced_by=request.produced_by,
                files=[f for _, f in files],
            )
            _write_all([(path, data) for _, path, data in contents], placed)
            report_id, evidence_index = row.id, row.evidence_index
    except BaseException:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return FiledReport(report, report_id, name, files, evidence_index)


def _write_all(contents: list[tuple[Path, bytes]], placed: list[Path]) -> None:
    """Write every file beside its name, then put them all in place; `placed` lists those put in place."""
    partials: list[tuple[Path, Path]] = []
    try:
        for path, data in contents:
            partial = path.with_name(f".{path.name}.partial")
            try:
                partial.write_bytes(data)
            except OSError as error:
                raise ReportFileError(_CANNOT_WRITE, path=path, reason=error.strerror or error) from None
            partials.append((partial, path))
        for partial, path in partials:
            try:
                os.replace(partial, path)
            except OSError as error:
                raise ReportFileError(_CANNOT_WRITE, path=path, reason=error.strerror or error) from None
            placed.append(path)
    finally:
        for partial, _ in partials:
            with contextlib.suppress(OSError):
                partial.unlink()
