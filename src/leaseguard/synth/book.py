"""A seeded synthetic lease book with labelled fraud and defaults, in the data-contract files.

Contracts, lessees and assets are drawn as columns (numpy), identifiers are issued the way factories and tax
offices issue them, and each contract's instalments are paid or missed according to a latent risk that the
observable columns explain only in part. Fraud is then injected on top and written down in ground_truth.csv.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from leaseguard.registry.normalize import ocr_fold
from leaseguard.synth.catalog import (
    CATALOG,
    COMPANY_KINDS,
    COMPANY_WORDS,
    GIVEN,
    INDUSTRIES,
    INDUSTRY_RISK,
    LESSOR_NAMES,
    REGIONS,
    SURNAMES,
)
from leaseguard.synth.fraud import HARD, SOFT, alter
from leaseguard.synth.identifiers import MODEL_YEAR_CODE, resident_ids, usccs, vins

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthParameters:
    """The shape of the book; rates are shares of contracts."""

    enterprise_share: float = 0.65
    contracts_per_lessee: float = 1.6  # fleets: one lessee finances several assets
    duplicate_rate: float = 0.01  # the same asset financed again at another lessor
    reused_invoice_rate: float = 0.003
    inflated_invoice_rate: float = 0.003
    affiliated_lessee_share: float = 0.2  # a duplicate taken out by an affiliated company
    years_of_history: int = 4
    default_intercept: float = -2.6
    hidden_risk_sd: float = 0.9  # risk no column explains: keeps defaults from being trivially predictable
    type_shares: dict[str, float] = field(
        default_factory=lambda: {"vehicle": 0.6, "machinery": 0.28, "medical": 0.12}
    )


@dataclass(frozen=True)
class BookSummary:
    out_dir: Path
    files: dict[str, Path]
    lessors: int
    contracts: int
    assets: int
    payments: int
    valuations: int
    frauds: dict[str, int]


def _frame(columns: dict[str, object], **kwargs: object) -> pl.DataFrame:
    """A frame from numpy columns; object arrays (strings with gaps) go in as lists, which polars can type."""
    return pl.DataFrame(
        {
            k: (v.tolist() if isinstance(v, np.ndarray) and v.dtype == object else v)
            for k, v in columns.items()
        },
        **kwargs,  # type: ignore[arg-type]
    )


def _yuan(fen: pl.Expr) -> pl.Expr:
    return (fen // 100).cast(pl.String) + "." + (fen % 100).cast(pl.String).str.zfill(2)


def _names(rng: np.random.Generator, enterprise: np.ndarray, regions: np.ndarray) -> list[str]:
    words = rng.integers(0, len(COMPANY_WORDS), len(enterprise))
    kinds = rng.integers(0, len(COMPANY_KINDS), len(enterprise))
    surnames = rng.integers(0, len(SURNAMES), len(enterprise))
    given = rng.integers(0, len(GIVEN), (len(enterprise), 2))
    city = {
        "11": "北京",
        "31": "上海",
        "44": "广东",
        "33": "浙江",
        "32": "江苏",
        "51": "四川",
        "42": "湖北",
        "37": "山东",
        "41": "河南",
        "43": "湖南",
        "50": "重庆",
        "61": "陕西",
        "35": "福建",
        "21": "辽宁",
        "12": "天津",
        "34": "安徽",
        "13": "河北",
    }
    return [
        f"{city.get(str(region)[:2], '')}{COMPANY_WORDS[w]}{COMPANY_KINDS[k]}"
        if is_enterprise
        else SURNAMES[s] + GIVEN[g[0]] + (GIVEN[g[1]] if g[1] % 2 else "")
        for is_enterprise, region, w, k, s, g in zip(
            enterprise, regions, words, kinds, surnames, given, strict=True
        )
    ]


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
    """Write lessors, contracts, assets, payments, valuations, ground_truth and contract_outcomes CSVs."""
    if contracts < 10:
        raise ValueError("a book needs at least 10 contracts")
    if not 1 <= lessors <= len(LESSOR_NAMES):
        raise ValueError(f"lessors must be between 1 and {len(LESSOR_NAMES)}")
    p = parameters or SynthParameters()
    rng = np.random.default_rng(seed)
    report = progress or (lambda _stage, _done, _total: None)
    steps = 6
    out_dir.mkdir(parents=True, exist_ok=True)
    lessor_codes = [f"L{n:03d}" for n in range(1, lessors + 1)]

    # --- lessees --------------------------------------------------------------------------------------
    report("lessees", 0, steps)
    n_lessees = max(2, int(contracts / p.contracts_per_lessee))
    enterprise = rng.random(n_lessees) < p.enterprise_share
    n_ent = int(enterprise.sum())
    ids = np.empty(n_lessees, dtype=object)
    ids[enterprise] = usccs(rng, REGIONS, n_ent)
    ids[~enterprise] = resident_ids(rng, REGIONS, n_lessees - n_ent)
    lessee_names = np.array(
        _names(
            rng,
            enterprise,
            np.array([str(i)[2:8] if e else str(i)[:6] for i, e in zip(ids, enterprise, strict=True)]),
        ),
        dtype=object,
    )
    lessee_industry = np.where(enterprise, rng.integers(0, len(INDUSTRIES), n_lessees), len(INDUSTRIES) - 1)
    lessee_hidden = rng.normal(0, p.hidden_risk_sd, n_lessees)
    lessee_home = rng.integers(0, lessors, n_lessees)  # a lessee's usual lessor

    # --- contracts and their assets ---------------------------------------------------------------------
    report("contracts", 1, steps)
    who = rng.integers(0, n_lessees, contracts)
    lessor_index = np.where(
        rng.random(contracts) < 0.8, lessee_home[who], rng.integers(0, lessors, contracts)
    )
    types = list(p.type_shares)
    type_pick = rng.choice(
        len(types), contracts, p=np.array(list(p.type_shares.values())) / sum(p.type_shares.values())
    )
    models_by_type = {t: [i for i, m in enumerate(CATALOG) if m.asset_type == t] for t in types}
    model_index = np.empty(contracts, dtype=np.int64)
    for t_index, t in enumerate(types):
        chosen = type_pick == t_index
        candidates = models_by_type[t]
        weights = np.array([CATALOG[i].weight for i in candidates])
        model_index[chosen] = rng.choice(candidates, int(chosen.sum()), p=weights / weights.sum())
    low = np.array([m.price_low for m in CATALOG])[model_index]
    high = np.array([m.price_high for m in CATALOG])[model_index]
    price_fen = (rng.uniform(low, high) // 100 * 100 * 100).astype(np.int64)
    history_days = p.years_of_history * 365
    start_offset = rng.integers(20, history_days, contracts)
    start = np.datetime64(as_of) - start_offset.astype("timedelta64[D]")
    term = rng.choice(np.array([12, 24, 36, 48, 60]), contracts, p=[0.1, 0.25, 0.35, 0.15, 0.15])
    quarterly = rng.random(contracts) < 0.15
    equal_principal = rng.random(contracts) < 0.3
    ltv = rng.uniform(0.55, 0.9, contracts)
    principal_fen = (price_fen * ltv // 10000 * 10000).astype(np.int64)
    annual_rate = np.round(rng.uniform(0.045, 0.12, contracts), 4)
    residual_fen = np.where(
        rng.random(contracts) < 0.3, (principal_fen * 0.05 // 100 * 100).astype(np.int64), 0
    )
    deposit_fen = (principal_fen * rng.choice(np.array([0.0, 0.05, 0.1]), contracts) // 100 * 100).astype(
        np.int64
    )
    sale_leaseback = rng.random(contracts) < 0.7
    registered = start + rng.integers(0, 10, contracts).astype("timedelta64[D]")

    # Identifiers, issued in production order: within a model, earlier contracts got earlier units.
    report("identifiers", 2, steps)
    order = np.lexsort((start, model_index))
    vin = np.full(contracts, None, dtype=object)
    serial = np.full(contracts, None, dtype=object)
    engine = np.full(contracts, None, dtype=object)
    for index in np.unique(model_index):
        rows = order[model_index[order] == index]
        model = CATALOG[index]
        # Consecutive units of a line, with gaps where units went to buyers outside this book.
        counters = rng.integers(1000, 90000) + np.cumsum(rng.choice(np.array([1, 1, 1, 2, 3, 7]), len(rows)))
        years = np.array([min(max(int(str(d)[:4]), 2018), 2026) for d in start[rows]])
        if model.asset_type == "vehicle":
            codes = np.array([MODEL_YEAR_CODE[y] for y in years])
            vin[rows] = vins(model.prefix, codes, model.plant, counters % 1_000_000)
        elif model.asset_type == "machinery":
            serial[rows] = [
                f"{model.prefix}{y % 100:02d}{c:06d}" for y, c in zip(years, counters, strict=True)
            ]
        else:
            serial[rows] = [
                f"{model.prefix}{y}{c:05d}" for y, c in zip(years, counters % 100000, strict=True)
            ]
        if model.engine_prefix:
            engine_counters = rng.integers(10_000_000, 60_000_000) + np.cumsum(rng.integers(1, 4, len(rows)))
            engine[rows] = [f"{model.engine_prefix}{c:08d}" for c in engine_counters]

    invoice_year = np.array([int(str(d)[2:4]) for d in start])
    digital = invoice_year >= 24
    invoice_sequence = rng.permutation(contracts) + 10_000_000
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), contracts)]
    invoice_code = np.array(
        [
            None if d else f"0{r[:4]}{y:02d}00111"
            for d, r, y in zip(digital, region, invoice_year, strict=True)
        ],
        dtype=object,
    )
    invoice_no = np.where(
        digital,
        [f"{y:02d}{r[:4]}{s:014d}" for r, y, s in zip(region, invoice_year, invoice_sequence, strict=True)],
        [f"{s % 100_000_000:08d}" for s in invoice_sequence],
    )
    asset_id = np.array([f"A{n:08d}" for n in range(contracts)], dtype=object)
    contract_no = np.array([f"{lessor_codes[li]}-{n:08d}" for n, li in enumerate(lessor_index)], dtype=object)
    purchase_no = np.array([f"GM{str(d)[:4]}{n:07d}" for n, d in enumerate(start)], dtype=object)

    assets = _frame(
        {
            "asset_id": asset_id,
            "lessor": np.array(lessor_codes, dtype=object)[lessor_index],
            "asset_type": np.array([CATALOG[i].asset_type for i in model_index], dtype=object),
            "vin": vin,
            "serial_no": serial,
            "engine_no": engine,
            "manufacturer": np.array([CATALOG[i].manufacturer for i in model_index], dtype=object),
            "model": np.array([CATALOG[i].model for i in model_index], dtype=object),
            "invoice_no": invoice_no,
            "invoice_code": invoice_code,
            "invoice_amount_fen": price_fen,
            "invoice_date": start - rng.integers(3, 40, contracts).astype("timedelta64[D]"),
            "purchase_contract_no": purchase_no,
            "lessee_id": ids[who],
            "lessee_name": lessee_names[who],
            "contract_no": contract_no,
            "registered_at": registered,
        },
        schema_overrides={
            "vin": pl.String,
            "serial_no": pl.String,
            "engine_no": pl.String,
            "invoice_code": pl.String,
        },
    )
    contract_frame = _frame(
        {
            "contract_no": contract_no,
            "lessor": assets["lessor"],
            "lessee_id": ids[who],
            "lessee_name": lessee_names[who],
            "lessee_type": np.where(enterprise[who], "enterprise", "individual"),
            "group_id": None,
            "related_party": rng.random(contracts) < 0.02,
            "industry": np.array(INDUSTRIES, dtype=object)[lessee_industry[who]],
            "start_date": start,
            "term_months": term,
            "principal_fen": principal_fen,
            "annual_rate": annual_rate,
            "method": np.where(equal_principal, "equal_principal", "annuity"),
            "frequency": np.where(quarterly, "quarterly", "monthly"),
            "residual_value_fen": residual_fen,
            "deposit_fen": deposit_fen,
            "lease_type": np.where(sale_leaseback, "sale_leaseback", "direct"),
            "_lessee": who,
        },
        schema_overrides={"group_id": pl.String},
    )

    # --- fraud -----------------------------------------------------------------------------------------
    report("fraud", 3, steps)
    truth: list[dict[str, object]] = []
    assets, contract_frame = _inject_duplicates(
        rng, p, assets, contract_frame, lessor_codes, ids, lessee_names, truth, as_of
    )
    assets = _inject_reused_invoices(rng, p, assets, truth)
    assets, contract_frame = _inject_inflated(rng, p, assets, contract_frame, truth)

    # --- payments ---------------------------------------------------------------------------------------
    report("payments", 4, steps)
    hidden = lessee_hidden[contract_frame["_lessee"].to_numpy()]
    industry_risk = np.array(INDUSTRY_RISK)[
        [INDUSTRIES.index(i) for i in contract_frame["industry"].to_list()]
    ]
    c_ltv = contract_frame["principal_fen"].to_numpy() / np.maximum(
        1, assets["invoice_amount_fen"].to_numpy()
    )
    individual = (contract_frame["lessee_type"] == "individual").to_numpy()
    logit = (
        p.default_intercept
        + industry_risk
        + 0.5 * individual
        + 3.0 * (np.minimum(c_ltv, 1.5) - 0.72)
        + 0.012 * (contract_frame["term_months"].to_numpy() - 36)
        + hidden
    )
    latent_risk = 1 / (1 + np.exp(-logit))
    payments, outcomes = _payments(rng, contract_frame, latent_risk, as_of)

    # --- valuations and files -----------------------------------------------------------------------------
    report("write files", 5, steps)
    valued = assets.sample(fraction=0.25, seed=seed)
    valuation_date = np.datetime64(as_of) - rng.integers(0, 180, valued.height).astype("timedelta64[D]")
    age_years = (valuation_date - valued["invoice_date"].to_numpy().astype("datetime64[D]")).astype(
        np.int64
    ) / 365
    depreciation = np.clip(1 - 0.14 * age_years, 0.12, 1.0) * rng.uniform(0.8, 1.05, valued.height)
    valuations = pl.DataFrame(
        {
            "asset_id": valued["asset_id"],
            "lessor": valued["lessor"],
            "valuation_date": valuation_date,
            "disposal_value": (valued["invoice_amount_fen"].to_numpy() * depreciation).astype(np.int64)
            // 100
            * 100,
        }
    ).with_columns(_yuan(pl.col("disposal_value")).alias("disposal_value"))

    files = {
        name: out_dir / f"{name}.csv"
        for name in (
            "lessors",
            "contracts",
            "assets",
            "payments",
            "valuations",
            "ground_truth",
            "contract_outcomes",
        )
    }
    pl.DataFrame({"code": lessor_codes, "name": list(LESSOR_NAMES[:lessors])}).write_csv(files["lessors"])
    contract_frame.drop("_lessee").with_columns(
        _yuan(pl.col("principal_fen")).alias("principal_fen"),
        _yuan(pl.col("residual_value_fen")).alias("residual_value_fen"),
        _yuan(pl.col("deposit_fen")).alias("deposit_fen"),
        pl.col("annual_rate").map_elements(lambda r: f"{r:.4f}", return_dtype=pl.String),
        pl.col("related_party").cast(pl.String),
    ).rename(
        {"principal_fen": "principal", "residual_value_fen": "residual_value", "deposit_fen": "deposit"}
    ).write_csv(files["contracts"])
    assets.with_columns(_yuan(pl.col("invoice_amount_fen")).alias("invoice_amount_fen")).rename(
        {"invoice_amount_fen": "invoice_amount"}
    ).select(
        "asset_id",
        "lessor",
        "asset_type",
        "vin",
        "serial_no",
        "engine_no",
        "manufacturer",
        "model",
        "invoice_no",
        "invoice_code",
        "invoice_amount",
        "invoice_date",
        "purchase_contract_no",
        "lessee_id",
        "lessee_name",
        "contract_no",
        "registered_at",
    ).write_csv(files["assets"])
    payments.write_csv(files["payments"])
    valuations.write_csv(files["valuations"])
    truth_schema = {
        name: pl.String
        for name in (
            "case_id",
            "kind",
            "lessor",
            "asset_id",
            "contract_no",
            "other_lessor",
            "other_asset_id",
            "field",
            "original_value",
            "altered_value",
            "alterations",
        )
    }
    pl.DataFrame(truth, schema=truth_schema).write_csv(files["ground_truth"])
    outcomes.write_csv(files["contract_outcomes"])
    report("done", steps, steps)
    kinds = pl.DataFrame(truth, schema=truth_schema)["kind"].value_counts()
    return BookSummary(
        out_dir,
        files,
        lessors,
        contract_frame.height,
        assets.height,
        payments.height,
        valuations.height,
        {k: int(n) for k, n in kinds.iter_rows()},
    )


def _alter_without_collision(
    value: str, kinds: list[str], rng: np.random.Generator, existing: set[str]
) -> tuple[str, list[str]]:
    """An alteration that does not happen to turn the value into another real asset's identifier: the ground
    truth would then name the wrong pair. After 20 unlucky draws the value is copied unaltered."""
    for _ in range(20):
        altered, labels = alter(value, kinds, rng)
        folded = ocr_fold(altered)
        if folded == ocr_fold(value) or folded not in existing:
            existing.add(folded)
            return altered, labels
    return value, []


def _inject_duplicates(
    rng: np.random.Generator,
    p: SynthParameters,
    assets: pl.DataFrame,
    contracts: pl.DataFrame,
    lessor_codes: list[str],
    lessee_ids: np.ndarray,
    lessee_names: np.ndarray,
    truth: list[dict[str, object]],
    as_of: dt.date,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The same asset registered again at another lessor, its identifiers altered as people alter them."""
    count = int(assets.height * p.duplicate_rate) if len(lessor_codes) > 1 else 0
    if count == 0:
        return assets, contracts
    sources = rng.choice(assets.height, count, replace=False)
    existing = {
        ocr_fold(value)
        for column in ("vin", "serial_no", "engine_no")
        for value in assets[column].drop_nulls().to_list()
    }
    new_assets, new_contracts = [], []
    affiliated_ids = usccs(rng, REGIONS, count)
    latest = np.datetime64(as_of) - np.timedelta64(10, "D")
    for case, row in enumerate(sources.tolist()):
        asset = assets.row(row, named=True)
        contract = contracts.row(row, named=True)
        others = [code for code in lessor_codes if code != asset["lessor"]]
        lessor = others[int(rng.integers(len(others)))]
        field_name = "vin" if asset["vin"] else "serial_no"
        n_alterations = int(rng.choice([0, 1, 2], p=[0.15, 0.45, 0.4]))
        pool = list(SOFT) + list(HARD)
        kinds = [str(k) for k in rng.choice(pool, n_alterations, replace=False)] if n_alterations else []
        altered, labels = _alter_without_collision(asset[field_name], kinds, rng, existing)
        start = min(
            np.datetime64(contract["start_date"]) + np.timedelta64(int(rng.integers(30, 400)), "D"), latest
        )
        copy = dict(asset)
        copy.update(
            asset_id=f"D{case:08d}",
            lessor=lessor,
            contract_no=f"{lessor}-D{case:07d}",
            registered_at=(start + np.timedelta64(int(rng.integers(0, 5)), "D")).astype(dt.date),
        )
        copy[field_name] = altered
        if rng.random() < p.affiliated_lessee_share:
            copy["lessee_id"] = affiliated_ids[case]
            copy["lessee_name"] = f"{asset['lessee_name'][:4]}关联实业有限公司"
        engine_fate = rng.random()
        if asset["engine_no"] and engine_fate >= 0.5:
            copy["engine_no"] = (
                None
                if engine_fate >= 0.75
                else _alter_without_collision(asset["engine_no"], ["change"], rng, existing)[0]
            )
        if rng.random() >= 0.4:  # a forged invoice rather than the original shown twice
            forged = f"{int(rng.integers(0, 10**8)):08d}"
            copy["invoice_no"] = forged if asset["invoice_code"] else asset["invoice_no"][:12] + forged
            if rng.random() < 0.5:  # a forged invoice with figures of its own, not those of the original
                copy["invoice_date"] = asset["invoice_date"] + dt.timedelta(days=int(rng.integers(1, 60)))
                copy["invoice_amount_fen"] = (
                    int(asset["invoice_amount_fen"] * rng.uniform(0.95, 1.05)) // 100 * 100
                )
        if rng.random() >= 0.5:
            copy["purchase_contract_no"] = f"GM{str(start)[:4]}9{case:06d}"
        new_assets.append(copy)
        contract_copy = dict(contract)
        contract_copy.update(
            contract_no=copy["contract_no"],
            lessor=lessor,
            lessee_id=copy["lessee_id"],
            lessee_name=copy["lessee_name"],
            start_date=start.astype(dt.date),
            lease_type="sale_leaseback",
            lessee_type="enterprise" if copy["lessee_id"] != asset["lessee_id"] else contract["lessee_type"],
        )
        new_contracts.append(contract_copy)
        truth.append(
            {
                "case_id": f"DUP{case:06d}",
                "kind": "duplicate_financing",
                "lessor": lessor,
                "asset_id": copy["asset_id"],
                "contract_no": copy["contract_no"],
                "other_lessor": asset["lessor"],
                "other_asset_id": asset["asset_id"],
                "field": field_name,
                "original_value": asset[field_name],
                "altered_value": altered,
                "alterations": ";".join(labels),
            }
        )
    assets = pl.concat([assets, pl.DataFrame(new_assets, schema=assets.schema)])
    contracts = pl.concat([contracts, pl.DataFrame(new_contracts, schema=contracts.schema)])
    return assets, contracts


