"""The claim on a defaulted lease, against worked examples computed by hand (the arithmetic is in each test).

The lease of every example: start 2024-01-01, four monthly instalments of 10,000.00 yuan (9,000.00 principal
+ 1,000.00 interest) due on the 1st of February, March, April and May 2024 (a leap year). The book's settings
(which the claim follows): penalty 0.05 % a day, penalty paid first (the default order) unless a test says."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from leaseguard.enforcement.claims import (
    ClaimInput,
    NotDefaultedError,
    RemedyUnavailableError,
    compute_claim,
    tiered_fee,
)
from leaseguard.enforcement.rules import ClaimRulesError, load_claim_rules
from leaseguard.portfolio.allocation import Allocation

BOOK = {"penalty_daily_rate": "0.0005"}
SHIPPED = load_claim_rules(None, BOOK)
PENALTY_LAST = load_claim_rules(None, {**BOOK, "allocation": ["interest", "principal", "penalty"]})
NO_CAP = dataclasses.replace(SHIPPED, cap_lpr_multiple=None, cap_financing_cost_annual=None)
LPR_CAP = dataclasses.replace(SHIPPED, cap_lpr_multiple=Decimal(4), cap_financing_cost_annual=None)
D = dt.date
INSTALMENTS = tuple((n, D(2024, n + 1, 1), 900_000, 100_000) for n in range(1, 5))


CONTRACT_RATE = Decimal("0.0005")  # the contract on file states the book's rate: the penalty is claimed


def lease(*payments: tuple[dt.date, int], deposit: int = 0, asset_value: int | None = None) -> ClaimInput:
    return ClaimInput(
        "K1", D(2024, 1, 1), 3_600_000, deposit, INSTALMENTS, payments, asset_value, CONTRACT_RATE,
        purchase_price_fen=10_000,
    )  # fmt: skip


def amounts(claim: object) -> dict[str, int]:
    return {line.item: line.amount_fen for line in claim.lines}  # type: ignore[attr-defined]


def test_two_missed_instalments_accelerate_the_rest() -> None:
    """Paid: the February instalment only. On 15 April 2024, no LPR cap:
    overdue rent 10,000.00 (March) + 10,000.00 (April) = 20,000.00;
    penalty 10,000.00 × 0.05 % × 45 days (1 Mar → 15 Apr) = 225.00, plus 10,000.00 × 0.05 % × 14 days = 70.00;
    two instalments overdue, so May's principal 9,000.00 is accelerated; nominal purchase price 100.00;
    claim 29,395.00. Court fee 50 + (29,395 − 10,000) × 2.5 % = 534.875 → 534.88; preservation (no appraisal,
    the claim preserved) 30 + (29,395 − 1,000) × 1 % = 313.95; total 30,243.83."""
    claim = compute_claim(lease((D(2024, 2, 1), 1_000_000)), NO_CAP, D(2024, 4, 15))
    assert amounts(claim) == {
        "overdue_rent": 2_000_000, "penalty": 29_500, "accelerated_rent": 900_000, "nominal_purchase_price": 10_000,
        "court_fee": 53_488, "preservation_fee": 31_395,
    }  # fmt: skip
    assert (claim.claim_fen, claim.total_fen, claim.accelerated) == (2_939_500, 3_024_383, True)
    assert (claim.overdue_instalments, claim.first_overdue_date) == (2, D(2024, 3, 1))
    penalty = claim.line("penalty")
    assert (
        penalty is not None
        and "10,000.00 × 45天" in penalty.arithmetic
        and "10,000.00 × 14天" in penalty.arithmetic
    )
    assert any("无评估价值" in note for note in claim.notes)


def test_a_leap_february_counts_29_days_and_the_lpr_cap_is_noted() -> None:
    """Nothing paid; claim on 1 March 2024. February's instalment is 29 days late (2024 is a leap year):
    10,000.00 × 0.05 % × 29 = 145.00, the book's figure. The book's 0.05 % a day is above 4 × the one-year LPR
    in force at the start (3.45 % on 2024-01-01) / 360 = 0.0383333…% a day: the claim notes that a court may
    reduce it (it no longer claims a second, capped figure the book does not know).
    March's instalment falls due that day: overdue, no penalty yet; two overdue, so April and May's principal
    (18,000.00) is accelerated."""
    claim = compute_claim(lease(), LPR_CAP, D(2024, 3, 1))
    assert amounts(claim)["penalty"] == 14_500
    penalty = claim.line("penalty")
    assert penalty is not None and "10,000.00 × 29天" in penalty.arithmetic
    assert any("LPR 3.45%" in note and "法院可能依申请调减" in note for note in claim.notes)
    assert amounts(claim)["accelerated_rent"] == 1_800_000
    # A year later the same 29 days' arithmetic becomes 28: 1 Feb → 1 Mar 2025 (non-leap) on a 2025 lease.
    later = ClaimInput("K2", D(2025, 1, 1), 3_600_000, 0,
                       tuple((n, D(2025, n + 1, 1), 900_000, 100_000) for n in range(1, 5)), (),
                       penalty_daily_rate=CONTRACT_RATE)  # fmt: skip
    assert amounts(compute_claim(later, NO_CAP, D(2025, 3, 1)))["penalty"] == 14_000  # 10,000 × 0.05 % × 28


def test_a_partial_payment_after_default_splits_the_penalty_and_one_missed_instalment_is_not_accelerated() -> (
    None
):
    """February paid on time; 4,000.00 paid on 11 March towards March's instalment; claim on 31 March.
    Penalty last: the 4,000.00 all pays rent; penalty 10,000.00 × 0.05 % × 10 days (1–11 Mar) = 50.00 +
    6,000.00 × 0.05 % × 20 days = 60.00 → 110.00; overdue rent 6,000.00; claim 6,110.00.
    Penalty first (the default): on 11 March the 50.00 accrued is paid first, 3,950.00 pays rent; overdue rent
    6,050.00, penalty accrued 50.00 + 6,050.00 × 0.05 % × 20 = 60.50 → 110.50, less 50.00 paid = 60.50;
    claim 6,110.50. Either way one instalment is overdue, fewer than the two acceleration needs."""
    paid = ((D(2024, 2, 1), 1_000_000), (D(2024, 3, 11), 400_000))
    claim = compute_claim(lease(*paid), dataclasses.replace(NO_CAP, allocation=PENALTY_LAST.allocation),
                          D(2024, 3, 31))  # fmt: skip
    assert (amounts(claim)["overdue_rent"], amounts(claim)["penalty"]) == (600_000, 11_000)
    assert "accelerated_rent" not in amounts(claim) and not claim.accelerated
    assert claim.claim_fen == 611_000
    assert any("未加速到期：逾期 1 期" in note for note in claim.notes)
    first = compute_claim(lease(*paid), NO_CAP, D(2024, 3, 31))
    assert (amounts(first)["overdue_rent"], amounts(first)["penalty"], first.claim_fen) == (
        605_000,
        6_050,
        611_050,
    )
    penalty = first.line("penalty")
    assert penalty is not None and "应计合计 110.50 − 已收违约金 50.00 = 60.50" in penalty.arithmetic


def test_a_deposit_larger_than_the_arrears_is_set_off_and_the_rest_noted() -> None:
    """The partial-payment case, penalty last (claim 6,110.00), with a deposit of 8,000.00: 6,110.00 set off,
    nothing left to claim but the court's minimum fee of 50.00; 1,890.00 is owed back to the lessee. With the
    first case (29,395.00) and a deposit of 25,000.00: 4,395.00 left; court fee 50.00; preservation 30 +
    3,395 × 1 % = 63.95."""
    paid = ((D(2024, 2, 1), 1_000_000), (D(2024, 3, 11), 400_000))
    small = compute_claim(lease(*paid, deposit=800_000), PENALTY_LAST, D(2024, 3, 31))
    assert amounts(small)["deposit_offset"] == -611_000 and small.claim_fen == 0
    assert any("保证金超出诉请金额 1,890.00 元" in note for note in small.notes)
    large = compute_claim(lease((D(2024, 2, 1), 1_000_000), deposit=2_500_000), NO_CAP, D(2024, 4, 15))
    assert large.claim_fen == 439_500
    assert (amounts(large)["court_fee"], amounts(large)["preservation_fee"]) == (5_000, 6_395)


def test_a_reversed_payment_reopens_the_instalment_for_penalty() -> None:
    """February paid on 1 Feb, reversed on 5 Feb (a bounced transfer); claim on 15 Feb: 10,000.00 × 0.05 % ×
    10 days (5–15 Feb) = 50.00."""
    claim = compute_claim(
        lease((D(2024, 2, 1), 1_000_000), (D(2024, 2, 5), -1_000_000)), NO_CAP, D(2024, 2, 15)
    )
    assert (amounts(claim)["overdue_rent"], amounts(claim)["penalty"]) == (1_000_000, 5_000)


def test_termination_instead_takes_the_assets_back_and_claims_the_loss() -> None:
    """The first case with the assets appraised at 20,000.00. Terminating instead (two instalments unpaid):
    unpaid rent 20,000.00 + rent not yet due 10,000.00 (May, all of it) + penalty 295.00 − 20,000.00 =
    10,295.00. Worth 40,000.00, the assets exceed the loss by 9,705.00, which goes back to the lessee; where
    the assets would have reverted to the lessor, their residual value (say 3,000.00) adds to the loss. The
    preservation fee is on the assets preserved (20,000.00): 30 + 19,000 × 1 % = 220.00."""
    paid = (D(2024, 2, 1), 1_000_000)
    claim = compute_claim(lease(paid, asset_value=2_000_000), NO_CAP, D(2024, 4, 15))
    assert claim.alternative_shortfall_fen == 1_029_500
    assert "− 收回租赁物评估价值 20,000.00 = 10,295.00" in claim.alternative_arithmetic
    assert amounts(claim)["preservation_fee"] == 22_000
    rich = compute_claim(lease(paid, asset_value=4_000_000), NO_CAP, D(2024, 4, 15))
    assert rich.alternative_shortfall_fen == -970_500 and any("9,705.00" in n for n in rich.notes)
    reverting = dataclasses.replace(
        lease(paid, asset_value=2_000_000), title_at_end="lessor", residual_value_fen=300_000
    )
    assert compute_claim(reverting, NO_CAP, D(2024, 4, 15)).alternative_shortfall_fen == 1_329_500


def test_termination_needs_two_unpaid_instalments_or_15_percent_of_the_rent() -> None:
    """6,000.00 of March's 10,000.00 paid on 5 March, penalty last: one instalment unpaid, 4,000.00 = 10 % of
    the 40,000.00 rent."""
    claim = compute_claim(lease((D(2024, 2, 1), 1_000_000), (D(2024, 3, 5), 600_000), asset_value=1),
                          PENALTY_LAST, D(2024, 3, 31))  # fmt: skip
    assert claim.alternative_shortfall_fen is None
    assert any("解除合同条件未成就：欠付 1 期、逾期租金占租金总额 10%" in note for note in claim.notes)


def test_the_financing_cost_cap_is_noted_where_the_book_rate_is_above_it() -> None:
    """A lease at 10 % a year under the shipped rules: a court may hold the penalty to (24 % − 10 %) / 360 =
    0.0388…% a day, below the book's 0.05 %. The claim states the book's figure, February's instalment 14
    days late on 15 Feb: 10,000.00 × 0.05 % × 14 = 70.00, and notes the cap. At 6 % a year the room is
    18 % / 360 = 0.05 % a day: not above it, no note."""
    late = dataclasses.replace(lease(), annual_rate=Decimal("0.10"))
    claim = compute_claim(late, SHIPPED, D(2024, 2, 15))  # February's instalment, 14 days late
    assert amounts(claim)["penalty"] == 7_000
    assert any(
        "(24% − 租赁年利率 10%) / 360" in note and "法院可能依申请调减" in note for note in claim.notes
    )
    within = compute_claim(dataclasses.replace(lease(), annual_rate=Decimal("0.06")), SHIPPED, D(2024, 2, 15))
    assert not any("调减" in note for note in within.notes)


def test_no_default_no_claim() -> None:
    with pytest.raises(NotDefaultedError, match="nothing is overdue on 2024-03-15"):
        compute_claim(lease((D(2024, 2, 1), 1_000_000), (D(2024, 3, 1), 1_000_000)), NO_CAP, D(2024, 3, 15))


def test_court_fee_tiers_of_the_fee_measures() -> None:
    """1,234,567.89 yuan: 50 + 90,000 × 2.5 % + 100,000 × 2 % + 300,000 × 1.5 % + 500,000 × 1 % +
    234,567.89 × 0.9 % = 50 + 2,250 + 2,000 + 4,500 + 5,000 + 2,111.11101 = 15,911.11101 → 15,911.11."""
    fee, arithmetic = tiered_fee(123_456_789, SHIPPED.court_fee_tiers)
    assert fee == 1_591_111 and arithmetic.endswith("= 15,911.11")
    assert tiered_fee(500_000, SHIPPED.court_fee_tiers)[0] == 5_000  # 5,000 yuan: the minimum 50.00


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("version: 3\n", 'version: 3\npenalty_daily_rate: "0.0005"\n'),
            "penalty_daily_rate is no longer a claim",
        ),
        (("basis: contract_start", "basis: whenever"), "penalty_cap.basis: 'whenever' is not one of"),
        (("min_overdue_instalments: 2", "min_overdue_instalments: 0"), "min_overdue_instalments"),
        (('- {up_to: null, rate: "0.005"}', '- {up_to: "30000000", rate: "0.005"}'), "only the last tier"),
    ],
)
def test_a_broken_claim_rules_file_is_refused_by_name(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    from importlib import resources

    text = resources.files("leaseguard.defaults").joinpath("enforcement", "claims.yaml").read_text("utf-8")
    assert change[0] in text
    path = tmp_path / "claims.yaml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ClaimRulesError) as refused:
        load_claim_rules(path)
    assert str(path) in str(refused.value) and message in refused.value.text("en")


def test_the_contract_clause_overrides_the_rules_and_its_own_rate_is_claimed() -> None:
    """A contract stating 0.03 % a day and no acceleration: nothing is accelerated; the penalty claimed is the
    contract's rate on the book's overdue stretches, 10,000.00 × 0.03 % × 45 days + 10,000.00 × 0.03 % × 14
    days = 135.00 + 42.00 = 177.00; the book's own figure at 0.05 % (295.00) is noted."""
    own = dataclasses.replace(lease((D(2024, 2, 1), 1_000_000)), penalty_daily_rate=Decimal("0.0003"),
                              acceleration_allowed=False)  # fmt: skip
    claim = compute_claim(own, NO_CAP, D(2024, 4, 15))
    assert amounts(claim)["penalty"] == 17_700 and not claim.accelerated
    assert claim.penalty_fen == 29_500 and claim.penalty_basis == "contract"
    assert any("合同约定违约金日利率 0.03%" in note and "295.00" in note for note in claim.notes)


