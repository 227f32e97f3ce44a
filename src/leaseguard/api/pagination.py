"""Paging of list endpoints: `limit` with either `offset` or an opaque `cursor` from the previous page."""

from __future__ import annotations

import re
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from leaseguard.api.params import STORED_INT_MAX
from leaseguard.tenancy.book import Window
from leaseguard.vocabulary import Label

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
CURSOR_DIGITS = re.compile(r"^[0-9]{1,19}$")

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next, null when this is the last."""

    items: list[Item]
    limit: int
    offset: int
    next_cursor: str | None = Field(description="Cursor of the next page, or null on the last page.")


def encode_cursor(last_id: int | None) -> str | None:
    """The cursor after row `last_id`: its id in decimal digits, which the OpenAPI can describe exactly."""
    return None if last_id is None else str(last_id)


def _invalid(field: str, message: Label, value: str | int) -> RequestValidationError:
    # The Label rides in `ctx`, so the problem document says it in the caller's language.
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", field),
                "msg": message.en,
                "input": value,
                "ctx": {"label": message},
            }
        ]
    )


def decode_cursor(cursor: str) -> int:
    """The row id a cursor names; a number beyond any stored id names the end (an empty page)."""
    if CURSOR_DIGITS.fullmatch(cursor):
        return min(int(cursor), STORED_INT_MAX)
    raise _invalid("cursor", Label("不是本 API 返回的游标", "not a cursor returned by this API"), cursor)


def page_window(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=STORED_INT_MAX, description="Rows to skip (not with cursor).")] = 0,
    cursor: Annotated[
        str | None,
        Query(
            json_schema_extra={"pattern": CURSOR_DIGITS.pattern},
            description="next_cursor of the previous page.",
        ),
    ] = None,
) -> Window:
    if cursor is None:
        return Window(limit=limit, offset=offset)
    if offset:
        raise _invalid(
            "offset", Label("offset 和 cursor 只能用其一", "use either offset or cursor, not both"), offset
        )
    return Window(limit=limit, after_id=decode_cursor(cursor))