def _inject_reused_invoices(
    rng: np.random.Generator, p: SynthParameters, assets: pl.DataFrame, truth: list[dict[str, object]]
) -> pl.DataFrame:
    """One VAT invoice shown behind a second, different asset at another lessor."""
    count = int(assets.height * p.reused_invoice_rate)
    taken = {(t["lessor"], t["asset_id"]) for t in truth} | {
        (t["other_lessor"], t["other_asset_id"]) for t in truth
    }
    lessors = assets["lessor"].to_list()
    codes, numbers = assets["invoice_code"].to_list(), assets["invoice_no"].to_list()
    asset_ids = assets["asset_id"].to_list()
    used: set[int] = set()
    for case in range(count):
        a, b = (int(x) for x in rng.choice(assets.height, 2, replace=False))
        if (
            lessors[a] == lessors[b]
            or {a, b} & used
            or {(lessors[a], asset_ids[a]), (lessors[b], asset_ids[b])} & taken
        ):
            continue
        used |= {a, b}
        truth.append(
            {
                "case_id": f"INV{case:06d}",
                "kind": "reused_invoice",
                "lessor": lessors[b],
                "asset_id": asset_ids[b],
                "contract_no": None,
                "other_lessor": lessors[a],
                "other_asset_id": asset_ids[a],
                "field": "invoice_no",
                "original_value": numbers[b],
                "altered_value": numbers[a],
                "alterations": "",
            }
        )
        codes[b], numbers[b] = codes[a], numbers[a]
    return assets.with_columns(
        pl.Series("invoice_code", codes, dtype=pl.String), pl.Series("invoice_no", numbers, dtype=pl.String)
    )


