"""What an element-based complaint (要素式起诉状) for a financial-leasing dispute states, checked before a case
file is written, and rendered through an editable Jinja template.

The facts come from the store (see `casefiles`); this module holds no I/O beyond reading a template file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from stdnum.cn import ric, uscc

from leaseguard.enforcement.claims import Claim
from leaseguard.errors import InvalidInputError
from leaseguard.money import grouped_yuan
from leaseguard.vocabulary import Label, Reason

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "defaults" / "enforcement" / "templates"
COMPLAINT_TEMPLATE = "complaint.md.j2"
PRESERVATION_TEMPLATE = "preservation.md.j2"


@dataclass(frozen=True)
class Party:
    role: str  # plaintiff | defendant | guarantor
    name: str
    id_no: str
    address: str | None = None
    legal_representative: str | None = None
    lessee_type: str | None = None  # enterprise | individual, where the file says
    phone: str | None = None
    ethnicity: str | None = None  # 民族, where on file
    residence: str | None = None  # 经常居住地, where on file and not the domicile
    legal_representative_title: str | None = None
    # a guarantor's guarantee (the contracts file's `guarantors` column)
    form: str | None = None  # joint (连带责任保证) | general (一般保证)
    scope: str | None = None
    contract_date: dt.date | None = None
    period_months: int | None = None  # None: not agreed, six months (Civil Code Art. 692)
    # the plaintiff's (lessors.csv)
    agent: str | None = None  # 委托诉讼代理人
    service_address: str | None = None  # 送达地址
    electronic_service: str | None = (
        None  # consent to electronic service and its address, e.g. 电子邮箱 a@b.cn
    )

    @property
    def is_person(self) -> bool:
        return ric.is_valid(self.id_no) and not self.is_enterprise

    @property
    def gender(self) -> str | None:
        """From the resident ID's 17th digit (odd: male)."""
        if not self.is_person:
            return None
        return "男" if int(ric.compact(self.id_no)[16]) % 2 else "女"

    @property
    def birth_date(self) -> dt.date | None:
        return ric.get_birth_date(self.id_no) if self.is_person else None

    @property
    def is_enterprise(self) -> bool:
        if self.lessee_type in ("enterprise", "individual"):
            return self.lessee_type == "enterprise"
        # Some resident IDs pass the USCC check digit too: a valid resident ID is a person.
        return uscc.is_valid(self.id_no) and not ric.is_valid(self.id_no)

    @property
    def id_label(self) -> str:
        if ric.is_valid(self.id_no) and not self.is_enterprise:
            return "公民身份号码"
        return "统一社会信用代码" if uscc.is_valid(self.id_no) else "证件号码"


def _degrees(micro: int) -> str:
    whole, fraction = divmod(abs(micro), 1_000_000)
    return f"{whole}.{fraction:06d}°"


@dataclass(frozen=True)
class LastFix:
    """An asset's last position fixed by one of its BeiDou/GPS terminals (JT/T 808) on or before the case's
    date, as the store holds it: micro-degrees (WGS-84) and the fix time in GMT+8."""

    terminal_phone: str
    latitude_e6: int
    longitude_e6: int
    fix_time: dt.datetime  # aware, GMT+8

    @property
    def place(self) -> str:
        """北纬31.230416°、东经121.473701° (南纬/西经 when negative), as the terminal sent it: six decimals."""
        north = "北纬" if self.latitude_e6 >= 0 else "南纬"
        east = "东经" if self.longitude_e6 >= 0 else "西经"
        return f"{north}{_degrees(self.latitude_e6)}、{east}{_degrees(self.longitude_e6)}"

    @property
    def time_text(self) -> str:
        """2026-11-30 08:00:30 (Beijing time: the template says so)."""
        return self.fix_time.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class LeasedAsset:
    asset_id: str
    asset_type: str
    vin: str | None = None
    serial_no: str | None = None
    engine_no: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    supplier: str | None = None
    purchase_contract_no: str | None = None
    invoice_code: str | None = None
    invoice_no: str | None = None
    invoice_amount_fen: int | None = None
    invoice_date: dt.date | None = None
    location: str | None = None
    appraised_fen: int | None = None
    appraised_on: dt.date | None = None
    last_fix: LastFix | None = None  # None: no terminal of the asset fixed a position by the case's date

    @property
    def identifiers(self) -> list[tuple[str, str]]:
        found = [("车架号", self.vin), ("出厂编号", self.serial_no), ("发动机号", self.engine_no)]
        return [(label, value) for label, value in found if value]