def test_cases_claim_reads_the_store_and_agrees_with_the_book(store_engine: object, tmp_path: Path) -> None:
    """A contract loaded through `import` (SQLite and PostgreSQL), the workspace's book charging 0.05 % a day:
    the claim's overdue rent and penalty are the book's on the day, its asset's latest appraisal makes the
    alternative claim, and its own penalty rate (a column of contracts.csv kept in `extra`) is noted."""
    import json

    import polars as pl
    from typer.testing import CliRunner

    from leaseguard.cli.main import app
    from leaseguard.ingest import import_paths
    from leaseguard.portfolio.positions import BookPositions
    from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

    files = {
        "lessors.csv": "code,name\nL1,Lessor One\n",
        "contracts.csv": "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,"
        "annual_rate,method,frequency,deposit,penalty_daily_rate\n"
        "K1,L1,P1,Lessee One,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly,1000.00,0.0003\n"
        "K2,L1,P2,Lessee Two,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly,0,\n",
        "assets.csv": "asset_id,lessor,asset_type,serial_no,lessee_id,lessee_name,contract_no\n"
        "A1,L1,machinery,SN-1,P1,Lessee One,K1\n",
        "payments.csv": "contract_no,paid_date,amount\nK1,2024-02-10,10327.97\n",
        "valuations.csv": "asset_id,lessor,valuation_date,disposal_value\nA1,L1,2024-03-01,90000.00\n"
        "A1,L1,2024-06-01,60000.00\n",
    }
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    engine = store_engine
    assert all(r.rejected == 0 for r in import_paths(engine, paths))  # type: ignore[arg-type]
    env = {HOME_ENV: "", DATABASE_URL_ENV: engine.url.render_as_string(hide_password=False)}  # type: ignore[attr-defined]
    workspace = init_workspace(tmp_path / "ws")
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text("utf-8").replace('penalty_daily_rate: "0"', 'penalty_daily_rate: "0.0005"'), "utf-8"
    )
    runner = CliRunner()
    day = "2024-05-20"
    result = runner.invoke(
        app, ["cases", "claim", "K1", "--as-of", day, "--json", "-w", str(workspace.root)], env=env
    )
    assert result.exit_code == 0, result.output
    claim = json.loads(result.output)
    items = {line["item"]: line for line in claim["lines"]}
    book = BookPositions.from_engine(engine, Allocation(penalty_daily_rate=Decimal("0.0005")))  # type: ignore[arg-type]
    overdue, penalty = (
        book.at(D(2024, 5, 20))
        .filter(pl.col("contract_no") == "K1")
        .select("overdue_amount_fen", "penalty_due_fen")
        .row(0)
    )
    assert penalty > 0
    assert (
        items["overdue_rent"]["amount"] == claim["overdue_rent"] == f"{overdue // 100:,}.{overdue % 100:02d}"
    )
    # The totals are the book's; the penalty claimed is at the contract's own 0.03 % on the same stretches.
    assert claim["penalty"] == f"{penalty // 100:,}.{penalty % 100:02d}"
    assert "合同约定违约金日利率 r = 0.03%" in items["penalty"]["arithmetic"]
    assert claim["penalty_basis"] == "contract"
    assert any("book.penalty_daily_rate 0.05%/日" in note for note in claim["notes"])
    assert claim["accelerated"] is True and items["deposit_offset"]["amount"] == "-1,000.00"
    # The alternative uses the latest appraisal by the claim date (60,000.00 of 1 June is not yet known).
    assert claim["alternative_shortfall"] is not None and "90,000.00" in result.output
    for args, message in (
        (["cases", "claim", "K9", "--as-of", day], "contract K9 is not in the store"),
        (["cases", "claim", "K2", "--as-of", "2024-02-01"], "nothing is overdue on 2024-02-01"),
        (["cases", "claim", "K1", "--as-of", "someday"], "is not a date"),
    ):
        refused = runner.invoke(app, [*args, "-w", str(workspace.root)], env=env)
        assert refused.exit_code == 1 and message in refused.output
        assert len(refused.output.strip().splitlines()) == 1


