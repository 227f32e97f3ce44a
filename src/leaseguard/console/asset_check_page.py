"""/assets/check: one asset checked before it is funded, as `leaseguard assets check` and POST /v1/assets/check
check it. The page parses the form (registry.views.AssetCheckRequest's fields and limits), checks with the
served register and records the check through the server's writer (usecases.asset_check.check_asset_served),
and shows the use case's answer: the verdict, every reason in the user's language, and the matches — another
lessor's only as the API shows it (its code, registration date, whether its financing is active, the kind of
match), never its lessee, asset or contract. An invalid VIN is a finding of the check, as in the API, and its
reason is also shown beside the VIN field. With htmx the form is posted and its section swapped; without, it
is an ordinary form post."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.errors import LeaseguardError
from leaseguard.money import MoneyError, parse_fen
from leaseguard.registry.reasons import kind_label, verdict_label
from leaseguard.registry.views import AssetCheckRequest
from leaseguard.tenancy import Action
from leaseguard.usecases.asset_check import AssetCheckResponse, check_asset_served
from leaseguard.vocabulary import TERM_LABELS, TERM_LABELS_EN, Label, Lang, label_of

router = APIRouter(include_in_schema=False)
TITLE = Label("资产核查", "Asset check")
add_nav(NavItem("/assets/check", TITLE, Action.CHECK_ASSETS, order=10))

CanCheck = Annotated[ConsoleUser, Depends(require_user(Action.CHECK_ASSETS))]

# The form's fields in the order shown, with their labels; every one may be left empty but one identifier.
FIELDS: dict[str, Label] = {
    "vin": Label("VIN（车架号）", "VIN"),
    "engine_no": Label("发动机号", "Engine no"),
    "serial_no": Label("出厂编号", "Serial no"),
    "asset_type": Label("资产类型", "Asset type"),
    "manufacturer": Label("制造商", "Manufacturer"),
    "model": Label("型号", "Model"),
    "invoice_code": Label("发票代码", "Invoice code"),
    "invoice_no": Label("发票号码", "Invoice no"),
    "invoice_amount": Label("发票金额（元）", "Invoice amount (yuan)"),
    "purchase_contract_no": Label("采购合同编号", "Purchase contract no"),
    "lessee_id": Label("承租人证件号码", "Lessee ID"),
    "lessee_name": Label("承租人名称", "Lessee name"),
}
ASSET_TYPES = ("vehicle", "machinery", "medical", "equipment", "other")
# A form field holds at most this much (the request model's longest field is 200 characters).
FIELD_CHARS = 400

TOO_LONG = Label("最多 {limit} 个字符", "at most {limit} characters")
NOT_A_TYPE = Label("请从列表中选择资产类型", "choose an asset type from the list")
AMOUNT_TOO_LARGE = Label(
    "金额过大（最多 12 位整数）", "the amount is too large (at most 12 digits before the point)"
)
NOT_VALID = Label("此项无效", "this is not valid")
NEED_AN_IDENTIFIER = Label(
    "请至少填写 VIN、发动机号、出厂编号、发票号码之一",
    "fill in at least one of VIN, engine no, serial no, invoice no",
)
FINANCING = {
    True: Label("存续", "active"),
    False: Label("已结束", "ended"),
    None: Label("未知", "unknown"),
}
VERDICT_TONES = {"clear": "good", "review": "warn", "block": "bad"}


def _field_message(error: dict[str, Any]) -> Label:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "string_too_long":
        return TOO_LONG.filled(limit=context.get("max_length", ""))
    if kind == "string_pattern_mismatch":
        return NOT_A_TYPE
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return AMOUNT_TOO_LARGE
    return NOT_VALID


def parse_request(values: dict[str, str], lang: Lang) -> tuple[AssetCheckRequest | None, FormState]:
    """The form as the API's request model, or None and the form with a message beside each wrong field."""
    form = FormState(values=values)
    given: dict[str, Any] = {name: (values.get(name) or "").strip() or None for name in FIELDS}
    amount = given.pop("invoice_amount")
    if amount is not None:
        try:
            given["invoice_amount"] = Decimal(parse_fen(amount, where=FIELDS["invoice_amount"])) / 100
        except MoneyError as refused_amount:
            form.add("invoice_amount", refused_amount.reason, lang)
    if form.failed:
        return None, form
    try:
        return AssetCheckRequest(**given), form
    except ValidationError as refused:
        for error in refused.errors():
            location = error.get("loc") or ()
            name = str(location[0]) if location else ""
            cause = (error.get("ctx") or {}).get("error")
            if name in FIELDS:
                form.add(name, _field_message(dict(error)), lang)
            elif isinstance(cause, LeaseguardError):  # no identifier at all: a message for the whole form
                form.add("", NEED_AN_IDENTIFIER, lang)
            else:
                form.add("", NOT_VALID, lang)
        return None, form