@dataclass(frozen=True)
class Exhibit:
    number: int
    title: str
    proves: str
    evidence_index: int
    leaf_hash: str  # hex SHA-256 leaf hash of the record in the evidence log (RFC 9162)
    kind: str
    source: str = "原告提供"
    pages: int | None = None
    sha256: str = ""  # of the document's file, where the exhibit is a deposited file


@dataclass(frozen=True)
class CaseFacts:
    contract_no: str
    claim_date: dt.date
    lessor: Party
    lessee: Party
    guarantors: tuple[Party, ...]
    lease_type: str | None  # direct | sale_leaseback
    start_date: dt.date
    term_months: int
    principal_fen: int
    annual_rate: Decimal
    deposit_fen: int
    residual_value_fen: int
    registration_no: str | None
    instalments: tuple[tuple[int, dt.date, int], ...]  # number, due date, rent
    payments: tuple[tuple[dt.date, int], ...]  # paid date, amount (negative: a reversal)
    assets: tuple[LeasedAsset, ...]
    claim: Claim
    asset_class: str | None = None  # the five-category class the contract had on the day
    agreed_court: str | None = (
        None  # the court the contract agrees on (contracts.csv `court`), if it names one
    )
    court: str = ""  # the court the complaint is filed in (enforcement.courts.choose_court)
    court_reason: str = ""
    exhibits: tuple[Exhibit, ...] = field(default_factory=tuple)
    demand: Any = None  # the delivered demand (enforcement.records.NoticeOnFile) the complaint rests on
    penalty_daily_rate: Decimal | None = None  # the contract's own, where on file
    acceleration_clause: bool = False  # the contract on file has an acceleration clause
    sellers: str = ""  # the assets' sellers (出卖人), as the assets file names them
    preserved_fen: int = 0  # the amount the preservation application asks to secure

    @property
    def demand_method(self) -> str:
        from leaseguard.vocabulary import METHOD_LABELS

        return METHOD_LABELS.get(self.demand.method, self.demand.method) if self.demand else ""

    @property
    def total_rent_fen(self) -> int:
        return sum(rent for _, _, rent in self.instalments)

    @property
    def paid_fen(self) -> int:
        return sum(amount for _, amount in self.payments)


class GuarantorsError(InvalidInputError):
    """The `guarantors` column cannot be read."""


def _guarantor_error(
    contract_no: str, position: int, entry: str, reason: Label, /, **values: object
) -> GuarantorsError:
    """The error naming the contract, the guarantor's place in the column and the entry, then `reason`."""
    return GuarantorsError(
        Label("合同 {contract_no}：第 {position} 个保证人 {entry!r}" + reason.zh,
              "contract {contract_no}: guarantor {position} {entry!r}" + reason.en),
        contract_no=contract_no, position=position, entry=entry, **values,
    )  # fmt: skip


GUARANTEE_FORMS = {"joint": "joint", "连带": "joint", "连带责任保证": "joint", "general": "general",
                   "一般": "general", "一般保证": "general"}  # fmt: skip


