"""Application verification: identity numbers and what they tell (age, region), internal consistency,
blacklists and watchlists kept as data, and arrears on the deciding lessor's own book (`in_arrears`) or, only
where consortium sharing applies, at another sharing member (`member_arrears`, given as one boolean).
Findings are in Chinese: they are read by the analyst and may be shown to the applicant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import model_validator
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from leaseguard.credit.errors import CreditError
from leaseguard.rulefiles import Item, RuleFile, RuleFileError, Text, load_rule_file, whole_number
from leaseguard.vocabulary import Label

# A stated age may differ from the ID's by one year: applicants round, and forms ask "age" loosely.
AGE_TOLERANCE_YEARS = 1


@dataclass(frozen=True)
class Lists:
    """Blacklist and watchlist: ID number -> reason."""

    blacklist: Mapping[str, str]
    watchlist: Mapping[str, str]
    version: int = 1


class ListsError(CreditError, RuleFileError):
    """A blacklist and watchlist file that cannot be used."""


class _Entry(Item):
    id: Text  # USCC or resident ID
    reason: str = ""


class ListsFile(RuleFile):
    """`defaults/credit/lists.yaml` as written (an empty file: no one listed)."""

    version: Annotated[int, whole_number(0)] = 1
    blacklist: list[_Entry] | None = None
    watchlist: list[_Entry] | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_nothing(cls, data: Any) -> Any:
        return {} if data is None else data

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | None:
        if len(path) == 2 and isinstance(path[1], int):
            return f"{path[0]} entry {path[1] + 1}"
        return None


def load_lists(path: Path | None = None) -> Lists:
    """The lists at `path`, or the shipped ones; a malformed file is a ListsError naming the entry."""
    parsed = load_rule_file(ListsFile, path, "credit/lists.yaml", ListsError)

    def table(entries: list[_Entry] | None) -> dict[str, str]:
        return {entry.id.strip().upper(): entry.reason for entry in entries or ()}

    return Lists(table(parsed.blacklist), table(parsed.watchlist), parsed.version)


@dataclass(frozen=True)
class Verification:
    """What verification found; `fields` are the values policy rules and models may read."""

    id_type: str  # "resident_id", "uscc" or "unknown"
    fields: dict[str, Any]
    findings: list[str] = field(default_factory=list)


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def verify_application(
    application: Mapping[str, Any],
    *,
    lists: Lists,
    in_arrears: bool,
    today: dt.date,
    member_arrears: bool = False,
) -> Verification:
    """Check one application; never raises on a bad ID (that is a finding), only on mistyped fields."""
    applicant_id = str(application.get("applicant_id") or "").strip().upper()
    findings: list[str] = []
    id_type = "unknown"
    id_valid = False
    age_from_id: int | None = None
    region = ""
    if len(applicant_id) == 18 and applicant_id[:17].isdigit():
        id_type = "resident_id"
        try:
            ric.validate(applicant_id)
            birth = ric.get_birth_date(applicant_id)
            place = ric.get_birth_place(applicant_id)
            id_valid = True
            age_from_id = _years_between(birth, today)
            region = "".join(str(v) for v in place.values()) if isinstance(place, dict) else ""
        except (ValidationError, ValueError) as error:
            findings.append(f"居民身份证号码 {applicant_id} 校验不通过：{error}")
    elif len(applicant_id) == 18:
        id_type = "uscc"
        try:
            uscc.validate(applicant_id)
            id_valid = True
        except (ValidationError, ValueError) as error:
            findings.append(f"统一社会信用代码 {applicant_id} 校验不通过：{error}")
    else:
        findings.append(f"证件号码 {applicant_id!r} 既不是18位居民身份证号码，也不是统一社会信用代码")

    age_mismatch = False
    stated_age = application.get("stated_age")
    if stated_age is not None and age_from_id is not None:
        if not isinstance(stated_age, int | float) or isinstance(stated_age, bool):
            raise CreditError(
                Label("字段 stated_age：必须是岁数", "field stated_age: must be a number of years"),
                field="stated_age",
            )
        if abs(int(stated_age) - age_from_id) > AGE_TOLERANCE_YEARS:
            age_mismatch = True
            findings.append(f"申报年龄 {stated_age} 岁，但身份证号码显示 {age_from_id} 岁")

    trading_before_registration = False
    registered_on = application.get("registered_on")
    enterprise_years = application.get("enterprise_years")
    if registered_on is not None and enterprise_years is not None:
        if isinstance(registered_on, str):
            try:
                registered_on = dt.date.fromisoformat(registered_on)
            except ValueError:
                raise CreditError(
                    Label(
                        "字段 registered_on：{value!r} 不是日期（应为 YYYY-MM-DD）",
                        "field registered_on: {value!r} is not a date YYYY-MM-DD",
                    ),
                    value=registered_on,
                    field="registered_on",
                ) from None
        if not isinstance(registered_on, dt.date):
            raise CreditError(
                Label(
                    "字段 registered_on：必须是日期（YYYY-MM-DD）",
                    "field registered_on: must be a date YYYY-MM-DD",
                ),
                field="registered_on",
            )
        registered_years = _years_between(registered_on, today)
        try:
            claimed = float(enterprise_years)
        except (TypeError, ValueError):
            raise CreditError(
                Label(
                    "字段 enterprise_years：{value!r} 不是年数",
                    "field enterprise_years: {value!r} is not a number of years",
                ),
                value=enterprise_years,
                field="enterprise_years",
            ) from None
        if claimed > registered_years + 1:
            trading_before_registration = True
            findings.append(f"申报经营 {enterprise_years} 年，但登记注册仅 {registered_years} 年")

    blacklisted = applicant_id in lists.blacklist
    watchlisted = applicant_id in lists.watchlist
    if blacklisted:
        findings.append(f"在黑名单上：{lists.blacklist[applicant_id]}")
    if watchlisted:
        findings.append(f"在关注名单上：{lists.watchlist[applicant_id]}")
    if in_arrears:
        findings.append("在本公司的租赁合同已有逾期")
    if member_arrears:
        findings.append("其他成员有逾期记录")
    return Verification(
        id_type,
        {
            "id_valid": id_valid,
            "id_type": id_type,
            "age_from_id": age_from_id if age_from_id is not None else -1,
            "birth_region": region,
            "age_mismatch": age_mismatch,
            "trading_before_registration": trading_before_registration,
            "blacklisted": blacklisted,
            "watchlisted": watchlisted,
            "in_arrears": in_arrears,
            "member_arrears": member_arrears,
        },
        findings,
    )


VERIFICATION_FIELDS: dict[str, type] = {
    "id_valid": bool,
    "id_type": str,
    "age_from_id": int,
    "birth_region": str,
    "age_mismatch": bool,
    "trading_before_registration": bool,
    "blacklisted": bool,
    "watchlisted": bool,
    "in_arrears": bool,
    "member_arrears": bool,
}