def _context(user: ConsoleUser, form: FormState, answer: AssetCheckResponse | None) -> dict[str, Any]:
    lang = user.lang
    matches: list[dict[str, Any]] = []
    if answer is not None:
        for view, reasons in zip(answer.matches, answer.match_reasons_in(lang), strict=True):
            matches.append(
                {
                    **view,
                    "kind_text": kind_label(view["match_kind"], lang),
                    "verdict_text": verdict_label(view["verdict"], lang),
                    "financing_text": FINANCING[view["financing_active"]].text(lang),
                    "reason_texts": reasons,
                }
            )
    return {
        "title": TITLE.text(lang),
        "form": form,
        "fields": {name: label.text(lang) for name, label in FIELDS.items()},
        "asset_types": [(code, label_of(TERM_LABELS, TERM_LABELS_EN, code, lang)) for code in ASSET_TYPES],
        "answer": answer,
        "verdict_text": verdict_label(answer.verdict, lang) if answer else "",
        "tone": VERDICT_TONES.get(answer.verdict, "") if answer else "",
        "finding_reasons": answer.finding_reasons_in(lang) if answer else [],
        "matches": matches,
    }


@router.get("/assets/check", response_class=HTMLResponse)
def check_form(request: Request, user: CanCheck) -> HTMLResponse:
    """The empty form."""
    return render(request, "asset_check.html", _context(user, FormState(), None))


Text = Annotated[str, Form(max_length=FIELD_CHARS)]


@router.post("/assets/check", response_class=HTMLResponse)
def check(
    request: Request,
    user: CanCheck,
    _csrf: CsrfChecked,
    vin: Text = "",
    engine_no: Text = "",
    serial_no: Text = "",
    asset_type: Text = "",
    manufacturer: Text = "",
    model: Text = "",
    invoice_code: Text = "",
    invoice_no: Text = "",
    invoice_amount: Text = "",
    purchase_contract_no: Text = "",
    lessee_id: Text = "",
    lessee_name: Text = "",
) -> HTMLResponse:
    """Check the asset for the user's lessor and record the check (channel `console`, asked by the user); a
    form that cannot be checked comes back with its messages, and nothing is recorded."""
    values = {
        "vin": vin, "engine_no": engine_no, "serial_no": serial_no, "asset_type": asset_type,
        "manufacturer": manufacturer, "model": model, "invoice_code": invoice_code, "invoice_no": invoice_no,
        "invoice_amount": invoice_amount, "purchase_contract_no": purchase_contract_no, "lessee_id": lessee_id,
        "lessee_name": lessee_name,
    }  # fmt: skip
    asked, form = parse_request(values, user.lang)
    if asked is None:
        return render(request, "asset_check.html", _context(user, form, None), status_code=422)
    answer = check_asset_served(
        request.app.state.registers,
        request.app.state.check_recorder,
        asked.facts(user.lessor),
        asked_by=user.username,
        channel="console",
    )
    # An invalid or missing VIN is a finding of the check (the check is recorded as asked); its reason is
    # also said beside the field it is about.
    shown = FormState(values=values)
    for finding, reason in zip(answer.findings, answer.finding_reasons_in(user.lang), strict=True):
        if finding.field in FIELDS and not shown.error(finding.field):
            shown.add(finding.field, reason, user.lang)
    return render(request, "asset_check.html", _context(user, shown, answer))
