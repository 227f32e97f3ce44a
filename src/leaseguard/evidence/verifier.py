"""Offline verification of evidence: RFC 9162 proofs, C2SP signed-note checkpoints and exported bundles.

Needs only the Python standard library and `cryptography`, so this one file can be copied out (it is shipped
as tools/verify_evidence.py and inside every bundle) and run by anyone: `python verify_evidence.py b.zip`.
What it says is in Chinese, or in English with `--lang en`: every message is a `Said`, its words in both.
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
from collections.abc import Mapping, Sequence
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


LANGS = ("zh", "en")  # Chinese first; English on request


@dataclass(frozen=True, slots=True)
class Said:
    """One thing said in Chinese and in English, with the values of its `{name}` fields; a value that is itself
    Said (or an error of this module) is said in the same language. leaseguard.vocabulary.Label's twin, kept
    here so this file needs nothing of leaseguard."""

    zh: str
    en: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        values = {
            name: value.text(lang) if isinstance(value, Said | VerifierError) else value
            for name, value in self.params.items()
        }
        template = self.en if lang == "en" else self.zh
        return template.format(**values) if values else template

    def __str__(self) -> str:
        return self.text("zh")


def said(zh: str, en: str, **params: Any) -> Said:
    return Said(zh, en, params)


class VerifierError(ValueError):
    """What this module's errors share: the message as Said; `str()` is the Chinese, `text(lang)` either."""

    def __init__(self, message: Said) -> None:
        self.said = message
        super().__init__(message.text("zh"))

    def text(self, lang: str = "zh") -> str:
        return self.said.text(lang)


class ProofError(VerifierError):
    """A Merkle proof does not verify; the message says which check failed."""


class NoteError(VerifierError):
    """A signed note or checkpoint is malformed or not signed by the expected key."""


def _too_long(proof: Sequence[bytes]) -> Said:
    return said("证明过长：{count} 个哈希", "the proof is too long: {count} hashes", count=len(proof))


def _too_short(proof: Sequence[bytes]) -> Said:
    return said("证明过短：{count} 个哈希", "the proof is too short: {count} hashes", count=len(proof))


def _proof_hash(position: int) -> Said:
    return said("证明哈希 {position}", "proof hash {position}", position=position)


# --- RFC 9162 hashing and proof verification -------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-leaf tree: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _check_hash(name: Said, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(
            said("{name} 应为 {size} 字节", "{name} must be {size} bytes", name=name, size=HASH_SIZE)
        )


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves with `root` (RFC 9162
    §2.1.3.2); raises ProofError saying why not."""
    _check_hash(said("叶哈希", "the leaf hash"), leaf)
    _check_hash(said("根哈希", "the root hash"), root)
    for position, node in enumerate(proof):
        _check_hash(_proof_hash(position), node)
    if index < 0 or size < 0:
        raise ProofError(said("索引和树大小不能为负数", "index and tree size must not be negative"))
    if index >= size:
        raise ProofError(
            said(
                "索引 {index} 超出了大小为 {size} 的树",
                "index {index} is beyond the tree of size {size}",
                index=index,
                size=size,
            )
        )
    fn, sn = index, size - 1
    computed = leaf
    for node in proof:
        if sn == 0:
            raise ProofError(_too_long(proof))
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
        raise ProofError(_too_short(proof))
    if computed != root:
        raise ProofError(said("证明得出的根哈希与之不同", "the proof leads to a different root hash"))


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of `new_size` leaves with `new_root` extends the tree of `old_size` leaves with
    `old_root` (RFC 9162 §2.1.4.2); raises ProofError saying why not."""
    _check_hash(said("旧根哈希", "the old root hash"), old_root)
    _check_hash(said("新根哈希", "the new root hash"), new_root)
    for position, node in enumerate(proof):
        _check_hash(_proof_hash(position), node)
    if old_size < 0 or new_size < 0:
        raise ProofError(said("树大小不能为负数", "tree sizes must not be negative"))
    if old_size > new_size:
        raise ProofError(
            said(
                "树大小倒退了：{old} → {new}",
                "the tree size went backwards: {old} → {new}",
                old=old_size,
                new=new_size,
            )
        )
    if old_size == new_size:
        if proof:
            raise ProofError(said("相同大小之间的证明应为空", "a proof between equal sizes must be empty"))
        if old_root != new_root:
            raise ProofError(
                said(
                    "同一树大小 {size} 有两个不同的根哈希",
                    "two different root hashes for the same tree size {size}",
                    size=old_size,
                )
            )
        return
    if old_size == 0:
        # Every tree extends the empty tree; there is nothing to prove.
        if proof:
            raise ProofError(said("自空树起的证明应为空", "a proof from the empty tree must be empty"))
        return
    if not proof:
        raise ProofError(said("证明为空", "the proof is empty"))
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
            raise ProofError(_too_long(proof))
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
        raise ProofError(_too_short(proof))
    if fr != old_root:
        raise ProofError(said("证明未得出旧根哈希", "the proof does not lead to the old root hash"))
    if sr != new_root:
        raise ProofError(said("证明未得出新根哈希", "the proof does not lead to the new root hash"))


