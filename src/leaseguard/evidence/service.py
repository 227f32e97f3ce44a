"""The evidence log over the store: append in batches, publish signed checkpoints, read records and proofs.

Every function takes a Session (work joins the caller's transaction), a Connection, or an Engine (work runs
in a transaction of its own). Reads of record contents always name the tenant; proofs and checkpoints are
about the shared tree and name none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leaseguard.errors import ConflictError, LeaseguardError, NotFoundError, StoreFaultError, TooLargeError
from leaseguard.evidence import merkle
from leaseguard.evidence.checkpoint import NoteSigner, load_signer, sign_checkpoint
from leaseguard.evidence.models import (
    AppendedBatch,
    AuditVerdict,
    InclusionProof,
    NewRecord,
    Provenance,
    Receipt,
    SignedCheckpoint,
    StoredRecord,
    canonical_json,
    entry_bytes,
    in_both,
)
from leaseguard.evidence.verifier import (
    Checkpoint,
    NoteError,
    ProofError,
    VerifierKey,
    keys_for_public_key,
    verify_checkpoint,
)
from leaseguard.store.models import EvidenceCheckpoint, EvidenceLog, EvidenceNode, EvidenceRecord, Lessor
from leaseguard.vocabulary import Label
from leaseguard.workspace import Workspace

DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024
LOG_ROW_ID = 1
MAX_KIND = 64
MAX_REF = 200
MAX_MEDIA_TYPE = 100

Target = Session | Connection | Engine

_records = cast(Table, EvidenceRecord.__table__)
_nodes = cast(Table, EvidenceNode.__table__)
_log = cast(Table, EvidenceLog.__table__)
_checkpoints = cast(Table, EvidenceCheckpoint.__table__)


class EvidenceError(LeaseguardError):
    """A request the evidence log refuses; the message is for the user, one line."""


class RecordTooLargeError(EvidenceError, TooLargeError):
    """A record is larger than the configured limit (evidence.max_record_bytes)."""


class UnknownRecordError(EvidenceError, NotFoundError):
    """No such record for this tenant (another tenant's record looks exactly like a missing one)."""


class LogKeyError(EvidenceError, ConflictError):
    """The signer given is not the key or origin the log was started with."""


class StoreDamagedError(EvidenceError, StoreFaultError):
    """The stored tree lacks a node or disagrees with its own signed checkpoint."""


@contextmanager
def connected(target: Target) -> Iterator[Connection]:
    if isinstance(target, Session):
        yield target.connection()
    elif isinstance(target, Connection):
        yield target
    else:
        with target.begin() as connection:
            yield connection


class StoreNodes:
    """A merkle.NodeReader over the evidence_nodes table: all the nodes of one proof in one query."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def read_nodes(self, ids: Sequence[merkle.NodeId]) -> list[bytes]:
        if not ids:
            return []
        # OR of key equalities, not a row-value IN: SQLite plans the latter as a full scan.
        wanted = or_(
            *(and_(_nodes.c.level == level, _nodes.c.position == position) for level, position in set(ids))
        )
        rows = self.connection.execute(select(_nodes.c.level, _nodes.c.position, _nodes.c.hash).where(wanted))
        found = {(level, position): bytes(node) for level, position, node in rows}
        missing = [node_id for node_id in ids if node_id not in found]
        if missing:
            raise StoreDamagedError(
                Label(
                    "数据库中缺少树节点 {nodes}：证据日志已损坏",
                    "the store lacks tree node(s) {nodes}: the evidence log is damaged",
                ),
                nodes=missing[:3],
            )
        return [found[node_id] for node_id in ids]


def _bind_value(connection: Connection, column: Any, value: Any) -> Any:
    """`value` as the driver wants it for `column` (e.g. SQLite's text form of a datetime)."""
    process = column.type.bind_processor(connection.dialect)
    return process(value) if process else value


def _bulk_insert(
    connection: Connection, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """One executemany of plain tuples straight to the driver: SQLAlchemy's per-row parameter processing
    would cost more than the insert itself at tens of thousands of rows per second."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows))


def _check_record(position: int, record: NewRecord, max_record_bytes: int) -> None:
    where = Label("本批第 {n} 条记录", "record {n} of the batch").filled(n=position + 1)
    if not isinstance(record.content, bytes):
        raise EvidenceError(Label("{where}：内容应为字节串", "{where}: content must be bytes"), where=where)
    if len(record.content) > max_record_bytes:
        raise RecordTooLargeError(
            Label(
                "{where}有 {size:,} 字节；上限为 {limit:,} 字节（设置 evidence.max_record_bytes）",
                "{where} is {size:,} bytes; the limit is {limit:,} bytes (setting evidence.max_record_bytes)",
            ),
            where=where,
            size=len(record.content),
            limit=max_record_bytes,
        )
    if not record.kind or len(record.kind) > MAX_KIND:
        raise EvidenceError(
            Label(
                "{where}：类型（kind）应为 1 到 {most} 个字符", "{where}: kind must be 1 to {most} characters"
            ),
            where=where,
            most=MAX_KIND,
        )
    if record.ref is not None and not 0 < len(record.ref) <= MAX_REF:
        raise EvidenceError(
            Label(
                "{where}：引用（ref）应为 1 到 {most} 个字符", "{where}: ref must be 1 to {most} characters"
            ),
            where=where,
            most=MAX_REF,
        )
    if not record.media_type or len(record.media_type) > MAX_MEDIA_TYPE:
        raise EvidenceError(
            Label(
                "{where}：媒体类型应为 1 到 {most} 个字符",
                "{where}: media type must be 1 to {most} characters",
            ),
            where=where,
            most=MAX_MEDIA_TYPE,
        )
    if not record.provenance.producer.strip() or not record.provenance.system.strip():
        raise EvidenceError(
            Label(
                "{where}：来源需写明由谁产生（producer）以及在哪个系统中产生",
                "{where}: provenance needs who produced it (producer) and in which system",
            ),
            where=where,
        )


def _lock_log(connection: Connection, signer: NoteSigner | None) -> tuple[str, bytes, int]:
    """Take the log's write lock and return (origin, public key, size); creates the log on first use."""
    # An UPDATE first: it takes the row lock on PostgreSQL and the write lock on SQLite before anything is
    # read, so two appenders never compute from the same size.
    lock = update(_log).where(_log.c.id == LOG_ROW_ID).values(size=_log.c.size)
    if not connection.execute(lock).rowcount:
        if signer is None:
            raise EvidenceError(
                Label("证据日志为空，还没有密钥", "the evidence log is empty and has no key yet")
            )
        # Two first appenders may race to create the row: the loser's insert does nothing, then it locks.
        dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(
            dialect_insert(_log)
            .values(
                id=LOG_ROW_ID,
                origin=signer.name,
                public_key=signer.public_key,
                size=0,
                updated_at=dt.datetime.now(dt.UTC),
            )
            .on_conflict_do_nothing()
        )
        connection.execute(lock)
    origin, public_key, size = connection.execute(
        select(_log.c.origin, _log.c.public_key, _log.c.size).where(_log.c.id == LOG_ROW_ID)
    ).one()
    if signer is not None and (origin != signer.name or bytes(public_key) != signer.public_key):
        raise LogKeyError(
            Label(
                "证据日志 {origin!r} 启用时所用的密钥或来源与 {signer!r} 不同；请检查 keys.evidence_signing_key 和"
                " evidence.origin",
                "the evidence log {origin!r} was started with another key or origin than {signer!r}; check"
                " keys.evidence_signing_key and evidence.origin",
            ),
            origin=origin,
            signer=signer.name,
        )
    return origin, bytes(public_key), int(size)


def _frontier(connection: Connection, size: int) -> list[bytes]:
    return StoreNodes(connection).read_nodes(merkle.frontier_ids(size))


def _publish(
    connection: Connection, signer: NoteSigner, size: int, root: bytes, now: dt.datetime
) -> SignedCheckpoint:
    checkpoint = Checkpoint(signer.name, size, root)
    note = sign_checkpoint(checkpoint, signer)
    connection.execute(insert(_checkpoints).values(tree_size=size, root_hash=root, note=note, created_at=now))
    return SignedCheckpoint(checkpoint, note, now)


def append_records(
    target: Target,
    records: Sequence[NewRecord],
    *,
    lessor: str,
    signer: NoteSigner,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> AppendedBatch:
    """Append `records` for tenant `lessor` as one batch and publish a checkpoint covering them.

    The batch is all in or not at all: every record is checked before anything is written, and all writes
    share one transaction (the caller's, when `target` is a Session or Connection).

    Deposits are idempotent by content: a record with a reference whose lessor, kind, reference and content
    are already in the log is not appended again; its receipt points to the record on file (`existing`), so
    a re-run after a crash, or of a day already run, leaves the log as one uninterrupted run would.
    """
    if not records:
        raise EvidenceError(Label("没有可追加的内容：这一批是空的", "nothing to append: the batch is empty"))
    for position, record in enumerate(records):
        _check_record(position, record, max_record_bytes)
    with connected(target) as connection:
        if connection.execute(select(Lessor.code).where(Lessor.code == lessor)).first() is None:
            raise EvidenceError(
                Label(
                    "未知出租人 {lessor!r}；请用 `leaseguard lessors add` 添加",
                    "unknown lessor {lessor!r}; add it with `leaseguard lessors add`",
                ),
                lessor=lessor,
            )
        origin, _, size = _lock_log(connection, signer)
        # Looked up under the log's lock: two depositors of one fact cannot both miss it.
        on_file = _on_file(connection, lessor, records)
        fresh: list[NewRecord] = []
        planned: set[FactKey] = set()
        for record in records:
            key = _fact_key(record)
            if key is None or (key not in on_file and key not in planned):
                fresh.append(record)
                if key is not None:
                    planned.add(key)
        if not fresh:
            latest = _latest_checkpoint(connection)
            assert latest is not None, "a log with records has a checkpoint"
            return AppendedBatch(tuple(on_file[cast(FactKey, _fact_key(r))] for r in records), latest)
        batch = _append_fresh(connection, fresh, lessor=lessor, signer=signer, origin=origin, size=size)
    by_key = dict(on_file)
    new_receipts = []  # of records without a reference, in batch order
    for record, receipt in zip(fresh, batch.receipts, strict=True):
        key = _fact_key(record)
        if key is None:
            new_receipts.append(receipt)
        else:
            by_key[key] = receipt
    unkeyed = iter(new_receipts)
    receipts = tuple(
        next(unkeyed) if (key := _fact_key(record)) is None else by_key[key] for record in records
    )
    return AppendedBatch(receipts, batch.checkpoint)


FactKey = tuple[str, str, bytes]


def _fact_key(record: NewRecord) -> FactKey | None:
    """What makes two deposits the same fact; a record without a reference is always a new one."""
    if record.ref is None:
        return None
    return record.kind, record.ref, hashlib.sha256(record.content).digest()


def _on_file(connection: Connection, lessor: str, records: Sequence[NewRecord]) -> dict[FactKey, Receipt]:
    """The batch's facts already in the log for `lessor`, with the receipt of the record on file."""
    refs = sorted({record.ref for record in records if record.ref is not None})
    wanted = {key for key in map(_fact_key, records) if key is not None}
    found: dict[FactKey, Receipt] = {}
    for start in range(0, len(refs), 500):
        rows = connection.execute(
            select(_records.c.leaf_index, _records.c.kind, _records.c.ref, _records.c.content,
                   _records.c.entry, _records.c.appended_at)
            .where(_records.c.lessor == lessor, _records.c.ref.in_(refs[start : start + 500]))
            .order_by(_records.c.leaf_index)
        ).all()  # fmt: skip
        for row in rows:
            key = (row.kind, row.ref, hashlib.sha256(bytes(row.content)).digest())
            if key in wanted and key not in found:
                stamp = _utc(row.appended_at)
                found[key] = Receipt(
                    int(row.leaf_index), stamp, merkle.leaf_hash(bytes(row.entry)), existing=True
                )
    return found


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back the stored time without its offset; it was stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _latest_checkpoint(connection: Connection) -> SignedCheckpoint | None:
    row = connection.execute(select(_checkpoints).order_by(_checkpoints.c.tree_size.desc()).limit(1)).first()
    return None if row is None else _checkpoint_from_row(row)


def _append_fresh(
    connection: Connection,
    records: Sequence[NewRecord],
    *,
    lessor: str,
    signer: NoteSigner,
    origin: str,
    size: int,
) -> AppendedBatch:
    now = dt.datetime.now(dt.UTC)
    entries = [
        entry_bytes(record, origin=origin, lessor=lessor, appended_at=now, salt=secrets.token_bytes(16))
        for record in records
    ]
    leaves = [merkle.leaf_hash(entry) for entry in entries]
    created, frontier = merkle.append_leaves(size, _frontier(connection, size), leaves)
    stamp = _bind_value(connection, _records.c.appended_at, now)
    _bulk_insert(
        connection,
        _records,
        ("leaf_index", "lessor", "kind", "ref", "media_type", "entry", "content", "appended_at"),
        [
            (
                size + offset,
                lessor,
                record.kind,
                record.ref,
                record.media_type,
                entry,
                record.content,
                stamp,
            )
            for offset, (record, entry) in enumerate(zip(records, entries, strict=True))
        ],
    )
    _bulk_insert(connection, _nodes, ("level", "position", "hash"), created)
    new_size = size + len(records)
    connection.execute(update(_log).where(_log.c.id == LOG_ROW_ID).values(size=new_size, updated_at=now))
    checkpoint = _publish(connection, signer, new_size, merkle.root_from_frontier(frontier), now)
    receipts = tuple(Receipt(size + offset, now, leaf) for offset, leaf in enumerate(leaves))
    return AppendedBatch(receipts, checkpoint)


def append_event(
    target: Target,
    event: Mapping[str, Any],
    *,
    lessor: str,
    kind: str,
    provenance: Provenance,
    signer: NoteSigner,
    ref: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Receipt:
    """Append one JSON event (canonical JSON bytes) for `lessor`; the way other capabilities record a
    decision, e.g. kind="asset-check", ref="asset_check:42"."""
    try:
        content = canonical_json(dict(event))
    except (TypeError, ValueError) as error:
        raise EvidenceError(
            Label("事件无法序列化为 JSON：{error}", "the event is not JSON-serialisable: {error}"),
            error=error,
        ) from None
    record = NewRecord(content, provenance, kind=kind, media_type="application/json", ref=ref)
    batch = append_records(target, [record], lessor=lessor, signer=signer, max_record_bytes=max_record_bytes)
    return batch.receipts[0]


def _checkpoint_from_row(row: Any) -> SignedCheckpoint:
    origin = row.note.split("\n", 1)[0]
    return SignedCheckpoint(
        Checkpoint(origin, int(row.tree_size), bytes(row.root_hash)), row.note, row.created_at
    )


def latest_checkpoint(target: Target) -> SignedCheckpoint | None:
    """The newest published checkpoint, or None if none was ever published."""
    with connected(target) as connection:
        row = connection.execute(
            select(_checkpoints).order_by(_checkpoints.c.tree_size.desc(), _checkpoints.c.id.desc()).limit(1)
        ).first()
    return None if row is None else _checkpoint_from_row(row)


def publish_checkpoint(target: Target, signer: NoteSigner) -> SignedCheckpoint:
    """Sign and store a checkpoint of the log as it is now (on demand); reuses the newest if it is current."""
    with connected(target) as connection:
        _, _, size = _lock_log(connection, signer)
        root = merkle.root_from_frontier(_frontier(connection, size))
        latest = latest_checkpoint(connection)
        if latest is not None and latest.size == size and latest.root_hash == root:
            return latest
        return _publish(connection, signer, size, root, dt.datetime.now(dt.UTC))


def log_key(target: Target) -> VerifierKey | None:
    """The log's verifier key (origin and public key), None before the first append."""
    with connected(target) as connection:
        row = connection.execute(select(_log.c.origin, _log.c.public_key)).first()
    return None if row is None else VerifierKey(row.origin, bytes(row.public_key))


def log_size(target: Target) -> int:
    with connected(target) as connection:
        size = connection.execute(select(_log.c.size).where(_log.c.id == LOG_ROW_ID)).scalar()
    return int(size or 0)


def _stored(row: Any, with_content: bool) -> StoredRecord:
    entry = bytes(row.entry)
    return StoredRecord(
        index=int(row.leaf_index),
        lessor=row.lessor,
        kind=row.kind,
        ref=row.ref,
        media_type=row.media_type,
        entry=entry,
        appended_at=row.appended_at,
        content=bytes(row.content) if with_content else None,
        fields=json.loads(entry),
    )


def get_record(target: Target, index: int, *, lessor: str | None) -> StoredRecord:
    """Record `index` with its content. `lessor` is the caller's tenant; None means the operator, who may read
    any record. Another tenant's record raises UnknownRecordError exactly like a missing one."""
    query = select(_records).where(_records.c.leaf_index == index)
    if lessor is not None:
        query = query.where(_records.c.lessor == lessor)
    with connected(target) as connection:
        row = connection.execute(query).first()
    if row is None:
        raise UnknownRecordError(Label("没有证据记录 {index}", "no evidence record {index}"), index=index)
    return _stored(row, with_content=True)


def list_records(
    target: Target, *, lessor: str, ref: str | None = None, after: int | None = None, limit: int = 100
) -> list[StoredRecord]:
    """A tenant's records in log order (without content), optionally only those with reference `ref`."""
    columns = [column for column in _records.c if column.name != "content"]
    query = select(*columns).where(_records.c.lessor == lessor)
    if ref is not None:
        query = query.where(_records.c.ref == ref)
    if after is not None:
        query = query.where(_records.c.leaf_index > after)
    with connected(target) as connection:
        rows = connection.execute(query.order_by(_records.c.leaf_index).limit(limit)).all()
    return [_stored(row, with_content=False) for row in rows]


def _proof_size(connection: Connection, tree_size: int | None) -> int:
    size = int(connection.execute(select(_log.c.size).where(_log.c.id == LOG_ROW_ID)).scalar() or 0)
    if tree_size is None:
        return size
    if tree_size > size:
        raise EvidenceError(_BEYOND, tree_size=tree_size, size=size)
    return tree_size


_BEYOND = Label(
    "树大小 {tree_size} 超出了日志的大小 {size}", "tree size {tree_size} is beyond the log's size {size}"
)


def inclusion_proof(target: Target, index: int, tree_size: int | None = None) -> InclusionProof:
    """Inclusion proof of leaf `index` in the tree of `tree_size` leaves (default: the current tree).

    Open to every tenant: it holds only hashes, and leaf hashes are salted.
    """
    with connected(target) as connection:
        size = _proof_size(connection, tree_size)
        if not 0 <= index < size:
            raise UnknownRecordError(
                Label(
                    "大小为 {size} 的树中没有证据记录 {index}",
                    "no evidence record {index} in a tree of size {size}",
                ),
                index=index,
                size=size,
            )
        nodes = StoreNodes(connection)
        leaf = nodes.read_nodes([(0, index)])[0]
        path = merkle.inclusion_proof(index, size, nodes)
    return InclusionProof(index, size, leaf, tuple(path))


def consistency_proof(target: Target, old_size: int, new_size: int | None = None) -> list[bytes]:
    """Consistency proof from the tree of `old_size` leaves to the tree of `new_size` (default: current)."""
    with connected(target) as connection:
        size = _proof_size(connection, new_size)
        if not 0 <= old_size <= size:
            raise EvidenceError(_BEYOND, tree_size=old_size, size=size)
        return merkle.consistency_proof(old_size, size, StoreNodes(connection))


def tree_root(target: Target, tree_size: int | None = None) -> bytes:
    """Root hash of the stored tree at `tree_size` leaves (default: current), from O(log n) stored nodes."""
    with connected(target) as connection:
        size = _proof_size(connection, tree_size)
        return merkle.root_from_frontier(_frontier(connection, size))


def audit(target: Target, old_note: str, *, trusted_key: VerifierKey | bytes | None = None) -> AuditVerdict:
    """Whether the log's newest checkpoint extends the checkpoint in `old_note`. Reads only.

    The old checkpoint's signature is checked with `trusted_key`, else with the log's own key; the stored
    tree must also reproduce the newest signed root.
    """
    problems: list[Label] = []
    with connected(target) as connection:
        key = trusted_key if trusted_key is not None else log_key(connection)
        current = latest_checkpoint(connection)
        if key is None or current is None:
            return AuditVerdict(False, (EMPTY_LOG,), None, current)
        try:
            keys = [key] if isinstance(key, VerifierKey) else keys_for_public_key(old_note, key)
            old, _ = verify_checkpoint(old_note, keys)
        except NoteError as error:
            not_valid = Label("旧检查点无效：{error}", "the old checkpoint is not valid: {error}")
            return AuditVerdict(False, (not_valid.filled(error=in_both(error)),), None, current)
        if old.origin != current.checkpoint.origin:
            problems.append(
                Label(
                    "旧检查点属于日志 {old!r}，而这里是 {current!r}",
                    "the old checkpoint is of log {old!r}, this is {current!r}",
                ).filled(old=old.origin, current=current.checkpoint.origin)
            )
        if old.size > current.size:
            problems.append(
                Label(
                    "树大小倒退了：旧检查点有 {old} 个叶，日志现在有 {now} 个",
                    "the tree size went backwards: the old checkpoint has {old} leaves, the log now {now}",
                ).filled(old=old.size, now=current.size)
            )
        if problems:
            return AuditVerdict(False, tuple(problems), old, current)
        stored_root = merkle.root_from_frontier(_frontier(connection, current.size))
        if stored_root != current.root_hash:
            problems.append(
                Label(
                    "存储的树得不出最新签名的根哈希：数据库已被改动",
                    "the stored tree does not reproduce the newest signed root: the store was altered",
                )
            )
        proof = merkle.consistency_proof(old.size, current.size, StoreNodes(connection))
    try:
        merkle.verify_consistency(old.size, current.size, proof, old.root_hash, current.root_hash)
    except ProofError as error:
        problems.append(
            Label(
                "日志没有延续旧检查点：{error}", "the log does not extend the old checkpoint: {error}"
            ).filled(error=in_both(error))
        )
    return AuditVerdict(not problems, tuple(problems), old, current, tuple(proof))


EMPTY_LOG = Label("证据日志为空：尚未发布任何内容", "the evidence log is empty: nothing has been published")


@dataclass(frozen=True)
class LogSettings:
    """What appending needs from a workspace: the signer and the record size limit."""

    signer: NoteSigner
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES


def log_settings(workspace: Workspace) -> LogSettings:
    """The signer (keys.evidence_signing_key, named evidence.origin or by default after the key) and
    evidence.max_record_bytes of a workspace."""
    path = workspace.path("keys", "evidence_signing_key")
    origin = workspace.setting("evidence", "origin")
    limit = workspace.setting("evidence", "max_record_bytes", default=DEFAULT_MAX_RECORD_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise EvidenceError(
            Label(
                "设置 evidence.max_record_bytes 应为正整数（字节）",
                "setting evidence.max_record_bytes must be a positive whole number of bytes",
            )
        )
    try:
        signer = load_signer(path, str(origin) if origin else None)
    except NoteError as error:
        raise EvidenceError(in_both(error)) from None
    except OSError as error:
        raise EvidenceError(
            Label(
                "{path}：无法读取证据签名密钥（{why}）",
                "{path}: cannot read the evidence signing key ({why})",
            ),
            path=path,
            why=error.strerror,
        ) from None
    return LogSettings(signer, limit)
