"""`leaseguard synth`: write a seeded synthetic book with labelled fraud and defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import console, fail, progress_bar


def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files.")] = Path("synth"),
    contracts: Annotated[
        int, typer.Option(help="Number of contracts, duplicate financings included.")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes the same bytes.")] = 42,
    lessors: Annotated[int, typer.Option(help="Number of lessors (1-10).")] = 5,
    as_of: Annotated[
        str, typer.Option("--as-of", help="Book date YYYY-MM-DD: no payment after it.")
    ] = "2026-10-31",
    stress: Annotated[
        bool,
        typer.Option(
            "--stress",
            help="A harsher book: more defaults, fewer worked out (non-performing ratio around 10-20 % "
            "instead of 1-5 %).",
        ),
    ] = False,
) -> None:
    """Write lessors, contracts, assets, payments and valuations CSVs plus ground_truth.csv and
    contract_outcomes.csv (the labels)."""
    from leaseguard.synth import generate_book
    from leaseguard.synth.parameters import SynthParameters

    try:
        book_date = dt.date.fromisoformat(as_of)
    except ValueError:
        fail(f"--as-of {as_of!r} is not a date in YYYY-MM-DD form")
    with progress_bar() as progress:
        task = progress.add_task("synth", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        try:
            book = generate_book(
                out, contracts=contracts, seed=seed, lessors=lessors, as_of=book_date, progress=advance,
                parameters=SynthParameters.stressed() if stress else None,
            )  # fmt: skip
        except ValueError as error:
            fail(str(error))
    table = Table(title=f"synthetic book in {book.out_dir}")
    table.add_column("what")
    table.add_column("rows", justify="right")
    for what, count in (
        ("lessors", book.lessors),
        ("contracts", book.contracts),
        ("assets", book.assets),
        ("payments", book.payments),
        ("valuations", book.valuations),
        ("defaulted contracts", book.defaulted),
        *((f"fraud: {kind}", count) for kind, count in book.frauds.items()),
    ):
        table.add_row(what, f"{count:,}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(synth)
