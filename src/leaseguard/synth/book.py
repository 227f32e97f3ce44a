"""`generate_book`: a seeded synthetic lease book with labelled fraud and defaults, in the data-contract files.

Stages: lessees → honest contracts and their assets → identifiers → fraud on top → rent schedules and payments
→ valuations → files. Everything is drawn column-wise from one seeded generator, so one seed gives one book,
byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from leaseguard.errors import InvalidInputError
from leaseguard.money import yuan_column
from leaseguard.portfolio.instalments import add_months
from leaseguard.synth.catalog import CATALOG, DEPRECIATION_PER_YEAR, INDUSTRIES, LESSORS, MODEL_YEAR_CODES
from leaseguard.synth.contracts import Book, days, draw_contracts, issue_identifiers, take
from leaseguard.synth.fraud import Case, inject_duplicates, inject_inflated_invoices, inject_reused_invoices
from leaseguard.synth.identifiers import digit_matrix, strings
from leaseguard.synth.lessees import Lessees, draw_lessees
from leaseguard.synth.parameters import SynthParameters
from leaseguard.synth.parties import Parties, draw_parties
from leaseguard.synth.payments import Outcomes, simulate_payments
from leaseguard.synth.writer import (
    ASSET_COLUMNS,
    CONTRACT_COLUMNS,
    GROUND_TRUTH_COLUMNS,
    LESSOR_COLUMNS,
    file_paths,
    text,
    write,
)
from leaseguard.vocabulary import Label

Progress = Callable[[str, int, int], None]
FRAUD_KINDS = ("duplicate_financing", "reused_invoice", "inflated_invoice")
DEFECT_KINDS = ("missing_lessee_address",)  # data defects labelled for the enforcement complaint's tests
_CASE_PREFIX = {"duplicate_financing": "DUP", "reused_invoice": "INV", "inflated_invoice": "PRC"}
_STAGES = (
    "lessees",
    "contracts and assets",
    "identifiers",
    "fraud",
    "schedules and payments",
    "valuations",
    "write files",
)


@dataclass(frozen=True)
class BookSummary:
    out_dir: Path
    files: dict[
        str, Path
    ]  # by name: lessors, contracts, assets, payments, valuations, ground_truth, contract_outcomes
    lessors: int
    contracts: int
    assets: int
    payments: int
    valuations: int
    frauds: dict[str, int]  # injected cases by kind
    defaulted: int


def generate_book(
    out_dir: Path,
    *,
    contracts: int = 5000,
    seed: int = 42,
    lessors: int = 5,
    as_of: dt.date = dt.date(2026, 10, 31),
    progress: Progress | None = None,
    parameters: SynthParameters | None = None,
) -> BookSummary:
    """Write lessors, contracts, assets, payments and valuations CSVs, and the labels: ground_truth.csv (one
    row per injected fraud) and contract_outcomes.csv (latent risk and default of every contract)."""
    p = parameters or SynthParameters()
    if contracts < 10:
        raise InvalidInputError(Label("一个资产组合至少要有 10 份合同", "a book needs at least 10 contracts"))
    if not 1 <= lessors <= len(LESSORS):
        raise InvalidInputError(
            Label("出租人数量必须在 1 到 {most} 之间", "lessors must be between 1 and {most}"),
            most=len(LESSORS),
        )
    first_year = min(MODEL_YEAR_CODES) + p.years_of_history + 2
    if not first_year <= as_of.year <= max(MODEL_YEAR_CODES):
        raise InvalidInputError(
            Label("as_of 必须在 {first} 年到 {last} 年之间", "as_of must fall between {first} and {last}"),
            first=first_year,
            last=max(MODEL_YEAR_CODES),
        )
    rng = np.random.default_rng(seed)
    step = iter(range(len(_STAGES) + 1))

    def report(stage: str) -> None:
        if progress:
            progress(stage, next(step), len(_STAGES))

    report("lessees")
    duplicates = round(contracts * p.duplicate_rate) if lessors > 1 else 0
    honest = contracts - duplicates
    lessees = draw_lessees(rng, max(2, round(honest / p.contracts_per_lessee)), lessors, p, as_of)
    report("contracts and assets")
    book = draw_contracts(rng, lessees, honest, lessors, p, as_of)
    report("identifiers")
    issue_identifiers(rng, book)
    report("fraud")
    book, lessees, cases = inject_duplicates(rng, book, lessees, duplicates, lessors, p, as_of)
    # Fraudsters are lessees in trouble: both of their contracts carry more risk than the columns show.
    involved = np.array([row for case in cases for row in (case.row, case.other_row)], dtype=np.int64)
    book["risk_logit"][involved] += p.fraudster_risk
    taken = {int(row) for row in involved}
    cases += inject_reused_invoices(rng, book, round(contracts * p.reused_invoice_rate), p, taken)
    cases += inject_inflated_invoices(rng, book, round(contracts * p.inflated_invoice_rate), p, taken)
    book, cases = _in_registration_order(rng, book, cases)
    report("schedules and payments")
    # Drawn from a stream of their own, so adding them left every other draw of a seed as it was.
    terms_rng = np.random.default_rng([seed, 1])
    count = len(book["start_date"])
    stubbed = terms_rng.random(count) < p.stub_share
    period_after = add_months(book["start_date"], book["months_per_period"])
    shift = days(terms_rng.integers(-15, 16, count))
    book["first_due_date"] = np.where(stubbed, period_after + shift, np.datetime64("NaT", "D"))
    payments, outcomes = simulate_payments(rng, book, p, as_of)
    book["restructured_date"] = outcomes.restructured_date
    report("valuations")
    valuations = _valuations(rng, book, outcomes, p, as_of)
    report("write files")
    parties = draw_parties(seed, book, lessees, lessors)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = file_paths(out_dir)
    codes = np.array([code for code, _ in LESSORS[:lessors]])
    write(
        pl.DataFrame({
            "code": codes,
            "name": [name for _, name in LESSORS[:lessors]],
            "uscc": parties.lessor_uscc,
            "address": parties.lessor_address,
            "legal_representative": parties.lessor_legal_representative,
            "phone": [f"400-{800 + int(code[1:]):03d}-{6000 + int(code[1:]):04d}" for code in codes.tolist()],
            # A 金融租赁 company reports to the NFRA; the others are 融资租赁 companies under local regulators.
            "regime": [
                "financial_leasing" if "金融租赁" in name else "finance_leasing" for _, name in LESSORS[:lessors]
            ],
        }).select(LESSOR_COLUMNS),
        files["lessors"],
    )  # fmt: skip
    write(_contract_frame(book, lessees, codes, parties), files["contracts"])
    write(_asset_frame(book, lessees, codes, parties), files["assets"])
    write(
        pl.DataFrame({
            "contract_no": book["contract_no"][payments.contract],
            "paid_date": payments.paid_date,
            "amount": payments.amount_fen,
        }).with_columns(yuan_column(pl.col("amount")).alias("amount")),
        files["payments"],
    )  # fmt: skip
    write(valuations, files["valuations"])
    write(_ground_truth(book, codes, cases, parties), files["ground_truth"])
    write(
        pl.DataFrame({
            "contract_no": book["contract_no"],
            "latent_risk": np.char.mod("%.4f", outcomes.latent_risk),
            "defaulted": outcomes.defaulted,
            "first_missed_due_date": outcomes.first_missed_due_date,
        }),
        files["contract_outcomes"],
    )  # fmt: skip
    report("done")
    frauds = {kind: sum(case.kind == kind for case in cases) for kind in FRAUD_KINDS}
    return BookSummary(
        out_dir=out_dir,
        files=files,
        lessors=lessors,
        contracts=len(book["lessor"]),
        assets=len(book["lessor"]),
        payments=len(payments.contract),
        valuations=valuations.height,
        frauds=frauds,
        defaulted=int(outcomes.defaulted.sum()),
    )


def _in_registration_order(
    rng: np.random.Generator, book: Book, cases: list[Case]
) -> tuple[Book, list[Case]]:
    """Rows in the order each lessor registered them, numbered as the lessor numbers its assets and contracts;
    a duplicate gets its number in the second lessor's sequence like any other registration."""
    order = np.lexsort((rng.random(len(book["lessor"])), book["registered_at"], book["lessor"]))
    book = take(book, order)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    starts = np.searchsorted(book["lessor"], book["lessor"], side="left")
    sequence = np.arange(len(order)) - starts + 1
    book["asset_id"] = np.char.add("ZC", strings(digit_matrix(sequence, 8)))
    code = np.array([code for code, _ in LESSORS])[book["lessor"]]
    year = (book["start_date"].astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
    book["contract_no"] = np.char.add(
        np.char.add(np.char.add(code, "-"), year), np.char.add("-", strings(digit_matrix(sequence, 6)))
    )
    moved = [
        Case(c.kind, int(position[c.row]), None if c.other_row is None else int(position[c.other_row]), c.field,
             c.original_value, c.altered_value, c.alterations)
        for c in cases
    ]  # fmt: skip
    return book, moved


def _valuations(
    rng: np.random.Generator, book: Book, outcomes: Outcomes, p: SynthParameters, as_of: dt.date
) -> pl.DataFrame:
    """Disposal valuations: every defaulted contract's asset, which the lessor must recover, and a sample of
    the others; value = invoice price less the segment's yearly depreciation, give or take."""
    count = len(book["lessor"])
    valued = np.flatnonzero(outcomes.defaulted | (rng.random(count) < p.valued_share))
    book_date = np.datetime64(as_of, "D")
    date = np.maximum(book_date - days(rng.integers(0, 180, len(valued))), book["registered_at"][valued])
    age_years = (date - book["invoice_date"][valued]).astype(np.int64) / 365.25
    rate = np.array([DEPRECIATION_PER_YEAR[m.segment] for m in CATALOG])[book["model"][valued]]
    remaining = np.clip(1 - rate * age_years, 0.1, 1) * rng.uniform(0.85, 1.05, len(valued))
    value = (book["invoice_amount_fen"][valued] * remaining // 10_000).astype(np.int64) * 10_000
    codes = np.array([code for code, _ in LESSORS])
    return pl.DataFrame(
        {
            "asset_id": book["asset_id"][valued],
            "lessor": codes[book["lessor"][valued]],
            "valuation_date": date,
            "disposal_value": value,
        }
    ).with_columns(yuan_column(pl.col("disposal_value")).alias("disposal_value"))


def _contract_frame(book: Book, lessees: Lessees, codes: np.ndarray, parties: Parties) -> pl.DataFrame:
    who = book["lessee"]
    rate = book["rate_e4"]
    return (
        pl.DataFrame(
            {
                "contract_no": book["contract_no"],
                "lessor": codes[book["lessor"]],
                "lessee_id": lessees.lessee_id[who],
                "lessee_name": text(lessees.name[who]),
                "lessee_type": np.where(lessees.enterprise[who], "enterprise", "individual"),
                "group_id": text(lessees.group_id[who]),
                "related_party": book["related_party"],
                "industry": np.array(INDUSTRIES)[lessees.industry[who]],
                "start_date": book["start_date"],
                "term_months": book["term_months"],
                "principal": book["principal_fen"],
                "annual_rate": np.char.add("0.", strings(digit_matrix(rate, 4))),
                "method": np.where(book["equal_principal"], "equal_principal", "annuity"),
                "frequency": np.where(book["months_per_period"] == 3, "quarterly", "monthly"),
                "residual_value": book["residual_value_fen"],
                "deposit": book["deposit_fen"],
                "lease_type": np.where(book["sale_leaseback"], "sale_leaseback", "direct"),
                "first_due_date": book["first_due_date"],
                "restructured_date": book["restructured_date"],
                "lessee_address": text(parties.lessee_address),
                "lessee_legal_representative": text(parties.lessee_legal_representative),
                # Derived from the lessee's number, not drawn: adding a column leaves every other draw as it was.
                "lessee_phone": np.char.add(
                    "139", np.char.zfill(((who * 7_919 + 12_345) % 10**8).astype(str), 8)
                ),
                "guarantors": text(parties.guarantors),
                "registration_no": parties.registration_no,
                # Four contracts in five state a penalty of 0.05 % a day; the rest leave it to the law.
                "penalty_daily_rate": np.where(np.arange(len(who)) % 5 == 4, "", "0.0005"),
            }
        )
        .with_columns(yuan_column(pl.col(c)).alias(c) for c in ("principal", "residual_value", "deposit"))
        .select(CONTRACT_COLUMNS)
    )


def _asset_frame(book: Book, lessees: Lessees, codes: np.ndarray, parties: Parties) -> pl.DataFrame:
    model = book["model"]
    who = book["lessee"]
    return (
        pl.DataFrame(
            {
                "asset_id": book["asset_id"],
                "lessor": codes[book["lessor"]],
                "asset_type": np.array([m.asset_type for m in CATALOG])[model],
                "vin": text(book["vin"]),
                "serial_no": text(book["serial_no"]),
                "engine_no": text(book["engine_no"]),
                "manufacturer": np.array([m.manufacturer for m in CATALOG])[model],
                "model": np.array([m.model for m in CATALOG])[model],
                "invoice_no": text(book["invoice_no"]),
                "invoice_code": text(book["invoice_code"]),
                "invoice_amount": book["invoice_amount_fen"],
                "invoice_date": book["invoice_date"],
                "purchase_contract_no": text(book["purchase_contract_no"]),
                "lessee_id": lessees.lessee_id[who],
                "lessee_name": text(lessees.name[who]),
                "contract_no": book["contract_no"],
                "registered_at": book["registered_at"],
                "supplier": parties.supplier,
                "location": parties.location,
            }
        )
        .with_columns(yuan_column(pl.col("invoice_amount")).alias("invoice_amount"))
        .select(ASSET_COLUMNS)
    )


def _ground_truth(book: Book, codes: np.ndarray, cases: list[Case], parties: Parties) -> pl.DataFrame:
    """One row per injected fraud, then one per labelled data defect (a contract without lessee_address)."""

    def lessor(row: int | None) -> str | None:
        return None if row is None else str(codes[book["lessor"][row]])

    def asset(row: int | None) -> str | None:
        return None if row is None else str(book["asset_id"][row])

    rows = [
        {
            "case_id": f"{_CASE_PREFIX[c.kind]}{n:06d}",
            "kind": c.kind,
            "lessor": lessor(c.row),
            "asset_id": asset(c.row),
            "contract_no": str(book["contract_no"][c.row]),
            "other_lessor": lessor(c.other_row),
            "other_asset_id": asset(c.other_row),
            "field": c.field,
            "original_value": c.original_value,
            "altered_value": c.altered_value,
            "alterations": c.alterations,
        }
        for n, c in enumerate(sorted(cases, key=lambda c: (FRAUD_KINDS.index(c.kind), c.row)), start=1)
    ]
    rows += [
        {
            "case_id": f"ADR{n:06d}",
            "kind": "missing_lessee_address",
            "lessor": lessor(row),
            "asset_id": asset(row),
            "contract_no": str(book["contract_no"][row]),
            "other_lessor": None,
            "other_asset_id": None,
            "field": "lessee_address",
            "original_value": str(dropped),  # the address the contract would have carried
            "altered_value": None,
            "alterations": None,
        }
        for n, (row, dropped) in enumerate(
            zip(parties.missing_lessee_address.tolist(), parties.dropped_address.tolist(), strict=True),
            start=1,
        )
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(GROUND_TRUTH_COLUMNS, pl.String))
