"""Claim rules as data (`defaults/enforcement/claims.yaml`): caps on the penalty rate, acceleration,
liquidated damages, the nominal purchase price and the costs of enforcement. A file is checked whole before
use; a broken one is refused naming the file, the setting and the reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from leaseguard.errors import InvalidInputError
from leaseguard.money import MoneyError, parse_fen
from leaseguard.portfolio.allocation import Allocation, AllocationError


class ClaimRulesError(InvalidInputError):
    """A claim-rules file that cannot be used."""


@dataclass(frozen=True)
class Tier:
    up_to_fen: int | None  # None: no upper bound
    rate: Decimal  # on the part of the amount inside this tier
    fixed_fen: int = 0  # a fixed fee for the tier (the first tiers of the court fee schedules)


@dataclass(frozen=True)
class ClaimRules:
    version: int
    source: str
    digest: str
    cap_lpr_multiple: Decimal | None
    cap_basis: str  # contract_start | claim_date
    cap_financing_cost_annual: Decimal | None
    lpr_one_year: tuple[tuple[dt.date, Decimal], ...]
    acceleration_allowed: bool
    acceleration_min_overdue: int
    acceleration_basis: str  # all_rent | principal_only
    liquidated_damages_rate: Decimal
    liquidated_damages_basis: str  # total_rent | outstanding_principal
    court_fee_tiers: tuple[Tier, ...]
    preservation_fee_tiers: tuple[Tier, ...]
    preservation_fee_cap_fen: int
    lawyer_fee_fixed_fen: int
    lawyer_fee_rate: Decimal
    termination_min_unpaid: int = 2
    termination_min_overdue_share: Decimal = Decimal("0.15")
    title_at_end: str = "lessee"
    # The loss of use of funds where the contract states no penalty rate: this multiple of the one-year LPR.
    fund_loss_lpr_multiple: Decimal = Decimal(1)
    # How payments are applied, from the workspace's `book:` settings: the claim's overdue rent and penalty
    # are the book's (load_claim_rules(path, book)).
    allocation: Allocation = field(default_factory=Allocation)

    def lpr_on(self, day: dt.date) -> Decimal:
        known = [rate for since, rate in self.lpr_one_year if since <= day]
        if not known:
            raise ClaimRulesError(f"{self.source}: no one-year LPR published on or before {day}")
        return known[-1]


def _decimal(value: Any, where: str, *, low: Decimal = Decimal(0), high: Decimal | None = None) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ClaimRulesError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ClaimRulesError(f"{where}: {value!r} must be a number {bound}")
    return number


def _fen(value: Any, where: str) -> int:
    _decimal(value, where)  # the same wording as every number of the file for one that is not an amount
    try:
        return parse_fen(value, where=where)
    except MoneyError as error:
        raise ClaimRulesError(str(error)) from None


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ClaimRulesError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _tiers(raw: Any, where: str) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise ClaimRulesError(f"{where}: must be a non-empty list of tiers")
    tiers = []
    for position, item in enumerate(raw, start=1):
        at = f"{where}[{position}]"
        if not isinstance(item, dict):
            raise ClaimRulesError(f"{at}: must be a mapping with up_to and rate")
        up_to = None if item.get("up_to") is None else _fen(item["up_to"], f"{at}.up_to")
        tiers.append(Tier(up_to, _decimal(item.get("rate"), f"{at}.rate", high=Decimal(1)),
                          _fen(item.get("fixed", 0), f"{at}.fixed")))  # fmt: skip
    bounds = [t.up_to_fen for t in tiers]
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise ClaimRulesError(f"{where}: only the last tier may be open (up_to: null), and it must be")
    closed = [b for b in bounds if b is not None]
    if any(a >= b for a, b in itertools.pairwise(closed)):
        raise ClaimRulesError(f"{where}: tiers must rise")
    return tuple(tiers)


def _optional_section(data: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ClaimRulesError(f"{source}: {name} must be a mapping")
    return value


def parse_claim_rules(text: str, source: str) -> ClaimRules:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ClaimRulesError(f"{source}: not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ClaimRulesError(f"{source}: must be a mapping")

    def section(name: str) -> dict[str, Any]:
        value = data.get(name)
        if not isinstance(value, dict):
            raise ClaimRulesError(f"{source}: {name} is missing or not a mapping")
        return value

    cap = section("penalty_cap")
    lpr_raw = data.get("lpr_one_year")
    if not isinstance(lpr_raw, list) or not lpr_raw:
        raise ClaimRulesError(f"{source}: lpr_one_year must list the published rates")
    lpr = []
    for position, item in enumerate(lpr_raw, start=1):
        since = item.get("from") if isinstance(item, dict) else None
        if not isinstance(since, dt.date):
            raise ClaimRulesError(f"{source}: lpr_one_year[{position}].from must be a date (YYYY-MM-DD)")
        lpr.append(
            (since, _decimal(item.get("rate"), f"{source}: lpr_one_year[{position}].rate", high=Decimal(1)))
        )
    if [d for d, _ in lpr] != sorted(d for d, _ in lpr):
        raise ClaimRulesError(f"{source}: lpr_one_year must be in date order")
    acceleration = section("acceleration")
    damages = section("liquidated_damages")
    costs = section("legal_costs")
    minimum = acceleration.get("min_overdue_instalments")
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
        raise ClaimRulesError(f"{source}: acceleration.min_overdue_instalments must be a whole number ≥ 1")
    if "penalty_daily_rate" in data:
        raise ClaimRulesError(
            f"{source}: penalty_daily_rate is no longer a claim rule: the claim's penalty is the book's, at the "
            "workspace's book.penalty_daily_rate, so that the claim and the book agree"
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ClaimRulesError(f"{source}: version must be a whole number")
    multiple = cap.get("lpr_multiple")
    financing = cap.get("financing_cost_annual")
    termination = section("termination")
    unpaid_minimum = termination.get("min_unpaid_instalments")
    if not isinstance(unpaid_minimum, int) or isinstance(unpaid_minimum, bool) or unpaid_minimum < 1:
        raise ClaimRulesError(f"{source}: termination.min_unpaid_instalments must be a whole number ≥ 1")
    return ClaimRules(
        version=version,
        source=source,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        cap_lpr_multiple=None if multiple is None else _decimal(multiple, f"{source}: penalty_cap.lpr_multiple"),
        cap_basis=_choice(cap.get("basis"), f"{source}: penalty_cap.basis", ("contract_start", "claim_date")),
        cap_financing_cost_annual=None if financing is None else _decimal(
            financing, f"{source}: penalty_cap.financing_cost_annual", high=Decimal(1)
        ),
        lpr_one_year=tuple(lpr),
        acceleration_allowed=bool(acceleration.get("allowed")),
        acceleration_min_overdue=minimum,
        acceleration_basis=_choice(acceleration.get("basis"), f"{source}: acceleration.basis",
                                   ("all_rent", "principal_only")),
        liquidated_damages_rate=_decimal(damages.get("rate"), f"{source}: liquidated_damages.rate", high=Decimal(1)),
        liquidated_damages_basis=_choice(damages.get("basis"), f"{source}: liquidated_damages.basis",
                                         ("total_rent", "outstanding_principal")),
        court_fee_tiers=_tiers(costs.get("court_fee_tiers"), f"{source}: legal_costs.court_fee_tiers"),
        preservation_fee_tiers=_tiers(costs.get("preservation_fee_tiers"),
                                      f"{source}: legal_costs.preservation_fee_tiers"),
        preservation_fee_cap_fen=_fen(costs.get("preservation_fee_cap"), f"{source}: legal_costs.preservation_fee_cap"),
        lawyer_fee_fixed_fen=_fen(costs.get("lawyer_fee_fixed", 0), f"{source}: legal_costs.lawyer_fee_fixed"),
        lawyer_fee_rate=_decimal(costs.get("lawyer_fee_rate", 0), f"{source}: legal_costs.lawyer_fee_rate",
                                 high=Decimal(1)),
        termination_min_unpaid=unpaid_minimum,
        termination_min_overdue_share=_decimal(termination.get("min_overdue_share_of_total_rent"),
                                               f"{source}: termination.min_overdue_share_of_total_rent",
                                               high=Decimal(1)),
        fund_loss_lpr_multiple=_decimal(_optional_section(data, "fund_loss", source).get("lpr_multiple", 1),
                                        f"{source}: fund_loss.lpr_multiple", high=Decimal(4)),
        title_at_end=_choice(data.get("title_at_end", "lessee"), f"{source}: title_at_end", ("lessee", "lessor")),
    )  # fmt: skip


def load_claim_rules(path: Path | None = None, book: Mapping[str, Any] | None = None) -> ClaimRules:
    """The shipped claim rules, or a file of your own, with the workspace's `book:` settings (the defaults
    when None) for how payments are applied."""
    try:
        allocation = Allocation.from_settings(book)
    except AllocationError as error:
        raise ClaimRulesError(str(error)) from None
    if path is None:
        text = (
            resources.files("leaseguard.defaults").joinpath("enforcement", "claims.yaml").read_text("utf-8")
        )
        return dataclasses.replace(parse_claim_rules(text, "claims.yaml"), allocation=allocation)
    if not path.is_file():
        raise ClaimRulesError(f"{path}: no such claim-rules file")
    return dataclasses.replace(
        parse_claim_rules(path.read_text(encoding="utf-8"), str(path)), allocation=allocation
    )
