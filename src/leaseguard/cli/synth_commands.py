"""`leaseguard synth`: write a seeded synthetic book with labelled fraud and defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import LangOption, chosen_lang, console, fail, parse_day, progress_bar
from leaseguard.vocabulary import Label

# What the summary table counts, in the order it shows them.
COUNTED = {
    "lessors": Label("出租人", "lessors"),
    "contracts": Label("合同", "contracts"),
    "assets": Label("租赁物", "assets"),
    "payments": Label("付款", "payments"),
    "valuations": Label("估值", "valuations"),
    "defaulted": Label("违约合同", "defaulted contracts"),
}
FRAUD = Label("欺诈：{kind}", "fraud: {kind}")


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
    lang: LangOption = None,
) -> None:
    """Write lessors, contracts, assets, payments and valuations CSVs plus ground_truth.csv and
    contract_outcomes.csv (the labels)."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.synth import generate_book
    from leaseguard.synth.parameters import SynthParameters

    chosen = chosen_lang(lang)
    book_date = parse_day(as_of, "--as-of")
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
            # The book's own checks (too few contracts, a date out of range) name the value.
            fail(error if isinstance(error, LeaseguardError) else str(error))
    table = Table(
        title=Label("合成账簿：{folder}", "synthetic book in {folder}").text(chosen, folder=book.out_dir)
    )
    table.add_column(Label("内容", "what").text(chosen))
    table.add_column(Label("行数", "rows").text(chosen), justify="right")
    for what, count in (
        *((label.text(chosen), getattr(book, name)) for name, label in COUNTED.items()),
        *((FRAUD.text(chosen, kind=kind), count) for kind, count in book.frauds.items()),
    ):
        table.add_row(what, f"{count:,}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(synth)
