"""HTTP routes of the ownership check: POST /v1/assets/check."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaseguard.api.deps import require
from leaseguard.api.params import Yuan
from leaseguard.api.problems import problem_responses, request_lang
from leaseguard.errors import InvalidInputError, TooLargeError
from leaseguard.money import parse_fen
from leaseguard.registry.check import AssetFacts
from leaseguard.registry.service import CheckRecorder, CheckToRecord, RegisterCache
from leaseguard.tenancy import Action, Principal
from leaseguard.usecases.asset_check import AssetCheckResponse, answer_of
from leaseguard.vocabulary import Label

router = APIRouter(
    prefix="/v1/assets", tags=["ownership check"], responses=problem_responses(401, 403, 413, 422)
)
CanCheck = Annotated[Principal, Depends(require(Action.CHECK_ASSETS))]

MAX_CHECK_BODY_BYTES = 16_384
# An answer is only given once the check is recorded; a store that cannot take it in this time is overloaded.
RECORD_TIMEOUT_SECONDS = 30
Identifier = Annotated[str | None, Field(default=None, max_length=64)]
Name = Annotated[str | None, Field(default=None, max_length=200)]


class AssetCheckRequest(BaseModel):
    """The asset a lessor is about to fund, as its documents describe it."""

    # The OpenAPI says what `needs_an_identifier` checks: at least one of the four identifiers, not empty.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "required": [name],
                    "properties": {name: {"type": "string", "minLength": 1, "pattern": r"\S"}},
                }
                for name in ("vin", "serial_no", "engine_no", "invoice_no")
            ]
        },
    )

    asset_id: Identifier = None
    asset_type: str | None = Field(default=None, pattern="^(vehicle|machinery|medical|equipment|other)$")
    vin: Identifier = None
    serial_no: Identifier = None
    engine_no: Identifier = None
    manufacturer: Name = None
    model: Name = None
    invoice_code: Identifier = None
    invoice_no: Identifier = None
    invoice_amount: Yuan | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    purchase_contract_no: Identifier = None
    lessee_id: Identifier = None
    lessee_name: Name = None

    @model_validator(mode="after")
    def needs_an_identifier(self) -> AssetCheckRequest:
        if not any((self.vin, self.serial_no, self.engine_no, self.invoice_no)):
            raise InvalidInputError(
                Label(
                    "至少给出 vin、serial_no、engine_no、invoice_no 之一",
                    "give at least one of vin, serial_no, engine_no, invoice_no",
                )
            )
        return self

    def facts(self, lessor: str) -> AssetFacts:
        amount = (
            None if self.invoice_amount is None else parse_fen(self.invoice_amount, where="invoice_amount")
        )
        values = self.model_dump(exclude={"invoice_amount"})
        return AssetFacts(lessor=lessor, invoice_amount_fen=amount, **values)


async def _limit_body(request: Request) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_CHECK_BODY_BYTES:
        raise TooLargeError(
            Label("一次查询请求最多 {limit} 字节。", "A check request is at most {limit} bytes."),
            limit=MAX_CHECK_BODY_BYTES,
        )


@router.post("/check", dependencies=[Depends(_limit_body)])
async def check_asset_route(
    body: AssetCheckRequest, request: Request, principal: CanCheck
) -> AssetCheckResponse:
    """Check one asset against every lessor's register before funding it."""
    cache: RegisterCache = request.app.state.registers
    recorder: CheckRecorder = request.app.state.check_recorder
    # Reading the store (at most once a second) or rebuilding the register happens off the event loop; the
    # check itself is a few milliseconds of pure computation, cheaper here than handed to a thread.
    register = cache.fresh()
    if register is None:
        register = await run_in_threadpool(cache.get)
    asked = body.facts(principal.lessor)
    outcome = register.check(asked)
    submitted = recorder.submit(
        CheckToRecord(asked, outcome, principal.key_prefix, "api", register.rules.version)
    )
    recorded = await asyncio.wait_for(asyncio.wrap_future(submitted), RECORD_TIMEOUT_SECONDS)
    return answer_of(outcome, recorded, principal.lessor, len(register)).said_in(request_lang(request))
