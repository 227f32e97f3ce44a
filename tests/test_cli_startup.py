"""The command line answers at once: `leaseguard --help` lists every command without importing the
capabilities behind them, and each command still runs from its lazily loaded home."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from leaseguard.cli.main import LAZY_COMMANDS, _loaded, app


def test_help_lists_every_command_without_importing_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from leaseguard.cli.main import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('lightgbm', 'reportlab', 'sklearn', 'sqlalchemy', 'polars', 'pyspark', 'docx')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "print(result.output)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    heavy, _, listing = done.stdout.partition("\n")
    assert heavy == ""
    for name in (*LAZY_COMMANDS, "init", "migrate"):
        assert f" {name} " in listing, name


def test_every_lazy_command_loads_with_the_help_the_listing_promises() -> None:
    for name, (_, short) in LAZY_COMMANDS.items():
        command = _loaded(name)
        assert command.name == name
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert f"Usage: leaseguard {name}" in " ".join(result.output.split()), name
        assert short  # the listing has a line for it


def test_the_workspace_may_be_named_before_or_after_the_command(tmp_path: object) -> None:
    from pathlib import Path

    from leaseguard.workspace import HOME_ENV, init_workspace

    root = init_workspace(Path(str(tmp_path)) / "ws").root
    elsewhere = Path(str(tmp_path)) / "not-a-workspace"
    elsewhere.mkdir()
    runner = CliRunner()
    env = {HOME_ENV: ""}
    before = runner.invoke(app, ["-w", str(root), "lessors", "list"], env=env)
    after = runner.invoke(app, ["lessors", "list", "-w", str(root)], env=env)
    assert before.exit_code == after.exit_code == 0, (before.output, after.output)
    assert before.output == after.output
    wrong = runner.invoke(app, ["-w", str(elsewhere), "lessors", "list"], env=env)
    assert wrong.exit_code == 1 and "这里没有 leaseguard.yaml" in wrong.output
    # the command's own option wins over the one before it
    both = runner.invoke(app, ["-w", str(elsewhere), "lessors", "list", "-w", str(root)], env=env)
    assert both.exit_code == 0, both.output
    # and nothing carries over to the next run
    later = runner.invoke(app, ["lessors", "list"], env={HOME_ENV: str(elsewhere)})
    assert later.exit_code == 1 and str(elsewhere) in later.output


def _command_paths() -> list[list[str]]:
    """Every command and subcommand of the lazy capabilities, as the words that name it."""
    from typer.core import TyperGroup

    paths: list[list[str]] = []

    def walk(command: object, words: list[str]) -> None:
        paths.append(words)
        if isinstance(command, TyperGroup):
            context = command.make_context(words[-1], ["--help"], resilient_parsing=True)
            for sub in command.list_commands(context):
                found = command.get_command(context, sub)
                if found is not None:
                    walk(found, [*words, sub])

    for name in LAZY_COMMANDS:
        walk(_loaded(name), [name])
    return paths


def test_every_commands_help_answers_without_importing_the_engines() -> None:
    """`leaseguard cases generate --help` and every other command's help are read from the command modules
    alone: the engines behind them (SQLAlchemy, Polars, LightGBM, reportlab, …) load when a command runs."""
    paths = _command_paths()
    assert ["cases", "generate"] in paths and ["credit", "decide"] in paths and len(paths) > 40
    probe = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from leaseguard.cli.main import app\n"
        f"for words in json.loads({__import__('json').dumps(__import__('json').dumps(paths))}):\n"
        "    result = CliRunner().invoke(app, [*words, '--help'])\n"
        "    assert result.exit_code == 0 and 'Usage:' in result.output, (words, result.output)\n"
        "heavy = [m for m in ('lightgbm', 'reportlab', 'sklearn', 'sqlalchemy', 'polars', 'pyspark', 'docx',"
        " 'numpy', 'pandas', 'matplotlib', 'openpyxl') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