def parse_guarantors(value: object, contract_no: str) -> tuple[Party, ...]:
    """`name|id_no|address[|form|scope|contract_date|period_months]` entries separated by `;` (the contracts
    file's optional `guarantors` column): form joint/连带 or general/一般 (joint when empty: Civil Code Art. 686
    says general, but leasing contracts state joint guarantees; the column says which), the guarantee's scope,
    the guarantee contract's date (YYYY-MM-DD) and its period in months (empty: not agreed)."""
    if value in (None, ""):
        return ()
    parties = []
    for position, entry in enumerate(str(value).split(";"), start=1):
        if not entry.strip():
            continue
        parts = [part.strip() for part in entry.split("|")]
        where = (contract_no, position, entry.strip())
        if not 3 <= len(parts) <= 7 or not parts[0] or not parts[1]:
            raise _guarantor_error(
                *where,
                Label(" 不符合格式 name|id_no|address[|form|scope|contract_date|period_months]",
                      " is not name|id_no|address[|form|scope|contract_date|period_months]"),
            )  # fmt: skip
        parts += [""] * (7 - len(parts))
        form = GUARANTEE_FORMS.get(parts[3] or "joint")
        if form is None:
            raise _guarantor_error(
                *where,
                Label("：保证方式 {form!r} 应为 joint（连带）或 general（一般）",
                      ": form {form!r} is not joint (连带) or general (一般)"),
                form=parts[3],
            )  # fmt: skip
        try:
            signed = dt.date.fromisoformat(parts[5]) if parts[5] else None
        except ValueError:
            raise _guarantor_error(
                *where,
                Label("：contract_date {value!r} 不是日期（应为 YYYY-MM-DD）",
                      ": contract_date {value!r} is not a date (YYYY-MM-DD)"),
                value=parts[5],
            ) from None  # fmt: skip
        if parts[6] and not (parts[6].isdigit() and int(parts[6]) > 0):
            raise _guarantor_error(
                *where,
                Label(
                    "：period_months {value!r} 不是正整数",
                    ": period_months {value!r} is not a positive whole number",
                ),
                value=parts[6],
            )
        parties.append(
            Party("guarantor", parts[0], parts[1], parts[2] or None, form=form, scope=parts[4] or None,
                  contract_date=signed, period_months=int(parts[6]) if parts[6] else None)
        )  # fmt: skip
    return tuple(parties)


