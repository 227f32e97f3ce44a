"""What a complaint rests on besides the book: the demands sent (催告, `notices.csv` or `cases notice`) and the
documents of a contract or its assets (`documents.csv`), each file deposited in the evidence log with its
SHA-256 when recorded. One use case records a notice (CLI, import, and later the API and console); the case
files read both back through `notices_on_record` and `documents_on_record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, text, update

from leaseguard.errors import InvalidInputError
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.merkle import leaf_hash
from leaseguard.ingest.reading import LINE, ReadLimits, read_table
from leaseguard.ingest.reasons import reason_text
from leaseguard.ingest.reports import FileProblem, FileReport, RowError
from leaseguard.store.db import as_date
from leaseguard.store.models import Document, EvidenceRecord, Notice
from leaseguard.vocabulary import DOCUMENT_KIND_LABELS, METHOD_LABELS, NOTICE_KINDS, Label, Lang

RECORD_KINDS = ("notices", "documents")
_PROVENANCE = Provenance("leaseguard import", "leaseguard enforcement")


class Problems(list[tuple[str, str, dict[str, object]]]):
    """A notice's or a row's problems: each column in error, its reason's code (the import's row reasons,
    `ingest.reasons.ROW_REASONS`) and the values the reason quotes."""

    def add(self, column: str, code: str, /, **params: object) -> None:
        self.append((column, code, params))

    def said(self, lang: Lang) -> str:
        """Every problem as `column: reason`, in `lang`."""
        colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
        return separator.join(
            f"{column}{colon}{reason_text(code, params, lang)}" for column, code, params in self
        )

    def row_errors(self, file: str, line: int) -> list[RowError]:
        return [RowError(file, line, column, code, params) for column, code, params in self]


class NoticeError(InvalidInputError):
    """A notice or document that cannot be recorded; the message names each field and the reason."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(Label(problems.said("zh"), problems.said("en")))
        self.problems = problems


@dataclass(frozen=True)
class NoticeOnFile:
    contract_no: str
    lessor: str
    kind: str
    addressee: str | None
    sent_on: dt.date
    delivered_on: dt.date | None
    method: str
    deadline_days: int | None
    evidence_index: int | None
    leaf_hash: str | None
    sha256: str | None
    file_name: str | None

    @property
    def deadline(self) -> dt.date | None:
        """The last day of the period given: delivered + deadline_days (None until delivered)."""
        if self.delivered_on is None:
            return None
        return self.delivered_on + dt.timedelta(days=self.deadline_days or 0)


@dataclass(frozen=True)
class DocumentOnFile:
    lessor: str
    contract_no: str | None
    asset_id: str | None
    kind: str
    title: str
    source: str | None
    pages: int | None
    file_name: str
    sha256: str
    evidence_index: int
    leaf_hash: str


def _leaves(connection: Connection, indexes: Sequence[int]) -> dict[int, str]:
    if not indexes:
        return {}
    rows = connection.execute(
        select(EvidenceRecord.leaf_index, EvidenceRecord.entry).where(EvidenceRecord.leaf_index.in_(indexes))
    ).all()
    return {int(index): leaf_hash(bytes(entry)).hex() for index, entry in rows}


def notices_on_record(
    connection: Connection, lessor: str, contract_nos: Sequence[str]
) -> dict[str, list[NoticeOnFile]]:
    """The lessor's notices of these contracts, by contract, oldest first."""
    if not contract_nos:
        return {}
    rows = connection.execute(
        select(Notice.__table__)
        .where(Notice.lessor == lessor, Notice.contract_no.in_(list(contract_nos)))
        .order_by(Notice.contract_no, Notice.sent_on, Notice.id)
    ).all()
    leaves = _leaves(connection, [int(n.evidence_index) for n in rows if n.evidence_index is not None])
    found: dict[str, list[NoticeOnFile]] = {}
    for n in rows:
        index = None if n.evidence_index is None else int(n.evidence_index)
        found.setdefault(n.contract_no, []).append(
            NoticeOnFile(
                n.contract_no, n.lessor, n.kind, n.addressee or None, as_date(n.sent_on),
                None if n.delivered_on is None else as_date(n.delivered_on), n.method, n.deadline_days, index,
                leaves.get(index) if index is not None else None, n.sha256, n.file_name,
            )
        )  # fmt: skip
    return found


def documents_on_record(
    connection: Connection, lessor: str, contract_no: str, asset_ids: Sequence[str]
) -> list[DocumentOnFile]:
    """The lessor's documents of the contract and of its assets, in the order they were deposited."""
    return documents_of_contracts(connection, lessor, {contract_no: asset_ids}).get(contract_no, [])


