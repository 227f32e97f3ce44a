"""RFC 9457 problem details: every error the API returns is application/problem+json, and a 500 never
carries the exception's text."""

from __future__ import annotations

import concurrent.futures
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from leaseguard.errors import PROBLEM_TITLES, LeaseguardError, problem_of
from leaseguard.vocabulary import DEFAULT_LANG, Lang

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:leaseguard:problem:"


class FieldError(BaseModel):
    """One invalid part of a request."""

    location: str = Field(description="Where the value was: query, path, header or body.")
    field: str = Field(description="Name of the field (dotted for nested body fields).")
    message: str
    type: str = Field(description="Machine-readable kind of error, e.g. greater_than_equal.")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(default="about:blank", description="URI identifying the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong in this occurrence.")
    instance: str | None = Field(default=None, description="The request path where it occurred.")
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields (422 only).")


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers


def problem_document(
    status: int,
    detail: str | None,
    *,
    instance: str,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """The problem document as JSON-ready data, for answers given before a route (or FastAPI) is reached."""
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + kind if kind else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return problem.model_dump(mode="json", exclude_none=True)


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    title: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_document(status, detail, instance=request.url.path, kind=kind, errors=errors, title=title),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


_DEFAULT_DETAIL = {
    404: "Nothing is found at this URL.",
    405: "This method is not allowed on this URL.",
}


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers)


def request_lang(request: Request) -> Lang:
    """The language the caller reads: the first of Accept-Language's zh or en by preference (q), else Chinese."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, weight = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        try:
            quality = float(weight.strip()[2:]) if weight.strip().startswith("q=") else 1.0
        except ValueError:
            quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, "zh" if primary == "zh" else "en"))
    return min(ranked)[2] if ranked else DEFAULT_LANG


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    """A domain error (leaseguard.errors) that a route let through: its status and kind from the one table,
    its words in the caller's language (Accept-Language)."""
    assert isinstance(exc, LeaseguardError)
    status, kind = problem_of(exc)
    lang = request_lang(request)
    kind = getattr(exc, "kind", None) or kind
    title = PROBLEM_TITLES.get(kind)
    return problem_response(
        request, status, exc.text(lang), kind=kind, title=title.text(lang) if title else None
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    # Headers such as Allow (405) or WWW-Authenticate (401) are part of the answer and must survive.
    return problem_response(
        request,
        exc.status_code,
        detail or _DEFAULT_DETAIL.get(exc.status_code),
        headers=dict(exc.headers) if exc.headers else None,
    )


def _field_error(error: Any) -> FieldError:
    loc = [str(part) for part in error.get("loc", ())]
    location, field = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
    return FieldError(
        location=location, field=field, message=str(error.get("msg", "")), type=str(error.get("type", ""))
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only location, message and type go back: echoing `input` could reflect secrets sent by mistake.
    errors = [_field_error(error) for error in exc.errors()]
    fields = ", ".join(f"{error.location}.{error.field}" for error in errors)
    return problem_response(
        request, 422, f"The request has invalid fields: {fields}.", kind="validation-error", errors=errors
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after this response, so the server still logs the traceback; the client
    # gets nothing of the exception, whose text may hold SQL, paths or data of other tenants.
    del exc
    return problem_response(request, 500, "An unexpected error occurred; it has been logged.")


async def _on_overload(request: Request, exc: Exception) -> JSONResponse:
    # Every connection busy or the store's write lock not granted in time: the request did nothing, so the
    # client may simply retry; a 500 would say something is broken when the server is only full.
    del exc
    return problem_response(
        request,
        503,
        "The server is busy and did not answer this request; nothing was changed. Retry shortly.",
        kind="busy",
        headers={"Retry-After": "1"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(LeaseguardError, _on_domain_error)
    app.add_exception_handler(sqlalchemy.exc.TimeoutError, _on_overload)
    app.add_exception_handler(concurrent.futures.TimeoutError, _on_overload)
    app.add_exception_handler(TimeoutError, _on_overload)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer with, all pointing at the Problem schema."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def add_problem_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """Put Problem (and FieldError) into the OpenAPI components that `problem_responses` refers to."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema
    return openapi


def refuse_unknown_query_parameters(request: Request) -> None:
    """A query parameter the route does not take is refused (422), never silently ignored: a filter misspelt
    or not offered must not return everything as if it had applied."""
    from fastapi.routing import APIRoute

    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    taken: set[str] = set()
    pending = [route.dependant]
    while pending:  # the route's own parameters and those of every dependency it uses (paging, auth)
        dependant = pending.pop()
        taken.update(param.alias for param in dependant.query_params)
        pending.extend(dependant.dependencies)
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        offered = ", ".join(sorted(taken)) or "none"
        raise ProblemError(
            422,
            f"Unknown query parameter(s): {', '.join(unknown)}. This route takes: {offered}.",
            kind="unknown-query-parameter",
        )
