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
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, Engine, bindparam, or_, select, text, update

from leaseguard.enforcement.claims import NotDefaultedError, claim_document, compute_claim, yuan
from leaseguard.enforcement.complaint import (
    CaseFacts,
    Exhibit,
    GuarantorsError,
    LeasedAsset,
    Party,
    TemplateFieldError,
    case_problems,
    checked_environment,
    exhibit_rows,
    parse_guarantors,
    render_complaint,
)
from leaseguard.enforcement.documents import docx_bytes, missing_glyphs, parse_markup, pdf_bytes
from leaseguard.enforcement.rules import ClaimRules
from leaseguard.enforcement.service import extra_fields, insert_case, read_contract_on_file
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.bundle import export_bundle
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.merkle import leaf_hash
from leaseguard.evidence.models import canonical_json
from leaseguard.store.db import as_date
from leaseguard.store.models import AssetCheck, EnforcementCase, EvidenceRecord

NON_PERFORMING = ("substandard", "doubtful", "loss")
GENERATED, SKIPPED = "generated", "skipped"
SUMMARY_COLUMNS = (
    "contract_no", "lessor", "lessee", "class", "status", "reason", "claim", "total_with_costs", "case_id",
    "evidence_index", "folder",
)  # fmt: skip


class CaseFilesError(ValueError):
    """The batch cannot start (no classification for the day, a template that does not parse, …)."""


@dataclass(frozen=True)
class CaseOutcome:
    contract_no: str
    lessor: str
    status: str  # generated | skipped
    reason: str = ""
    lessee: str = ""
    asset_class: str | None = None
    claim_fen: int | None = None
    total_fen: int | None = None
    case_id: int | None = None
    evidence_index: int | None = None
    folder: Path | None = None

    def row(self) -> dict[str, Any]:
        return {
            "contract_no": self.contract_no, "lessor": self.lessor, "lessee": self.lessee,
            "class": self.asset_class or "", "status": self.status, "reason": self.reason,
            "claim": "" if self.claim_fen is None else yuan(self.claim_fen),
            "total_with_costs": "" if self.total_fen is None else yuan(self.total_fen),
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
    """(contract_no, lessor, class) of the contracts to take to court: those named, or those whose class on the
    latest daily run on or before `day` is one of `classes` (None: every class)."""
    named = list(dict.fromkeys(contracts))
    listed: BindParameter[list[str]] = bindparam("nos", expanding=True)
    with engine.connect() as connection:
        run_day = connection.execute(
            text("select max(as_of) from book_runs where as_of <= :day"), {"day": day}
        ).scalar()
        if named:
            owners: dict[str, str] = dict(
                connection.execute(
                    text("select contract_no, lessor from contracts where contract_no in :nos").bindparams(
                        listed
                    ),
                    {"nos": named},
                ).all()
            )
            classes_on_day: dict[str, str | None] = {} if run_day is None else dict(
                connection.execute(
                    text('select contract_no, "class" from contract_classes where as_of = :day and contract_no in :nos')
                    .bindparams(listed),
                    {"day": run_day, "nos": named},
                ).all()
            )  # fmt: skip
            chosen = [(no, str(owners.get(no, "")), classes_on_day.get(no)) for no in named]
        else:
            if run_day is None:
                raise CaseFilesError(
                    f"no daily run on or before {day}: run `leaseguard run daily --as-of {day}` first, "
                    "or name the contracts with --contract"
                )
            rows = connection.execute(
                text(
                    'select contract_no, lessor, "class" from contract_classes where as_of = :day order by contract_no'
                ),
                {"day": run_day},
            ).all()  # the run keeps each contract's lessor: no need to read the whole contracts table
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
            _text(details.get("legal_representative")),
        )  # fmt: skip
    return parties


