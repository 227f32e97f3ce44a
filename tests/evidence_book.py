"""A tiny evidence log for the console's /evidence tests: ALPHA's contract and asset-check records, one of
BETA's, all signed by one key that the served console also holds, and users of every role at ALPHA."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from console_world import PASSWORD
from leaseguard.evidence import NoteSigner, Provenance, append_event, append_records
from leaseguard.evidence.models import NewRecord, canonical_json
from leaseguard.store.db import session_factory
from leaseguard.usecases import people

ORIGIN = "leaseguard.test/console-evidence"
# ALPHA's contract records, deposited first; then its asset checks; BETA's one record comes between them.
ALPHA_CONTRACTS = [f"AL-2024-{n:03d}" for n in range(1, 26)]
CHECKS = 3


@dataclass(frozen=True)
class EvidenceBook:
    signer: NoteSigner
    contract_index: dict[str, int]  # ALPHA's contract number → its record's index
    beta_index: int
    check_indexes: list[int]
    text_index: int  # a record whose content is not JSON


def make_signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def seed_evidence(engine: Engine, signer: NoteSigner) -> EvidenceBook:
    provenance = Provenance("leaseguard tests", "console-evidence")
    records = [
        NewRecord(
            canonical_json({"contract_no": no, "claim": {"principal_fen": 1_000_000 + n, "currency": "CNY"},
                            "lessee": "华东物流有限公司", "steps": ["notice", "filing"]}),
            provenance, kind="case-opened", media_type="application/json", ref=f"contract:{no}",
        )
        for n, no in enumerate(ALPHA_CONTRACTS)
    ]  # fmt: skip
    batch = append_records(engine, records, lessor="ALPHA", signer=signer)
    contract_index = {no: receipt.index for no, receipt in zip(ALPHA_CONTRACTS, batch.receipts, strict=True)}
    beta = append_event(
        engine, {"contract_no": "BE-2024-001", "secret": "BETA-ONLY"}, lessor="BETA", kind="case-opened",
        provenance=provenance, signer=signer, ref="contract:BE-2024-001",
    )  # fmt: skip
    checks = [
        append_event(
            engine, {"vin": f"LSVAU2180N218329{n}", "verdict": "clear"}, lessor="ALPHA", kind="asset-check",
            provenance=provenance, signer=signer, ref=f"asset_check:{n + 1}",
        ).index
        for n in range(CHECKS)
    ]  # fmt: skip
    text = append_records(
        engine,
        [
            NewRecord(
                b"signed notice text", provenance, kind="document", media_type="text/plain", ref="asset:A-9"
            )
        ],
        lessor="ALPHA",
        signer=signer,
    )
    with session_factory(engine)() as session, session.begin():
        for name, role in (("lee", "legal"),):  # ada, ALPHA's admin, is console_world's
            people.create_user(
                session,
                username=name,
                lessor="ALPHA",
                role=role,
                password=PASSWORD,
                policy=people.PeoplePolicy(),
            )
    return EvidenceBook(signer, contract_index, beta.index, checks, text.receipts[0].index)


def tampered(bundle: bytes) -> bytes:
    """The bundle with one record's content changed, everything else as exported."""
    source = zipfile.ZipFile(io.BytesIO(bundle))
    manifest = json.loads(source.read("bundle.json"))
    content_name = manifest["records"][0]["content"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == content_name:
                data = data.replace(b"1000000", b"9000000") if b"1000000" in data else data + b" "
            target.writestr(info.filename, data)
    return out.getvalue()
