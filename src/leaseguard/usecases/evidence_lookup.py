"""Looking up a lessor's evidence records and verifying a bundle anyone uploads: the one home of what the
console's /evidence pages need (the CLI's `evidence show/export/checkpoint/verify` and /v1/evidence do the same
jobs over evidence.service and evidence.bundle, which this module also calls).

Records are always read for one lessor: another lessor's record is UnknownRecordError, as a missing one.
Verification reads only the uploaded bytes and the log's public key; it never looks at stored records, so a
bundle may be anyone's."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session

from leaseguard.errors import InvalidInputError
from leaseguard.evidence import bundle, service
from leaseguard.evidence.models import in_both
from leaseguard.evidence.verifier import ProofError, VerifierKey, verify_inclusion
from leaseguard.store.models import EvidenceRecord
from leaseguard.vocabulary import Label

RECORDS_PER_PAGE = 20
MAX_LOOKUP_CHARS = 200  # the longest reference the log keeps (service.MAX_REF)
# A payload is shown as a table of at most this many fields; the rest is in the bundle.
MAX_PAYLOAD_ROWS = 200
PAYLOAD_VALUE_CHARS = 500
# A reference without a scheme is read as a contract number or an asset id, the references enforcement uses.
BARE_REF_SCHEMES = ("contract:", "asset:")

_records = cast(Table, EvidenceRecord.__table__)


class LookupTextError(InvalidInputError):
    """What was typed into the look-up box cannot be looked up; the message is said beside the box."""


EMPTY_LOOKUP = Label("请输入记录编号或引用。", "Enter a record index or a reference.")
LOOKUP_TOO_LONG = Label("最多 {limit} 个字符。", "At most {limit} characters.")
INDEX_TOO_LARGE = Label("记录编号过大。", "The record index is too large.")
MAX_INDEX = 2**62


@dataclass(frozen=True)
class Lookup:
    """A parsed look-up: one record by its index, or the records whose reference starts with any prefix."""

    index: int | None = None
    prefixes: tuple[str, ...] = ()
    text: str = ""


def parse_lookup(text: str | None) -> Lookup:
    """`12` or `#12`: record 12. `contract:AL-1` (anything with a colon): references starting so. Anything
    else: a contract number or asset id, i.e. references starting with `contract:<text>` or `asset:<text>`."""
    given = (text or "").strip()
    if not given:
        raise LookupTextError(EMPTY_LOOKUP)
    if len(given) > MAX_LOOKUP_CHARS:
        raise LookupTextError(LOOKUP_TOO_LONG, limit=MAX_LOOKUP_CHARS)
    digits = given.removeprefix("#")
    if re.fullmatch(r"[0-9]+", digits):
        index = int(digits)
        if index >= MAX_INDEX:
            raise LookupTextError(INDEX_TOO_LARGE)
        return Lookup(index=index, text=given)
    if ":" in given:
        return Lookup(prefixes=(given,), text=given)
    return Lookup(prefixes=tuple(scheme + given for scheme in BARE_REF_SCHEMES), text=given)


# --- the latest checkpoint ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root_hash: str  # base64, as the note carries it
    key_id: str  # hex, as in the verifier key
    vkey: str
    signed_at: dt.datetime | None
    note: str


def latest_checkpoint(session: Session) -> CheckpointView | None:
    """The newest signed checkpoint of the log with the key that signed it; None before the first record."""
    checkpoint = service.latest_checkpoint(session)
    key = service.log_key(session)
    if checkpoint is None or key is None:
        return None
    return CheckpointView(
        origin=checkpoint.checkpoint.origin,
        size=checkpoint.size,
        root_hash=_b64(checkpoint.root_hash),
        key_id=key.key_id.hex(),
        vkey=key.vkey,
        signed_at=_utc(checkpoint.created_at),
        note=checkpoint.note,
    )


# --- lists of records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLine:
    index: int
    kind: str
    ref: str | None
    appended_at: dt.datetime


@dataclass(frozen=True)
class RecordPage:
    """One page of records; `next_cursor` is passed back for the next page (None: the last page)."""

    items: list[RecordLine]
    next_cursor: str | None


def _line(row: Any) -> RecordLine:
    return RecordLine(int(row.leaf_index), row.kind, row.ref, _utc(row.appended_at) or row.appended_at)


_LINE_COLUMNS = (_records.c.leaf_index, _records.c.kind, _records.c.ref, _records.c.appended_at)


def recent_records(
    session: Session, lessor: str, *, before: int | None = None, limit: int = RECORDS_PER_PAGE
) -> RecordPage:
    """The lessor's records, newest first, `limit` at a time below index `before` (keyset on the log index)."""
    query = select(*_LINE_COLUMNS).where(_records.c.lessor == lessor)  # ix_evidence_records_lessor_index
    if before is not None:
        query = query.where(_records.c.leaf_index < before)
    rows = session.execute(query.order_by(_records.c.leaf_index.desc()).limit(limit + 1)).all()
    items = [_line(row) for row in rows[:limit]]
    return RecordPage(items, str(items[-1].index) if len(rows) > limit else None)