def read_case_facts(
    engine: Engine, contract_no: str, day: dt.date, rules: ClaimRules, plaintiffs: dict[str, Party]
) -> CaseFacts:
    """A contract's facts and its claim on `day` (NotDefaultedError when nothing is overdue)."""
    on_file = read_contract_on_file(engine, contract_no, day)
    claim_terms, details, latest = on_file.claim, on_file.extra, on_file.appraisals
    claim = compute_claim(claim_terms, rules, day)
    with engine.connect() as connection:
        assets = connection.execute(
            text(
                "select asset_id, asset_type, vin, serial_no, engine_no, manufacturer, model, purchase_contract_no, "
                "invoice_code, invoice_no, invoice_amount_fen, invoice_date, extra from assets "
                "where contract_no = :no and lessor = :lessor order by asset_id"
            ),
            {"no": contract_no, "lessor": on_file.lessor},
        ).all()
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
            )
        )  # fmt: skip
    plaintiff = plaintiffs.get(on_file.lessor) or Party("plaintiff", on_file.lessor, "")
    return CaseFacts(
        contract_no=contract_no,
        claim_date=day,
        lessor=plaintiff,
        lessee=Party(
            "defendant",
            on_file.lessee_name,
            on_file.lessee_id,
            _text(details.get("lessee_address")),
            _text(details.get("lessee_legal_representative")),
            on_file.lessee_type,
        ),
        guarantors=parse_guarantors(details.get("guarantors"), contract_no),
        lease_type=_text(details.get("lease_type")),
        start_date=claim_terms.start_date,
        term_months=on_file.term_months,
        principal_fen=claim_terms.principal_fen,
        annual_rate=claim_terms.annual_rate,
        deposit_fen=claim_terms.deposit_fen,
        residual_value_fen=claim_terms.residual_value_fen,
        registration_no=_text(details.get("registration_no")),
        court=_text(details.get("court")),
        instalments=tuple(
            (n, due, principal + interest) for n, due, principal, interest in claim_terms.instalments
        ),
        payments=tuple(sorted(claim_terms.payments)),
        assets=tuple(leased),
        claim=claim,
    )


# --- exhibits ---------------------------------------------------------------------------------------------

_STAGE_TITLES = {
    "demand_notice": ("催告通知", "原告已向被告催告付款"),
    "filing": ("立案材料", "案件已立案"),
    "judgment": ("判决书", "生效判决确定的债权"),
}


@dataclass(frozen=True)
class _Found:
    index: int
    title: str
    proves: str
    kind: str
    leaf_hash: str


def _exhibits_on_record(
    connection: Connection, lessor: str, contract_no: str, asset_ids: Sequence[str], case_id: int | None
) -> list[_Found]:
    """What the evidence log already holds about the contract: documents deposited under `contract:<no>` or
    `asset:<id>`, the ownership checks of its assets, and the steps of its case."""
    refs = [f"contract:{contract_no}", *(f"asset:{asset_id}" for asset_id in asset_ids)]
    about_it: list[ColumnElement[bool]] = [EvidenceRecord.ref.in_(refs)]
    if case_id is not None:  # the case's own steps, not the facts an earlier batch deposited
        about_it.append(EvidenceRecord.ref.like(f"case:{case_id}:%") & (EvidenceRecord.kind == "case-event"))
    records = connection.execute(
        select(EvidenceRecord.leaf_index, EvidenceRecord.kind, EvidenceRecord.ref, EvidenceRecord.entry)
        .where(EvidenceRecord.lessor == lessor)
        .where(or_(*about_it))
        .order_by(EvidenceRecord.leaf_index)
    ).all()
    found = []
    for index, kind, ref, entry in records:
        fields = json.loads(bytes(entry))
        name = fields.get("name") if isinstance(fields, dict) else None
        ref_text = str(ref)
        if ref_text.startswith("case:"):
            stage = ref_text.rsplit(":", 1)[-1]
            title, proves = _STAGE_TITLES.get(stage, (f"案件进程记录（{stage}）", "案件进程"))
        elif ref_text.startswith("asset:"):
            title, proves = f"租赁物资料 {name or ref_text[6:]}", "租赁物的存在、权属及价值"
        else:
            title, proves = f"合同资料 {name or kind}", "合同的签订及约定"
        found.append(_Found(int(index), title, proves, str(kind), leaf_hash(bytes(entry)).hex()))
    if asset_ids:
        checks = connection.execute(
            select(
                AssetCheck.evidence_index, AssetCheck.request["asset_id"].as_string(), EvidenceRecord.entry
            )
            .join(EvidenceRecord, EvidenceRecord.leaf_index == AssetCheck.evidence_index)
            .where(AssetCheck.lessor == lessor)
            .where(AssetCheck.request["asset_id"].as_string().in_(list(asset_ids)))
            .order_by(AssetCheck.evidence_index)
        ).all()
        for index, asset_id, entry in checks:
            found.append(
                _Found(int(index), f"融资前租赁物权属核查记录（{asset_id}）",
                       "原告在融资前核查了租赁物的真实性及是否重复融资", "asset-check", leaf_hash(bytes(entry)).hex())
            )  # fmt: skip
    return sorted(found, key=lambda item: item.index)


