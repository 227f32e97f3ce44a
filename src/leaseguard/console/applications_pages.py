"""/applications: credit decisions in the console. Decide one application (the fields POST
/v1/applications/decide takes, parsed with the API's request model, decided by the same use case,
usecases.credit_decision.decide_served) and read the result — decision, score, reasons rendered from their codes,
the policy rules that fired; the lessor's recent decisions, each openable; the score's drift (PSI week by week,
usecases.credit_monitoring); the policy in force as a table of rules; and, for the compliance role only, a new
policy tried on the recent decisions and deployed as the lessor's (usecases.credit_policy).

The pages parse, call the use cases and render. Another lessor's decision is the 404 page, as one that does not
exist."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.api.credit import ApplicationRequest, CreditDesk
from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.credit.decide import policy_schema
from leaseguard.credit.errors import CreditError
from leaseguard.credit.model import CreditModel
from leaseguard.credit.policy import Policy
from leaseguard.credit.reasons import FEATURE_LABELS, REASON_LABELS, words
from leaseguard.errors import InvalidInputError, LeaseguardError
from leaseguard.money import MoneyError, grouped_yuan, parse_fen
from leaseguard.rulefiles import RuleFileError
from leaseguard.store.models import BIG_ID_MAX
from leaseguard.tenancy import Action
from leaseguard.usecases.credit_decision import (
    UnknownDecisionError,
    decide_served,
    decision_record,
    recent_decisions,
)
from leaseguard.usecases.credit_monitoring import PSI_BAND_MEANINGS, PSI_BANDS, score_drift
from leaseguard.usecases.credit_policy import (
    ACTION_LABELS,
    MAX_POLICY_CHARS,
    Deployer,
    PolicyTrial,
    deploy_policy,
    deployed_policy,
    deployments,
    read_policy_text,
    rule_description,
    rule_rows,
    try_policy,
)
from leaseguard.vocabulary import DECISION_LABELS, DECISION_LABELS_EN, Label, Lang, Reason, label_of

router = APIRouter(include_in_schema=False)
TITLE = Label("信用审批", "Applications")
add_nav(NavItem("/applications", TITLE, Action.READ_CREDIT, order=28))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_CREDIT))]
CanDecide = Annotated[ConsoleUser, Depends(require_user(Action.DECIDE_CREDIT))]
CanDeploy = Annotated[ConsoleUser, Depends(require_user(Action.DEPLOY_CREDIT_POLICY))]
# A decision number in the address: the store's ids are 64-bit; a larger one is the 404 page.
MAX_ID = BIG_ID_MAX

# The decision form: the API's request fields in the order shown, with their labels.
FIELDS: dict[str, Label] = {
    "applicant_id": Label("证件号码（身份证或统一社会信用代码）", "Applicant ID (resident ID or USCC)"),
    "application_id": Label("申请编号", "Application no"),
    "applicant_type": Label("申请人类型", "Applicant type"),
    "stated_age": Label("申报年龄（岁）", "Stated age (years)"),
    "enterprise_years": Label("企业经营年限（年）", "Years in business"),
    "registered_on": Label("企业登记日期", "Registered on"),
    "monthly_income_yuan": Label("月收入（元）", "Monthly income (yuan)"),
    "requested_amount_yuan": Label("申请金额（元）", "Requested amount (yuan)"),
    "term_months": Label("期限（月）", "Term (months)"),
    "consent": Label(
        "申请人已授权查询和共享联盟数据", "The applicant consents to consortium queries and sharing"
    ),
}
AMOUNTS = ("monthly_income_yuan", "requested_amount_yuan")
APPLICANT_TYPES: dict[str, Label] = {
    "individual": Label("个人", "Individual"),
    "enterprise": Label("企业", "Enterprise"),
}
FIELD_CHARS = 200
DECISION_TONES = {"approve": "good", "refer": "warn", "decline": "bad"}
SOURCE_LABELS: dict[str, Label] = {
    "scorecard": Label("评分卡", "Scorecard"),
    "model": Label("模型", "Model"),
    "consortium": Label("联盟", "Consortium"),
}

# Why a field is refused, by the request model's error type.
REQUIRED = Label("必填", "required")
TOO_LONG = Label("最多 {limit} 个字符", "at most {limit} characters")
CHOOSE = Label("请从列表中选择", "choose from the list")
WHOLE = Label("请填写整数", "enter a whole number")
NUMBER = Label("请填写数字", "enter a number")
AT_LEAST = Label("不能小于 {limit}", "must be at least {limit}")
AT_MOST = Label("不能大于 {limit}", "must be at most {limit}")
DATE = Label("请按 YYYY-MM-DD 填写日期", "enter a date as YYYY-MM-DD")
AMOUNT_TOO_LARGE = Label(
    "金额过大（最多 12 位整数）", "the amount is too large (at most 12 digits before the point)"
)
NOT_VALID = Label("此项无效", "this is not valid")
NO_MODEL = Label(
    "此服务器未部署信用模型，无法审批。请先用 leaseguard credit train 训练模型。",
    "No credit model is deployed on this server, so nothing can be decided. Train one with leaseguard credit train.",
)
FILE_NOT_TEXT = Label("文件不是 UTF-8 文本（YAML）", "the file is not UTF-8 text (YAML)")


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _desk(request: Request) -> CreditDesk:
    desk: CreditDesk = request.app.state.credit_desk
    return desk


def _model(desk: CreditDesk) -> CreditModel | None:
    return desk.shelf.get(None) if desk.shelf is not None and desk.shelf.versions else None


def _field_message(error: dict[str, Any]) -> Label:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "missing":
        return REQUIRED
    if kind == "string_too_long":
        return TOO_LONG.filled(limit=context.get("max_length", ""))
    if kind == "string_pattern_mismatch":
        return CHOOSE
    if kind.startswith("int_"):
        return WHOLE
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return NUMBER
    if kind in ("greater_than_equal", "greater_than"):
        return AT_LEAST.filled(limit=context.get("ge", context.get("gt", "")))
    if kind in ("less_than_equal", "less_than"):
        return AT_MOST.filled(limit=context.get("le", context.get("lt", "")))
    if kind.startswith("date"):
        return DATE
    if kind.startswith("decimal_"):
        return AMOUNT_TOO_LARGE
    return NOT_VALID


def parse_application(values: dict[str, str], lang: Lang) -> tuple[ApplicationRequest | None, FormState]:
    """The form as the API's request model, or None and the form with a message beside each wrong field."""
    form = FormState(values=values)
    given: dict[str, Any] = {name: (values.get(name) or "").strip() or None for name in FIELDS}
    given["consent"] = True if given["consent"] else None
    for name in AMOUNTS:
        if given[name] is not None:
            try:
                given[name] = Decimal(parse_fen(given[name], where=FIELDS[name])) / 100
            except MoneyError as refused:
                form.add(name, refused.reason, lang)
    for name, text in given.items():
        if isinstance(text, str) and len(text) > FIELD_CHARS:
            form.add(name, TOO_LONG, lang, limit=FIELD_CHARS)
    if form.failed:
        return None, form
    try:
        return ApplicationRequest(**{k: v for k, v in given.items() if v is not None}), form
    except ValidationError as refused:
        for error in refused.errors():
            location = error.get("loc") or ()
            name = str(location[0]) if location else ""
            form.add(name if name in FIELDS else "", _field_message(dict(error)), lang)
        return None, form


