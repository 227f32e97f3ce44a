"""Lessors and API keys: key format and hashing are pure functions; the rest reads and writes a session.

Session functions flush but never commit, so the caller decides the transaction (`with session.begin(): ...`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from leaseguard.errors import ConflictError, InvalidInputError, NotFoundError
from leaseguard.store.models import ApiKey, Lessor
from leaseguard.tenancy.models import IssuedKey, KeyInfo, Principal
from leaseguard.vocabulary import ROLES, Label

KEY_SCHEME = "lg"
PREFIX_BYTES = 6  # 12 hex characters: enough to find a row, and the column holds 16
SECRET_BYTES = 32  # 256 bits of entropy, so a fast unsalted hash is safe to store
LESSOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_KEY_SHAPE = re.compile(r"lg_([0-9a-f]{12})_([A-Za-z0-9_-]{20,128})")
# Compared against when no row matches, so an unknown prefix costs the same work as a known one.
_DUMMY_HASH = hashlib.sha256(b"leaseguard: no such key").hexdigest()


class TenancyError(InvalidInputError):
    """A request about lessors or keys that cannot be honoured; the message is meant for the user."""


class UnknownLessorError(NotFoundError, TenancyError):
    pass


class UnknownRoleError(TenancyError):
    pass


class UnknownKeyError(NotFoundError, TenancyError):
    pass


class LessorConflictError(ConflictError, TenancyError):
    pass


# --- pure -------------------------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def format_key(prefix: str, secret: str) -> str:
    return f"{KEY_SCHEME}_{prefix}_{secret}"


def parse_key(presented: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    match = _KEY_SHAPE.fullmatch(presented.strip())
    return (match.group(1), match.group(2)) if match else None


def new_key_parts() -> tuple[str, str]:
    return secrets.token_hex(PREFIX_BYTES), secrets.token_urlsafe(SECRET_BYTES)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UnknownRoleError(
            Label("未知角色 {role!r}；可选：{roles}", "unknown role {role!r}; choose one of {roles}"),
            role=role,
            roles=", ".join(ROLES),
        )
    return role


def check_lessor_code(code: str) -> str:
    if not LESSOR_CODE.fullmatch(code):
        raise TenancyError(
            Label(
                "出租人代码 {code!r} 无效：应为 1-32 个字母、数字、'_'、'.' 或 '-'，以字母或数字开头",
                "lessor code {code!r} is not valid: 1-32 letters, digits, '_', '.' or '-', starting with a letter or"
                " digit",
            ),
            code=code,
        )
    return code


# --- session ----------------------------------------------------------------------------------------------


PARTY_KEYS = ("uscc", "address", "legal_representative")  # lessors.extra keys the enforcement complaint reads
# The party details as a person reads them.
PARTY_KEY_LABELS = {
    "uscc": Label("统一社会信用代码", "unified social credit code"),
    "address": Label("住所", "address"),
    "legal_representative": Label("法定代表人", "legal representative"),
}
# The supervisory regime a lessor reports under (lessors.extra["regime"]), with the name a report shows.
REGIMES = {
    "financial_leasing": "金融租赁公司 (国家金融监督管理总局)",
    "finance_leasing": "融资租赁公司 (地方金融管理部门)",
}


def check_uscc(value: str) -> str:
    """The unified social credit code in its compact form, or a TenancyError naming the value."""
    try:
        return str(stdnum_uscc.validate(value))
    except ValidationError as error:
        raise TenancyError(
            Label(
                "{value!r} 不是有效的统一社会信用代码：{reason}",
                "{value!r} is not a valid unified social credit code: {reason}",
            ),
            value=value,
            reason=error,
        ) from None


def add_lessor(
    session: Session,
    code: str,
    name: str,
    *,
    uscc: str | None = None,
    address: str | None = None,
    legal_representative: str | None = None,
    regime: str | None = None,
) -> Lessor:
    """Register a lessor; adding the same code with the same name again returns the existing one, with any
    party details given (uscc, address, legal_representative, regime, kept in `extra`) recorded over the old
    ones."""
    check_lessor_code(code)
    name = name.strip()
    if not name or len(name) > 200:
        raise TenancyError(Label("出租人名称应为 1-200 个字符", "lessor name must be 1-200 characters"))
    details: dict[str, str] = {}
    if uscc is not None:
        details["uscc"] = check_uscc(uscc)
    for key, value in (("address", address), ("legal_representative", legal_representative)):
        if value is not None:
            value = value.strip()
            if not value or len(value) > 500:
                raise TenancyError(
                    Label("出租人{detail}应为 1-500 个字符", "lessor {detail} must be 1-500 characters"),
                    detail=PARTY_KEY_LABELS[key],
                )
            details[key] = value
    if regime is not None:
        if regime not in REGIMES:
            raise TenancyError(
                Label("监管类别 {regime!r}：应为 {choices}", "regime {regime!r}: use {choices}"),
                regime=regime,
                choices=Label(" 或 ".join(REGIMES), " or ".join(REGIMES)),
            )
        details["regime"] = regime
    existing = session.get(Lessor, code)
    if existing is not None:
        if existing.name != name:
            raise LessorConflictError(
                Label(
                    "出租人 {code!r} 已存在，名称为 {name!r}",
                    "lessor {code!r} already exists with the name {name!r}",
                ),
                code=code,
                name=existing.name,
            )
        if details and any((existing.extra or {}).get(k) != v for k, v in details.items()):
            existing.extra = {**(existing.extra or {}), **details}  # a new dict, so the change is seen
            session.flush()
        return existing
    lessor = Lessor(code=code, name=name, extra=details or None)
    session.add(lessor)
    session.flush()
    return lessor


UNKNOWN_LESSOR = Label(
    "未知出租人 {lessor!r}；请先用 `leaseguard lessors add` 添加",
    "unknown lessor {lessor!r}; add it first with `leaseguard lessors add`",
)


def require_lessor(connection: Connection | Session, code: str) -> str:
    """`code` if the store has that lessor, else UnknownLessorError saying how to add it: the one check every
    job asked for a lessor (a run, a check, a screen, a user, an alert evaluation) makes first."""
    if connection.execute(select(Lessor.code).where(Lessor.code == code)).first() is None:
        raise UnknownLessorError(UNKNOWN_LESSOR, lessor=code)
    return code


def get_lessor(session: Session, code: str) -> Lessor:
    lessor = session.get(Lessor, code)
    if lessor is None:
        raise UnknownLessorError(UNKNOWN_LESSOR, lessor=code)
    return lessor


def lessor_names(connection: Connection | Session) -> dict[str, str]:
    """Every lessor's legal name by code, as `lessors.csv` or `lessors add` recorded it ("" when it has none):
    what a file a person reads puts beside the code."""
    return {
        code: str(name or "") for code, name in connection.execute(select(Lessor.code, Lessor.name)).all()
    }


def lessor_name(engine: Engine, lessor: str) -> str:
    """One lessor's legal name ("" when it has none or is not in the store)."""
    with engine.connect() as connection:
        return lessor_names(connection).get(lessor, "")


