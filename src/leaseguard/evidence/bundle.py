"""Evidence bundles: records, their inclusion proofs, the signed checkpoint and the log's key in one zip file
that anyone can verify offline with verify_evidence.py (shipped inside)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import mimetypes
import zipfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from leaseguard.evidence import service
from leaseguard.evidence.models import format_time
from leaseguard.evidence.verifier import (
    BUNDLE_FORMAT,
    MANIFEST_NAME,
    BundleVerdict,
    VerifierKey,
    verify_bundle,
)
from leaseguard.vocabulary import Label

__all__ = ["VERIFIER_SOURCE", "BundleVerdict", "export_bundle", "verify_bundle"]

VERIFIER_SOURCE = Path(__file__).with_name("verifier.py")

README = """Evidence bundle of the leaseguard evidence log {origin}

What is here
  bundle.json                 the manifest: each record's index, its files, leaf hash and inclusion proof
  checkpoint.txt              the log's signed checkpoint (C2SP tlog-checkpoint, signed note, Ed25519)
  log.vkey, log-public-key.pem  the log's public key, as a note verifier key and as PEM
  records/<index>/entry.json  the exact bytes hashed into the log (RFC 9162 leaf): time, tenant, provenance,
                              and the SHA-256 of the content
  records/<index>/content*    the record itself
  verify_evidence.py          a verifier needing only Python 3 and the `cryptography` package

How to verify
  python verify_evidence.py {name} --key <the log's public key, obtained from the log operator>

Without --key the key inside this bundle is used: that proves the files are intact and consistent with the
checkpoint, but not who signed it. Compare the key with the one the log publishes.
"""


def _content_name(index: int, media_type: str, name: str | None) -> str:
    suffix = Path(name).suffix if name else mimetypes.guess_extension(media_type.split(";")[0].strip()) or ""
    return f"records/{index}/content{suffix if len(suffix) <= 10 else ''}"


def export_bundle(
    target: service.Target, indexes: Sequence[int], *, lessor: str | None, bundle_name: str = "bundle.zip"
) -> bytes:
    """A bundle of records `indexes` proven against the newest checkpoint; reads only.

    `lessor` is the caller's tenant (None: the operator); a record of another tenant is refused exactly like a
    missing one, so a tenant can never export another's contents.
    """
    if not indexes:
        raise service.EvidenceError(Label("请至少指定一条要导出的记录", "name at least one record to export"))
    with service.connected(target) as connection:
        checkpoint = service.latest_checkpoint(connection)
        key = service.log_key(connection)
        if checkpoint is None or key is None:
            raise service.EvidenceError(service.EMPTY_LOG)
        records = [service.get_record(connection, index, lessor=lessor) for index in dict.fromkeys(indexes)]
        proofs = [service.inclusion_proof(connection, record.index, checkpoint.size) for record in records]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        items = []
        for record, proof in zip(records, proofs, strict=True):
            entry_name = f"records/{record.index}/entry.json"
            name = record.fields.get("name")
            content_name = _content_name(
                record.index, record.media_type, name if isinstance(name, str) else None
            )
            archive.writestr(entry_name, record.entry)
            archive.writestr(content_name, record.content or b"")
            items.append(
                {
                    "index": record.index,
                    "entry": entry_name,
                    "content": content_name,
                    "leaf_hash": base64.b64encode(record.leaf_hash).decode("ascii"),
                    "inclusion_proof": [base64.b64encode(node).decode("ascii") for node in proof.path],
                }
            )
        manifest = {
            "format": BUNDLE_FORMAT,
            "origin": checkpoint.checkpoint.origin,
            "tree_size": checkpoint.size,
            "checkpoint": "checkpoint.txt",
            "vkey": "log.vkey",
            "public_key_pem": "log-public-key.pem",
            "exported_at": format_time(dt.datetime.now(dt.UTC)),
            "records": items,
        }
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False))
        archive.writestr("checkpoint.txt", checkpoint.note)
        archive.writestr("log.vkey", key.vkey + "\n")
        archive.writestr("log-public-key.pem", _pem(key))
        archive.writestr("verify_evidence.py", VERIFIER_SOURCE.read_bytes())
        archive.writestr("README.txt", README.format(origin=key.name, name=bundle_name))
    return buffer.getvalue()


def _pem(key: VerifierKey) -> bytes:
    return Ed25519PublicKey.from_public_bytes(key.public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