def reason_text(reason: dict[str, Any], lang: Lang) -> str:
    """A decision's reason in the reader's language, rendered from its code and parameters (a consortium reason
    carries its own words in both languages)."""
    code = str(reason.get("code", ""))
    if code in REASON_LABELS and isinstance(reason.get("params"), dict):
        return words(Reason(code, reason["params"]), lang)
    return str(reason.get("text_en" if lang == "en" else "text", code))


def rule_text(rule: dict[str, Any], lang: Lang) -> str:
    """A fired rule's reason: a shipped rule's words in the reader's language, a lessor's own as written."""
    return rule_description(str(rule.get("id")), str(rule.get("reason", ""))).text(lang)


def _words(lang: Lang) -> dict[str, Any]:
    def yuan_text(limit: object) -> str:
        return grouped_yuan(parse_fen(str(limit))) if limit not in (None, "") else "—"

    def feature(name: str) -> str:
        label = FEATURE_LABELS.get(name)
        return label.text(lang) if label is not None else name

    return {
        "decision_text": lambda code: (
            label_of(DECISION_LABELS, DECISION_LABELS_EN, code, lang) if code else "—"
        ),
        "decision_tone": lambda code: DECISION_TONES.get(code or "", ""),
        "action_text": lambda code: ACTION_LABELS.get(code, Label(code, code)).text(lang),
        "reason_text": lambda reason: reason_text(reason, lang),
        "rule_text": lambda rule: rule_text(rule, lang),
        "source_text": lambda code: SOURCE_LABELS.get(code, Label(code, code)).text(lang),
        "feature": feature,
        "limit_yuan": yuan_text,
        "band_text": lambda code: PSI_BANDS[code].text(lang) if code else "—",
    }


