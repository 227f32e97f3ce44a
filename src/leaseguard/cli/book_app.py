"""The `leaseguard book …` command group, shared by every daily-book capability.

Each capability adds its own commands to `book_app` from its own module (classification: `book export`;
early warning: `book warn`; analytics: `book analytics`), so no two of them edit the same file.
"""

from __future__ import annotations

import typer

book_app = typer.Typer(
    name="book",
    help="The daily book: positions, classes, early warning, portfolio analytics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
