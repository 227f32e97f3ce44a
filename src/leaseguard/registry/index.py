"""An in-memory index that finds every registered identifier within one edit of a query in microseconds.

Each identifier is OCR-folded and expanded into its deletion keys (itself and every one-character deletion);
two identifiers within one substitution, insertion, deletion or adjacent swap share at least one key. Keys
are kept as sorted 64-bit hashes beside the row they came from, so a million VINs take a few hundred MB of
numpy arrays instead of tens of millions of Python objects, and a lookup is a handful of binary searches.
Hash collisions only add candidates; the checker verifies every candidate on the real strings.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _deletion_key_frame(folded: pl.DataFrame, max_length: int) -> pl.DataFrame:
    key = pl.col("folded")
    variants = [folded.select("row", key.alias("key"))]
    for position in range(max_length):
        variants.append(
            folded.filter(key.str.len_chars() > position).select(
                "row", (key.str.slice(0, position) + key.str.slice(position + 1)).alias("key")
            )
        )
    return pl.concat(variants)


def _hash_keys(keys: Sequence[str]) -> np.ndarray:
    return pl.Series(keys, dtype=pl.String).hash(seed=_HASH_SEED).to_numpy()


class DeletionIndex:
    """Rows whose folded identifier is within one edit of a query's, by sorted hashes of deletion keys."""

    def __init__(self, folded_values: pl.Series, *, exact_only: bool = False) -> None:
        """`folded_values[i]` is row i's OCR-folded identifier; empty or null rows are not indexed.

        `exact_only` indexes the identifier alone, for keys such as invoices where one edit is another key.
        """
        self.exact_only = exact_only
        frame = (
            pl.DataFrame({"folded": folded_values.fill_null("")})
            .with_row_index("row")
            .filter(pl.col("folded").str.len_chars() > 0)
        )
        lengths = frame["folded"].str.len_chars()
        max_length = int(lengths.max()) if frame.height and not exact_only else 0  # type: ignore[arg-type]
        keys = (
            _deletion_key_frame(frame, max_length)
            .select(pl.col("key").hash(seed=_HASH_SEED).alias("hash"), pl.col("row").cast(pl.UInt32))
            .unique()
            .sort("hash")
        )
        self._hashes: np.ndarray = keys["hash"].to_numpy()
        self._rows: np.ndarray = keys["row"].to_numpy()
        self.size = len(folded_values)

    def __len__(self) -> int:
        return self.size

    def candidates(self, folded_query: str) -> np.ndarray:
        """Rows that share a deletion key with `folded_query` (a superset of those within one edit)."""
        if not folded_query:
            return np.empty(0, dtype=np.uint32)
        keys = [folded_query]
        if not self.exact_only:
            keys += [folded_query[:i] + folded_query[i + 1 :] for i in range(len(folded_query))]
        hashes = _hash_keys(keys)
        starts = np.searchsorted(self._hashes, hashes, side="left")
        ends = np.searchsorted(self._hashes, hashes, side="right")
        found = [self._rows[start:end] for start, end in zip(starts, ends, strict=True) if end > start]
        if not found:
            return np.empty(0, dtype=np.uint32)
        return np.unique(np.concatenate(found))

    @property
    def nbytes(self) -> int:
        return int(self._hashes.nbytes + self._rows.nbytes)