def documents_of_contracts(
    connection: Connection, lessor: str, assets_by_contract: Mapping[str, Sequence[str]]
) -> dict[str, list[DocumentOnFile]]:
    """`documents_on_record` for many contracts (each with its assets' ids) in one query, by contract."""
    if not assets_by_contract:
        return {}
    asset_ids = [a for ids in assets_by_contract.values() for a in ids]
    about = or_(Document.contract_no.in_(list(assets_by_contract)), Document.asset_id.in_(asset_ids))
    rows = connection.execute(
        select(Document.__table__).where(Document.lessor == lessor, about).order_by(Document.evidence_index)
    ).all()
    leaves = _leaves(connection, [int(d.evidence_index) for d in rows])
    contract_of_asset = {a: no for no, ids in assets_by_contract.items() for a in ids}
    found: dict[str, list[DocumentOnFile]] = {}
    for d in rows:
        document = DocumentOnFile(
            d.lessor, d.contract_no or None, d.asset_id or None, d.kind, d.title, d.source, d.pages, d.file_name,
            d.sha256, int(d.evidence_index), leaves.get(int(d.evidence_index), ""),
        )  # fmt: skip
        owners = {d.contract_no, contract_of_asset.get(d.asset_id or "")} & assets_by_contract.keys()
        for owner in sorted(owners):
            found.setdefault(owner, []).append(document)
    return found


# --- recording --------------------------------------------------------------------------------------------


def _deposit(
    connection: Connection, signer: NoteSigner | None, lessor: str, ref: str, path: Path
) -> tuple[int, str, str]:
    """Deposit a file in the lessor's evidence log: (index, file name, SHA-256). The log is idempotent by
    content, so the same file recorded twice is one record."""
    if signer is None:
        problems = Problems()
        problems.add("document", "no_evidence_key")
        raise NoticeError(problems)
    content = path.read_bytes()
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    batch = append_records(
        connection, [NewRecord(content, _PROVENANCE, "document", media, ref, name=path.name)], lessor=lessor,
        signer=signer,
    )  # fmt: skip
    return batch.receipts[0].index, path.name, hashlib.sha256(content).hexdigest()


def _contract(connection: Connection, contract_no: str) -> tuple[str, dt.date] | None:
    row = connection.execute(
        text("select lessor, start_date from contracts where contract_no = :no"), {"no": contract_no}
    ).first()
    return None if row is None else (str(row[0]), as_date(row[1]))


def _checked_notice(
    connection: Connection, *, contract_no: str, lessor: str | None, kind: str, sent_on: dt.date,
    delivered_on: dt.date | None, method: str, deadline_days: int | None, addressee: str | None,
    document: Path | None,
) -> tuple[str, Problems]:  # fmt: skip
    """The owning lessor and every problem as (field, reason)."""
    problems = Problems()
    found = _contract(connection, contract_no)
    if found is None or (lessor is not None and found[0] != lessor):
        problems.add("contract_no", "contract_not_in_store", contract_no=contract_no)
        return lessor or "", problems
    owner, start = found
    if kind not in NOTICE_KINDS:
        problems.add("kind", "unknown_choice", value=kind, choices=NOTICE_KINDS)
    if kind == "guarantee_demand" and not addressee:
        problems.add("addressee", "guarantor_not_named")
    if method not in METHOD_LABELS:
        problems.add("method", "unknown_choice", value=method, choices=tuple(METHOD_LABELS))
    if sent_on < start:
        problems.add("sent_on", "sent_before_start", sent_on=str(sent_on), start_date=str(start))
    if delivered_on is not None and delivered_on < sent_on:
        problems.add(
            "delivered_on", "delivered_before_sent", delivered_on=str(delivered_on), sent_on=str(sent_on)
        )
    if deadline_days is not None and deadline_days < 0:
        problems.add("deadline_days", "negative_days", value=deadline_days)
    if document is not None and not document.is_file():
        problems.add("document", "no_such_file", path=str(document))
    return owner, problems


def _upsert(connection: Connection, model: type[Notice] | type[Document], key: tuple[str, ...],
            values: dict[str, Any]) -> None:  # fmt: skip
    """Insert the row, or update the one with the same natural key (a file recorded again)."""
    existing = connection.execute(select(model.id).filter_by(**{k: values[k] for k in key})).scalar()
    if existing is None:
        connection.execute(insert(model).values(**values))
    else:
        connection.execute(update(model).where(model.id == existing).values(**values))


