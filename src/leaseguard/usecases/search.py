"""Find things at one lessor by what a person has at hand: the start of a contract number, of a lessee's name
or id (resident ID, unified social credit code), of a VIN, serial number or invoice number.

`search(session, lessor, text)` answers with one group per kind that has hits, each a page of hits in the
kind's order and a cursor for the next page (`search(..., kind=…, after=cursor)`). The console's /search is a
page over it; the API and the CLI can answer from it the same way.

Fast on any book: every kind is a prefix (or equality) read of an index that starts with the lessor
(migration 0016), in the index's order, a page at a time by keyset — a page reads a few dozen index entries
whether the lessor has a thousand contracts or a million. So it matches the *start* of a value, not any part
of it. On SQLite the prefix is a range (binary collation: code point order); on PostgreSQL `LIKE 'prefix%'`,
which the indexes' text_pattern_ops class answers in any collation. A code (number, id, VIN) is also looked
for in capitals, and full-width letters and digits typed by a Chinese input method are read as their ASCII
twins; a name is matched as typed."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, Select, and_, func, select, tuple_
from sqlalchemy.orm import Session

from leaseguard.errors import InvalidInputError
from leaseguard.money import yuan_text
from leaseguard.store.db import as_date
from leaseguard.store.models import Asset, Contract
from leaseguard.usecases.lookup import classes_now, not_by_index
from leaseguard.vocabulary import Label

MIN_CHARS = 2
MAX_CHARS = 64
PREVIEW_HITS = 10  # hits per kind when every kind is searched
PAGE_HITS = 50  # hits per page of one kind


class SearchKind(StrEnum):
    CONTRACT_NO = "contract_no"
    LESSEE_NAME = "lessee_name"
    LESSEE_ID = "lessee_id"
    VIN = "vin"
    SERIAL_NO = "serial_no"
    INVOICE_NO = "invoice_no"


KIND_LABELS: dict[SearchKind, Label] = {
    SearchKind.CONTRACT_NO: Label("合同（合同编号）", "Contracts (contract number)"),
    SearchKind.LESSEE_NAME: Label("承租人（名称）", "Lessees (name)"),
    SearchKind.LESSEE_ID: Label("承租人（证件号码）", "Lessees (ID number)"),
    SearchKind.VIN: Label("租赁物（车架号）", "Assets (VIN)"),
    SearchKind.SERIAL_NO: Label("租赁物（出厂编号）", "Assets (serial number)"),
    SearchKind.INVOICE_NO: Label("租赁物（发票号码）", "Assets (invoice number)"),
}


class ContractHit(BaseModel):
    contract_no: str
    lessee_id: str
    lessee_name: str
    start_date: dt.date
    term_months: int
    principal: str
    principal_fen: int
    klass: str | None = Field(description="The class on the latest daily run that classified it, if any.")


class LesseeHit(BaseModel):
    lessee_id: str
    lessee_name: str
    contracts: int = Field(description="How many of the lessor's contracts name this lessee (and name).")


class AssetHit(BaseModel):
    asset_id: str
    asset_type: str
    vin: str | None
    serial_no: str | None
    invoice_no: str | None
    manufacturer: str | None
    model: str | None
    lessee_id: str
    lessee_name: str
    contract_no: str | None


Hit = ContractHit | LesseeHit | AssetHit


class SearchGroup(BaseModel):
    kind: SearchKind
    hits: list[Hit]
    next_after: str | None = Field(
        description="Pass as `after` with this kind for the next page; null: no more."
    )


class SearchAnswer(BaseModel):
    text: str = Field(description="The text as searched (trimmed).")
    kind: SearchKind | None = Field(description="The one kind searched; null: every kind.")
    groups: list[SearchGroup] = Field(description="The kinds with hits, in the order of SearchKind.")

    @property
    def empty(self) -> bool:
        return not self.groups


class SearchTextError(InvalidInputError):
    """A search that cannot be run as typed: empty, too short, too long, an unknown kind or a bad page cursor."""


EMPTY = Label("请输入要查询的内容。", "Type something to search for.")
TOO_SHORT = Label(
    "请至少输入 {least} 个字符（合同编号、承租人名称或证件号码、车架号、出厂编号、发票号码的开头）。",
    "Type at least {least} characters (the start of a contract number, lessee name or ID, VIN, serial or "
    "invoice number).",
)
TOO_LONG = Label("查询内容最多 {most} 个字符。", "A search is at most {most} characters.")
UNKNOWN_KIND = Label("没有这种查询类别：{kind}", "no such kind of search: {kind}")
BAD_CURSOR = Label("翻页参数无效，请重新查询。", "The page link is not valid; search again.")


def search_kind(value: str | None) -> SearchKind | None:
    """The kind a caller named ("" or None: every kind); SearchTextError for one that is not a kind."""
    if not value:
        return None
    try:
        return SearchKind(value)
    except ValueError:
        raise SearchTextError(UNKNOWN_KIND, kind=value) from None


def checked_text(text: str | None) -> str:
    """The text to search for, trimmed; SearchTextError when it is empty, too short or too long."""
    trimmed = (text or "").strip()
    if not trimmed:
        raise SearchTextError(EMPTY)
    if len(trimmed) < MIN_CHARS:
        raise SearchTextError(TOO_SHORT, least=MIN_CHARS)
    if len(trimmed) > MAX_CHARS:
        raise SearchTextError(TOO_LONG, most=MAX_CHARS)
    return trimmed


def search(
    session: Session,
    lessor: str,
    text: str | None,
    *,
    kind: SearchKind | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> SearchAnswer:
    """`lessor`'s contracts, lessees and assets whose number, name or identifier starts with `text`.

    Every kind (`PREVIEW_HITS` hits each), or one `kind` a page at a time (`PAGE_HITS`), continuing after the
    cursor `after` of the previous page. Only `lessor`'s rows are read: its code leads every WHERE clause."""
    wanted = checked_text(text)
    if after is not None and kind is None:
        raise SearchTextError(BAD_CURSOR)
    size = limit if limit is not None else PAGE_HITS if kind is not None else PREVIEW_HITS
    position = _decode(after, kind) if after is not None and kind is not None else None
    connection = session.connection()
    prefix = _prefix_matcher(connection.dialect.name)
    groups = []
    for each in [kind] if kind is not None else list(SearchKind):
        hits, more = _SEARCHES[each](connection, lessor, wanted, prefix, position, size)
        if hits:
            groups.append(SearchGroup(kind=each, hits=hits, next_after=_encode(each, more)))
    return SearchAnswer(text=wanted, kind=kind, groups=groups)