def list_lessors(session: Session) -> list[Lessor]:
    return list(session.scalars(select(Lessor).order_by(Lessor.code)))


def create_key(session: Session, *, lessor: str, role: str, label: str | None = None) -> IssuedKey:
    """Issue a key for `lessor` with `role`; the returned secret is the only copy there will ever be."""
    check_role(role)
    get_lessor(session, lessor)
    if label is not None and len(label) > 200:
        raise TenancyError(Label("密钥备注最多 200 个字符", "key label must be at most 200 characters"))
    while True:
        prefix, secret = new_key_parts()
        # 48 random bits rarely collide, but a collision would make a key unusable, so check.
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    session.add(ApiKey(prefix=prefix, secret_hash=hash_secret(secret), lessor=lessor, role=role, label=label))
    session.flush()
    return IssuedKey(key=format_key(prefix, secret), prefix=prefix, lessor=lessor, role=role, label=label)


def authenticate(session: Session, presented_key: str) -> Principal | None:
    """The principal behind a presented key, or None if it is malformed, unknown, wrong or revoked."""
    parts = parse_key(presented_key)
    if parts is None:
        return None
    prefix, secret = parts
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    expected = row.secret_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(hash_secret(secret), expected)
    if row is None or not matches or row.revoked_at is not None or row.role not in ROLES:
        return None
    return Principal(lessor=row.lessor, role=row.role, key_prefix=row.prefix)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes; everything this module stores is UTC, so say so on both engines.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        prefix=row.prefix,
        lessor=row.lessor,
        role=row.role,
        label=row.label,
        created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at),
    )


def revoke_key(session: Session, prefix: str, *, lessor: str | None = None) -> KeyInfo:
    """Revoke the key with `prefix` from now on; revoking it again keeps the first revocation time. With
    `lessor`, a key of that lessor only: another lessor's key is as unknown as one never issued."""
    query = select(ApiKey).where(ApiKey.prefix == prefix)
    if lessor is not None:
        query = query.where(ApiKey.lessor == lessor)
    row = session.scalar(query)
    if row is None:
        raise UnknownKeyError(
            Label("没有前缀为 {prefix!r} 的 API 密钥", "no API key with prefix {prefix!r}"), prefix=prefix
        )
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
    return _info(row)


def list_keys(session: Session, lessor: str | None = None) -> list[KeyInfo]:
    """Every key (or one lessor's), oldest first; secrets are never stored, so never listed."""
    query = select(ApiKey).order_by(ApiKey.lessor, ApiKey.id)
    if lessor is not None:
        get_lessor(session, lessor)
        query = query.where(ApiKey.lessor == lessor)
    return [_info(row) for row in session.scalars(query)]
