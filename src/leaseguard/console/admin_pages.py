"""/admin: a lessor's own administration, for its admins only — its users (create with a role, disable and
enable, reset a password: usecases.people), its API keys (create, the secret shown once; revoke: tenancy), its
settings (the supervisory regime the indicators read, the party details complaints name) and data uploads
(usecases.data_import.load_files, the import of `leaseguard import` for the admin's lessor only).

Every read and change names the admin's lessor: another lessor's user or key is the 404 page, as one that does
not exist. Other roles find the pages neither in the navigation nor behind their address (403)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console import uploads
from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.console.settings import ConsoleSettings
from leaseguard.errors import LeaseguardError, NotFoundError
from leaseguard.ingest.kinds import KIND_BY_NAME, LESSORS, kind_from_file_name, kind_from_header
from leaseguard.ingest.reading import read_header
from leaseguard.ingest.reports import FileProblem
from leaseguard.tenancy import REGIMES, Action, add_lessor, create_key, get_lessor, list_keys, revoke_key
from leaseguard.tenancy.service import TenancyError, check_role, check_uscc
from leaseguard.usecases import people
from leaseguard.usecases.data_import import ImportOutcome, load_files
from leaseguard.vocabulary import DATA_KIND_LABELS, ROLE_LABELS, ROLES, Label, Lang

router = APIRouter(include_in_schema=False)
TITLE = Label("管理", "Administration")
add_nav(NavItem("/admin", TITLE, Action.ADMINISTER, order=90))

CanAdminister = Annotated[ConsoleUser, Depends(require_user(Action.ADMINISTER))]

USERS_TITLE = Label("用户", "Users")
KEYS_TITLE = Label("API 密钥", "API keys")
LESSOR_TITLE = Label("出租人设置", "Lessor settings")
IMPORTS_TITLE = Label("上传数据", "Upload data")
SECTIONS = (
    ("/admin", USERS_TITLE),
    ("/admin/keys", KEYS_TITLE),
    ("/admin/lessor", LESSOR_TITLE),
    ("/admin/imports", IMPORTS_TITLE),
)
UPLOAD_PATH = "/admin/imports"
SUFFIXES = (".csv", ".xlsx")
# What an admin may upload for the lessor: its own book. lessors* files (which add or rename lessors) and the
# demands and documents of cases (loaded with their files by `leaseguard import`) stay with the command line.
UPLOAD_KINDS = ("contracts", "assets", "schedules", "payments", "valuations")
ROW_ERRORS_SHOWN = 500
LESSOR_FIELDS = ("regime", "uscc", "address", "legal_representative")
REGIME_LABELS = {
    "financial_leasing": Label("金融租赁公司（国家金融监督管理总局）", "financial leasing company (NFRA)"),
    "finance_leasing": Label(
        "融资租赁公司（地方金融管理部门）", "finance leasing company (local financial regulator)"
    ),
}
NO_REGIME = Label(
    "未设置（指标用 leasing-indicators-trial 规则集）", "not set (indicators use leasing-indicators-trial)"
)

USER_NOT_FOUND = Label("没有用户 {username}", "no user {username}")
KEY_NOT_FOUND = Label("没有前缀为 {prefix} 的 API 密钥", "no API key with prefix {prefix}")
REQUIRED = Label("请填写此项。", "Fill this in.")
CHOOSE_ROLE = Label("请选择角色：{roles}。", "Choose a role: {roles}.")
PASSWORDS_DIFFER = Label("两次输入的密码不一致。", "The two passwords differ.")
SELF_DISABLE = Label("不能停用自己的账户。", "You cannot disable your own account.")
LABEL_TOO_LONG = Label("备注最多 200 个字符。", "The label may be at most 200 characters.")
CHOOSE_REGIME = Label("请选择监管类别。", "Choose a regime.")
DETAIL_TOO_LONG = Label("最多 500 个字符。", "At most 500 characters.")
NO_FILE = Label("请选择要上传的数据文件（CSV 或 XLSX）。", "Choose a data file (CSV or XLSX) to upload.")
NOT_CSV_OR_XLSX = Label(
    "{name} 不是 CSV 或 XLSX 文件：只能上传 .csv 或 .xlsx 文件，未导入任何内容。",
    "{name} is not a CSV or XLSX file: upload a .csv or .xlsx file; nothing was loaded.",
)
TOO_LARGE = Label(
    "文件超过上限 {limit} MB，未读取也未导入（上限见 leaseguard.yaml 的 console.max_upload_mb）。",
    "The file is larger than the limit of {limit} MB; it was neither read nor loaded (console.max_upload_mb in "
    "leaseguard.yaml).",
)
ACCEPTED = uploads.Accepted(SUFFIXES, NOT_CSV_OR_XLSX, NO_FILE, TOO_LARGE)
UNKNOWN_KIND = Label(
    "无法判断 {name} 是哪类数据：文件名请以 {kinds} 之一开头，或表头符合其数据规范。未导入任何内容。",
    "Cannot tell what {name} holds: start its name with one of {kinds}, or give it the header of one. Nothing "
    "was loaded.",
)
KIND_NOT_HERE = Label(
    "{name} 是{kind}文件：此处只导入本出租人的合同、租赁物、租金计划、还款和估值；"
    "请用 leaseguard import。未导入任何内容。",
    "{name} is a {kind} file: here only the lessor's contracts, assets, schedules, payments and valuations load; "
    "use leaseguard import. Nothing was loaded.",
)
UNREADABLE = Label(
    "{name} 无法读取：{problem}。未导入任何内容。", "{name} cannot be read: {problem}. Nothing was loaded."
)
DONE = {
    "created": Label("已创建用户 {name}。", "User {name} created."),
    "disabled": Label("已停用用户 {name}，其登录会话已结束。", "User {name} disabled; their sessions ended."),
    "enabled": Label("已启用用户 {name}。", "User {name} enabled."),
    "password": Label(
        "已重置 {name} 的密码，账户已解锁，旧密码的会话已结束。",
        "{name}'s password was reset: the account is unlocked and sessions with the old password ended.",
    ),
    "revoked": Label("已吊销密钥 {name}。", "Key {name} revoked."),
    "lessor": Label("已保存出租人设置。", "The lessor's settings were saved."),
}


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _done(request: Request, lang: Lang, known: Collection[str]) -> str:
    """The message of a change just made (after its redirect), from the `done` and `name` of the query; said
    only of a name the page shows (a user, a key of the lessor), so a link cannot make the page say anything."""
    label = DONE.get(request.query_params.get("done", ""))
    name = request.query_params.get("name", "")
    return label.text(lang, name=name) if label and name in known else ""


# After a change, its page is shown again saying what was done: `?done=<what>&name=<whom>`.
DoneQuery = Annotated[str | None, Query(max_length=16)]
NameQuery = Annotated[str | None, Query(max_length=64)]


def _words(lang: Lang) -> dict[str, Any]:
    return {
        "sections": [(path, title.text(lang)) for path, title in SECTIONS],
        "role_label": lambda role: ROLE_LABELS[role].text(lang) if role in ROLE_LABELS else role,
        "roles": ROLES,
        "role_choices": [(role, ROLE_LABELS[role].text(lang)) for role in ROLES],
    }


def _page(
    request: Request,
    user: ConsoleUser,
    template: str,
    title: Label | str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    known: Collection[str] = (),
) -> HTMLResponse:
    values = {
        "title": title.text(user.lang) if isinstance(title, Label) else title,
        "heading": TITLE.text(user.lang),
        "done": _done(request, user.lang, known),
    }
    values.update(_words(user.lang))
    values.update(context)
    return render(request, template, values, status_code=status_code)


def _redirect(path: str, done: str, name: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': done, 'name': name})}", status_code=303)


# --- users ----------------------------------------------------------------------------------------------------


def _users_page(
    request: Request, user: ConsoleUser, form: FormState | None = None, status_code: int = 200
) -> HTMLResponse:
    with _sessions(request)() as session:
        users = people.list_users(session, user.lessor)
    return _page(
        request,
        user,
        "admin_users.html",
        USERS_TITLE,
        {
            "users": users,
            "form": form or FormState(values={"role": "analyst"}),
            "min_password": settings_of(request).policy.min_password_length,
        },
        status_code,
        known={person.username for person in users},
    )


@router.get("/admin", response_class=HTMLResponse)
def users_page(
    request: Request, user: CanAdminister, done: DoneQuery = None, name: NameQuery = None
) -> HTMLResponse:
    """The lessor's users (name, role, state, last sign-in) and the form to add one."""
    return _users_page(request, user)


