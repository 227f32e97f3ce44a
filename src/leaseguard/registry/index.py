"""An in-memory index that finds every registered identifier within one edit of a query in microseconds.

Each identifier is OCR-folded and expanded into its deletion keys (itself and every one-character deletion);
two identifiers within one substitution, insertion, deletion or adjacent swap share at least one key. Keys
are kept as sorted 64-bit hashes beside the row they came from, so a million VINs take a few hundred MB of
numpy arrays instead of tens of millions of Python objects, and a lookup is a handful of binary searches.
Hash collisions only add candidates; the checker verifies every candidate on the real strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from leaseguard.registry.normalize import OCR_CONFUSABLE_GROUPS

_HASH_SEED = 0x1EA5E
_OCR_FROM = "".join(group[1:] for group in OCR_CONFUSABLE_GROUPS)
_OCR_TO = "".join(group[0] * (len(group) - 1) for group in OCR_CONFUSABLE_GROUPS)


def fold_column(column: pl.Expr) -> pl.Expr:
    """Vectorised `normalize.ocr_fold`."""
    cleaned = column.fill_null("").str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    return cleaned.str.replace_many(list(_OCR_FROM), list(_OCR_TO))


def name_column(column: pl.Expr) -> pl.Expr:
    """Vectorised `normalize.normalize_name`."""
    return column.fill_null("").str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[\W_]+", "")


CounterRule = Callable[[pl.Expr, int], pl.Expr]
"""Given the folded identifier and a 0-based position, whether that position is part of a production counter."""
CounterStart = pl.Expr
"""Per row, the 0-based position where the production counter starts."""


def trailing_digits_counter(raw: pl.Expr) -> CounterStart:
    """Serial and engine numbers: the counter is the trailing run of digits of the noise-free, unfolded
    identifier (OCR folding would turn a D or G before it into a digit)."""
    cleaned = raw.fill_null("").str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    return cleaned.str.len_chars() - cleaned.str.extract(r"([0-9]*)$", 1).str.len_chars()


def vin_counter(vin_serial_positions: Sequence[int]) -> CounterRule:
    """VINs: the production sequence positions, plus the check digit (position 9) that follows them."""
    counter = {p - 1 for p in vin_serial_positions} | {8}
    return lambda _folded, position: pl.lit(position in counter)


SELF = -1  # the position of the key that is the identifier itself


def _per_row_counter(_folded: pl.Expr, position: int) -> pl.Expr:
    """Counter positions given row by row in a `counter_start` column."""
    return pl.lit(position) >= pl.col("counter_start")


def _key_frame(folded: pl.DataFrame, max_length: int, counter: CounterRule | None) -> pl.DataFrame:
    key = pl.col("folded")
    if "counter_start" in folded.columns:
        counter = _per_row_counter
    variants = [
        folded.select(
            "row",
            key.alias("key"),
            pl.lit(SELF, pl.Int16).alias("position"),
            pl.lit(False).alias("in_counter"),
        )
    ]
    for position in range(max_length):
        in_counter = counter(key, position) if counter else pl.lit(False)
        variants.append(
            folded.filter(key.str.len_chars() > position).select(
                "row",
                (key.str.slice(0, position) + key.str.slice(position + 1)).alias("key"),
                pl.lit(position, pl.Int16).alias("position"),
                in_counter.alias("in_counter"),
            )
        )
    return pl.concat(variants)


def _hash_keys(keys: Sequence[str]) -> np.ndarray:
    return pl.Series(keys, dtype=pl.String).hash(seed=_HASH_SEED).to_numpy()


class DeletionIndex:
    """Rows whose folded identifier is within one edit of a query's, by sorted hashes of deletion keys."""

    def __init__(
        self,
        folded_values: pl.Series,
        *,
        exact_only: bool = False,
        counter: CounterRule | None = None,
        counter_starts: pl.Series | None = None,
    ) -> None:
        """`folded_values[i]` is row i's OCR-folded identifier; empty or null rows are not indexed.

        `exact_only` indexes the identifier alone, for keys such as invoices where one edit is another key.
        `counter` marks production-counter positions, so that screening a book need not pair every unit with
        every neighbour off the same line (those pairs are asked for explicitly in `pairs`); `counter_starts`
        gives the counter's first position row by row instead.
        """
        self.exact_only = exact_only
        columns = {"folded": folded_values.fill_null("")}
        if counter_starts is not None:
            columns["counter_start"] = counter_starts
        frame = pl.DataFrame(columns).with_row_index("row").filter(pl.col("folded").str.len_chars() > 0)
        lengths = frame["folded"].str.len_chars()
        max_length = int(lengths.max()) if frame.height and not exact_only else 0  # type: ignore[arg-type]
        self._keys = (
            _key_frame(frame, max_length, counter)
            .select(
                pl.col("key").hash(seed=_HASH_SEED).alias("hash"),
                pl.col("row").cast(pl.UInt32),
                "position",
                "in_counter",
            )
            .unique(subset=["hash", "row"], keep="first", maintain_order=True)
            .sort("hash")
        )
        self._hashes: np.ndarray = self._keys["hash"].to_numpy()
        self._rows: np.ndarray = self._keys["row"].to_numpy()
        self._deleted_in_counter: np.ndarray = (
            (self._keys["position"] != SELF) & self._keys["in_counter"]
        ).to_numpy()
        self._positions: np.ndarray = self._keys["position"].to_numpy()
        self.size = len(folded_values)

    def __len__(self) -> int:
        return self.size

    def candidates(self, folded_query: str) -> np.ndarray:
        """Rows that share a deletion key with `folded_query` (a superset of those within one edit)."""
        found, _neighbours = self.candidates_and_neighbours(folded_query)
        return found

    def candidates_and_neighbours(
        self,
        folded_query: str,
        query_counter: Callable[[int], bool] | None = None,
        *,
        swaps_are_neighbours: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows within one edit of `folded_query` other than production neighbours, the neighbours).

        A neighbour shares a key with the query only through a character changed (or, with
        `swaps_are_neighbours`, two adjacent ones swapped) inside both production counters:
        `query_counter(position)` says which of the query's positions are counter, the index knows its rows'.
        That is the next unit off the same line, or a forger's change of a counter digit. Without
        `query_counter` every row is in the first array."""
        empty = np.empty(0, dtype=np.uint32)
        if not folded_query:
            return empty, empty
        keys = [folded_query]
        if not self.exact_only:
            keys += [folded_query[:i] + folded_query[i + 1 :] for i in range(len(folded_query))]
        hashes = _hash_keys(keys)
        starts = np.searchsorted(self._hashes, hashes, side="left")
        ends = np.searchsorted(self._hashes, hashes, side="right")
        found: list[np.ndarray] = []
        neighbours: list[np.ndarray] = []
        for key_number, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if end <= start:
                continue
            rows = self._rows[start:end]
            # Key 0 is the query itself; key k deletes the query's character at position k - 1.
            if query_counter is None or key_number == 0 or not query_counter(key_number - 1):
                found.append(rows)
                continue
            shift = np.abs(self._positions[start:end].astype(np.int32) - (key_number - 1))
            in_reach = shift <= (1 if swaps_are_neighbours else 0)
            neighbour = self._deleted_in_counter[start:end] & in_reach
            found.append(rows[~neighbour])
            neighbours.append(rows[neighbour])
        kept = np.unique(np.concatenate(found)) if found else empty
        near = np.unique(np.concatenate(neighbours)) if neighbours else empty
        return kept, np.setdiff1d(near, kept, assume_unique=True)

    def pairs(
        self, *, suspect_rows: pl.Series | None = None, groups: pl.Series | None = None
    ) -> pl.DataFrame:
        """Candidate pairs (row_a < row_b) for screening a whole book.

        Every pair within one edit is produced except edits inside a production counter, which honest
        neighbours share by the million; those are produced only when one side is among `suspect_rows`
        (e.g. a VIN whose check digit fails) or both sides have the same non-null `groups` value (e.g. the
        same lessee).
        """
        keys = self._keys
        own = keys.filter(pl.col("position") == SELF).select("hash", "row")
        deleted = keys.filter(pl.col("position") != SELF)
        outside = deleted.filter(~pl.col("in_counter")).select("hash", "row")
        inside = deleted.filter(pl.col("in_counter")).select("hash", "row")
        joins = [
            own.join(own, on="hash", suffix="_b"),
            own.join(deleted.select("hash", "row"), on="hash", suffix="_b"),
            outside.join(outside, on="hash", suffix="_b"),
        ]
        if suspect_rows is not None and suspect_rows.len():
            suspect_frame = pl.DataFrame({"row": suspect_rows.cast(pl.UInt32)})
            suspects = deleted.join(suspect_frame, on="row", how="semi").select("hash", "row")
            joins.append(suspects.join(deleted.select("hash", "row"), on="hash", suffix="_b"))
        if groups is not None:
            group_of = (
                pl.DataFrame({"group": groups})
                .with_row_index("row")
                .with_columns(pl.col("row").cast(pl.UInt32))
            )
            grouped = inside.join(group_of.filter(pl.col("group").is_not_null()), on="row")
            joins.append(
                grouped.join(grouped, on=["hash", "group"], suffix="_b").select("hash", "row", "row_b")
            )
        pairs = pl.concat([j.select("row", "row_b") for j in joins])
        return (
            pairs.filter(pl.col("row") != pl.col("row_b"))
            .select(
                pl.min_horizontal("row", "row_b").alias("row_a"),
                pl.max_horizontal("row", "row_b").alias("row_b"),
            )
            .unique()
        )

    @property
    def nbytes(self) -> int:
        return int(self._keys.estimated_size())