# --- the kinds ---------------------------------------------------------------------------------------------

Prefix = Callable[[Any, str], ColumnElement[bool]]
Key = tuple[Any, ...]


def _code_variants(text: str) -> list[str]:
    """A code as typed, and in capitals: full-width letters and digits (an input method's) read as ASCII."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return list(dict.fromkeys([folded, folded.upper()]))


def _page(
    connection: Connection,
    queries: Sequence[Select],
    key: Callable[[Any], Key],
    size: int,
) -> tuple[list[Any], Key | None]:
    """The first `size` rows of the queries' results merged in key order (each query already ordered and
    limited to size + 1), and the last row's key when there are more."""
    rows: dict[Key, Any] = {}
    for query in queries:
        for row in connection.execute(query.limit(size + 1)).all():
            rows.setdefault(key(row), row)
    ordered = [rows[k] for k in sorted(rows)]
    page = ordered[:size]
    return page, key(page[-1]) if len(ordered) > size and page else None


def _contracts_by_number(
    connection: Connection, lessor: str, text: str, prefix: Prefix, after: Key | None, size: int
) -> tuple[list[Hit], Key | None]:
    queries = []
    for variant in _code_variants(text):
        query = select(Contract).where(Contract.lessor == lessor, prefix(Contract.contract_no, variant))
        if after is not None:
            query = query.where(Contract.contract_no > after[0])
        queries.append(query.order_by(Contract.contract_no))
    rows, more = _page(connection, queries, lambda row: (row.contract_no,), size)
    classes = classes_now(connection, lessor, [row.contract_no for row in rows])
    hits: list[Hit] = [
        ContractHit(
            contract_no=row.contract_no,
            lessee_id=row.lessee_id,
            lessee_name=row.lessee_name,
            start_date=as_date(row.start_date),
            term_months=row.term_months,
            principal=yuan_text(row.principal_fen),
            principal_fen=row.principal_fen,
            klass=classes[row.contract_no].klass if row.contract_no in classes else None,
        )
        for row in rows
    ]
    return hits, more