# --- C2SP signed notes and checkpoints -------------------------------------------------------------------


def b64decode_strict(text: str, what: Said) -> bytes:
    """Standard base64 that must be canonical, so that two spellings never stand for the same bytes."""
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(said("{what}不是有效的 base64", "{what} is not valid base64", what=what)) from None
    if base64.b64encode(decoded).decode("ascii") != text:
        raise NoteError(said("{what}不是规范的 base64", "{what} is not canonical base64", what=what))
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
        raise NoteError(
            said(
                "验证密钥的格式应为 <名称>+<密钥 ID>+<密钥>",
                "a verifier key has the form <name>+<key id>+<key>",
            )
        )
    name, hex_id, encoded = parts
    if not _valid_key_name(name):
        raise NoteError(
            said("验证密钥的名称为空或含有空白", "the verifier key's name is empty or holds spaces")
        )
    raw = b64decode_strict(encoded, said("验证密钥", "the verifier key"))
    if len(raw) != 33 or raw[:1] != ED25519_SIGNATURE_TYPE:
        raise NoteError(said("验证密钥不是 Ed25519 密钥", "the verifier key is not an Ed25519 key"))
    key = VerifierKey(name, raw[1:])
    if key.key_id.hex() != hex_id.lower():
        raise NoteError(
            said("验证密钥的 ID 与其名称和密钥不符", "the verifier key's ID does not match its name and key")
        )
    return key