def _prefix_range(prefix: str) -> Any:
    # A range on the (lessor, ref) index rather than LIKE, whose wildcards would need escaping and which
    # SQLite plans as a scan; U+10FFFF sorts after every character a reference holds.
    return and_(_records.c.ref >= prefix, _records.c.ref < prefix + "\U0010ffff")


def records_by_reference(
    session: Session, lessor: str, prefixes: Sequence[str], *, after: str | None = None,
    limit: int = RECORDS_PER_PAGE,
) -> RecordPage:  # fmt: skip
    """The lessor's records whose reference starts with one of `prefixes`, by reference then index, `limit` at a
    time after the cursor `after` (keyset on (reference, index))."""
    query = select(*_LINE_COLUMNS).where(
        _records.c.lessor == lessor, or_(*(_prefix_range(prefix) for prefix in prefixes))
    )
    cursor = _parse_cursor(after)
    if cursor is not None:
        ref, index = cursor
        query = query.where(
            or_(_records.c.ref > ref, and_(_records.c.ref == ref, _records.c.leaf_index > index))
        )
    rows = session.execute(query.order_by(_records.c.ref, _records.c.leaf_index).limit(limit + 1)).all()
    items = [_line(row) for row in rows[:limit]]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return RecordPage(items, f"{last.index}:{last.ref}" if more and last is not None else None)


def _parse_cursor(after: str | None) -> tuple[str, int] | None:
    """A cursor `<index>:<ref>` as made by records_by_reference; a malformed one starts from the beginning."""
    if not after:
        return None
    index, _, ref = after.partition(":")
    if not index.isdigit() or not ref:
        return None
    return ref, int(index)


# --- one record -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inclusion:
    """Whether the record is in the latest checkpoint's tree, checked here with its inclusion proof."""

    tree_size: int | None  # None: no checkpoint yet
    included: bool
    proof_hashes: int = 0
    problem: Label | None = None


@dataclass(frozen=True)
class RecordDetail:
    index: int
    kind: str
    ref: str | None
    media_type: str
    appended_at: dt.datetime
    content_size: int
    content_sha256: str
    leaf_hash: str  # base64
    provenance: dict[str, str]
    payload: list[tuple[str, str]]  # field, value — empty when the content is not a JSON object
    payload_cut: bool  # more fields than shown
    inclusion: Inclusion
    entry: dict[str, Any] = field(default_factory=dict)


def record_detail(session: Session, lessor: str, index: int) -> RecordDetail:
    """Record `index` of `lessor` with its payload as rows and its inclusion in the latest checkpoint;
    UnknownRecordError for a record that is missing or another lessor's."""
    record = service.get_record(session, index, lessor=lessor)
    content = record.content or b""
    payload, cut = _payload_rows(content, record.media_type)
    provenance = record.fields.get("provenance")
    return RecordDetail(
        index=record.index,
        kind=record.kind,
        ref=record.ref,
        media_type=record.media_type,
        appended_at=_utc(record.appended_at) or record.appended_at,
        content_size=len(content),
        content_sha256=hashlib.sha256(content).hexdigest(),
        leaf_hash=_b64(record.leaf_hash),
        provenance={str(k): str(v) for k, v in provenance.items()} if isinstance(provenance, dict) else {},
        payload=payload,
        payload_cut=cut,
        inclusion=_inclusion(session, record.index, record.leaf_hash),
        entry=dict(record.fields),
    )


NOT_YET_CHECKPOINTED = Label(
    "此记录在最新检查点之后追加，下一个检查点将包含它。",
    "The record was appended after the latest checkpoint; the next checkpoint will include it.",
)
NOT_PROVEN = Label("包含证明未通过：{why}", "The inclusion proof fails: {why}")