def _inject_inflated(
    rng: np.random.Generator,
    p: SynthParameters,
    assets: pl.DataFrame,
    contracts: pl.DataFrame,
    truth: list[dict[str, object]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Invoice prices far above the model's range, to borrow more against the asset."""
    count = int(assets.height * p.inflated_invoice_rate)
    taken = {(t["lessor"], t["asset_id"]) for t in truth}
    rows = [int(r) for r in rng.choice(assets.height, count, replace=False)]
    amounts = assets["invoice_amount_fen"].to_numpy().copy()
    principals = contracts["principal_fen"].to_numpy().copy()
    for case, row in enumerate(rows):
        key = (assets["lessor"][row], assets["asset_id"][row])
        if key in taken:
            continue
        factor = rng.uniform(1.8, 3.2)
        original = int(amounts[row])
        amounts[row] = int(original * factor) // 10000 * 10000
        principals[row] = int(principals[row] * factor) // 10000 * 10000
        truth.append(
            {
                "case_id": f"PRC{case:06d}",
                "kind": "inflated_invoice",
                "lessor": key[0],
                "asset_id": key[1],
                "contract_no": assets["contract_no"][row],
                "other_lessor": None,
                "other_asset_id": None,
                "field": "invoice_amount",
                "original_value": f"{original // 100}.{original % 100:02d}",
                "altered_value": f"{amounts[row] // 100}.{amounts[row] % 100:02d}",
                "alterations": f"x{factor:.2f}",
            }
        )
    return (
        assets.with_columns(pl.Series("invoice_amount_fen", amounts)),
        contracts.with_columns(pl.Series("principal_fen", principals)),
    )


def _payments(
    rng: np.random.Generator, contracts: pl.DataFrame, latent_risk: np.ndarray, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Instalments due by `as_of`, paid on time, late, partly or not at all as each contract's risk has it."""
    n = contracts.height
    period = np.where(contracts["frequency"].to_numpy() == "quarterly", 3, 1)
    term = contracts["term_months"].to_numpy()
    instalments = term // period
    start = contracts["start_date"].to_numpy().astype("datetime64[D]")
    as_of64 = np.datetime64(as_of)
    start_month = start.astype("datetime64[M]")
    months_elapsed = (as_of64.astype("datetime64[M]") - start_month).astype(np.int64)
    due_count = np.clip(months_elapsed // period, 0, instalments)
    defaults = rng.random(n) < latent_risk
    default_at = np.where(defaults, rng.integers(2, np.maximum(3, instalments + 1)), instalments + 1)

    rate = contracts["annual_rate"].to_numpy() * period / 12
    principal = contracts["principal_fen"].to_numpy().astype(np.float64)
    residual = contracts["residual_value_fen"].to_numpy().astype(np.float64)
    growth = (1 + rate) ** instalments
    annuity = np.round((principal - residual / growth) * rate / (1 - 1 / growth))
    equal_principal = contracts["method"].to_numpy() == "equal_principal"

    index = np.repeat(np.arange(n), due_count)
    k = np.arange(index.size) - np.repeat(np.cumsum(due_count) - due_count, due_count) + 1
    amortised = (principal[index] - residual[index]) / instalments[index]
    outstanding = principal[index] - (k - 1) * amortised
    amount = np.where(
        equal_principal[index], np.round(amortised + outstanding * rate[index]), annuity[index]
    ) + np.where(k == instalments[index], residual[index], 0)
    due = (
        pl.Series(start[index])
        .to_frame("start")
        .select(pl.col("start").dt.offset_by(pl.format("{}mo", pl.Series(k * period[index]))))["start"]
        .to_numpy()
    )

    paid = k < default_at[index]
    risk = latent_risk[index]
    late = rng.random(index.size) < 0.1 + 0.8 * risk
    delay = np.where(late, rng.exponential(4 + 50 * risk), rng.integers(-3, 2, index.size)).astype(np.int64)
    partial = (k == default_at[index]) & (rng.random(index.size) < 0.3)
    amount = np.where(partial, np.round(amount * rng.uniform(0.2, 0.6, index.size)), amount)
    paid_date = due + delay.astype("timedelta64[D]")
    keep = (paid | partial) & (paid_date <= as_of64)
    payments = _frame(
        {
            "contract_no": contracts["contract_no"].to_numpy()[index[keep]],
            "paid_date": paid_date[keep],
            "amount": amount[keep].astype(np.int64),
        }
    ).with_columns(_yuan(pl.col("amount")).alias("amount"))

    observed = defaults & (default_at <= due_count)
    first_missed = np.full(n, None, dtype=object)
    if observed.any():
        missed_due = (
            pl.Series(start[observed])
            .to_frame("s")
            .select(
                pl.col("s").dt.offset_by(
                    pl.format("{}mo", pl.Series(default_at[observed] * period[observed]))
                )
            )["s"]
            .to_list()
        )
        first_missed[observed] = missed_due
    outcomes = pl.DataFrame(
        {
            "contract_no": contracts["contract_no"],
            "latent_risk": np.round(latent_risk, 4),
            "defaulted": observed,
            "first_missed_due_date": pl.Series(first_missed.tolist(), dtype=pl.Date),
        }
    )
    return payments, outcomes
