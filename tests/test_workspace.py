"""`leaseguard init` makes a usable workspace on SQLite, and LEASEGUARD_DATABASE_URL moves it to PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, WorkspaceError, find_workspace, init_workspace

runner = CliRunner()


def test_init_creates_config_store_and_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "工作区已就绪" in result.output and "数据库" in result.output  # Chinese unless asked
    root = tmp_path / "ws"
    config = yaml.safe_load((root / "leaseguard.yaml").read_text(encoding="utf-8"))
    assert config["api"]["port"] == 8000

    private = serialization.load_pem_private_key((root / "keys/evidence-ed25519.pem").read_bytes(), None)
    public = serialization.load_pem_public_key((root / "keys/evidence-ed25519.pub").read_bytes())
    assert isinstance(private, Ed25519PrivateKey) and isinstance(public, Ed25519PublicKey)
    public.verify(private.sign(b"checkpoint"), b"checkpoint")
    assert stat.S_IMODE((root / "keys/evidence-ed25519.pem").stat().st_mode) == 0o600

    engine = find_workspace(root).engine()
    with engine.connect() as connection:
        assert connection.execute(text("pragma journal_mode")).scalar_one() == "wal"
    assert "contracts" in inspect(engine).get_table_names()
    engine.dispose()


def test_init_twice_keeps_edited_config_and_keys(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    config_file = tmp_path / "leaseguard.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace("port: 8000", "port: 8123"))
    key_before = (tmp_path / "keys/evidence-ed25519.pem").read_bytes()
    workspace = init_workspace(tmp_path)
    assert workspace.setting("api", "port") == 8123
    assert (tmp_path / "keys/evidence-ed25519.pem").read_bytes() == key_before


def test_database_url_env_points_the_workspace_at_postgresql(
    tmp_path: Path, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_schema_url)
    workspace = init_workspace(tmp_path)
    assert workspace.database_url == postgres_schema_url
    assert not (tmp_path / "leaseguard.db").exists()
    engine = workspace.engine()
    assert engine.dialect.name == "postgresql"
    assert "payments" in inspect(engine).get_table_names()
    engine.dispose()


def test_workspace_is_found_from_home_env_and_missing_one_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path / "home")
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    assert find_workspace().root == (tmp_path / "home").resolve()
    with pytest.raises(WorkspaceError, match="请先运行 `leaseguard init") as caught:
        find_workspace(tmp_path / "nowhere")
    assert "no leaseguard.yaml here; run `leaseguard init" in caught.value.text("en")


def test_init_and_migrate_speak_english_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = runner.invoke(app, ["init", str(tmp_path / "ws"), "--lang", "en"])
    assert made.exit_code == 0, made.output
    assert made.output.startswith("workspace ready at") and "  store    sqlite:///" in made.output
    migrated = runner.invoke(app, ["migrate", "-w", str(tmp_path / "ws")])
    assert migrated.exit_code == 0 and migrated.output.startswith("数据库结构已是最新：sqlite:///")
    migrated = runner.invoke(app, ["migrate", "-w", str(tmp_path / "ws"), "--lang", "en"])
    assert migrated.output.startswith("schema up to date at sqlite:///")
    wrong = runner.invoke(app, ["migrate", "-w", str(tmp_path / "ws"), "--lang", "fr"])
    assert wrong.exit_code == 1 and wrong.output.startswith(
        "错误：--lang：语言 'fr' 不在可选范围内（zh, en）"
    )


def test_migrate_without_workspace_exits_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(HOME_ENV, raising=False)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "leaseguard init" in result.output
    assert "Traceback" not in result.output


def test_broken_config_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "leaseguard.yaml").write_text("database_url: [unclosed\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match=r"leaseguard\.yaml：不是有效的 YAML：第 2 行第 1 列") as caught:
        find_workspace(tmp_path)
    assert "leaseguard.yaml: not valid YAML: line 2, column 1" in caught.value.text("en")