def public_key_from_pem(pem: bytes) -> bytes:
    """The raw 32 bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise NoteError(said("不是 PEM 格式的公钥", "not a PEM public key")) from None
    if not isinstance(key, Ed25519PublicKey):
        raise NoteError(said("公钥不是 Ed25519 密钥", "the public key is not an Ed25519 key"))
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """The text and signature lines of a signed note, checked for form but not for signatures."""
    if any(ord(char) < 0x20 and char != "\n" for char in note):
        raise NoteError(said("签名注记含有控制字符", "the note holds control characters"))
    if not note.endswith("\n"):
        raise NoteError(said("签名注记未以换行结尾", "the note does not end in a newline"))
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError(said("签名注记在签名前没有空行", "the note has no blank line before its signatures"))
    text, signature_block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in signature_block.removesuffix("\n").split("\n"):
        if not line.startswith("— "):
            raise NoteError(
                said(
                    "有一行签名不是以破折号（—）和空格开头",
                    "a signature line does not start with an em dash and a space",
                )
            )
        name, _, encoded = line[2:].partition(" ")
        if not _valid_key_name(name) or not encoded:
            raise NoteError(
                said("有一行签名缺少密钥名称或签名", "a signature line lacks a key name or a signature")
            )
        signature_of = said("{name} 的签名", "the signature of {name}", name=name)
        raw = b64decode_strict(encoded, signature_of)
        if len(raw) < 5:
            raise NoteError(said("{signature}过短", "{signature} is too short", signature=signature_of))
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError(said("签名注记没有签名", "the note has no signatures"))
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
                    said(
                        "{name} 的签名验证不通过：签名注记已被改动",
                        "the signature of {name} does not verify: the note was altered",
                        name=key.name,
                    )
                ) from None
            verified = key
    if verified is None:
        names = ", ".join(sorted({signature.name for signature in signatures}))
        raise NoteError(
            said(
                "签名注记不是由预期的密钥签名的（签名者：{names}）",
                "the note is not signed by the expected key (it is signed by: {names})",
                names=names,
            )
        )
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
        raise NoteError(
            said(
                "检查点需要来源（origin）、树大小和根哈希三行",
                "a checkpoint needs an origin, a tree size and a root hash line",
            )
        )
    origin, size_text, root_text = lines[:3]
    if not origin:
        raise NoteError(said("检查点的来源（origin）行为空", "the checkpoint's origin line is empty"))
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError(
            said("检查点的树大小不是十进制数", "the checkpoint's tree size is not a decimal number")
        )
    root = b64decode_strict(root_text, said("检查点的根哈希", "the checkpoint's root hash"))
    if len(root) != HASH_SIZE:
        raise NoteError(
            said(
                "检查点的根哈希不是 {size} 字节",
                "the checkpoint's root hash is not {size} bytes",
                size=HASH_SIZE,
            )
        )
    if any(not line for line in lines[3:]):
        raise NoteError(said("检查点有一行空的扩展行", "the checkpoint has an empty extension line"))
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
    problems: list[Said] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class BundleVerdict:
    """What verifying a bundle found: `ok` only if every check passed; `problems` says what failed."""

    ok: bool
    problems: list[Said] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    key: VerifierKey | None = None
    key_from_bundle: bool = True
    records: list[RecordVerdict] = field(default_factory=list)

    def problem_texts(self, lang: str = "zh") -> list[str]:
        """The problems in `lang`."""
        return [problem.text(lang) for problem in self.problems]


class _Refused(VerifierError):
    """Ends verification of a bundle early with one problem."""


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _Refused(said("证据包中缺少 {name}", "the bundle lacks {name}", name=name)) from None
    if info.file_size > MAX_BUNDLE_MEMBER_BYTES:
        raise _Refused(
            said(
                "{name} 超过 {limit} 字节",
                "{name} is larger than {limit} bytes",
                name=name,
                limit=MAX_BUNDLE_MEMBER_BYTES,
            )
        )
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
        raise _Refused(
            said(
                "无法从证据包中读取 {name}：{error}",
                "{name} cannot be read from the bundle: {error}",
                name=name,
                error=error,
            )
        ) from None


def _decode_proof(raw: Any) -> list[bytes]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ProofError(
            said("包含证明不是 base64 哈希的列表", "the inclusion proof is not a list of base64 hashes")
        )
    try:
        return [b64decode_strict(item, said("证明哈希", "a proof hash")) for item in raw]
    except NoteError as error:
        raise ProofError(error.said) from None


def _verify_record(archive: zipfile.ZipFile, item: Any, checkpoint: Checkpoint) -> RecordVerdict:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("index"), int)
        or isinstance(item["index"], bool)
    ):
        no_index = said("清单中有一条记录没有整数索引", "a record in the manifest has no integer index")
        return RecordVerdict(-1, False, [no_index])
    index = item["index"]
    verdict = RecordVerdict(index, True)

    def problem(what: Said | VerifierError) -> RecordVerdict:
        verdict.ok = False
        verdict.problems.append(
            said("记录 {index}：{what}", "record {index}: {what}", index=index, what=what)
        )
        return verdict

    try:
        entry_bytes = _read_member(archive, str(item.get("entry")))
        content = _read_member(archive, str(item.get("content")))
    except _Refused as error:
        return problem(error)
    try:
        entry = json.loads(entry_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return problem(said("其条目不是 UTF-8 JSON：已被改动", "its entry is not UTF-8 JSON: it was altered"))
    if not isinstance(entry, dict):
        return problem(said("其条目不是 JSON 对象", "its entry is not a JSON object"))
    verdict.summary = {key: entry.get(key) for key in ("time", "lessor", "kind", "ref", "provenance")}
    if entry.get("log") != checkpoint.origin:
        problem(
            said(
                "其条目所属的日志为 {log!r}，而检查点属于 {origin!r}",
                "its entry names log {log!r}, the checkpoint is of {origin!r}",
                log=entry.get("log"),
                origin=checkpoint.origin,
            )
        )
    if hashlib.sha256(content).hexdigest() != entry.get("content_sha256"):
        problem(
            said(
                "其内容与条目中的 SHA-256 不符：内容已被改动",
                "its content does not match the SHA-256 in its entry: the content was altered",
            )
        )
    if len(content) != entry.get("content_size"):
        problem(said("其内容大小与条目不符", "its content size does not match its entry"))
    computed = leaf_hash(entry_bytes)
    declared = item.get("leaf_hash")
    if declared is not None and declared != base64.b64encode(computed).decode("ascii"):
        problem(
            said(
                "其条目的哈希与清单中的叶哈希不符：条目已被改动",
                "its entry does not hash to the leaf hash in the manifest: the entry was altered",
            )
        )
    try:
        proof = _decode_proof(item.get("inclusion_proof"))
        verify_inclusion(computed, index, checkpoint.size, proof, checkpoint.root_hash)
    except ProofError as error:
        problem(
            said(
                "未能证明其在大小为 {size} 的日志中：{error}",
                "not proven to be in the log at size {size}: {error}",
                size=checkpoint.size,
                error=error,
            )
        )
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
        verdict.problems.append(error.said)
    except OSError as error:
        verdict.problems.append(
            said("无法读取证据包：{why}", "the bundle cannot be read: {why}", why=error.strerror or error)
        )
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        verdict.problems.append(
            said(
                "证据包不是可读的 zip 文件：{error}",
                "the bundle is not a readable zip file: {error}",
                error=error,
            )
        )
    verdict.ok = not verdict.problems and bool(verdict.records)
    if not verdict.records and not verdict.problems:
        verdict.problems.append(said("证据包中没有记录", "the bundle holds no records"))
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
        raise _Refused(
            said("{manifest} 不是 UTF-8 JSON", "{manifest} is not UTF-8 JSON", manifest=MANIFEST_NAME)
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise _Refused(
            said(
                "不是 leaseguard 证据包（{manifest} 中没有格式 {format!r}）",
                "not a leaseguard evidence bundle ({manifest} lacks format {format!r})",
                manifest=MANIFEST_NAME,
                format=BUNDLE_FORMAT,
            )
        )
    try:
        note = _read_member(archive, str(manifest.get("checkpoint"))).decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(
            said("检查点不是 UTF-8：已被改动", "the checkpoint is not UTF-8: it was altered")
        ) from None
    keys: list[VerifierKey]
    try:
        if isinstance(trusted_key, VerifierKey):
            keys, verdict.key_from_bundle = [trusted_key], False
        elif isinstance(trusted_key, bytes):
            keys, verdict.key_from_bundle = keys_for_public_key(note, trusted_key), False
            if not keys:
                raise _Refused(
                    said(
                        "检查点不是由受信任的密钥签名的（没有带其密钥 ID 的签名）",
                        "the checkpoint is not signed by the trusted key (no signature with its key ID)",
                    )
                )
        else:
            keys = [parse_vkey(_read_member(archive, str(manifest.get("vkey"))).decode("utf-8"))]
        checkpoint, verdict.key = verify_checkpoint(note, keys)
    except (NoteError, UnicodeDecodeError) as error:
        raise _Refused(
            said("检查点无效：{error}", "the checkpoint is not valid: {error}", error=error)
        ) from None
    verdict.checkpoint = checkpoint
    if manifest.get("tree_size") != checkpoint.size:
        verdict.problems.append(
            said(
                "清单中的树大小为 {manifest}，而已签名的检查点为 {size}",
                "the manifest says tree size {manifest}, the signed checkpoint {size}",
                manifest=manifest.get("tree_size"),
                size=checkpoint.size,
            )
        )
    if previous is not None:
        if checkpoint.size < previous.size:
            verdict.problems.append(
                said(
                    "树大小倒退了：之前见到 {previous}，此证据包中为 {size}",
                    "the tree size went backwards: {previous} seen before, {size} in this bundle",
                    previous=previous.size,
                    size=checkpoint.size,
                )
            )
        elif checkpoint.size == previous.size and checkpoint.root_hash != previous.root_hash:
            verdict.problems.append(
                said(
                    "日志出现分叉：树大小 {size} 有两个不同的根哈希",
                    "the log forked: two different root hashes for tree size {size}",
                    size=checkpoint.size,
                )
            )
    records = manifest.get("records")
    if not isinstance(records, list):
        raise _Refused(
            said("{manifest} 中没有记录列表", "{manifest} has no list of records", manifest=MANIFEST_NAME)
        )
    for item in records:
        record = _verify_record(archive, item, checkpoint)
        verdict.records.append(record)
        verdict.problems.extend(record.problems)


def describe(verdict: BundleVerdict, lang: str = "zh") -> list[str]:
    """The verdict as lines of plain text in `lang`, the first saying VALID or INVALID."""
    first = said("有效（VALID）", "VALID") if verdict.ok else said("无效（INVALID）", "INVALID")
    lines = [first.text(lang)]
    if verdict.checkpoint is not None and verdict.key is not None:
        lines.append(
            said(
                "检查点：日志 {origin}，树大小 {size}，根哈希 {root}",
                "checkpoint: log {origin}, tree size {size}, root {root}",
                origin=verdict.checkpoint.origin,
                size=verdict.checkpoint.size,
                root=base64.b64encode(verdict.checkpoint.root_hash).decode("ascii"),
            ).text(lang)
        )
        source = (
            said("证据包自带的密钥", "carried in the bundle itself")
            if verdict.key_from_bundle
            else said("所给的受信任密钥", "the trusted key given")
        )
        lines.append(
            said(
                "签名密钥：{vkey}（{source}）",
                "signed by: {vkey} ({source})",
                vkey=verdict.key.vkey,
                source=source,
            ).text(lang)
        )
        if verdict.key_from_bundle:
            lines.append(
                said(
                    "  请将此密钥与日志公布的密钥比对：证据包自带的密钥不能证明来源",
                    "  compare this key with the one the log publishes: a bundle's own key proves no origin",
                ).text(lang)
            )
    for record in verdict.records:
        if record.ok:
            summary = record.summary
            lines.append(
                said(
                    "记录 {index}：已包含；{lessor} 的 {kind}，追加于 {time}",
                    "record {index}: included; {kind} of {lessor} appended {time}",
                    index=record.index,
                    kind=summary.get("kind"),
                    lessor=summary.get("lessor"),
                    time=summary.get("time"),
                ).text(lang)
            )
    lines.extend(
        said("问题：{problem}", "problem: {problem}", problem=problem).text(lang)
        for problem in verdict.problems
    )
    return lines


def _trusted_key(path: str) -> VerifierKey | bytes:
    raw = Path(path).read_bytes()
    if b"-----BEGIN" in raw:
        return public_key_from_pem(raw)
    return parse_vkey(raw.decode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="离线验证 leaseguard 证据包。Verify a leaseguard evidence bundle offline."
    )
    parser.add_argument("bundle", help="要验证的证据包（.zip） / the bundle (.zip) to verify")
    parser.add_argument(
        "--key",
        help="日志的公钥：PEM 文件或含验证密钥的文件 / "
        "the log's public key: a PEM file or a file with its verifier key",
    )
    parser.add_argument(
        "--previous",
        help="之前见到的同一日志的检查点（签名注记文件） / "
        "a checkpoint seen earlier from the same log (signed note file)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="zh",
        help="输出语言：zh（默认）或 en / language of the output: zh (default) or en",
    )
    args = parser.parse_args(argv)
    lang = args.lang

    def failed(why: Said | VerifierError | Exception) -> str:
        return said("错误：{why}", "error: {why}", why=why).text(lang)

    try:
        trusted = _trusted_key(args.key) if args.key else None
        previous = None
        if args.previous:
            note = Path(args.previous).read_text(encoding="utf-8")
            if trusted is None:
                needs_key = said(
                    "--previous 需要 --key，用以核验之前检查点的签名",
                    "--previous needs --key, to check the earlier checkpoint's signature",
                )
                print(failed(needs_key))
                return 2
            keys = [trusted] if isinstance(trusted, VerifierKey) else keys_for_public_key(note, trusted)
            previous, _ = verify_checkpoint(note, keys)
    except (OSError, NoteError, UnicodeDecodeError) as error:
        print(failed(error))
        return 2
    verdict = verify_bundle(Path(args.bundle), trusted_key=trusted, previous=previous)
    print("\n".join(describe(verdict, lang)))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
