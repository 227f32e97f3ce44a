"""Running the API under uvicorn, for `leaseguard serve` and `leaseguard demo`."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from leaseguard.api.app import create_app, shipped_max_body_bytes
from leaseguard.console.settings import console_settings
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang
from leaseguard.workspace import CONFIG_FILE, Workspace, WorkspaceError, ensure_console_secret, find_workspace

# Worker processes rebuild the app themselves, so they learn the workspace from the environment.
SERVE_WORKSPACE_ENV = "LEASEGUARD_SERVE_WORKSPACE"
# A worker that dies sooner than this after its start is not restarted: the whole server stops.
CRASH_LOOP_SECONDS = 10
_FAILED = Label("错误：", "error: ")
_WORKER_DIED = Label(
    "一个工作进程在启动后 {seconds} 秒内停止（退出码 {code}）",
    "a worker stopped within {seconds} s of its start (exit code {code})",
)


class _NoDelayConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        # Accepted connections inherit this: without it a response written in two parts waits for the
        # client's delayed ACK, adding some 40 ms to every answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def body_limit(workspace: Workspace) -> int:
    """The workspace's api.max_body_bytes (the shipped value when unset), or a WorkspaceError naming it."""
    value = workspace.setting("api", "max_body_bytes")
    if value is None:
        return shipped_max_body_bytes()
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise WorkspaceError(
            Label(
                "{file}：设置 api.max_body_bytes 应为不小于 1 的整数（字节），而不是 {value!r}",
                "{file}: setting api.max_body_bytes must be a whole number of bytes, at least 1 (not {value!r})",
            ),
            file=workspace.root / CONFIG_FILE,
            value=value,
        )
    return value


def _run(config: uvicorn.Config) -> None:
    sock = config.bind_socket()
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def run_server(
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    evidence_signer: NoteSigner | None = None,
    max_body_bytes: int | None = None,
) -> None:
    """Serve the API over `database_url` in this process until interrupted; decisions go to the evidence log
    when signed."""
    app = create_app(
        database_url,
        evidence_signer=evidence_signer,
        warm_register=True,
        preload_libraries=True,
        max_body_bytes=max_body_bytes,
    )
    _run(_NoDelayConfig(app, host=host, port=port, log_level=log_level, proxy_headers=False))


def workspace_app() -> FastAPI:
    """The app of the workspace named by LEASEGUARD_SERVE_WORKSPACE, signing evidence with its key; the
    factory each worker process calls."""
    from leaseguard.evidence.service import log_settings

    workspace = find_workspace(Path(os.environ[SERVE_WORKSPACE_ENV]))
    # Credit decisions need trained models: the folder credit.models (default credit/models) when it exists.
    models = workspace.root / str(workspace.setting("credit", "models", default="credit/models"))
    policy = workspace.setting("credit", "policy")
    lists = workspace.setting("credit", "lists")
    return create_app(
        workspace.database_url,
        evidence_signer=log_settings(workspace).signer,
        warm_register=True,
        preload_libraries=True,
        credit_models=models if models.is_dir() else None,
        credit_policy=workspace.root / str(policy) if policy else None,
        credit_lists=workspace.root / str(lists) if lists else None,
        credit_sharing=workspace.setting("credit", "consortium_sharing"),
        max_body_bytes=body_limit(workspace),
        console=console_settings(workspace),
    )


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Each worker listens on its own socket and the kernel spreads new connections evenly over them; one
    # shared socket lets whichever worker wakes first take most of them.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _worker(workspace_root: str, host: str, port: int, log_level: str) -> None:
    os.environ[SERVE_WORKSPACE_ENV] = workspace_root
    sock = _reuse_port_socket(host, port)
    config = uvicorn.Config(
        "leaseguard.api.server:workspace_app",
        factory=True,
        log_level=log_level,
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_workspace_server(
    workspace_root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    lang: Lang = DEFAULT_LANG,
) -> None:
    """Serve the workspace's API with `workers` processes on one port; each holds its own ownership register,
    since one Python process answers checks on one core only. A worker that dies is started again; Ctrl+C or
    SIGTERM stops them all. Why it stops, if it must, is said in `lang`."""
    os.environ[SERVE_WORKSPACE_ENV] = str(workspace_root.resolve())
    try:
        # Checked once here: a bad value would otherwise stop every worker as it starts; the console's secret
        # is made here if missing, so every worker signs cookies with the same one.
        served = find_workspace(workspace_root)
        body_limit(served)
        ensure_console_secret(served)
        console_settings(served)
    except WorkspaceError as error:
        raise SystemExit(_FAILED.text(lang) + error.text(lang)) from None
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        _run(
            _NoDelayConfig(
                "leaseguard.api.server:workspace_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                proxy_headers=False,
            )
        )
        return
    # Bound here first, so a port in use is one clear error before any worker starts.
    _reuse_port_socket(host, port).close()
    context = multiprocessing.get_context("spawn")
    arguments = (str(workspace_root.resolve()), host, port, log_level)
    processes = [context.Process(target=_worker, args=arguments, daemon=True) for _ in range(workers)]
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        del signum
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        started_at = [time.monotonic()] * workers
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive():
                    continue
                if time.monotonic() - started_at[index] < CRASH_LOOP_SECONDS:
                    # Dying right after start is a configuration or store problem; restarting will not help.
                    raise SystemExit(
                        _WORKER_DIED.text(lang, seconds=CRASH_LOOP_SECONDS, code=process.exitcode)
                    )
                processes[index] = context.Process(target=_worker, args=arguments, daemon=True)
                processes[index].start()
                started_at[index] = time.monotonic()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