def _inclusion(session: Session, index: int, leaf: bytes) -> Inclusion:
    checkpoint = service.latest_checkpoint(session)
    if checkpoint is None:
        return Inclusion(None, False, problem=service.EMPTY_LOG)
    if index >= checkpoint.size:
        return Inclusion(checkpoint.size, False, problem=NOT_YET_CHECKPOINTED)
    proof = service.inclusion_proof(session, index, checkpoint.size)
    try:
        verify_inclusion(leaf, index, checkpoint.size, proof.path, checkpoint.root_hash)
    except ProofError as error:
        return Inclusion(checkpoint.size, False, len(proof.path), NOT_PROVEN.filled(why=in_both(error)))
    return Inclusion(checkpoint.size, True, len(proof.path))


def _payload_rows(content: bytes, media_type: str) -> tuple[list[tuple[str, str]], bool]:
    """A JSON object's fields as (dotted name, value) rows, nested objects flattened; nothing for other
    content (the bundle holds it as deposited)."""
    if "json" not in media_type:
        return [], False
    try:
        parsed = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [], False
    if not isinstance(parsed, dict):
        return [], False
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
            return
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > PAYLOAD_VALUE_CHARS:
            text = text[: PAYLOAD_VALUE_CHARS - 1] + "…"
        rows.append((prefix, text))

    walk("", parsed)
    return rows[:MAX_PAYLOAD_ROWS], len(rows) > MAX_PAYLOAD_ROWS


def record_bundle(session: Session, lessor: str, index: int) -> bytes:
    """The verifiable bundle (zip) of record `index` of `lessor`, as `evidence export` writes it."""
    return bundle.export_bundle(session, [index], lessor=lessor, bundle_name=bundle_file_name(index))


def bundle_file_name(index: int) -> str:
    return f"evidence-{index}.zip"


# --- verifying an uploaded bundle -----------------------------------------------------------------------------


class BundleFileError(InvalidInputError):
    """The uploaded file is not a zip file at all; said beside the upload field."""


NOT_A_ZIP = Label(
    "{name} 不是 zip 文件：请上传从证据日志导出的证据包（.zip）。",
    "{name} is not a zip file: upload a bundle (.zip) exported from the evidence log.",
)
VALID = Label("有效", "Valid")
INVALID = Label("无效", "Invalid")
NO_LOG_KEY = Label(
    "证据日志还没有密钥，无法判断证据包由谁签名。",
    "The evidence log has no key yet, so who signed the bundle cannot be told.",
)


@dataclass(frozen=True)
class VerifiedRecord:
    index: int
    ok: bool
    kind: str
    lessor: str
    ref: str
    time: str


@dataclass(frozen=True)
class BundleCheck:
    """The verdict on an uploaded bundle: valid only if every check passed with the log's own key."""

    ok: bool
    verdict: Label
    reasons: tuple[Label, ...]
    origin: str | None
    tree_size: int | None
    root_hash: str | None
    key_id: str | None
    records: tuple[VerifiedRecord, ...]


def verify_uploaded_bundle(session: Session, data: bytes, *, file_name: str = "bundle.zip") -> BundleCheck:
    """Verify `data` against the log's public key (never the key inside the bundle, which proves no origin).

    BundleFileError when the bytes are not a zip file; any other fault is a reason in an invalid verdict."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BundleFileError(NOT_A_ZIP, name=file_name)
    key: VerifierKey | None = service.log_key(session)
    if key is None:
        return BundleCheck(False, INVALID, (NO_LOG_KEY,), None, None, None, None, ())
    verdict = bundle.verify_bundle(data, trusted_key=key)
    records = tuple(
        VerifiedRecord(
            index=record.index,
            ok=record.ok,
            kind=str(record.summary.get("kind") or ""),
            lessor=str(record.summary.get("lessor") or ""),
            ref=str(record.summary.get("ref") or ""),
            time=str(record.summary.get("time") or ""),
        )
        for record in verdict.records
    )
    checkpoint = verdict.checkpoint
    return BundleCheck(
        ok=verdict.ok,
        verdict=VALID if verdict.ok else INVALID,
        reasons=tuple(in_both(problem) for problem in verdict.problems),
        origin=checkpoint.origin if checkpoint else None,
        tree_size=checkpoint.size if checkpoint else None,
        root_hash=_b64(checkpoint.root_hash) if checkpoint else None,
        key_id=verdict.key.key_id.hex() if verdict.key else None,
        records=records,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back the stored time without its offset; it was stored in UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
