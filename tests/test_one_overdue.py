"""One definition of what is overdue (issue 14, item 5): `cases claim`, `book schedule` and `book export` take
rent overdue and penalty owed from the same allocation pass under the same `book:` settings, and agree to the
fen on every defaulted contract, on every day, in every allocation order, with penalty on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.enforcement.claims import ClaimInput, NotDefaultedError, claim_document, compute_claim
from leaseguard.enforcement.rules import load_claim_rules
from leaseguard.enforcement.service import claim_for_contract, claim_input
from leaseguard.ingest import import_paths
from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.positions import BookPositions
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

runner = CliRunner()
D = dt.date
RATE = "0.0005"  # 0.05 % a day
ORDERS = {
    "penalty, interest, principal": ["penalty", "interest", "principal"],
    "penalty, principal, interest": ["penalty", "principal", "interest"],
    "interest, principal, penalty": ["interest", "principal", "penalty"],
    "principal, interest, penalty": ["principal", "interest", "penalty"],
}
DAYS = (D(2025, 6, 30), D(2026, 3, 17))


def _fen(yuan: str) -> int:
    whole, _, cents = yuan.replace(",", "").partition(".")
    assert len(cents) == 2, yuan
    return int(whole) * 100 + (int(cents) if not whole.startswith("-") else -int(cents))


# --- one contract worked by hand -------------------------------------------------------------------------
#
# Three monthly instalments of 1,000.00 (900.00 principal + 100.00 interest) due 1 Feb, 1 Mar and 1 Apr 2024;
# penalty 0.05 % a day = 500 millionths of a fen per fen per day. Paid: 1,000.00 on 1 Feb (on time); 600.00
# on 11 Mar (10 days late, part of March's); that 600.00 reversed on 21 Mar (it bounced). Claim on 15 Apr.
INSTALMENTS = ((1, D(2024, 2, 1), 90_000, 10_000), (2, D(2024, 3, 1), 90_000, 10_000),
               (3, D(2024, 4, 1), 90_000, 10_000))  # fmt: skip
PAYMENTS = ((D(2024, 2, 1), 100_000), (D(2024, 3, 11), 60_000), (D(2024, 3, 21), -60_000))
CLAIM_DAY = D(2024, 4, 15)
# Penalty first. 11 Mar: March's 1,000.00 unpaid for 10 days accrued 100,000 × 500 × 10 = 500,000,000 (5.00);
# the 600.00 pays that 5.00 first, 595.00 rent (rent paid 1,595.00). 21 Mar: March's 405.00 unpaid for 10
# days accrued 40,500 × 500 × 10 = 202,500,000 (2.025); the reversal takes 600.00 of rent back (the 5.00 of
# penalty stays settled), rent paid 995.00: February is 5.00 short again. To 15 Apr, from 21 Mar (25 days):
# Feb 500 × 500 × 25 = 6,250,000; Mar 100,000 × 500 × 25 = 1,250,000,000; Apr (due 1 Apr, 14 days)
# 100,000 × 500 × 14 = 700,000,000. Accrued: Feb 0.0625, Mar 5.00 + 2.025 + 12.50 = 19.525, Apr 7.00, in all
# 26.5875 → 26.59; owed 26.5875 − 5.00 paid = 21.5875 → 21.59. Overdue rent 3,000.00 − 995.00 = 2,005.00
# (Feb 5.00 + Mar 1,000.00 + Apr 1,000.00).
PENALTY_FIRST = (200_500, 2_159)
# Penalty last. 11 Mar: 5.00 accrued, but rent due (1,000.00) comes first: all 600.00 pays rent (1,600.00),
# 5.00 still owed. 21 Mar: March's 400.00 unpaid 10 days: 40,000 × 500 × 10 = 200,000,000 (2.00); the reversal
# leaves 1,000.00 paid, February whole. To 15 Apr: Mar 100,000 × 500 × 25 = 1,250,000,000 (12.50), Apr
# 100,000 × 500 × 14 = 700,000,000 (7.00). Owed 5.00 + 2.00 + 12.50 + 7.00 = 26.50; overdue rent 2,000.00.
PENALTY_LAST = (200_000, 2_650)


def _rules(order: list[str]) -> object:
    return load_claim_rules(None, {"allocation": order, "penalty_daily_rate": RATE})


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (ORDERS["penalty, interest, principal"], PENALTY_FIRST),
        (ORDERS["interest, principal, penalty"], PENALTY_LAST),
    ],
)
def test_a_contract_worked_by_hand_is_the_same_in_the_claim_and_the_book(
    order: list[str], expected: tuple[int, int]
) -> None:
    rules = _rules(order)
    claim = compute_claim(
        ClaimInput("K1", D(2024, 1, 1), 270_000, 0, INSTALMENTS, PAYMENTS, penalty_daily_rate=Decimal(RATE)),
        rules,
        CLAIM_DAY,
    )  # type: ignore[arg-type]
    assert (claim.overdue_rent_fen, claim.penalty_fen) == expected
    lines = {line.item: line for line in claim.lines}
    assert (lines["overdue_rent"].amount_fen, lines["penalty"].amount_fen) == expected
    document = claim_document(claim)
    assert (_fen(str(document["overdue_rent"])), _fen(str(document["penalty"]))) == expected
    if expected == PENALTY_FIRST:
        assert lines["overdue_rent"].arithmetic == (
            "第1期(2024-02-01) 5.00 + 第2期(2024-03-01) 1,000.00 + 第3期(2024-04-01) 1,000.00 = 2,005.00"
        )
        penalty = lines["penalty"].arithmetic
        assert "第1期 (5.00 × 25天) × r = 0.0625" in penalty
        assert "第2期 (1,000.00 × 10天 + 405.00 × 10天 + 1,000.00 × 25天) × r = 19.525" in penalty
        assert "第3期 (1,000.00 × 14天) × r = 7.00" in penalty
        assert penalty.endswith("应计合计 26.59 − 已收违约金 5.00 = 21.59")
    else:
        assert "第1期" not in lines["overdue_rent"].arithmetic
        assert (
            "第2期 (1,000.00 × 10天 + 400.00 × 10天 + 1,000.00 × 25天) × r = 19.50"
            in lines["penalty"].arithmetic
        )
        assert lines["penalty"].arithmetic.endswith("应计合计 26.50 = 26.50")

    # The book, from the same contract as frames (the schedule imported as given): the same figures.
    contracts = pl.DataFrame(
        {
            "contract_no": ["K1"], "lessor": ["L1"], "lessee_id": ["P1"], "start_date": [D(2024, 1, 1)],
            "term_months": [3], "principal_fen": [270_000], "annual_rate": ["0.06"], "method": ["annuity"],
            "frequency": ["monthly"], "residual_value_fen": [0],
        }
    )  # fmt: skip
    lines_frame = pl.DataFrame(
        [("K1", n, due, p, i) for n, due, p, i in INSTALMENTS],
        schema={"contract_no": pl.String, "number": pl.Int32, "due_date": pl.Date, "principal_fen": pl.Int64,
                "interest_fen": pl.Int64},
        orient="row",
    )  # fmt: skip
    payments = pl.DataFrame(
        [("K1", day, amount) for day, amount in PAYMENTS],
        schema={"contract_no": pl.String, "paid_date": pl.Date, "amount_fen": pl.Int64},
        orient="row",
    )
    book = BookPositions.from_frames(contracts, payments, lines_frame, rules.allocation)  # type: ignore[attr-defined]
    assert book.at(CLAIM_DAY).select("overdue_amount_fen", "penalty_due_fen").row(0) == expected
    state = book.contract_state("K1", CLAIM_DAY)
    if expected == PENALTY_FIRST:
        assert state.unpaid_fen.tolist() == [500, 100_000, 100_000]
        assert state.accrued_micro.tolist() == [6_250_000, 1_952_500_000, 700_000_000]
        assert state.penalty_paid_fen == 500
    else:
        assert state.unpaid_fen.tolist() == [0, 100_000, 100_000]
        assert state.accrued_micro.tolist() == [0, 1_950_000_000, 700_000_000]
        assert state.penalty_paid_fen == 0


def test_the_deposit_offset_at_maturity_is_set_off_once() -> None:
    """The hand-worked contract with a deposit of 500.00 and `deposit: offset_at_maturity`, penalty last: the
    deposit pays on 1 Apr (the last due date) as a payment. 1 Apr: March's 1,000.00 unpaid 11 days since 21 Mar
    (100,000 × 500 × 11 = 550,000,000 → 5.50); owed 5.00 + 2.00 + 5.50 = 12.50; rent due 2,000.00 first, so the
    500.00 all pays rent (1,500.00 paid). To 15 Apr (14 days): March's 500.00 → 3.50, April's 1,000.00 → 7.00:
    penalty 12.50 + 10.50 = 23.00, overdue rent 1,500.00 — and no deposit line a second time."""
    rules = load_claim_rules(
        None, {"allocation": ORDERS["interest, principal, penalty"], "penalty_daily_rate": RATE,
               "deposit": "offset_at_maturity"}
    )  # fmt: skip
    claim = compute_claim(
        ClaimInput("K1", D(2024, 1, 1), 270_000, 50_000, INSTALMENTS, PAYMENTS), rules, CLAIM_DAY
    )
    assert (claim.overdue_rent_fen, claim.penalty_fen) == (150_000, 2_300)
    assert claim.line("deposit_offset") is None
    assert any("已于 2024-04-01 抵作租金" in note for note in claim.notes)
    before = compute_claim(
        ClaimInput("K1", D(2024, 1, 1), 270_000, 50_000, INSTALMENTS, PAYMENTS), rules, D(2024, 3, 31)
    )
    assert before.line("deposit_offset") is not None  # not yet applied: set off in the claim


# --- the synthetic book, every order -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("overdue") / "book"
    generate_book(folder, contracts=150, seed=23)
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, book_folder: Path) -> Workspace:
    mp = pytest.MonkeyPatch()
    mp.delenv(HOME_ENV, raising=False)
    mp.delenv(DATABASE_URL_ENV, raising=False)
    opened = init_workspace(tmp_path_factory.mktemp("overdue-ws") / "ws")
    engine = opened.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, [book_folder]))
    engine.dispose()
    yield opened  # type: ignore[misc]
    mp.undo()


def _set_book(workspace: Workspace, order: list[str], deposit: str) -> dict[str, object]:
    config = workspace.root / "leaseguard.yaml"
    text = config.read_text("utf-8")
    text = re.sub(r"(?m)^  allocation: .*$", f"  allocation: [{', '.join(order)}]", text)
    text = re.sub(r"(?m)^  penalty_daily_rate: .*$", f'  penalty_daily_rate: "{RATE}"', text)
    text = re.sub(r"(?m)^  deposit: .*$", f"  deposit: {deposit}", text)
    config.write_text(text, "utf-8")
    return {"allocation": order, "penalty_daily_rate": RATE, "deposit": deposit}


def _cli(workspace: Workspace, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("order", "deposit"),
    [(order, "held") for order in ORDERS] + [("interest, principal, penalty", "offset_at_maturity")],
)
def test_claim_export_and_schedule_agree_on_every_defaulted_contract(
    workspace: Workspace, tmp_path: Path, order: str, deposit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    settings = _set_book(workspace, ORDERS[order], deposit)
    rules = load_claim_rules(None, settings)
    engine = workspace.engine()
    try:
        book = BookPositions.from_engine(engine, Allocation.from_settings(settings))
        penalty_paid = 0
        for day in DAYS:
            _cli(workspace, "run", "daily", "--as-of", day.isoformat())
            out = tmp_path / f"{day}.csv"
            _cli(workspace, "book", "export", "--as-of", day.isoformat(), "--out", str(out))
            exported = pl.read_csv(out, infer_schema=False)
            # Right after the first columns of the export; class_label and reason_codes came later, after them.
            after = exported.columns.index("reasons") + 1
            assert exported.columns[after : after + 2] == ["overdue_rent", "penalty_due"]
            figures = {
                row["contract_no"]: (_fen(row["overdue_rent"]), _fen(row["penalty_due"]))
                for row in exported.iter_rows(named=True)
            }
            defaulted = sorted(no for no, (overdue, _) in figures.items() if overdue > 0)
            assert len(defaulted) >= 10, "the synthetic book should have arrears on the day"
            assert sum(penalty for _, penalty in figures.values()) > 0
            for contract_no in defaulted:
                claim = claim_for_contract(engine, contract_no, day, rules)
                assert (claim.overdue_rent_fen, claim.penalty_fen) == figures[contract_no], contract_no
                # Where the contract states the book's rate, the penalty claimed is the book's to the fen.
                stated = dataclasses.replace(
                    claim_input(engine, contract_no, day),
                    penalty_daily_rate=rules.allocation.penalty_daily_rate,
                )
                items = {line.item: line.amount_fen for line in compute_claim(stated, rules, day).lines}
                assert (items["overdue_rent"], items.get("penalty", 0)) == figures[contract_no]
                state = book.contract_state(contract_no, day)
                assert (state.overdue_rent_fen, state.penalty_due_fen) == figures[contract_no]
                penalty_paid += state.penalty_paid_fen
            for contract_no in sorted(set(figures) - set(defaulted))[:15]:
                with pytest.raises(NotDefaultedError):
                    claim_for_contract(engine, contract_no, day, rules)
            # Through the commands a person runs: `cases claim --json` and `book schedule`.
            for contract_no in (defaulted[0], defaulted[len(defaulted) // 2], defaulted[-1]):
                document = json.loads(
                    _cli(workspace, "cases", "claim", contract_no, "--as-of", day.isoformat(), "--json")
                )
                assert (_fen(document["overdue_rent"]), _fen(document["penalty"])) == figures[contract_no]
                shown = _cli(
                    workspace, "book", "schedule", contract_no, "--as-of", day.isoformat(), "--lang", "en"
                )
                overdue = re.search(r"overdue rent ([\d,]+\.\d\d) \(yuan\)", shown)
                penalty = re.search(r"penalty ([\d,]+\.\d\d) \(yuan", shown)
                assert overdue and penalty, shown
                assert (_fen(overdue.group(1)), _fen(penalty.group(1))) == figures[contract_no]
        if ORDERS[order][0] == "penalty":
            assert penalty_paid > 0  # late payments did pay penalty first: the case the old claim got wrong
    finally:
        engine.dispose()
