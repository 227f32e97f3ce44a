"""The indicators over the store: read one lessor's classified book of a day, keep reports, deposit alerts.

A report and the evidence records of its alerts are written in one transaction: a report is never kept
without its alerts, nor an alert without its report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from leaseguard.errors import InvalidInputError
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import canonical_json
from leaseguard.indicators.engine import BOOK_SCHEMA, IndicatorReport, IndicatorResult
from leaseguard.money import yuan_decimal
from leaseguard.portfolio.sqlite_export import StoreReadError, export_queries
from leaseguard.store.models import BookRun, Lessor
from leaseguard.store.models import IndicatorReport as ReportRow
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang


class IndicatorInputError(InvalidInputError):
    """The store lacks what a report needs (no daily run of the day, unknown lessor); one line for the user."""


_BOOK_QUERY = (
    "select c.contract_no, k.lessee_id, k.lessee_name, k.lessee_type, k.group_id, k.related_party, "
    'cast(k.extra as text) as extra, c."class", c.claim_balance_fen, c.provision_fen, k.residual_value_fen '
    "from contract_classes c join contracts k on k.contract_no = c.contract_no "
    "where c.as_of = :day and c.lessor = :lessor"
)


_QUERY_SCHEMA: dict[str, Any] = {
    "contract_no": pl.String, "lessee_id": pl.String, "lessee_name": pl.String, "lessee_type": pl.String,
    "group_id": pl.String, "related_party": pl.Boolean, "extra": pl.String, "class": pl.String,
    "claim_balance_fen": pl.Int64, "provision_fen": pl.Int64, "residual_value_fen": pl.Int64,
}  # fmt: skip


def _read_sqlite(database: str, lessor: str, day: dt.date) -> pl.DataFrame:
    """The book query through ADBC as Arrow columns: a million rows in about a second instead of ten
    through Python's driver."""
    try:
        table = export_queries(database, {"book": (_BOOK_QUERY, {"day": day, "lessor": lessor})})["book"]
    except StoreReadError as error:
        raise IndicatorInputError(error.label, **error.params) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return pl.DataFrame(schema=_QUERY_SCHEMA)
    return frame.cast(_QUERY_SCHEMA, strict=False)  # type: ignore[arg-type]


def read_book(engine: Engine, lessor: str, day: dt.date) -> pl.DataFrame:
    """One row per contract of `lessor` classified on `day` (engine.BOOK_SCHEMA)."""
    with engine.connect() as connection:
        if connection.execute(select(Lessor.code).where(Lessor.code == lessor)).first() is None:
            raise IndicatorInputError(
                Label("没有出租人 {lessor!r}", "unknown lessor {lessor!r}"), lessor=lessor
            )
        ran = select(BookRun.as_of).where(BookRun.as_of == day, BookRun.lessor == lessor)
        if connection.execute(ran).first() is None:
            raise IndicatorInputError(
                Label(
                    "库中没有 {day} 的日终批处理：请先运行 `leaseguard run daily --as-of {day}`",
                    "no daily run is stored for {day}: run `leaseguard run daily --as-of {day}` first",
                ),
                day=day,
            )
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            raw = _read_sqlite(database, lessor, day)
        else:
            rows = connection.execute(text(_BOOK_QUERY), {"day": day, "lessor": lessor}).all()
            raw = pl.DataFrame([tuple(r) for r in rows], schema=_QUERY_SCHEMA, orient="row", strict=False)
    return raw.with_columns(
        pl.col("extra").str.json_path_match("$.enterprise_size").alias("enterprise_size")
    ).select(list(BOOK_SCHEMA))


def _number(value: Decimal | None, places: int) -> float | None:
    # JSON numbers rounded once, here: ratios to 6 places, money (yuan) to 2; repr of such a float is exact.
    return None if value is None else float(round(value, places))


def result_json(result: IndicatorResult) -> dict[str, Any]:
    """One indicator as the JSON report writes it: the contract keys first, then the detail."""
    return {
        "id": result.id,
        "name": result.name,
        "value": _number(result.value, 6),
        "limit": _number(result.limit, 6),
        "status": result.status,
        "numerator": _number(yuan_decimal(result.numerator), 2),
        "denominator": _number(yuan_decimal(result.denominator), 2),
        "comparison": result.comparison,
        "unit": result.unit,
        "group": result.group,
        "headroom": _number(result.headroom, 6),
        "headroom_amount": _number(yuan_decimal(result.headroom_amount_fen), 2),
        "change": _number(result.change, 6),
        "buffered_limit": _number(result.buffered_limit, 6),
        "clause": result.clause,
        "verified": result.verified,
        "note": result.note,
        "missing": list(result.missing),
        "top_contributors": [
            {"id": c.key, "name": c.name, "exposure": _number(yuan_decimal(c.exposure_fen), 2)}
            for c in result.contributors
        ],
    }


