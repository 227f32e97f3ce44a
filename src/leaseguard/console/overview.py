"""/ : the overview of the user's lessor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leaseguard.console.auth import ConsoleUser, require_user
from leaseguard.console.rendering import NavItem, add_nav, render
from leaseguard.tenancy import Action
from leaseguard.vocabulary import Label

router = APIRouter(include_in_schema=False)
TITLE = Label("概览", "Overview")
add_nav(NavItem("/", TITLE, Action.READ_CONTRACTS, order=0))


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, user: Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
) -> HTMLResponse:
    return render(request, "overview.html", {"title": TITLE.text(user.lang)})
