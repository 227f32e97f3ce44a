"""`leaseguard lessors …`, `keys …` and `serve` on a real workspace, through the Typer app."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from leaseguard.api import server
from leaseguard.cli.main import app
from leaseguard.store.db import session_factory
from leaseguard.store.models import Lessor
from leaseguard.tenancy import authenticate
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

KEY = re.compile(r"^lg_[0-9a-f]{12}_[A-Za-z0-9_-]+$", re.MULTILINE)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(HOME_ENV, raising=False)
    return init_workspace(tmp_path / "ws")


def run(workspace: Workspace, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "-w", str(workspace.root)])


def authenticates(workspace: Workspace, key: str) -> Any:
    engine = workspace.engine()
    try:
        with session_factory(engine)() as session:
            return authenticate(session, key)
    finally:
        engine.dispose()


def test_lessors_add_is_idempotent_and_listed(workspace: Workspace) -> None:
    assert run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing").exit_code == 0
    again = run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing")
    assert again.exit_code == 0
    conflict = run(workspace, "lessors", "add", "ALPHA", "--name", "Someone Else")
    assert conflict.exit_code == 1
    assert "错误：出租人 'ALPHA' 已存在，名称为 'Alpha Leasing'" in conflict.output
    in_english = run(workspace, "lessors", "add", "ALPHA", "--name", "Someone Else", "--lang", "en")
    assert "error: lessor 'ALPHA' already exists with the name 'Alpha Leasing'" in in_english.output
    assert run(workspace, "lessors", "add", "贝塔", "--name", "x").exit_code == 1
    listed = run(workspace, "lessors", "list")
    assert listed.exit_code == 0
    assert "ALPHA" in listed.output and "Alpha Leasing" in listed.output and "名称" in listed.output
    assert "Someone Else" not in listed.output
    assert "name" in run(workspace, "lessors", "list", "--lang", "en").output


def stored_lessor(workspace: Workspace, code: str) -> Any:
    engine = workspace.engine()
    try:
        with session_factory(engine)() as session:
            return session.get(Lessor, code)
    finally:
        engine.dispose()


def test_lessors_add_keeps_party_details_and_updates_them(workspace: Workspace) -> None:
    added = run(
        workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing",
        "--uscc", "91110000600037341L", "--address", "北京市朝阳区建国路1号",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert stored_lessor(workspace, "ALPHA").extra == {
        "uscc": "91110000600037341L",
        "address": "北京市朝阳区建国路1号",
    }
    updated = run(
        workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing",
        "--address", "上海市浦东新区世纪大道8号", "--legal-representative", "张伟",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert "出租人 ALPHA：Alpha Leasing" in updated.output and "法定代表人：张伟" in updated.output
    assert stored_lessor(workspace, "ALPHA").extra == {
        "uscc": "91110000600037341L",
        "address": "上海市浦东新区世纪大道8号",
        "legal_representative": "张伟",
    }
    # Adding again without details changes nothing; another name is still a conflict, details or not.
    assert run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing").exit_code == 0
    assert stored_lessor(workspace, "ALPHA").extra["legal_representative"] == "张伟"
    conflict = run(workspace, "lessors", "add", "ALPHA", "--name", "Other", "--address", "天津市和平区1号")
    assert conflict.exit_code == 1 and "已存在" in conflict.output
    assert stored_lessor(workspace, "ALPHA").extra["address"] == "上海市浦东新区世纪大道8号"
    listed = run(workspace, "lessors", "list")
    assert "91110000600037341L" in listed.output and "张伟" in listed.output


@pytest.mark.parametrize("bad", ["91110000600037341X", "9111000060003734", "not-a-code"])
def test_lessors_add_refuses_a_bad_uscc_in_one_line(workspace: Workspace, bad: str) -> None:
    result = run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing", "--uscc", bad)
    assert result.exit_code != 0
    assert bad in result.output and "不是有效的统一社会信用代码" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert stored_lessor(workspace, "ALPHA") is None


def test_keys_create_list_revoke(workspace: Workspace) -> None:
    run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing")
    run(workspace, "lessors", "add", "BETA", "--name", "Beta Leasing")
    created = run(
        workspace, "keys", "create", "--lessor", "ALPHA", "--role", "compliance", "--label", "risk desk"
    )
    assert created.exit_code == 0, created.output
    keys = KEY.findall(created.output)
    assert len(keys) == 1
    key = keys[0]
    assert "出租人 ALPHA 的 API 密钥，角色 compliance" in created.output and "不会再次显示" in created.output
    principal = authenticates(workspace, key)
    assert principal is not None and (principal.lessor, principal.role) == ("ALPHA", "compliance")
    beta_key = KEY.findall(run(workspace, "keys", "create", "--lessor", "BETA", "--role", "legal").output)[0]

    prefix = key.split("_")[1]
    secret = key.split("_", 2)[2]
    listed = run(workspace, "keys", "list")
    assert listed.exit_code == 0
    assert prefix in listed.output and "risk desk" in listed.output and "有效" in listed.output
    assert secret not in listed.output
    in_english = run(workspace, "keys", "list", "--lang", "en")
    assert "prefix" in in_english.output and "active" in in_english.output
    only_beta = run(workspace, "keys", "list", "--lessor", "BETA")
    assert prefix not in only_beta.output and beta_key.split("_")[1] in only_beta.output

    revoked = run(workspace, "keys", "revoke", prefix)
    assert revoked.exit_code == 0, revoked.output
    assert f"已吊销密钥 {prefix}（出租人 ALPHA，角色 compliance）" in revoked.output
    assert authenticates(workspace, key) is None
    assert authenticates(workspace, beta_key) is not None
    assert "吊销" in run(workspace, "keys", "list", "--lessor", "ALPHA").output
    assert "revoked" in run(workspace, "keys", "list", "--lessor", "ALPHA", "--lang", "en").output
    again = run(workspace, "keys", "revoke", prefix, "--lang", "en")
    assert f"revoked key {prefix} (lessor ALPHA, role compliance)" in again.output


def test_keys_create_in_english(workspace: Workspace) -> None:
    run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing")
    created = run(workspace, "keys", "create", "--lessor", "ALPHA", "--role", "legal", "--lang", "en")
    assert created.exit_code == 0, created.output
    assert "API key for lessor ALPHA, role legal" in created.output
    assert "not be shown again" in created.output and len(KEY.findall(created.output)) == 1


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (
            ("keys", "create", "--lessor", "ALPHA", "--role", "superuser"),
            "未知角色 'superuser'",
            "unknown role",
        ),
        (
            ("keys", "create", "--lessor", "GAMMA", "--role", "analyst"),
            "未知出租人 'GAMMA'",
            "unknown lessor",
        ),
        (("keys", "list", "--lessor", "GAMMA"), "未知出租人 'GAMMA'", "unknown lessor"),
        (("keys", "revoke", "0123456789ab"), "没有前缀为 '0123456789ab' 的 API 密钥", "no API key"),
    ],
)
def test_bad_input_fails_with_one_readable_line(
    workspace: Workspace, args: tuple[str, ...], chinese: str, english: str
) -> None:
    run(workspace, "lessors", "add", "ALPHA", "--name", "Alpha Leasing")
    for lang, message in (("zh", chinese), ("en", english)):
        result = run(workspace, *args, "--lang", lang)
        assert result.exit_code != 0
        assert message in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not KEY.findall(result.output)
    assert chinese in run(workspace, *args).output  # Chinese unless asked


def test_serve_takes_host_port_and_workers_from_the_config(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("port: 8000", "port: 8123"), encoding="utf-8"
    )
    calls: list[tuple[Path, str, int, int]] = []

    def recording_run_workspace_server(root: Path, *, host: str, port: int, workers: int, lang: str) -> None:
        calls.append((root, host, port, workers))

    monkeypatch.setattr(server, "run_workspace_server", recording_run_workspace_server)
    result = run(workspace, "serve")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/docs" in result.output and "API 服务启动" in result.output
    assert "serving the API over" in run(workspace, "serve", "--lang", "en").output
    assert run(workspace, "serve", "--port", "9001", "--host", "0.0.0.0", "--workers", "3").exit_code == 0
    assert calls == [
        (workspace.root, "127.0.0.1", 8123, 1),
        (workspace.root, "127.0.0.1", 8123, 1),
        (workspace.root, "0.0.0.0", 9001, 3),
    ]


def test_serve_refuses_a_bad_workers_setting(workspace: Workspace) -> None:
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("workers: 1", "workers: many"), encoding="utf-8"
    )
    result = run(workspace, "serve")
    assert result.exit_code != 0
    assert "api.workers" in result.output
    assert len(result.output.strip().splitlines()) == 1
