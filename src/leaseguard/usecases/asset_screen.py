"""Screen a funding file before it is funded, or the whole register: `leaseguard assets screen` ends here (and
the API and console will), with one answer per asset of the file and every pair of registrations that are
the same asset.

Each asset of a file is answered as `assets check` answers it alone (the same findings, the same reason
codes), plus what the file itself reveals: the same asset twice in the file, an invoice behind two of its
assets. Nothing is stored and nothing is recorded: a screen is a working paper, a check is the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from leaseguard.errors import InvalidInputError
from leaseguard.ingest.kinds import ASSETS
from leaseguard.ingest.reading import ReadLimits, read_table
from leaseguard.ingest.reports import FileReport
from leaseguard.ingest.validation import DEFAULT_MAX_AMOUNT_YUAN, References, validate
from leaseguard.registry.reasons import reason_texts
from leaseguard.registry.register import Register, load_registrations
from leaseguard.registry.rules import RegistryRules, load_rules
from leaseguard.registry.screen import ScreenResult, findings_frame, screen_file, screen_register
from leaseguard.registry.service import RegisterCache
from leaseguard.tenancy.service import require_lessor
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

Progress = Callable[[str, int, int], None]


class ForeignRowsError(InvalidInputError):
    """A file screened for one lessor holds assets of another."""


@dataclass(frozen=True)
class ScreenFileRequest:
    """An assets file's good rows (store columns, as `ingest.validation.validate` gives them) to screen for
    `lessor` (None: each row for its own lessor, and the pairs shown in full, the operator's view)."""

    rows: pl.DataFrame
    lessor: str | None = None
    lang: Lang = DEFAULT_LANG
    as_of: dt.date | None = None  # whose financing counts as active; today by default


@dataclass(frozen=True)
class AssetFinding:
    """One asset of the file: clear, review or block, every finding in words and the codes behind them."""

    lessor: str
    asset_id: str | None
    verdict: str
    reasons: list[str]
    reason_codes: list[str]
    store_matches: int
    file_matches: int


@dataclass(frozen=True)
class ScreenFileResult:
    findings: list[AssetFinding]  # one per asset of the file, in file order
    pairs: pl.DataFrame  # `registry.screen.MATCH_COLUMNS` + source_a, source_b: the pairs, review or block
    screen: ScreenResult  # for the summaries (the two registrations of each pair side by side)
    lang: Lang  # the language of `reasons` and of the pairs' reasons

    def findings_table(self, lang: Lang | None = None) -> pl.DataFrame:
        """`findings.csv`: `registry.screen.FINDING_COLUMNS`, amounts in yuan; its words in `lang` (default:
        the screen's)."""
        return findings_frame(self.screen, lang or self.lang)

    def reasons_in(self, lang: Lang) -> list[list[str]]:
        """Each asset's reasons, in file order, in `lang` whatever language the screen was asked in."""
        return [reason_texts(s.why, lang) for s in self.screen.findings]


def read_assets_file(
    path: Path,
    *,
    name: str | None = None,
    max_amount_yuan: int | None = None,
    limits: ReadLimits | None = None,
) -> tuple[FileReport, pl.DataFrame]:
    """The good rows of an assets file (CSV or XLSX, the `assets` data contract) in store columns, to screen
    before it is loaded, and the report of its rejected rows, which name the file `name` (default: `path`).
    FileProblem when the file cannot be read at all (undecodable, a column missing, a workbook over
    `limits`)."""
    file = name if name is not None else str(path)
    report = FileReport(file=file, kind=ASSETS.name)
    table = read_table(path, limits)
    checked = validate(
        ASSETS,
        table,
        References(),
        file=file,
        max_amount_yuan=max_amount_yuan if max_amount_yuan is not None else DEFAULT_MAX_AMOUNT_YUAN,
        check_references=False,
    )
    report.encoding = table.encoding
    report.rows_read = checked.rows_read
    report.errors, report.rejected = checked.errors, checked.rejected
    return report, checked.rows


def screen_assets_file(
    engine: Engine,
    request: ScreenFileRequest,
    *,
    rules: RegistryRules | None = None,
    progress: Progress | None = None,
    registers: RegisterCache | None = None,
) -> ScreenFileResult:
    """Screen `request.rows` against every lessor's register and within themselves. With `registers` (a
    server's cache, which its checks use) the register kept there is screened against, as it is, for a file
    screened as of today; otherwise the store's registrations are read for this screen.

    UnknownLessorError when `request.lessor` is not registered; ForeignRowsError when a row names another
    lessor than `request.lessor`."""
    if request.lessor is not None:
        with engine.connect() as connection:
            require_lessor(connection, request.lessor)
        others = sorted(set(request.rows["lessor"].drop_nulls().to_list()) - {request.lessor})
        if others:
            raise ForeignRowsError(
                Label(
                    "文件中有 {others} 的租赁物；为 {lessor} 筛查时，文件只能包含 {lessor} 自己的租赁物",
                    "the file holds assets of {others}; screened for {lessor}, it may hold only {lessor}'s own",
                ),
                others=", ".join(others),
                lessor=request.lessor,
            )
    registered: pl.DataFrame | Register
    if registers is not None and request.as_of is None:
        registered = registers.get()
        rules = registered.rules
    else:
        registered = load_registrations(engine, as_of=request.as_of)
    screen = screen_file(
        registered,
        request.rows,
        rules or load_rules(),
        lessor=request.lessor,
        lang=request.lang,
        progress=progress,
    )
    findings = [
        AssetFinding(
            lessor=s.facts.lessor,
            asset_id=s.facts.asset_id,
            verdict=s.verdict.value,
            reasons=reason_texts(s.why, request.lang),
            reason_codes=s.codes,
            store_matches=len(s.alone.matches),
            file_matches=len(s.in_file),
        )
        for s in screen.findings
    ]
    return ScreenFileResult(findings, screen.matches, screen, request.lang)


def screen_whole_register(
    engine: Engine,
    *,
    lang: Lang = DEFAULT_LANG,
    rules: RegistryRules | None = None,
    progress: Progress | None = None,
) -> ScreenResult:
    """Every pair of registrations in the store that are the same asset (the consortium operator's view)."""
    register = Register(load_registrations(engine), rules or load_rules())
    return screen_register(register, lang=lang, progress=progress)
