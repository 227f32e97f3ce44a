"""Routes for import runs: a tenant's admin and compliance keys see the runs of files of its own rows only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.pagination import Page, encode_cursor, page_window
from leaseguard.api.problems import problem_responses, request_lang
from leaseguard.store.models import ImportRun
from leaseguard.tenancy import Action, Principal, book
from leaseguard.tenancy.book import Window
from leaseguard.timestamps import UtcDatetime
from leaseguard.vocabulary import DEFAULT_LANG, Lang

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_IMPORTS))]


class ImportRunOut(BaseModel):
    id: int
    file_name: str
    file_sha256: str
    kind: str
    encoding: str | None
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    status: str
    code: str | None = Field(
        description="What became of the file, for machines: summary, or the problem that refused it "
        "(e.g. missing_columns, unreadable_encoding); null for a run recorded without one."
    )
    message: str | None = Field(description="What became of the file, in the Accept-Language language.")
    started_at: UtcDatetime
    finished_at: UtcDatetime | None

    @classmethod
    def of(cls, row: ImportRun, lang: Lang = DEFAULT_LANG) -> ImportRunOut:
        from leaseguard.ingest.reasons import file_message

        message = row.message
        if row.message_code:
            message = file_message(row.file_name, row.message_code, row.message_params or {}, lang)
        return cls(
            id=row.id,
            file_name=row.file_name,
            file_sha256=row.file_sha256,
            kind=row.kind,
            encoding=row.encoding,
            rows_read=row.rows_read,
            rows_inserted=row.rows_inserted,
            rows_updated=row.rows_updated,
            rows_unchanged=row.rows_unchanged,
            rows_rejected=row.rows_rejected,
            status=row.status,
            code=row.message_code,
            message=message,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@router.get("", summary="List your import runs, newest first (admin and compliance)")
def list_imports(
    request: Request,
    principal: CanRead,
    session: SessionDep,
    window: Annotated[Window, Depends(page_window)],
) -> Page[ImportRunOut]:
    found = book.list_import_runs(session, principal.lessor, window)
    lang = request_lang(request)
    return Page[ImportRunOut](
        items=[ImportRunOut.of(row, lang) for row in found.rows],
        limit=window.limit,
        offset=window.offset,
        next_cursor=encode_cursor(found.last_id_if_more),
    )