def report_json(report: IndicatorReport, lang: Lang = DEFAULT_LANG) -> dict[str, Any]:
    """The report as JSON: the figures as numbers, codes as codes, the data problems in `lang`."""
    return {
        "as_of": report.as_of.isoformat(),
        "rule_set": report.rule_set.id,
        "indicators": [result_json(r) for r in report.results],
        "lessor": report.lessor,
        "rule_set_version": report.rule_set.version,
        "rule_set_sha256": report.rule_set.digest,
        "draft": report.draft,
        "problems": [problem.text(lang) for problem in report.problems],
        "previous_as_of": report.previous_as_of.isoformat() if report.previous_as_of else None,
        "alerts": [r.id for r in report.alerts()],
    }


def previous_values(
    engine: Engine, lessor: str, rule_set: str, day: dt.date
) -> tuple[dt.date | None, dict[str, Decimal | None]]:
    """The latest filed (non-draft) report before `day`: its day and each indicator's value."""
    with engine.connect() as connection:
        row = connection.execute(
            select(ReportRow.as_of, ReportRow.results)
            .where(
                ReportRow.lessor == lessor,
                ReportRow.rule_set == rule_set,
                ReportRow.as_of < day,
                ReportRow.draft.is_(False),
            )
            .order_by(ReportRow.as_of.desc(), ReportRow.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None, {}
    values = {r["id"]: None if r.get("value") is None else Decimal(str(r["value"])) for r in row.results}
    return row.as_of, values


@dataclass(frozen=True)
class FiledFile:
    """One file of a filed report: its format, its name and the SHA-256 of its bytes."""

    format: str
    name: str
    sha256: str
    size: int


def store_report(session: Session, report: IndicatorReport, balance_sheet: dict[str, Any]) -> ReportRow:
    """Keep `report` (flushed: its id is known, to print on its files)."""
    row = ReportRow(
        lessor=report.lessor,
        as_of=report.as_of,
        rule_set=report.rule_set.id,
        rule_set_version=report.rule_set.version,
        rule_set_sha256=report.rule_set.digest,
        draft=report.draft,
        balance_sheet=balance_sheet,
        results=[result_json(r) for r in report.results],
        alerts=len(report.alerts()),
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    return row


def deposit_filing(
    session: Session,
    row: ReportRow,
    report: IndicatorReport,
    *,
    signer: NoteSigner | None,
    produced_by: str,
    files: Sequence[FiledFile] = (),
) -> None:
    """With a `signer`, deposit one evidence record per alert (warning or breach) and, when files were
    written, one record of the filing naming every file and its SHA-256 (one record for all formats), in one
    batch and in the caller's transaction: it can be shown later what the company knew about its limits, what
    it filed, and when."""
    if signer is None:
        return
    now = row.created_at
    provenance = Provenance(producer=produced_by, system="leaseguard indicators", produced_at=now)
    records = [
        NewRecord(
            canonical_json(
                {
                    "report_id": row.id,
                    "as_of": report.as_of.isoformat(),
                    "rule_set": report.rule_set.id,
                    "rule_set_sha256": report.rule_set.digest,
                    "draft": report.draft,
                    "indicator": result_json(alert),
                }
            ),
            provenance,
            kind="indicator-alert",
            media_type="application/json",
            ref=f"indicator_report:{row.id}:{alert.id}",
        )
        for alert in report.alerts()
    ]
    if files:
        records.append(
            NewRecord(
                canonical_json(
                    {
                        "report_id": row.id,
                        "lessor": report.lessor,
                        "as_of": report.as_of.isoformat(),
                        "rule_set": report.rule_set.id,
                        "rule_set_sha256": report.rule_set.digest,
                        "balance_sheet_sha256": (row.balance_sheet or {}).get("sha256", ""),
                        "draft": report.draft,
                        "alerts": [alert.id for alert in report.alerts()],
                        "files": [
                            {"format": f.format, "name": f.name, "sha256": f.sha256, "bytes": f.size}
                            for f in files
                        ],
                    }
                ),
                provenance,
                kind="indicator-report",
                media_type="application/json",
                ref=f"indicator_report:{row.id}",
            )
        )
    if records:
        batch = append_records(session, records, lessor=report.lessor, signer=signer)
        row.evidence_index = batch.receipts[0].index


def save_report(
    session: Session,
    report: IndicatorReport,
    balance_sheet: dict[str, Any],
    *,
    signer: NoteSigner | None,
    produced_by: str,
) -> ReportRow:
    """Keep `report`; with a `signer`, deposit one evidence record per alert (warning or breach) in the same
    transaction, so it can be shown later what the company knew about its limits, and when."""
    row = store_report(session, report, balance_sheet)
    deposit_filing(session, row, report, signer=signer, produced_by=produced_by)
    return row
