"""Offline verification of evidence: RFC 9162 proofs, C2SP signed-note checkpoints and exported bundles.

Needs only the Python standard library and `cryptography`, so this one file can be copied out (it is shipped
as tools/verify_evidence.py and inside every bundle) and run by anyone: `python verify_evidence.py b.zip`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import json
import re
import sys
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
ED25519_SIGNATURE_TYPE = b"\x01"
BUNDLE_FORMAT = "leaseguard-evidence-bundle/1"
MANIFEST_NAME = "bundle.json"
# Bundles are read whole into memory; anything larger than this is refused rather than trusted to fit.
MAX_BUNDLE_MEMBER_BYTES = 1 << 30


class ProofError(ValueError):
    """A Merkle proof does not verify; the message says which check failed."""


class NoteError(ValueError):
    """A signed note or checkpoint is malformed or not signed by the expected key."""


# --- RFC 9162 hashing and proof verification -------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-leaf tree: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves with `root` (RFC 9162
    §2.1.3.2); raises ProofError saying why not."""
    _check_hash("the leaf hash", leaf)
    _check_hash("the root hash", root)
    for position, node in enumerate(proof):
        _check_hash(f"proof hash {position}", node)
    if index < 0 or size < 0:
        raise ProofError("index and tree size must not be negative")
    if index >= size:
        raise ProofError(f"index {index} is beyond the tree of size {size}")
    fn, sn = index, size - 1
    computed = leaf
    for node in proof:
        if sn == 0:
            raise ProofError(f"the proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            computed = node_hash(node, computed)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            computed = node_hash(computed, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is too short: {len(proof)} hashes")
    if computed != root:
        raise ProofError("the proof leads to a different root hash")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of `new_size` leaves with `new_root` extends the tree of `old_size` leaves with
    `old_root` (RFC 9162 §2.1.4.2); raises ProofError saying why not."""
    _check_hash("the old root hash", old_root)
    _check_hash("the new root hash", new_root)
    for position, node in enumerate(proof):
        _check_hash(f"proof hash {position}", node)
    if old_size < 0 or new_size < 0:
        raise ProofError("tree sizes must not be negative")
    if old_size > new_size:
        raise ProofError(f"the tree size went backwards: {old_size} → {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same tree size {old_size}")
        return
    if old_size == 0:
        # Every tree extends the empty tree; there is nothing to prove.
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError(f"the proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is too short: {len(proof)} hashes")
    if fr != old_root:
        raise ProofError("the proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("the proof does not lead to the new root hash")


# --- C2SP signed notes and checkpoints -------------------------------------------------------------------


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 that must be canonical, so that two spellings never stand for the same bytes."""
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(decoded).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return decoded


