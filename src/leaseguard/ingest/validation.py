"""Pure, columnar validation of one file's rows: good rows shaped like the store, bad ones as RowErrors.

Every check is a polars expression over the whole column, so a million rows validate in about a second. A
check yields a reason's code (a literal, cheap for a million rows); the values the reason quotes are read only
for the rows found bad, when the errors are collected, and the words are rendered only when shown
(`leaseguard.ingest.reasons`). Nothing here touches the database; what the store already holds arrives as
`References`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from leaseguard.ingest.kinds import (
    ASSETS,
    CONTRACTS,
    PAYMENTS,
    SCHEDULES,
    TRACKERS,
    VALUATIONS,
    ColumnSpec,
    KindSpec,
    ValueType,
)
from leaseguard.ingest.reading import LINE, OVERFLOW, RawTable
from leaseguard.ingest.reasons import ROW_REASONS, param_names
from leaseguard.ingest.reports import FileProblem, RowError
from leaseguard.tenancy.service import LESSOR_CODE

DEFAULT_MAX_AMOUNT_YUAN = 100_000_000_000
# The longest term a contract row may state; the shipped `import.max_term_months` (see defaults/leaseguard.yaml).
DEFAULT_MAX_TERM_MONTHS = 240
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")
EXTRA = "extra"

# Reference columns joined in from the store.
_CONTRACT_LESSOR = "_contract_lessor"
_CONTRACT_START = "_contract_start"
_CONTRACT_PRINCIPAL = "_contract_principal"
_ASSET_KNOWN = "_asset_known"
_FIRST_LINE = "_first_line"

# A check's rule: where the condition holds, the value is bad for the reason `code` (None: the value is
# fine and the later rules of the check are not asked). A reason's parameter is an expression read from the
# bad row, or a value that is the same for every row.
Rule = tuple[pl.Expr, str | None]
Param = pl.Expr | object


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
    terminals: pl.DataFrame = field(  # every binding of every lessor: a terminal, an asset and a period
        default_factory=lambda: pl.DataFrame(
            schema={
                "terminal_phone": pl.String,
                "lessor": pl.String,
                "asset_id": pl.String,
                "installed_on": pl.Date,
                "removed_on": pl.Date,
            }
        )
    )


@dataclass(frozen=True)
class Named:
    """The contract numbers, asset ids and terminal phones a file's rows name, as its checks read them: all the
    store's references a file can need, so that a small file is checked against its own rows' references, not
    against every contract of a lessor's book."""

    contract_nos: frozenset[str] = frozenset()
    asset_ids: frozenset[str] = frozenset()
    terminal_phones: frozenset[str] = frozenset()


# Reads the store's references for the names a file's rows give (ingest.loading.read_references).
ReferenceReader = Callable[[Named], References]


def _named(frame: pl.DataFrame) -> Named:
    def values(column: str) -> frozenset[str]:
        name = _Checks.value_name(column)
        if name not in frame.columns:
            return frozenset()
        return frozenset(str(v) for v in frame.get_column(name).drop_nulls().unique().to_list())

    return Named(values("contract_no"), values("asset_id"), values("terminal_phone"))


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
    references: References | ReferenceReader,
    *,
    file: str,
    max_amount_yuan: int = DEFAULT_MAX_AMOUNT_YUAN,
    max_term_months: int = DEFAULT_MAX_TERM_MONTHS,
    check_references: bool = True,
) -> Validated:
    """Check every row of `table` as a `kind` file; raises FileProblem only for faults of the whole file.

    Without `check_references` the lessors and contracts rows name need not be in the store (a file screened
    before it is loaded). `references` may be a reader, given the names the rows give once their values are
    checked."""
    known, extras = _map_header(kind, table)
    frame = table.rows.rename({position: name for name, position in known.items()})
    absent = [spec.name for spec in kind.columns if spec.name not in known]
    frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in absent)

    checks = _Checks(kind, max_amount_yuan * 100, max_term_months)
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
        if not isinstance(references, References):
            references = references(_named(frame))
        frame = _check_references(kind, frame, references, checks)
        if kind is SCHEDULES:
            frame = _check_schedules(frame, references, checks)
        if kind is TRACKERS:
            frame = _check_terminals(frame, references, checks, set(known))
    frame = _check_duplicates(kind, frame, checks)

    errors = _collect_errors(frame, checks.error_columns, checks.params, file)
    good = frame.filter(checks.row_is_good())
    warnings = _collect_errors(good, checks.warning_columns, checks.params, file)
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
                raise FileProblem("duplicate_column", name=name)
            known[normalised] = position
            continue
        label = name.strip()
        if not label:
            if table.rows.get_column(position).null_count() == table.rows.height:
                continue  # an unnamed, empty column: spreadsheets export these after the last one
            label = f"column_{index + 1}"
        if label in extras:
            raise FileProblem("duplicate_column", name=label)
        extras[label] = position
    if not known:
        raise FileProblem("no_header", kind=kind.name, columns=kind.column_names)
    missing = [name for name in kind.required if name not in known]
    if missing:
        raise FileProblem("missing_columns" if len(missing) > 1 else "missing_column", columns=tuple(missing))
    return known, extras


