"""Commands on a store that holds nothing yet answer with one readable line, never a traceback (issue 21)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

runner = CliRunner()


@pytest.fixture
def empty_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return init_workspace(tmp_path / "ws").root


@pytest.mark.parametrize(
    ("lang", "said"), [("zh", "错误：库中还没有合同"), ("en", "error: the store holds no contracts yet")]
)
def test_a_daily_run_on_an_empty_store_says_to_import_first(
    empty_workspace: Path, lang: str, said: str
) -> None:
    result = runner.invoke(
        app, ["run", "daily", "--as-of", "2026-06-30", "--lang", lang, "-w", str(empty_workspace)]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert said in result.output and "contracts.csv" in result.output
    assert "Traceback" not in result.output


def test_a_funding_file_is_screened_on_an_empty_store(
    empty_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "book"
    generate_book(folder, contracts=20, seed=2)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["assets", "screen", str(folder / "assets.csv"), "-w", str(empty_workspace)])
    assert result.exit_code == 0, result.output
    assert "20 项资产" in result.output and "Traceback" not in result.output
