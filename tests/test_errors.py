"""One error family: every error a user can cause is a LeaseguardError, answered by the API from one table
(status and problem kind) and by the command line as one line with exit code 1, never a traceback."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import leaseguard
from leaseguard.cli.common import WorkspaceOption
from leaseguard.errors import (
    PROBLEMS,
    BusyError,
    ConflictError,
    InvalidInputError,
    LeaseguardError,
    NotFoundError,
    problem_of,
)

# Outside the family on purpose: the offline verifier ships alone (tools/verify_evidence.py), the API's own
# ProblemError already is an answer, and a signal stopping a batch is not an error.
OUTSIDE = {"leaseguard.evidence.verifier.ProofError", "leaseguard.evidence.verifier.NoteError",
           "leaseguard.evidence.verifier._Refused", "leaseguard.evidence.verifier.VerifierError",
           "leaseguard.api.problems.ProblemError",
           # The console's answers, as ProblemError is the API's: to the sign-in page, the 403 page, a refused form.
           "leaseguard.console.auth.SignInRequired", "leaseguard.console.auth.ConsoleForbidden",
           "leaseguard.console.auth.CsrfRefused",
           # A SQLAlchemy ArgumentError, so that whoever catches the store's errors catches it.
           "leaseguard.store.db.StoreUrlError",
           "leaseguard.cli.cases_commands._Stopped",
           # Raised inside a Pydantic validator, which wants a ValueError; it never leaves `load_rule_file`,
           # which turns it into a RuleFileError (tests/test_rule_loaders.py).
           "leaseguard.rulefiles.RuleProblem"}  # fmt: skip


def _error_classes() -> list[type[BaseException]]:
    found = []
    for module in pkgutil.walk_packages(leaseguard.__path__, "leaseguard."):
        if ".migrations" in module.name or module.name.endswith("__main__") or "spark" in module.name:
            continue
        loaded = importlib.import_module(module.name)
        for _, klass in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(klass, BaseException) and klass.__module__ == module.name:
                found.append(klass)
    return found


def test_every_error_the_project_defines_belongs_to_the_family() -> None:
    classes = _error_classes()
    assert len(classes) > 30
    strays = [f"{k.__module__}.{k.__qualname__}" for k in classes
              if not issubclass(k, LeaseguardError) and f"{k.__module__}.{k.__qualname__}" not in OUTSIDE]  # fmt: skip
    assert strays == []


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        ("leaseguard.enforcement.service.UnknownContractError", (404, "not-found")),
        ("leaseguard.tenancy.service.LessorConflictError", (409, "conflict")),
        ("leaseguard.classification.daily.DailyRunBusyError", (409, "busy")),
        ("leaseguard.evidence.service.RecordTooLargeError", (413, "too-large")),
        ("leaseguard.money.MoneyError", (422, "invalid-input")),
        ("leaseguard.evidence.service.LogKeyError", (409, "conflict")),
    ],
)
def test_the_table_answers_each_kind_by_its_most_specific_class(error: str, answer: tuple[int, str]) -> None:
    module, _, name = error.rpartition(".")
    klass = getattr(importlib.import_module(module), name)
    assert problem_of(klass("x")) == answer
    assert set(PROBLEMS) >= {InvalidInputError, NotFoundError, ConflictError, BusyError}


def test_old_except_clauses_still_catch() -> None:
    """A domain error is still the built-in it was (ValueError, LookupError), so callers keep working."""
    from leaseguard.enforcement.service import UnknownContractError
    from leaseguard.money import MoneyError

    assert issubclass(MoneyError, ValueError) and issubclass(UnknownContractError, LookupError)


def test_a_domain_error_a_command_lets_through_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from leaseguard.cli import main
    from leaseguard.money import parse_fen

    def register(target: typer.Typer) -> None:
        @target.command("probe")
        def probe() -> None:
            parse_fen("12.345", where="--amount")

    monkeypatch.setitem(main.LAZY_COMMANDS, "probe", (register, "A command that fails."))
    main._loaded.cache_clear()
    result = CliRunner().invoke(main.app, ["probe"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "错误：--amount：'12.345' 的小数超过 2 位"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_domain_error_a_route_lets_through_is_its_problem(tmp_path: object) -> None:
    from pathlib import Path

    import httpx

    from conftest import running
    from leaseguard.api import create_app
    from leaseguard.classification.daily import DailyRunBusyError
    from leaseguard.store.db import create_store_engine, upgrade_schema

    url = f"sqlite:///{Path(str(tmp_path)) / 'store.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    app = create_app(url)

    @app.get("/probe")
    def probe() -> None:
        raise DailyRunBusyError("另一个日终批处理正在运行")

    with running(app) as base, httpx.Client(base_url=base) as client:
        answer = client.get("/probe")
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"].endswith(":busy") and body["detail"] == "另一个日终批处理正在运行"
    assert body["title"] == "系统繁忙，请稍后重试"


def test_an_error_is_said_in_either_language_with_its_values() -> None:
    from leaseguard.vocabulary import Label

    error = NotFoundError(Label("没有合同 {no}（{where}）", "no contract {no} ({where})"),
                          no="HT-1", where=Label("本出租人", "this lessor"))  # fmt: skip
    assert error.text("zh") == "没有合同 HT-1（本出租人）" == str(error)
    assert error.text("en") == "no contract HT-1 (this lessor)"
    assert InvalidInputError("/tmp/x.csv").text("en") == "/tmp/x.csv"  # text that is not words, as given


def test_a_command_says_a_domain_error_in_the_workspace_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    import typer
    from typer.testing import CliRunner

    from leaseguard.cli import main
    from leaseguard.cli.common import open_workspace
    from leaseguard.vocabulary import Label
    from leaseguard.workspace import init_workspace

    workspace = init_workspace(Path(str(tmp_path)) / "ws")
    config = workspace.root / "leaseguard.yaml"

    def register(target: typer.Typer) -> None:
        @target.command("probe")
        def probe(workspace: WorkspaceOption = None) -> None:
            open_workspace(workspace)
            raise NotFoundError(Label("没有合同 {no}", "no contract {no}"), no="HT-1")

    monkeypatch.setitem(main.LAZY_COMMANDS, "probe", (register, "A command that fails."))
    main._loaded.cache_clear()
    chinese = CliRunner().invoke(main.app, ["probe", "-w", str(workspace.root)])
    assert chinese.exit_code == 1 and chinese.output.strip() == "错误：没有合同 HT-1"
    config.write_text(config.read_text(encoding="utf-8").replace("lang: zh", "lang: en"), encoding="utf-8")
    english = CliRunner().invoke(main.app, ["-w", str(workspace.root), "probe"])
    assert english.exit_code == 1 and english.output.strip() == "error: no contract HT-1"
    # The next run starts anew: no language carried over from the one before.
    again = CliRunner().invoke(main.app, ["probe"])
    assert again.exit_code == 1 and "no contract" not in again.output


@pytest.mark.parametrize(
    ("header", "lang"),
    [("", "zh"), ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("fr, en;q=0.5", "en"),
     ("en;q=0.2, zh-TW;q=0.8", "zh"), ("en;q=0", "zh"), ("*", "zh")],
)  # fmt: skip
def test_the_api_reads_the_callers_language_from_accept_language(header: str, lang: str) -> None:
    from starlette.requests import Request

    from leaseguard.api.problems import request_lang

    request = Request({"type": "http", "headers": [(b"accept-language", header.encode())] if header else []})
    assert request_lang(request) == lang