def _numbered(case_file: _Found, found: Iterable[_Found]) -> tuple[Exhibit, ...]:
    return tuple(
        Exhibit(number, item.title, item.proves, item.index, item.leaf_hash, item.kind)
        for number, item in enumerate([case_file, *found], start=1)
    )


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
    return _Found(index, "融资租赁合同要素、租金表、支付记录及诉请计算（系统存证）", "合同约定、被告付款情况及欠付金额",
                  "case-file", leaf)  # fmt: skip


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
                f"contracts {other!r} and {contract_no!r} would share the case folder {name!r}: nothing written"
            )
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
            held = "another contract's case" if owner is not None else "a folder this tool did not write"
            raise OSError(f"{target} holds {held}; left as it is")
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


def write_summary(out: Path, outcomes: Sequence[CaseOutcome]) -> tuple[Path, Path]:
    """summary.xlsx and summary.csv: one row per contract considered, generated or skipped with the reason."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = [outcome.row() for outcome in outcomes]
    csv_path, xlsx_path = out / "summary.csv", out / "summary.xlsx"
    csv_partial = out / ".summary.csv.partial"
    csv_partial.write_bytes(_csv_bytes(rows, SUMMARY_COLUMNS))
    csv_partial.replace(csv_path)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "cases"
    sheet.append(list(SUMMARY_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[column] for column in SUMMARY_COLUMNS])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJK", (22, 8, 28, 12, 10, 70, 16, 16, 8, 14, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    xlsx_partial = out / ".summary.xlsx.partial"
    workbook.save(xlsx_partial)
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
) -> CaseFilesSummary:
    """One folder per case under `out` and a summary; every generated case is opened (if it was not) and its
    facts are deposited in the evidence log: per chunk of cases, one transaction and checkpoint per lessor."""
    environment = checked_environment(templates)  # a template that does not parse stops the batch at once
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
    pending: dict[Future[tuple[Path | None, str]], _Ready] = {}

    def collect(future: Future[tuple[Path | None, str]]) -> None:
        item = pending.pop(future)
        outcomes[item.facts.contract_no] = _finished(item, *future.result())
        advance()

    try:
        for start in range(0, len(chosen), CHUNK):
            chunk = chosen[start : start + CHUNK]
            ready = _prepare(engine, environment, day, rules, plaintiffs, chunk, outcomes)
            advance(2 * len(chunk) - len(ready))  # a skipped case has nothing more to do
            _deposit(engine, ready, rules, signer, day)
            for item in ready:
                bundle = _with_exhibits(engine, item)
                if pool is None:
                    outcomes[item.facts.contract_no] = _finished(
                        item, *write_case(out, templates, item.facts, bundle)
                    )
                    advance()
                else:
                    pending[pool.submit(write_case, out, templates, item.facts, bundle)] = item
            for future in [f for f in pending if f.done()]:
                collect(future)
        for future in as_completed(list(pending)):
            collect(future)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ordered = tuple(outcomes[no] for no, _, _ in chosen)
    xlsx, csv_path = write_summary(out, ordered)
    return CaseFilesSummary(ordered, xlsx, csv_path)


def _prepare(
    engine: Engine,
    environment: Any,
    day: dt.date,
    rules: ClaimRules,
    plaintiffs: dict[str, Party],
    chunk: Sequence[tuple[str, str, str | None]],
    outcomes: dict[str, CaseOutcome],
) -> list[_Ready]:
    """The chunk's cases that can be filed, with the exhibits already on record; the others go to `outcomes`."""
    ready = []
    with engine.connect() as connection:
        existing = _existing_cases(connection, [no for no, _, _ in chunk])
        for contract_no, owner, klass in chunk:
            if not owner:
                outcomes[contract_no] = CaseOutcome(contract_no, "", SKIPPED, "contract is not in the store")
                continue
            try:
                facts = read_case_facts(engine, contract_no, day, rules, plaintiffs)
            except NotDefaultedError as error:
                outcomes[contract_no] = CaseOutcome(contract_no, owner, SKIPPED, f"no default: {error}",
                                                    asset_class=klass)  # fmt: skip
                continue
            except (GuarantorsError, ValueError) as error:
                outcomes[contract_no] = CaseOutcome(
                    contract_no, owner, SKIPPED, str(error), asset_class=klass
                )
                continue
            facts = dataclasses.replace(facts, asset_class=klass)
            skipped = _skip_reason(environment, facts)
            if skipped:
                outcomes[contract_no] = CaseOutcome(contract_no, owner, SKIPPED, skipped, facts.lessee.name, klass,
                                                    facts.claim.claim_fen, facts.claim.total_fen)  # fmt: skip
                continue
            case_id = existing.get(contract_no)
            assets = [a.asset_id for a in facts.assets]
            found = _exhibits_on_record(connection, owner, contract_no, assets, case_id)
            ready.append(_Ready(facts, owner, klass, case_id, found=tuple(found)))
    return ready


