"""Fraud injected into an honest book: the same asset financed again at another lessor with its identifier
altered as fraudsters and typists alter it, one invoice shown behind two assets, and invoices inflated far
above the model's price. Every injection is written down as a ground-truth case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from leaseguard.money import yuan_text
from leaseguard.registry.normalize import OCR_CONFUSABLE_GROUPS, ocr_fold
from leaseguard.synth.contracts import Book, append, days, purchase_contract_numbers, take
from leaseguard.synth.lessees import Lessees, add_affiliates
from leaseguard.synth.parameters import SynthParameters

# Which characters an OCR engine or a tired typist reads instead of a given one.
OCR_PARTNERS: dict[str, str] = {
    c: "".join(other for other in group if other != c) for group in OCR_CONFUSABLE_GROUPS for c in group
}
SOFT = ("ocr", "fullwidth", "space", "hyphen", "case")  # noise that normalisation and OCR folding undo
HARD = (
    "drop",
    "double",
    "change",
    "swap",
)  # real edits: a character dropped, doubled, changed, or two swapped
KINDS = SOFT + HARD
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class Case:
    """One injected fraud; rows are positions in the book, resolved to ids when the files are written."""

    kind: str  # duplicate_financing, reused_invoice, inflated_invoice
    row: int  # the registration that carries the fraud
    other_row: int | None  # the registration it copies, if any
    field: str
    original_value: str
    altered_value: str
    alterations: str


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def alter(value: str, kinds: list[str], rng: np.random.Generator) -> tuple[str, list[str]]:
    """`value` with each alteration of `kinds` applied; the labels say exactly what was done and where
    (1-based positions), e.g. ["ocr:0->D@5", "swap:12-13", "hyphen"]."""
    labels: list[str] = []
    # Edits land on the identifier itself; layout noise (spaces, hyphens, case, width) is laid over them.
    for kind in kinds:
        if kind == "ocr":
            spots = [i for i, c in enumerate(value) if c in OCR_PARTNERS]
            if spots:
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
            pool = "0123456789" if value[i].isdigit() else _LETTERS
            # An OCR look-alike would be folded away: a change must be a real edit.
            choices = [c for c in pool if c != value[i] and c not in OCR_PARTNERS.get(value[i], "")]
            replacement = choices[int(rng.integers(len(choices)))]
            labels.append(f"change:{value[i]}->{replacement}@{i + 1}")
            value = value[:i] + replacement + value[i + 1 :]
        elif kind == "swap":
            spots = [i for i in range(3, len(value) - 1) if ocr_fold(value[i]) != ocr_fold(value[i + 1])]
            if spots:
                i = int(rng.choice(spots))
                labels.append(f"swap:{i + 1}-{i + 2}")
                value = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    for kind in kinds:
        if kind in ("space", "hyphen"):
            i = int(rng.integers(1, len(value)))
            value = value[:i] + (" " if kind == "space" else "-") + value[i:]
            labels.append(kind)
        elif kind == "case" and any(c.isalpha() for c in value):
            if rng.random() < 0.5:
                value = value.lower()
            else:
                value = "".join(c.lower() if c.isalpha() and rng.random() < 0.5 else c for c in value)
            if value != value.upper():
                labels.append(kind)
    if "fullwidth" in kinds:
        value = _fullwidth(value)
        labels.append("fullwidth")
    return value, labels


def folded_identifiers(*columns: np.ndarray) -> set[str]:
    """Every identifier in `columns` as OCR folding sees it (the book's own identifiers carry no noise)."""
    sources = [c for group in OCR_CONFUSABLE_GROUPS for c in group[1:]]
    targets = [group[0] for group in OCR_CONFUSABLE_GROUPS for _ in group[1:]]
    values = pl.Series(np.concatenate([np.asarray(c, dtype=str) for c in columns]))
    return set(values.filter(values != "").str.replace_many(sources, targets).to_list())


def altered_identifier(
    value: str, kinds: list[str], rng: np.random.Generator, existing: set[str]
) -> tuple[str, list[str]]:
    """An alteration that does not turn the value into another real asset's identifier (the ground truth
    would then name the wrong pair); after 20 unlucky draws the value is copied unaltered."""
    for _ in range(20):
        altered, labels = alter(value, kinds, rng)
        folded = ocr_fold(altered)
        if folded == ocr_fold(value) or folded not in existing:
            existing.add(folded)
            return altered, labels
    return value, []


def alteration_kinds(rng: np.random.Generator, parameters: SynthParameters) -> list[str]:
    shares = np.array(parameters.alteration_count_shares)
    count = int(rng.choice(len(shares), p=shares / shares.sum()))
    return [str(k) for k in rng.choice(KINDS, count, replace=False)] if count else []


def inject_duplicates(
    rng: np.random.Generator,
    book: Book,
    lessees: Lessees,
    count: int,
    lessors: int,
    parameters: SynthParameters,
    as_of: dt.date,
) -> tuple[Book, Lessees, list[Case]]:
    """`count` assets registered again at another lessor, usually by the same lessee, sometimes by an
    affiliate, with the VIN or serial altered (or copied exactly) and often a forged invoice."""
    p = parameters
    book_date = np.datetime64(as_of, "D")
    eligible = np.flatnonzero(book["registered_at"] <= book_date - 40)
    if count == 0 or lessors < 2 or len(eligible) < count:
        return book, lessees, []
    sources = np.sort(rng.choice(eligible, count, replace=False))
    copy = take(book, sources)
    copy["lessor"] = (copy["lessor"] + rng.integers(1, lessors, count)) % lessors
    copy["start_date"] = np.minimum(
        copy["registered_at"] + days(rng.integers(30, 400, count)), book_date - 10
    )
    copy["registered_at"] = np.minimum(copy["start_date"] + days(rng.integers(0, 5, count)), book_date)
    copy["sale_leaseback"] = np.ones(count, dtype=bool)
    # The second contract is negotiated afresh: its own term, method and amount.
    copy["term_months"] = rng.choice(np.array(p.terms), count, p=np.array(p.term_shares))
    copy["months_per_period"] = np.where(rng.random(count) < p.quarterly_share, 3, 1)
    copy["equal_principal"] = rng.random(count) < p.equal_principal_share
    copy["principal_fen"] = (
        copy["invoice_amount_fen"] * rng.uniform(*p.financed_share, count) // 100_000
    ).astype(np.int64) * 100_000
    copy["residual_value_fen"] = np.where(
        copy["residual_value_fen"] > 10_000, 10_000, copy["residual_value_fen"]
    )
    affiliated = np.flatnonzero(
        lessees.enterprise[copy["lessee"]] & (rng.random(count) < p.affiliated_duplicate_share)
    )
    lessees, affiliates = add_affiliates(rng, lessees, copy["lessee"][affiliated])
    copy["lessee"][affiliated] = affiliates

    # Altered identifiers may be longer than the fixed-width originals (spaces, full-width characters).
    for column in ("vin", "serial_no", "engine_no", "invoice_no", "purchase_contract_no"):
        copy[column] = copy[column].astype(object)
    existing = folded_identifiers(book["vin"], book["serial_no"], book["engine_no"])
    vehicle = copy["vin"] != ""
    cases: list[Case] = []
    first_new_row = len(book["model"])
    fresh_invoices = rng.choice(10**8, count, replace=False)
    fresh_purchases = purchase_contract_numbers(
        copy["invoice_date"].astype("datetime64[Y]").astype(np.int64) + 1970,
        10**7 + rng.choice(10**6, count, replace=False),  # beyond the honest sequences
    )
    for k in range(count):
        field = "vin" if vehicle[k] else "serial_no"
        original = str(copy[field][k])
        altered, labels = altered_identifier(original, alteration_kinds(rng, p), rng, existing)
        copy[field][k] = altered
        fate = rng.random()
        if copy["engine_no"][k] and fate < p.engine_no_altered_share:
            copy["engine_no"][k] = altered_identifier(str(copy["engine_no"][k]), ["change"], rng, existing)[0]
        elif fate < p.engine_no_altered_share + p.engine_no_dropped_share:
            copy["engine_no"][k] = ""
        if rng.random() < p.forged_invoice_share:
            number = f"{fresh_invoices[k]:08d}"
            code = str(copy["invoice_code"][k])
            copy["invoice_no"][k] = number if code else str(copy["invoice_no"][k])[:12] + number
            if rng.random() < 0.5:  # a forgery with figures of its own rather than those of the original
                copy["invoice_date"][k] += np.timedelta64(int(rng.integers(1, 60)), "D")
                copy["invoice_amount_fen"][k] = (
                    int(copy["invoice_amount_fen"][k] * rng.uniform(0.95, 1.05)) // 10_000 * 10_000
                )
        if rng.random() < 0.5:
            copy["purchase_contract_no"][k] = fresh_purchases[k]
        cases.append(
            Case(
                "duplicate_financing",
                first_new_row + k,
                int(sources[k]),
                field,
                original,
                altered,
                ";".join(labels),
            )
        )
    return append(book, copy), lessees, cases


def inject_reused_invoices(
    rng: np.random.Generator, book: Book, count: int, parameters: SynthParameters, taken: set[int]
) -> list[Case]:
    """One VAT invoice (code and number, with its date and amount) shown behind a second asset of the same
    model, at another lessor or at the same one."""
    rows_by_model: dict[int, np.ndarray] = {
        int(m): np.flatnonzero(book["model"] == m) for m in np.unique(book["model"]).tolist()
    }
    cases: list[Case] = []
    total = len(book["model"])
    for _ in range(count * 20):
        if len(cases) == count:
            break
        shown = int(rng.integers(total))
        peers = rows_by_model[int(book["model"][shown])]
        reuser = int(peers[int(rng.integers(len(peers)))])
        same_lessor = book["lessor"][shown] == book["lessor"][reuser]
        wants_same = rng.random() < parameters.same_lessor_reuse_share
        if shown == reuser or {shown, reuser} & taken or same_lessor != wants_same:
            continue
        taken |= {shown, reuser}
        original = str(book["invoice_no"][reuser])
        for column in ("invoice_code", "invoice_no", "invoice_date", "invoice_amount_fen"):
            book[column][reuser] = book[column][shown]
        cases.append(
            Case("reused_invoice", reuser, shown, "invoice_no", original, str(book["invoice_no"][shown]), "")
        )
    return cases


def inject_inflated_invoices(
    rng: np.random.Generator, book: Book, count: int, parameters: SynthParameters, taken: set[int]
) -> list[Case]:
    """Invoice amounts far above the model's price range, so the lessee can borrow more against the asset."""
    free = np.setdiff1d(np.arange(len(book["model"])), np.fromiter(taken, dtype=np.int64, count=len(taken)))
    rows = rng.choice(free, min(count, len(free)), replace=False)
    cases: list[Case] = []
    for row in np.sort(rows).tolist():
        factor = rng.uniform(*parameters.inflation_factor)
        original = int(book["invoice_amount_fen"][row])
        inflated = int(original * factor) // 1_000_000 * 1_000_000  # forgers write round ten-thousands
        book["invoice_amount_fen"][row] = inflated
        book["principal_fen"][row] = (
            int(book["principal_fen"][row]) * inflated // original // 100_000 * 100_000
        )
        taken.add(row)
        cases.append(
            Case(
                "inflated_invoice",
                row,
                None,
                "invoice_amount",
                yuan_text(original),
                yuan_text(inflated),
                f"x{inflated / original:.2f}",
            )
        )
    return cases
