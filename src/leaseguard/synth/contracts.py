"""The honest book: who leases what from whom, on which terms, and the identifiers of each leased asset as
its maker and the tax office issued them. One row is one contract and the one asset it finances."""

from __future__ import annotations

import datetime as dt

import numpy as np

from leaseguard.synth.catalog import (
    CATALOG,
    COMPANY_REGIONS,
    DIGITAL_INVOICE_SHARE_BY_YEAR,
    INDUSTRIES,
    INDUSTRY_RISK,
    MODEL_YEAR_CODES,
    SEGMENT_SHARES_BY_INDUSTRY,
    SEGMENTS,
)
from leaseguard.synth.identifiers import (
    digit_matrix,
    engine_numbers,
    invoice_numbers,
    model_year_codes,
    serial_numbers,
    strings,
    vins,
)
from leaseguard.synth.lessees import Lessees
from leaseguard.synth.parameters import SynthParameters

Book = dict[str, np.ndarray]  # equal-length columns, one row per contract and its asset


def take(book: Book, rows: np.ndarray) -> Book:
    return {name: column[rows].copy() for name, column in book.items()}


def append(book: Book, more: Book) -> Book:
    return {name: np.concatenate([column, more[name]]) for name, column in book.items()}


def days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype("timedelta64[D]")


