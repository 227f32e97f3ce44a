"""Claim rules as data (`defaults/enforcement/claims.yaml`): caps on the penalty rate, acceleration,
liquidated damages, the nominal purchase price and the costs of enforcement. A file is checked whole before
use (`ClaimRulesFile`, through leaseguard.rulefiles); a broken one is refused naming the file, the setting and
the reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Strict, field_validator, model_validator

from leaseguard.portfolio.allocation import Allocation, AllocationError
from leaseguard.rulefiles import (
    Item,
    NonNegativeDecimal,
    RuleFile,
    RuleFileError,
    RuleProblem,
    Share,
    YuanFen,
    decimal_between,
    digest_of,
    parse_rule_text,
    read_rule_text,
    whole_number,
)
from leaseguard.vocabulary import Label


class ClaimRulesError(RuleFileError):
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
            raise ClaimRulesError(
                Label(
                    "{source}：{day} 及之前没有已公布的一年期 LPR",
                    "{source}: no one-year LPR published on or before {day}",
                ),
                source=self.source,
                day=day,
            )
        return known[-1]


class _PenaltyCap(Item):
    lpr_multiple: NonNegativeDecimal | None = None
    basis: Literal["contract_start", "claim_date"]
    financing_cost_annual: Share | None = None


class _Lpr(Item):
    since: Annotated[dt.date, Strict(), Field(alias="from")]
    rate: Share


class _FundLoss(Item):
    lpr_multiple: Annotated[Decimal, decimal_between(0, 4)] = Decimal(1)


class _Termination(Item):
    min_unpaid_instalments: Annotated[int, whole_number(1)]
    min_overdue_share_of_total_rent: Share


class _Acceleration(Item):
    allowed: bool = False
    min_overdue_instalments: Annotated[int, whole_number(1)]
    basis: Literal["all_rent", "principal_only"]


class _Damages(Item):
    rate: Share
    basis: Literal["total_rent", "outstanding_principal"]


class _Tier(Item):
    up_to: YuanFen | None = None  # null: no upper bound
    rate: Share
    fixed: YuanFen = 0


def _rising(tiers: list[_Tier]) -> list[_Tier]:
    bounds = [tier.up_to for tier in tiers]
    if bounds[-1] is not None or any(bound is None for bound in bounds[:-1]):
        raise RuleProblem(
            Label(
                "只有最后一档可以不设上限（up_to: null），且必须如此",
                "only the last tier may be open (up_to: null), and it must be",
            )
        )
    if any(a >= b for a, b in itertools.pairwise(b for b in bounds if b is not None)):
        raise RuleProblem(Label("各档上限必须递增", "tiers must rise"))
    return tiers


_Tiers = Annotated[list[_Tier], Field(min_length=1), AfterValidator(_rising)]


class _LegalCosts(Item):
    court_fee_tiers: _Tiers
    preservation_fee_tiers: _Tiers
    preservation_fee_cap: YuanFen
    lawyer_fee_fixed: YuanFen = 0
    lawyer_fee_rate: Share = Decimal(0)


class ClaimRulesFile(RuleFile):
    """`defaults/enforcement/claims.yaml` as written."""

    version: Annotated[int, whole_number(1)]
    penalty_cap: _PenaltyCap
    lpr_one_year: Annotated[list[_Lpr], Field(min_length=1)]
    fund_loss: _FundLoss = _FundLoss()
    termination: _Termination
    title_at_end: Literal["lessee", "lessor"] = "lessee"
    acceleration: _Acceleration
    liquidated_damages: _Damages
    legal_costs: _LegalCosts

    @model_validator(mode="before")
    @classmethod
    def _no_claim_penalty_rate(cls, data: Any) -> Any:
        if isinstance(data, dict) and "penalty_daily_rate" in data:
            raise RuleProblem(
                Label(
                    "penalty_daily_rate 已不是诉请规则：诉请的违约金即账务的违约金，按工作区的 book.penalty_daily_rate "
                    "计算，使诉请与账务一致",
                    "penalty_daily_rate is no longer a claim rule: the claim's penalty is the book's, at the "
                    "workspace's book.penalty_daily_rate, so that the claim and the book agree",
                ),
                field="penalty_daily_rate",
            )
        return data

    @field_validator("lpr_one_year")
    @classmethod
    def _in_date_order(cls, rates: list[_Lpr]) -> list[_Lpr]:
        if [rate.since for rate in rates] != sorted(rate.since for rate in rates):
            raise RuleProblem(Label("必须按日期顺序排列", "must be in date order"))
        return rates

    def rules(self, source: str, digest: str) -> ClaimRules:
        def tiers(items: list[_Tier]) -> tuple[Tier, ...]:
            return tuple(Tier(item.up_to, item.rate, item.fixed) for item in items)

        costs = self.legal_costs
        return ClaimRules(
            version=self.version,
            source=source,
            digest=digest,
            cap_lpr_multiple=self.penalty_cap.lpr_multiple,
            cap_basis=self.penalty_cap.basis,
            cap_financing_cost_annual=self.penalty_cap.financing_cost_annual,
            lpr_one_year=tuple((rate.since, rate.rate) for rate in self.lpr_one_year),
            acceleration_allowed=self.acceleration.allowed,
            acceleration_min_overdue=self.acceleration.min_overdue_instalments,
            acceleration_basis=self.acceleration.basis,
            liquidated_damages_rate=self.liquidated_damages.rate,
            liquidated_damages_basis=self.liquidated_damages.basis,
            court_fee_tiers=tiers(costs.court_fee_tiers),
            preservation_fee_tiers=tiers(costs.preservation_fee_tiers),
            preservation_fee_cap_fen=costs.preservation_fee_cap,
            lawyer_fee_fixed_fen=costs.lawyer_fee_fixed,
            lawyer_fee_rate=costs.lawyer_fee_rate,
            termination_min_unpaid=self.termination.min_unpaid_instalments,
            termination_min_overdue_share=self.termination.min_overdue_share_of_total_rent,
            fund_loss_lpr_multiple=self.fund_loss.lpr_multiple,
            title_at_end=self.title_at_end,
        )


def parse_claim_rules(text: str, source: str) -> ClaimRules:
    """Claim rules from the text of a claims file, cited as `source` in errors and in `ClaimRules.source`."""
    parsed = parse_rule_text(ClaimRulesFile, text, source, ClaimRulesError)
    return parsed.rules(source, digest_of(text))


def load_claim_rules(path: Path | None = None, book: Mapping[str, Any] | None = None) -> ClaimRules:
    """The shipped claim rules, or a file of your own, with the workspace's `book:` settings (the defaults
    when None) for how payments are applied."""
    try:
        allocation = Allocation.from_settings(book)
    except AllocationError as error:
        raise ClaimRulesError(error.label, **error.params) from None
    text, source = read_rule_text(path, "enforcement/claims.yaml", ClaimRulesError)
    return dataclasses.replace(parse_claim_rules(text, source), allocation=allocation)