def key_id(name: str, public_key: bytes) -> bytes:
    """The signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_SIGNATURE_TYPE + public_key).digest()[:4]


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """An Ed25519 note verifier key: its name and 32-byte public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """The C2SP verifier-key string `<name>+<hex key ID>+<base64(0x01 || key)>`."""
        encoded = base64.b64encode(ED25519_SIGNATURE_TYPE + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def parse_vkey(text: str) -> VerifierKey:
    """A verifier key from its C2SP string form; checks the key ID it carries."""
    # The base64 key may itself hold "+"; the name may not, so only the first two split.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key has the form <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    if not _valid_key_name(name):
        raise NoteError("the verifier key's name is empty or holds spaces")
    raw = b64decode_strict(encoded, "the verifier key")
    if len(raw) != 33 or raw[:1] != ED25519_SIGNATURE_TYPE:
        raise NoteError("the verifier key is not an Ed25519 key")
    key = VerifierKey(name, raw[1:])
    if key.key_id.hex() != hex_id.lower():
        raise NoteError("the verifier key's ID does not match its name and key")
    return key


def public_key_from_pem(pem: bytes) -> bytes:
    """The raw 32 bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise NoteError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise NoteError("the public key is not an Ed25519 key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """The text and signature lines of a signed note, checked for form but not for signatures."""
    if any(ord(char) < 0x20 and char != "\n" for char in note):
        raise NoteError("the note holds control characters")
    if not note.endswith("\n"):
        raise NoteError("the note does not end in a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in signature_block.removesuffix("\n").split("\n"):
        if not line.startswith("— "):
            raise NoteError("a signature line does not start with an em dash and a space")
        name, _, encoded = line[2:].partition(" ")
        if not _valid_key_name(name) or not encoded:
            raise NoteError("a signature line lacks a key name or a signature")
        raw = b64decode_strict(encoded, f"the signature of {name}")
        if len(raw) < 5:
            raise NoteError(f"the signature of {name} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("the note has no signatures")
    return text, signatures


def open_note(note: str, keys: Sequence[VerifierKey]) -> tuple[str, VerifierKey]:
    """The text of `note` if one of `keys` signed it; a known key with a bad signature rejects the note."""
    text, signatures = split_note(note)
    verified: VerifierKey | None = None
    for signature in signatures:
        for key in keys:
            if signature.name != key.name or signature.key_id != key.key_id:
                continue  # the spec says signatures of unknown keys are ignored
            try:
                Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                    signature.signature, text.encode("utf-8")
                )
            except (InvalidSignature, ValueError):
                raise NoteError(
                    f"the signature of {key.name} does not verify: the note was altered"
                ) from None
            verified = key
    if verified is None:
        names = ", ".join(sorted({signature.name for signature in signatures}))
        raise NoteError(f"the note is not signed by the expected key (it is signed by: {names})")
    return text, verified


def keys_for_public_key(note: str, public_key: bytes) -> list[VerifierKey]:
    """Verifier keys for a bare public key (no name known): one per signature name whose key ID matches."""
    _, signatures = split_note(note)
    return [
        VerifierKey(signature.name, public_key)
        for signature in signatures
        if key_id(signature.name, public_key) == signature.key_id
    ]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: which log, how many leaves, and the RFC 9162 root hash at that size."""

    origin: str
    size: int
    root_hash: bytes

    def text(self) -> str:
        """The checkpoint's note text as C2SP tlog-checkpoint defines it (what gets signed)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode('ascii')}\n"


_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def parse_checkpoint_text(text: str) -> Checkpoint:
    """A checkpoint from its (already verified) note text."""
    lines = text.removesuffix("\n").split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint needs an origin, a tree size and a root hash line")
    origin, size_text, root_text = lines[:3]
    if not origin:
        raise NoteError("the checkpoint's origin line is empty")
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError("the checkpoint's tree size is not a decimal number")
    root = b64decode_strict(root_text, "the checkpoint's root hash")
    if len(root) != HASH_SIZE:
        raise NoteError("the checkpoint's root hash is not 32 bytes")
    if any(not line for line in lines[3:]):
        raise NoteError("the checkpoint has an empty extension line")
    return Checkpoint(origin, int(size_text), root)


def verify_checkpoint(note: str, keys: Sequence[VerifierKey]) -> tuple[Checkpoint, VerifierKey]:
    """The checkpoint in `note` once its signature by one of `keys` is verified."""
    text, key = open_note(note, keys)
    return parse_checkpoint_text(text), key


# --- bundles ---------------------------------------------------------------------------------------------


@dataclass
class RecordVerdict:
    index: int
    ok: bool
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class BundleVerdict:
    """What verifying a bundle found: `ok` only if every check passed; `problems` says what failed."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    key: VerifierKey | None = None
    key_from_bundle: bool = True
    records: list[RecordVerdict] = field(default_factory=list)


class _Refused(Exception):
    """Ends verification of a bundle early with one problem."""


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _Refused(f"the bundle lacks {name}") from None
    if info.file_size > MAX_BUNDLE_MEMBER_BYTES:
        raise _Refused(f"{name} is larger than {MAX_BUNDLE_MEMBER_BYTES} bytes")
    try:
        return archive.read(info)
    # A damaged archive fails in many ways (bad CRC, bad deflate stream, encrypted or unknown method).
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as error:
        raise _Refused(f"{name} cannot be read from the bundle: {error}") from None


def _decode_proof(raw: Any) -> list[bytes]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ProofError("the inclusion proof is not a list of base64 hashes")
    try:
        return [b64decode_strict(item, "a proof hash") for item in raw]
    except NoteError as error:
        raise ProofError(str(error)) from None


def _verify_record(archive: zipfile.ZipFile, item: Any, checkpoint: Checkpoint) -> RecordVerdict:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("index"), int)
        or isinstance(item["index"], bool)
    ):
        return RecordVerdict(-1, False, ["a record in the manifest has no integer index"])
    index = item["index"]
    verdict = RecordVerdict(index, True)

    def problem(text: str) -> RecordVerdict:
        verdict.ok = False
        verdict.problems.append(f"record {index}: {text}")
        return verdict

    try:
        entry_bytes = _read_member(archive, str(item.get("entry")))
        content = _read_member(archive, str(item.get("content")))
    except _Refused as error:
        return problem(str(error))
    try:
        entry = json.loads(entry_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return problem("its entry is not UTF-8 JSON: it was altered")
    if not isinstance(entry, dict):
        return problem("its entry is not a JSON object")
    verdict.summary = {key: entry.get(key) for key in ("time", "lessor", "kind", "ref", "provenance")}
    if entry.get("log") != checkpoint.origin:
        problem(f"its entry names log {entry.get('log')!r}, the checkpoint is of {checkpoint.origin!r}")
    if hashlib.sha256(content).hexdigest() != entry.get("content_sha256"):
        problem("its content does not match the SHA-256 in its entry: the content was altered")
    if len(content) != entry.get("content_size"):
        problem("its content size does not match its entry")
    computed = leaf_hash(entry_bytes)
    declared = item.get("leaf_hash")
    if declared is not None and declared != base64.b64encode(computed).decode("ascii"):
        problem("its entry does not hash to the leaf hash in the manifest: the entry was altered")
    try:
        proof = _decode_proof(item.get("inclusion_proof"))
        verify_inclusion(computed, index, checkpoint.size, proof, checkpoint.root_hash)
    except ProofError as error:
        problem(f"not proven to be in the log at size {checkpoint.size}: {error}")
    return verdict


def verify_bundle(
    bundle: bytes | Path,
    *,
    trusted_key: VerifierKey | bytes | None = None,
    previous: Checkpoint | None = None,
) -> BundleVerdict:
    """Verify an exported bundle; never raises on bad input, every failure is a problem in the verdict.

    `trusted_key` is the log's key (a VerifierKey, or a raw 32-byte Ed25519 key); without it the bundle's
    own key is used, which proves integrity but not who signed. `previous`, a checkpoint seen earlier, makes
    a smaller tree or a different root at the same size a problem.
    """
    verdict = BundleVerdict(ok=False)
    try:
        data = bundle.read_bytes() if isinstance(bundle, Path) else bundle
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _verify_open_bundle(archive, verdict, trusted_key, previous)
    except _Refused as error:
        verdict.problems.append(str(error))
    except OSError as error:
        verdict.problems.append(f"the bundle cannot be read: {error.strerror or error}")
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        verdict.problems.append(f"the bundle is not a readable zip file: {error}")
    verdict.ok = not verdict.problems and bool(verdict.records)
    if not verdict.records and not verdict.problems:
        verdict.problems.append("the bundle holds no records")
    return verdict


def _verify_open_bundle(
    archive: zipfile.ZipFile,
    verdict: BundleVerdict,
    trusted_key: VerifierKey | bytes | None,
    previous: Checkpoint | None,
) -> None:
    try:
        manifest = json.loads(_read_member(archive, MANIFEST_NAME).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Refused(f"{MANIFEST_NAME} is not UTF-8 JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise _Refused(f"not a leaseguard evidence bundle ({MANIFEST_NAME} lacks format {BUNDLE_FORMAT!r})")
    try:
        note = _read_member(archive, str(manifest.get("checkpoint"))).decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused("the checkpoint is not UTF-8: it was altered") from None
    keys: list[VerifierKey]
    try:
        if isinstance(trusted_key, VerifierKey):
            keys, verdict.key_from_bundle = [trusted_key], False
        elif isinstance(trusted_key, bytes):
            keys, verdict.key_from_bundle = keys_for_public_key(note, trusted_key), False
            if not keys:
                raise _Refused(
                    "the checkpoint is not signed by the trusted key (no signature with its key ID)"
                )
        else:
            keys = [parse_vkey(_read_member(archive, str(manifest.get("vkey"))).decode("utf-8"))]
        checkpoint, verdict.key = verify_checkpoint(note, keys)
    except (NoteError, UnicodeDecodeError) as error:
        raise _Refused(f"the checkpoint is not valid: {error}") from None
    verdict.checkpoint = checkpoint
    if manifest.get("tree_size") != checkpoint.size:
        verdict.problems.append(
            f"the manifest says tree size {manifest.get('tree_size')}, the signed checkpoint {checkpoint.size}"
        )
    if previous is not None:
        if checkpoint.size < previous.size:
            verdict.problems.append(
                f"the tree size went backwards: {previous.size} seen before, {checkpoint.size} in this bundle"
            )
        elif checkpoint.size == previous.size and checkpoint.root_hash != previous.root_hash:
            verdict.problems.append(
                f"the log forked: two different root hashes for tree size {checkpoint.size}"
            )
    records = manifest.get("records")
    if not isinstance(records, list):
        raise _Refused(f"{MANIFEST_NAME} has no list of records")
    for item in records:
        record = _verify_record(archive, item, checkpoint)
        verdict.records.append(record)
        verdict.problems.extend(record.problems)


def describe(verdict: BundleVerdict) -> list[str]:
    """The verdict as lines of plain text, first line VALID or INVALID."""
    lines = ["VALID" if verdict.ok else "INVALID"]
    if verdict.checkpoint is not None and verdict.key is not None:
        lines.append(
            f"checkpoint: log {verdict.checkpoint.origin}, tree size {verdict.checkpoint.size}, "
            f"root {base64.b64encode(verdict.checkpoint.root_hash).decode('ascii')}"
        )
        source = "carried in the bundle itself" if verdict.key_from_bundle else "the trusted key given"
        lines.append(f"signed by: {verdict.key.vkey} ({source})")
        if verdict.key_from_bundle:
            lines.append(
                "  compare this key with the one the log publishes: a bundle's own key proves no origin"
            )
    for record in verdict.records:
        if record.ok:
            summary = record.summary
            lines.append(
                f"record {record.index}: included; {summary.get('kind')} of {summary.get('lessor')}"
                f" appended {summary.get('time')}"
            )
    lines.extend(f"problem: {problem}" for problem in verdict.problems)
    return lines


def _trusted_key(path: str) -> VerifierKey | bytes:
    raw = Path(path).read_bytes()
    if b"-----BEGIN" in raw:
        return public_key_from_pem(raw)
    return parse_vkey(raw.decode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a leaseguard evidence bundle offline.")
    parser.add_argument("bundle", help="the bundle (.zip) to verify")
    parser.add_argument("--key", help="the log's public key: a PEM file or a file with its verifier key")
    parser.add_argument("--previous", help="a checkpoint seen earlier from the same log (signed note file)")
    args = parser.parse_args(argv)
    try:
        trusted = _trusted_key(args.key) if args.key else None
        previous = None
        if args.previous:
            note = Path(args.previous).read_text(encoding="utf-8")
            if trusted is None:
                print("error: --previous needs --key, to check the earlier checkpoint's signature")
                return 2
            keys = [trusted] if isinstance(trusted, VerifierKey) else keys_for_public_key(note, trusted)
            previous, _ = verify_checkpoint(note, keys)
    except (OSError, NoteError, UnicodeDecodeError) as error:
        print(f"error: {error}")
        return 2
    verdict = verify_bundle(Path(args.bundle), trusted_key=trusted, previous=previous)
    print("\n".join(describe(verdict)))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