def guarantee_end(guarantor: Party, main_debt_due: dt.date) -> dt.date:
    """The last day of a guarantee period: the agreed months, or six months (Civil Code Art. 692), from the
    main debt's due date."""
    months = guarantor.period_months or 6
    month_index = main_debt_due.month - 1 + months
    year, month = main_debt_due.year + month_index // 12, month_index % 12 + 1
    for day in range(main_debt_due.day, 0, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 1 exists in every month")


# What keeps a complaint from being filed, by code; each names the file and column to fill.
PROBLEM_LABELS = {
    "party-no-address": Label(
        "{role_zh}{name}没有地址（{file} 的 {column} 列）",
        "{role} {name} has no address ({file} column {column})",
    ),
    "party-no-legal-representative": Label(
        "{role_zh}{name}没有法定代表人（{file} 的 {column} 列）",
        "{role} {name} has no legal representative ({file} column {column})",
    ),
    "plaintiff-no-uscc": Label(
        "原告{name}没有有效的统一社会信用代码（lessors.csv 的 uscc 列）",
        "plaintiff {name} has no valid unified social credit code (lessors.csv column uscc)",
    ),
    "guarantor-no-address": Label(
        "保证人{name}没有地址（contracts.csv 的 guarantors 列）",
        "guarantor {name} has no address (contracts.csv column guarantors)",
    ),
    "plaintiff-no-phone": Label(
        "原告{name}没有联系电话（lessors.csv 的 phone 列）",
        "plaintiff {name} has no phone (lessors.csv column phone)",
    ),
    "no-asset": Label(
        "合同没有登记租赁物（assets.csv 的 contract_no 列）",
        "no leased asset is recorded for the contract (assets.csv column contract_no)",
    ),
    "asset-no-identifier": Label(
        "租赁物{asset_id}没有识别号（assets.csv 的 vin、serial_no 或 engine_no 列）",
        "asset {asset_id} has no identifier (assets.csv vin, serial_no or engine_no)",
    ),
}
_ROLES_ZH = {"plaintiff": "原告", "defendant": "被告"}


def case_problems(facts: CaseFacts) -> list[Reason]:
    """What keeps a complaint from being filed as it stands: each problem names the field to fill."""
    problems = []
    for party, where in ((facts.lessor, "lessors.csv"), (facts.lessee, "contracts.csv")):
        said = {
            "role": party.role,
            "role_zh": _ROLES_ZH.get(party.role, party.role),
            "name": party.name,
            "file": where,
        }
        column = "address" if party.role == "plaintiff" else "lessee_address"
        if not party.address:
            problems.append(Reason("party-no-address", {**said, "column": column}))
        if party.is_enterprise and not party.legal_representative:
            column = "legal_representative" if party.role == "plaintiff" else "lessee_legal_representative"
            problems.append(Reason("party-no-legal-representative", {**said, "column": column}))
    if not uscc.is_valid(facts.lessor.id_no):
        problems.append(Reason("plaintiff-no-uscc", {"name": facts.lessor.name}))
    for guarantor in facts.guarantors:
        if not guarantor.address:
            problems.append(Reason("guarantor-no-address", {"name": guarantor.name}))
    if not facts.lessor.phone:
        problems.append(Reason("plaintiff-no-phone", {"name": facts.lessor.name}))
    if not facts.assets:
        problems.append(Reason("no-asset"))
    for asset in facts.assets:
        if not asset.identifiers:
            problems.append(Reason("asset-no-identifier", {"asset_id": asset.asset_id}))
    return problems


# --- templates --------------------------------------------------------------------------------------------


class TemplateFieldError(InvalidInputError):
    """A template names something the case does not have, or does not parse."""


def cn_date(value: dt.date | None) -> str:
    return "" if value is None else f"{value.year}年{value.month}月{value.day}日"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def template_environment(folder: Path | None = None) -> jinja2.Environment:
    """Templates from `folder` (default: the shipped Chinese ones); a name a case lacks is an error."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder or SHIPPED_TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is the documents' markup, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(yuan=grouped_yuan, plain_yuan=grouped_yuan, cn_date=cn_date, percent=percent)
    return environment


def _loaded(environment: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return environment.get_template(name)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateFieldError(
            Label("模板 {name} 第 {line} 行：{message}", "template {name} line {line}: {message}"),
            name=name, line=error.lineno, message=error.message,
        ) from None  # fmt: skip
    except jinja2.TemplateNotFound:
        folders = getattr(environment.loader, "searchpath", [])
        raise TemplateFieldError(
            Label("在 {folders} 中找不到模板 {name}", "template {name} not found in {folders}"),
            name=name, folders=", ".join(map(str, folders)),
        ) from None  # fmt: skip


def checked_environment(folder: Path | None = None, name: str = COMPLAINT_TEMPLATE) -> jinja2.Environment:
    """The template environment once the complaint template is found and parses (TemplateFieldError if not)."""
    environment = template_environment(folder)
    _loaded(environment, name)
    return environment


def _template_line(error: BaseException, name: str) -> int | None:
    line = None
    trace = error.__traceback__
    while trace is not None:
        if Path(trace.tb_frame.f_code.co_filename).name == name:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def render_complaint(
    environment: jinja2.Environment, facts: CaseFacts, name: str = COMPLAINT_TEMPLATE
) -> str:  # also renders the preservation application (PRESERVATION_TEMPLATE)
    """The complaint's markup; a template error names the template, its line and what is missing."""
    template = _loaded(environment, name)
    try:
        return template.render(case=facts, claim=facts.claim, today=dt.date.today())
    except (jinja2.UndefinedError, AttributeError, TypeError) as error:
        line = _template_line(error, name)
        said = (
            Label("模板 {name} 第 {line} 行：{error}", "template {name} line {line}: {error}")
            if line
            else Label("模板 {name}：{error}", "template {name}: {error}")
        )
        raise TemplateFieldError(said, name=name, line=line, error=error) from None


def copy_shipped_templates(folder: Path) -> list[Path]:
    """Copy the shipped templates into `folder` for editing; an existing file is left as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(SHIPPED_TEMPLATES.glob("*.j2")):
        target = folder / source.name
        if not target.exists():
            shutil.copyfile(source, target)
            copied.append(target)
    return copied


def exhibit_rows(facts: CaseFacts) -> list[dict[str, Any]]:
    """The exhibit list as rows (exhibits.csv of a case folder)."""
    return [
        {"number": e.number, "title": e.title, "source": e.source, "proves": e.proves, "pages": e.pages or "",
         "evidence_index": e.evidence_index, "leaf_hash_sha256": e.leaf_hash, "file_sha256": e.sha256,
         "kind": e.kind}
        for e in facts.exhibits
    ]  # fmt: skip