def test_without_a_contract_rate_the_loss_of_use_of_funds_is_claimed_at_the_lpr_of_each_day() -> None:
    """No penalty rate on file. Paid: February only; claim on 1 August 2024. The one-year LPR was 3.45 % from
    2023-08-21 and 3.35 % from 2024-07-22. March's 10,000.00 is late from 1 Mar: 143 days at 3.45 % and 10 at
    3.35 %; April's 112 + 10 days; May's 82 + 10 days. 10,000.00 / 360 × (337 × 3.45 % + 30 × 3.35 %) =
    27.777… × 12.6315 = 350.875 → 350.88. The claim runs on: 以全部未付租金 30,000.00 为基数, at the LPR, from
    2 August 2024."""
    no_rate = dataclasses.replace(lease((D(2024, 2, 1), 1_000_000)), penalty_daily_rate=None)
    claim = compute_claim(no_rate, NO_CAP, D(2024, 8, 1))
    assert claim.penalty_basis == "lpr" and "penalty" not in amounts(claim)
    assert amounts(claim)["fund_loss"] == 35_088
    loss = claim.line("fund_loss")
    assert loss is not None and "第2期 10,000.00 × 143天 × 3.45%/360" in loss.arithmetic
    assert "第2期 10,000.00 × 10天 × 3.35%/360" in loss.arithmetic
    assert (
        claim.penalty_fen == 183_500
    )  # the book at 0.05 % a day: 10,000.00 × (153 + 122 + 92) days × 0.05 %
    assert [(r.base_fen, r.since) for r in claim.running] == [(3_000_000, D(2024, 8, 2))]
    assert "贷款市场报价利率" in claim.running[0].standard