# --- /applications ----------------------------------------------------------------------------------------


def _applications_page(
    request: Request,
    user: ConsoleUser,
    *,
    form: FormState | None = None,
    answer: dict[str, Any] | None = None,
    before: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    desk = _desk(request)
    with _sessions(request)() as session:
        page = recent_decisions(session, user.lessor, before=before)
    return render(
        request,
        "applications.html",
        {
            "title": TITLE.text(user.lang),
            "form": form or FormState(values={"applicant_type": "individual"}),
            "fields": {name: label.text(user.lang) for name, label in FIELDS.items()},
            "applicant_types": [(code, label.text(user.lang)) for code, label in APPLICANT_TYPES.items()],
            "may_decide": user.may(Action.DECIDE_CREDIT),
            "has_model": _model(desk) is not None,
            "no_model": NO_MODEL.text(user.lang),
            "answer": answer,
            "page": page,
            "before": before,
            **_words(user.lang),
        },
        status_code=status_code,
    )


@router.get("/applications", response_class=HTMLResponse)
def applications(
    request: Request, user: CanRead, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> HTMLResponse:
    """The decision form (roles that decide) and the lessor's decisions, newest first, 20 a page."""
    return _applications_page(request, user, before=before)


Text = Annotated[str, Form(max_length=400)]


@router.post("/applications", response_class=HTMLResponse)
def decide(
    request: Request,
    user: CanDecide,
    _csrf: CsrfChecked,
    applicant_id: Text = "",
    application_id: Text = "",
    applicant_type: Text = "",
    stated_age: Text = "",
    enterprise_years: Text = "",
    registered_on: Text = "",
    monthly_income_yuan: Text = "",
    requested_amount_yuan: Text = "",
    term_months: Text = "",
    consent: Text = "",
) -> HTMLResponse:
    """Decide the application for the user's lessor, as POST /v1/applications/decide decides it (recorded,
    channel `console`, asked by the user, and deposited); a form that cannot be decided comes back with the
    message beside its field, and nothing is recorded."""
    values = {
        "applicant_id": applicant_id, "application_id": application_id, "applicant_type": applicant_type,
        "stated_age": stated_age, "enterprise_years": enterprise_years, "registered_on": registered_on,
        "monthly_income_yuan": monthly_income_yuan, "requested_amount_yuan": requested_amount_yuan,
        "term_months": term_months, "consent": consent,
    }  # fmt: skip
    asked, form = parse_application(values, user.lang)
    if asked is None:
        return _applications_page(request, user, form=form, status_code=422)
    desk = _desk(request)
    if _model(desk) is None:
        form.add("", NO_MODEL, user.lang)
        return _applications_page(request, user, form=form, status_code=503)
    try:
        answer = decide_served(
            _sessions(request), desk, asked.values(), lessor=user.lessor, asked_by=user.username,
            channel="console", signer=request.app.state.evidence_signer, model_version=asked.model_version,
            where=Label("表单", "form"),
        )  # fmt: skip
    except CreditError as error:
        form.add(error.field if error.field in FIELDS else "", error, user.lang)
        return _applications_page(request, user, form=form, status_code=422)
    return _applications_page(request, user, form=form, answer=answer)


# --- /applications/decisions/{id} ----------------------------------------------------------------------------


@router.get("/applications/decisions/{decision_id}", response_class=HTMLResponse)
def decision(request: Request, user: CanRead, decision_id: int) -> HTMLResponse:
    """One of the lessor's decisions as recorded; another lessor's, or none, is the 404 page."""
    if not 0 < decision_id <= MAX_ID:
        raise UnknownDecisionError(Label("没有审批记录 {id}", "no credit decision {id}"), id=decision_id)
    with _sessions(request)() as session:
        record = decision_record(session, user.lessor, decision_id)
    return render(
        request,
        "application_decision.html",
        {
            "title": Label("审批记录 {id}", "Decision {id}").text(user.lang, id=decision_id),
            "r": record,
            "d": record.detail,
            **_words(user.lang),
        },
    )


# --- /applications/drift -------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 720, 240, 48, 40


def _chart(weeks: list[Any], watch: float, act: float) -> dict[str, Any]:
    """The PSI of each week as a bar, on a scale that keeps both bands' lines apart: a PSI above the scale's top
    (four times the act line) is drawn to the top and marked, its value in the table and the bar's title."""
    highest = max([w.psi for w in weeks if w.psi is not None], default=0.0)
    top = min(max(act * 1.6, highest * 1.1), act * 4)
    plot_h = CHART_HEIGHT - CHART_BOTTOM - 16
    step = (CHART_WIDTH - CHART_LEFT) / max(1, len(weeks))

    def y(value: float) -> float:
        return 16 + plot_h * (1 - min(value, top) / top)

    bars = []
    for n, week in enumerate(weeks):
        x = CHART_LEFT + n * step + step * 0.15
        psi = week.psi or 0.0
        bars.append(
            {
                "x": x,
                "y": y(psi),
                "width": step * 0.7,
                "height": y(0) - y(psi),
                "week": week,
                "over": psi > top,
            }
        )
    return {
        "bars": bars,
        "watch_y": y(watch),
        "act_y": y(act),
        "zero_y": y(0),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "step": step,
    }


@router.get("/applications/drift", response_class=HTMLResponse)
def drift(request: Request, user: CanRead) -> HTMLResponse:
    """The PSI of the scores of the lessor's decisions, week by week, as a table and a chart, in their bands."""
    model = _model(_desk(request))
    found = None
    if model is not None:
        with _sessions(request)() as session:
            found = score_drift(session, user.lessor, model, today=dt.date.today())
    return render(
        request,
        "application_drift.html",
        {
            "title": Label("评分稳定性（PSI）", "Score drift (PSI)").text(user.lang),
            "drift": found,
            "chart": _chart(found.weeks, found.watch, found.act) if found else None,
            "no_model": NO_MODEL.text(user.lang),
            "bands": [
                (code, PSI_BANDS[code].text(user.lang), PSI_BAND_MEANINGS[code].text(user.lang))
                for code in ("stable", "watch", "act")
            ],
            **_words(user.lang),
        },
    )


# --- /applications/policy ------------------------------------------------------------------------------------


def _schema(desk: CreditDesk) -> dict[str, type]:
    return policy_schema(_model(desk))


def _policy_page(
    request: Request,
    user: ConsoleUser,
    *,
    form: FormState | None = None,
    trial: PolicyTrial | None = None,
    rule_error: RuleFileError | None = None,
    text: str = "",
    deployed_now: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    desk = _desk(request)
    model = _model(desk)
    in_force: Policy | None = None
    problem = ""
    with _sessions(request)() as session:
        deployed = deployed_policy(session, user.lessor)
        history = deployments(session, user.lessor)
    try:
        in_force = desk.policy(model, deployed)
    except LeaseguardError as error:  # the workspace's file broke after start-up: said, not a 500
        problem = error.text(user.lang)
    return render(
        request,
        "application_policy.html",
        {
            "title": Label("信用政策", "Credit policy").text(user.lang),
            "policy": in_force,
            "rules": rule_rows(in_force) if in_force else [],
            "policy_problem": problem,
            "deployed": deployed,
            "history": history,
            "may_deploy": user.may(Action.DEPLOY_CREDIT_POLICY),
            "form": form or FormState(),
            "trial": trial,
            "rule_error": rule_error,
            "text": text,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest() if trial else "",
            "deployed_now": deployed_now,
            "max_chars": f"{MAX_POLICY_CHARS:,}",
            **_words(user.lang),
        },
        status_code=status_code,
    )


@router.get("/applications/policy", response_class=HTMLResponse)
def policy(
    request: Request, user: CanRead, deployed: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> HTMLResponse:
    """The lessor's policy in force as a table of rules; for compliance, the form to try and deploy a new one."""
    return _policy_page(request, user, deployed_now=deployed)


def _lines(text: str) -> str:
    """The text with its lines ended by LF: a browser sends a textarea's lines ended by CRLF, and reads them back
    from the deploy form's hidden field as LF, so the policy tried and the policy deployed hash alike."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


async def _policy_text(policy_text: str, policy_file: UploadFile | None, lang: Lang, form: FormState) -> str:
    if policy_file is not None and policy_file.filename:
        raw = await policy_file.read(MAX_POLICY_CHARS * 4 + 1)
        try:
            return _lines(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            form.add("policy_file", FILE_NOT_TEXT, lang)
            return ""
    return _lines(policy_text)


def _refused(form: FormState, error: LeaseguardError, lang: Lang) -> RuleFileError | None:
    form.add("policy_text", error, lang)
    return error if isinstance(error, RuleFileError) else None


@router.post("/applications/policy/test", response_class=HTMLResponse)
async def test_policy(
    request: Request,
    user: CanDeploy,
    _csrf: CsrfChecked,
    policy_text: Annotated[str, Form(max_length=MAX_POLICY_CHARS * 2)] = "",
    policy_file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Try a pasted or uploaded policy on the lessor's recent decisions: how many would change and which, from
    what to what; nothing is deployed. A policy that does not read is refused with the rule file's error."""
    form = FormState(values={"policy_text": policy_text})
    text = await _policy_text(policy_text, policy_file, user.lang, form)
    form.values["policy_text"] = text
    if form.failed:
        return _policy_page(request, user, form=form, text=text, status_code=422)
    schema = _schema(_desk(request))
    # Errors name the file as the officer knows it: the upload's name, or policy.yaml when pasted.
    source = policy_file.filename if policy_file is not None and policy_file.filename else "policy.yaml"

    def trial_of() -> PolicyTrial:
        with _sessions(request)() as session:
            return try_policy(session, user.lessor, read_policy_text(text, source, schema), schema)

    try:
        trial = await run_in_threadpool(trial_of)
    except (InvalidInputError, CreditError) as error:
        rule_error = _refused(form, error, user.lang)
        return _policy_page(request, user, form=form, rule_error=rule_error, text=text, status_code=422)
    return _policy_page(request, user, form=form, trial=trial, text=text)


@router.post("/applications/policy/deploy", response_class=HTMLResponse)
def deploy(
    request: Request,
    user: CanDeploy,
    _csrf: CsrfChecked,
    policy_text: Annotated[str, Form(max_length=MAX_POLICY_CHARS * 2)] = "",
    tested_sha256: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Deploy the policy that was tried as the lessor's (compliance only); refused, nothing is kept and the
    form comes back with the message beside the policy."""
    policy_text = _lines(policy_text)
    form = FormState(values={"policy_text": policy_text})
    schema = _schema(_desk(request))
    try:
        with _sessions(request)() as session, session.begin():
            deployed, _ = deploy_policy(
                session, Deployer(user.username, user.lessor, user.role), policy_text, schema,
                tested_sha256=tested_sha256, signer=request.app.state.evidence_signer, channel="console",
            )  # fmt: skip
    except (InvalidInputError, CreditError) as error:
        rule_error = _refused(form, error, user.lang)
        return _policy_page(
            request, user, form=form, rule_error=rule_error, text=policy_text, status_code=422
        )
    return RedirectResponse(f"/applications/policy?deployed={deployed.id}", status_code=303)
