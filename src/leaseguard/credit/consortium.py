"""Consortium facts: when another member's data may inform a lessor's credit decision, and how coarsely.

A lessor's figures depend only on its own book. Another member's applications, contracts and arrears count
only when both lessors have switched sharing on (`credit.consortium_sharing` in leaseguard.yaml), the
application carries the applicant's recorded consent and the ID number is valid; and then only as bands
(defaults/credit/consortium.yaml), never as another member's exact count or amount, never naming it."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, Field, Strict
from stdnum.cn import ric, uscc

from leaseguard.credit.errors import CreditError
from leaseguard.credit.features import WINDOWS_DAYS
from leaseguard.rulefiles import RuleFile, RuleFileError, RuleProblem, parse_rule_text
from leaseguard.vocabulary import Label

SETTING = "credit.consortium_sharing"
BAND_KEYS = ("lenders", "applications", "contracts", "monthly_commitment_yuan")

_TRUE = frozenset({"true", "yes", "y", "1", "是"})
_FALSE = frozenset({"false", "no", "n", "0", "否", ""})


@dataclass(frozen=True)
class ConsortiumBands:
    """The floors of the bands another member's facts are reported in; a value enters as its band's floor."""

    lenders: tuple[int, ...]
    applications: tuple[int, ...]
    contracts: tuple[int, ...]
    monthly_commitment_fen: tuple[int, ...]


def _rising_from_zero(values: list[int]) -> list[int]:
    if values[0] != 0 or any(b <= a for a, b in itertools.pairwise(values)):
        raise RuleProblem(Label("必须从 0 开始逐个增大", "must start at 0 and rise"))
    return values


Floors = Annotated[list[Annotated[int, Strict()]], Field(min_length=1), AfterValidator(_rising_from_zero)]


class ConsortiumFile(RuleFile):
    version: int
    lenders: Floors
    applications: Floors
    contracts: Floors
    monthly_commitment_yuan: Floors


class ConsortiumBandsError(CreditError, RuleFileError):
    """A consortium bands file that cannot be used."""


def parse_bands(text: str, source: str) -> ConsortiumBands:
    """The bands of a consortium file's text; ConsortiumBandsError names the file, the field and the reason."""
    read = parse_rule_text(ConsortiumFile, text, source, ConsortiumBandsError)
    return ConsortiumBands(
        tuple(read.lenders), tuple(read.applications), tuple(read.contracts),
        tuple(v * 100 for v in read.monthly_commitment_yuan),
    )  # fmt: skip


@functools.cache
def shipped_bands() -> ConsortiumBands:
    text = resources.files("leaseguard.defaults").joinpath("credit/consortium.yaml").read_text("utf-8")
    return parse_bands(text, "leaseguard/defaults/credit/consortium.yaml")


def band_floor(value: int | Decimal, floors: Sequence[int]) -> int:
    """The largest floor not above `value` (floors start at 0 and rise)."""
    chosen = 0
    for floor in floors:
        if value >= floor:
            chosen = floor
    return chosen


_NEITHER = Label(
    "{source}：{code}：{value!r} 既不是 true 也不是 false",
    "{source}: {code}: {value!r} is neither true nor false",
)


def sharing_members(setting: Any, source: str = f"leaseguard.yaml: {SETTING}") -> frozenset[str]:
    """The lessor codes whose `credit.consortium_sharing` is true. The setting is a mapping of lessor code to
    true/false; absent means nobody shares. Anything else is an error naming the setting and the entry."""
    if setting is None:
        return frozenset()
    if not isinstance(setting, dict):
        raise CreditError(
            Label(
                "{source}：应为出租人代码到 true 或 false 的映射（例如 {{L01: true}}）",
                "{source}: must map lessor codes to true or false (e.g. {{L01: true}})",
            ),
            source=source,
            field=SETTING,
        )
    members = set()
    for code, value in setting.items():
        if not isinstance(value, bool):
            raise CreditError(_NEITHER, source=source, code=code, value=value, field=SETTING)
        if value:
            members.add(str(code))
    return frozenset(members)


def consent_given(application: Mapping[str, Any], where: str | Label) -> bool:
    """The application's `consent` field: the applicant's recorded authorization for consortium data.
    Absent or empty is no consent; a value that is not yes/no is an error naming the field."""
    value = application.get("consent")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    # numpy's bool_ comes from a CSV column of true/false.
    elif (isinstance(value, int | float) or type(value).__name__ == "bool_") and value in (0, 1):
        return bool(value)
    raise CreditError(
        Label(
            "{where}：字段 consent：{value!r} 既不是 true 也不是 false",
            "{where}: field consent: {value!r} is neither true nor false",
        ),
        where=where,
        value=value,
        field="consent",
    )


