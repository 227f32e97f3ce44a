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
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

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
    """Raised anywhere in a request to answer with a problem document; `detail` is said in the caller's language
    (Accept-Language): a Label filled with `params` (a value that is a Label in the same language), a domain
    error's message, or a text said as it is in both."""

    def __init__(
        self,
        status: int,
        detail: str | Label | LeaseguardError,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        if isinstance(detail, LeaseguardError):
            self.label = Label(detail.text("zh"), detail.text("en"))
        elif isinstance(detail, Label):
            self.label = detail.filled(**params)
        else:
            self.label = Label(detail, detail)
        super().__init__(self.label.zh)
        self.status = status
        self.kind = kind
        self.headers = headers

    @property
    def detail(self) -> str:
        """The detail in the shipped default language."""
        return self.label.text(DEFAULT_LANG)

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return self.label.text(lang)


# The title of a problem by its status, where its kind has none of its own (errors.PROBLEM_TITLES); in
# English the HTTP reason phrase.
STATUS_TITLES_ZH = {
    400: "请求无效",
    401: "需要有效的 API 密钥",
    403: "无权执行此操作",
    404: "未找到",
    405: "不允许的方法",
    409: "与已存数据冲突",
    413: "请求体过大",
    422: "输入无效",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


def problem_title(status: int, kind: str | None, lang: Lang) -> str:
    """The problem's short title in `lang`: its kind's, else its status's."""
    by_kind = PROBLEM_TITLES.get(kind) if kind else None
    if by_kind is not None:
        return by_kind.text(lang)
    phrase = HTTPStatus(status).phrase
    return STATUS_TITLES_ZH.get(status, phrase) if lang == "zh" else phrase


def problem_document(
    status: int,
    detail: str | None,
    *,
    instance: str,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    title: str | None = None,
    lang: Lang = DEFAULT_LANG,
) -> dict[str, Any]:
    """The problem document as JSON-ready data, for answers given before a route (or FastAPI) is reached;
    without a `title`, that of its kind or status in `lang`."""
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + kind if kind else "about:blank",
        title=title or problem_title(status, kind, lang),
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
    """The problem as the answer to `request`, its title in the caller's language."""
    document = problem_document(
        status,
        detail,
        instance=request.url.path,
        kind=kind,
        errors=errors,
        title=title,
        lang=request_lang(request),
    )
    return JSONResponse(
        document,
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


_DEFAULT_DETAIL = {
    404: Label("此地址下没有内容。", "Nothing is found at this URL."),
    405: Label("此地址不接受该请求方法。", "This method is not allowed on this URL."),
}


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    detail = exc.text(request_lang(request))
    return problem_response(request, exc.status, detail, kind=exc.kind, headers=exc.headers)


def request_lang(request: Request) -> Lang:
    """The language the caller reads: the first of Accept-Language's zh or en by preference (q), else Chinese."""
    return accepted_lang(request.headers.get("accept-language", ""))


def accepted_lang(accept_language: str) -> Lang:
    """The first of an Accept-Language header's zh or en by preference (q), else Chinese."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(accept_language.split(",")):
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
    return problem_response(
        request, status, exc.text(lang), kind=kind, title=problem_title(status, kind, lang)
    )


# FastAPI's own words when a body cannot be decoded at all (bytes that are not UTF-8); answered as the 422 every
# other unreadable body gets, which the OpenAPI declares, instead of an undeclared 400.
_UNPARSABLE_BODY = "There was an error parsing the body"
_NOT_JSON = Label("请求体不是 UTF-8 编码的 JSON", "the body is not JSON encoded as UTF-8")


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        lang = request_lang(request)
        errors = [FieldError(location="body", field="", message=_NOT_JSON.text(lang), type="json_invalid")]
        said = _INVALID_FIELDS.text(lang, fields="body")
        return problem_response(request, 422, said, kind="validation-error", errors=errors)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    default = _DEFAULT_DETAIL.get(exc.status_code)
    # Headers such as Allow (405) or WWW-Authenticate (401) are part of the answer and must survive.
    return problem_response(
        request,
        exc.status_code,
        detail or (default.text(request_lang(request)) if default else None),
        headers=dict(exc.headers) if exc.headers else None,
    )


def _field_error(error: Any, lang: Lang) -> FieldError:
    from leaseguard.rulefiles import pydantic_reason

    loc = [str(part) for part in error.get("loc", ())]
    location, field = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
    said = (error.get("ctx") or {}).get("label")  # our own check's words (api.pagination)
    cause = (error.get("ctx") or {}).get("error")  # a model's own check that raised a domain error
    if isinstance(said, Label):
        message = said.text(lang)
    elif isinstance(cause, LeaseguardError):
        message = cause.text(lang)
    else:
        message = pydantic_reason(error).text(lang)
    return FieldError(location=location, field=field, message=message, type=str(error.get("type", "")))


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only location, message and type go back: echoing `input` could reflect secrets sent by mistake.
    lang = request_lang(request)
    errors = [_field_error(error, lang) for error in exc.errors()]
    fields = ", ".join(f"{error.location}.{error.field}" for error in errors)
    detail = _INVALID_FIELDS.text(lang, fields=fields)
    return problem_response(request, 422, detail, kind="validation-error", errors=errors)


_INVALID_FIELDS = Label("请求中有无效字段：{fields}。", "The request has invalid fields: {fields}.")
_UNEXPECTED = Label("发生了意外错误，已记录在案。", "An unexpected error occurred; it has been logged.")
_BUSY = Label(
    "服务器繁忙，未处理此请求，未做任何更改。请稍后重试。",
    "The server is busy and did not answer this request; nothing was changed. Retry shortly.",
)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after this response, so the server still logs the traceback; the client
    # gets nothing of the exception, whose text may hold SQL, paths or data of other tenants.
    del exc
    return problem_response(request, 500, _UNEXPECTED.text(request_lang(request)))


async def _on_overload(request: Request, exc: Exception) -> JSONResponse:
    # Every connection busy or the store's write lock not granted in time: the request did nothing, so the
    # client may simply retry; a 500 would say something is broken when the server is only full.
    del exc
    return problem_response(
        request, 503, _BUSY.text(request_lang(request)), kind="busy", headers={"Retry-After": "1"}
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
        raise ProblemError(
            422,
            Label(
                "未知的查询参数：{unknown}。此接口接受：{offered}。",
                "Unknown query parameter(s): {unknown}. This route takes: {offered}.",
            ),
            kind="unknown-query-parameter",
            unknown=", ".join(unknown),
            offered=", ".join(sorted(taken)) if taken else Label("无", "none"),
        )