def _store_notice(
    connection: Connection,
    signer: NoteSigner | None,
    owner: str,
    values: dict[str, Any],
    document: Path | None,
) -> NoticeOnFile:
    if document is not None:
        index, name, digest = _deposit(
            connection, signer, owner, f"contract:{values['contract_no']}", document
        )
        values.update(evidence_index=index, file_name=name, sha256=digest)
    _upsert(connection, Notice, ("lessor", "contract_no", "kind", "addressee", "sent_on"), values)
    on_record = notices_on_record(connection, owner, [values["contract_no"]])[values["contract_no"]]
    return next(
        n for n in on_record
        if n.kind == values["kind"] and (n.addressee or "") == values["addressee"] and n.sent_on == values["sent_on"]
    )  # fmt: skip


def record_notice(
    engine: Engine, signer: NoteSigner | None, *, contract_no: str, lessor: str | None, kind: str = "demand",
    sent_on: dt.date, delivered_on: dt.date | None, method: str, deadline_days: int | None = None,
    addressee: str | None = None, document: Path | None = None,
) -> NoticeOnFile:  # fmt: skip
    """Record a demand (the one use case behind `cases notice` and `notices.csv`): checked like an import row
    (NoticeError naming the field and the reason), its letter deposited, stored again over the same notice."""
    with engine.begin() as connection:
        owner, problems = _checked_notice(
            connection, contract_no=contract_no, lessor=lessor, kind=kind, sent_on=sent_on,
            delivered_on=delivered_on, method=method, deadline_days=deadline_days, addressee=addressee,
            document=document,
        )  # fmt: skip
        if problems:
            raise NoticeError(problems)
        values = {
            "lessor": owner, "contract_no": contract_no, "kind": kind, "addressee": addressee or "",
            "sent_on": sent_on, "delivered_on": delivered_on, "method": method, "deadline_days": deadline_days,
        }  # fmt: skip
        return _store_notice(connection, signer, owner, values, document)


# --- the two file kinds -----------------------------------------------------------------------------------

NOTICE_COLUMNS = ("contract_no", "lessor", "kind", "addressee", "sent_on", "delivered_on", "method",
                  "deadline_days", "document")  # fmt: skip
NOTICE_REQUIRED = ("contract_no", "lessor", "kind", "sent_on", "method")
DOCUMENT_COLUMNS = ("lessor", "contract_no", "asset_id", "kind", "file", "title", "pages", "source")
DOCUMENT_REQUIRED = ("lessor", "kind", "file")


def record_kind_of(file_name: str) -> str | None:
    stem = file_name.lower()
    return next((kind for kind in RECORD_KINDS if stem.startswith(kind)), None)


def _date(value: str | None, column: str, problems: Problems) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.add(column, "not_a_date", value=value)
        return None


def _whole(value: str | None, column: str, problems: Problems, *, least: int) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        problems.add(column, "not_a_whole_number", value=value)
        return None
    if int(value) < least:
        problems.add(column, "below_one" if least == 1 else "negative_days", value=value)
        return None
    return int(value)


def import_record_file(
    engine: Engine, path: Path, kind: str, signer: NoteSigner | None, limits: ReadLimits | None = None
) -> FileReport:
    """Load a notices or documents file: each good row stored (its file deposited), each bad one a row error
    naming file, line, field and reason; one transaction for the file."""
    report = FileReport(file=str(path), kind=kind)
    try:
        table = read_table(path, limits)
    except FileProblem as problem:
        report.say(problem.code, **problem.params)
        return report
    report.encoding = table.encoding
    columns = {name.strip().lower(): f"c{i}" for i, name in enumerate(table.header)}
    required = NOTICE_REQUIRED if kind == "notices" else DOCUMENT_REQUIRED
    missing = [name for name in required if name not in columns]
    if missing:
        report.say("missing_columns" if len(missing) > 1 else "missing_column", columns=tuple(missing))
        return report
    report.rows_read = table.rows.height
    lessors: set[str] = set()
    with engine.begin() as connection:
        for row in table.rows.iter_rows(named=True):
            values = {
                name: (str(row[position]).strip() or None) if row[position] is not None else None
                for name, position in columns.items()
            }
            line = int(row[LINE])
            problems = _import_row(connection, kind, values, path.parent, signer)
            if problems:
                report.rejected += 1
                report.errors.extend(problems.row_errors(str(path), line))
            else:
                report.inserted += 1
                lessors.add(str(values.get("lessor")))
    loaded = report.rows_read - report.rejected
    report.status = "loaded" if not report.rejected else ("partial" if loaded else "rejected")
    report.lessor = next(iter(lessors)) if len(lessors) == 1 else None
    report.say(
        "summary", read=report.rows_read, inserted=loaded, updated=0, unchanged=0, rejected=report.rejected
    )
    return report


