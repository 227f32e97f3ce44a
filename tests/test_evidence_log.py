"""The evidence log over the store, on a SQLite file and on PostgreSQL: appends, checkpoints, proofs, failed
batches, tenants, audits."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select, text, update

from leaseguard.evidence import merkle, service
from leaseguard.evidence.checkpoint import NoteSigner, sign_checkpoint
from leaseguard.evidence.models import NewRecord, Provenance
from leaseguard.evidence.verifier import Checkpoint, verify_checkpoint
from leaseguard.store.db import session_factory
from leaseguard.store.models import EvidenceCheckpoint, EvidenceNode, EvidenceRecord

ORIGIN = "leaseguard.test/log"
PROVENANCE = Provenance("analyst@alpha", "core-lease 4.2", dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    with store_engine.begin() as connection:
        connection.execute(
            text("insert into lessors (code, name) values ('ALPHA', 'Alpha'), ('BETA', 'Beta')")
        )
    return store_engine


def records(count: int, start: int = 0, kind: str = "document") -> list[NewRecord]:
    return [
        NewRecord(f"record {start + n}".encode(), PROVENANCE, kind=kind, ref=f"R-{start + n}")
        for n in range(count)
    ]


def all_leaf_hashes(engine: Engine) -> list[bytes]:
    with engine.connect() as connection:
        entries = connection.execute(
            select(EvidenceRecord.entry).order_by(EvidenceRecord.leaf_index)
        ).scalars()
        return [merkle.leaf_hash(bytes(entry)) for entry in entries]


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as connection:
        return (
            service.log_size(connection),
            connection.scalar(select(func.count()).select_from(EvidenceRecord)) or 0,
            connection.scalar(select(func.count()).select_from(EvidenceNode)) or 0,
            connection.scalar(select(func.count()).select_from(EvidenceCheckpoint)) or 0,
        )


def test_append_returns_receipts_and_a_signed_checkpoint(engine: Engine, signer: NoteSigner) -> None:
    before = dt.datetime.now(dt.UTC)
    batch = service.append_records(engine, records(5), lessor="ALPHA", signer=signer)
    assert [receipt.index for receipt in batch.receipts] == [0, 1, 2, 3, 4]
    assert all(receipt.timestamp >= before for receipt in batch.receipts)
    checkpoint, _ = verify_checkpoint(batch.checkpoint.note, [signer.verifier])
    assert checkpoint == Checkpoint(ORIGIN, 5, merkle.root_hash([r.leaf_hash for r in batch.receipts]))
    assert service.latest_checkpoint(engine) == batch.checkpoint or (
        service.latest_checkpoint(engine) is not None
        and service.latest_checkpoint(engine).note == batch.checkpoint.note  # type: ignore[union-attr]
    )
    stored = service.get_record(engine, 3, lessor="ALPHA")
    assert stored.content == b"record 3"
    assert stored.leaf_hash == batch.receipts[3].leaf_hash
    entry = json.loads(stored.entry)
    assert entry["lessor"] == "ALPHA"
    assert entry["log"] == ORIGIN
    assert entry["provenance"] == {
        "producer": "analyst@alpha",
        "system": "core-lease 4.2",
        "produced_at": "2026-03-01T09:30:00.000000Z",
    }
    assert entry["content_sha256"] == __import__("hashlib").sha256(b"record 3").hexdigest()
    assert entry["ref"] == "R-3"
    assert len(base64.b64decode(entry["salt"])) == 16


def test_proofs_from_the_store_match_the_tree_in_memory(engine: Engine, signer: NoteSigner) -> None:
    checkpoints = []
    for start, size in ((0, 1), (1, 6), (7, 10), (17, 16), (33, 4)):
        checkpoints.append(
            service.append_records(engine, records(size, start), lessor="ALPHA", signer=signer)
        )
    leaves = all_leaf_hashes(engine)
    assert len(leaves) == 37
    tree = merkle.MemoryTree(leaves)
    assert service.tree_root(engine) == tree.root() == checkpoints[-1].checkpoint.root_hash
    for tree_size in (1, 7, 17, 33, 37):
        for index in range(tree_size):
            proof = service.inclusion_proof(engine, index, tree_size)
            assert list(proof.path) == merkle.inclusion_proof(index, tree_size, leaves)
            merkle.verify_inclusion(proof.leaf_hash, index, tree_size, proof.path, tree.root(tree_size))
    for batch in checkpoints:
        old = batch.checkpoint
        path = service.consistency_proof(engine, old.size)
        merkle.verify_consistency(old.size, 37, path, old.root_hash, tree.root())


def test_a_failed_batch_leaves_no_trace(
    engine: Engine, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    before = counts(engine)
    real_insert = service._bulk_insert
    calls = []

    def failing_insert(connection: Any, table: Any, columns: Sequence[str], rows: Sequence[Any]) -> None:
        calls.append(table.name)
        real_insert(connection, table, columns, rows)
        if table.name == "evidence_nodes":
            raise RuntimeError("power cut after the nodes were written")

    monkeypatch.setattr(service, "_bulk_insert", failing_insert)
    with pytest.raises(RuntimeError, match="power cut"):
        service.append_records(engine, records(50, 3), lessor="ALPHA", signer=signer)
    assert calls == ["evidence_records", "evidence_nodes"]  # the failure came after real writes
    assert counts(engine) == before
    monkeypatch.undo()
    batch = service.append_records(engine, records(4, 3), lessor="ALPHA", signer=signer)
    assert [receipt.index for receipt in batch.receipts] == [3, 4, 5, 6]
    assert (
        service.tree_root(engine) == merkle.root_hash(all_leaf_hashes(engine)) == batch.checkpoint.root_hash
    )


def test_a_batch_joins_the_callers_transaction(engine: Engine, signer: NoteSigner) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        session.begin()
        receipt = service.append_event(
            session,
            {"asset": "VIN1", "verdict": "red"},
            lessor="ALPHA",
            kind="asset-check",
            provenance=PROVENANCE,
            signer=signer,
        )
        assert receipt.index == 0
        session.rollback()  # the caller's own work failed: the evidence of it must go too
    assert counts(engine) == (0, 0, 0, 0)
    with sessions() as session, session.begin():
        service.append_event(
            session,
            {"asset": "VIN1"},
            lessor="ALPHA",
            kind="asset-check",
            provenance=PROVENANCE,
            signer=signer,
        )
    assert counts(engine)[:2] == (1, 1)
    event = service.get_record(engine, 0, lessor="ALPHA")
    assert event.content == b'{"asset":"VIN1"}'
    assert event.media_type == "application/json"


def test_records_beyond_the_size_limit_are_refused_whole(engine: Engine, signer: NoteSigner) -> None:
    batch = [*records(2), NewRecord(b"x" * 1001, PROVENANCE)]
    with pytest.raises(
        service.RecordTooLargeError, match=r"本批第 3 条记录有 1,001 字节；上限为 1,000 字节"
    ) as caught:
        service.append_records(engine, batch, lessor="ALPHA", signer=signer, max_record_bytes=1000)
    assert caught.value.text("en").startswith(
        "record 3 of the batch is 1,001 bytes; the limit is 1,000 bytes"
    )
    assert counts(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("record", "chinese", "english"),
    [
        (NewRecord(b"x", Provenance("", "core")), "来源", "provenance"),
        (NewRecord(b"x", PROVENANCE, kind=""), "类型（kind）", "kind"),
        (NewRecord(b"x", PROVENANCE, ref="r" * 201), "引用（ref）", "ref"),
    ],
)
def test_invalid_records_are_refused(
    engine: Engine, signer: NoteSigner, record: NewRecord, chinese: str, english: str
) -> None:
    with pytest.raises(service.EvidenceError, match=chinese) as caught:
        service.append_records(engine, [record], lessor="ALPHA", signer=signer)
    assert caught.value.text("en").startswith(f"record 1 of the batch: {english}")


def test_unknown_lessor_and_empty_batch(engine: Engine, signer: NoteSigner) -> None:
    with pytest.raises(service.EvidenceError, match="未知出租人 'GAMMA'") as caught:
        service.append_records(engine, records(1), lessor="GAMMA", signer=signer)
    assert caught.value.text("en").startswith("unknown lessor 'GAMMA'")
    with pytest.raises(service.EvidenceError, match="空的") as caught:
        service.append_records(engine, [], lessor="ALPHA", signer=signer)
    assert caught.value.text("en") == "nothing to append: the batch is empty"
    assert counts(engine) == (0, 0, 0, 0)


def test_another_key_cannot_append(engine: Engine, signer: NoteSigner) -> None:
    service.append_records(engine, records(1), lessor="ALPHA", signer=signer)
    with pytest.raises(service.LogKeyError):
        service.append_records(
            engine, records(1), lessor="ALPHA", signer=NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        )
    with pytest.raises(service.LogKeyError):
        service.append_records(
            engine, records(1), lessor="ALPHA", signer=NoteSigner("other/log", signer.private_key)
        )
    assert counts(engine)[0] == 1


def test_tenants_see_only_their_records_but_share_the_tree(engine: Engine, signer: NoteSigner) -> None:
    service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    service.append_records(engine, records(2, 3), lessor="BETA", signer=signer)
    assert [r.index for r in service.list_records(engine, lessor="ALPHA")] == [0, 1, 2]
    assert [r.index for r in service.list_records(engine, lessor="BETA")] == [3, 4]
    assert [r.index for r in service.list_records(engine, lessor="BETA", ref="R-4")] == [4]
    assert service.list_records(engine, lessor="ALPHA", ref="R-4") == []
    assert service.get_record(engine, 4, lessor="BETA").content == b"record 4"
    with pytest.raises(service.UnknownRecordError) as other:
        service.get_record(engine, 4, lessor="ALPHA")
    with pytest.raises(service.UnknownRecordError) as missing:
        service.get_record(engine, 99, lessor="ALPHA")
    assert str(other.value) == "没有证据记录 4" and other.value.text("en") == "no evidence record 4"
    assert str(missing.value) == "没有证据记录 99"
    # Proofs hold only hashes: a tenant can check the shared tree at any leaf.
    proof = service.inclusion_proof(engine, 4)
    merkle.verify_inclusion(proof.leaf_hash, 4, 5, proof.path, service.tree_root(engine))


def test_checkpoint_on_demand(engine: Engine, signer: NoteSigner) -> None:
    empty = service.publish_checkpoint(engine, signer)
    assert (empty.size, empty.root_hash) == (0, merkle.EMPTY_ROOT)
    batch = service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    again = service.publish_checkpoint(engine, signer)
    assert again.note == batch.checkpoint.note
    assert counts(engine)[3] == 2


def test_proof_requests_beyond_the_log(engine: Engine, signer: NoteSigner) -> None:
    service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    with pytest.raises(service.EvidenceError, match="树大小 4 超出了日志的大小 3") as caught:
        service.inclusion_proof(engine, 0, 4)
    assert caught.value.text("en") == "tree size 4 is beyond the log's size 3"
    with pytest.raises(service.UnknownRecordError):
        service.inclusion_proof(engine, 3)
    with pytest.raises(service.EvidenceError, match="超出"):
        service.consistency_proof(engine, 4)


def test_audit(engine: Engine, signer: NoteSigner) -> None:
    old = service.append_records(engine, records(5), lessor="ALPHA", signer=signer).checkpoint
    service.append_records(engine, records(9, 5), lessor="BETA", signer=signer)
    verdict = service.audit(engine, old.note)
    assert verdict.ok, verdict.problems
    assert (verdict.old.size, verdict.current.size) == (5, 14)  # type: ignore[union-attr]
    same = service.audit(engine, service.latest_checkpoint(engine).note)  # type: ignore[union-attr]
    assert same.ok

    ahead = sign_checkpoint(Checkpoint(ORIGIN, 20, bytes(32)), signer)
    [backwards] = service.audit(engine, ahead).problems
    assert (
        backwards.text("en")
        == "the tree size went backwards: the old checkpoint has 20 leaves, the log now 14"
    )
    assert backwards.text("zh") == "树大小倒退了：旧检查点有 20 个叶，日志现在有 14 个"
    forked = sign_checkpoint(Checkpoint(ORIGIN, 5, merkle.leaf_hash(b"another history")), signer)
    verdict = service.audit(engine, forked)
    assert not verdict.ok
    assert "does not extend the old checkpoint" in verdict.problems[0].text("en")
    assert (
        verdict.problems[0].text("zh").startswith("日志没有延续旧检查点：证明")
    )  # the proof's reason, in Chinese too
    impostor = sign_checkpoint(old.checkpoint, NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    assert "not valid: the note is not signed" in service.audit(engine, impostor).problems[0].text("en")
    assert "旧检查点无效" in service.audit(engine, "garbage").problems[0].text("zh")


@pytest.mark.parametrize(
    ("level", "position", "problem"),
    [
        (3, 0, "the stored tree does not reproduce the newest signed root"),
        (2, 1, "the log does not extend the old checkpoint"),
    ],
)
def test_audit_notices_an_altered_store(
    engine: Engine, signer: NoteSigner, level: int, position: int, problem: str
) -> None:
    old = service.append_records(engine, records(4), lessor="ALPHA", signer=signer).checkpoint
    service.append_records(engine, records(4, 4), lessor="ALPHA", signer=signer)
    with engine.begin() as connection:
        connection.execute(
            update(EvidenceNode)
            .where(EvidenceNode.level == level, EvidenceNode.position == position)
            .values(hash=merkle.leaf_hash(b"rewritten history"))
        )
    verdict = service.audit(engine, old.note)
    assert not verdict.ok
    assert problem in verdict.problems[0].text("en")


def test_concurrent_appenders_queue_on_the_log(engine: Engine, signer: NoteSigner) -> None:
    errors: list[BaseException] = []

    def appender(lessor: str) -> None:
        try:
            for round_ in range(5):
                service.append_records(engine, records(7, round_ * 7), lessor=lessor, signer=signer)
        except BaseException as error:  # reported below; a thread's exception would vanish otherwise
            errors.append(error)

    threads = [threading.Thread(target=appender, args=(lessor,)) for lessor in ("ALPHA", "BETA", "ALPHA")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # The two ALPHA appenders deposit the same 35 facts: under the log's lock each goes in once.
    assert counts(engine)[:2] == (70, 70)
    leaves = all_leaf_hashes(engine)
    latest = service.latest_checkpoint(engine)
    assert latest is not None
    assert service.tree_root(engine) == merkle.root_hash(leaves) == latest.root_hash


def test_the_same_fact_for_the_same_reference_is_deposited_once(engine: Engine, signer: NoteSigner) -> None:
    first = service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    again = service.append_records(engine, records(3), lessor="ALPHA", signer=signer)
    assert [r.index for r in again.receipts] == [r.index for r in first.receipts]
    assert all(r.existing for r in again.receipts) and not any(r.existing for r in first.receipts)
    assert [r.leaf_hash for r in again.receipts] == [r.leaf_hash for r in first.receipts]
    # A changed fact under the same reference, another lessor's fact, and one without reference are new.
    changed = [NewRecord(b"record 0, corrected", PROVENANCE, ref="R-0")]
    mixed = service.append_records(engine, [*records(2), *changed], lessor="ALPHA", signer=signer)
    assert [r.existing for r in mixed.receipts] == [True, True, False]
    assert mixed.receipts[2].index == 3
    other = service.append_records(engine, records(1), lessor="BETA", signer=signer)
    unreferenced = NewRecord(b"record 0", PROVENANCE)
    twice = [service.append_records(engine, [unreferenced], lessor="ALPHA", signer=signer) for _ in range(2)]
    assert not other.receipts[0].existing and [b.receipts[0].existing for b in twice] == [False, False]
    assert counts(engine)[0] == 7
    assert service.audit(engine, first.checkpoint.note).ok
