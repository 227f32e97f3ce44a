"""Contract terms beyond the regular schedule: a first-period stub, irregular schedules imported as given,
reversed payments and the restructuring date — loaded through `import` into a real store (SQLite and
PostgreSQL) and read back by the book engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from leaseguard.ingest import import_paths
from leaseguard.portfolio.positions import BookPositions
from leaseguard.portfolio.schedule import build_schedule

LESSORS = "code,name\nL1,Lessor One\n"
CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,"
    "method,frequency,first_due_date,restructured_date"
)


def test_a_stub_moves_every_due_date_and_prorates_the_first_interest() -> None:
    """120,000.00 yuan at 7.2 % over 12 months from 10 Jan 2024, first rent due 25 Feb 2024: the stub runs 46
    days, so its interest is 12,000,000 fen × 0.072 × 46 / 360 = 110,400 fen; every later instalment falls due
    on the 25th and the regular interest (12,000,000 × 0.006 = 72,000 fen in period one) is not charged."""
    regular = build_schedule(12_000_000, Decimal("0.072"), 12, "annuity", "monthly", dt.date(2024, 1, 10))
    stub = build_schedule(
        12_000_000, Decimal("0.072"), 12, "annuity", "monthly", dt.date(2024, 1, 10), 0, dt.date(2024, 2, 25)
    )
    assert regular[0].interest_fen == 72_000
    assert stub[0].interest_fen == 110_400
    assert stub[0].principal_fen == regular[0].principal_fen
    assert [i.due_date for i in stub] == [dt.date(2024, month, 25) for month in range(2, 13)] + [
        dt.date(2025, 1, 25)
    ]
    assert sum(i.principal_fen for i in stub) == 12_000_000  # the last instalment still repays everything
    with pytest.raises(ValueError, match="不晚于 start_date"):
        build_schedule(
            1_000, Decimal("0.05"), 12, "annuity", "monthly", dt.date(2024, 1, 10), 0, dt.date(2024, 1, 10)
        )


def _write(folder: Path, name: str, text_: str) -> Path:
    path = folder / name
    path.write_text(text_, encoding="utf-8")
    return path


@pytest.fixture
def loaded(store_engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    contracts = "\n".join(
        [
            CONTRACT_HEADER,
            "K1,L1,P1,Lessee One,enterprise,2024-01-10,12,120000.00,0.072,annuity,monthly,2024-02-25,",
            "K2,L1,P2,Lessee Two,enterprise,2024-01-01,6,3000.00,0.06,annuity,monthly,,2024-06-01",
            "K3,L1,P3,Lessee Three,enterprise,2024-01-10,12,1000.00,0.06,annuity,monthly,2024-01-05,",
            "K4,L1,P4,Lessee Four,enterprise,2024-01-10,12,1000.00,0.06,annuity,monthly,,2023-12-31",
        ]
    )
    reports = import_paths(
        store_engine,
        [_write(tmp_path, "lessors.csv", LESSORS), _write(tmp_path, "contracts.csv", contracts + "\n")],
    )
    contract_report = reports[-1]
    assert contract_report.inserted == 2
    reasons = {(e.line, e.column): (e.code, e.reason, e.text("en")) for e in contract_report.errors}
    assert reasons == {
        (4, "first_due_date"): (
            "first_due_not_after_start",
            "first_due_date 2024-01-05 不晚于 start_date 2024-01-10",
            "first_due_date 2024-01-05 is not after start_date 2024-01-10",
        ),
        (5, "restructured_date"): (
            "restructured_before_start",
            "restructured_date 2023-12-31 早于 start_date 2024-01-10",
            "restructured_date 2023-12-31 is before start_date 2024-01-10",
        ),
    }
    return store_engine, tmp_path


def test_a_stub_contract_loads_and_the_engine_uses_its_dates(loaded: tuple[Engine, Path]) -> None:
    engine, _ = loaded
    book = BookPositions.from_engine(engine)
    first = book.instalments.filter(book.instalments["contract"] == 0).sort("number").row(0, named=True)
    assert (first["due_date"], first["interest_fen"]) == (dt.date(2024, 2, 25), 110_400)
    with engine.connect() as connection:
        restructured = connection.execute(
            text("select restructured_date from contracts where contract_no = 'K2'")
        )
        assert str(restructured.scalar_one())[:10] == "2024-06-01"


SCHEDULE_HEADER = "contract_no,number,due_date,principal,interest\n"


def test_an_irregular_schedule_replaces_the_terms_and_loads_whole_or_not_at_all(
    loaded: tuple[Engine, Path],
) -> None:
    engine, folder = loaded
    # K2: 3,000.00 yuan repaid in three uneven instalments (a seasonal schedule).
    good = (
        SCHEDULE_HEADER
        + "K2,1,2024-03-15,500.00,30.00\nK2,2,2024-07-15,500.00,20.00\nK2,3,2024-11-15,2000.00,10.00\n"
    )
    report = import_paths(engine, [_write(folder, "schedules.csv", good)])[0]
    assert (report.inserted, report.rejected) == (3, 0)
    book = BookPositions.from_engine(engine)
    k2 = book.contracts.filter(book.contracts["contract_no"] == "K2")["contract"][0]
    lines = book.instalments.filter(book.instalments["contract"] == k2).sort("number")
    assert lines["amount_fen"].to_list() == [53_000, 52_000, 201_000]
    assert (
        book.at(dt.date(2024, 4, 1)).filter(book.at(dt.date(2024, 4, 1))["contract_no"] == "K2")["dpd"][0]
        == 17
    )

    # Principal not summing to the contract's, a gap in the numbers, falling due dates, an unknown contract:
    # each contract's lines are refused together, and the stored schedule stays as it was.
    bad = (
        SCHEDULE_HEADER
        + "K2,1,2024-03-15,500.00,30.00\nK2,2,2024-07-15,900.00,20.00\n"
        + "K1,1,2024-03-15,60000.00,0\nK1,3,2024-09-15,60000.00,0\n"
        + "K9,1,2024-03-15,1.00,0\n"
    )
    report = import_paths(engine, [_write(folder, "schedules.csv", bad)])[0]
    assert (report.inserted, report.updated, report.rejected) == (0, 0, 5)
    reasons = {(e.line, e.column): e for e in report.errors}
    assert reasons[(2, "number")].code == "schedule_principal"
    assert reasons[(2, "number")].reason == "各期本金合计 140000 分，合同本金为 300000 分"
    assert (
        reasons[(2, "number")].text("en")
        == "principal sums to 140000 fen, the contract's principal is 300000 fen"
    )
    assert reasons[(4, "number")].code == "schedule_numbering"
    assert reasons[(4, "number")].reason == "期次须为 1 至 2，不得缺号或重复"
    assert reasons[(4, "number")].text("en") == "instalments must be numbered 1 to 2 without a gap or repeat"
    assert (reasons[(6, "contract_no")].code, reasons[(6, "contract_no")].params) == (
        "contract_not_in_store",
        {"contract_no": "K9"},
    )
    assert reasons[(6, "contract_no")].reason == "contract_no 'K9' 不在库中"
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from schedule_lines")).scalar_one() == 3

    # A shorter schedule imported again replaces the stored one whole.
    shorter = SCHEDULE_HEADER + "K2,1,2024-03-15,1000.00,30.00\nK2,2,2024-07-15,2000.00,20.00\n"
    report = import_paths(engine, [_write(folder, "schedules.csv", shorter)])[0]
    assert report.rejected == 0
    with engine.connect() as connection:
        numbers = connection.execute(
            text("select number from schedule_lines where contract_no = 'K2' order by number")
        ).scalars()
        assert list(numbers) == [1, 2]


def test_a_reversed_payment_loads_and_reopens_the_arrears(loaded: tuple[Engine, Path]) -> None:
    engine, folder = loaded
    payments = "contract_no,paid_date,amount\nK2,2024-02-01,508.77\nK2,2024-02-06,-508.77\n"
    report = import_paths(engine, [_write(folder, "payments.csv", payments)])[0]
    assert (report.inserted, report.rejected) == (2, 0)
    book = BookPositions.from_engine(engine)
    before, after = (
        book.at(day).filter(book.at(day)["contract_no"] == "K2").row(0, named=True)
        for day in (dt.date(2024, 2, 5), dt.date(2024, 2, 10))
    )
    assert before["paid_to_date_fen"] == 50_877 and after["paid_to_date_fen"] == 0
    assert after["dpd"] == 9 and after["overdue_amount_fen"] > before["overdue_amount_fen"]


def test_run_daily_reports_reversals_beyond_what_was_paid(store_engine: Engine, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leaseguard.cli.main import app
    from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

    env = {HOME_ENV: "", DATABASE_URL_ENV: str(store_engine.url.render_as_string(hide_password=False))}
    workspace = init_workspace(tmp_path / "ws")
    contracts = (
        CONTRACT_HEADER + "\nK1,L1,P1,Lessee One,enterprise,2024-01-01,6,3000.00,0.06,annuity,monthly,,\n"
    )
    payments = "contract_no,paid_date,amount\nK1,2024-02-01,100.00\nK1,2024-02-03,-150.00\n"
    paths = [_write(tmp_path, n, t) for n, t in (("lessors.csv", LESSORS), ("contracts.csv", contracts),
                                                  ("payments.csv", payments))]  # fmt: skip
    assert all(r.rejected == 0 for r in import_paths(store_engine, paths))
    result = CliRunner().invoke(
        app, ["run", "daily", "--as-of", "2024-02-10", "--lang", "en", "-w", str(workspace.root)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "1 contracts have reversals larger than what was paid before them" in result.output
    assert "K1 (2024-02-03, 50.00 yuan)" in result.output
    assert "reversed payments" in result.output
    chinese = CliRunner().invoke(
        app, ["run", "daily", "--as-of", "2024-02-10", "-w", str(workspace.root)], env=env
    )
    assert chinese.exit_code == 0, chinese.output
    said = " ".join(chinese.output.split())  # the terminal wraps long lines
    assert "1 份合同的冲正金额大于此前已付金额" in said and "K1 (2024-02-03, 50.00 元)" in said
    assert "冲正付款笔数" in said and "次级类" in said


def test_the_column_wise_engine_builds_stubs_exactly_as_build_schedule() -> None:
    import random

    import polars as pl

    rng = random.Random(7)
    rows = []
    for n in range(300):
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700))
        frequency = rng.choice(["monthly", "quarterly"])
        months = 1 if frequency == "monthly" else 3
        first_due = start + dt.timedelta(days=rng.randrange(5, 31 * months * 2)) if n % 3 else None
        principal = rng.randrange(1_000_00, 50_000_000_00)
        rows.append(
            {
                "contract_no": f"S{n}",
                "lessor": "L1",
                "lessee_id": f"P{n}",
                "start_date": start,
                "term_months": months * rng.randrange(2, 40),
                "principal_fen": principal,
                "annual_rate": f"0.{rng.randrange(0, 1500):04d}",
                "method": rng.choice(["annuity", "equal_principal"]),
                "frequency": frequency,
                "residual_value_fen": rng.choice([0, principal // 10]),
                "first_due_date": first_due,
            }
        )
    contracts = pl.DataFrame(rows)
    book = BookPositions.from_frames(contracts, pl.DataFrame(schema={"contract_no": pl.String, "paid_date": pl.Date,
                                                                     "amount_fen": pl.Int64}))  # fmt: skip
    for row in contracts.with_row_index("contract").iter_rows(named=True):
        expected = build_schedule(
            row["principal_fen"], Decimal(row["annual_rate"]), row["term_months"], row["method"], row["frequency"],
            row["start_date"], row["residual_value_fen"], row["first_due_date"],
        )  # fmt: skip
        got = book.instalments.filter(pl.col("contract") == row["contract"]).sort("number")
        assert got["due_date"].to_list() == [i.due_date for i in expected]
        assert got["interest_fen"].to_list() == [i.interest_fen for i in expected]
        assert got["principal_fen"].to_list() == [i.principal_fen + i.residual_fen for i in expected]


def test_book_schedule_shows_a_contract_its_payments_and_its_irr(loaded: tuple[Engine, Path]) -> None:
    from typer.testing import CliRunner

    from leaseguard.cli.main import app
    from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

    engine, folder = loaded
    env = {HOME_ENV: "", DATABASE_URL_ENV: str(engine.url.render_as_string(hide_password=False))}
    workspace = init_workspace(folder / "ws")
    payments = "contract_no,paid_date,amount\nK1,2024-02-25,11378.19\n"
    assert import_paths(engine, [_write(folder, "payments.csv", payments)])[0].rejected == 0
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["book", "schedule", "K1", "--as-of", "2024-04-01", "--lang", "en", "-w", str(workspace.root)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    # The stub's first instalment (1,104.00 yuan of interest) paid on its day; the second is overdue.
    assert "2024-02-25" in result.output and "1,104.00" in result.output
    assert "active, 7 days past due" in result.output
    assert "internal rate of return: 7." in result.output
    chinese = runner.invoke(
        app, ["book", "schedule", "K1", "--as-of", "2024-04-01", "-w", str(workspace.root)], env=env
    )
    assert chinese.exit_code == 0, chinese.output
    assert "履约中，逾期 7 天" in chinese.output and "内部收益率：名义年化 7." in chinese.output
    assert "应付日" in chinese.output
    missing = runner.invoke(
        app, ["book", "schedule", "K404", "--lang", "en", "-w", str(workspace.root)], env=env
    )
    assert missing.exit_code == 1 and "contract K404 is not in the store" in missing.output
