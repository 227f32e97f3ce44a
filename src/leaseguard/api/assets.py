"""Routes for one tenant's leased assets and their valuations."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.identifiers import names_the_sub_resource
from leaseguard.api.pagination import Page, encode_cursor, page_window
from leaseguard.api.problems import ProblemError, problem_responses
from leaseguard.money import yuan_text
from leaseguard.store.models import Asset, Valuation
from leaseguard.tenancy import Action, Principal, book, is_allowed
from leaseguard.tenancy.book import Window
from leaseguard.usecases.asset_positions import AssetPositionOut, PositionOut
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(prefix="/v1/assets", tags=["assets"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_ASSETS))]


class AssetOut(BaseModel):
    asset_id: str
    lessor: str
    asset_type: str
    vin: str | None
    serial_no: str | None
    engine_no: str | None
    manufacturer: str | None
    model: str | None
    invoice_no: str | None
    invoice_code: str | None
    invoice_amount: str | None
    invoice_amount_fen: int | None
    invoice_date: dt.date | None
    purchase_contract_no: str | None
    lessee_id: str
    lessee_name: str
    contract_no: str | None
    registered_at: dt.date | None
    extra: dict[str, Any] | None

    @classmethod
    def of(cls, row: Asset) -> AssetOut:
        return cls(
            asset_id=row.asset_id,
            lessor=row.lessor,
            asset_type=row.asset_type,
            vin=row.vin,
            serial_no=row.serial_no,
            engine_no=row.engine_no,
            manufacturer=row.manufacturer,
            model=row.model,
            invoice_no=row.invoice_no,
            invoice_code=row.invoice_code,
            invoice_amount=None if row.invoice_amount_fen is None else yuan_text(row.invoice_amount_fen),
            invoice_amount_fen=row.invoice_amount_fen,
            invoice_date=row.invoice_date,
            purchase_contract_no=row.purchase_contract_no,
            lessee_id=row.lessee_id,
            lessee_name=row.lessee_name,
            contract_no=row.contract_no,
            registered_at=row.registered_at,
            extra=row.extra,
        )


class ValuationOut(BaseModel):
    valuation_date: dt.date
    disposal_value: str
    disposal_value_fen: int

    @classmethod
    def of(cls, row: Valuation) -> ValuationOut:
        return cls(
            valuation_date=row.valuation_date,
            disposal_value=yuan_text(row.disposal_value_fen),
            disposal_value_fen=row.disposal_value_fen,
        )


class ValuationsOut(BaseModel):
    asset_id: str
    items: list[ValuationOut]


def _not_found() -> ProblemError:
    # The same answer whether the asset is another lessor's or does not exist at all.
    return ProblemError(404, Label("没有这项租赁物。", "No such asset."), kind="not-found")


@router.get("", summary="List your assets")
def list_assets(
    principal: CanRead,
    session: SessionDep,
    window: Annotated[Window, Depends(page_window)],
    vin: Annotated[str | None, Query(max_length=32, description="Only the asset with this VIN.")] = None,
    serial_no: Annotated[
        str | None, Query(max_length=64, description="Only assets with this serial number.")
    ] = None,
    contract_no: Annotated[
        str | None, Query(max_length=64, description="Only assets financed by this contract.")
    ] = None,
) -> Page[AssetOut]:
    found = book.list_assets(
        session, principal.lessor, window, vin=vin, serial_no=serial_no, contract_no=contract_no
    )
    return Page[AssetOut](
        items=[AssetOut.of(row) for row in found.rows],
        limit=window.limit,
        offset=window.offset,
        next_cursor=encode_cursor(found.last_id_if_more),
    )


# `:path`: an asset id may hold "/" (sent as %2F, decoded before routing); valuations first (see contracts.py).
@router.get(
    "/{asset_id:path}/valuations",
    summary="Valuations of one of your assets",
    response_model=None,
    responses={200: {"model": ValuationsOut}, **problem_responses(404)},
)
def asset_valuations(
    request: Request, principal: CanRead, session: SessionDep, asset_id: str
) -> ValuationsOut | Response:
    if not names_the_sub_resource(request, "valuations"):
        asset = get_asset(principal, session, f"{asset_id}/valuations")
        return Response(asset.model_dump_json(), media_type="application/json")
    rows = book.asset_valuations(session, principal.lessor, asset_id)
    if rows is None:
        raise _not_found()
    return ValuationsOut(asset_id=asset_id, items=[ValuationOut.of(row) for row in rows])


@router.get(
    "/{asset_id:path}/position",
    summary="Where one of your assets was last seen",
    response_model=None,
    responses={200: {"model": AssetPositionOut}, **problem_responses(404)},
)
def asset_position(
    request: Request, principal: CanRead, session: SessionDep, asset_id: str
) -> AssetPositionOut | Response:
    """The last known position of each terminal bound to the asset; 404 when the asset is not yours or no
    terminal of it has reported. Needs `positions:read`."""
    if not names_the_sub_resource(request, "position"):
        return _asset_as_json(principal, session, f"{asset_id}/position")
    _may_locate(principal)
    from leaseguard.usecases.asset_positions import last_known

    positions = last_known(session.connection(), principal.lessor, asset_id)
    return AssetPositionOut(asset_id=asset_id, items=[PositionOut.of(position) for position in positions])


@router.get(
    "/{asset_id:path}/track",
    summary="Where one of your assets went on a day",
    response_model=None,
    responses={200: {"model": Page[PositionOut]}, **problem_responses(404)},
)
def asset_track(
    request: Request,
    principal: CanRead,
    session: SessionDep,
    window: Annotated[Window, Depends(page_window)],
    asset_id: str,
    day: Annotated[
        dt.date | None,
        Query(alias="date", description="The day in China (GMT+8), YYYY-MM-DD; default today."),
    ] = None,
) -> Page[PositionOut] | Response:
    """The positions every terminal of the asset fixed on the day, in time order, a page at a time. Needs
    `positions:read`."""
    if not names_the_sub_resource(request, "track"):
        return _asset_as_json(principal, session, f"{asset_id}/track")
    _may_locate(principal)
    from leaseguard.usecases.asset_positions import day_track, today_in_china

    track = day_track(
        session.connection(),
        principal.lessor,
        asset_id,
        day or today_in_china(),
        limit=window.limit,
        after_id=window.after_id,
        offset=window.offset,
    )
    return Page[PositionOut](
        items=[PositionOut.of(point) for point in track.points],
        limit=window.limit,
        offset=window.offset,
        next_cursor=encode_cursor(track.last_id_if_more),
    )


def _may_locate(principal: Principal) -> None:
    # Checked here, not as the route's dependency: an asset whose own id ends in /position is read with
    # assets:read alone.
    if not is_allowed(principal.role, Action.READ_POSITIONS):
        raise ProblemError(
            403,
            Label("角色 {role!r} 无权执行 {action}。", "The role {role!r} may not {action}."),
            kind="forbidden",
            role=principal.role,
            action=Action.READ_POSITIONS.value,
        )


def _asset_as_json(principal: Principal, session: Session, asset_id: str) -> Response:
    """An asset whose own id ends in the sub-resource's name (sent with an encoded slash)."""
    asset = get_asset(principal, session, asset_id)
    return Response(asset.model_dump_json(), media_type="application/json")


@router.get("/{asset_id:path}", summary="One of your assets", responses=problem_responses(404))
def get_asset(principal: CanRead, session: SessionDep, asset_id: str) -> AssetOut:
    row = book.get_asset(session, principal.lessor, asset_id)
    if row is None:
        raise _not_found()
    return AssetOut.of(row)
