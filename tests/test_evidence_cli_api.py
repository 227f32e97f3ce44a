"""`leaseguard evidence …` on a real workspace (registered on a fresh Typer app) and the /v1/evidence routes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner, Result

from leaseguard.api import create_app
from leaseguard.cli.evidence_commands import register
from leaseguard.evidence import service
from leaseguard.evidence.verifier import verify_bundle
from leaseguard.store.db import session_factory
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace
from test_api import running


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(HOME_ENV, raising=False)
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    engine.dispose()
    return opened


def run(workspace: Workspace, *args: str) -> Result:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Keeps `evidence` a sub-command, as in the real app."""

    return CliRunner().invoke(app, ["evidence", *args, "-w", str(workspace.root)])


def append_files(workspace: Workspace, tmp_path: Path, lessor: str, *names: str) -> Result:
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_text(f"content of {name}", encoding="utf-8")
        paths.append(str(path))
    return run(workspace, "append", *paths, "--lessor", lessor, "--producer", "clerk", "--system", "core 1.0")


def test_append_export_verify_audit(workspace: Workspace, tmp_path: Path) -> None:
    first = append_files(workspace, tmp_path, "ALPHA", "contract.pdf", "notice.txt")
    assert first.exit_code == 0, first.output
    assert "已发布检查点，树大小 2" in first.output and "叶哈希（base64）" in first.output
    old_checkpoint = tmp_path / "old.txt"
    assert run(workspace, "checkpoint", "--out", str(old_checkpoint)).exit_code == 0
    assert old_checkpoint.read_text().split("\n")[1] == "2"
    event = run(
        workspace,
        "event",
        '{"asset": "LSV1", "verdict": "red"}',
        "--lessor",
        "BETA",
        "--kind",
        "asset-check",
        "--producer",
        "registry",
        "--system",
        "leaseguard",
    )
    assert event.exit_code == 0, event.output
    assert "记录 2 已于" in event.output

    shown = run(workspace, "show", "1", "--content-out", str(tmp_path / "out.txt"))
    assert shown.exit_code == 0, shown.output
    assert '"name": "notice.txt"' in shown.output
    assert (tmp_path / "out.txt").read_text() == "content of notice.txt"
    assert run(workspace, "show", "2", "--lessor", "ALPHA").exit_code == 1

    bundle_path = tmp_path / "bundle.zip"
    exported = run(workspace, "export", "0", "1", "--out", str(bundle_path))
    assert exported.exit_code == 0, exported.output
    verified = run(workspace, "verify", str(bundle_path))
    assert verified.exit_code == 0, verified.output
    assert (
        verified.output.startswith("有效（VALID）") and "记录 1：已包含；ALPHA 的 document" in verified.output
    )
    in_english = run(workspace, "verify", str(bundle_path), "--lang", "en")
    assert (
        in_english.output.startswith("VALID") and "record 1: included; document of ALPHA" in in_english.output
    )
    assert verify_bundle(bundle_path).ok

    refused = run(workspace, "export", "2", "--lessor", "ALPHA", "--out", str(tmp_path / "x.zip"))
    assert refused.exit_code == 1
    assert "错误：没有证据记录 2" in refused.output
    refused = run(
        workspace, "export", "2", "--lessor", "ALPHA", "--out", str(tmp_path / "x.zip"), "--lang", "en"
    )
    assert "error: no evidence record 2" in refused.output
    assert not (tmp_path / "x.zip").exists()

    audited = run(workspace, "audit", str(old_checkpoint))
    assert audited.exit_code == 0, audited.output
    assert (
        "一致（CONSISTENT）" in audited.output
        and "树大小为 3 的日志延续了树大小为 2 的检查点" in audited.output
    )
    audited = run(workspace, "audit", str(old_checkpoint), "--lang", "en")
    assert (
        "CONSISTENT" in audited.output
        and "tree size 3 extends the checkpoint at tree size 2" in audited.output
    )


