"""Screen a whole book, or a funding file before it is loaded: every pair (and cluster) of registrations that
are the same asset, and for a file one answer per asset.

The whole book: candidate pairs come from the indexes' shared keys (a self-join of sorted hashes, so
sequential neighbours that share no key are never compared); each candidate pair then goes through the same
`compare` as a single check, so a batch and a check never disagree.

A file: each of its assets is checked as `assets check` would check it alone against the store (the same
candidates, the same comparison, the store's price ranges), and against the file's other assets as if they
were registered — what the file itself reveals. A fleet of one lessee bought under one purchase contract is
not a set of duplicates (`compare` knows a fleet); the same truck at another lessor is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import polars as pl

from leaseguard.money import yuan_text
from leaseguard.registry.check import (
    AssetFacts,
    CheckOutcome,
    Match,
    Verdict,
    check_asset,
    compare,
    match_codes,
    reason_codes,
    shown_why,
    worst,
)
from leaseguard.registry.reasons import KIND_LABELS, VERDICT_LABELS, joined_text, kind_label, verdict_label
from leaseguard.registry.register import PriceBook, Register
from leaseguard.registry.rules import RegistryRules
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, Reason

MATCH_COLUMNS = (
    "lessor_a",
    "asset_id_a",
    "lessor_b",
    "asset_id_b",
    "match_kind",
    "score",
    "verdict",
    "cluster_id",
    "reasons",
)
FINDING_COLUMNS = (
    "lessor",
    "asset_id",
    "verdict",
    "reasons",
    "reason_codes",
    "asset_type",
    "vin",
    "serial_no",
    "engine_no",
    "manufacturer",
    "model",
    "invoice_amount",
    "invoice_date",
    "store_matches",
    "file_matches",
)


@dataclass(frozen=True)
class AssetScreen:
    """One asset of a screened file: what checking it alone says, and what the file's other assets reveal."""

    facts: AssetFacts
    asker: str  # the lessor it is screened for: what the answer may show of other lessors' registrations
    alone: CheckOutcome  # against the store, as `assets check` answers
    in_file: tuple[tuple[AssetFacts, Match], ...]  # matches with the file's other assets (compared as asked)

    @property
    def verdict(self) -> Verdict:
        return worst(self.alone.verdict, *(m.verdict for _, m in self.in_file))

    @property
    def why(self) -> list[Reason]:
        """Every finding as a reason: the asset's own, its matches in the store as the asker may see them, then
        its matches within the file (naming the other asset of the file)."""
        alone = [f.why for f in self.alone.findings] + [
            r for m in self.alone.matches for r in shown_why(m, self.asker)
        ]
        return alone + [_in_file(r, other.asset_id) for other, m in self.in_file for r in m.why]

    @property
    def codes(self) -> list[str]:
        """`reason_codes` of the check alone, then `file:<kind>` for each kind of match within the file."""
        within = [f"file:{c}" for _, m in self.in_file for c in match_codes(m, self.asker)]
        return list(dict.fromkeys(reason_codes(self.alone, self.asker) + within))


def _in_file(reason: Reason, asset_id: str | None) -> Reason:
    """A match's reason about another asset of the file: it names that asset, not a registration."""
    if "lessor" not in reason.params:
        return reason
    return Reason(reason.code, {**reason.params, "in_file": asset_id or "?"})


@dataclass(frozen=True)
class ScreenResult:
    matches: pl.DataFrame  # MATCH_COLUMNS, one row per pair with verdict review or block
    candidate_pairs: int
    assets: int
    # Rows of `register` behind each pair (aligned with `matches`), for summaries that show both side by side.
    pair_rows: list[tuple[int, int]] = field(default_factory=list)
    register: Register | StoreAndFile | None = None
    first_file_row: int | None = None  # a file screened: rows from here on are the file's
    findings: tuple[AssetScreen, ...] = ()  # a file screened: one per asset of the file, in file order
    # Screened for this lessor: other lessors' registrations are shown as a check shows them.
    masked_for: str | None = None

    def source(self, row: int) -> str:
        return "file" if self.first_file_row is not None and row >= self.first_file_row else "store"

    def masked(self, row: int, facts: AssetFacts) -> bool:
        """Whether the registration at `row` is another lessor's, shown only as a check would show it."""
        if self.masked_for is None or self.source(row) == "file":
            return False
        return facts.lessor != self.masked_for


