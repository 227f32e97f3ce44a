"""A console served for tests: a real uvicorn server over a SQLite store with two lessors (ALPHA, BETA), their
users (ann: ALPHA analyst, cai: ALPHA compliance, bea: BETA compliance, all with PASSWORD), an import run
each and an API key; and helpers to sign in over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from conftest import running
from leaseguard.api import create_app
from leaseguard.console.settings import ConsoleSettings
from leaseguard.store.db import create_store_engine, session_factory, upgrade_schema
from leaseguard.store.models import ImportRun
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.usecases import people

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html,application/xhtml+xml"}
ALERT = re.compile(r'role="alert">\s*(?:<h2>[^<]*</h2>\s*)?<p>([^<]*)</p>')


@dataclass
class Console:
    base: str
    engine: Engine
    alpha_run: int
    beta_run: int
    api_key: str

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=HTML, follow_redirects=False, timeout=30)


def _import_run(lessor: str, name: str) -> ImportRun:
    moment = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    return ImportRun(
        file_name=name, file_sha256="0" * 64, kind="contracts", encoding="utf-8", rows_read=3,
        rows_inserted=3, status="loaded", message="ok", started_at=moment, finished_at=moment, lessor=lessor,
    )  # fmt: skip


@contextmanager
def served_console(tmp_path: Path) -> Iterator[Console]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
        for name, lessor, role in (
            ("ann", "ALPHA", "analyst"), ("cai", "ALPHA", "compliance"), ("bea", "BETA", "compliance"),
        ):  # fmt: skip
            people.create_user(
                session, username=name, lessor=lessor, role=role, password=PASSWORD, policy=policy
            )
        alpha, beta = _import_run("ALPHA", "alpha-contracts.csv"), _import_run("BETA", "beta-contracts.csv")
        session.add_all([alpha, beta])
        session.flush()
        alpha_run, beta_run = alpha.id, beta.id
        key = create_key(session, lessor="ALPHA", role="analyst").key
    app = create_app(url, console=ConsoleSettings(session_idle_minutes=30, session_max_hours=12))
    with running(app) as base:
        yield Console(base, engine, alpha_run, beta_run, key)
    engine.dispose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def alerts(page: httpx.Response) -> list[str]:
    return ALERT.findall(page.text)


def signed_in(console: Console, username: str, password: str = PASSWORD, *, next: str = "/") -> httpx.Client:
    client = console.browser()
    form = client.get("/login")
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(form), "next": next}
    )
    assert answer.status_code == 303, alerts(answer)
    return client
