"""A workspace: one folder holding the config file, the SQLite store and the keys of one installation."""

from __future__ import annotations

import contextlib
import copy
import os
import secrets
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from leaseguard.errors import InvalidInputError
from leaseguard.store.db import create_store_engine, shown_url, store_error_reason, upgrade_schema
from leaseguard.vocabulary import Label, Lang
from leaseguard.yaml_text import load_yaml

CONFIG_FILE = "leaseguard.yaml"
DATABASE_URL_ENV = "LEASEGUARD_DATABASE_URL"
HOME_ENV = "LEASEGUARD_HOME"


class WorkspaceError(InvalidInputError):
    """The workspace is missing or its configuration cannot be read."""


def shipped_defaults_text() -> str:
    return resources.files("leaseguard.defaults").joinpath(CONFIG_FILE).read_text(encoding="utf-8")


@cache
def _shipped_defaults() -> dict[str, Any]:
    parsed: dict[str, Any] = load_yaml(shipped_defaults_text())
    return parsed


def shipped_setting(*keys: str) -> Any:
    """A value of the shipped leaseguard.yaml, by its keys (`shipped_setting("api", "max_body_bytes")`): the file
    is parsed once per process, and each caller gets a copy of its own to change."""
    value: Any = _shipped_defaults()
    for key in keys:
        value = value[key]
    return copy.deepcopy(value)


@dataclass
class Workspace:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        override = os.environ.get(DATABASE_URL_ENV)
        if override:
            return override
        url = str(self.config.get("database_url", "sqlite:///leaseguard.db"))
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.root / url.removeprefix(prefix)).resolve())
        return url

    def setting(self, *path: str, default: Any = None) -> Any:
        node: Any = self.config
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def path(self, *path: str) -> Path:
        """A file named by a setting, relative to the workspace root."""
        value = self.setting(*path)
        if value is None:
            raise WorkspaceError(
                Label("{file}：缺少设置 {setting}", "{file}: setting {setting} is missing"),
                file=self.root / CONFIG_FILE,
                setting=".".join(path),
            )
        return self.root / str(value)

    def engine(self, **kwargs: Any) -> Engine:
        return create_store_engine(self.database_url, **kwargs)