def _file_of(value: str | None, folder: Path) -> Path | None:
    if value is None:
        return None
    candidate = Path(value)
    return candidate if candidate.is_absolute() else folder / candidate


def _import_row(
    connection: Connection, kind: str, values: dict[str, str | None], folder: Path, signer: NoteSigner | None
) -> Problems:
    """Store one row in a savepoint (a bad row leaves nothing behind); its problems, if any."""
    problems = Problems()
    for name in NOTICE_REQUIRED if kind == "notices" else DOCUMENT_REQUIRED:
        if values.get(name) is None:
            problems.add(name, "missing")
    if problems:
        return problems
    file_column = "document" if kind == "notices" else "file"
    savepoint = connection.begin_nested()
    try:
        if kind == "notices":
            problems = _notice_row(connection, values, folder, signer)
        else:
            problems = _document_row(connection, values, folder, signer)
    except NoticeError as error:
        # Said of the file's column of this kind of row (document, file).
        problems = Problems((file_column, code, params) for _, code, params in error.problems)
    except OSError as error:
        problems = Problems()
        problems.add(file_column, "file_unreadable", error=error.strerror or str(error))
    if problems:
        savepoint.rollback()
    else:
        savepoint.commit()
    return problems


def _notice_row(
    connection: Connection, values: dict[str, str | None], folder: Path, signer: NoteSigner | None
) -> Problems:
    problems = Problems()
    sent_on = _date(values.get("sent_on"), "sent_on", problems)
    delivered_on = _date(values.get("delivered_on"), "delivered_on", problems)
    deadline = _whole(values.get("deadline_days"), "deadline_days", problems, least=0)
    document = _file_of(values.get("document"), folder)
    if problems or sent_on is None:
        return problems
    owner, found = _checked_notice(
        connection, contract_no=str(values["contract_no"]), lessor=values["lessor"], kind=str(values["kind"]),
        sent_on=sent_on, delivered_on=delivered_on, method=str(values["method"]), deadline_days=deadline,
        addressee=values.get("addressee"), document=document,
    )  # fmt: skip
    if found:
        return found
    stored = {
        "lessor": owner, "contract_no": values["contract_no"], "kind": values["kind"],
        "addressee": values.get("addressee") or "", "sent_on": sent_on, "delivered_on": delivered_on,
        "method": values["method"], "deadline_days": deadline,
    }  # fmt: skip
    _store_notice(connection, signer, owner, stored, document)
    return Problems()


def _document_row(
    connection: Connection, values: dict[str, str | None], folder: Path, signer: NoteSigner | None
) -> Problems:
    problems = Problems()
    lessor = str(values["lessor"])
    contract_no, asset_id = values.get("contract_no"), values.get("asset_id")
    kind = str(values["kind"])
    if kind not in DOCUMENT_KIND_LABELS:
        problems.add("kind", "unknown_choice", value=kind, choices=tuple(DOCUMENT_KIND_LABELS))
    if contract_no is None and asset_id is None:
        problems.add("contract_no", "contract_or_asset")
    if contract_no is not None:
        found = _contract(connection, contract_no)
        if found is None or found[0] != lessor:
            problems.add("contract_no", "contract_not_in_store", contract_no=contract_no)
    if asset_id is not None:
        known = connection.execute(
            text("select 1 from assets where lessor = :lessor and asset_id = :id"), {"lessor": lessor, "id": asset_id}
        ).first()  # fmt: skip
        if known is None:
            problems.add("asset_id", "asset_not_in_store", asset_id=asset_id, lessor=lessor)
    pages = _whole(values.get("pages"), "pages", problems, least=1)
    file = _file_of(values.get("file"), folder)
    if file is None or not file.is_file():
        problems.add("file", "no_such_file", path=str(file))
    if problems or file is None:
        return problems
    ref = f"contract:{contract_no}" if contract_no is not None else f"asset:{asset_id}"
    index, name, digest = _deposit(connection, signer, lessor, ref, file)
    stored = {
        "lessor": lessor, "contract_no": contract_no or "", "asset_id": asset_id or "", "kind": kind,
        "title": values.get("title") or DOCUMENT_KIND_LABELS[kind], "source": values.get("source"), "pages": pages,
        "file_name": name, "sha256": digest, "evidence_index": index,
    }  # fmt: skip
    _upsert(connection, Document, ("lessor", "contract_no", "asset_id", "kind", "sha256"), stored)
    return Problems()