def draw_contracts(
    rng: np.random.Generator,
    lessees: Lessees,
    count: int,
    lessors: int,
    parameters: SynthParameters,
    as_of: dt.date,
) -> Book:
    """`count` contracts with their assets' purchase facts and the lessee's risk of default (log-odds)."""
    p = parameters
    lessee = rng.choice(len(lessees), count, p=lessees.appetite / lessees.appetite.sum())
    lessor = np.where(
        rng.random(count) < p.home_lessor_share, lessees.home_lessor[lessee], rng.integers(0, lessors, count)
    )
    industry = lessees.industry[lessee]
    segment = np.empty(count, dtype=np.int64)
    for index, name in enumerate(INDUSTRIES):
        rows = np.flatnonzero(industry == index)
        segment[rows] = rng.choice(len(SEGMENTS), len(rows), p=np.array(SEGMENT_SHARES_BY_INDUSTRY[name]))
    model = np.empty(count, dtype=np.int64)
    for index, name in enumerate(SEGMENTS):
        rows = np.flatnonzero(segment == index)
        candidates = np.array([i for i, m in enumerate(CATALOG) if m.segment == name])
        weights = np.array([CATALOG[i].weight for i in candidates])
        model[rows] = rng.choice(candidates, len(rows), p=weights / weights.sum())

    book_date = np.datetime64(as_of, "D")
    start = book_date - days(rng.integers(1, p.years_of_history * 365, count))
    sale_leaseback = rng.random(count) < p.sale_leaseback_share
    # In a leaseback the lessee bought the asset long before; in a direct lease the lessor buys it for the deal.
    invoice_date = start - days(
        np.where(sale_leaseback, rng.integers(30, 720, count), rng.integers(3, 30, count))
    )
    production = invoice_date - days(rng.integers(10, 120, count))
    low = np.array([m.price_low for m in CATALOG])[model]
    high = np.array([m.price_high for m in CATALOG])[model]
    invoice_amount = (rng.uniform(low, high) // 100).astype(np.int64) * 100 * 100  # whole hundreds of yuan

    term = rng.choice(np.array(p.terms), count, p=np.array(p.term_shares))
    months_per_period = np.where(rng.random(count) < p.quarterly_share, 3, 1)
    equal_principal = rng.random(count) < p.equal_principal_share
    financed = rng.uniform(*p.financed_share, count)
    principal = (invoice_amount * financed // 100_000).astype(np.int64) * 100_000  # whole thousands of yuan
    balloon = rng.random(count) < p.residual_value_share
    # Without a balloon, the lessee buys the asset back at the end for a nominal 100 yuan (留购价), or for nothing.
    residual = np.where(
        balloon,
        (principal * rng.uniform(0.01, 0.1, count) // 10_000).astype(np.int64) * 10_000,
        np.where(rng.random(count) < 0.5, 10_000, 0),
    )
    deposit = (principal * rng.choice(np.array(p.deposit_rates), count) // 10_000).astype(np.int64) * 10_000

    observable = (
        p.default_intercept
        + np.array(INDUSTRY_RISK)[industry]
        + p.individual_risk * ~lessees.enterprise[lessee]
        + p.leverage_risk * (financed - 0.7)
        + p.term_risk_per_month * (term - 36)
        + p.sale_leaseback_risk * sale_leaseback
    )
    # Lessors price risk they can see: the rate rises with the observable part of the risk.
    rate = (
        p.base_rate
        + p.rate_per_logit * (observable - observable.mean())
        + rng.normal(0, p.rate_noise_sd, count)
    )
    rate_e4 = np.clip(np.round(rate * 10_000), 350, 1500).astype(np.int64)
    risk_logit = observable + lessees.hidden_risk[lessee] + rng.normal(0, p.contract_noise_sd, count)
    registered = np.minimum(start + days(rng.integers(0, 10, count)), book_date)
    return {
        "lessee": lessee,
        "lessor": lessor,
        "model": model,
        "start_date": start,
        "registered_at": registered,
        "sale_leaseback": sale_leaseback,
        "invoice_date": invoice_date,
        "production_date": production,
        "invoice_amount_fen": invoice_amount,
        "term_months": term,
        "months_per_period": months_per_period,
        "equal_principal": equal_principal,
        "principal_fen": principal,
        "rate_e4": rate_e4,
        "residual_value_fen": residual,
        "deposit_fen": deposit,
        "related_party": rng.random(count) < p.related_party_share,
        "risk_logit": risk_logit,
    }


def issue_identifiers(rng: np.random.Generator, book: Book) -> None:
    """VINs, serial and engine numbers in production order, invoices and purchase contracts, added to `book`.

    Within a model line, a unit built earlier gets an earlier counter; units sold outside the book leave gaps,
    so honest neighbours in the book often differ only in the last character or two.
    """
    count = len(book["model"])
    vin = np.full(count, "", dtype="U17")
    serial = np.full(count, "", dtype="U32")
    engine = np.full(count, "", dtype="U24")
    production = book["production_date"]
    for index in np.unique(book["model"]).tolist():
        model = CATALOG[index]
        rows = np.flatnonzero(book["model"] == index)
        rows = rows[np.lexsort((rng.random(len(rows)), production[rows]))]
        gaps = rng.choice(np.array([1, 1, 1, 1, 2, 2, 3, 5, 9]), len(rows))
        if model.asset_type == "vehicle":
            counters = _counters(rng, gaps, 6)
            vin[rows] = vins(
                model.prefix, model.plant, model_year_codes(production[rows], MODEL_YEAR_CODES), counters
            )
        elif "{yy" in model.serial_format:
            # Makers that put the year in the serial restart the counter every year.
            counters = np.empty(len(rows), dtype=np.int64)
            years = production[rows].astype("datetime64[Y]")
            for year in np.unique(years):
                in_year = np.flatnonzero(years == year)
                counters[in_year] = _counters(rng, gaps[in_year], model.seq_digits)
            serial[rows] = serial_numbers(model.serial_format, production[rows], counters, model.seq_digits)
        else:
            counters = _counters(rng, gaps, model.seq_digits)
            serial[rows] = serial_numbers(model.serial_format, production[rows], counters, model.seq_digits)
        if model.engine_prefix:
            engine[rows] = engine_numbers(model.engine_prefix, _counters(rng, gaps, 8))
    book["vin"], book["serial_no"], book["engine_no"] = vin, serial, engine

    invoice_year = book["invoice_date"].astype("datetime64[Y]").astype(np.int64) + 1970
    vehicle = np.array([m.asset_type == "vehicle" for m in CATALOG])[book["model"]]
    dealer_region = np.array([code for code, _ in COMPANY_REGIONS])[
        rng.integers(0, len(COMPANY_REGIONS), count)
    ]
    book["invoice_code"], book["invoice_no"] = invoice_numbers(
        rng, invoice_year, vehicle, dealer_region, DIGITAL_INVOICE_SHARE_BY_YEAR
    )
    book["purchase_contract_no"] = purchase_contract_numbers(
        invoice_year, rng.choice(10**7, count, replace=False)
    )


def purchase_contract_numbers(years: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Sellers' purchase-contract numbers: "GM", the year, a seven-digit sequence."""
    return np.char.add(np.char.add("GM", years.astype(str)), strings(digit_matrix(sequence, 7)))


def _counters(rng: np.random.Generator, gaps: np.ndarray, digits: int) -> np.ndarray:
    """A production counter run: a random first unit, then the gaps; it fits in `digits` where it can."""
    span = int(gaps.sum())
    room = 10**digits - span
    first = int(rng.integers(1, max(2, min(room, 10**digits // 2))))
    return first + np.cumsum(gaps)