def test_acceleration_runs_on_after_the_claim_date_at_the_contract_rate() -> None:
    """The first case: overdue 20,000.00 + accelerated principal 9,000.00 = 29,000.00 runs on at 0.05 % a day
    from 16 April 2024; the purchase price claimed is the contract's (100.00), else its residual value, else
    none (a note says the record states none)."""
    claim = compute_claim(lease((D(2024, 2, 1), 1_000_000)), NO_CAP, D(2024, 4, 15))
    assert [(r.base_fen, r.base_label, r.since) for r in claim.running] == [
        (2_900_000, "全部未付租金", D(2024, 4, 16))
    ]
    assert claim.running[0].standard == "日0.05%（合同约定）"
    assert claim.purchase_price_fen == amounts(claim)["nominal_purchase_price"] == 10_000
    residual = dataclasses.replace(lease((D(2024, 2, 1), 1_000_000)), purchase_price_fen=None,
                                   residual_value_fen=50_000)  # fmt: skip
    assert amounts(compute_claim(residual, NO_CAP, D(2024, 4, 15)))["nominal_purchase_price"] == 50_000
    unstated = compute_claim(dataclasses.replace(residual, residual_value_fen=0), NO_CAP, D(2024, 4, 15))
    assert "nominal_purchase_price" not in amounts(unstated) and unstated.purchase_price_fen is None
    assert any("合同未载明留购价款" in note for note in unstated.notes)
    assert any(note.startswith("备选（解除合同") for note in claim.notes)