def _yaml_reason(error: yaml.YAMLError) -> Label:
    """Where and why, without the quoted line PyYAML adds: that line may be the store URL with its password.
    PyYAML's own words (the problem, its context) stay as it says them."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return Label(type(error).__name__, type(error).__name__)

    def where(mark: Any, lang: Lang) -> str:
        return (
            f"第 {mark.line + 1} 行第 {mark.column + 1} 列"
            if lang == "zh"
            else f"line {mark.line + 1}, column {mark.column + 1}"
        )

    def reason(lang: Lang) -> str:
        text = error.problem or type(error).__name__
        if error.problem_mark is not None:
            text = f"{where(error.problem_mark, lang)}{'：' if lang == 'zh' else ': '}{text}"
        if error.context:
            if error.context_mark is None:
                started = ""
            else:
                started = (
                    f"，始于{where(error.context_mark, lang)}"
                    if lang == "zh"
                    else f" from {where(error.context_mark, lang)}"
                )
            text += f"（{error.context}{started}）" if lang == "zh" else f" ({error.context}{started})"
        return text

    # Said in each language here, so the reason's own braces are never taken for placeholders.
    return Label(reason("zh"), reason("en"))


def _read_config(config_file: Path) -> dict[str, Any]:
    try:
        loaded = load_yaml(config_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise WorkspaceError(
            Label("{file}：不是有效的 YAML：{reason}", "{file}: not valid YAML: {reason}"),
            file=config_file,
            reason=_yaml_reason(error),
        ) from None
    if not isinstance(loaded, dict):
        raise WorkspaceError(
            Label("{file}：顶层应为映射（键: 值）", "{file}: expected a mapping at the top level"),
            file=config_file,
        )
    return loaded


def _write_private(path: Path, data: bytes) -> None:
    """A new file that is owner-only from its first byte (a chmod afterwards would leave a window)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _write_signing_key(private_path: Path, public_path: Path) -> None:
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(private_path, private_pem)
    public_path.unlink(missing_ok=True)  # a public key left without its private key is replaced
    _write_private(
        public_path,
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def _tighten(path: Path, mode: int) -> None:
    """Take group and other access away from a file or folder made before init enforced it; where the file
    system does not let us (not our file, no Unix modes), the workspace still works."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        pass


CONSOLE_SECRET_SETTING = ("keys", "console_session_secret")
# Workspaces made before the console name no secret in their config; theirs lives here.
CONSOLE_SECRET_DEFAULT = "keys/console-session.secret"
CONSOLE_SECRET_BYTES = 32


def console_secret_path(workspace: Workspace) -> Path:
    return workspace.root / str(workspace.setting(*CONSOLE_SECRET_SETTING, default=CONSOLE_SECRET_DEFAULT))


def ensure_console_secret(workspace: Workspace) -> Path:
    """The file of the secret that signs the console's session cookies, made (random, owner-only) if missing.

    Called by init and by `serve` before any worker starts, so every worker reads the same secret."""
    path = console_secret_path(workspace)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Another process may make it first; theirs is as good.
        with contextlib.suppress(FileExistsError):
            _write_private(path, secrets.token_urlsafe(CONSOLE_SECRET_BYTES).encode("ascii"))
    _tighten(path, 0o600)
    return path


def console_secret(workspace: Workspace) -> str:
    """The console's cookie-signing secret; a file too short to be a secret is a WorkspaceError."""
    path = ensure_console_secret(workspace)
    value = path.read_text(encoding="ascii", errors="replace").strip()
    if len(value) < 32:
        raise WorkspaceError(
            Label(
                "{path}：控制台会话密钥过短（至少 32 个字符）；删除该文件后运行 `leaseguard init` 重新生成",
                "{path}: the console session secret is too short (at least 32 characters); delete the file "
                "and run `leaseguard init` to make a new one",
            ),
            path=path,
        )
    return value


def init_workspace(directory: Path) -> Workspace:
    """Create (or bring up to date) a workspace; existing config and keys are never overwritten.

    The folder, the keys' folder, the config (it may hold the store's password), the keys and the SQLite store
    are made, or tightened to, owner-only."""
    directory = directory.resolve()
    # A workspace holds every lessee's personal data: its folder is its owner's only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(directory, 0o700)
    config_file = directory / CONFIG_FILE
    if not config_file.exists():
        _write_private(config_file, shipped_defaults_text().encode("utf-8"))
    _tighten(config_file, 0o600)
    workspace = Workspace(directory, _read_config(config_file))
    private_key = workspace.path("keys", "evidence_signing_key")
    public_key = workspace.path("keys", "evidence_public_key")
    if not private_key.exists():
        _write_signing_key(private_key, public_key)
    for key_file in (private_key, public_key):
        _tighten(key_file, 0o600)
        # A key folder elsewhere (a setting may name any path) is the administrator's to set, not ours.
        if key_file.parent.resolve().is_relative_to(directory):
            _tighten(key_file.parent, 0o700)
    ensure_console_secret(workspace)
    url = workspace.database_url
    try:
        engine = workspace.engine()
        try:
            upgrade_schema(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        raise WorkspaceError(
            Label("无法建立 {url} 的数据库：{reason}", "the store at {url} could not be set up: {reason}"),
            url=shown_url(url),
            reason=store_error_reason(error, url),
        ) from None
    return workspace


def find_workspace(directory: Path | None = None) -> Workspace:
    """The workspace at `directory`, else $LEASEGUARD_HOME, else the nearest folder upwards with a config."""
    if directory is None and os.environ.get(HOME_ENV):
        directory = Path(os.environ[HOME_ENV])
    if directory is not None:
        config_file = directory / CONFIG_FILE
        if not config_file.exists():
            raise WorkspaceError(
                Label(
                    "{directory}：这里没有 {config}；请先运行 `leaseguard init {directory}`",
                    "{directory}: no {config} here; run `leaseguard init {directory}` first",
                ),
                directory=directory,
                config=CONFIG_FILE,
            )
        return Workspace(directory.resolve(), _read_config(config_file))
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_FILE).exists():
            return Workspace(candidate, _read_config(candidate / CONFIG_FILE))
    raise WorkspaceError(
        Label(
            "{here} 及其上级文件夹中都没有 {config}；请先运行 `leaseguard init`",
            "no {config} in {here} or above; run `leaseguard init` first",
        ),
        config=CONFIG_FILE,
        here=here,
    )
