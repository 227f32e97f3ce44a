"""Fold identifiers to the form two registrations of one asset share, whatever a typist or forger did to them.

Two layers: `normalize_identifier` removes noise that never carries meaning (case, full-width forms, spaces,
hyphens, dots, slashes); `ocr_fold` goes further and maps characters that scanners and people confuse to one
representative, so 'LSVAB2O5D' and 'LSVA82050' meet. Matching on the folded form finds the candidates; the
checker then looks at exactly what differs before it calls two registrations the same asset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_NOT_WORD = re.compile(r"[\W_]+")

# Each group is one set of look-alikes; the first character represents the group.
OCR_CONFUSABLE_GROUPS: tuple[str, ...] = ("0ODQ", "1IL", "2Z", "5S", "6G", "8B")
_OCR_TABLE = str.maketrans({c: group[0] for group in OCR_CONFUSABLE_GROUPS for c in group[1:]})
# A check compares the asked identifiers with dozens of candidates, folding the same strings again and again.
_FOLD_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_FOLD_CACHE_SIZE)
def normalize_identifier(raw: str | None) -> str:
    """Upper-case ASCII letters and digits only: full-width folded (NFKC), spaces, hyphens and punctuation gone."""
    if not raw:
        return ""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", raw).upper())


@lru_cache(maxsize=_FOLD_CACHE_SIZE)
def normalize_name(raw: str | None) -> str:
    """A manufacturer or model name for comparison: width and case folded, punctuation and spaces gone."""
    if not raw:
        return ""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", raw).upper())


@lru_cache(maxsize=_FOLD_CACHE_SIZE)
def ocr_fold(identifier: str) -> str:
    """Map OCR-confusable characters (0/O/D/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B) to one representative."""
    return normalize_identifier(identifier).translate(_OCR_TABLE)


def deletion_keys(folded: str) -> set[str]:
    """The string and every string with one character removed: two strings within one edit share a key."""
    return {folded} | {folded[:i] + folded[i + 1 :] for i in range(len(folded))}


class EditKind(StrEnum):
    IDENTICAL = "identical"
    NOISE = "noise"  # differs only in case, width, spaces or hyphens
    OCR = "ocr"  # differs only in OCR-confusable characters
    SUBSTITUTION = "substitution"
    DELETION = "deletion"  # the second lacks one character of the first
    INSERTION = "insertion"  # the second has one character more (a doubled or stray one)
    TRANSPOSITION = "transposition"


@dataclass(frozen=True)
class Edit:
    """How two identifiers differ, if by at most one edit after OCR folding."""

    kind: EditKind
    # 0-based position where the folded forms first part; inside a run of one character any copy could be the one.
    position: int | None = None


def single_edit(first: str, second: str) -> Edit | None:
    """The one edit (after folding noise and OCR confusions) that turns `first` into `second`, or None."""
    if first == second:
        return Edit(EditKind.IDENTICAL)
    a, b = normalize_identifier(first), normalize_identifier(second)
    if a == b:
        return Edit(EditKind.NOISE)
    fa, fb = a.translate(_OCR_TABLE), b.translate(_OCR_TABLE)
    if fa == fb:
        return Edit(EditKind.OCR)
    if len(fa) == len(fb):
        differing = [i for i, (x, y) in enumerate(zip(fa, fb, strict=True)) if x != y]
        if len(differing) == 1:
            return Edit(EditKind.SUBSTITUTION, differing[0])
        if (
            len(differing) == 2
            and differing[1] == differing[0] + 1
            and fa[differing[0]] == fb[differing[1]]
            and fa[differing[1]] == fb[differing[0]]
        ):
            return Edit(EditKind.TRANSPOSITION, differing[0])
        return None
    if abs(len(fa) - len(fb)) != 1:
        return None
    longer, shorter = (fa, fb) if len(fa) > len(fb) else (fb, fa)
    position = next(
        (i for i, (x, y) in enumerate(zip(longer, shorter, strict=False)) if x != y), len(shorter)
    )
    if longer[:position] + longer[position + 1 :] != shorter:
        return None
    return Edit(EditKind.DELETION if longer is fa else EditKind.INSERTION, position)