def _check_new_password(
    form: FormState, password: str, again: str, lang: Lang, policy: people.PeoplePolicy
) -> None:
    if not password:
        form.add("password", REQUIRED, lang)
        return
    try:
        people.check_password(password, policy)
    except LeaseguardError as error:
        form.add("password", error, lang)
        return
    if password != again:
        form.add("password_again", PASSWORDS_DIFFER, lang)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    user: CanAdminister,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=2048)] = "",
    password_again: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """A new user of the admin's lessor with a role and a password (typed twice)."""
    lang = user.lang
    policy = settings_of(request).policy
    form = FormState(values={"username": username, "role": role})
    if not username.strip():
        form.add("username", REQUIRED, lang)
    else:
        try:
            people.check_username(username)
        except LeaseguardError as error:
            form.add("username", error, lang)
    if role not in ROLES:
        form.add("role", CHOOSE_ROLE, lang, roles="、".join(ROLE_LABELS[r].text(lang) for r in ROLES))
    _check_new_password(form, password, password_again, lang, policy)
    if not form.failed:
        try:
            with _sessions(request)() as session, session.begin():
                made = people.create_user(
                    session,
                    username=username,
                    lessor=user.lessor,
                    role=role,
                    password=password,
                    policy=policy,
                )
        except LeaseguardError as error:  # the name is taken (by anyone: names are unique across lessors)
            form.add("username", error, lang)
        else:
            return _redirect("/admin", "created", made.username)
    return _users_page(request, user, form, 422)


