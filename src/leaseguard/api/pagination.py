"""Paging of list endpoints: `limit` with either `offset` or an opaque `cursor` from the previous page."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from leaseguard.api.params import STORED_INT_MAX
from leaseguard.tenancy.book import Window
from leaseguard.vocabulary import Label

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_CURSOR_TAG = "id:"

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next, null when this is the last."""

    items: list[Item]
    limit: int
    offset: int
    next_cursor: str | None = Field(description="Cursor of the next page, or null on the last page.")


def encode_cursor(last_id: int | None) -> str | None:
    if last_id is None:
        return None
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{last_id}".encode()).decode().rstrip("=")


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
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = text[len(_CURSOR_TAG) :]
        if (
            text.startswith(_CURSOR_TAG)
            and digits.isascii()
            and digits.isdigit()
            and int(digits) <= STORED_INT_MAX
        ):
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise _invalid("cursor", Label("不是本 API 返回的游标", "not a cursor returned by this API"), cursor)


def page_window(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=STORED_INT_MAX, description="Rows to skip (not with cursor).")] = 0,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> Window:
    if cursor is None:
        return Window(limit=limit, offset=offset)
    if offset:
        raise _invalid(
            "offset", Label("offset 和 cursor 只能用其一", "use either offset or cursor, not both"), offset
        )
    return Window(limit=limit, after_id=decode_cursor(cursor))