def _lessees_by_name(
    connection: Connection, lessor: str, text: str, prefix: Prefix, after: Key | None, size: int
) -> tuple[list[Hit], Key | None]:
    # Read in the index's order (lessor, name, id): a page of lessees stops after a page of groups.
    query = select(Contract.lessee_name, Contract.lessee_id, func.count().label("contracts")).where(
        Contract.lessor == lessor, prefix(Contract.lessee_name, text)
    )
    if after is not None:
        query = query.where(tuple_(Contract.lessee_name, Contract.lessee_id) > tuple_(after[0], after[1]))
    query = query.group_by(Contract.lessee_name, Contract.lessee_id).order_by(
        Contract.lessee_name, Contract.lessee_id
    )
    rows, more = _page(connection, [query], lambda row: (row.lessee_name, row.lessee_id), size)
    hits: list[Hit] = [
        LesseeHit(lessee_id=row.lessee_id, lessee_name=row.lessee_name, contracts=int(row.contracts))
        for row in rows
    ]
    return hits, more


def _lessees_by_id(
    connection: Connection, lessor: str, text: str, prefix: Prefix, after: Key | None, size: int
) -> tuple[list[Hit], Key | None]:
    queries = []
    for variant in _code_variants(text):
        query = select(
            Contract.lessee_id,
            func.max(Contract.lessee_name).label("lessee_name"),
            func.count().label("contracts"),
        ).where(Contract.lessor == lessor, prefix(Contract.lessee_id, variant))
        if after is not None:
            query = query.where(Contract.lessee_id > after[0])
        queries.append(query.group_by(Contract.lessee_id).order_by(Contract.lessee_id))
    rows, more = _page(connection, queries, lambda row: (row.lessee_id,), size)
    hits: list[Hit] = [
        LesseeHit(lessee_id=row.lessee_id, lessee_name=row.lessee_name, contracts=int(row.contracts))
        for row in rows
    ]
    if after is None and not hits:
        hits = _asset_only_lessee(connection, lessor, _code_variants(text))
    return hits, more


def _asset_only_lessee(connection: Connection, lessor: str, ids: Sequence[str]) -> list[Hit]:
    """A lessee known by its assets only (no contract yet), found by its whole id: an exact read of the
    assets' lessee index."""
    rows = connection.execute(
        select(Asset.lessee_id, func.max(Asset.lessee_name).label("lessee_name"))
        .where(Asset.lessee_id.in_(list(ids)), not_by_index(Asset.lessor) == lessor)
        .group_by(Asset.lessee_id)
        .order_by(Asset.lessee_id)
    ).all()
    return [LesseeHit(lessee_id=row.lessee_id, lessee_name=row.lessee_name, contracts=0) for row in rows]