def _clusters(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Connected components over matched pairs (union-find): each row → its cluster's smallest row."""
    parent: dict[int, int] = {}

    def find(row: int) -> int:
        parent.setdefault(row, row)
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return {row: find(row) for row in parent}


_MATCHES_SCHEMA = {
    "lessor_a": pl.String,
    "asset_id_a": pl.String,
    "lessor_b": pl.String,
    "asset_id_b": pl.String,
    "match_kind": pl.String,
    "score": pl.Float64,
    "verdict": pl.String,
    "cluster_id": pl.Int64,
    "reasons": pl.String,
}


def _matches_frame(
    found: Sequence[tuple[AssetFacts, AssetFacts, Match]], clusters: list[int], reasons: list[str]
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lessor_a": [a.lessor for a, _, _ in found],
            "asset_id_a": [a.asset_id for a, _, _ in found],
            "lessor_b": [b.lessor for _, b, _ in found],
            "asset_id_b": [b.asset_id for _, b, _ in found],
            "match_kind": [m.match_kind for _, _, m in found],
            "score": [m.score for _, _, m in found],
            "verdict": [m.verdict.value for _, _, m in found],
            "cluster_id": clusters,
            "reasons": reasons,
        },
        schema=_MATCHES_SCHEMA,
    )


# The stages a progress bar names, in the screen's language.
_CANDIDATES = Label("查找每项资产的候选", "find each asset's candidates")
_COMPARE_EACH = Label("逐项比对资产与候选", "compare each asset with its candidates")
_COMPARE_PAIRS = Label("比对候选对", "compare candidate pairs")


class StoreAndFile:
    """The store's register and a register of a file's rows read as one register over both, the store's rows
    first (row numbers as in the store's register) and the file's after them (from `first`).

    A deletion index answers row by row (no row's keys depend on another's), and a row's neighbour pruning on
    its own VIN and lessee, so the candidates of an asset in the pair of registers are exactly those in one
    register built over store and file together; the store's register is the one a server already keeps for
    checks, so a file is screened without indexing the whole register again."""

    def __init__(self, store: Register, file_rows: pl.DataFrame) -> None:
        self.store = store
        self.rules = store.rules
        self.first = len(store)
        self.file = Register(_aligned(file_rows, store.assets), store.rules)

    def __len__(self) -> int:
        return self.first + len(self.file)

    def facts(self, row: int) -> AssetFacts:
        return self.store.facts(row) if row < self.first else self.file.facts(row - self.first)

    def facts_of_rows(self, rows: list[int]) -> list[AssetFacts]:
        """The registrations at `rows` (store and file rows in any order), each side gathered in one step."""
        store_rows = [row for row in rows if row < self.first]
        file_rows = [row - self.first for row in rows if row >= self.first]
        found = dict(zip(store_rows, self.store.facts_of_rows(store_rows), strict=True))
        found.update(
            zip((row + self.first for row in file_rows), self.file.facts_of_rows(file_rows), strict=True)
        )
        return [found[row] for row in rows]

    def candidate_rows(self, asked: AssetFacts) -> set[int]:
        in_file = {self.first + row for row in self.file.candidate_rows(asked)}
        return self.store.candidate_rows(asked) | in_file