def test_termination_claims_the_loss_only_and_asks_for_the_assets_back() -> None:
    """The first case terminated, assets appraised at 20,000.00: loss = unpaid rent 30,000.00 (20,000.00 due +
    10,000.00 not yet due) + penalty 295.00 − 20,000.00 = 10,295.00; no rent line, nothing accelerated. Court
    fee 50 + 295 × 2.5 % = 57.375 → 57.38; preservation on the assets, 30 + 19,000 × 1 % = 220.00. The loss
    runs on at the LPR from 16 April."""
    claim = compute_claim(lease((D(2024, 2, 1), 1_000_000), asset_value=2_000_000), NO_CAP, D(2024, 4, 15),
                          "termination")  # fmt: skip
    assert amounts(claim) == {"termination_loss": 1_029_500, "court_fee": 5_738, "preservation_fee": 22_000}
    assert claim.requests == ("解除合同", "返还租赁物") and not claim.accelerated
    assert claim.alternative_arithmetic == "" and claim.termination_loss_fen == 1_029_500
    assert [(r.base_fen, r.since) for r in claim.running] == [(1_029_500, D(2024, 4, 16))]
    rich = compute_claim(lease((D(2024, 2, 1), 1_000_000), asset_value=4_000_000), NO_CAP, D(2024, 4, 15),
                         "termination")  # fmt: skip
    assert amounts(rich)["termination_loss"] == 0 and rich.running == ()
    assert any("9,705.00" in note and "返还承租人" in note for note in rich.notes)
    with pytest.raises(RemedyUnavailableError, match="无评估价值"):
        compute_claim(lease((D(2024, 2, 1), 1_000_000)), NO_CAP, D(2024, 4, 15), "termination")
    with pytest.raises(RemedyUnavailableError, match="解除合同条件未成就"):
        compute_claim(lease((D(2024, 2, 1), 1_000_000), (D(2024, 3, 5), 600_000), asset_value=1),
                      PENALTY_LAST, D(2024, 3, 31), "termination")  # fmt: skip
