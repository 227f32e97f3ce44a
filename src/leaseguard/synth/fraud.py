"""How fraudsters and typists alter identifiers, each alteration named so the ground truth can say which."""

from __future__ import annotations

import numpy as np

OCR_PARTNERS = {
    "0": "OD",
    "O": "0D",
    "D": "0O",
    "Q": "0O",
    "1": "IL",
    "I": "1L",
    "L": "1I",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
    "8": "B",
    "B": "8",
}
SOFT = ("ocr", "fullwidth", "space", "hyphen", "lower")  # folded away by normalisation
HARD = ("drop", "double", "change", "swap")  # real edits: one character dropped, doubled, changed, swapped
KINDS = SOFT + HARD


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def alter(value: str, kinds: list[str], rng: np.random.Generator) -> tuple[str, list[str]]:
    """`value` with each alteration of `kinds` applied in turn; the labels say exactly what was done."""
    labels: list[str] = []
    for kind in kinds:
        # Hard edits and OCR swaps land on the ASCII core; layout noise is added after them.
        if kind == "ocr":
            spots = [i for i, c in enumerate(value) if c in OCR_PARTNERS]
            if not spots:
                continue
            i = int(rng.choice(spots))
            partner = OCR_PARTNERS[value[i]][int(rng.integers(len(OCR_PARTNERS[value[i]])))]
            labels.append(f"ocr:{value[i]}->{partner}@{i + 1}")
            value = value[:i] + partner + value[i + 1 :]
        elif kind == "drop":
            i = int(rng.integers(3, len(value)))
            labels.append(f"drop:{value[i]}@{i + 1}")
            value = value[:i] + value[i + 1 :]
        elif kind == "double":
            i = int(rng.integers(3, len(value)))
            labels.append(f"double:{value[i]}@{i + 1}")
            value = value[: i + 1] + value[i:]
        elif kind == "change":
            i = int(rng.integers(3, len(value)))
            pool = "0123456789" if value[i].isdigit() else "ABCDEFGHJKLMNPRSTUVWXYZ"
            replacement = pool[int(rng.integers(len(pool)))]
            while replacement == value[i] or OCR_PARTNERS.get(value[i], "").find(replacement) >= 0:
                replacement = pool[int(rng.integers(len(pool)))]
            labels.append(f"change:{value[i]}->{replacement}@{i + 1}")
            value = value[:i] + replacement + value[i + 1 :]
        elif kind == "swap":
            spots = [i for i in range(3, len(value) - 1) if value[i] != value[i + 1]]
            if not spots:
                continue
            i = int(rng.choice(spots))
            labels.append(f"swap:{i + 1}-{i + 2}")
            value = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    for kind in kinds:
        if kind in ("space", "hyphen"):
            i = int(rng.integers(1, len(value)))
            value = value[:i] + (" " if kind == "space" else "-") + value[i:]
            labels.append(kind)
        elif kind == "lower":
            value = value.lower()
            labels.append(kind)
    if "fullwidth" in kinds:
        value = _fullwidth(value)
        labels.append("fullwidth")
    return value, labels