def id_number_valid(applicant_id: str) -> bool:
    """A resident ID or unified social credit code that passes its check: consortium facts are keyed by the
    number, so an unchecked one could collect another person's."""
    number = applicant_id.strip().upper()
    if len(number) != 18:
        return False
    return bool(ric.is_valid(number) if number[:17].isdigit() else uscc.is_valid(number))


def consortium_members(
    lessor: str, sharing: frozenset[str], application: Mapping[str, Any], where: str | Label
) -> frozenset[str] | None:
    """The other members whose shared data this decision may read (every other member that shares), or None
    when the decision is not under sharing: the deciding lessor does not share, the applicant's consent is
    not recorded, or the ID number is not valid. Only a decision under sharing is shared with others."""
    consent = consent_given(application, where)
    if lessor not in sharing or not consent:
        return None
    if not id_number_valid(str(application.get("applicant_id") or "")):
        return None
    return sharing - {lessor}


@dataclass(frozen=True)
class MemberFacts:
    """Other sharing members' facts about an applicant, each already the floor of its band."""

    lenders: Mapping[int, int]  # window in days -> distinct other members applied at
    applications: Mapping[int, int]  # window in days -> applications at other members
    contracts: int  # active lease contracts at other members
    commitment_fen: int  # level monthly rent committed at other members
    arrears: bool  # any of those contracts with dpd > 0 on its lessor's newest classification day


def member_facts(
    entries: Sequence[tuple[str, dt.date]],
    contracts: int,
    commitment_fen: Decimal,
    arrears: bool,
    today: dt.date,
    bands: ConsortiumBands,
) -> MemberFacts:
    """Band other members' raw facts; the raw ones never leave the store edge."""
    lenders: dict[int, int] = {}
    applications: dict[int, int] = {}
    for window in WINDOWS_DAYS:
        since = today - dt.timedelta(days=window - 1)
        inside = [lessor for lessor, day in entries if since <= day <= today]
        lenders[window] = band_floor(len(set(inside)), bands.lenders)
        applications[window] = band_floor(len(inside), bands.applications)
    return MemberFacts(
        lenders=lenders,
        applications=applications,
        contracts=band_floor(contracts, bands.contracts),
        commitment_fen=band_floor(commitment_fen, bands.monthly_commitment_fen),
        arrears=arrears,
    )


def _band_label(floor: int, floors: Sequence[int], unit: str, english: str = "") -> str:
    """A count shown as its band: '1-2家' (or '1-2 lenders' when `english` names the unit)."""
    higher = [f for f in floors if f > floor]
    if not higher:
        return f"{floor}{unit}及以上" if not english else f"{floor} {english} or more"
    top = higher[0] - 1
    if english:
        return f"{floor} {english}" if top == floor else f"{floor}-{top} {english}"
    return f"{floor}{unit}" if top == floor else f"{floor}-{top}{unit}"


def member_reasons(facts: MemberFacts, bands: ConsortiumBands) -> list[dict[str, Any]]:
    """What other members' data said, coarse, in Chinese (`text`) and English (`text_en`): never a member's
    name, an exact count or an amount."""
    reasons = []
    if facts.arrears:
        reasons.append({"fact": "member_arrears", "code": "member_arrears", "text": "其他成员有逾期记录",
                        "text_en": "in arrears at another member"})  # fmt: skip
    lenders = facts.lenders[30]
    if lenders:
        reasons.append(
            {
                "fact": "member_lenders_30d",
                "code": "member_lenders_30d",
                "text": f"近30天在其他成员有申请记录（{_band_label(lenders, bands.lenders, '家')}）",
                "text_en": "applied at other members in the last 30 days "
                f"({_band_label(lenders, bands.lenders, '家', 'lenders')})",
            }
        )
    if facts.contracts:
        reasons.append(
            {
                "fact": "member_contracts",
                "code": "member_contracts",
                "text": "在其他成员有未结清的租赁合同"
                f"（{_band_label(facts.contracts, bands.contracts, '笔')}）",
                "text_en": "has open leases at other members "
                f"({_band_label(facts.contracts, bands.contracts, '笔', 'contracts')})",
            }
        )
    return reasons
