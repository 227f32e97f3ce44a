"""Evidence bundles: export, offline verification (in-process and by the standalone script), and a clear verdict
for every kind of bad bundle; plus a real crash in the middle of appends."""

from __future__ import annotations

import ast
import base64
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text

from leaseguard.evidence import bundle, merkle, service
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import NewRecord, Provenance
from leaseguard.evidence.verifier import Checkpoint, verify_bundle
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.store.models import EvidenceRecord

ORIGIN = "leaseguard.test/log"
PROVENANCE = Provenance("legal@alpha", "leaseguard enforcement")


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory, signer: NoteSigner) -> Engine:
    """A SQLite log of 21 records of two tenants (bundles are read-only, so one log serves the module)."""
    engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('log') / 'store.db'}")
    upgrade_schema(engine)
    with engine.begin() as connection:
        connection.execute(
            text("insert into lessors (code, name) values ('ALPHA', 'Alpha'), ('BETA', 'Beta')")
        )
    for start, count, lessor in ((0, 5, "ALPHA"), (5, 11, "BETA"), (16, 5, "ALPHA")):
        batch = [
            NewRecord(
                f"notice {n}".encode(), PROVENANCE, kind="notice", media_type="text/plain", ref=f"N-{n}"
            )
            for n in range(start, start + count)
        ]
        service.append_records(engine, batch, lessor=lessor, signer=signer)
    return engine


@pytest.fixture(scope="module")
def good(log: Engine) -> bytes:
    return bundle.export_bundle(log, [0, 3, 17], lessor="ALPHA")


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def altered(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    files = members(data)
    files[name] = change(files[name])
    return rezip(files)


def test_a_good_bundle_verifies(good: bytes, signer: NoteSigner) -> None:
    files = members(good)
    assert {"bundle.json", "checkpoint.txt", "log.vkey", "log-public-key.pem", "verify_evidence.py"} <= set(
        files
    )
    assert files["records/0/content.txt"] == b"notice 0"
    for trusted in (None, signer.verifier, signer.public_key):
        verdict = verify_bundle(good, trusted_key=trusted)
        assert verdict.ok, verdict.problems
        assert [record.index for record in verdict.records] == [0, 3, 17]
        assert verdict.checkpoint is not None and verdict.checkpoint.size == 21
    assert verify_bundle(good).key_from_bundle
    assert not verify_bundle(good, trusted_key=signer.public_key).key_from_bundle


def test_a_tenant_cannot_export_another_tenants_record(log: Engine) -> None:
    with pytest.raises(service.UnknownRecordError, match="没有证据记录 5"):
        bundle.export_bundle(log, [0, 5], lessor="ALPHA")
    assert verify_bundle(bundle.export_bundle(log, [5], lessor=None)).ok


def _manifest_change(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def apply(raw: bytes) -> bytes:
        manifest = json.loads(raw)
        change(manifest)
        return json.dumps(manifest).encode()

    return apply


def _truncate_proof(manifest: dict[str, Any]) -> None:
    manifest["records"][1]["inclusion_proof"].pop()


def _swap_proof(manifest: dict[str, Any]) -> None:
    records = manifest["records"]
    records[0]["inclusion_proof"], records[1]["inclusion_proof"] = (
        records[1]["inclusion_proof"],
        records[0]["inclusion_proof"],
    )


def _claim_index(manifest: dict[str, Any]) -> None:
    manifest["records"][0]["index"] = 1


BAD = [
    ("content", "records/3/content.txt", lambda b: b"notice 33", "record 3: its content does not match"),
    (
        "entry",
        "records/0/entry.json",
        lambda b: b.replace(b"ALPHA", b"BETA!"),
        "record 0: its entry does not hash",
    ),
    ("truncated proof", "bundle.json", _manifest_change(_truncate_proof), "record 3: not proven"),
    ("swapped proofs", "bundle.json", _manifest_change(_swap_proof), "record 0: not proven"),
    ("another index", "bundle.json", _manifest_change(_claim_index), "record 1: not proven"),
    ("checkpoint", "checkpoint.txt", lambda b: b.replace(b"\n21\n", b"\n22\n"), "does not verify"),
    ("checkpoint garbage", "checkpoint.txt", lambda b: b"\xff\xfe", "not UTF-8"),
    ("manifest", "bundle.json", lambda b: b"{", "not UTF-8 JSON"),
    (
        "format",
        "bundle.json",
        _manifest_change(lambda m: m.update(format="x")),
        "not a leaseguard evidence bundle",
    ),
]


@pytest.mark.parametrize(("what", "member", "change", "problem"), BAD, ids=[b[0] for b in BAD])
def test_tampered_bundles_get_a_clear_verdict(
    good: bytes, signer: NoteSigner, what: str, member: str, change: Callable[[bytes], bytes], problem: str
) -> None:
    verdict = verify_bundle(altered(good, member, change), trusted_key=signer.verifier)
    assert not verdict.ok
    assert any(problem in line for line in verdict.problem_texts("en")), verdict.problem_texts("en")
    assert verdict.problem_texts() == [str(problem) for problem in verdict.problems]  # Chinese unless asked


def test_a_bundle_signed_by_another_key(log: Engine, good: bytes, signer: NoteSigner) -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    verdict = verify_bundle(good, trusted_key=impostor.verifier)
    assert not verdict.ok
    assert "not signed by the expected key" in verdict.problem_texts("en")[0]
    assert "不是由预期的密钥签名的" in verdict.problem_texts("zh")[0]
    by_public_key = verify_bundle(good, trusted_key=impostor.public_key)
    assert "no signature with its key ID" in by_public_key.problem_texts("en")[0]
    # A forger who re-signs the checkpoint and swaps in their own key fools only someone who trusts the bundle.
    files = members(good)
    text = files["checkpoint.txt"].decode().split("\n\n")[0] + "\n"
    files["checkpoint.txt"] = (text + "\n" + impostor.signature_line(text)).encode()
    files["log.vkey"] = impostor.verifier.vkey.encode()
    forged = rezip(files)
    assert verify_bundle(forged).ok
    assert not verify_bundle(forged, trusted_key=signer.public_key).ok


def test_tree_size_going_backwards(good: bytes, signer: NoteSigner) -> None:
    bigger = Checkpoint(ORIGIN, 40, bytes(32))
    verdict = verify_bundle(good, trusted_key=signer.verifier, previous=bigger)
    assert verdict.problem_texts("en") == ["the tree size went backwards: 40 seen before, 21 in this bundle"]
    assert verdict.problem_texts("zh") == ["树大小倒退了：之前见到 40，此证据包中为 21"]
    fork = Checkpoint(ORIGIN, 21, bytes(32))
    assert "forked" in verify_bundle(good, trusted_key=signer.verifier, previous=fork).problem_texts("en")[0]
    manifest_lies = altered(good, "bundle.json", _manifest_change(lambda m: m.update(tree_size=30)))
    assert "manifest says tree size 30" in verify_bundle(manifest_lies).problem_texts("en")[0]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a readable zip"),
        (b"PK\x03\x04 truncated", "not a readable zip"),
        (rezip({}), "lacks bundle.json"),
    ],
)
def test_not_a_bundle(data: bytes, problem: str) -> None:
    verdict = verify_bundle(data)
    assert not verdict.ok
    assert problem in verdict.problem_texts("en")[0]