def test_bad_input_gives_one_clear_line(workspace: Workspace, tmp_path: Path) -> None:
    append_files(workspace, tmp_path, "ALPHA", "a.txt")
    bundle_path = tmp_path / "bundle.zip"
    run(workspace, "export", "0", "--out", str(bundle_path))
    files = {}
    with zipfile.ZipFile(bundle_path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["records/0/content.txt"] = b"content of b.txt"
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    result = run(workspace, "verify", str(tampered), "--lang", "en")
    assert result.exit_code == 1
    assert result.output.startswith("INVALID")
    assert "record 0: its content does not match the SHA-256 in its entry" in result.output
    assert "问题：记录 0：其内容与条目中的 SHA-256 不符" in run(workspace, "verify", str(tampered)).output
    for args in (
        ("verify", str(tmp_path / "missing.zip")),
        ("audit", str(tmp_path / "missing.txt")),
        ("export", "7", "--out", str(tmp_path / "y.zip")),
        ("append", str(tmp_path / "a.txt"), "--lessor", "NOPE", "--producer", "p", "--system", "s"),
        ("event", "[1]", "--lessor", "ALPHA", "--kind", "k", "--producer", "p", "--system", "s"),
    ):
        outcome = run(workspace, *args)
        assert outcome.exit_code == 1, args
        assert "Traceback" not in outcome.output
        assert outcome.exception is None or isinstance(outcome.exception, SystemExit)
    (tmp_path / "old.txt").write_text("not a checkpoint\n")
    audit = run(workspace, "audit", str(tmp_path / "old.txt"))
    assert (
        audit.exit_code == 1
        and "不一致（INCONSISTENT）" in audit.output
        and "问题：旧检查点无效" in audit.output
    )


def test_size_limit_comes_from_the_workspace(workspace: Workspace, tmp_path: Path) -> None:
    config = workspace.root / "leaseguard.yaml"
    config.write_text(config.read_text() + "\nevidence:\n  max_record_bytes: 10\n", encoding="utf-8")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 11)
    result = run(workspace, "append", str(big), "--lessor", "ALPHA", "--producer", "p", "--system", "s")
    assert result.exit_code == 1
    assert "有 11 字节；上限为 10 字节（设置 evidence.max_record_bytes）" in result.output
    config.write_text(
        config.read_text().replace("\nlang: zh", "\nlang: en"), encoding="utf-8"
    )  # reads English
    result = run(workspace, "append", str(big), "--lessor", "ALPHA", "--producer", "p", "--system", "s")
    assert "is 11 bytes; the limit is 10 bytes (setting evidence.max_record_bytes)" in result.output


# --- the API ---------------------------------------------------------------------------------------------------


def test_api_tenant_isolation_and_shared_proofs(workspace: Workspace, tmp_path: Path) -> None:
    append_files(workspace, tmp_path, "ALPHA", "a1.txt", "a2.txt")
    append_files(workspace, tmp_path, "BETA", "b1.txt")
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        alpha = create_key(session, lessor="ALPHA", role="analyst").key
        beta = create_key(session, lessor="BETA", role="legal").key
    engine.dispose()
    with running(create_app(workspace.database_url)) as base, httpx.Client(base_url=base) as client:

        def get(path: str, key: str, **params: Any) -> httpx.Response:
            return client.get(path, headers={"Authorization": f"Bearer {key}"}, params=params)

        listed = get("/v1/evidence/records", alpha).json()
        assert [item["index"] for item in listed["items"]] == [0, 1]
        assert get("/v1/evidence/records/2", beta).json()["entry"]["lessor"] == "BETA"
        other = get("/v1/evidence/records/2", alpha)
        missing = get("/v1/evidence/records/99", alpha)
        assert other.status_code == missing.status_code == 404
        assert other.json()["detail"] == missing.json()["detail"]
        assert get("/v1/evidence/records/2/content", alpha).status_code == 404
        assert get("/v1/evidence/records/0/content", alpha).content == b"content of a1.txt"

        checkpoint = get("/v1/evidence/checkpoint", alpha).json()
        assert checkpoint["tree_size"] == 3
        assert get("/v1/evidence/checkpoint.txt", beta).text == checkpoint["note"]
        proof = get("/v1/evidence/proofs/inclusion", beta, index=2).json()
        assert proof["tree_size"] == 3 and len(proof["proof"]) == 1
        assert get("/v1/evidence/proofs/inclusion", alpha, index=2).status_code == 404
        consistency = get("/v1/evidence/proofs/consistency", beta, old_size=2).json()
        assert consistency["new_size"] == 3
        too_far = get("/v1/evidence/proofs/inclusion", alpha, index=0, tree_size=9)
        assert too_far.status_code == 422
        assert too_far.headers["content-type"] == "application/problem+json"

        bundle = get("/v1/evidence/bundle", alpha, index=[0, 1])
        assert bundle.status_code == 200
        assert verify_bundle(bundle.content).ok
        with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
            assert [r["index"] for r in json.loads(archive.read("bundle.json"))["records"]] == [0, 1]
        assert get("/v1/evidence/bundle", alpha, index=[0, 2]).status_code == 404
        assert get("/v1/evidence/checkpoint", "lg_bad_key").status_code == 401
    engine = workspace.engine()
    assert service.log_size(engine) == 3
    engine.dispose()
