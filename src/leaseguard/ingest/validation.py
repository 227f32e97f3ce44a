"""Pure, columnar validation of one file's rows: good rows shaped like the store, bad ones as RowErrors.

Every check is a polars expression over the whole column, so a million rows validate in about a second.
Nothing here touches the database; what the store already holds arrives as `References`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from leaseguard.ingest.kinds import (
    ASSETS,
    CONTRACTS,
    PAYMENTS,
    SCHEDULES,
    VALUATIONS,
    ColumnSpec,
    KindSpec,
    ValueType,
)
from leaseguard.ingest.reading import LINE, OVERFLOW, RawTable
from leaseguard.ingest.reports import FileProblem, RowError
from leaseguard.tenancy.service import LESSOR_CODE

DEFAULT_MAX_AMOUNT_YUAN = 100_000_000_000
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")
MISSING = "missing required value"
NUL = "contains a NUL byte"
CONTROL = "an identifier may not contain a line break, tab or other control character"
EXTRA = "extra"

# Reference columns joined in from the store.
_CONTRACT_LESSOR = "_contract_lessor"
_CONTRACT_START = "_contract_start"
_CONTRACT_PRINCIPAL = "_contract_principal"
_ASSET_KNOWN = "_asset_known"


@dataclass(frozen=True)
class References:
    """What the store already holds that rows may refer to; each read with one query."""

    lessors: frozenset[str] = frozenset()
    contracts: pl.DataFrame = field(  # contract_no → lessor
        default_factory=lambda: pl.DataFrame(schema={"contract_no": pl.String, "lessor": pl.String})
    )
    assets: pl.DataFrame = field(  # (lessor, asset_id)
        default_factory=lambda: pl.DataFrame(schema={"lessor": pl.String, "asset_id": pl.String})
    )


@dataclass(frozen=True)
class Validated:
    """The good rows in store columns (in file order), every rejected value, and what the file supplied."""

    rows: pl.DataFrame
    errors: list[RowError]
    rows_read: int
    rejected: int
    update_columns: tuple[str, ...]  # store columns the file states, so an upsert may overwrite them
    ignored_columns: tuple[str, ...] = ()  # extra columns of a kind whose table has no `extra`
    warnings: list[RowError] = field(default_factory=list)  # rows loaded, with something the user should know


def validate(
    kind: KindSpec,
    table: RawTable,
    references: References,
    *,
    file: str,
    max_amount_yuan: int = DEFAULT_MAX_AMOUNT_YUAN,
    check_references: bool = True,
) -> Validated:
    """Check every row of `table` as a `kind` file; raises FileProblem only for faults of the whole file.

    Without `check_references` the lessors and contracts rows name need not be in the store (a file screened
    before it is loaded)."""
    known, extras = _map_header(kind, table)
    frame = table.rows.rename({position: name for name, position in known.items()})
    absent = [spec.name for spec in kind.columns if spec.name not in known]
    frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in absent)

    checks = _Checks(kind, max_amount_yuan * 100)
    for spec in kind.columns:
        checks.column(spec)
    for label, position in extras.items():
        checks.nul(label, pl.col(position))
    checks.overflow(len(table.header))
    frame = checks.apply(frame)
    if kind is ASSETS:
        frame = _check_asset_identifiers(frame, checks)
    if kind is CONTRACTS:
        frame = _check_contract_dates(frame, checks)
    if check_references:
        frame = _check_references(kind, frame, references, checks)
        if kind is SCHEDULES:
            frame = _check_schedules(frame, references, checks)
    frame = _check_duplicates(kind, frame, checks)

    errors = _collect_errors(frame, checks.error_columns, file)
    good = frame.filter(checks.row_is_good())
    warned = [(c, _warning_name(c)) for c in ("contract_no",) if _warning_name(c) in good.columns]
    warnings = _collect_errors(good, warned, file)
    ignored: tuple[str, ...] = ()
    if EXTRA not in kind.table.c:
        ignored, extras = tuple(extras), {}
    rows = _store_rows(kind, good, extras, set(known))
    stated = [kind.column(name) for name in known]
    update = [spec.store_column for spec in stated if spec.store_column not in kind.key and not spec.in_extra]
    if kind is PAYMENTS:
        update.append("lessor")
    if extras or any(spec.in_extra for spec in stated):
        update.append(EXTRA)
    if EXTRA not in kind.table.c:
        rows = rows.drop(EXTRA)
    return Validated(
        rows=rows,
        errors=errors,
        rows_read=table.rows.height,
        rejected=table.rows.height - rows.height,
        update_columns=tuple(update),
        ignored_columns=ignored,
        warnings=warnings,
    )


def _map_header(kind: KindSpec, table: RawTable) -> tuple[dict[str, str], dict[str, str]]:
    """Known column name → positional column, and extra column name → positional column."""
    known: dict[str, str] = {}
    extras: dict[str, str] = {}
    for index, (name, position) in enumerate(zip(table.header, table.positional_names, strict=True)):
        normalised = name.strip().lower()
        if normalised in kind.column_names:
            if normalised in known:
                raise FileProblem(f"column '{name}' appears twice in the header")
            known[normalised] = position
            continue
        label = name.strip()
        if not label:
            if table.rows.get_column(position).null_count() == table.rows.height:
                continue  # an unnamed, empty column: spreadsheets export these after the last one
            label = f"column_{index + 1}"
        if label in extras:
            raise FileProblem(f"column '{label}' appears twice in the header")
        extras[label] = position
    if not known:
        raise FileProblem(
            f"no header line: the first line has none of the {kind.name} columns ({', '.join(kind.column_names)})"
        )
    missing = [name for name in kind.required if name not in known]
    if missing:
        raise FileProblem(f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    return known, extras


class _Checks:
    """Builds, per file column, the parsed value and the reason it is bad (null when it is good)."""

    def __init__(self, kind: KindSpec, max_amount_fen: int) -> None:
        self.kind = kind
        self.max_amount_fen = max_amount_fen
        self.values: list[pl.Expr] = []
        self.reasons: dict[str, list[pl.Expr]] = {}

    @staticmethod
    def value_name(column: str) -> str:
        return f"={column}"

    @staticmethod
    def error_name(column: str) -> str:
        return f"!{column}"

    @property
    def error_columns(self) -> list[tuple[str, str]]:
        return [(column, self.error_name(column)) for column in self.reasons]

    def reason(self, column: str, expr: pl.Expr) -> None:
        self.reasons.setdefault(column, []).append(expr)

    def row_is_good(self) -> pl.Expr:
        return pl.all_horizontal(pl.col(name).is_null() for _, name in self.error_columns)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(self.values)
        return self.merge_reasons(frame)

    def merge_reasons(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Fold the pending reasons of each column into its error column; the first reason found wins."""
        merged = []
        for column, exprs in self.reasons.items():
            target = self.error_name(column)
            existing = [pl.col(target)] if target in frame.columns else []
            merged.append(pl.coalesce([*existing, *exprs]).alias(target))
        frame = frame.with_columns(merged)
        self.values = []
        return frame

    def nul(self, column: str, raw: pl.Expr) -> None:
        # SQLite would store it and PostgreSQL refuses the whole COPY for it; and no reason may quote it.
        self.reason(column, pl.when(raw.str.contains("\x00", literal=True)).then(pl.lit(NUL)))

    def column(self, spec: ColumnSpec) -> None:
        raw = pl.col(spec.name)
        self.nul(spec.name, raw)
        if spec.required:
            self.reason(spec.name, pl.when(raw.is_null()).then(pl.lit(MISSING)))
        value, reason = _PARSERS[spec.type](self, spec, raw)
        self.values.append(value.alias(self.value_name(spec.name)))
        self.reason(spec.name, reason)
        if spec.store_column in self.kind.key:
            # An identifier is read back by URL and named in court papers: no character there can carry it.
            self.reason(spec.name, pl.when(raw.str.contains(r"[\x01-\x1f\x7f]")).then(pl.lit(CONTROL)))

    def overflow(self, width: int) -> None:
        self.reason(
            f"column {width + 1}",
            pl.when(pl.col(OVERFLOW).is_not_null()).then(
                pl.lit(f"more values than the header's {width} columns")
            ),
        )

    # --- one parser per ValueType: (parsed value, reason or null) -------------------------------------------

    def text(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        limit = self.kind.max_length(spec)
        if limit is None:
            return raw, pl.lit(None, pl.String)
        return raw, pl.when(raw.str.len_chars() > limit).then(pl.lit(f"longer than {limit} characters"))

    def code(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        good = raw.str.contains(f"^(?:{LESSOR_CODE.pattern})$")
        reason = pl.when(raw.is_not_null() & ~good).then(
            pl.format("not a lessor code: '{}' (letters, digits, _ . - ; at most 32)", raw)
        )
        return raw, reason

    def date(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        shaped = raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        parsed = pl.when(shaped).then(raw.str.to_date("%Y-%m-%d", strict=False))
        reason = (
            pl.when(raw.is_null())
            .then(pl.lit(None, pl.String))
            .when(~shaped)
            .then(pl.format("not a date in YYYY-MM-DD form: '{}'", raw))
            .when(parsed.is_null())
            .then(pl.format("impossible date '{}'", raw))
        )
        return parsed, reason

    def signed_amount(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        negative = raw.str.starts_with("-")
        magnitude, reason = self._amount(raw.str.strip_prefix("-"), shown=raw, signed=True)
        return pl.when(negative).then(-magnitude).otherwise(magnitude), reason

    def amount(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        return self._amount(raw, shown=raw, signed=False)

    def _amount(self, raw: pl.Expr, *, shown: pl.Expr, signed: bool) -> tuple[pl.Expr, pl.Expr]:
        """`raw` parsed to fen; a reason names the value as written (`shown`)."""
        shaped = raw.str.contains(r"^[0-9]+(\.[0-9]+)?$")
        whole = raw.str.extract(r"^([0-9]+)", 1)
        # Trailing zeros carry no value, so 12.500 is still an exact amount of fen.
        fraction = raw.str.extract(r"\.([0-9]+)$", 1).fill_null("").str.strip_chars_end("0")
        too_long = whole.str.len_chars() > 15
        fen = whole.str.slice(-15).cast(pl.Int64, strict=False) * 100 + fraction.str.pad_end(
            2, "0"
        ).str.slice(0, 2).cast(pl.Int64, strict=False)
        negative = pl.lit(False) if signed else raw.str.contains(r"^-[0-9]+(\.[0-9]+)?$")
        reason = (
            pl.when(raw.is_null())
            .then(pl.lit(None, pl.String))
            .when(negative)
            .then(pl.format("negative amount {}", shown))
            .when(~shaped)
            .then(pl.format("not an amount in yuan: '{}'", shown))
            .when(fraction.str.len_chars() > 2)
            .then(pl.format("more than 2 decimals: {}", shown))
            .when(too_long | (fen > self.max_amount_fen))
            .then(
                pl.format("implausible amount {} (over {} yuan)", shown, pl.lit(self.max_amount_fen // 100))
            )
        )
        return pl.when(shaped & ~too_long).then(fen), reason

    def months(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        shaped = raw.str.contains(r"^[0-9]{1,4}$")
        number = pl.when(shaped).then(raw.cast(pl.Int64, strict=False))
        reason = (
            pl.when(raw.is_null())
            .then(pl.lit(None, pl.String))
            .when(~shaped)
            .then(pl.format("not a whole number of months: '{}'", raw))
            .when(number < 1)
            .then(pl.lit("must be at least 1"))
        )
        return number, reason

    def count(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        shaped = raw.str.contains(r"^[0-9]{1,6}$")
        number = pl.when(shaped).then(raw.cast(pl.Int64, strict=False))
        reason = (
            pl.when(raw.is_null())
            .then(pl.lit(None, pl.String))
            .when(~shaped)
            .then(pl.format("not a whole number: '{}'", raw))
            .when(number < 1)
            .then(pl.lit("must be at least 1"))
        )
        return number, reason

    def rate(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        shaped = raw.str.contains(r"^[0-9]+(\.[0-9]+)?$")
        fraction = raw.str.extract(r"\.([0-9]+)$", 1).fill_null("").str.strip_chars_end("0")
        whole = raw.str.extract(r"^([0-9]+)", 1).cast(pl.Int64, strict=False)
        reason = (
            pl.when(raw.is_null())
            .then(pl.lit(None, pl.String))
            .when(raw.str.starts_with("-"))
            .then(pl.format("negative rate {}", raw))
            .when(~shaped)
            .then(pl.format("not a decimal fraction: '{}' (write 6.85% as 0.0685)", raw))
            .when(whole.is_null() | (whole > 0))
            .then(pl.format("rate {} is not below 1; write 6.85% as 0.0685", raw))
            .when(fraction.str.len_chars() > 6)
            .then(pl.format("more than 6 decimals: {}", raw))
        )
        return raw, reason

    def boolean(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        word = raw.str.to_lowercase()
        value = pl.when(word.is_in(TRUE_WORDS)).then(True).when(word.is_in(FALSE_WORDS)).then(False)
        reason = pl.when(raw.is_not_null() & value.is_null()).then(
            pl.format("not a boolean: '{}' (true/false)", raw)
        )
        return value, reason

    def enum(self, spec: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        word = raw.str.to_lowercase()
        reason = pl.when(raw.is_not_null() & ~word.is_in(spec.choices)).then(
            pl.format("unknown value '{}'; expected one of {}", raw, pl.lit(", ".join(spec.choices)))
        )
        return word, reason


_PARSERS = {
    ValueType.TEXT: _Checks.text,
    ValueType.CODE: _Checks.code,
    ValueType.DATE: _Checks.date,
    ValueType.AMOUNT: _Checks.amount,
    ValueType.SIGNED_AMOUNT: _Checks.signed_amount,
    ValueType.COUNT: _Checks.count,
    ValueType.MONTHS: _Checks.months,
    ValueType.RATE: _Checks.rate,
    ValueType.BOOLEAN: _Checks.boolean,
    ValueType.ENUM: _Checks.enum,
}


def _check_asset_identifiers(frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A vehicle is identified by its VIN, anything else by its serial number; values stay as written."""
    asset_type = pl.col(_Checks.value_name("asset_type"))
    known_type = pl.col(_Checks.error_name("asset_type")).is_null()
    checks.reason(
        "vin",
        pl.when(known_type & (asset_type == "vehicle") & pl.col("vin").is_null()).then(
            pl.lit("required for asset_type vehicle")
        ),
    )
    checks.reason(
        "serial_no",
        pl.when(known_type & (asset_type != "vehicle") & pl.col("serial_no").is_null()).then(
            pl.format("required for asset_type {}", asset_type)
        ),
    )
    return checks.merge_reasons(frame)


def _check_contract_dates(frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A first instalment falls due after the start; a restructuring happens on or after it."""
    start = pl.col(_Checks.value_name("start_date"))
    first_due, restructured = (pl.col(_Checks.value_name(c)) for c in ("first_due_date", "restructured_date"))
    checks.reason(
        "first_due_date",
        pl.when(first_due.is_not_null() & start.is_not_null() & (first_due <= start)).then(
            pl.format("first_due_date {} is not after start_date {}", first_due, start)
        ),
    )
    checks.reason(
        "restructured_date",
        pl.when(restructured.is_not_null() & start.is_not_null() & (restructured < start)).then(
            pl.format("restructured_date {} is before start_date {}", restructured, start)
        ),
    )
    return checks.merge_reasons(frame)


def _check_schedules(frame: pl.DataFrame, references: References, checks: _Checks) -> pl.DataFrame:
    """An imported schedule is taken whole or not at all: per contract, instalments numbered 1..n with no gap,
    due dates rising from after the start, principal summing to the contract's principal (residual included)."""
    value = _Checks.value_name
    due = pl.col(value("due_date"))
    terms = references.contracts.select(
        pl.col("contract_no").alias(value("contract_no")),
        pl.col("start_date").alias(_CONTRACT_START),
        pl.col("principal_fen").alias(_CONTRACT_PRINCIPAL),
    )
    frame = frame.join(terms, on=value("contract_no"), how="left", maintain_order="left")
    known = pl.col(_CONTRACT_START).is_not_null()
    checks.reason(
        "contract_no",
        pl.when(pl.col(value("contract_no")).is_not_null() & ~known).then(
            pl.format("contract_no '{}' is not in the store", pl.col(value("contract_no")))
        ),
    )
    checks.reason(
        "due_date",
        pl.when(known & (due <= pl.col(_CONTRACT_START))).then(
            pl.format("due before or on the contract's start date {}", pl.col(_CONTRACT_START))
        ),
    )
    frame = checks.merge_reasons(frame)
    per_contract = value("contract_no")
    whole = (
        frame.sort(per_contract, value("number"))
        .group_by(per_contract)
        .agg(
            checks.row_is_good().all().alias("_all_good"),
            pl.len().alias("_lines"),
            pl.col(value("number")).max().alias("_last"),
            pl.col(value("number")).n_unique().alias("_numbers"),
            (pl.col(value("due_date")).diff().dt.total_days() <= 0).any().alias("_not_rising"),
            pl.col(value("principal")).sum().alias("_principal"),
            pl.col(_CONTRACT_PRINCIPAL).first().alias("_expected"),
        )
    )
    fault = (
        pl.when(~pl.col("_all_good"))
        .then(
            pl.lit("another line of this contract's schedule is wrong; a schedule loads whole or not at all")
        )
        .when((pl.col("_numbers") != pl.col("_lines")) | (pl.col("_last") != pl.col("_lines")))
        .then(pl.format("instalments must be numbered 1 to {} without a gap or repeat", pl.col("_lines")))
        .when(pl.col("_not_rising"))
        .then(pl.lit("due dates must rise with the instalment number"))
        .when(pl.col("_principal") != pl.col("_expected"))
        .then(
            pl.format(
                "principal sums to {} fen, the contract's principal is {} fen",
                pl.col("_principal"),
                pl.col("_expected"),
            )
        )
    )
    frame = frame.join(
        whole.select(per_contract, fault.alias("_schedule_fault")),
        on=per_contract,
        how="left",
        maintain_order="left",
    )
    # A line that is wrong itself keeps its own reason; its good siblings are rejected for its sake.
    checks.reason("number", pl.when(checks.row_is_good()).then(pl.col("_schedule_fault")))
    return checks.merge_reasons(frame)


def _check_references(
    kind: KindSpec, frame: pl.DataFrame, references: References, checks: _Checks
) -> pl.DataFrame:
    """Rows that name a lessor, contract or asset the store does not hold, or another lessor's contract."""
    value = _Checks.value_name
    if "lessor" in kind.column_names:
        lessor = pl.col(value("lessor"))
        checks.reason(
            "lessor",
            pl.when(lessor.is_not_null() & ~lessor.is_in(list(references.lessors))).then(
                pl.format("unknown lessor '{}' (not in the store nor in this load)", lessor)
            ),
        )
    if kind in (CONTRACTS, ASSETS, PAYMENTS):
        contracts = references.contracts.select(
            pl.col("contract_no").alias(value("contract_no")), pl.col("lessor").alias(_CONTRACT_LESSOR)
        )
        frame = frame.join(contracts, on=value("contract_no"), how="left", maintain_order="left")
        number, owner = pl.col(value("contract_no")), pl.col(_CONTRACT_LESSOR)
        foreign = (
            owner.is_not_null() & pl.col(value("lessor")).is_not_null() & (owner != pl.col(value("lessor")))
        )
        if kind is CONTRACTS:
            checks.reason(
                "contract_no", pl.when(foreign).then(pl.lit("contract_no belongs to another lessor"))
            )
        elif kind is ASSETS:
            # The register holds every lessor's assets whatever their contracts: one naming a contract not
            # loaded yet is registered, with a warning, and linked when its contract comes.
            checks.reason(
                "contract_no", pl.when(foreign).then(pl.lit("contract_no belongs to another lessor"))
            )
            frame = frame.with_columns(
                pl.when(number.is_not_null() & owner.is_null())
                .then(pl.format("contract_no '{}' is not in the store yet: the asset is registered; load its "
                                "contract to link it", number))
                .alias(_warning_name("contract_no"))
            )  # fmt: skip
        else:
            checks.reason(
                "contract_no",
                pl.when(number.is_not_null() & owner.is_null()).then(
                    pl.format("contract_no '{}' is not in the store", number)
                ),
            )
            if "start_date" in references.contracts.columns:
                starts = references.contracts.select(
                    pl.col("contract_no").alias(value("contract_no")),
                    pl.col("start_date").alias(_CONTRACT_START),
                )
                frame = frame.join(starts, on=value("contract_no"), how="left", maintain_order="left")
                paid, start = pl.col(value("paid_date")), pl.col(_CONTRACT_START)
                checks.reason(
                    "paid_date",
                    pl.when(paid.is_not_null() & start.is_not_null() & (paid < start)).then(
                        pl.format("paid before the contract's start date {}", start)
                    ),
                )
    if kind is VALUATIONS:
        assets = references.assets.select(
            pl.col("lessor").alias(value("lessor")),
            pl.col("asset_id").alias(value("asset_id")),
            pl.lit(True).alias(_ASSET_KNOWN),
        )
        frame = frame.join(assets, on=[value("lessor"), value("asset_id")], how="left", maintain_order="left")
        lessor = pl.col(value("lessor"))
        checks.reason(
            "asset_id",
            pl.when(
                pl.col(value("asset_id")).is_not_null()
                & lessor.is_in(list(references.lessors))
                & pl.col(_ASSET_KNOWN).is_null()
            ).then(
                pl.format(
                    "asset_id '{}' is not in the store for lessor {}", pl.col(value("asset_id")), lessor
                )
            ),
        )
    return checks.merge_reasons(frame)


def _check_duplicates(kind: KindSpec, frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A key seen twice in one file keeps its first good row; the later ones are rejected, naming it."""
    if kind is PAYMENTS:
        return frame  # identical payments are numbered by seq, so they never collide
    key = [_Checks.value_name(_file_column(kind, store)) for store in kind.key]
    first = pl.when(checks.row_is_good()).then(pl.col(LINE)).min().over(key)
    names = " and ".join(_file_column(kind, store) for store in kind.key)
    checks.reason(
        kind.duplicate_column,
        pl.when(checks.row_is_good() & (pl.col(LINE) != first)).then(
            pl.format("duplicate of line {} (same {})", first, pl.lit(names))
        ),
    )
    return checks.merge_reasons(frame)


def _file_column(kind: KindSpec, store_column: str) -> str:
    return next(spec.name for spec in kind.columns if spec.store_column == store_column)


def _warning_name(column: str) -> str:
    return f"?{column}"


def _collect_errors(frame: pl.DataFrame, error_columns: list[tuple[str, str]], file: str) -> list[RowError]:
    order = {column: index for index, (column, _) in enumerate(error_columns)}
    parts = [
        frame.filter(pl.col(name).is_not_null()).select(
            pl.col(LINE).alias("line"), pl.lit(column).alias("column"), pl.col(name).alias("reason")
        )
        for column, name in error_columns
    ]
    if not parts:
        return []
    found = pl.concat(parts).with_columns(pl.col("column").replace_strict(order).alias("_order"))
    found = found.sort("line", "_order")
    return [
        RowError(file, line, column, reason)
        for line, column, reason in found.select("line", "column", "reason").iter_rows()
    ]


def _store_rows(kind: KindSpec, good: pl.DataFrame, extras: dict[str, str], stated: set[str]) -> pl.DataFrame:
    """The good rows in the target table's columns, with defaults, derived columns and the extras as JSON."""
    columns: list[pl.Expr] = []
    kept: dict[str, pl.Expr] = {name: pl.col(position) for name, position in extras.items()}
    for spec in kind.columns:
        value = pl.col(_Checks.value_name(spec.name))
        if spec.default is not None:
            value = value.fill_null(pl.lit(spec.default))
        if spec.in_extra:
            if spec.name in stated:
                kept[spec.name] = value
            continue
        columns.append(value.alias(spec.store_column))
    if kind is PAYMENTS:
        columns.append(pl.col(_CONTRACT_LESSOR).alias("lessor"))
    if kept:
        # Sorted names make the JSON text stable, so an unchanged row compares equal as text in SQL.
        fields = [kept[name].alias(name) for name in sorted(kept)]
        columns.append(pl.struct(fields).struct.json_encode().alias(EXTRA))
    else:
        columns.append(pl.lit(None, pl.String).alias(EXTRA))
    rows = good.select(columns)
    if kind is PAYMENTS:
        identical = ["contract_no", "paid_date", "amount_fen"]
        rows = rows.with_columns((pl.int_range(pl.len()).over(identical) + 1).cast(pl.Int64).alias("seq"))
    return rows
