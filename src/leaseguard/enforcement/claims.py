"""What a lessor claims from a defaulted lease on a day, under one remedy, every figure with the arithmetic
behind it.

Conventions (the claim rules file holds every number; the workspace's `book:` settings say how payments
are applied, so the claim and the book agree to the fen):
- one remedy per complaint (Civil Code Art. 752; financial-leasing interpretation Art. 10): `acceleration`
  claims the overdue rent, the rent not yet due (all of it or its principal, once enough instalments are
  overdue and the contract allows it, less rent paid ahead), liquidated damages and the purchase price where
  title then passes, the deposit set off; `termination` asks to end the contract and take the assets back,
  and claims the loss: all unpaid rent and charges less the assets' appraised value and the deposit, plus
  the residual value where the assets would have reverted to the lessor (interpretation Art. 11);
- overdue rent is the book's, from the same allocation pass under the same settings (`portfolio.allocation`);
- the charge for late rent is the contract's penalty rate where the contract on file states one, else the
  loss of use of the funds (资金占用损失) at the one-year LPR in force each day, on the same overdue stretches;
  either runs on after the claim date until paid (`Claim.running`);
- the costs of enforcement (court fee and preservation fee by the tiers of 《诉讼费用交纳办法》, the
  lawyer's fee the contract lets the lessor recover) are added;
- notes for the lawyer (the other remedy, a surplus, a rate a court may reduce) are notes, never a claim.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from leaseguard.enforcement.rules import ClaimRules, Tier
from leaseguard.errors import InvalidInputError
from leaseguard.money import grouped_yuan as yuan
from leaseguard.portfolio.allocation import MICRO, ContractState
from leaseguard.portfolio.positions import contract_on_day
from leaseguard.vocabulary import ACCELERATION, REMEDIES, TERMINATION, Label

_EPOCH = dt.date(1970, 1, 1)


class NotDefaultedError(InvalidInputError):
    """The contract has nothing overdue on the claim date: there is no claim to make."""


class RemedyUnavailableError(InvalidInputError):
    """The remedy asked for cannot be claimed from the record (its conditions, or a figure it needs)."""


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
    purchase_price_fen: int | None = None  # the contract's purchase price (留购价款), where on file


@dataclass(frozen=True)
class ClaimLine:
    item: str  # overdue_rent, penalty, accelerated_rent, liquidated_damages, nominal_purchase_price,
    # deposit_offset, court_fee, preservation_fee, lawyer_fee, fund_loss, termination_loss
    label: str
    amount_fen: int
    arithmetic: str
    # The arithmetic as a table (header first) where it runs over many instalments: a filed document shows
    # the table as a schedule instead of one long line.
    table: tuple[tuple[str, ...], ...] = ()
    summary: str = ""  # the arithmetic in a few words, beside a table


@dataclass(frozen=True)
class RunningClaim:
    """A claim that runs on after the claim date: 以{base}为基数，按{standard}，自{since}起计算至实际清偿之日止."""

    base_fen: int
    base_label: str
    standard: str
    since: dt.date

    @property
    def wording(self) -> str:
        """The claim in the words it is pleaded in (Chinese whatever the reader's language)."""
        base = f"以{self.base_label}{yuan(self.base_fen)}元为基数"
        return f"{base}，按{self.standard}，自{self.since}起计算至实际清偿之日止"


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
    remedy: str = ACCELERATION
    penalty_basis: str = "lpr"  # contract (the contract's penalty rate) | lpr (loss of use of funds)
    running: tuple[RunningClaim, ...] = ()
    requests: tuple[str, ...] = ()  # what is asked besides money (解除合同, 返还租赁物)
    purchase_price_fen: int | None = None
    title_at_end: str = "lessee"
    termination_loss_fen: int | None = None
    preserved_fen: int = 0  # the amount the preservation application secures (and its fee is charged on)

    def line(self, item: str) -> ClaimLine | None:
        return next((line for line in self.lines if line.item == item), None)


def claim_document(claim: Claim) -> dict[str, object]:
    """The claim as JSON-ready data: every line with its arithmetic, amounts in yuan."""
    return {
        "contract_no": claim.contract_no, "claim_date": claim.claim_date.isoformat(),
        "lines": [{"item": x.item, "label": x.label, "amount": yuan(x.amount_fen), "arithmetic": x.arithmetic}
                  for x in claim.lines],
        "overdue_rent": yuan(claim.overdue_rent_fen), "penalty": yuan(claim.penalty_fen),
        "claim": yuan(claim.claim_fen), "costs": yuan(claim.costs_fen), "total": yuan(claim.total_fen),
        "accelerated": claim.accelerated, "notes": list(claim.notes),
        "remedy": claim.remedy, "penalty_basis": claim.penalty_basis, "requests": list(claim.requests),
        "purchase_price": None if claim.purchase_price_fen is None else yuan(claim.purchase_price_fen),
        "running": [{"base": yuan(r.base_fen), "base_label": r.base_label, "standard": r.standard,
                     "since": r.since.isoformat()} for r in claim.running],
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


def _rate_notes(claim: ClaimInput, rules: ClaimRules, day: dt.date, rate: Decimal) -> list[str]:
    """Where the daily rate claimed is above a cap of the claim rules: a note for the lawyer, not a second
    figure (a court, not the tool, reduces an excessive penalty)."""
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
        return [
            f"违约金日利率 {_percent(rate)} 高于诉请规则的上限 {lowest[1]} ≈ {shown}/日：法院可能依申请调减"
            "（违约金过高可请求调减）"
        ]
    return []


def _stretches(
    state: ContractState, due: dt.date, amount: int, cumulative_due: int, day: dt.date
) -> list[tuple[int, dt.date, dt.date]]:
    """The stretches (rent unpaid, from, to) on which an instalment was late, between the payments the pass
    applied: the explanation of `state.accrued_micro`, and the base of any other rate claimed on it."""
    events = [(_EPOCH + dt.timedelta(days=int(on)), int(rent)) for on, rent in
              zip(state.payment_day, state.cumulative_rent_fen, strict=True)]  # fmt: skip
    stretches, rent, last = [], 0, None
    for on, rent_after in [*events, (day, 0)]:
        if on > due:
            owed = min(max(cumulative_due - rent, 0), amount)
            since = due if last is None else max(due, last)
            if owed and on > since:
                stretches.append((owed, since, on))
        rent, last = rent_after, on
    return stretches


def _lpr_segments(rules: ClaimRules, since: dt.date, until: dt.date) -> list[tuple[int, Decimal]]:
    """(days, one-year LPR) of each stretch of [since, until) under one published rate."""
    changes = sorted({since, *(start for start, _ in rules.lpr_one_year if since < start < until), until})
    return [((b - a).days, rules.lpr_on(a)) for a, b in itertools.pairwise(changes)]


@dataclass(frozen=True)
class _LateCharge:
    line: ClaimLine | None
    basis: str  # contract | lpr
    standard: str  # the rate in words, for the claim that runs on after the claim date
    rate_notes: tuple[str, ...]


def _late_charge(
    claim: ClaimInput, rules: ClaimRules, day: dt.date, state: ContractState,
    instalments: list[tuple[int, dt.date, int, int]], cumulative_due: list[int],
) -> _LateCharge:  # fmt: skip
    """The charge for late rent: the contract's penalty rate where the contract on file states one, else the
    loss of use of the funds (资金占用损失) at the one-year LPR in force each day (times the rules' multiple).
    The stretches are the book's (same allocation pass); penalty the book already collected is deducted."""
    paid = state.penalty_paid_fen
    contract_rate = claim.penalty_daily_rate
    book_rate = rules.allocation.penalty_daily_rate
    parts: list[str] = []
    rows: list[tuple[str, ...]] = []
    total = Decimal(0)
    if contract_rate is not None:
        same_as_book = contract_rate == book_rate
        for k, (number, due, principal, interest) in enumerate(instalments):
            found = _stretches(state, due, principal + interest, cumulative_due[k], day)
            if not found:
                continue
            shown = " + ".join(f"{yuan(owed)} × {(to - since).days}天" for owed, since, to in found)
            micro = (
                int(state.accrued_micro[k])
                if same_as_book
                else sum(owed * (to - since).days for owed, since, to in found) * int(contract_rate * MICRO)
            )
            total += Decimal(micro) / MICRO
            parts.append(f"第{number}期 ({shown}) × r = {_micro_yuan(micro)}")
            rows.append((str(number), due.isoformat(),
                         " + ".join(f"{yuan(owed)} × {(to - since).days}" for owed, since, to in found),
                         _micro_yuan(micro)))  # fmt: skip
        accrued = _round(total)
        amount = state.penalty_due_fen if same_as_book else max(accrued - paid, 0)
        standard = f"日{_percent(contract_rate)}（合同约定）"
        text = f"合同约定违约金日利率 r = {_percent(contract_rate)}; " + "; ".join(parts)
        text += f"; 应计合计 {yuan(accrued)}"
        if paid:
            text += f" − 已收违约金 {yuan(paid)}"
        text += (
            f" = {yuan(amount)}"
            if amount == max(accrued - paid, 0)
            else f"; 尚欠(逐笔按分结清后) {yuan(amount)}"
        )
        summary = f"按日{_percent(contract_rate)}逐期计算，应计合计 {yuan(accrued)}" + (
            f"，扣除已收违约金 {yuan(paid)}" if paid else ""
        )
        table = (("期数", "应付日", "逾期金额（元）× 天数", "违约金（元）"), *rows)
        line = (
            ClaimLine("penalty", f"逾期违约金(计算至{day.isoformat()})", amount, text, table, summary)
            if amount
            else None
        )
        rate_notes = _rate_notes(claim, rules, day, contract_rate)
        if not same_as_book:
            rate_notes.append(
                f"诉请按合同约定违约金日利率 {_percent(contract_rate)} 计算；账务按 book.penalty_daily_rate "
                f"{_percent(book_rate)}/日 计提的违约金为 {yuan(state.penalty_due_fen)} 元"
            )
        return _LateCharge(line, "contract", standard, tuple(rate_notes))
    multiple = rules.fund_loss_lpr_multiple
    times = "" if multiple == 1 else f"{multiple.normalize():f} × "
    for k, (number, due, principal, interest) in enumerate(instalments):
        for owed, since, to in _stretches(state, due, principal + interest, cumulative_due[k], day):
            for days, lpr in _lpr_segments(rules, since, to):
                share = owed * days * lpr * multiple / 360
                total += share
                parts.append(f"第{number}期 {yuan(owed)} × {days}天 × {times}{_percent(lpr)}/360")
                rows.append((str(number), yuan(owed), f"{since.isoformat()} – {to.isoformat()}", str(days),
                             f"{times}{_percent(lpr)}", _micro_yuan(_round(share * MICRO))))  # fmt: skip
    accrued = _round(total)
    amount = max(accrued - paid, 0)
    standard = f"{times}全国银行间同业拆借中心公布的一年期贷款市场报价利率（LPR）"
    text = "合同未约定逾期违约金标准，按资金占用损失计算: " + " + ".join(parts) + f" = {yuan(accrued)}"
    if paid:
        text += f" − 已收违约金 {yuan(paid)} = {yuan(amount)}"
    summary = f"按{standard}/360逐日计算，合计 {yuan(accrued)}" + (
        f"，扣除已收违约金 {yuan(paid)}" if paid else ""
    )
    table = (("期数", "基数（元）", "期间", "天数", "年利率", "金额（元）"), *rows)
    line = (
        ClaimLine("fund_loss", f"资金占用损失(计算至{day.isoformat()})", amount, text, table, summary)
        if amount
        else None
    )
    notes: list[str] = []
    if book_rate:
        notes.append(f"合同未载明违约金日利率，诉请按一年期LPR计算资金占用损失；账务按 book.penalty_daily_rate "
                     f"{_percent(book_rate)}/日 计提的违约金 {yuan(state.penalty_due_fen)} 元未作为诉请")  # fmt: skip
    return _LateCharge(line, "lpr", standard, tuple(notes))


def purchase_price(claim: ClaimInput) -> int | None:
    """The purchase price (留购价款) the lessee pays for title at the end, as the contract on file states it:
    its `purchase_price`, else its residual value; None when the record states none (nothing is claimed for
    it then). One figure for the claim and the facts."""
    if claim.purchase_price_fen is not None:
        return claim.purchase_price_fen
    return claim.residual_value_fen or None


def compute_claim(claim: ClaimInput, rules: ClaimRules, day: dt.date, remedy: str = ACCELERATION) -> Claim:
    """The claim on `day` under one remedy (Civil Code Art. 752: rent accelerated, or the contract terminated
    and the assets taken back — never both). NotDefaultedError when nothing is overdue; RemedyUnavailableError
    when termination's conditions are not met or its loss cannot be stated from the record. Overdue rent is
    the book's (same allocation pass, same `book:` settings)."""
    if remedy not in REMEDIES:
        raise InvalidInputError(
            Label("诉请方式 {remedy!r} 无效，应为以下之一：{remedies}", "remedy {remedy!r} is not one of {remedies}"),
            remedy=remedy, remedies=", ".join(REMEDIES),
        )  # fmt: skip
    instalments, state = contract_on_day(claim.instalments, claim.payments, claim.deposit_fen, rules.allocation,
                                         day)  # fmt: skip
    cumulative_due, running_total = [], 0
    for _, _, principal, interest in instalments:
        running_total += principal + interest
        cumulative_due.append(running_total)
    rent_paid = state.rent_paid_fen
    unpaid = [int(value) for value in state.unpaid_fen]
    due_now = [k for k, (_, due, _, _) in enumerate(instalments) if due <= day]
    overdue = [k for k in due_now if unpaid[k] > 0]
    if not overdue:
        raise NotDefaultedError(
            Label("{contract_no}：{day} 没有逾期款项，无可诉请金额",
                  "{contract_no}: nothing is overdue on {day}; there is no claim to make"),
            contract_no=claim.contract_no, day=day,
        )  # fmt: skip
    notes: list[str] = []
    overdue_rent = state.overdue_rent_fen
    first, last = instalments[overdue[0]][0], instalments[overdue[-1]][0]
    overdue_line = ClaimLine("overdue_rent", "逾期租金", overdue_rent, " + ".join(
        f"第{instalments[k][0]}期({instalments[k][1]}) {yuan(unpaid[k])}" for k in overdue
    ) + f" = {yuan(overdue_rent)}", (("期数", "应付日", "未付租金（元）"), *(
        (str(instalments[k][0]), instalments[k][1].isoformat(), yuan(unpaid[k])) for k in overdue
    )), f"第{first}–{last}期中未付部分，合计 {yuan(overdue_rent)}")  # fmt: skip
    late = _late_charge(claim, rules, day, state, instalments, cumulative_due)
    notes.extend(late.rate_notes)
    late_fen = late.line.amount_fen if late.line else 0

    future = [k for k, (_, due, _, _) in enumerate(instalments) if due > day]
    ahead = max(rent_paid - (cumulative_due[due_now[-1]] if due_now else 0), 0)
    future_rent = max(sum(instalments[k][2] + instalments[k][3] for k in future) - ahead, 0)
    title = claim.title_at_end or rules.title_at_end
    price = purchase_price(claim)
    maturity = instalments[-1][1] if instalments else day
    # Offset at maturity, the deposit is a payment the pass already applied: set off once, not twice.
    deposit_left = (
        0 if rules.allocation.deposit == "offset_at_maturity" and maturity <= day else claim.deposit_fen
    )
    if deposit_left != claim.deposit_fen and claim.deposit_fen:
        notes.append(
            f"保证金 {yuan(claim.deposit_fen)} 元已于 {maturity} 抵作租金（book.deposit: offset_at_maturity）"
        )
    damages_line = _liquidated_damages(claim, rules, instalments, cumulative_due, rent_paid)

    termination = _termination(claim, rules, overdue_rent, future_rent, late_fen, damages_line, deposit_left,
                               title, total_rent=cumulative_due[-1], unpaid_instalments=len(overdue))  # fmt: skip
    lines: list[ClaimLine] = []
    accelerated = False
    requests: tuple[str, ...] = ()
    if remedy == ACCELERATION:
        lines.append(overdue_line)
        if late.line:
            lines.append(late.line)
        allowed = (
            claim.acceleration_allowed
            if claim.acceleration_allowed is not None
            else rules.acceleration_allowed
        )
        accelerated = bool(allowed and future and len(overdue) >= rules.acceleration_min_overdue)
        if accelerated:
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
            notes.append(
                f"未加速到期：逾期 {len(overdue)} 期，诉请规则要求至少 {rules.acceleration_min_overdue} 期"
            )
        elif future and not allowed:
            notes.append("未加速到期：合同或诉请规则不允许加速到期")
        if damages_line:
            lines.append(damages_line)
        if (accelerated or not future) and title == "lessee":
            if price:
                lines.append(
                    ClaimLine("nominal_purchase_price", "留购价款", price, f"合同约定留购价款 {yuan(price)}")
                )
            else:
                notes.append("合同未载明留购价款（contracts.csv purchase_price 或 residual_value），未作诉请")
        before_deposit = sum(line.amount_fen for line in lines)
        if deposit_left:
            offset = min(deposit_left, before_deposit)
            lines.append(ClaimLine("deposit_offset", "保证金抵扣", -offset,
                                   f"保证金 {yuan(deposit_left)}，抵扣 {yuan(offset)}"))  # fmt: skip
            if deposit_left > before_deposit:
                notes.append(f"保证金超出诉请金额 {yuan(deposit_left - before_deposit)} 元，应退还承租人")
        if isinstance(termination, RemedyUnavailableError):
            notes.append(f"备选（解除合同）不可行：{termination}")
        else:
            notes.append(f"备选（解除合同、收回租赁物，不得与加速到期同时主张）：{termination[1]}")
    else:
        if isinstance(termination, RemedyUnavailableError):
            raise termination
        loss, arithmetic = termination
        requests = ("解除合同", "返还租赁物")
        lines.append(ClaimLine("termination_loss", "解除合同后的损失赔偿", max(loss, 0), arithmetic))
        if loss < 0:
            notes.append(
                f"解除合同后租赁物价值超出损失 {yuan(-loss)} 元，应返还承租人（民法典第七百五十八条）"
            )
    claim_fen = sum(line.amount_fen for line in lines)

    court_fee, court_text = tiered_fee(claim_fen, rules.court_fee_tiers)
    if remedy == TERMINATION and claim.asset_value_fen is not None:
        preserved = claim.asset_value_fen
    else:
        preserved = claim_fen if claim.asset_value_fen is None else min(claim.asset_value_fen, claim_fen)
    preservation, preservation_text = tiered_fee(preserved, rules.preservation_fee_tiers)
    if preservation > rules.preservation_fee_cap_fen:
        preservation, preservation_text = (
            rules.preservation_fee_cap_fen,
            f"{preservation_text}，以 {yuan(rules.preservation_fee_cap_fen)} 为限",
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
    running = _running(remedy, day, lines, late)
    shortfall, alternative = (None, "") if isinstance(termination, RemedyUnavailableError) else termination
    return Claim(
        contract_no=claim.contract_no, claim_date=day, lines=tuple(lines + costs), claim_fen=claim_fen,
        costs_fen=costs_fen, total_fen=claim_fen + costs_fen, accelerated=accelerated,
        overdue_instalments=len(overdue), first_overdue_date=instalments[overdue[0]][1], notes=tuple(notes),
        alternative_shortfall_fen=shortfall if remedy == ACCELERATION else None,
        alternative_arithmetic=alternative if remedy == ACCELERATION else "",
        overdue_rent_fen=overdue_rent, penalty_fen=state.penalty_due_fen, remedy=remedy,
        penalty_basis=late.basis, running=running, requests=requests, purchase_price_fen=price,
        title_at_end=title, preserved_fen=preserved,
        termination_loss_fen=None if isinstance(termination, RemedyUnavailableError) else termination[0],
    )  # fmt: skip


def _liquidated_damages(
    claim: ClaimInput, rules: ClaimRules, instalments: list[tuple[int, dt.date, int, int]],
    cumulative_due: list[int], rent_paid: int,
) -> ClaimLine | None:  # fmt: skip
    if not rules.liquidated_damages_rate:
        return None
    if rules.liquidated_damages_basis == "total_rent":
        basis, basis_text = cumulative_due[-1], "租金总额"
    else:
        repaid = sum(min(max(rent_paid - (cumulative_due[k] - instalments[k][2] - instalments[k][3]), 0),
                         instalments[k][2]) for k in range(len(instalments)))  # fmt: skip
        basis, basis_text = claim.principal_fen - repaid, "未还本金"
    damages = _round(basis * rules.liquidated_damages_rate)
    rate = _percent(rules.liquidated_damages_rate)
    return ClaimLine(
        "liquidated_damages",
        "违约金",
        damages,
        f"{basis_text} {yuan(basis)} × {rate} = {yuan(damages)}",
    )


_CONDITIONS_NOT_MET = Label(
    "解除合同条件未成就：欠付 {unpaid} 期、逾期租金占租金总额 {share}（诉请规则要求 {min_unpaid} 期或 {min_share}）",
    "the conditions for termination are not met: {unpaid} instalment(s) unpaid, overdue rent {share} of all rent "
    "(the claim rules require {min_unpaid} instalments or {min_share})",
)
_NO_APPRAISAL = Label(
    "租赁物无评估价值记录（valuations.csv），无法确定解除合同后的损失",
    "the leased assets have no appraised value on record (valuations.csv): the loss on termination cannot be "
    "stated",
)


def _termination(
    claim: ClaimInput, rules: ClaimRules, overdue_rent: int, future_rent: int, late_fen: int,
    damages: ClaimLine | None, deposit_left: int, title: str, *, total_rent: int, unpaid_instalments: int,
) -> tuple[int, str] | RemedyUnavailableError:  # fmt: skip
    """The loss on termination (financial-leasing interpretation Art. 11: all unpaid rent and fees less the
    value of the assets taken back, plus the residual value where they would have reverted to the lessor) and
    its arithmetic, or why termination cannot be claimed from the record (the lawyer's note in Chinese, the
    error when termination is the remedy asked for)."""
    share = Decimal(overdue_rent) / total_rent if total_rent else Decimal(0)
    if unpaid_instalments < rules.termination_min_unpaid and share < rules.termination_min_overdue_share:
        return RemedyUnavailableError(
            _CONDITIONS_NOT_MET, unpaid=unpaid_instalments, share=_percent(share.quantize(Decimal("1e-4"))),
            min_unpaid=rules.termination_min_unpaid, min_share=_percent(rules.termination_min_overdue_share),
        )  # fmt: skip
    if claim.asset_value_fen is None:
        return RemedyUnavailableError(_NO_APPRAISAL)
    fees = late_fen + (damages.amount_fen if damages else 0)
    residual = claim.residual_value_fen if title == "lessor" else 0
    loss = overdue_rent + future_rent + fees + residual - claim.asset_value_fen - deposit_left
    arithmetic = (
        f"全部未付租金 {yuan(overdue_rent + future_rent)}（已到期 {yuan(overdue_rent)} + 未到期 {yuan(future_rent)}）"
        + (f" + 逾期违约金/资金占用损失等 {yuan(fees)}" if fees else "")
        + (f" + 租期届满后租赁物残值 {yuan(residual)}" if residual else "")
        + f" − 收回租赁物评估价值 {yuan(claim.asset_value_fen)}"
        + (f" − 保证金 {yuan(deposit_left)}" if deposit_left else "")
        + f" = {yuan(loss)}"
    )
    return loss, arithmetic


def _running(
    remedy: str, day: dt.date, lines: list[ClaimLine], late: _LateCharge
) -> tuple[RunningClaim, ...]:
    """What keeps running after the claim date until paid: the late charge on the rent claimed (acceleration)
    or the loss of use of the funds on the loss (termination)."""
    amounts = {line.item: line.amount_fen for line in lines}
    after = day + dt.timedelta(days=1)
    if remedy == ACCELERATION:
        base = amounts.get("overdue_rent", 0) + amounts.get("accelerated_rent", 0)
        label = "全部未付租金" if "accelerated_rent" in amounts else "逾期租金"
        return (RunningClaim(base, label, late.standard, after),) if base else ()
    loss = amounts.get("termination_loss", 0)
    standard = "全国银行间同业拆借中心公布的一年期贷款市场报价利率（LPR）"
    return (RunningClaim(loss, "损失赔偿金", standard, after),) if loss else ()