def test_a_missing_file(tmp_path: Path) -> None:
    verdict = verify_bundle(tmp_path / "nope.zip")
    assert "cannot be read" in verdict.problem_texts("en")[0]
    assert verdict.problem_texts()[0].startswith("无法读取证据包：")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_flipped_bit_in_records_proofs_or_checkpoint_is_detected(
    good: bytes, signer: NoteSigner, data: st.DataObject
) -> None:
    files = members(good)
    target = data.draw(st.sampled_from(["entry", "content", "proof", "checkpoint"]))
    if target == "proof":
        manifest = json.loads(files["bundle.json"])
        record = data.draw(st.sampled_from(manifest["records"]))
        position = data.draw(st.integers(0, len(record["inclusion_proof"]) - 1))
        raw = bytearray(base64.b64decode(record["inclusion_proof"][position]))
        bit = data.draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 1 << (bit % 8)
        record["inclusion_proof"][position] = base64.b64encode(bytes(raw)).decode()
        files["bundle.json"] = json.dumps(manifest).encode()
    else:
        names = {
            "entry": [n for n in files if n.endswith("entry.json")],
            "content": [n for n in files if "/content" in n],
            "checkpoint": ["checkpoint.txt"],
        }[target]
        name = data.draw(st.sampled_from(names))
        raw = bytearray(files[name])
        bit = data.draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 1 << (bit % 8)
        files[name] = bytes(raw)
    verdict = verify_bundle(rezip(files), trusted_key=signer.public_key)
    assert not verdict.ok


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_damaged_zip_never_raises(good: bytes, data: st.DataObject) -> None:
    raw = bytearray(good)
    for _ in range(data.draw(st.integers(1, 4))):
        bit = data.draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 1 << (bit % 8)
    cut = data.draw(st.integers(0, len(raw)))
    verdict = verify_bundle(bytes(raw[:cut]) if data.draw(st.booleans()) else bytes(raw))
    assert verdict.ok or verdict.problems


def test_verification_never_writes_to_the_log(log: Engine, good: bytes) -> None:
    with log.connect() as connection:
        before = connection.execute(select(func.count()).select_from(EvidenceRecord)).scalar()
        checkpoint = service.latest_checkpoint(connection)
    verify_bundle(altered(good, "records/0/content.txt", lambda b: b + b"!"))
    verify_bundle(good)
    with log.connect() as connection:
        assert connection.execute(select(func.count()).select_from(EvidenceRecord)).scalar() == before
        assert service.latest_checkpoint(connection) == checkpoint


# --- the standalone verifier ---------------------------------------------------------------------------------


