"""Immutable records of the evidence log: what a caller appends, the entry that is hashed, what comes back."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leaseguard.evidence.verifier import Checkpoint, Said, VerifierError, leaf_hash
from leaseguard.vocabulary import Label

ENTRY_VERSION = 1


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record comes from, as a court examines it apart from the log: who produced it, in which
    system, and when (if known; the log adds its own time of deposit)."""

    producer: str
    system: str
    produced_at: dt.datetime | None = None

    def as_json(self) -> dict[str, str]:
        out = {"producer": self.producer, "system": self.system}
        if self.produced_at is not None:
            out["produced_at"] = format_time(self.produced_at)
        return out


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to append: its bytes, what kind of thing it is, and its provenance."""

    content: bytes
    provenance: Provenance
    kind: str = "document"
    media_type: str = "application/octet-stream"
    ref: str | None = None
    name: str | None = None


def format_time(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds; a naive time is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    """One spelling per value (sorted keys, no spaces, UTF-8), so equal events give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_bytes(
    record: NewRecord, *, origin: str, lessor: str, appended_at: dt.datetime, salt: bytes
) -> bytes:
    """The leaf data of a record: canonical JSON committing to its content by SHA-256.

    The random salt makes a leaf hash unguessable, so the leaf hashes other tenants see in their proofs
    cannot be tested against guesses of a short record's content.
    """
    entry: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "log": origin,
        "time": format_time(appended_at),
        "lessor": lessor,
        "kind": record.kind,
        "media_type": record.media_type,
        "content_sha256": hashlib.sha256(record.content).hexdigest(),
        "content_size": len(record.content),
        "provenance": record.provenance.as_json(),
        "salt": base64.b64encode(salt).decode("ascii"),
    }
    if record.ref is not None:
        entry["ref"] = record.ref
    if record.name is not None:
        entry["name"] = record.name
    return canonical_json(entry)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an append gives back: where the record is, when it was deposited, and its leaf hash."""

    index: int
    timestamp: dt.datetime
    leaf_hash: bytes
    existing: bool = False  # the same fact was already on file: this is its record, nothing was appended


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and the signed note that publishes it."""

    checkpoint: Checkpoint
    note: str
    created_at: dt.datetime | None = None

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root_hash(self) -> bytes:
        return self.checkpoint.root_hash


@dataclass(frozen=True, slots=True)
class AppendedBatch:
    """A batch appended in one transaction, and the checkpoint published with it."""

    receipts: tuple[Receipt, ...]
    checkpoint: SignedCheckpoint


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the log keeps it; `content` is None when it was not loaded (lists)."""

    index: int
    lessor: str
    kind: str
    ref: str | None
    media_type: str
    entry: bytes
    appended_at: dt.datetime
    content: bytes | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.entry)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Proof that leaf `index` with `leaf_hash` is in the tree of `tree_size` leaves."""

    index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]


def in_both(message: Said | VerifierError) -> Label:
    """What the standalone verifier says (a `Said`, or one of its errors) as a leaseguard Label: the verifier
    keeps its own words so that it needs nothing of leaseguard."""
    return Label(message.text("zh"), message.text("en"))


@dataclass(frozen=True, slots=True)
class AuditVerdict:
    """Whether the log now extends an older checkpoint; `problems` says exactly what failed, in each language."""

    ok: bool
    problems: tuple[Label, ...]
    old: Checkpoint | None
    current: SignedCheckpoint | None
    proof: tuple[bytes, ...] = ()