def _assets_by(column: Any) -> Callable[..., tuple[list[Hit], Key | None]]:
    def assets(
        connection: Connection, lessor: str, text: str, prefix: Prefix, after: Key | None, size: int
    ) -> tuple[list[Hit], Key | None]:
        queries = []
        for variant in _code_variants(text):
            query = select(Asset.__table__).where(Asset.lessor == lessor, prefix(column, variant))
            if after is not None:
                query = query.where(tuple_(column, Asset.id) > tuple_(after[0], after[1]))
            queries.append(query.order_by(column, Asset.id))
        rows, more = _page(connection, queries, lambda row: (row._mapping[column.key], row.id), size)
        hits: list[Hit] = [
            AssetHit(
                asset_id=row.asset_id,
                asset_type=row.asset_type,
                vin=row.vin,
                serial_no=row.serial_no,
                invoice_no=row.invoice_no,
                manufacturer=row.manufacturer,
                model=row.model,
                lessee_id=row.lessee_id,
                lessee_name=row.lessee_name,
                contract_no=row.contract_no,
            )
            for row in rows
        ]
        return hits, more

    return assets


_SEARCHES: dict[SearchKind, Callable[..., tuple[list[Hit], Key | None]]] = {
    SearchKind.CONTRACT_NO: _contracts_by_number,
    SearchKind.LESSEE_NAME: _lessees_by_name,
    SearchKind.LESSEE_ID: _lessees_by_id,
    SearchKind.VIN: _assets_by(Asset.vin),
    SearchKind.SERIAL_NO: _assets_by(Asset.serial_no),
    SearchKind.INVOICE_NO: _assets_by(Asset.invoice_no),
}


# --- prefixes and cursors ----------------------------------------------------------------------------------

_SURROGATES = range(0xD800, 0xE000)


def prefix_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (code point order), or None when there
    is none (a prefix of U+10FFFF only). "ab" → "ac"."""
    chars = list(prefix)
    while chars:
        point = ord(chars[-1]) + 1
        if point in _SURROGATES:
            point = _SURROGATES.stop
        if point <= 0x10FFFF:
            chars[-1] = chr(point)
            return "".join(chars)
        chars.pop()
    return None


def _prefix_matcher(dialect: str) -> Prefix:
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case and so reads no ordinary index; a range in the column's binary
        # collation (UTF-8 bytes order as code points do) reads the index from the prefix to its bound.
        def by_range(column: Any, prefix: str) -> ColumnElement[bool]:
            bound = prefix_bound(prefix)
            return column >= prefix if bound is None else and_(column >= prefix, column < bound)

        return by_range

    def by_like(column: Any, prefix: str) -> ColumnElement[bool]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matched: ColumnElement[bool] = column.like(escaped + "%", escape="\\")
        return matched

    return by_like


def _encode(kind: SearchKind, key: Key | None) -> str | None:
    if key is None:
        return None
    raw = json.dumps([kind.value, *key], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


_KEY_SHAPES: dict[SearchKind, tuple[type, ...]] = {
    SearchKind.CONTRACT_NO: (str,),
    SearchKind.LESSEE_NAME: (str, str),
    SearchKind.LESSEE_ID: (str,),
    SearchKind.VIN: (str, int),
    SearchKind.SERIAL_NO: (str, int),
    SearchKind.INVOICE_NO: (str, int),
}


def _decode(cursor: str, kind: SearchKind) -> Key:
    """The key a cursor of `kind` holds; SearchTextError for anything else (edited, or of another kind)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SearchTextError(BAD_CURSOR) from None
    shape = _KEY_SHAPES[kind]
    if (
        not isinstance(value, list)
        or len(value) != len(shape) + 1
        or value[0] != kind.value
        or not all(type(part) is expected for part, expected in zip(value[1:], shape, strict=True))
    ):
        raise SearchTextError(BAD_CURSOR)
    return tuple(value[1:])


__all__ = [
    "KIND_LABELS",
    "MAX_CHARS",
    "MIN_CHARS",
    "AssetHit",
    "ContractHit",
    "LesseeHit",
    "SearchAnswer",
    "SearchGroup",
    "SearchKind",
    "SearchTextError",
    "checked_text",
    "search",
    "search_kind",
]