def _standalone(folder: Path) -> Path:
    """The verifier as the build writes it (`leaseguard evidence verifier --out`), not a copy kept by hand."""
    from typer.testing import CliRunner

    from leaseguard.cli.main import app

    script = folder / "verify_evidence.py"
    result = CliRunner().invoke(app, ["evidence", "verifier", "--out", str(script)])
    assert result.exit_code == 0, result.output
    return script


def test_standalone_verifier_needs_only_stdlib_and_cryptography(tmp_path: Path) -> None:
    source = _standalone(tmp_path).read_text(encoding="utf-8")
    assert source == bundle.VERIFIER_SOURCE.read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names == {"cryptography"}


def _run_standalone(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run isolated (-I) with a path of the standard library and cryptography's install location only, so an
    # import of leaseguard (installed editable, via a .pth naming src/) would fail.
    import cryptography

    site = str(Path(cryptography.__file__).parents[1])
    runner = tmp_path / "runner.py"
    runner.write_text(
        textwrap.dedent(
            f"""
            import os, runpy, sys
            sys.path = [
                p for p in sys.path if "site-packages" not in p and not os.path.isdir(os.path.join(p, "leaseguard"))
            ] + [{site!r}]
            try:
                import leaseguard
            except ImportError:
                pass
            else:
                raise SystemExit("leaseguard is importable; the test would prove nothing")
            sys.argv = sys.argv[1:]
            runpy.run_path(sys.argv[0], run_name="__main__")
            """
        )
    )
    script = _standalone(tmp_path)
    return subprocess.run(
        [sys.executable, "-I", str(runner), str(script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


def test_standalone_script_gives_verdicts(tmp_path: Path, good: bytes, signer: NoteSigner) -> None:
    bundle_path = tmp_path / "bundle.zip"
    bundle_path.write_bytes(good)
    pem = tmp_path / "log.pem"
    pem.write_bytes(
        signer.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    ok = _run_standalone(tmp_path, str(bundle_path), "--key", str(pem))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("有效（VALID）")
    assert "记录 17：已包含；ALPHA 的 notice" in ok.stdout
    english = _run_standalone(tmp_path, str(bundle_path), "--key", str(pem), "--lang", "en")
    assert english.stdout.startswith("VALID") and "record 17: included; notice of ALPHA" in english.stdout

    bundle_path.write_bytes(altered(good, "records/3/content.txt", lambda b: b"forged"))
    bad = _run_standalone(tmp_path, str(bundle_path), "--key", str(pem), "--lang", "en")
    assert bad.returncode == 1
    assert bad.stdout.startswith("INVALID")
    assert "record 3: its content does not match the SHA-256 in its entry" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    in_chinese = _run_standalone(tmp_path, str(bundle_path), "--key", str(pem))
    assert in_chinese.stdout.startswith("无效（INVALID）")
    assert "问题：记录 3：其内容与条目中的 SHA-256 不符：内容已被改动" in in_chinese.stdout

    bundle_path.write_bytes(b"not a zip")
    junk = _run_standalone(tmp_path, str(bundle_path))
    assert junk.returncode == 1
    assert "Traceback" not in junk.stdout + junk.stderr


# --- a real crash ---------------------------------------------------------------------------------------------


def test_a_killed_appender_leaves_a_consistent_log(tmp_path: Path) -> None:
    """SIGKILL a process in the middle of appending batches: what remains is whole batches, a tree that
    reproduces the newest signed checkpoint, and a log that takes the next append."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("insert into lessors (code, name) values ('ALPHA', 'Alpha')"))
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    child = textwrap.dedent(
        f"""
        from pathlib import Path
        from leaseguard.evidence import service
        from leaseguard.evidence.checkpoint import load_signer
        from leaseguard.evidence.models import NewRecord, Provenance
        from leaseguard.store.db import create_store_engine
        engine = create_store_engine({url!r})
        signer = load_signer(Path({str(key_file)!r}), {ORIGIN!r})
        n = 0
        while True:
            batch = [NewRecord(b"x%d" % (n + i), Provenance("p", "s")) for i in range(997)]
            service.append_records(engine, batch, lessor="ALPHA", signer=signer)
            n += len(batch)
            print(n, flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert process.stdout is not None
    for _ in range(3):  # let it commit a few batches, then kill it wherever it is
        process.stdout.readline()
    time.sleep(0.013)
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    size = service.log_size(engine)
    assert size > 0 and size % 997 == 0
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(EvidenceRecord)).scalar() == size
        entries = connection.execute(
            select(EvidenceRecord.entry).order_by(EvidenceRecord.leaf_index)
        ).scalars()
        leaves = [merkle.leaf_hash(bytes(entry)) for entry in entries]
    latest = service.latest_checkpoint(engine)
    assert latest is not None and latest.size == size
    assert merkle.root_hash(leaves) == service.tree_root(engine) == latest.root_hash
    signer = NoteSigner(ORIGIN, key)
    service.append_records(engine, [NewRecord(b"after", PROVENANCE)], lessor="ALPHA", signer=signer)
    assert service.audit(engine, latest.note).ok
    engine.dispose()