def screen_file(
    registered: pl.DataFrame | Register,
    file_rows: pl.DataFrame,
    rules: RegistryRules,
    *,
    lessor: str | None = None,
    lang: Lang = DEFAULT_LANG,
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreenResult:
    """Every asset of `file_rows` (store columns, not yet loaded) answered as a check of it alone against
    `registered` would answer, plus its matches with the file's other assets; and every pair that involves a
    file row: the same asset twice within the file, or a file row that is an asset already registered.

    With `lessor` the file is screened for that lessor: another lessor's registration shows only what a check
    shows it (its code, dates, the kind of match), in the findings, the pairs and the summaries. The matches
    frame has two more columns, `source_a` and `source_b` (`file` or `store`)."""
    register: Register | StoreAndFile
    if isinstance(registered, Register):
        # The store's register as it is (a server's, kept for checks) beside one of the file's rows.
        register = StoreAndFile(registered, file_rows)
        first, store_prices = register.first, registered.prices
    else:
        # One register over store and file: the store's rows are indexed exactly as in a register of the store
        # alone, so a file row's candidates among them are a check's; its candidates among the file's rows
        # are what the file reveals. Prices are the store's only, as a check sees them.
        combined = pl.concat([registered, _aligned(file_rows, registered)], how="vertical", rechunk=True)
        first = registered.height
        register = Register(combined, rules)
        store_prices = PriceBook(registered)
    file_range = range(first, first + file_rows.height)
    total = file_rows.height
    # Every asset's candidates first, then their registrations read in one gather (a check reads its own few
    # in one; a file's thousands of small gathers would cost more than the comparisons).
    facts_cache: dict[int, AssetFacts] = dict(
        zip(file_range, register.facts_of_rows(list(file_range)), strict=True)
    )
    candidates_of: list[set[int]] = []
    for done, row in enumerate(file_range, start=1):
        candidates_of.append(register.candidate_rows(facts_cache[row]) - {row})
        if progress and (done % 500 == 0 or done == total):
            progress(_CANDIDATES.text(lang), done, total)
    wanted = sorted({r for rows in candidates_of for r in rows if r < first})
    facts_cache.update(zip(wanted, register.facts_of_rows(wanted), strict=True))

    def facts(row: int) -> AssetFacts:
        return facts_cache[row]

    screened: list[AssetScreen] = []
    # (row_a, row_b) → the match as the file row asks it; within the file, as row_a asks it where both do.
    pairs: dict[tuple[int, int], Match] = {}
    candidate_pairs = 0
    for done, (row, candidates) in enumerate(zip(file_range, candidates_of, strict=True), start=1):
        asked = facts(row)
        candidate_pairs += len(candidates)
        store_rows = sorted(r for r in candidates if r < first)
        store_facts = [facts(r) for r in store_rows]
        row_of = {id(f): r for f, r in zip(store_facts, store_rows, strict=True)}
        alone = check_asset(asked, store_facts, rules, store_prices.reference(asked))
        in_file: list[tuple[AssetFacts, Match]] = []
        for other in sorted(r for r in candidates if r >= first):
            match = compare(asked, facts(other), rules)
            if match is None:
                continue
            in_file.append((facts(other), match))
            key = (min(row, other), max(row, other))
            if match.verdict is not Verdict.CLEAR and (key not in pairs or row == key[0]):
                pairs[key] = match
        for match in alone.matches:
            if match.verdict is not Verdict.CLEAR:
                pairs[(row_of[id(match.registration)], row)] = match
        screened.append(AssetScreen(asked, lessor or asked.lessor, alone, tuple(in_file)))
        if progress and (done % 500 == 0 or done == total):
            progress(_COMPARE_EACH.text(lang), done, total)

    ordered = sorted(pairs)
    clusters = _clusters(ordered)
    reasons = []
    for a, b in ordered:
        match = pairs[(a, b)]
        other_row = a if match.registration is facts(a) else b
        why: Iterable[Reason] = shown_why(match, lessor) if lessor else match.why
        if other_row >= first:
            why = [_in_file(r, facts(other_row).asset_id) for r in why]
        reasons.append(joined_text(why, lang))
    found = [(facts(a), facts(b), pairs[(a, b)]) for a, b in ordered]
    matches = _matches_frame(found, [clusters[a] for a, _ in ordered], reasons).with_columns(
        pl.Series("source_a", ["file" if a >= first else "store" for a, _ in ordered], dtype=pl.String),
        pl.Series("source_b", ["file" if b >= first else "store" for _, b in ordered], dtype=pl.String),
    )
    if lessor:
        # Another lessor's registration is shown as a check shows it: its lessor code, never its asset id.
        for side in ("a", "b"):
            hidden = (pl.col(f"source_{side}") == "store") & (pl.col(f"lessor_{side}") != lessor)
            matches = matches.with_columns(
                pl.when(hidden).then(None).otherwise(pl.col(f"asset_id_{side}")).alias(f"asset_id_{side}")
            )
    return ScreenResult(
        matches, candidate_pairs, file_rows.height, ordered, register, first, tuple(screened), lessor
    )


def _aligned(file_rows: pl.DataFrame, registered: pl.DataFrame) -> pl.DataFrame:
    """`file_rows` with exactly the registered frame's columns and types; a file row's financing is unknown."""
    columns = []
    for name, dtype in registered.schema.items():
        if name in file_rows.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return file_rows.select(columns)


def screen_register(
    register: Register,
    *,
    only_rows: set[int] | None = None,
    lang: Lang = DEFAULT_LANG,
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreenResult:
    """All matching pairs in `register`; with `only_rows`, only pairs touching those rows."""
    lessees = register.assets["lessee_id"]
    indexes = register.indexes
    candidates = (
        pl.concat(
            [
                indexes["vin"].pairs(suspect_rows=register.invalid_vin_rows, groups=lessees),
                indexes["engine_no"].pairs(groups=lessees),
                indexes["serial_no"].pairs(groups=lessees),
                indexes["invoice"].pairs(),
                indexes["purchase_terms"].pairs(),
                indexes["purchase_contract"].pairs(),
            ]
        )
        .unique()
        .sort("row_a", "row_b")
    )
    if only_rows is not None:
        wanted = pl.Series(sorted(only_rows), dtype=candidates["row_a"].dtype).implode()
        candidates = candidates.filter(pl.col("row_a").is_in(wanted) | pl.col("row_b").is_in(wanted))
    total = candidates.height
    facts_cache: dict[int, AssetFacts] = {}

    def facts(row: int) -> AssetFacts:
        if row not in facts_cache:
            facts_cache[row] = register.facts(row)
        return facts_cache[row]

    found: list[tuple[int, int, Match]] = []
    for done, (row_a, row_b) in enumerate(candidates.iter_rows(), start=1):
        match = compare(facts(row_a), facts(row_b), register.rules)
        if match is not None and match.verdict is not Verdict.CLEAR:
            found.append((row_a, row_b, match))
        if progress and (done % 50_000 == 0 or done == total):
            progress(_COMPARE_PAIRS.text(lang), done, total)
    clusters = _clusters([(a, b) for a, b, _ in found])
    frame = _matches_frame(
        [(facts(a), facts(b), m) for a, b, m in found],
        [clusters[a] for a, _, _ in found],
        [joined_text(m.why, lang) for *_, m in found],
    )
    return ScreenResult(frame, total, len(register), [(a, b) for a, b, _ in found], register)


def findings_frame(result: ScreenResult, lang: Lang = DEFAULT_LANG) -> pl.DataFrame:
    """One row per asset of the screened file (FINDING_COLUMNS): its verdict and every finding in words, the
    codes behind them, and the asset as the file describes it (amounts in yuan)."""
    rows = [
        {
            "lessor": s.facts.lessor,
            "asset_id": s.facts.asset_id,
            "verdict": s.verdict.value,
            "reasons": joined_text(s.why, lang),
            "reason_codes": ";".join(s.codes),
            "asset_type": s.facts.asset_type,
            "vin": s.facts.vin,
            "serial_no": s.facts.serial_no,
            "engine_no": s.facts.engine_no,
            "manufacturer": s.facts.manufacturer,
            "model": s.facts.model,
            "invoice_amount": yuan_text(s.facts.invoice_amount_fen) or None,
            "invoice_date": s.facts.invoice_date.isoformat() if s.facts.invoice_date else None,
            "store_matches": len(s.alone.matches),
            "file_matches": len(s.in_file),
        }
        for s in result.findings
    ]
    schema = {name: pl.String for name in FINDING_COLUMNS} | {
        "store_matches": pl.Int64,
        "file_matches": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


# --- Summaries a risk officer reads: the two registrations of each pair side by side, the findings per asset.

_HEADERS: dict[str, Label] = {
    "item": Label("项目", "item"),
    "count": Label("数量", "count"),
    "lessor": Label("出租人", "lessor"),
    "asset_id": Label("资产编号", "asset id"),
    "verdict": Label("结论", "verdict"),
    "reasons": Label("原因", "reasons"),
    "reason_codes": Label("原因代码", "reason codes"),
    "asset_type": Label("资产类型", "asset type"),
    "vin": Label("VIN（车架号）", "VIN"),
    "serial_no": Label("出厂编号", "serial no"),
    "engine_no": Label("发动机号", "engine no"),
    "manufacturer": Label("厂商", "manufacturer"),
    "model": Label("型号", "model"),
    "invoice": Label("发票代码/号码", "invoice code/no"),
    "invoice_amount": Label("发票金额（元）", "invoice amount (yuan)"),
    "invoice_date": Label("开票日期", "invoice date"),
    "registered_at": Label("登记日期", "registered on"),
    "financing": Label("融资状态", "financing"),
    "source": Label("来源", "source"),
    "store_matches": Label("登记簿匹配", "matches in the register"),
    "file_matches": Label("文件内匹配", "matches within the file"),
    "match_kind": Label("匹配类型", "kind of match"),
    "score": Label("相似度", "score"),
    "cluster_id": Label("群组", "cluster"),
}
_SIDE = {"a": Label("登记 A", "registration A"), "b": Label("登记 B", "registration B")}
_SOURCE = {"file": Label("本文件", "this file"), "store": Label("登记簿", "register")}
_FINANCING = {True: Label("存续", "active"), False: Label("已结束", "ended"), None: Label("未知", "unknown")}
_WITHHELD = Label("（不公开）", "(withheld)")
_OVERVIEW = {
    "screened": Label("筛查的资产", "assets screened"),
    "candidate_pairs": Label("比对的候选对", "candidate pairs compared"),
    "pairs": Label("匹配对", "matching pairs"),
    "clusters": Label("群组", "clusters"),
    "block": Label("拒绝的资产", "assets blocked"),
    "review": Label("需复核的资产", "assets to review"),
    "clear": Label("通过的资产", "assets clear"),
}
_TITLES = {
    "counts": Label("按结论和匹配类型", "By verdict and kind of match"),
    "findings": Label("逐项资产结论", "Findings per asset"),
    "pairs": Label("匹配对（拒绝在前）", "Pairs, blocks first"),
    "more": Label(
        "仅显示前 {shown} 对，共 {total} 对；CSV 文件包含全部。",
        "Showing the first {shown} of {total} pairs; the CSV holds them all.",
    ),
}
# Fonts that carry Chinese on Windows, macOS and Linux, before the generic family.
CJK_FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", system-ui, sans-serif'
)
_SIDE_FIELDS = (
    "source", "lessor", "asset_id", "vin", "engine_no", "serial_no", "invoice", "invoice_amount",
    "invoice_date", "registered_at", "financing",
)  # fmt: skip


def _sides(
    result: ScreenResult, pairs: Sequence[int], lang: Lang
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The two registrations of each of `pairs` (indexes into `result.matches`) as the summary shows them,
    read from the register in one gather."""
    assert result.register is not None
    rows = sorted({row for index in pairs for row in result.pair_rows[index]})
    facts = dict(zip(rows, result.register.facts_of_rows(rows), strict=True))
    return [
        (_side(result, a, facts[a], lang), _side(result, b, facts[b], lang))
        for a, b in (result.pair_rows[index] for index in pairs)
    ]


def _side(result: ScreenResult, row: int, facts: AssetFacts, lang: Lang) -> dict[str, Any]:
    """One registration of a pair as the summary shows it; another lessor's only as a check shows it."""
    source = result.source(row)
    shown: dict[str, Any] = {
        "source": _SOURCE[source].text(lang),
        "lessor": facts.lessor,
        "registered_at": facts.registered_at,
        "financing": _FINANCING[facts.financing_active].text(lang) if source == "store" else None,
    }
    if result.masked(row, facts):
        withheld = _WITHHELD.text(lang)
        shown |= dict.fromkeys(("asset_id", "vin", "engine_no", "serial_no", "invoice"), withheld)
        shown |= {"invoice_amount": None, "invoice_date": None}
        return shown
    invoice = "/".join(part for part in (facts.invoice_code, facts.invoice_no) if part) or None
    return shown | {
        "asset_id": facts.asset_id,
        "vin": facts.vin,
        "engine_no": facts.engine_no,
        "serial_no": facts.serial_no,
        "invoice": invoice,
        "invoice_amount": facts.invoice_amount_fen,
        "invoice_date": facts.invoice_date,
    }


def _ordered_pairs(result: ScreenResult) -> list[int]:
    """Indexes of the pairs, blocks first, then by score."""
    verdicts, scores = result.matches["verdict"].to_list(), result.matches["score"].to_list()
    return sorted(range(len(verdicts)), key=lambda i: (verdicts[i] != "block", -scores[i], i))


def _overview(result: ScreenResult) -> list[tuple[str, int]]:
    items = [
        ("screened", result.assets),
        ("candidate_pairs", result.candidate_pairs),
        ("pairs", result.matches.height),
        ("clusters", result.matches["cluster_id"].n_unique()),
    ]
    if result.findings:
        verdicts = [s.verdict.value for s in result.findings]
        items += [(v, verdicts.count(v)) for v in ("block", "review", "clear")]
    return items


def _counts(result: ScreenResult) -> list[tuple[str, str, int]]:
    """Pairs by verdict (blocks first) and kind of match (the most frequent first)."""
    counts = result.matches.group_by("verdict", "match_kind").len().iter_rows()
    found = [(str(v), str(k), int(n)) for v, k, n in counts]
    return sorted(found, key=lambda c: (-Verdict(c[0]).rank, -c[2], c[1]))


def write_summary(result: ScreenResult, path: Path, *, lang: Lang = DEFAULT_LANG) -> None:
    """A workbook a risk officer can read (`sheets.write_sheets`: a header row in words over the machine
    names, amounts in yuan as numbers, dates as dates): the counts, every pair with its two registrations side
    by side, worst first, and for a file the findings per asset."""
    from leaseguard.sheets import Column, Kind, Sheet, write_sheets

    def column(name: str, label: Label, kind: Kind = "text", labels: dict[str, str] | None = None) -> Column:
        return Column(name, label.zh, kind, labels=labels, english=label.en)

    kinds = {code: label.text(lang) for code, label in KIND_LABELS.items()}
    verdicts = {code: label.text(lang) for code, label in VERDICT_LABELS.items()}
    overview = [(_OVERVIEW[name].text(lang), count) for name, count in _overview(result)]
    overview += [(f"{verdicts.get(v, v)} · {kinds.get(k, k)}", n) for v, k, n in _counts(result)]
    summary = Sheet(
        "summary", [column("item", _HEADERS["item"]), column("count", _HEADERS["count"], "integer")], overview
    )
    side_kinds: dict[str, Kind] = {
        "invoice_amount": "money_fen",
        "invoice_date": "date",
        "registered_at": "date",
    }

    def side_column(name: str, side: str) -> Column:
        label = Label(f"{_SIDE[side].zh} {_HEADERS[name].zh}", f"{_SIDE[side].en} {_HEADERS[name].en}")
        return column(f"{name}_{side}", label, side_kinds.get(name, "text"))

    pair_columns = [
        column("verdict", _HEADERS["verdict"], labels=verdicts),
        column("match_kind", _HEADERS["match_kind"], labels=kinds),
        column("score", _HEADERS["score"], "ratio"),
        column("cluster_id", _HEADERS["cluster_id"], "integer"),
        *(side_column(name, "a") for name in _SIDE_FIELDS),
        *(side_column(name, "b") for name in _SIDE_FIELDS),
        column("reasons", _HEADERS["reasons"]),
    ]
    pair_rows = []
    ordered = _ordered_pairs(result)
    records = result.matches.to_dicts()
    for index, sides in zip(ordered, _sides(result, ordered, lang), strict=True):
        row = records[index]
        pair_rows.append(
            [row["verdict"], row["match_kind"], row["score"], row["cluster_id"]]
            + [sides[0][name] for name in _SIDE_FIELDS]
            + [sides[1][name] for name in _SIDE_FIELDS]
            + [row["reasons"]]
        )
    sheets = [summary, Sheet("pairs", pair_columns, pair_rows)]
    if result.findings:
        finding_kinds: dict[str, Kind] = {
            "invoice_amount": "money_fen", "invoice_date": "date", "store_matches": "integer",
            "file_matches": "integer",
        }  # fmt: skip
        finding_labels = {"verdict": verdicts, "asset_type": _asset_types(lang)}
        finding_columns = [
            column(name, _HEADERS[name], finding_kinds.get(name, "text"), finding_labels.get(name))
            for name in FINDING_COLUMNS
        ]
        # The same lines as findings.csv, with the amount in fen and the date as a date for the sheet to format.
        native = {
            "invoice_amount": lambda s: s.facts.invoice_amount_fen,
            "invoice_date": lambda s: s.facts.invoice_date,
        }
        rows = [
            [
                native[name](s) if name in native else value
                for name, value in zip(FINDING_COLUMNS, line, strict=True)
            ]
            for s, line in zip(result.findings, findings_frame(result, lang).iter_rows(), strict=True)
        ]
        sheets.append(Sheet("findings", finding_columns, rows))
    write_sheets(path, sheets, lang=lang)


def _asset_types(lang: Lang) -> dict[str, str]:
    from leaseguard.vocabulary import TERM_LABELS, TERM_LABELS_EN

    return dict(TERM_LABELS if lang == "zh" else TERM_LABELS_EN)


HTML_PAIRS_SHOWN = 5_000


def write_html_summary(result: ScreenResult, path: Path, *, title: str, lang: Lang = DEFAULT_LANG) -> None:
    """One self-contained page a risk officer can open in a browser: the counts, the findings per asset (a
    file screened), then the pairs with their two registrations side by side, worst first (the first
    HTML_PAIRS_SHOWN; matches.csv has them all)."""

    def header(name: str) -> str:
        return _HEADERS[name].text(lang)

    def cells(values: Iterable[object], tag: str = "td") -> str:
        return "".join(f"<{tag}>{escape(_html_value(v))}</{tag}>" for v in values)

    overview = "".join(
        f"<tr><th>{escape(_OVERVIEW[name].text(lang))}</th><td>{count:,}</td></tr>"
        for name, count in _overview(result)
    )
    counts = "".join(
        f"<tr>{cells((verdict_label(v, lang), kind_label(k, lang), f'{n:,}'))}</tr>"
        for v, k, n in _counts(result)
    )
    findings_html = ""
    if result.findings:
        shown_columns = ("lessor", "asset_id", "verdict", "reasons", "vin", "serial_no", "engine_no",
                         "invoice_amount")  # fmt: skip
        classes = {"reasons": ' class="wrap"', "invoice_amount": ' class="number"'}

        def finding_cell(name: str, screened: AssetScreen, value: object) -> str:
            if name == "verdict":
                value = verdict_label(str(value), lang)
            elif name == "invoice_amount":
                value = yuan_text(screened.facts.invoice_amount_fen, grouped=True)
            return f"<td{classes.get(name, '')}>{escape(_html_value(value))}</td>"

        # Blocks first, then reviews, then the assets that are clear, each in file order: a funding file of a
        # thousand assets puts what needs a person at the top of the page.
        lines = zip(result.findings, findings_frame(result, lang).iter_rows(named=True), strict=True)
        rows = "".join(
            f'<tr class="{escape(line["verdict"])}">'
            + "".join(finding_cell(name, screened, line[name]) for name in shown_columns)
            + "</tr>"
            for screened, line in sorted(lines, key=lambda pair: -pair[0].verdict.rank)
        )
        findings_html = (
            f"<h2>{escape(_TITLES['findings'].text(lang))}</h2>"
            f'<table class="findings"><tr>{cells((header(c) for c in shown_columns), "th")}</tr>{rows}</table>'
        )
    ordered = _ordered_pairs(result)[:HTML_PAIRS_SHOWN]
    records = result.matches.to_dicts()
    pair_rows = []
    for index, sides in zip(ordered, _sides(result, ordered, lang), strict=True):
        row = records[index]
        for side in sides:
            side["invoice_amount"] = yuan_text(side["invoice_amount"], grouped=True) or None
        head = (
            f'<tr class="{escape(row["verdict"])} pair"><th colspan="3">'
            f"{escape(verdict_label(row['verdict'], lang))} · {escape(kind_label(row['match_kind'], lang))}"
            f" · {header('score')} {row['score']:.2f} · {header('cluster_id')} {row['cluster_id']}</th></tr>"
        )
        body = "".join(
            f"<tr><th>{escape(header(name))}</th>{cells((sides[0][name], sides[1][name]))}</tr>"
            for name in _SIDE_FIELDS
        )
        reasons = escape(row["reasons"] or "")
        why = f'<tr><th>{escape(header("reasons"))}</th><td class="wrap" colspan="2">{reasons}</td></tr>'
        pair_rows.append(head + body + why)
    more = ""
    if result.matches.height > HTML_PAIRS_SHOWN:
        note = _TITLES["more"].text(lang, shown=f"{HTML_PAIRS_SHOWN:,}", total=f"{result.matches.height:,}")
        more = f"<p>{escape(note)}</p>"
    pairs_html = (
        f'<table class="pairs"><tr><th></th>{cells((_SIDE["a"].text(lang), _SIDE["b"].text(lang)), "th")}</tr>'
        + "".join(pair_rows)
        + "</table>"
    )
    page = f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body{{font-family:{CJK_FONT_STACK};margin:2rem;color:#222}} table{{border-collapse:collapse;margin:1rem 0}}
th,td{{border:1px solid #ccc;padding:.25rem .5rem;font-size:.9rem;text-align:left;vertical-align:top}}
th{{background:#f3f3f3;font-weight:600;white-space:nowrap}} td{{white-space:nowrap}}
td.wrap{{white-space:normal;min-width:24rem;word-break:keep-all;overflow-wrap:anywhere}} td.number{{text-align:right}}
tr.block td,tr.block.pair th{{background:#fde8e8}} tr.review td,tr.review.pair th{{background:#fff6dd}}
table.pairs td{{min-width:14rem}}
</style></head><body>
<h1>{escape(title)}</h1>
<table>{overview}</table>
<h2>{escape(_TITLES["counts"].text(lang))}</h2>
<table><tr>{cells((header("verdict"), header("match_kind"), header("count")), "th")}</tr>{counts}</table>
{findings_html}
<h2>{escape(_TITLES["pairs"].text(lang))}</h2>{more}
{pairs_html}
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def _html_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
