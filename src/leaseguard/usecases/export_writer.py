"""The book export's workbook written in a process of its own (`python -m leaseguard.usecases.export_writer`,
reading what to write as JSON on standard input and telling its progress on standard output, one `done total` line
every few thousand rows): `usecases.daily_book.write_book_day_apart` starts it for a background job.

A workbook of 200,000 rows is millions of cell objects: the interpreter's garbage collections over them and
openpyxl's sort of them before saving hold the writing process's interpreter lock for a second or more at a time,
and in a server that would stop its pages and its jobs' heartbeats meanwhile."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path


def main() -> None:
    import polars as pl

    from leaseguard.usecases.daily_book import BookDay, write_book_day
    from leaseguard.vocabulary import lang_of

    spec = json.load(sys.stdin)
    day = BookDay(dt.date.fromisoformat(spec["as_of"]), pl.read_parquet(spec["frame"]), int(spec["moved"]))

    def told(done: int, total: int) -> None:
        sys.stdout.write(f"{done} {total}\n")
        sys.stdout.flush()

    write_book_day(day, Path(spec["out"]), lang_of(spec["lang"]), progress=told)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the parent reports the last line: make it the reason, whole
        sys.stderr.write(" ".join(str(error).split()) + "\n")
        sys.exit(1)