def _chain(rules: Sequence[Rule]) -> pl.Expr:
    """The code of the first rule whose condition holds; null when none does (or that rule's code is None)."""
    chain: Any = pl
    for condition, code in rules:
        chain = chain.when(condition).then(pl.lit(code, pl.String))
    expr: pl.Expr = chain
    return expr


def _same_param(one: Param, other: Param) -> bool:
    if isinstance(one, pl.Expr) and isinstance(other, pl.Expr):
        return one.meta.eq(other)
    return not isinstance(one, pl.Expr) and not isinstance(other, pl.Expr) and one == other


def _same_params(one: Mapping[str, Param], other: Mapping[str, Param]) -> bool:
    return one.keys() == other.keys() and all(_same_param(value, other[name]) for name, value in one.items())


class _Checks:
    """Builds, per file column, the parsed value and the code of the reason it is bad (null when it is good),
    and remembers, per column and code, the parameters that reason quotes."""

    def __init__(
        self, kind: KindSpec, max_amount_fen: int, max_term_months: int = DEFAULT_MAX_TERM_MONTHS
    ) -> None:
        self.kind = kind
        self.max_amount_fen = max_amount_fen
        self.max_term_months = max_term_months
        self.values: list[pl.Expr] = []
        self.reasons: dict[str, list[pl.Expr]] = {}
        self.warnings: dict[str, list[pl.Expr]] = {}
        self.params: dict[tuple[str, str], dict[str, Param]] = {}
        self.merged: dict[str, int] = {}  # error or warning column → how many of its reasons it holds

    @staticmethod
    def value_name(column: str) -> str:
        return f"={column}"

    @staticmethod
    def error_name(column: str) -> str:
        return f"!{column}"

    @staticmethod
    def warning_name(column: str) -> str:
        return f"?{column}"

    @property
    def error_columns(self) -> list[tuple[str, str]]:
        return [(column, self.error_name(column)) for column in self.reasons]

    @property
    def warning_columns(self) -> list[tuple[str, str]]:
        return [(column, self.warning_name(column)) for column in self.warnings]

    def reason(self, column: str, rules: Sequence[Rule], **params: Param) -> None:
        """A check of `column`: the first of `rules` that holds names the reason; `params` are the values the
        reasons quote (each reason keeps those its words name)."""
        codes = [code for _, code in rules if code is not None]
        self.coded(column, _chain(rules), codes, params)

    def coded(self, column: str, codes: pl.Expr, known: Iterable[str], params: Mapping[str, Param]) -> None:
        """A check of `column` whose expression yields one of the codes `known` (or null)."""
        self._remember(column, known, params)
        self.reasons.setdefault(column, []).append(codes)

    def warn(self, column: str, rules: Sequence[Rule], **params: Param) -> None:
        """Like `reason`, but the row still loads: the reason is told as a warning."""
        self._remember(column, [code for _, code in rules if code is not None], params)
        self.warnings.setdefault(column, []).append(_chain(rules))

    def _remember(self, column: str, codes: Iterable[str], params: Mapping[str, Param]) -> None:
        for code in codes:
            named = param_names(ROW_REASONS[code])
            if not named <= params.keys():
                raise ValueError(
                    f"reason {code} of {column} lacks {', '.join(sorted(named - params.keys()))}"
                )
            given = {name: value for name, value in params.items() if name in named}
            if not _same_params(self.params.setdefault((column, code), given), given):
                raise ValueError(f"reason {code} of {column} is given twice with different parameters")

    def row_is_good(self) -> pl.Expr:
        return pl.all_horizontal(pl.col(name).is_null() for _, name in self.error_columns)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(self.values)
        return self.merge_reasons(frame)

    def merge_reasons(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Fold the pending reasons of each column into its error column; the first reason found wins.

        Only reasons not merged yet are evaluated: one merged before never gains a reason later (a check that
        asks whether the row is good only loses rows as reasons are found)."""
        merged = []
        for registered, name in ((self.reasons, self.error_name), (self.warnings, self.warning_name)):
            for column, exprs in registered.items():
                target = name(column)
                done = self.merged.get(target, 0)
                if done == len(exprs):
                    continue
                existing = [pl.col(target)] if done else []
                merged.append(pl.coalesce([*existing, *exprs[done:]]).alias(target))
                self.merged[target] = len(exprs)
        frame = frame.with_columns(merged)
        self.values = []
        return frame

    def nul(self, column: str, raw: pl.Expr) -> None:
        # SQLite would store it and PostgreSQL refuses the whole COPY for it; and no reason may quote it.
        self.reason(column, [(raw.str.contains("\x00", literal=True), "nul")])

    def column(self, spec: ColumnSpec) -> None:
        raw = pl.col(spec.name)
        self.nul(spec.name, raw)
        if spec.required:
            self.reason(spec.name, [(raw.is_null(), "missing")])
        value = _PARSERS[spec.type](self, spec, raw)
        self.values.append(value.alias(self.value_name(spec.name)))
        if spec.store_column in self.kind.key:
            # An identifier is read back by URL and named in court papers: no character there can carry it.
            self.reason(spec.name, [(raw.str.contains(r"[\x01-\x1f\x7f]"), "control")])

    def overflow(self, width: int) -> None:
        self.reason(f"column {width + 1}", [(pl.col(OVERFLOW).is_not_null(), "overflow")], width=width)

    # --- one parser per ValueType: the parsed value; its reasons are registered on the column --------------

    def text(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        limit = self.kind.max_length(spec)
        if limit is not None:
            self.reason(spec.name, [(raw.str.len_chars() > limit, "too_long")], limit=limit)
        return raw

    def code(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        good = raw.str.contains(f"^(?:{LESSOR_CODE.pattern})$")
        self.reason(spec.name, [(raw.is_not_null() & ~good, "not_a_lessor_code")], value=raw)
        return raw

    def date(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        shaped = raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        parsed = pl.when(shaped).then(raw.str.to_date("%Y-%m-%d", strict=False))
        rules = [(raw.is_null(), None), (~shaped, "not_a_date"), (parsed.is_null(), "impossible_date")]
        self.reason(spec.name, rules, value=raw)
        return parsed

    def signed_amount(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        negative = raw.str.starts_with("-")
        magnitude = self._amount(spec, raw.str.strip_prefix("-"), shown=raw, signed=True)
        return pl.when(negative).then(-magnitude).otherwise(magnitude)

    def amount(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        return self._amount(spec, raw, shown=raw, signed=False)

    def _amount(self, spec: ColumnSpec, raw: pl.Expr, *, shown: pl.Expr, signed: bool) -> pl.Expr:
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
        rules = [
            (raw.is_null(), None),
            (negative, "negative_amount"),
            (~shaped, "not_an_amount"),
            (fraction.str.len_chars() > 2, "too_many_decimals"),
            (too_long | (fen > self.max_amount_fen), "implausible_amount"),
        ]
        self.reason(spec.name, rules, value=shown, places=2, limit=self.max_amount_fen // 100)
        return pl.when(shaped & ~too_long).then(fen)

    def months(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        shaped = raw.str.contains(r"^[0-9]{1,4}$")
        number = pl.when(shaped).then(raw.cast(pl.Int64, strict=False))
        rules = [
            (raw.is_null(), None),
            (~shaped, "not_months"),
            (number < 1, "below_one"),
            (number > self.max_term_months, "implausible_term"),
        ]
        self.reason(spec.name, rules, value=raw, limit=self.max_term_months)
        return number

    def count(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        shaped = raw.str.contains(r"^[0-9]{1,6}$")
        number = pl.when(shaped).then(raw.cast(pl.Int64, strict=False))
        rules = [(raw.is_null(), None), (~shaped, "not_a_whole_number"), (number < 1, "below_one")]
        self.reason(spec.name, rules, value=raw)
        return number

    def rate(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        shaped = raw.str.contains(r"^[0-9]+(\.[0-9]+)?$")
        fraction = raw.str.extract(r"\.([0-9]+)$", 1).fill_null("").str.strip_chars_end("0")
        whole = raw.str.extract(r"^([0-9]+)", 1).cast(pl.Int64, strict=False)
        rules = [
            (raw.is_null(), None),
            (raw.str.starts_with("-"), "negative_rate"),
            (~shaped, "not_a_fraction"),
            (whole.is_null() | (whole > 0), "rate_not_below_one"),
            (fraction.str.len_chars() > 6, "too_many_decimals"),
        ]
        self.reason(spec.name, rules, value=raw, places=6)
        return raw

    def boolean(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        word = raw.str.to_lowercase()
        value = pl.when(word.is_in(TRUE_WORDS)).then(True).when(word.is_in(FALSE_WORDS)).then(False)
        self.reason(spec.name, [(raw.is_not_null() & value.is_null(), "not_a_boolean")], value=raw)
        return value

    def terminal_phone(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        """A terminal's phone as trackers.csv writes it; kept without leading zeros (tracking.storage), the form
        every JT/T 808 header length (12 BCD digits in 2013, 20 in 2019) comes to."""
        shaped = raw.str.contains(r"^[0-9]{11,20}$")
        self.reason(spec.name, [(raw.is_not_null() & ~shaped, "not_a_terminal_phone")], value=raw)
        stripped = raw.str.strip_chars_start("0")
        return pl.when(shaped).then(pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped))

    def enum(self, spec: ColumnSpec, raw: pl.Expr) -> pl.Expr:
        word = raw.str.to_lowercase()
        rules = [(raw.is_not_null() & ~word.is_in(spec.choices), "unknown_choice")]
        self.reason(spec.name, rules, value=raw, choices=spec.choices)
        return word


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
    ValueType.TERMINAL_PHONE: _Checks.terminal_phone,
}


def _check_asset_identifiers(frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A vehicle is identified by its VIN, anything else by its serial number; values stay as written."""
    asset_type = pl.col(_Checks.value_name("asset_type"))
    known_type = pl.col(_Checks.error_name("asset_type")).is_null()
    vehicle = known_type & (asset_type == "vehicle")
    checks.reason(
        "vin", [(vehicle & pl.col("vin").is_null(), "required_for_asset_type")], asset_type="vehicle"
    )
    checks.reason(
        "serial_no",
        [(known_type & (asset_type != "vehicle") & pl.col("serial_no").is_null(), "required_for_asset_type")],
        asset_type=asset_type,
    )
    return checks.merge_reasons(frame)


def _check_contract_dates(frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A first instalment falls due after the start; a restructuring happens on or after it."""
    start = pl.col(_Checks.value_name("start_date"))
    first_due, restructured = (pl.col(_Checks.value_name(c)) for c in ("first_due_date", "restructured_date"))
    checks.reason(
        "first_due_date",
        [(first_due.is_not_null() & start.is_not_null() & (first_due <= start), "first_due_not_after_start")],
        first_due_date=first_due,
        start_date=start,
    )
    checks.reason(
        "restructured_date",
        [
            (
                restructured.is_not_null() & start.is_not_null() & (restructured < start),
                "restructured_before_start",
            )
        ],
        restructured_date=restructured,
        start_date=start,
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
    number = pl.col(value("contract_no"))
    checks.reason(
        "contract_no", [(number.is_not_null() & ~known, "contract_not_in_store")], contract_no=number
    )
    checks.reason(
        "due_date",
        [(known & (due <= pl.col(_CONTRACT_START)), "due_not_after_start")],
        start_date=pl.col(_CONTRACT_START),
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
    faults: list[Rule] = [
        (~pl.col("_all_good"), "schedule_line_wrong"),
        ((pl.col("_numbers") != pl.col("_lines")) | (pl.col("_last") != pl.col("_lines")), "schedule_numbering"),
        (pl.col("_not_rising"), "schedule_dates_not_rising"),
        (pl.col("_principal") != pl.col("_expected"), "schedule_principal"),
    ]  # fmt: skip
    frame = frame.join(
        whole.select(
            per_contract, _chain(faults).alias("_schedule_fault"), "_lines", "_principal", "_expected"
        ),
        on=per_contract,
        how="left",
        maintain_order="left",
    )
    # A line that is wrong itself keeps its own reason; its good siblings are rejected for its sake.
    checks.coded(
        "number",
        pl.when(checks.row_is_good()).then(pl.col("_schedule_fault")),
        [code for _, code in faults if code],
        {"lines": pl.col("_lines"), "principal": pl.col("_principal"), "expected": pl.col("_expected")},
    )
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
            [(lessor.is_not_null() & ~lessor.is_in(list(references.lessors)), "unknown_lessor")],
            lessor=lessor,
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
        if kind in (CONTRACTS, ASSETS):
            checks.reason("contract_no", [(foreign, "contract_of_another_lessor")])
        if kind is ASSETS:
            # The register holds every lessor's assets whatever their contracts: one naming a contract not
            # loaded yet is registered, with a warning, and linked when its contract comes.
            checks.warn(
                "contract_no",
                [(number.is_not_null() & owner.is_null(), "contract_not_loaded_yet")],
                contract_no=number,
            )
        if kind is PAYMENTS:
            checks.reason(
                "contract_no",
                [(number.is_not_null() & owner.is_null(), "contract_not_in_store")],
                contract_no=number,
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
                    [(paid.is_not_null() & start.is_not_null() & (paid < start), "paid_before_start")],
                    start_date=start,
                )
    if kind in (VALUATIONS, TRACKERS):
        assets = references.assets.select(
            pl.col("lessor").alias(value("lessor")),
            pl.col("asset_id").alias(value("asset_id")),
            pl.lit(True).alias(_ASSET_KNOWN),
        )
        frame = frame.join(assets, on=[value("lessor"), value("asset_id")], how="left", maintain_order="left")
        lessor, asset_id = pl.col(value("lessor")), pl.col(value("asset_id"))
        unknown = (
            asset_id.is_not_null() & lessor.is_in(list(references.lessors)) & pl.col(_ASSET_KNOWN).is_null()
        )
        checks.reason("asset_id", [(unknown, "asset_not_in_store")], asset_id=asset_id, lessor=lessor)
    return checks.merge_reasons(frame)


_STORED_REMOVED = "_stored_removed"
_REMOVED = "_removed"  # the binding's end once the row is loaded: the file's, or the store's when not stated
_CONFLICT = "_conflict"
_CONFLICT_ASSET = "_conflict_asset"
_CONFLICT_SINCE = "_conflict_since"
_CONFLICT_UNTIL = "_conflict_until"


@dataclass
class _Binding:
    line: int | None  # None: a binding the store holds
    lessor: str
    asset_id: str
    installed_on: Any  # dt.date
    removed_on: Any  # dt.date or None (still fitted)

    def overlaps(self, other: _Binding) -> bool:
        return (self.removed_on is None or other.installed_on < self.removed_on) and (
            other.removed_on is None or self.installed_on < other.removed_on
        )


def _check_terminals(
    frame: pl.DataFrame, references: References, checks: _Checks, stated: set[str]
) -> pl.DataFrame:
    """A terminal is bound to one asset on any day: a binding holds from `installed_on` until `removed_on`
    (exclusive), and a row whose period overlaps another binding of its terminal — one the store holds, or a
    good row of the file taken before it (rows with an end first, then open ones, each in line order) — is
    refused naming that asset and its period (another lessor's: saying only that). A row restating a stored
    binding replaces it; without a `removed_on` column the stored end stays."""
    value = _Checks.value_name
    key = [value("lessor"), value("asset_id"), value("terminal_phone")]
    stored = references.terminals.select(
        pl.col("lessor").alias(key[0]),
        pl.col("asset_id").alias(key[1]),
        pl.col("terminal_phone").alias(key[2]),
        pl.col("removed_on").alias(_STORED_REMOVED),
    )
    frame = frame.join(stored, on=key, how="left", maintain_order="left")
    installed = pl.col(value("installed_on"))
    removed = pl.col(value("removed_on")) if "removed_on" in stated else pl.col(_STORED_REMOVED)
    frame = frame.with_columns(removed.alias(_REMOVED))
    checks.reason(
        "removed_on",
        [(installed.is_not_null() & pl.col(_REMOVED).is_not_null() & (pl.col(_REMOVED) <= installed),
          "removed_not_after_installed")],
        removed_on=pl.col(_REMOVED),
        installed_on=installed,
    )  # fmt: skip
    frame = checks.merge_reasons(frame)

    conflicts = _terminal_conflicts(frame, references, checks)
    frame = frame.join(conflicts, on=LINE, how="left", maintain_order="left")
    checks.coded(
        "terminal_phone",
        pl.col(_CONFLICT),
        ["terminal_of_another_lessor", "terminal_bound_elsewhere", "terminal_bound_then"],
        {
            "terminal_phone": pl.col("terminal_phone"),
            "asset_id": pl.col(_CONFLICT_ASSET),
            "installed_on": pl.col(_CONFLICT_SINCE),
            "removed_on": pl.col(_CONFLICT_UNTIL),
        },
    )
    return checks.merge_reasons(frame)


def _terminal_conflicts(frame: pl.DataFrame, references: References, checks: _Checks) -> pl.DataFrame:
    """Per line of a good row whose period overlaps another binding of its terminal: the reason's code, and the
    asset and period of the binding it overlaps. Only terminals with bindings of more than one asset (stored
    or in the file) are looked at one by one: a file of new terminals costs one polars pass."""
    value = _Checks.value_name
    schema = {
        LINE: pl.Int64,
        _CONFLICT: pl.String,
        _CONFLICT_ASSET: pl.String,
        _CONFLICT_SINCE: pl.Date,
        _CONFLICT_UNTIL: pl.Date,
    }
    rows = frame.filter(checks.row_is_good()).select(
        pl.col(LINE),
        pl.col(value("terminal_phone")).alias("terminal_phone"),
        pl.col(value("lessor")).alias("lessor"),
        pl.col(value("asset_id")).alias("asset_id"),
        pl.col(value("installed_on")).alias("installed_on"),
        pl.col(_REMOVED).alias("removed_on"),
    )
    held = references.terminals.join(rows.select("terminal_phone"), on="terminal_phone", how="semi")
    bindings = ["terminal_phone", "lessor", "asset_id"]
    keys = pl.concat([rows.select(bindings), held.select(bindings)])
    shared = keys.unique().group_by("terminal_phone").len().filter(pl.col("len") > 1).select("terminal_phone")
    if shared.is_empty():
        return pl.DataFrame(schema=schema)
    stored: dict[str, list[_Binding]] = {}
    for phone, lessor, asset_id, installed_on, removed_on in held.join(
        shared, on="terminal_phone", how="semi"
    ).iter_rows():
        stored.setdefault(phone, []).append(_Binding(None, lessor, asset_id, installed_on, removed_on))
    found: list[tuple[int, str, str | None, Any, Any]] = []
    # Bindings that end first, then those still open, each in line order: a file that ends one binding and
    # opens another of the same terminal is taken whatever order its lines are in.
    candidates = rows.join(shared, on="terminal_phone", how="semi").sort(
        pl.col("removed_on").is_null(), pl.col(LINE)
    )
    for (phone,), group in candidates.group_by(["terminal_phone"], maintain_order=True):
        accepted = {(b.lessor, b.asset_id): b for b in stored.get(str(phone), [])}
        restated: set[tuple[str, str]] = set()
        for line, _, lessor, asset_id, installed_on, removed_on in group.iter_rows():
            row = _Binding(line, lessor, asset_id, installed_on, removed_on)
            own = (lessor, asset_id)
            if own in restated:
                continue  # the same binding twice: refused as a duplicate line
            clash = next(
                (b for k, b in accepted.items() if k != own and b.overlaps(row)),
                None,
            )
            if clash is None:
                accepted[own] = row
                restated.add(own)
                continue
            if clash.lessor != lessor:
                found.append((line, "terminal_of_another_lessor", None, None, None))
            elif clash.removed_on is None:
                found.append((line, "terminal_bound_elsewhere", clash.asset_id, clash.installed_on, None))
            else:
                found.append(
                    (line, "terminal_bound_then", clash.asset_id, clash.installed_on, clash.removed_on)
                )
    return pl.DataFrame(found, schema=schema, orient="row")


def _check_duplicates(kind: KindSpec, frame: pl.DataFrame, checks: _Checks) -> pl.DataFrame:
    """A key seen twice in one file keeps its first good row; the later ones are rejected, naming it."""
    if kind is PAYMENTS:
        return frame  # identical payments are numbered by seq, so they never collide
    key = [_Checks.value_name(_file_column(kind, store)) for store in kind.key]
    # Kept as a column: the reason quotes it, and a window cannot be read again from the bad rows alone.
    frame = frame.with_columns(
        pl.when(checks.row_is_good()).then(pl.col(LINE)).min().over(key).alias(_FIRST_LINE)
    )
    first = pl.col(_FIRST_LINE)
    names = tuple(_file_column(kind, store) for store in kind.key)
    checks.reason(
        kind.duplicate_column,
        [(checks.row_is_good() & (pl.col(LINE) != first), "duplicate_of")],
        line=first,
        names=names,
    )
    return checks.merge_reasons(frame)


def _file_column(kind: KindSpec, store_column: str) -> str:
    return next(spec.name for spec in kind.columns if spec.store_column == store_column)


def _collect_errors(
    frame: pl.DataFrame,
    error_columns: list[tuple[str, str]],
    params: Mapping[tuple[str, str], Mapping[str, Param]],
    file: str,
) -> list[RowError]:
    """The bad values of `frame` as RowErrors, by line and then column; each reason's parameters are read
    from its rows only (they are few)."""
    order = {column: index for index, (column, _) in enumerate(error_columns)}
    found: list[RowError] = []
    for column, name in error_columns:
        bad = frame.filter(pl.col(name).is_not_null())
        for code in bad.get_column(name).unique(maintain_order=True):
            given = params.get((column, code), {})
            quoted = {n: v.cast(pl.String).alias(n) for n, v in given.items() if isinstance(v, pl.Expr)}
            fixed = {n: v for n, v in given.items() if not isinstance(v, pl.Expr)}
            rows = bad.filter(pl.col(name) == code).select(pl.col(LINE), *quoted.values())
            found.extend(
                RowError(file, line, column, code, {**fixed, **dict(zip(quoted, values, strict=True))})
                for line, *values in rows.iter_rows()
            )
    found.sort(key=lambda error: (error.line, order[error.column]))
    return found


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
