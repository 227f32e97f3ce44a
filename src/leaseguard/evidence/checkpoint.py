"""Signing checkpoints as C2SP signed notes with the log's Ed25519 key (verification lives in verifier.py)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leaseguard.evidence.verifier import (
    Checkpoint,
    NoteError,
    VerifierKey,
    key_id,
    parse_checkpoint_text,
    parse_vkey,
    public_key_from_pem,
    said,
    verify_checkpoint,
)

__all__ = [
    "Checkpoint",
    "NoteError",
    "NoteSigner",
    "VerifierKey",
    "default_origin",
    "load_signer",
    "parse_checkpoint_text",
    "parse_vkey",
    "public_key_from_pem",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
]


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 note signer: the key name (the log's origin) and the private key."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.public_key)

    def signature_line(self, text: str) -> str:
        signature = key_id(self.name, self.public_key) + self.private_key.sign(text.encode("utf-8"))
        return f"— {self.name} {base64.b64encode(signature).decode('ascii')}\n"


def sign_note(text: str, signer: NoteSigner) -> str:
    """`text` (ending in a newline) as a signed note: text, blank line, one signature line."""
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError(
            said(
                "签名注记的正文应以换行结尾且不含空行",
                "a note's text must end in a newline and hold no blank line",
            )
        )
    return text + "\n" + signer.signature_line(text)


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note; the key name is the origin, as C2SP tlog-checkpoint recommends."""
    if checkpoint.origin != signer.name:
        raise NoteError(
            said(
                "签名者 {signer!r} 不是日志 {origin!r}",
                "the signer {signer!r} is not the log {origin!r}",
                signer=signer.name,
                origin=checkpoint.origin,
            )
        )
    return sign_note(checkpoint.text(), signer)


def default_origin(public_key: bytes) -> str:
    """An origin stable for the life of a key, used when the workspace names none."""
    return f"leaseguard.local/log-{hashlib.sha256(public_key).hexdigest()[:12]}"


def load_signer(private_key_pem: Path, origin: str | None = None) -> NoteSigner:
    """The signer for the PEM (PKCS#8) Ed25519 key at `private_key_pem`, named `origin` or the default."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise NoteError(
            said(
                "{path}：不是未加密的 PEM 私钥（{error}）",
                "{path}: not an unencrypted PEM private key ({error})",
                path=private_key_pem,
                error=error,
            )
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise NoteError(said("{path}：不是 Ed25519 密钥", "{path}: not an Ed25519 key", path=private_key_pem))
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NoteSigner(origin or default_origin(public), key)
