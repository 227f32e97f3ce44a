"""Court-ready case files in batch: for each defaulted contract, a folder with the element-based complaint (DOCX
and PDF), the claim with its arithmetic, the exhibit list and the evidence bundle that proves the exhibits.

A case that cannot be filed as it stands (nothing overdue, a party without an address, an asset without an
identifier, a template naming a field the case lacks) is skipped with its reason in the summary; the others
are written. Each folder is built aside and moved into place whole, so no half-written folder is left.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import dataclasses
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text, update

from leaseguard.enforcement.claims import (
    NotDefaultedError,
    claim_document,
    compute_claim,
)
from leaseguard.enforcement.complaint import (
    PRESERVATION_TEMPLATE,
    PROBLEM_LABELS,
    CaseFacts,
    Exhibit,
    LastFix,
    LeasedAsset,
    Party,
    TemplateFieldError,
    case_problems,
    checked_environment,
    exhibit_rows,
    guarantee_end,
    parse_guarantors,
    render_complaint,
)
from leaseguard.enforcement.courts import CourtRules, choose_court, division_of, load_court_rules
from leaseguard.enforcement.documents import docx_bytes, missing_glyphs, parse_markup, pdf_bytes
from leaseguard.enforcement.records import (
    DocumentOnFile,
    NoticeOnFile,
    documents_of_contracts,
    notices_on_record,
)
from leaseguard.enforcement.rules import ClaimRules
from leaseguard.enforcement.service import (
    ContractOnFile,
    extra_fields,
    insert_case,
    read_contracts_on_file,
    the_one,
)
from leaseguard.errors import InvalidInputError, LeaseguardError
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.bundle import export_bundle
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import canonical_json
from leaseguard.money import grouped_yuan
from leaseguard.store.db import as_date, in_list
from leaseguard.store.models import EnforcementCase
from leaseguard.tenancy.service import lessor_names
from leaseguard.tracking.jt808 import GMT8
from leaseguard.tracking.storage import last_positions_known_by
from leaseguard.vocabulary import (
    ACCELERATION,
    CLASS_LABELS,
    CLASS_LABELS_EN,
    CLASSES,
    DEFAULT_LANG,
    REMEDY_LABELS,
    REMEDY_LABELS_EN,
    Label,
    Lang,
    Reason,
    label_of,
)
from leaseguard.vocabulary import NON_PERFORMING as NON_PERFORMING_CLASSES

NON_PERFORMING = tuple(c for c in CLASSES if c in NON_PERFORMING_CLASSES)  # in the classes' order
GENERATED, SKIPPED = "generated", "skipped"
SUMMARY_COLUMNS = (
    "contract_no", "lessor", "lessee", "class", "status", "reason", "remedy", "claim", "total_with_costs",
    "court", "missing", "notes", "case_id", "evidence_index", "folder", "reason_codes", "lessor_name",
)  # fmt: skip
SUMMARY_LABELS = {
    "contract_no": "合同编号", "lessor": "出租人", "lessee": "承租人", "class": "五级分类", "status": "状态",
    "reason": "原因", "remedy": "诉请方式", "claim": "诉请金额（元）", "total_with_costs": "含诉讼费用（元）",
    "court": "管辖法院", "missing": "待补材料", "notes": "律师提示", "case_id": "案件号", "evidence_index": "存证索引",
    "folder": "文件夹", "reason_codes": "原因代码", "lessor_name": "出租人名称",
}  # fmt: skip
STATUS_LABELS = {GENERATED: "已生成", SKIPPED: "未生成"}
STATUS_LABELS_EN = {GENERATED: "generated", SKIPPED: "skipped"}
NO_DEMAND, NOT_IN_STORE, NO_DEFAULT, NOT_WRITTEN, UNPRINTABLE, NOT_FILEABLE = (
    "no-demand", "not-in-store", "no-default", "not-written", "unprintable", "not-fileable",
)  # fmt: skip
# Why a contract's case file was not written, by code (the complaint's own problems are in PROBLEM_LABELS).
SKIP_LABELS = {
    **PROBLEM_LABELS,
    NO_DEMAND: Label("没有送达且期限已届满的催告记录", "no demand (催告) on record"),
    NOT_IN_STORE: Label("合同不在库中", "contract is not in the store"),
    NO_DEFAULT: Label("合同在{day}没有逾期，无可诉请金额", "no default: nothing is overdue on {day}"),
    NOT_WRITTEN: Label("案件文件未能写出：{error}", "not written: {error_en}"),
    UNPRINTABLE: Label(
        "PDF 字体无法显示的字符：{characters}", "characters the PDF fonts cannot print: {characters}"
    ),
    # The record's own words (a court rule's Chinese reason) or an error's in each language (`said`).
    NOT_FILEABLE: Label("{text}", "{text_en}"),
}


def said(cause: BaseException | str, key: str) -> dict[str, str]:
    """A reason's parameters `key` (Chinese) and `key`_en (English) saying `cause`: a domain error in each
    language, anything else (a court rule's Chinese reason, the system's words) as it is in both."""
    if isinstance(cause, LeaseguardError):
        return {key: cause.text("zh"), f"{key}_en": cause.text("en")}
    return {key: str(cause), f"{key}_en": str(cause)}


# Documents a complaint cannot do without; listed in the summary as 待补 where the record lacks them.
CORE_DOCUMENTS = {
    "lease_contract": "融资租赁合同",
    "payment_proof": "租金支付凭证",
    "demand_letter": "催告函及送达凭证",
}
# The same in an English summary (claim.json, filed with the case, keeps the Chinese names).
CORE_DOCUMENTS_EN = {
    "融资租赁合同": "lease contract",
    "租金支付凭证": "proof of rent paid",
    "催告函及送达凭证": "demand letter and proof of delivery",
}


class CaseFilesError(InvalidInputError):
    """The batch cannot start (no classification for the day, a template that does not parse, …)."""


@dataclass(frozen=True)
class CaseOutcome:
    contract_no: str
    lessor: str
    status: str  # generated | skipped
    reasons: tuple[Reason, ...] = ()
    lessee: str = ""
    asset_class: str | None = None
    claim_fen: int | None = None
    total_fen: int | None = None
    case_id: int | None = None
    evidence_index: int | None = None
    folder: Path | None = None
    remedy: str = ""
    court: str = ""
    missing: tuple[str, ...] = ()  # core documents the record lacks (待补)
    notes: tuple[str, ...] = ()  # for the lawyer: never in a filed document

    @property
    def reason(self) -> str:
        return self.reason_in()

    def reason_in(self, lang: Lang = DEFAULT_LANG) -> str:
        """Why the case was skipped, in words; empty for a case written."""
        return ("；" if lang == "zh" else "; ").join(
            reason.text(SKIP_LABELS, lang) for reason in self.reasons
        )

    def row(self, lang: Lang = DEFAULT_LANG) -> dict[str, Any]:
        return {
            "contract_no": self.contract_no, "lessor": self.lessor, "lessee": self.lessee,
            "class": self.asset_class or "", "status": self.status, "reason": self.reason_in(lang),
            "reason_codes": ";".join(reason.code for reason in self.reasons),
            "remedy": label_of(REMEDY_LABELS, REMEDY_LABELS_EN, self.remedy, lang) if self.remedy else "",
            "court": self.court,
            "missing": "、".join(f"{name}（待补）" for name in self.missing) if lang == "zh" else "; ".join(
                f"{CORE_DOCUMENTS_EN.get(name, name)} (to add)" for name in self.missing),
            "notes": "；".join(self.notes),
            "claim": "" if self.claim_fen is None else grouped_yuan(self.claim_fen),
            "total_with_costs": "" if self.total_fen is None else grouped_yuan(self.total_fen),
            "case_id": self.case_id or "", "evidence_index": "" if self.evidence_index is None else self.evidence_index,
            "folder": self.folder.name if self.folder else "",
        }  # fmt: skip


@dataclass(frozen=True)
class CaseFilesSummary:
    outcomes: tuple[CaseOutcome, ...]
    summary_xlsx: Path
    summary_csv: Path

    @property
    def generated(self) -> int:
        return sum(outcome.status == GENERATED for outcome in self.outcomes)

    @property
    def skipped(self) -> int:
        return sum(outcome.status == SKIPPED for outcome in self.outcomes)


# --- choosing the contracts -------------------------------------------------------------------------------


def select_contracts(
    engine: Engine,
    day: dt.date,
    *,
    lessor: str | None = None,
    classes: Sequence[str] | None = NON_PERFORMING,
    contracts: Sequence[str] = (),
) -> list[tuple[str, str, str | None]]:
    """(contract_no, lessor, class) of the contracts to take to court (of `lessor` only, when given): those named,
    or those whose class on their lessor's latest daily run on or before `day` is one of `classes` (None: every
    class). Each lessor's own run day: a day another lessor alone ran says nothing of a lessor's contracts."""
    named = list(dict.fromkeys(contracts))
    of_lessor = "" if lessor is None else " and lessor = :lessor"
    with engine.connect() as connection:
        run_days = {
            str(owner): as_date(last)
            for owner, last in connection.execute(
                text(
                    f"select lessor, max(as_of) from book_runs where as_of <= :day{of_lessor} group by lessor"
                ),
                {"day": day} if lessor is None else {"day": day, "lessor": lessor},
            ).all()
        }
        if named:
            owners: dict[str, str] = dict(
                connection.execute(
                    in_list("select contract_no, lessor from contracts where contract_no in :nos"),
                    {"nos": named},
                ).all()
            )
            classes_on_day: dict[str, str | None] = {}
            for owner in sorted({owners[no] for no in named if no in owners} & set(run_days)):
                classes_on_day.update(
                    connection.execute(
                        in_list('select contract_no, "class" from contract_classes '
                                "where as_of = :day and lessor = :lessor and contract_no in :nos"),
                        {"day": run_days[owner], "lessor": owner, "nos": named},
                    ).all()
                )  # fmt: skip
            chosen = [(no, str(owners.get(no, "")), classes_on_day.get(no)) for no in named]
        else:
            if not run_days:
                raise CaseFilesError(
                    Label("{day} 及之前没有日终批处理：请先运行 `leaseguard run daily --as-of {day}`，"
                          "或用 --contract 指定合同",
                          "no daily run on or before {day}: run `leaseguard run daily --as-of {day}` first, "
                          "or name the contracts with --contract"),
                    day=day,
                )  # fmt: skip
            # One query in the store's order of contract numbers: each day with the lessors whose latest it is.
            by_day: dict[dt.date, list[str]] = {}
            for owner, run_day in sorted(run_days.items()):
                by_day.setdefault(run_day, []).append(owner)
            where = " or ".join(f"(as_of = :day_{i} and lessor in :lessors_{i})" for i in range(len(by_day)))
            query = text(
                f'select contract_no, lessor, "class" from contract_classes where {where} order by contract_no'
            ).bindparams(*(bindparam(f"lessors_{i}", expanding=True) for i in range(len(by_day))))
            params: dict[str, object] = {}
            for i, (run_day, owners_of_day) in enumerate(sorted(by_day.items())):
                params[f"day_{i}"], params[f"lessors_{i}"] = run_day, owners_of_day
            rows = connection.execute(query, params).all()  # each contract's lessor is kept with its class
            chosen = [
                (str(no), str(owner), str(klass))
                for no, owner, klass in rows
                if classes is None or klass in classes
            ]
    return [(no, owner, klass) for no, owner, klass in chosen if lessor is None or owner == lessor]


# --- facts from the store ---------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value).strip() or None


def _day(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    return as_date(value)


def read_lessors(engine: Engine) -> dict[str, Party]:
    """Every lessor as the plaintiff of its cases (details from lessors.csv's optional columns)."""
    with engine.connect() as connection:
        rows = connection.execute(text("select code, name, extra from lessors")).all()
    parties = {}
    for code, name, extra in rows:
        details = extra_fields(extra)
        parties[str(code)] = Party(
            "plaintiff", str(name), _text(details.get("uscc")) or "", _text(details.get("address")),
            _text(details.get("legal_representative")), "enterprise", phone=_text(details.get("phone")),
            legal_representative_title=_text(details.get("legal_representative_title")),
            agent=_text(details.get("agent")), service_address=_text(details.get("service_address")),
            electronic_service=_text(details.get("electronic_service")),
        )  # fmt: skip
    return parties


class NotFileableError(InvalidInputError):
    """The record does not support a complaint for the contract (no demand, arbitration, no court, …): the
    reason the summary gives, said by its label."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(SKIP_LABELS[reason.code], **reason.params)
        self.reason = reason


@dataclass(frozen=True)
class CaseRecord:
    """A contract's facts ready for its complaint, and what the lawyer must know beside it."""

    facts: CaseFacts
    notes: tuple[str, ...]
    missing: tuple[str, ...]
    documents: tuple[DocumentOnFile, ...]


def _the_demand(notices: Sequence[NoticeOnFile], day: dt.date) -> NoticeOnFile | None:
    """The latest demand to the lessee delivered and with its period over by the claim date."""
    ready = [n for n in notices if n.kind == "demand" and n.deadline is not None and n.deadline < day]
    return max(ready, key=lambda n: (n.delivered_on or n.sent_on, n.sent_on), default=None)


def _bound_guarantors(
    guarantors: Sequence[Party], notices: Sequence[NoticeOnFile], main_debt_due: dt.date, day: dt.date
) -> tuple[tuple[Party, ...], list[str]]:
    """The guarantors still bound on the claim date, and a note for each one left out: its period (agreed, or
    six months from the main debt's due date, Civil Code Art. 692) lapsed with no demand to it."""
    bound, notes = [], []
    for guarantor in guarantors:
        end = guarantee_end(guarantor, main_debt_due)
        asked = [
            n for n in notices if n.kind == "guarantee_demand" and n.addressee in (guarantor.name, guarantor.id_no)
            and n.sent_on <= end
        ]  # fmt: skip
        if day > end and not asked:
            notes.append(
                f"保证人{guarantor.name}的保证期间已于{end.isoformat()}届满且无向其主张权利的记录，未列为被告"
            )
        else:
            bound.append(guarantor)
    return tuple(bound), notes


def read_case_facts(
    engine: Engine, contract_no: str, day: dt.date, rules: ClaimRules, plaintiffs: dict[str, Party],
    *, remedy: str = ACCELERATION, court_rules: CourtRules | None = None,
) -> CaseRecord:  # fmt: skip
    """A contract's facts and its claim on `day` under `remedy`. NotDefaultedError when nothing is overdue,
    RemedyUnavailableError when the remedy cannot be claimed, NotFileableError when the record does not support
    a complaint (no delivered demand whose period is over, an arbitration clause, no court to name)."""
    found = read_cases_facts(
        engine, [contract_no], day, rules, plaintiffs, remedy=remedy, court_rules=court_rules
    )
    return the_one(found, contract_no)


def read_cases_facts(
    engine: Engine, contract_nos: Sequence[str], day: dt.date, rules: ClaimRules, plaintiffs: dict[str, Party],
    *, remedy: str = ACCELERATION, court_rules: CourtRules | None = None,
) -> dict[str, CaseRecord | Exception]:  # fmt: skip
    """`read_case_facts` for many contracts in a few queries: each contract in the store maps to its record or
    to the reason it cannot be filed (the exceptions `read_case_facts` raises); the others are absent."""
    court_rules = court_rules or load_court_rules()
    on_files = read_contracts_on_file(engine, contract_nos, day)
    files = {no: f for no, f in on_files.items() if isinstance(f, ContractOnFile)}
    by_lessor: dict[str, list[str]] = {}
    for no, on_file in files.items():
        by_lessor.setdefault(on_file.lessor, []).append(no)
    assets: dict[str, list[Any]] = {}
    notices: dict[str, list[NoticeOnFile]] = {}
    documents: dict[str, list[DocumentOnFile]] = {}
    fixes: dict[str, dict[str, LastFix]] = {}  # by lessor, then asset
    with engine.connect() as connection:
        for owner, nos in by_lessor.items():
            rows = connection.execute(
                in_list(
                    "select contract_no, asset_id, asset_type, vin, serial_no, engine_no, manufacturer, model, "
                    "purchase_contract_no, invoice_code, invoice_no, invoice_amount_fen, invoice_date, extra "
                    "from assets where contract_no in :nos and lessor = :lessor order by contract_no, asset_id"
                ),
                {"nos": nos, "lessor": owner},
            ).all()
            for row in rows:
                assets.setdefault(str(row[0]), []).append(row[1:])
            fixes[owner] = _last_fixes(connection, owner, [str(row[1]) for row in rows], day)
            notices.update(notices_on_record(connection, owner, nos))
            documents.update(documents_of_contracts(
                connection, owner, {no: [str(a[0]) for a in assets.get(no, [])] for no in nos}
            ))  # fmt: skip
    records: dict[str, CaseRecord | Exception] = {
        no: error for no, error in on_files.items() if isinstance(error, ValueError)
    }
    for no, on_file in files.items():
        try:
            records[no] = _case_record(
                on_file, no, assets.get(no, []), notices.get(no, []), documents.get(no, []), day, rules,
                plaintiffs, remedy, court_rules, fixes.get(on_file.lessor, {}),
            )  # fmt: skip
        except (
            ValueError
        ) as error:  # NotDefaulted, RemedyUnavailable, NotFileable, Guarantors: a reason to skip
            records[no] = error
    return records


def _last_fixes(
    connection: Connection, lessor: str, asset_ids: Sequence[str], day: dt.date
) -> dict[str, LastFix]:
    """Each of the lessor's assets' last position from its terminals as the record stood at the end of `day`
    (GMT+8), the case's date: a position fixed or received after it is not the case's fact."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), GMT8)
    return {
        asset_id: LastFix(
            stored.terminal_phone, stored.latitude_e6, stored.longitude_e6, stored.fix_time.astimezone(GMT8)
        )
        for asset_id, stored in last_positions_known_by(connection, lessor, asset_ids, end).items()
    }


def _case_record(
    on_file: ContractOnFile, contract_no: str, assets: Sequence[Any], notices: Sequence[NoticeOnFile],
    documents: Sequence[DocumentOnFile], day: dt.date, rules: ClaimRules, plaintiffs: dict[str, Party],
    remedy: str, court_rules: CourtRules, fixes: Mapping[str, LastFix],
) -> CaseRecord:  # fmt: skip
    claim_terms, details, latest = on_file.claim, on_file.extra, on_file.appraisals
    claim = compute_claim(claim_terms, rules, day, remedy)
    demand = _the_demand(notices, day)
    if demand is None:
        raise NotFileableError(Reason(NO_DEMAND))
    leased = []
    for asset in assets:
        asset_extra = extra_fields(asset[12])
        appraisal = latest.get(str(asset[0]))
        leased.append(
            LeasedAsset(
                asset_id=str(asset[0]), asset_type=str(asset[1]), vin=_text(asset[2]), serial_no=_text(asset[3]),
                engine_no=_text(asset[4]), manufacturer=_text(asset[5]), model=_text(asset[6]),
                supplier=_text(asset_extra.get("supplier")), purchase_contract_no=_text(asset[7]),
                invoice_code=_text(asset[8]), invoice_no=_text(asset[9]),
                invoice_amount_fen=None if asset[10] is None else int(asset[10]), invoice_date=_day(asset[11]),
                location=_text(asset_extra.get("location")),
                appraised_fen=appraisal[1] if appraisal else None, appraised_on=appraisal[0] if appraisal else None,
                last_fix=fixes.get(str(asset[0])),
            )
        )  # fmt: skip
    plaintiff = plaintiffs.get(on_file.lessor) or Party("plaintiff", on_file.lessor, "")
    lessee = Party(
        "defendant", on_file.lessee_name, on_file.lessee_id, _text(details.get("lessee_address")),
        _text(details.get("lessee_legal_representative")), on_file.lessee_type,
        phone=_text(details.get("lessee_phone")), ethnicity=_text(details.get("lessee_ethnicity")),
        residence=_text(details.get("lessee_residence")),
        legal_representative_title=_text(details.get("lessee_legal_representative_title")),
    )  # fmt: skip
    agreed = _text(details.get("court"))
    choice = choose_court(
        agreed=agreed, arbitration=_text(details.get("arbitration")),
        asset_locations=[a.location for a in leased if a.location], lessee_address=lessee.address,
        lessee_id=lessee.id_no, claim_fen=claim.claim_fen, plaintiff_province=_province_of(plaintiff),
        rules=court_rules,
    )  # fmt: skip
    if choice.court is None:
        raise NotFileableError(Reason(NOT_FILEABLE, said(choice.reason, "text")))
    main_debt_due = max((due for _, due, _, _ in claim_terms.instalments), default=day)
    guarantors, notes = _bound_guarantors(
        parse_guarantors(details.get("guarantors"), contract_no), notices, main_debt_due, day
    )
    notes.extend(claim.notes)
    if choice.alternatives:
        notes.append("亦有管辖权的法院：" + "、".join(choice.alternatives))
    kinds = {d.kind for d in documents}
    missing = tuple(
        name for kind, name in CORE_DOCUMENTS.items()
        if kind not in kinds and not (kind == "demand_letter" and demand.evidence_index is not None)
    )  # fmt: skip
    sellers = "、".join(dict.fromkeys(a.supplier for a in leased if a.supplier))
    facts = CaseFacts(
        contract_no=contract_no,
        claim_date=day,
        lessor=plaintiff,
        lessee=lessee,
        guarantors=guarantors,
        lease_type=_text(details.get("lease_type")),
        start_date=claim_terms.start_date,
        term_months=on_file.term_months,
        principal_fen=claim_terms.principal_fen,
        annual_rate=claim_terms.annual_rate,
        deposit_fen=claim_terms.deposit_fen,
        residual_value_fen=claim_terms.residual_value_fen,
        registration_no=_text(details.get("registration_no")),
        agreed_court=agreed,
        court=choice.court,
        court_reason=choice.reason,
        instalments=tuple(
            (n, due, principal + interest) for n, due, principal, interest in claim_terms.instalments
        ),
        payments=tuple(sorted(claim_terms.payments)),
        assets=tuple(leased),
        claim=claim,
        demand=demand,
        penalty_daily_rate=claim_terms.penalty_daily_rate,
        acceleration_clause=bool(claim_terms.acceleration_allowed),
        sellers=sellers,
        preserved_fen=claim.preserved_fen,
    )
    return CaseRecord(facts, tuple(notes), missing, tuple(documents))


def _province_of(party: Party) -> str | None:
    """The province part of an address (for the court's level: is a party outside the court's province?)."""
    code = division_of(party.address) if party.address else None
    return code[:2] if code else None


# --- exhibits ---------------------------------------------------------------------------------------------

PROVES = {
    "lease_contract": "原告与被告之间的融资租赁合同关系，租金、租期、违约责任等约定",
    "purchase_contract": "原告依被告的选择向出卖人购买租赁物",
    "invoice": "租赁物的购买价款",
    "payment_proof": "原告支付租赁物购买价款及被告支付租金的情况",
    "delivery_receipt": "租赁物已交付被告",
    "registration_certificate": "租赁物的登记情况",
    "guarantee_contract": "保证人提供保证的事实及保证范围、期间",
    "demand_letter": "原告已向被告催告付款并给予合理期限",
    "delivery_proof": "催告函已送达被告",
    "appraisal": "租赁物的价值",
    "photo": "租赁物的现状",
    "other": "与本案有关的事实",
}


@dataclass(frozen=True)
class _Found:
    index: int
    title: str
    proves: str
    kind: str
    leaf_hash: str
    source: str = "原告提供"
    pages: int | None = None
    sha256: str = ""


def _documents_as_exhibits(documents: Sequence[DocumentOnFile], demand: NoticeOnFile | None) -> list[_Found]:
    """The documents on record for the contract and its assets, and the demand's letter where it was deposited
    with the notice: each with its deposit in the evidence log. Never the case's own steps."""
    found = [
        _Found(d.evidence_index, d.title, PROVES.get(d.kind, PROVES["other"]), d.kind, d.leaf_hash,
               d.source or "原告提供", d.pages, d.sha256)
        for d in documents
    ]  # fmt: skip
    on_list = {item.index for item in found}
    if demand is not None and demand.evidence_index is not None and demand.evidence_index not in on_list:
        found.append(
            _Found(demand.evidence_index, "催告函", PROVES["demand_letter"], "demand_letter", demand.leaf_hash or "",
                   "原告提供", None, demand.sha256 or "")
        )  # fmt: skip
    return sorted(found, key=lambda item: item.index)


def _numbered(case_file: _Found, found: Iterable[_Found]) -> tuple[Exhibit, ...]:
    return tuple(
        Exhibit(number, item.title, item.proves, item.index, item.leaf_hash, item.kind, item.source, item.pages,
                item.sha256)
        for number, item in enumerate([*found, case_file], start=1)
    )  # fmt: skip


def _case_file_record(facts: CaseFacts, rules: ClaimRules, case_id: int) -> NewRecord:
    """The case's facts as deposited: parties, terms, rent table, payments, assets and the claim's arithmetic."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    facts_only = dataclasses.replace(facts, exhibits=())
    content = plain(dataclasses.asdict(facts_only))
    content["claim_rules_sha256"] = rules.digest
    content["case_id"] = case_id
    return NewRecord(
        canonical_json(content), Provenance("leaseguard cases generate", "leaseguard enforcement"), "case-file",
        "application/json", f"case:{case_id}:file", name="case-facts.json",
    )  # fmt: skip


def _case_file_exhibit(index: int, leaf: str) -> _Found:
    return _Found(index, "租金台账及支付记录（原告业务系统存证）", "被告的付款情况及欠付金额", "case-file", leaf,
                  "原告制作")  # fmt: skip


# --- writing ----------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.-]+")
# A number made only of these is its own folder name. Upper case only, so two plain names never differ by case
# alone (one folder on a case-insensitive disk); and never "~", which marks every other name.
_PLAIN = re.compile(r"[0-9A-Z][0-9A-Z._-]{0,99}")
# Inside each case folder: the exact contract number it was written for.
MARKER = ".leaseguard-contract"


def folder_name(contract_no: str) -> str:
    """The case folder of a contract: the number itself when it is plain, else a readable form of it with a
    digest of the exact number (HT/2024/001 → HT_2024_001~3f…), so different numbers get different folders."""
    if _PLAIN.fullmatch(contract_no) and not contract_no.endswith("."):
        return contract_no
    readable = _UNSAFE.sub("_", contract_no).strip("._")[:80] or "case"
    return f"{readable}~{hashlib.sha256(contract_no.encode('utf-8')).hexdigest()[:10]}"


def plan_folders(contract_nos: Sequence[str]) -> dict[str, str]:
    """The folder of each contract of a batch; refuses the batch if two would share one (even by case)."""
    folders: dict[str, str] = {}
    taken: dict[str, str] = {}
    for contract_no in contract_nos:
        name = folder_name(contract_no)
        other = taken.setdefault(name.casefold(), contract_no)
        if other != contract_no:
            raise CaseFilesError(
                Label("合同 {first!r} 与 {second!r} 会共用案件文件夹 {folder!r}：未写出任何文件",
                      "contracts {first!r} and {second!r} would share the case folder {folder!r}: nothing written"),
                first=other, second=contract_no, folder=name,
            )  # fmt: skip
        folders[contract_no] = name
    return folders


def _written_for(folder: Path) -> str | None:
    """The contract a case folder was written for, or None when it is not one this tool wrote."""
    marker = folder / MARKER
    if marker.is_file():
        return marker.read_text(encoding="utf-8")
    return None


def _csv_bytes(rows: list[dict[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens it as UTF-8


def write_folder(out: Path, name: str, files: dict[str, bytes], contract_no: str) -> Path:
    """Write the files into `out/name` as a whole: built aside, then moved into place, replacing only an older
    folder written for the same contract; any other folder in the way is left alone and the case not written."""
    target = out / name
    if target.exists():
        owner = _written_for(target)
        if owner != contract_no:
            held = (
                Label("另一份合同的案件", "another contract's case")
                if owner is not None
                else Label("并非本工具写出的文件夹", "a folder this tool did not write")
            )
            raise CaseFilesError(
                Label("{target} 是{held}，保持原样", "{target} holds {held}; left as it is"),
                target=target,
                held=held,
            )
    partial = out / f".{name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        for file_name, content in files.items():
            (partial / file_name).write_bytes(content)
        (partial / MARKER).write_text(contract_no, encoding="utf-8")
        if target.exists():
            retired = out / f".{name}.old-{os.getpid()}"
            shutil.rmtree(retired, ignore_errors=True)
            target.rename(retired)
            partial.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _clear_leftovers(out: Path) -> None:
    """Folders an interrupted run left half-built are removed before a new run starts."""
    for leftover in out.glob(".*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.glob(".*.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_summary(
    out: Path,
    outcomes: Sequence[CaseOutcome],
    lang: Lang = DEFAULT_LANG,
    names: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """summary.xlsx and summary.csv: one row per contract considered, generated or skipped with the reason in
    `lang` (and its codes); the workbook in words with money as numbers, the CSV with the columns as named."""
    from leaseguard.sheets import Column, write_table

    rows = [
        {**outcome.row(lang), "lessor_name": (names or {}).get(outcome.lessor, "")} for outcome in outcomes
    ]
    csv_path, xlsx_path = out / "summary.csv", out / "summary.xlsx"
    csv_partial = out / ".summary.csv.partial"
    csv_partial.write_bytes(_csv_bytes(rows, SUMMARY_COLUMNS))
    csv_partial.replace(csv_path)
    money = {"claim": "claim_fen", "total_with_costs": "total_fen"}
    words = {
        "status": STATUS_LABELS if lang == "zh" else STATUS_LABELS_EN,
        "class": CLASS_LABELS if lang == "zh" else CLASS_LABELS_EN,
    }
    columns = [
        Column(name, SUMMARY_LABELS[name], "money_fen" if name in money else "text", words.get(name),
               english=name.replace("_", " ").capitalize())
        for name in SUMMARY_COLUMNS
    ]  # fmt: skip
    values = (
        [getattr(outcome, money[name]) if name in money else row[name] for name in SUMMARY_COLUMNS]
        for outcome, row in zip(outcomes, rows, strict=True)
    )
    xlsx_partial = out / ".summary.xlsx.partial"
    write_table(xlsx_partial, columns, values, sheet="案件" if lang == "zh" else "cases", lang=lang)
    xlsx_partial.replace(xlsx_path)
    return xlsx_path, csv_path


# --- the batch --------------------------------------------------------------------------------------------


@dataclass
class _Ready:
    facts: CaseFacts
    lessor: str
    asset_class: str | None
    case_id: int | None = None
    new_case: bool = False
    found: tuple[_Found, ...] = ()
    evidence_index: int | None = None
    leaf: str = ""
    notes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def _existing_cases(connection: Connection, contract_nos: Sequence[str]) -> dict[str, int]:
    if not contract_nos:
        return {}
    rows = connection.execute(
        select(EnforcementCase.contract_no, EnforcementCase.id).where(
            EnforcementCase.contract_no.in_(contract_nos)
        )
    ).all()
    return {str(no): int(case_id) for no, case_id in rows}


CHUNK = 200  # cases prepared and deposited at a time, so the workers write one chunk while the next is read


def generate_case_files(
    engine: Engine,
    day: dt.date,
    out: Path,
    rules: ClaimRules,
    signer: NoteSigner,
    *,
    lessor: str | None = None,
    classes: Sequence[str] | None = NON_PERFORMING,
    contracts: Sequence[str] = (),
    templates: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    remedy: str = ACCELERATION,
    court_rules: CourtRules | None = None,
    lang: Lang = DEFAULT_LANG,
) -> CaseFilesSummary:
    """One folder per case under `out` and a summary; every generated case is opened (if it was not) and its
    facts are deposited in the evidence log: per chunk of cases, one transaction and checkpoint per lessor.
    Each complaint pleads `remedy` only (acceleration or termination)."""
    if remedy not in REMEDY_LABELS:
        raise CaseFilesError(
            Label("诉请方式 {remedy!r} 无效，应为以下之一：{remedies}", "remedy {remedy!r} is not one of {remedies}"),
            remedy=remedy, remedies=", ".join(REMEDY_LABELS),
        )  # fmt: skip
    environment = checked_environment(templates)  # a template that does not parse stops the batch at once
    checked_environment(templates, PRESERVATION_TEMPLATE)
    court_rules = court_rules or load_court_rules()
    chosen = select_contracts(engine, day, lessor=lessor, classes=classes, contracts=contracts)
    plan_folders([no for no, _, _ in chosen])
    out.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(out)
    plaintiffs = read_lessors(engine)
    outcomes: dict[str, CaseOutcome] = {}
    total, done = len(chosen) * 2, 0

    def advance(steps: int = 1) -> None:
        nonlocal done
        done += steps
        if progress:
            progress(done, total)

    workers = workers or os.cpu_count() or 1
    pool = None
    if workers > 1 and len(chosen) >= 4 * workers:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=end_with_parent,
            initargs=(os.getpid(),),
        )
    pending: dict[Future[tuple[Path | None, Reason | None]], _Ready] = {}

    def collect(future: Future[tuple[Path | None, Reason | None]]) -> None:
        item = pending.pop(future)
        outcomes[item.facts.contract_no] = _finished(item, *future.result())
        advance()

    try:
        for start in range(0, len(chosen), CHUNK):
            chunk = chosen[start : start + CHUNK]
            ready = _prepare(
                engine, environment, day, rules, plaintiffs, chunk, outcomes, remedy, court_rules
            )
            advance(2 * len(chunk) - len(ready))  # a skipped case has nothing more to do
            _deposit(engine, ready, rules, signer, day)
            for item in ready:
                bundle = _with_exhibits(engine, item)
                if pool is None:
                    outcomes[item.facts.contract_no] = _finished(
                        item, *write_case(out, templates, item.facts, bundle, item.notes, item.missing)
                    )
                    advance()
                else:
                    job = pool.submit(
                        write_case, out, templates, item.facts, bundle, item.notes, item.missing
                    )
                    pending[job] = item
            for future in [f for f in pending if f.done()]:
                collect(future)
        for future in as_completed(list(pending)):
            collect(future)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ordered = tuple(outcomes[no] for no, _, _ in chosen)
    with engine.connect() as connection:
        names = lessor_names(connection)
    xlsx, csv_path = write_summary(out, ordered, lang, names)
    return CaseFilesSummary(ordered, xlsx, csv_path)


def _prepare(
    engine: Engine,
    environment: Any,
    day: dt.date,
    rules: ClaimRules,
    plaintiffs: dict[str, Party],
    chunk: Sequence[tuple[str, str, str | None]],
    outcomes: dict[str, CaseOutcome],
    remedy: str = ACCELERATION,
    court_rules: CourtRules | None = None,
) -> list[_Ready]:
    """The chunk's cases that can be filed, with the documents on record; the others go to `outcomes`."""
    ready = []
    with engine.connect() as connection:
        existing = _existing_cases(connection, [no for no, _, _ in chunk])
    records = read_cases_facts(
        engine, [no for no, owner, _ in chunk if owner], day, rules, plaintiffs, remedy=remedy,
        court_rules=court_rules,
    )  # fmt: skip
    for contract_no, owner, klass in chunk:
        record = records.get(contract_no)
        if not owner or record is None:
            outcomes[contract_no] = CaseOutcome(contract_no, "", SKIPPED, (Reason(NOT_IN_STORE),))
            continue
        if isinstance(record, NotDefaultedError):
            outcomes[contract_no] = CaseOutcome(contract_no, owner, SKIPPED, (Reason(NO_DEFAULT, {"day": day}),),
                                                asset_class=klass, remedy=remedy)  # fmt: skip
            continue
        if isinstance(record, Exception):
            why = (
                record.reason
                if isinstance(record, NotFileableError)
                else Reason(NOT_FILEABLE, said(record, "text"))
            )
            outcomes[contract_no] = CaseOutcome(
                contract_no, owner, SKIPPED, (why,), asset_class=klass, remedy=remedy
            )
            continue
        facts = dataclasses.replace(record.facts, asset_class=klass)
        skipped = _skip_reason(environment, facts)
        if skipped:
            outcomes[contract_no] = CaseOutcome(contract_no, owner, SKIPPED, tuple(skipped), facts.lessee.name, klass,
                                                facts.claim.claim_fen, facts.claim.total_fen, remedy=remedy,
                                                court=facts.court, missing=record.missing,
                                                notes=record.notes)  # fmt: skip
            continue
        found = _documents_as_exhibits(record.documents, facts.demand)
        ready.append(_Ready(facts, owner, klass, existing.get(contract_no), found=tuple(found), notes=record.notes,
                            missing=record.missing))  # fmt: skip
    return ready


def _with_exhibits(engine: Engine, item: _Ready) -> bytes:
    """Number the case's exhibits (its deposited facts first) and export the bundle that proves them."""
    assert item.evidence_index is not None
    exhibits = _numbered(_case_file_exhibit(item.evidence_index, item.leaf), item.found)
    item.facts = dataclasses.replace(item.facts, exhibits=exhibits)
    return export_bundle(
        engine, [e.evidence_index for e in exhibits], lessor=item.lessor, bundle_name="evidence.zip"
    )


def _skip_reason(environment: Any, facts: CaseFacts) -> list[Reason]:
    problems = case_problems(facts)
    if problems:
        return problems
    placeholder = _numbered(_case_file_exhibit(0, "0" * 64), [])
    try:
        markup = render_complaint(environment, dataclasses.replace(facts, exhibits=placeholder))
        markup += render_complaint(environment, facts, PRESERVATION_TEMPLATE)
    except TemplateFieldError as error:
        return [Reason(NOT_FILEABLE, said(error, "text"))]
    unprintable = missing_glyphs(markup)
    if unprintable:
        return [Reason(UNPRINTABLE, {"characters": "".join(sorted(unprintable))})]
    return []


def _deposit(
    engine: Engine, ready: list[_Ready], rules: ClaimRules, signer: NoteSigner, day: dt.date
) -> None:
    """Open the cases not yet open and deposit every case's facts: per lessor, one transaction."""
    by_lessor: dict[str, list[_Ready]] = {}
    for item in ready:
        by_lessor.setdefault(item.lessor, []).append(item)
    for owner, items in by_lessor.items():
        with engine.begin() as connection:
            for item in items:
                if item.case_id is None:
                    item.case_id = insert_case(connection, item.facts.contract_no, owner, day,
                                               item.facts.claim.claim_fen)  # fmt: skip
                    item.new_case = True
            records = [_case_file_record(item.facts, rules, item.case_id or 0) for item in items]
            batch = append_records(connection, records, lessor=owner, signer=signer)
            for item, receipt in zip(items, batch.receipts, strict=True):
                item.evidence_index, item.leaf = receipt.index, receipt.leaf_hash.hex()
                if item.new_case:
                    connection.execute(
                        update(EnforcementCase)
                        .where(EnforcementCase.id == item.case_id)
                        .values(evidence_index=receipt.index)
                    )


def _outcome(item: _Ready) -> CaseOutcome:
    facts = item.facts
    return CaseOutcome(
        facts.contract_no, item.lessor, SKIPPED, (), facts.lessee.name, item.asset_class, facts.claim.claim_fen,
        facts.claim.total_fen, item.case_id, item.evidence_index, remedy=facts.claim.remedy, court=facts.court,
        missing=item.missing, notes=item.notes,
    )  # fmt: skip


_PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """In a worker: die when the process that started it dies, even by kill -9, instead of writing on alone.

    Linux sends the signal itself (PR_SET_PDEATHSIG); elsewhere, and for a parent that died before the call,
    a watchdog thread sees the worker re-parented. SIGTERM ends it too: a forked worker would otherwise keep the
    handler its parent had (`cases generate` only notes SIGTERM) and outlive the pool's terminate(). Ctrl+C,
    which a terminal sends to every process of the batch, is left to the parent: a worker that died of it
    mid-case broke the pool and printed its traceback, where the batch stops between two cases in one line."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


@cache
def _environment(templates: Path | None) -> Any:
    checked_environment(templates, PRESERVATION_TEMPLATE)
    return checked_environment(templates)


def write_case(
    out: Path, templates: Path | None, facts: CaseFacts, bundle: bytes, notes: Sequence[str] = (),
    missing: Sequence[str] = (),
) -> tuple[Path | None, Reason | None]:  # fmt: skip
    """Render and write one case's folder (runs in a worker process): (the folder, "") or (None, the reason).
    The lawyer's notes and the documents to add go to claim.json, never into a filed document."""
    try:
        environment = _environment(templates)
        blocks = parse_markup(render_complaint(environment, facts))
        preservation = parse_markup(render_complaint(environment, facts, PRESERVATION_TEMPLATE))
        title = f"民事起诉状 {facts.contract_no}"
        claim = {**claim_document(facts.claim), "notes": list(notes), "missing_documents": list(missing),
                 "court": facts.court, "court_reason": facts.court_reason}  # fmt: skip
        files = {
            "complaint.docx": docx_bytes(blocks, title=title),
            "complaint.pdf": pdf_bytes(blocks, title=title),
            "preservation.docx": docx_bytes(preservation, title=f"财产保全申请书 {facts.contract_no}"),
            "preservation.pdf": pdf_bytes(preservation, title=f"财产保全申请书 {facts.contract_no}"),
            "claim.json": json.dumps(claim, ensure_ascii=False, indent=2).encode(),
            "exhibits.csv": _csv_bytes(
                exhibit_rows(facts),
                (
                    "number",
                    "title",
                    "source",
                    "proves",
                    "pages",
                    "evidence_index",
                    "leaf_hash_sha256",
                    "file_sha256",
                    "kind",
                ),
            ),
            "evidence.zip": bundle,
        }
        return write_folder(out, folder_name(facts.contract_no), files, facts.contract_no), None
    except (TemplateFieldError, OSError, ValueError) as error:
        return None, Reason(NOT_WRITTEN, said(error, "error"))


def _finished(item: _Ready, folder: Path | None, reason: Reason | None) -> CaseOutcome:
    if folder is None:
        return dataclasses.replace(_outcome(item), reasons=(reason,) if reason else ())
    return dataclasses.replace(_outcome(item), status=GENERATED, folder=folder)