def _user_of(session: Session, user: ConsoleUser, username: str) -> people.UserInfo:
    try:
        return people.get_user(session, username, user.lessor)
    except people.UnknownUserError:
        raise NotFoundError(USER_NOT_FOUND, username=username) from None


def _user_page(
    request: Request, user: ConsoleUser, username: str, form: FormState | None = None, *,
    page_error: str = "", status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    with _sessions(request)() as session:
        person = _user_of(session, user, username)
        records = people.sign_in_records(session, username=person.username, limit=10)
    return _page(
        request,
        user,
        "admin_user.html",
        Label("用户 {name}", "User {name}").text(user.lang, name=person.username),
        {
            "person": person,
            "records": records,
            "form": form or FormState(),
            "page_error": page_error,
            "is_self": person.id == user.id,
            "locked": person.locked(dt.datetime.now(dt.UTC)),
            "min_password": settings_of(request).policy.min_password_length,
            "outcome_label": lambda code: (
                people.OUTCOME_LABELS[code].text(user.lang) if code in people.OUTCOME_LABELS else code
            ),
        },
        status_code,
        known={person.username},
    )


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_page(
    request: Request, user: CanAdminister, username: str, done: DoneQuery = None, name: NameQuery = None
) -> HTMLResponse:
    """One user of the lessor: state, the latest sign-ins, disable or enable, a new password."""
    return _user_page(request, user, username)


@router.post("/admin/users/{username}/disable", response_class=HTMLResponse)
def disable_user(request: Request, user: CanAdminister, _csrf: CsrfChecked, username: str) -> Response:
    """Stop a user of the lessor signing in (their sessions end); an admin cannot disable themself."""
    with _sessions(request)() as session:
        person = _user_of(session, user, username)
    if person.id == user.id:
        return _user_page(request, user, username, page_error=SELF_DISABLE.text(user.lang), status_code=422)
    with _sessions(request)() as session, session.begin():
        people.disable_user(session, person.username, lessor=user.lessor)
    return _redirect(f"/admin/users/{person.username}", "disabled", person.username)


@router.post("/admin/users/{username}/enable", response_class=HTMLResponse)
def enable_user(request: Request, user: CanAdminister, _csrf: CsrfChecked, username: str) -> Response:
    """Let a disabled user of the lessor sign in again."""
    with _sessions(request)() as session, session.begin():
        try:
            person = people.enable_user(session, username, lessor=user.lessor)
        except people.UnknownUserError:
            raise NotFoundError(USER_NOT_FOUND, username=username) from None
    return _redirect(f"/admin/users/{person.username}", "enabled", person.username)


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    user: CanAdminister,
    _csrf: CsrfChecked,
    username: str,
    password: Annotated[str, Form(max_length=2048)] = "",
    password_again: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """A new password for a user of the lessor: unlocked, and the sessions with the old one end."""
    policy = settings_of(request).policy
    form = FormState()
    with _sessions(request)() as session:
        person = _user_of(session, user, username)
    _check_new_password(form, password, password_again, user.lang, policy)
    if form.failed:
        return _user_page(request, user, username, form, status_code=422)
    with _sessions(request)() as session, session.begin():
        people.reset_password(session, person.username, password, policy, lessor=user.lessor)
    return _redirect(f"/admin/users/{person.username}", "password", person.username)


# --- API keys -------------------------------------------------------------------------------------------------


def _keys_page(
    request: Request,
    user: ConsoleUser,
    form: FormState | None = None,
    *,
    issued: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    with _sessions(request)() as session:
        keys = list_keys(session, user.lessor)
    return _page(
        request,
        user,
        "admin_keys.html",
        KEYS_TITLE,
        {"keys": keys, "form": form or FormState(values={"role": "analyst"}), "issued": issued},
        status_code,
        known={key.prefix for key in keys},
    )


@router.get("/admin/keys", response_class=HTMLResponse)
def keys_page(
    request: Request, user: CanAdminister, done: DoneQuery = None, name: NameQuery = None
) -> HTMLResponse:
    """The lessor's API keys (prefix, role, label, created, revoked) and the form to issue one."""
    return _keys_page(request, user)


@router.post("/admin/keys", response_class=HTMLResponse)
def issue_key(
    request: Request,
    user: CanAdminister,
    _csrf: CsrfChecked,
    role: Annotated[str, Form(max_length=32)] = "",
    label: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """A new key of the lessor: its secret is on this answer only (never stored, never shown again)."""
    lang = user.lang
    form = FormState(values={"role": role, "label": label})
    try:
        check_role(role)
    except TenancyError:
        form.add("role", CHOOSE_ROLE, lang, roles="、".join(ROLE_LABELS[r].text(lang) for r in ROLES))
    if len(label.strip()) > 200:
        form.add("label", LABEL_TOO_LONG, lang)
    if form.failed:
        return _keys_page(request, user, form, status_code=422)
    with _sessions(request)() as session, session.begin():
        issued = create_key(session, lessor=user.lessor, role=role, label=label.strip() or None)
    page = _keys_page(request, user, FormState(values={"role": "analyst"}), issued=issued)
    return page


@router.post("/admin/keys/{prefix}/revoke", response_class=HTMLResponse)
def revoke(request: Request, user: CanAdminister, _csrf: CsrfChecked, prefix: str) -> Response:
    """Revoke a key of the lessor from now on; another lessor's key is as unknown as one never issued."""
    if len(prefix) > 16:
        raise NotFoundError(KEY_NOT_FOUND, prefix=prefix[:16])
    with _sessions(request)() as session, session.begin():
        try:
            revoke_key(session, prefix, lessor=user.lessor)
        except NotFoundError:
            raise NotFoundError(KEY_NOT_FOUND, prefix=prefix) from None
    return _redirect("/admin/keys", "revoked", prefix)


# --- the lessor's settings ------------------------------------------------------------------------------------


def _lessor_page(
    request: Request, user: ConsoleUser, form: FormState | None = None, status_code: int = 200
) -> HTMLResponse:
    with _sessions(request)() as session:
        lessor = get_lessor(session, user.lessor)
        name, extra = lessor.name, dict(lessor.extra or {})
    if form is None:
        form = FormState(values={key: str(extra.get(key) or "") for key in LESSOR_FIELDS})
    return _page(
        request,
        user,
        "admin_lessor.html",
        LESSOR_TITLE,
        {
            "code": user.lessor,
            "name": name,
            "extra": extra,
            "form": form,
            "regimes": [(code, REGIME_LABELS[code].text(user.lang)) for code in REGIMES],
            "regime_text": REGIME_LABELS[extra["regime"]].text(user.lang)
            if extra.get("regime") in REGIME_LABELS
            else NO_REGIME.text(user.lang),
        },
        status_code,
        known={user.lessor},
    )


@router.get("/admin/lessor", response_class=HTMLResponse)
def lessor_page(
    request: Request, user: CanAdminister, done: DoneQuery = None, name: NameQuery = None
) -> HTMLResponse:
    """The lessor's code and name, its regime (which the indicators' default rule set follows) and the party
    details a complaint names."""
    return _lessor_page(request, user)


@router.post("/admin/lessor", response_class=HTMLResponse)
def save_lessor(
    request: Request,
    user: CanAdminister,
    _csrf: CsrfChecked,
    regime: Annotated[str, Form(max_length=64)] = "",
    uscc: Annotated[str, Form(max_length=200)] = "",
    address: Annotated[str, Form(max_length=2000)] = "",
    legal_representative: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the regime and the party details given (an empty detail keeps what is recorded); all or nothing."""
    lang = user.lang
    form = FormState(
        values={
            "regime": regime,
            "uscc": uscc,
            "address": address,
            "legal_representative": legal_representative,
        }
    )
    if regime not in REGIMES:
        form.add("regime", CHOOSE_REGIME, lang)
    compact_uscc = None
    if uscc.strip():
        try:
            compact_uscc = check_uscc(uscc.strip())
        except TenancyError as error:
            form.add("uscc", error, lang)
    for name, value in (("address", address), ("legal_representative", legal_representative)):
        if len(value.strip()) > 500:
            form.add(name, DETAIL_TOO_LONG, lang)
    if form.failed:
        return _lessor_page(request, user, form, 422)
    with _sessions(request)() as session, session.begin():
        lessor = get_lessor(session, user.lessor)
        add_lessor(
            session,
            user.lessor,
            lessor.name,
            regime=regime,
            uscc=compact_uscc,
            address=address.strip() or None,
            legal_representative=legal_representative.strip() or None,
        )
    return _redirect("/admin/lessor", "lessor", user.lessor)


# --- uploads --------------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What became of an uploaded data file: the import's report, or why it was refused before loading."""

    outcome: ImportOutcome | None = None
    refusal: str = ""
    row_errors: list[dict[str, Any]] = field(default_factory=list)


def _imports_page(
    request: Request, user: ConsoleUser, form: FormState | None = None, *, loaded: Loaded | None = None,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    lang = user.lang
    page = _page(
        request,
        user,
        "admin_imports.html",
        IMPORTS_TITLE,
        {
            "form": form or FormState(),
            "loaded": loaded,
            "max_upload_mb": settings_of(request).max_upload_mb,
            "kinds": [DATA_KIND_LABELS[kind].text(lang) for kind in UPLOAD_KINDS],
            "kind_label": lambda kind: (
                DATA_KIND_LABELS[kind].text(lang) if kind in DATA_KIND_LABELS else kind
            ),
            "status_label": lambda status: (
                STATUS_LABELS[status].text(lang) if status in STATUS_LABELS else status
            ),
            "lang": lang,
        },
        status_code,
    )
    for name, value in (headers or {}).items():
        page.headers[name] = value
    return page


STATUS_LABELS = {
    "loaded": Label("已导入", "loaded"),
    "partial": Label("部分导入", "partly loaded"),
    "rejected": Label("未导入", "not loaded"),
}


@router.get(UPLOAD_PATH, response_class=HTMLResponse)
def imports_page(request: Request, user: CanAdminister) -> HTMLResponse:
    """The form to upload a data file of the lessor's book."""
    return _imports_page(request, user)


def _kind_of(path: Path, name: str, settings: ConsoleSettings) -> str | None:
    named = kind_from_file_name(name)
    if named is not None:
        return named.name
    try:
        fitting = kind_from_header(read_header(path, settings.read_limits))
    except (FileProblem, OSError):
        return None
    return fitting.name if fitting is not None else None


def _load_upload(
    request: Request, settings: ConsoleSettings, user: ConsoleUser, source: BinaryIO, name: str, suffix: str
) -> Loaded:
    """Keep the upload in a temporary file under its own name, check its kind, load it for the user's lessor."""
    lang = user.lang
    with tempfile.TemporaryDirectory(prefix="leaseguard-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as copy:
            while chunk := source.read(1024 * 1024):
                copy.write(chunk)
        kind = _kind_of(path, name, settings)
        if kind is None:
            kinds = ", ".join(f"{kind}*" for kind in UPLOAD_KINDS)
            return Loaded(refusal=UNKNOWN_KIND.text(lang, name=name, kinds=kinds))
        if kind not in UPLOAD_KINDS or KIND_BY_NAME[kind] is LESSORS:
            return Loaded(refusal=KIND_NOT_HERE.text(lang, name=name, kind=DATA_KIND_LABELS[kind].text(lang)))
        try:
            outcome = load_files(
                request.app.state.engine,
                [path],
                kind=kind,
                lessor=user.lessor,
                names={path: name},
                limits=settings.read_limits,
                max_amount_yuan=settings.max_amount_yuan,
                max_term_months=settings.max_term_months,
                signer=getattr(request.app.state, "evidence_signer", None),
            )
        except LeaseguardError as error:
            return Loaded(refusal=UNREADABLE.text(lang, name=name, problem=error.text(lang)))
    rows = [
        {"file": error.file, "line": error.line, "column": error.column, "reason": error.text(lang)}
        for report in outcome.reports
        for error in report.errors[:ROW_ERRORS_SHOWN]
    ]
    return Loaded(outcome=outcome, row_errors=rows)


@router.post(UPLOAD_PATH, response_class=HTMLResponse)
async def upload(request: Request, user: CanAdminister) -> Response:
    """Load an uploaded data file for the admin's lessor: the good rows load, each bad row is listed (file,
    line, field, reason). The size is judged on the declared length before the body is read, and the CSRF token
    checked after; a file refused whole loads nothing."""
    settings = settings_of(request)
    lang = user.lang
    form = FormState()

    async def refused(status_code: int, **options: Any) -> Response:
        page: HTMLResponse = await run_in_threadpool(
            lambda: _imports_page(request, user, form, status_code=status_code, **options)
        )
        return page

    loaded = await uploads.receive(
        request, settings, form, lang, ACCEPTED,
        lambda file, name, suffix: _load_upload(request, settings, user, file, name, suffix),
    )  # fmt: skip
    if isinstance(loaded, uploads.Refusal):
        return await refused(loaded.status, headers=loaded.headers)
    if loaded.outcome is None:
        form.add("file", loaded.refusal, lang)
        return await refused(422)
    whole = [report for report in loaded.outcome.reports if report.failed_as_a_whole]
    if whole:
        form.add("file", whole[0].message_text(lang), lang)
        return await refused(422, loaded=loaded)
    return await refused(200, loaded=loaded)