def _with_exhibits(engine: Engine, item: _Ready) -> bytes:
    """Number the case's exhibits (its deposited facts first) and export the bundle that proves them."""
    assert item.evidence_index is not None
    exhibits = _numbered(_case_file_exhibit(item.evidence_index, item.leaf), item.found)
    item.facts = dataclasses.replace(item.facts, exhibits=exhibits)
    return export_bundle(
        engine, [e.evidence_index for e in exhibits], lessor=item.lessor, bundle_name="evidence.zip"
    )


def _skip_reason(environment: Any, facts: CaseFacts) -> str:
    problems = case_problems(facts)
    if problems:
        return "; ".join(problems)
    placeholder = _numbered(_case_file_exhibit(0, "0" * 64), [])
    try:
        markup = render_complaint(environment, dataclasses.replace(facts, exhibits=placeholder))
    except TemplateFieldError as error:
        return str(error)
    unprintable = missing_glyphs(markup)
    if unprintable:
        return f"characters the PDF fonts cannot print: {''.join(sorted(unprintable))}"
    return ""


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
        facts.contract_no, item.lessor, SKIPPED, "", facts.lessee.name, item.asset_class, facts.claim.claim_fen,
        facts.claim.total_fen, item.case_id, item.evidence_index,
    )  # fmt: skip


_PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """In a worker: die when the process that started it dies, even by kill -9, instead of writing on alone.

    Linux sends the signal itself (PR_SET_PDEATHSIG); elsewhere, and for a parent that died before the call,
    a watchdog thread sees the worker re-parented."""
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
    return checked_environment(templates)


def write_case(out: Path, templates: Path | None, facts: CaseFacts, bundle: bytes) -> tuple[Path | None, str]:
    """Render and write one case's folder (runs in a worker process): (the folder, "") or (None, the reason)."""
    try:
        blocks = parse_markup(render_complaint(_environment(templates), facts))
        title = f"民事起诉状 {facts.contract_no}"
        files = {
            "complaint.docx": docx_bytes(blocks, title=title),
            "complaint.pdf": pdf_bytes(blocks, title=title),
            "claim.json": json.dumps(claim_document(facts.claim), ensure_ascii=False, indent=2).encode(),
            "exhibits.csv": _csv_bytes(
                exhibit_rows(facts),
                ("number", "title", "proves", "evidence_index", "leaf_hash_sha256", "kind"),
            ),
            "evidence.zip": bundle,
        }
        return write_folder(out, folder_name(facts.contract_no), files, facts.contract_no), ""
    except (TemplateFieldError, OSError, ValueError) as error:
        return None, f"not written: {error}"


def _finished(item: _Ready, folder: Path | None, reason: str) -> CaseOutcome:
    if folder is None:
        return dataclasses.replace(_outcome(item), reason=reason)
    return dataclasses.replace(_outcome(item), status=GENERATED, folder=folder)
