"""/imports and /imports/{id}: the lessor's import runs, for the roles that may read them (admin, compliance).
A small page, and the console's example of one a role may not see: analysts and lawyers find it neither in
the navigation nor behind its address (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.api.imports import ImportRunOut
from leaseguard.console.auth import ConsoleUser, require_user
from leaseguard.console.rendering import NavItem, add_nav, render
from leaseguard.errors import NotFoundError
from leaseguard.tenancy import Action, book
from leaseguard.tenancy.book import Window
from leaseguard.vocabulary import Label

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
TITLE = Label("导入记录", "Imports")
add_nav(NavItem("/imports", TITLE, Action.READ_IMPORTS, order=80))

CanReadImports = Annotated[ConsoleUser, Depends(require_user(Action.READ_IMPORTS))]


@router.get("/imports", response_class=HTMLResponse)
def import_runs(
    request: Request,
    user: CanReadImports,
    after: Annotated[int | None, Query(ge=1, description="Show the runs older than this run id.")] = None,
) -> HTMLResponse:
    """The newest import runs of the user's lessor, a page at a time (keyset: never a count of the table)."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        found = book.list_import_runs(session, user.lessor, Window(limit=PAGE_ROWS, after_id=after))
        runs = [ImportRunOut.of(row, user.lang) for row in found.rows]
    return render(
        request,
        "imports.html",
        {"title": TITLE.text(user.lang), "runs": runs, "next_after": found.last_id_if_more},
    )


@router.get("/imports/{run_id}", response_class=HTMLResponse)
def import_run(request: Request, user: CanReadImports, run_id: str) -> HTMLResponse:
    """One import run of the user's lessor; another lessor's run is as absent as one that never was."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    row = None
    if run_id.isdigit() and len(run_id) < 19:
        with sessions() as session:
            row = book.get_import_run(session, user.lessor, int(run_id))
    if row is None:
        raise NotFoundError(Label("没有导入记录 {run_id}", "no import run {run_id}"), run_id=run_id)
    run = ImportRunOut.of(row, user.lang)
    title = Label("导入记录 {id}", "Import run {id}").text(user.lang, id=run.id)
    return render(request, "import_run.html", {"title": title, "run": run})
