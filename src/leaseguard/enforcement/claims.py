"""What a lessor claims from a defaulted lease on a day, every figure with the arithmetic behind it.

Conventions (the claim rules file holds every number; the workspace's `book:` settings say how payments
are applied, so the claim and the book agree to the fen):
- overdue rent and penalty interest are the book's, from the same allocation pass under the same settings
  (`portfolio.allocation`: order penalty first or last, `book.penalty_daily_rate`, deposit held or offset at
  maturity; instalments oldest first, a reversal takes rent back, penalty settled stays settled): the overdue
  rent is what is unpaid of the instalments due by the claim date, the penalty what accrued on each overdue
  instalment from its due date, on the part still unpaid in each stretch between payments, less penalty
  already paid, rounded half up to the fen once for the contract. A cap of the claim rules, or a rate the
  contract states, that differs from the book's rate is noted, not applied (a second rate would be a second
  definition of what is owed);
- once enough instalments are overdue and the contract allows it, the rent not yet due is claimed now
  (all of it, or its principal only), less any rent paid ahead;
- liquidated damages, the nominal purchase price (when all rent is claimed), then the deposit is set off
  against the claim; a deposit larger than the claim leaves the rest owed back to the lessee;
- the costs of enforcement (court fee and preservation fee by the tiers of 《诉讼费用交纳办法》, the
  lawyer's fee the contract lets the lessor recover) are added;
- the alternative (Civil Code Art. 752: terminate and take the assets back, not both): available once enough
  instalments are unpaid or enough of the rent is overdue; the loss is all unpaid rent and fees less the
  assets' appraised value and the deposit, plus the residual value where the assets would have reverted to
  the lessor; a surplus goes back to the lessee.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from leaseguard.enforcement.rules import ClaimRules, Tier
from leaseguard.portfolio.allocation import MICRO, ContractState
from leaseguard.portfolio.positions import contract_on_day

_EPOCH = dt.date(1970, 1, 1)


class NotDefaultedError(ValueError):
    """The contract has nothing overdue on the claim date: there is no claim to make."""


@dataclass(frozen=True)
class ClaimInput:
    contract_no: str
    start_date: dt.date
    principal_fen: int
    deposit_fen: int
    instalments: tuple[
        tuple[int, dt.date, int, int], ...
    ]  # number, due date, principal (residual incl.), interest
    payments: tuple[tuple[dt.date, int], ...]  # paid date, amount (negative: a reversal)
    asset_value_fen: int | None = None  # the latest appraised disposal value of the leased assets
    penalty_daily_rate: Decimal | None = None  # the contract's own rate, where it states one (noted only)
    acceleration_allowed: bool | None = None  # the contract's own clause, where it states one
    annual_rate: Decimal = Decimal(0)  # the lease's own rate, for the cap on total financing cost
    residual_value_fen: int = 0
    title_at_end: str | None = None  # lessee | lessor, where the contract says


@dataclass(frozen=True)
class ClaimLine:
    item: str  # overdue_rent, penalty, accelerated_rent, liquidated_damages, nominal_purchase_price,
    # deposit_offset, court_fee, preservation_fee, lawyer_fee
    label: str
    amount_fen: int
    arithmetic: str


@dataclass(frozen=True)
class Claim:
    contract_no: str
    claim_date: dt.date
    lines: tuple[ClaimLine, ...]
    claim_fen: int  # what the lessee owes, deposit set off, before the costs of enforcement
    costs_fen: int
    total_fen: int
    accelerated: bool
    overdue_instalments: int
    first_overdue_date: dt.date
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Terminate and take the assets back instead: the loss to claim (negative: a surplus owed to the lessee).
    alternative_shortfall_fen: int | None = None
    alternative_arithmetic: str = ""
    # The book's figures on the claim date (also the overdue_rent and penalty lines, where not nothing).
    overdue_rent_fen: int = 0
    penalty_fen: int = 0

    def line(self, item: str) -> ClaimLine | None:
        return next((line for line in self.lines if line.item == item), None)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def claim_document(claim: Claim) -> dict[str, object]:
    """The claim as JSON-ready data: every line with its arithmetic, amounts in yuan."""
    return {
        "contract_no": claim.contract_no, "claim_date": claim.claim_date.isoformat(),
        "lines": [{"item": x.item, "label": x.label, "amount": yuan(x.amount_fen), "arithmetic": x.arithmetic}
                  for x in claim.lines],
        "overdue_rent": yuan(claim.overdue_rent_fen), "penalty": yuan(claim.penalty_fen),
        "claim": yuan(claim.claim_fen), "costs": yuan(claim.costs_fen), "total": yuan(claim.total_fen),
        "accelerated": claim.accelerated, "notes": list(claim.notes),
        "alternative_shortfall": None if claim.alternative_shortfall_fen is None
        else yuan(claim.alternative_shortfall_fen),
        "alternative_arithmetic": claim.alternative_arithmetic,
    }  # fmt: skip


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _micro_yuan(micro: int) -> str:
    """Millionths of a fen in yuan, every digit kept (trailing zeros dropped, at least two decimals)."""
    whole, rest = divmod(abs(micro), 100 * MICRO)
    decimals = f"{rest:08d}".rstrip("0").ljust(2, "0")
    return f"{'-' if micro < 0 else ''}{whole:,}.{decimals}"


def tiered_fee(amount_fen: int, tiers: tuple[Tier, ...]) -> tuple[int, str]:
    """A fee by marginal tiers (each rate on the part of the amount inside its tier), and how it was found."""
    total = Decimal(tiers[0].fixed_fen)
    parts = [f"{yuan(tiers[0].fixed_fen)}"] if tiers[0].fixed_fen else []
    lower = 0
    for tier in tiers:
        upper = amount_fen if tier.up_to_fen is None else min(amount_fen, tier.up_to_fen)
        if upper > lower and tier.rate:
            total += (upper - lower) * tier.rate
            parts.append(f"{yuan(upper - lower)} × {_percent(tier.rate)}")
        lower = tier.up_to_fen if tier.up_to_fen is not None else lower
        if tier.up_to_fen is None or amount_fen <= tier.up_to_fen:
            break
    fee = _round(total)
    return fee, f"{' + '.join(parts) or '0'} = {yuan(fee)}"


def _rate_notes(claim: ClaimInput, rules: ClaimRules, day: dt.date) -> list[str]:
    """What the claim rules and the contract say about the book's penalty rate: the claim states the book's
    figure, so a cap or a rate of the contract's own is a note for the person reading it, not a second
    computation."""
    rate = rules.allocation.penalty_daily_rate
    notes = []
    if claim.penalty_daily_rate is not None and claim.penalty_daily_rate != rate:
        notes.append(
            f"the contract states a penalty of {_percent(claim.penalty_daily_rate)}/日; the claim and the book "
            f"both use book.penalty_daily_rate {_percent(rate)}/日"
        )
    caps: list[tuple[Decimal, str]] = []
    if rules.cap_lpr_multiple is not None:
        basis = claim.start_date if rules.cap_basis == "contract_start" else day
        lpr = rules.lpr_on(basis)
        multiple = f"{rules.cap_lpr_multiple.normalize():f}"
        caps.append((rules.cap_lpr_multiple * lpr / 360, f"{multiple} × LPR {_percent(lpr)} ({basis}) / 360"))
    if rules.cap_financing_cost_annual is not None:
        room = max(rules.cap_financing_cost_annual - claim.annual_rate, Decimal(0))
        caps.append((room / 360, f"({_percent(rules.cap_financing_cost_annual)} − 租赁年利率 "
                                 f"{_percent(claim.annual_rate)}) / 360"))  # fmt: skip
    lowest = min(caps, default=None)
    if rate and lowest is not None and rate > lowest[0]:
        shown = _percent(lowest[0].quantize(Decimal("1e-9")))
        notes.append(
            f"penalty rate {_percent(rate)}/日 is above the cap of the claim rules, {lowest[1]} ≈ {shown}/日: "
            "a court may reduce the penalty (违约金过高可请求调减)"
        )
    return notes


def _stretches(
    state: ContractState, due: dt.date, amount: int, cumulative_due: int, day: dt.date
) -> list[tuple[int, int]]:
    """The stretches (rent unpaid, days) on which an instalment accrued penalty, between the payments the
    pass applied: the explanation of `state.accrued_micro`, which is the figure."""
    events = [(_EPOCH + dt.timedelta(days=int(on)), int(rent)) for on, rent in
              zip(state.payment_day, state.cumulative_rent_fen, strict=True)]  # fmt: skip
    stretches, rent, last = [], 0, None
    for on, rent_after in [*events, (day, 0)]:
        if on > due:
            owed = min(max(cumulative_due - rent, 0), amount)
            days = (on - (due if last is None else max(due, last))).days
            if owed and days:
                stretches.append((owed, days))
        rent, last = rent_after, on
    return stretches


def compute_claim(claim: ClaimInput, rules: ClaimRules, day: dt.date) -> Claim:
    """The claim on `day`; NotDefaultedError when nothing is overdue then. Rent overdue and penalty are the
    book's: the same allocation pass under the same `book:` settings (`rules.allocation`)."""
    instalments, state = contract_on_day(claim.instalments, claim.payments, claim.deposit_fen, rules.allocation,
                                         day)  # fmt: skip
    cumulative_due, running = [], 0
    for _, _, principal, interest in instalments:
        running += principal + interest
        cumulative_due.append(running)
    rent_paid = state.rent_paid_fen
    unpaid = [int(value) for value in state.unpaid_fen]
    due_now = [k for k, (_, due, _, _) in enumerate(instalments) if due <= day]
    overdue = [k for k in due_now if unpaid[k] > 0]
    if not overdue:
        raise NotDefaultedError(
            f"{claim.contract_no}: nothing is overdue on {day}; there is no claim to make"
        )
    lines: list[ClaimLine] = []
    notes: list[str] = []

    overdue_rent = state.overdue_rent_fen
    lines.append(ClaimLine("overdue_rent", "逾期租金", overdue_rent, " + ".join(
        f"第{instalments[k][0]}期({instalments[k][1]}) {yuan(unpaid[k])}" for k in overdue
    ) + f" = {yuan(overdue_rent)}"))  # fmt: skip

    rate = rules.allocation.penalty_daily_rate
    penalty = state.penalty_due_fen
    if penalty:
        penalty_parts: list[str] = []
        for k, (number, due, principal, interest) in enumerate(instalments):
            accrued = int(state.accrued_micro[k])
            if accrued:
                found = _stretches(state, due, principal + interest, cumulative_due[k], day)
                stretches = " + ".join(f"{yuan(owed)} × {days}天" for owed, days in found)
                penalty_parts.append(f"第{number}期 ({stretches}) × r = {_micro_yuan(accrued)}")
        accrued_total = _round(Decimal(int(state.accrued_micro.sum())) / MICRO)
        order = "先还违约金" if rules.allocation.penalty_first else "先还租金"
        text = f"r = {_percent(rate)}/日 (book.penalty_daily_rate, {order}); " + "; ".join(penalty_parts)
        text += f"; 应计合计 {yuan(accrued_total)}"
        if state.penalty_paid_fen:
            text += f" − 已收违约金 {yuan(state.penalty_paid_fen)}"
        settled_exactly = accrued_total - state.penalty_paid_fen == penalty
        text += f" = {yuan(penalty)}" if settled_exactly else f"; 尚欠(逐笔按分结清后) {yuan(penalty)}"
        lines.append(ClaimLine("penalty", "逾期违约金(按日计算至" + day.isoformat() + ")", penalty, text))
    notes.extend(_rate_notes(claim, rules, day))

    allowed = (
        claim.acceleration_allowed if claim.acceleration_allowed is not None else rules.acceleration_allowed
    )
    future = [k for k, (_, due, _, _) in enumerate(instalments) if due > day]
    accelerated = bool(allowed and future and len(overdue) >= rules.acceleration_min_overdue)
    if accelerated:
        ahead = max(rent_paid - (cumulative_due[due_now[-1]] if due_now else 0), 0)
        principal_only = rules.acceleration_basis == "principal_only"
        parts = [
            instalments[k][2] if principal_only else instalments[k][2] + instalments[k][3] for k in future
        ]
        accelerated_rent = max(sum(parts) - ahead, 0)
        what = "未到期本金" if principal_only else "未到期租金"
        text = f"{what} 第{instalments[future[0]][0]}–{instalments[future[-1]][0]}期 {yuan(sum(parts))}"
        if ahead:
            text += f" − 已预付 {yuan(ahead)}"
        lines.append(ClaimLine("accelerated_rent", "加速到期" + what, accelerated_rent,
                               f"{text} = {yuan(accelerated_rent)}"))  # fmt: skip
    elif future and len(overdue) < rules.acceleration_min_overdue:
        notes.append(f"not accelerated: {len(overdue)} instalments overdue, the rules ask for "
                     f"{rules.acceleration_min_overdue}")  # fmt: skip

    if rules.liquidated_damages_rate:
        if rules.liquidated_damages_basis == "total_rent":
            basis, basis_text = cumulative_due[-1], "租金总额"
        else:
            repaid = sum(min(max(rent_paid - (cumulative_due[k] - instalments[k][2] - instalments[k][3]), 0),
                             instalments[k][2]) for k in range(len(instalments)))  # fmt: skip
            basis, basis_text = claim.principal_fen - repaid, "未还本金"
        damages = _round(basis * rules.liquidated_damages_rate)
        rate_text = _percent(rules.liquidated_damages_rate)
        lines.append(ClaimLine("liquidated_damages", "违约金", damages,
                               f"{basis_text} {yuan(basis)} × {rate_text} = {yuan(damages)}"))  # fmt: skip

    if accelerated and rules.nominal_purchase_price_fen:
        lines.append(ClaimLine("nominal_purchase_price", "留购价款", rules.nominal_purchase_price_fen,
                               f"合同约定 {yuan(rules.nominal_purchase_price_fen)}"))  # fmt: skip

    before_deposit = sum(line.amount_fen for line in lines)
    maturity = instalments[-1][1] if instalments else day
    # Offset at maturity, the deposit is a payment the pass already applied: set off once, not twice.
    deposit_left = (
        0 if rules.allocation.deposit == "offset_at_maturity" and maturity <= day else claim.deposit_fen
    )
    if deposit_left != claim.deposit_fen and claim.deposit_fen:
        notes.append(f"the deposit of {yuan(claim.deposit_fen)} yuan paid rent on {maturity} "
                     "(book.deposit: offset_at_maturity)")  # fmt: skip
    if deposit_left:
        offset = min(deposit_left, before_deposit)
        lines.append(ClaimLine("deposit_offset", "保证金抵扣", -offset,
                               f"保证金 {yuan(deposit_left)}, 抵扣 {yuan(offset)}"))  # fmt: skip
        if deposit_left > before_deposit:
            notes.append(f"the deposit exceeds the claim by {yuan(deposit_left - before_deposit)} yuan, "
                         "owed back to the lessee")  # fmt: skip
    claim_fen = sum(line.amount_fen for line in lines)

    court_fee, court_text = tiered_fee(claim_fen, rules.court_fee_tiers)
    preserved = claim_fen if claim.asset_value_fen is None else min(claim.asset_value_fen, claim_fen)
    preservation, preservation_text = tiered_fee(preserved, rules.preservation_fee_tiers)
    if preservation > rules.preservation_fee_cap_fen:
        preservation, preservation_text = (
            rules.preservation_fee_cap_fen,
            f"{preservation_text}, capped at {yuan(rules.preservation_fee_cap_fen)}",
        )
    costs = [
        ClaimLine("court_fee", "案件受理费", court_fee, f"诉请金额 {yuan(claim_fen)}: {court_text}"),
        ClaimLine("preservation_fee", "财产保全费", preservation, f"保全金额 {yuan(preserved)}: {preservation_text}"),
    ]  # fmt: skip
    lawyer = _round(rules.lawyer_fee_fixed_fen + claim_fen * rules.lawyer_fee_rate)
    if lawyer:
        costs.append(ClaimLine("lawyer_fee", "律师费", lawyer, f"{yuan(rules.lawyer_fee_fixed_fen)} + "
                               f"{yuan(claim_fen)} × {_percent(rules.lawyer_fee_rate)} = {yuan(lawyer)}"))  # fmt: skip
    costs_fen = sum(line.amount_fen for line in costs)

    shortfall, alternative = None, ""
    total_rent = cumulative_due[-1]
    unpaid_instalments = len(overdue)
    share = Decimal(overdue_rent) / total_rent if total_rent else Decimal(0)
    if unpaid_instalments < rules.termination_min_unpaid and share < rules.termination_min_overdue_share:
        overdue_share = _percent(share.quantize(Decimal("1e-4")))
        notes.append(
            f"termination not available: {unpaid_instalments} instalments unpaid and {overdue_share} "
            f"of the rent overdue (the rules ask for {rules.termination_min_unpaid} or "
            f"{_percent(rules.termination_min_overdue_share)})"
        )
    elif claim.asset_value_fen is None:
        notes.append("no appraisal of the leased assets: the termination alternative needs one")
    else:
        ahead = max(rent_paid - (cumulative_due[due_now[-1]] if due_now else 0), 0)
        future_rent = max(sum(instalments[k][2] + instalments[k][3] for k in future) - ahead, 0)
        fees = sum(line.amount_fen for line in lines if line.item in ("penalty", "liquidated_damages"))
        title = claim.title_at_end or rules.title_at_end
        residual = claim.residual_value_fen if title == "lessor" else 0
        shortfall = overdue_rent + future_rent + fees + residual - claim.asset_value_fen - deposit_left
        alternative = (
            f"解除合同、返还租赁物: 未付租金 {yuan(overdue_rent)} + 未到期租金 {yuan(future_rent)} + 违约金等 "
            f"{yuan(fees)}"
            + (f" + 残值 {yuan(residual)}" if residual else "")
            + f" − 租赁物评估价值 {yuan(claim.asset_value_fen)}"
            + (f" − 保证金 {yuan(deposit_left)}" if deposit_left else "")
            + f" = {yuan(shortfall)}"
        )
        if shortfall < 0:
            notes.append(f"on termination the assets are worth {yuan(-shortfall)} yuan more than the loss: "
                         "the surplus goes back to the lessee")  # fmt: skip
    return Claim(
        contract_no=claim.contract_no,
        claim_date=day,
        lines=tuple(lines + costs),
        claim_fen=claim_fen,
        costs_fen=costs_fen,
        total_fen=claim_fen + costs_fen,
        accelerated=accelerated,
        overdue_instalments=len(overdue),
        first_overdue_date=instalments[overdue[0]][1],
        notes=tuple(notes),
        alternative_shortfall_fen=shortfall,
        alternative_arithmetic=alternative,
        overdue_rent_fen=overdue_rent,
        penalty_fen=penalty,
    )
