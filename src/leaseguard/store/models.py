"""Tables of the store. Money is integer fen; every imported row keeps its extra columns in `extra`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BigInteger keys fall back to Integer there.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The widest id a BigId column holds (BIGINT on PostgreSQL, INTEGER on SQLite): a number past it names no row.
BIG_ID_MAX = 2**63 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON}  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)


class Lessor(Base):
    """A member of the consortium; every row of business data belongs to exactly one lessor (tenant)."""

    __tablename__ = "lessors"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Extra columns of lessors.csv, and the party details of `lessors add` (uscc, address, legal_representative).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ApiKey(Base):
    """An API key: only its SHA-256 is kept; the prefix finds the row without scanning."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Asset(Base):
    """A leased asset as registered by one lessor (data contract `assets.csv`)."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("lessor", "asset_id"),
        Index("ix_assets_vin", "vin"),
        Index("ix_assets_serial_no", "serial_no"),
        Index("ix_assets_engine_no", "engine_no"),
        Index("ix_assets_invoice", "invoice_no", "invoice_code"),
        # The console's search (usecases.search): a lessor's assets by the start of an identifier, in order.
        Index("ix_assets_lessor_vin", "lessor", "vin", postgresql_ops={"vin": "text_pattern_ops"}),
        Index(
            "ix_assets_lessor_serial_no",
            "lessor",
            "serial_no",
            postgresql_ops={"serial_no": "text_pattern_ops"},
        ),
        Index(
            "ix_assets_lessor_invoice_no",
            "lessor",
            "invoice_no",
            postgresql_ops={"invoice_no": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    asset_id: Mapped[str] = mapped_column(String(64))
    asset_type: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(32))
    serial_no: Mapped[str | None] = mapped_column(String(64))
    engine_no: Mapped[str | None] = mapped_column(String(64))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    invoice_no: Mapped[str | None] = mapped_column(String(32))
    invoice_code: Mapped[str | None] = mapped_column(String(16))
    invoice_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    invoice_date: Mapped[dt.date | None] = mapped_column(Date)
    purchase_contract_no: Mapped[str | None] = mapped_column(String(64))
    lessee_id: Mapped[str] = mapped_column(String(32), index=True)
    lessee_name: Mapped[str] = mapped_column(String(200))
    contract_no: Mapped[str | None] = mapped_column(String(64), index=True)
    registered_at: Mapped[dt.date | None] = mapped_column(Date)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Contract(Base):
    """A lease contract (data contract `contracts.csv`); contract_no is unique across the store."""

    __tablename__ = "contracts"
    __table_args__ = (
        # The console's search (usecases.search): a lessor's contracts by the start of their number, of the
        # lessee's name or id, in order, so a page of hits reads a few index entries whatever the book's size.
        # On PostgreSQL the text_pattern_ops operator class lets LIKE 'prefix%' use the index in any collation.
        Index(
            "ix_contracts_lessor_contract_no", "lessor", "contract_no",
            postgresql_ops={"contract_no": "text_pattern_ops"},
        ),
        Index(
            "ix_contracts_lessor_lessee_name", "lessor", "lessee_name", "lessee_id",
            postgresql_ops={"lessee_name": "text_pattern_ops"},
        ),
        Index(
            "ix_contracts_lessor_lessee_id", "lessor", "lessee_id", postgresql_ops={"lessee_id": "text_pattern_ops"}
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_no: Mapped[str] = mapped_column(String(64), unique=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    lessee_id: Mapped[str] = mapped_column(String(32), index=True)
    lessee_name: Mapped[str] = mapped_column(String(200))
    lessee_type: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[str | None] = mapped_column(String(64))
    related_party: Mapped[bool] = mapped_column(Boolean, default=False)
    industry: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[dt.date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(10, 6, asdecimal=True))
    method: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    residual_value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # A first instalment due on another day than one period after the start: a short or long first period.
    first_due_date: Mapped[dt.date | None] = mapped_column(Date)
    # The day the contract was restructured (its terms changed because the lessee could not pay).
    restructured_date: Mapped[dt.date | None] = mapped_column(Date)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ScheduleLine(Base):
    """One instalment of an irregular schedule imported as given (data contract `schedules.csv`); a contract
    with schedule lines is read by them instead of by its terms."""

    __tablename__ = "schedule_lines"
    __table_args__ = (UniqueConstraint("contract_no", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_no: Mapped[str] = mapped_column(ForeignKey("contracts.contract_no"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    """A payment received (data contract `payments.csv`).

    A payment file has no key of its own, so the natural key is (contract_no, paid_date, amount_fen, seq),
    where seq numbers identical payments of one contract on one day in file order; re-loading a file
    therefore finds the same keys and changes nothing. `lessor` is copied from the contract so a tenant's
    payments are read without a join.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("contract_no", "paid_date", "amount_fen", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_no: Mapped[str] = mapped_column(ForeignKey("contracts.contract_no"))
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    paid_date: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Valuation(Base):
    """A disposal-value appraisal of a leased asset (data contract `valuations.csv`)."""

    __tablename__ = "valuations"
    __table_args__ = (UniqueConstraint("lessor", "asset_id", "valuation_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    asset_id: Mapped[str] = mapped_column(String(64))
    valuation_date: Mapped[dt.date] = mapped_column(Date)
    disposal_value_fen: Mapped[int] = mapped_column(BigInteger)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportRun(Base):
    """One file loaded (or refused): what was read, what changed, what was rejected."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)  # in the shipped default language (Chinese)
    # The message as code and parameters (leaseguard.ingest.reasons), so it can be said in the reader's
    # language; null for a run recorded before they were kept, or by a loader without codes.
    message_code: Mapped[str | None] = mapped_column(String(40))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The lessor all of the file's loaded rows belong to; null for a file of several lessors' rows (or none),
    # which only the installation's operator sees.
    lessor: Mapped[str | None] = mapped_column(String(32), index=True)


class AssetCheck(Base):
    """One ownership check: who asked about which asset, when, and the verdict with its reasons."""

    __tablename__ = "asset_checks"
    __table_args__ = (Index("ix_asset_checks_lessor_lessee_id", "lessor", "lessee_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    asked_by: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules_version: Mapped[int] = mapped_column(Integer)
    # The lessee the check named (request.lessee_id), as a column so a lessee's checks are read by index.
    lessee_id: Mapped[str | None] = mapped_column(String(64))
    # Where the check was deposited in the evidence log, so it can be proven what was known at funding time.
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class EvidenceLog(Base):
    """The evidence log's one state row: its origin and key (fixed at the first append) and its size.

    Every append updates this row first, so concurrent appenders queue on its lock on both databases.
    """

    __tablename__ = "evidence_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    size: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EvidenceRecord(Base):
    """One leaf of the evidence log: the exact entry bytes that were hashed, and the content they commit to."""

    __tablename__ = "evidence_records"
    __table_args__ = (
        Index("ix_evidence_records_lessor_ref", "lessor", "ref"),
        # A lessor's records newest first (the console's /evidence), without reading other lessors' rows.
        Index("ix_evidence_records_lessor_index", "lessor", "leaf_index"),
    )

    leaf_index: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    kind: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    appended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EvidenceNode(Base):
    """Hash of a perfect subtree of the evidence log: leaves [position·2^level, (position+1)·2^level).

    Written once when its last leaf arrives and never changed, so any proof is O(log n) key lookups.
    """

    __tablename__ = "evidence_nodes"
    # Without a rowid SQLite keeps the hash in the primary-key B-tree: one lookup, no second index.
    __table_args__ = ({"sqlite_with_rowid": False},)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class EvidenceCheckpoint(Base):
    """A signed checkpoint (C2SP signed note) of the evidence log, kept as published."""

    __tablename__ = "evidence_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BookRun(Base):
    """One lessor's daily classification run: the day, the lessor, the rule set that classified its book, and its
    totals (its own contracts, changes, provisions and general reserve). A run of the whole store writes one row
    per lessor; a lessor's run writes its own row only (migration 0026: before it, one row a day for the store)."""

    __tablename__ = "book_runs"
    # A lessor's run days newest first (its /book, its overview, the previous day of a change of class).
    __table_args__ = (Index("ix_book_runs_lessor_as_of", "lessor", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lessor: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule_set: Mapped[str] = mapped_column(String(64))
    rule_set_version: Mapped[int] = mapped_column(Integer)
    rule_set_sha256: Mapped[str] = mapped_column(String(64))
    contracts: Mapped[int] = mapped_column(Integer)
    changes: Mapped[int] = mapped_column(Integer)
    provisions_fen: Mapped[int] = mapped_column(BigInteger)
    general_reserve_fen: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ContractClass(Base):
    """A contract's position, class and provision on one day (one rule set per lessor and day: see book_runs)."""

    __tablename__ = "contract_classes"
    # The console's /book: a lessor's day a page at a time in contract order (keyset), all or of one class,
    # reading a page's worth of index entries whatever the size of the book (migration 0021).
    __table_args__ = (
        Index("ix_contract_classes_as_of_lessor_contract_no", "as_of", "lessor", "contract_no"),
        Index(
            "ix_contract_classes_as_of_lessor_class_contract_no", "as_of", "lessor", "class", "contract_no"
        ),
    )

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    lessor: Mapped[str] = mapped_column(String(32))
    dpd: Mapped[int] = mapped_column(Integer)
    outstanding_principal_fen: Mapped[int] = mapped_column(BigInteger)
    overdue_amount_fen: Mapped[int] = mapped_column(BigInteger)
    claim_balance_fen: Mapped[int] = mapped_column(BigInteger)
    # "class" is a Python keyword; the column keeps the name other tools read.
    klass: Mapped[str] = mapped_column("class", String(16))
    deciding_rule: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)
    provision_fen: Mapped[int] = mapped_column(BigInteger)


class ClassTotal(Base):
    """One lessor's contracts, claim balance and provisions in one class on one run day: what the daily run
    wrote to contract_classes, summed as it wrote them, so that a page showing a book's size and ratios reads
    a few rows instead of aggregating a million."""

    __tablename__ = "class_totals"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lessor: Mapped[str] = mapped_column(String(32), primary_key=True)
    klass: Mapped[str] = mapped_column("class", String(16), primary_key=True)
    contracts: Mapped[int] = mapped_column(Integer)
    claim_balance_fen: Mapped[int] = mapped_column(BigInteger)
    provision_fen: Mapped[int] = mapped_column(BigInteger)


class ClassChange(Base):
    """A contract moving from one class to another between two runs, with the rule that moved it."""

    __tablename__ = "class_changes"
    # A contract's changes in order (its page, a lessee's classes over time); the key starts with the day.
    __table_args__ = (Index("ix_class_changes_contract_no_as_of", "contract_no", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    from_class: Mapped[str | None] = mapped_column(String(16))
    to_class: Mapped[str] = mapped_column(String(16))
    deciding_rule: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)


class EnforcementCase(Base):
    """A defaulted contract taken to enforcement: the claim when the case was opened, and where it stands."""

    __tablename__ = "enforcement_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_no: Mapped[str] = mapped_column(ForeignKey("contracts.contract_no"), unique=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    claim_fen: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class CaseEvent(Base):
    """An entry of a case's ledger: a step (demand notice, filing, judgment, enforcement, seizure, auction or
    settlement, closure) on a day, with the money it recovered. The ledger is append-only: a step recorded by
    mistake stays, and a later entry names it in `corrects` — with the step as it should have been, or with
    no stage when the step never happened."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    event_date: Mapped[dt.date] = mapped_column(Date)
    recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    # Unique: an entry is corrected once; a wrong correction is itself corrected by a further entry.
    corrects: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)


class CreditApplication(Base):
    """The inquiry and application log across lessors, which multi-head-lending features count, and the
    credit decisions taken here (one row each, with where it was deposited in the evidence log)."""

    __tablename__ = "credit_applications"
    __table_args__ = (
        Index("ix_credit_applications_applicant_day", "applicant_id", "applied_on"),
        # A lessor's decisions newest first, a page at a time (the console's /applications).
        Index("ix_credit_applications_lessor_source_id", "lessor", "source", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(String(32), index=True)
    applicant_id: Mapped[str] = mapped_column(String(32))
    applied_on: Mapped[dt.date] = mapped_column(Date)
    application_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # "decision" (taken here) or "log" (loaded)
    decision: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    pd: Mapped[float | None] = mapped_column(Numeric(8, 6, asdecimal=False))
    model_version: Mapped[str | None] = mapped_column(String(64))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CreditPolicy(Base):
    """A credit policy a lessor's compliance officer deployed (usecases.credit_policy): the YAML as deployed, its
    version, name and SHA-256, who deployed it and when, and where the deployment was deposited in the evidence
    log. The lessor's newest row is its policy; without one, the workspace's (credit.policy) or the shipped one."""

    __tablename__ = "credit_policies"
    __table_args__ = (Index("ix_credit_policies_lessor_id", "lessor", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_role: Mapped[str] = mapped_column(String(16))
    deployed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # What the test against the lessor's recent decisions said when it was deployed.
    tested_decisions: Mapped[int] = mapped_column(Integer)
    changed_decisions: Mapped[int] = mapped_column(Integer)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class IndicatorReport(Base):
    """One regulatory indicator report as filed (or drafted): its balance sheet and every indicator's result.

    The latest non-draft report before a day is the baseline for "change since the last report"."""

    __tablename__ = "indicator_reports"
    __table_args__ = (Index("ix_indicator_reports_lessor_rule_set_as_of", "lessor", "rule_set", "as_of"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    rule_set: Mapped[str] = mapped_column(String(64))
    rule_set_version: Mapped[int] = mapped_column(Integer)
    rule_set_sha256: Mapped[str] = mapped_column(String(64))
    draft: Mapped[bool] = mapped_column(Boolean)
    balance_sheet: Mapped[dict[str, Any]] = mapped_column(JSON)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    alerts: Mapped[int] = mapped_column(Integer)
    # Where the report's alerts were deposited in the evidence log (the first of them), if any.
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """A demand (催告) sent to the lessee, or to a guarantor, about a contract: when, how, when delivered and
    the period given; the letter itself, where given, is deposited in the evidence log."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("lessor", "contract_no", "kind", "addressee", "sent_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    contract_no: Mapped[str] = mapped_column(ForeignKey("contracts.contract_no"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    addressee: Mapped[str] = mapped_column(String(128), default="")  # "" for the lessee
    sent_on: Mapped[dt.date] = mapped_column(Date)
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class Document(Base):
    """A document of a contract or of a leased asset (the lease contract, an invoice, a payment proof, …),
    deposited in the evidence log with its SHA-256 when imported."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("lessor", "contract_no", "asset_id", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    contract_no: Mapped[str] = mapped_column(String(64), default="", index=True)  # "" when of an asset only
    asset_id: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(128))
    pages: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    evidence_index: Mapped[int] = mapped_column(BigInteger)


class User(Base):
    """A person who signs in to the console: one lessor, one role (the roles of API keys), an Argon2 hash.

    Failed sign-ins in a row are counted; at the workspace's console.max_failed_sign_ins the account is locked
    until `locked_until`. A disabled user cannot sign in and its open sessions are ended."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # Argon2id in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): parameters and salt travel with the hash.
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # zh or en, chosen in the console; null: the workspace's lang.
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInEvent(Base):
    """Every sign-in, failed sign-in and sign-out, as it happened: the name typed (the user, when there is one),
    the outcome code and the client's address. Rows are only ever added."""

    __tablename__ = "sign_in_events"
    __table_args__ = (Index("ix_sign_in_events_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    username: Mapped[str] = mapped_column(String(64))
    # Not a foreign key: a name that matches no user is recorded too, and the record outlives any user.
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    lessor: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    client: Mapped[str | None] = mapped_column(String(64))


class ConsoleSession(Base):
    """A signed-in browser: the cookie carries a random token, the store only its SHA-256, so signing out,
    disabling the user or resetting the password ends the session on the server, not just in the browser."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client: Mapped[str | None] = mapped_column(String(64))


class FundingScreen(Base):
    """A funding file screened in the console for one lessor (usecases.funding_decisions): who screened which
    file (its SHA-256) when, how many of its assets each verdict got, and the rows the file's own checks
    rejected (line, column, reason in both languages; the first few hundred). Its findings and summary files
    are kept under the workspace; its assets are `funding_screen_assets`."""

    __tablename__ = "funding_screens"
    __table_args__ = (Index("ix_funding_screens_lessor_id", "lessor", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    screened_by: Mapped[str] = mapped_column(String(64))
    screened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    assets: Mapped[int] = mapped_column(Integer)
    blocks: Mapped[int] = mapped_column(Integer)
    reviews: Mapped[int] = mapped_column(Integer)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class FundingScreenAsset(Base):
    """One asset of a screened funding file, as the file describes it, with the screen's verdict on it, the
    reason codes and the reasons in each language. A funding decision is taken on one of these rows."""

    __tablename__ = "funding_screen_assets"
    __table_args__ = (UniqueConstraint("screen_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    screen_id: Mapped[int] = mapped_column(ForeignKey("funding_screens.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based, in file order (good rows only)
    asset_id: Mapped[str | None] = mapped_column(String(64))
    asset_type: Mapped[str | None] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(64))
    serial_no: Mapped[str | None] = mapped_column(String(64))
    engine_no: Mapped[str | None] = mapped_column(String(64))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    invoice_code: Mapped[str | None] = mapped_column(String(64))
    invoice_no: Mapped[str | None] = mapped_column(String(64))
    invoice_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    lessee_id: Mapped[str | None] = mapped_column(String(64))
    lessee_name: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(8))
    reason_codes: Mapped[list[str]] = mapped_column(JSON)
    reasons_zh: Mapped[list[str]] = mapped_column(JSON)
    reasons_en: Mapped[list[str]] = mapped_column(JSON)
    store_matches: Mapped[int] = mapped_column(Integer)
    file_matches: Mapped[int] = mapped_column(Integer)


class FundingDecision(Base):
    """Fund, hold or reject one screened asset, with the maker's comment; the newest decision on an asset is
    the one that stands. A decision to fund or hold an asset the screen blocked is pending until a second
    person with the compliance role approves it (`approved_by`…) or declines it (`declined_by`…). Rows are added,
    and approved or declined once; each decision, approval and decline is deposited in the evidence log."""

    __tablename__ = "funding_decisions"
    __table_args__ = (
        Index("ix_funding_decisions_screen_asset_id", "screen_asset_id"),
        Index("ix_funding_decisions_lessor_pending", "lessor", "pending", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    screen_asset_id: Mapped[int] = mapped_column(ForeignKey("funding_screen_assets.id"))
    decision: Mapped[str] = mapped_column(String(8))  # fund, hold, reject
    verdict: Mapped[str] = mapped_column(String(8))  # the screen's verdict the decision was taken on
    comment: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_role: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    needs_approval: Mapped[bool] = mapped_column(Boolean)
    # True while a decision that needs approval has none: the checker's list reads it by index.
    pending: Mapped[bool] = mapped_column(Boolean)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approval_comment: Mapped[str | None] = mapped_column(Text)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    approval_evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    # A checker's decline (驳回) of a pending decision, with the reason: it stands no more, and the asset has no
    # decision in force until a maker decides again.
    declined_by: Mapped[str | None] = mapped_column(String(64))
    declined_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decline_evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class CollectionCall(Base):
    """A collector's call on one contract and what came of it (reached, no answer, a promise to pay…), with a
    note; a promise to pay carries its day and amount. Rows are only added; each is deposited in the evidence
    log (usecases.collections). The contract's newest promise is the one that stands."""

    __tablename__ = "collection_calls"
    __table_args__ = (
        Index("ix_collection_calls_lessor_contract_no_id", "lessor", "contract_no", "id"),
        # The lessor's promises that fell due (broken promises) are read by this index.
        Index("ix_collection_calls_lessor_promise_date", "lessor", "promise_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    contract_no: Mapped[str] = mapped_column(ForeignKey("contracts.contract_no"))
    outcome: Mapped[str] = mapped_column(String(32))  # a code of vocabulary.CALL_OUTCOMES
    called_on: Mapped[dt.date] = mapped_column(Date)
    promise_date: Mapped[dt.date | None] = mapped_column(Date)
    promise_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_role: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(16))
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)


class Job(Base):
    """A background job of one lessor (leaseguard.jobs): what kind, who started it with which parameters, its
    state (queued, running, succeeded, failed), its progress (done of total) and, at its end, its result or why
    it failed (Chinese and English). `exclusive` holds "<lessor>:<kind>" while a job of a kind that runs one at a
    time per lessor is queued or running, so a second one cannot be inserted; it is cleared when the job ends.
    `heartbeat_at` is written every second while the job lives, so a job whose process died can be told."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_lessor_id", "lessor", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    exclusive: Mapped[str | None] = mapped_column(String(80), unique=True)


# ------------------------------------------------------------------------------------------------ tracking
# JT/T 808 terminals (issue 20; docs/tracking.md "Terminals, bindings and positions"). A terminal's phone is
# kept without its leading zeros (`tracking.storage.canonical_phone`): a 2013 header carries 12 BCD digits, a
# 2019 one 20, and trackers.csv the SIM's own 11 to 13, all for the same terminal.


class Tracker(Base):
    """A terminal fitted to one of a lessor's assets (data contract `trackers.csv`) from `installed_on`, until
    `removed_on` (exclusive) when it was taken off. A terminal is bound to one asset at a time: the partial
    unique index allows one binding without `removed_on` per phone."""

    __tablename__ = "trackers"
    __table_args__ = (
        UniqueConstraint("lessor", "asset_id", "terminal_phone"),
        Index("ix_trackers_terminal_phone", "terminal_phone"),
        Index(
            "ux_trackers_terminal_phone_bound",
            "terminal_phone",
            unique=True,
            sqlite_where=text("removed_on is null"),
            postgresql_where=text("removed_on is null"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    asset_id: Mapped[str] = mapped_column(String(64))
    terminal_phone: Mapped[str] = mapped_column(String(20))
    terminal_id: Mapped[str | None] = mapped_column(String(30))
    installed_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # wired or wireless
    removed_on: Mapped[dt.date | None] = mapped_column(Date)


class TrackingTerminal(Base):
    """A terminal that registered with the gateway (0x0100), whether or not it is bound to an asset: the
    authentication code it was issued (kept when it registers again) and what it said of itself."""

    __tablename__ = "tracking_terminals"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    auth_code: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str | None] = mapped_column(String(30))
    manufacturer: Mapped[str | None] = mapped_column(String(30))
    model: Mapped[str | None] = mapped_column(String(30))
    plate: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(8))  # the registration's layout: 2019, 2013 or 2011
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TrackingPosition(Base):
    """One position report of a terminal bound to an asset, attached to that asset. Append-only; pruned by
    `day` (the report's day in GMT+8). Reads go by (lessor, asset_id, fix_time)."""

    __tablename__ = "tracking_positions"
    __table_args__ = (
        Index("ix_tracking_positions_lessor_asset_id_fix_time", "lessor", "asset_id", "fix_time"),
        Index("ix_tracking_positions_day", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    asset_id: Mapped[str] = mapped_column(String(64))
    terminal_phone: Mapped[str] = mapped_column(String(20))
    fix_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # received_at when it had none
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date] = mapped_column(Date)
    latitude_e6: Mapped[int] = mapped_column(Integer)
    longitude_e6: Mapped[int] = mapped_column(Integer)
    altitude_m: Mapped[int] = mapped_column(Integer)
    speed_dkmh: Mapped[int] = mapped_column(Integer)  # 0.1 km/h, as the report carries it
    direction: Mapped[int] = mapped_column(SmallInteger)
    alarm_word: Mapped[int] = mapped_column(BigInteger)
    status_word: Mapped[int] = mapped_column(BigInteger)
    extras: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    supplement: Mapped[bool] = mapped_column(Boolean)
    msg_id: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)  # the whole frame as received, kept as evidence


class TrackingLastPosition(Base):
    """The latest position (by fix time) of each terminal of each asset, upserted with every kept batch, so the
    last known position is one indexed read whatever the size of tracking_positions."""

    __tablename__ = "tracking_last_positions"

    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    position_id: Mapped[int] = mapped_column(BigInteger)
    fix_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    latitude_e6: Mapped[int] = mapped_column(Integer)
    longitude_e6: Mapped[int] = mapped_column(Integer)
    altitude_m: Mapped[int] = mapped_column(Integer)
    speed_dkmh: Mapped[int] = mapped_column(Integer)
    direction: Mapped[int] = mapped_column(SmallInteger)
    alarm_word: Mapped[int] = mapped_column(BigInteger)
    status_word: Mapped[int] = mapped_column(BigInteger)


class UnboundReport(Base):
    """A position report of a terminal bound to no asset on the report's day: held apart, attached to nobody,
    listed for whoever binds the terminal (a later binding does not move it into tracking_positions)."""

    __tablename__ = "unbound_reports"
    __table_args__ = (
        Index("ix_unbound_reports_phone_received_at", "phone", "received_at"),
        Index("ix_unbound_reports_day", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    fix_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date] = mapped_column(Date)
    latitude_e6: Mapped[int] = mapped_column(Integer)
    longitude_e6: Mapped[int] = mapped_column(Integer)
    altitude_m: Mapped[int] = mapped_column(Integer)
    speed_dkmh: Mapped[int] = mapped_column(Integer)
    direction: Mapped[int] = mapped_column(SmallInteger)
    alarm_word: Mapped[int] = mapped_column(BigInteger)
    status_word: Mapped[int] = mapped_column(BigInteger)
    supplement: Mapped[bool] = mapped_column(Boolean)
    msg_id: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class TrackingAlertRow(Base):
    """A location alert of one of a lessor's assets (tracking/alerts.py): open from `opened_at` until
    `cleared_at`, at most one open per (lessor, asset_id, code). `points` keeps the reports that raised, kept and
    cleared it (`alert_store.point_json`), so the alert is whole after its positions are pruned; the report ids
    are tracking_positions ids, whose raw frames went to the evidence log at `evidence_index`."""

    __tablename__ = "tracking_alerts"
    __table_args__ = (
        UniqueConstraint("lessor", "asset_id", "code", "opened_at"),
        Index("ix_tracking_alerts_lessor_cleared_at", "lessor", "cleared_at"),
        Index(
            "ux_tracking_alerts_open",
            "lessor",
            "asset_id",
            "code",
            unique=True,
            sqlite_where=text("cleared_at is null"),
            postgresql_where=text("cleared_at is null"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"))
    asset_id: Mapped[str] = mapped_column(String(64))
    contract_no: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_report_id: Mapped[int | None] = mapped_column(BigInteger)
    last_report_id: Mapped[int | None] = mapped_column(BigInteger)
    cleared_report_id: Mapped[int | None] = mapped_column(BigInteger)
    reason_code: Mapped[str] = mapped_column(String(32))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_index: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TrackingAlertRun(Base):
    """One evaluation of a lessor's location alerts, made up to `as_of`: the next one starts from the latest,
    and an evaluation up to a time already evaluated changes nothing."""

    __tablename__ = "tracking_alert_runs"

    lessor: Mapped[str] = mapped_column(ForeignKey("lessors.code"), primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    rules_sha256: Mapped[str] = mapped_column(String(64))
    assets: Mapped[int] = mapped_column(Integer)
    opened: Mapped[int] = mapped_column(Integer)
    still_open: Mapped[int] = mapped_column(Integer)
    cleared: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
