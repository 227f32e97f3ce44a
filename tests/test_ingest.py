"""Importing data-contract files into the store, on SQLite and PostgreSQL: good paths, idempotency, updates,
row-level and file-level errors, encodings, XLSX and the import_runs record."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError

from leaseguard.ingest import FileReport, RowError, import_paths, loading, write_error_report
from leaseguard.store.models import Contract, Lessor, Payment

LESSORS = "code,name\nALPHA,Alpha Leasing\nBETA,Beta Leasing\n"
CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,"
    "method,frequency"
)
ASSET_HEADER = "asset_id,lessor,asset_type,vin,serial_no,lessee_id,lessee_name,contract_no,invoice_amount"
PAYMENT_HEADER = "contract_no,paid_date,amount"
VALUATION_HEADER = "asset_id,lessor,valuation_date,disposal_value"


def contract(number: str, lessor: str = "ALPHA", principal: str = "360000.00", **changes: str) -> str:
    values = {
        "contract_no": number,
        "lessor": lessor,
        "lessee_id": "91110000600037341L",
        "lessee_name": "甲物流有限公司",
        "lessee_type": "enterprise",
        "start_date": "2024-01-15",
        "term_months": "36",
        "principal": principal,
        "annual_rate": "0.0685",
        "method": "annuity",
        "frequency": "monthly",
    } | changes
    return ",".join(values[name] for name in CONTRACT_HEADER.split(","))


def csv_file(folder: Path, name: str, header: str, *rows: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def load(engine: Engine, *paths: Path, **options: Any) -> list[FileReport]:
    return import_paths(engine, list(paths), **options)


def only(reports: list[FileReport]) -> FileReport:
    assert len(reports) == 1, reports
    return reports[0]


def counts(report: FileReport) -> tuple[int, int, int, int, int]:
    return report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected


def table_rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f"select * from {table} order by id"))]


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


@pytest.fixture
def book(tmp_path: Path, store_engine: Engine) -> Path:
    """A store holding lessors ALPHA and BETA and contracts C1, C2 of ALPHA and C3 of BETA."""
    folder = tmp_path / "book"
    folder.mkdir()
    csv_file(folder, "lessors.csv", *LESSORS.splitlines())
    csv_file(folder, "contracts.csv", CONTRACT_HEADER, contract("C1"), contract("C2"), contract("C3", "BETA"))
    reports = load(store_engine, folder)
    assert [r.status for r in reports] == ["loaded", "loaded"], reports
    return folder


# --- good paths ---------------------------------------------------------------------------------------------


def test_every_kind_loads_from_a_folder_in_dependency_order(tmp_path: Path, store_engine: Engine) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # Written in reverse order: the folder must still load lessors first and valuations last.
    csv_file(folder, "valuations_2024.csv", VALUATION_HEADER, "A1,ALPHA,2024-06-30,250000.5")
    csv_file(folder, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,11019.96", "C1,2024-03-15,11019.96")
    csv_file(
        folder,
        "assets.csv",
        ASSET_HEADER,
        "A1,ALPHA,vehicle,LSVAA4I82E2184847,,91110000600037341L,甲物流有限公司,C1,300000",
        "A2,ALPHA,Machinery,,SY-215 0042,91110000600037341L,甲物流有限公司,,",
    )
    csv_file(
        folder,
        "contracts.csv",
        CONTRACT_HEADER + ",related_party,residual_value,group_id",
        contract("C1") + ",是,100.00,G1",
    )
    csv_file(folder, "lessors.csv", *LESSORS.splitlines())
    (folder / "notes.txt").write_text("not a data file", encoding="utf-8")

    reports = load(store_engine, folder)

    assert [(r.kind, r.status) for r in reports] == [
        ("lessors", "loaded"),
        ("contracts", "loaded"),
        ("assets", "loaded"),
        ("payments", "loaded"),
        ("valuations", "loaded"),
    ]
    assert [r.inserted for r in reports] == [2, 1, 2, 2, 1]
    assert all(r.encoding == "utf-8" and not r.errors for r in reports)
    with store_engine.connect() as connection:
        row = connection.execute(
            text(
                "select lessor, principal_fen, annual_rate, related_party, start_date, residual_value_fen, "
                "deposit_fen, group_id, industry from contracts where contract_no = 'C1'"
            )
        ).one()
        assert row.lessor == "ALPHA"
        assert row.principal_fen == 36_000_000
        assert Decimal(str(row.annual_rate)).quantize(Decimal("0.000001")) == Decimal("0.068500")
        assert bool(row.related_party) is True
        assert str(row.start_date) == "2024-01-15"
        assert (row.residual_value_fen, row.deposit_fen, row.group_id, row.industry) == (
            10_000,
            0,
            "G1",
            None,
        )
        assets = connection.execute(
            text(
                "select asset_id, asset_type, vin, serial_no, contract_no, invoice_amount_fen "
                "from assets order by asset_id"
            )
        ).all()
        # Identifiers are kept exactly as written (the I in the VIN, the space in the serial).
        assert [tuple(a) for a in assets] == [
            ("A1", "vehicle", "LSVAA4I82E2184847", None, "C1", 30_000_000),
            ("A2", "machinery", None, "SY-215 0042", None, None),
        ]
        payments = connection.execute(
            text("select contract_no, lessor, paid_date, amount_fen, seq from payments order by paid_date")
        ).all()
        assert [(p.lessor, str(p.paid_date), p.amount_fen, p.seq) for p in payments] == [
            ("ALPHA", "2024-02-15", 1_101_996, 1),
            ("ALPHA", "2024-03-15", 1_101_996, 1),
        ]
        valuation = connection.execute(
            text("select lessor, asset_id, disposal_value_fen from valuations")
        ).one()
        assert tuple(valuation) == ("ALPHA", "A1", 25_000_050)


def test_kind_comes_from_the_header_when_the_name_says_nothing(book: Path, store_engine: Engine) -> None:
    export = csv_file(book, "export-0601.csv", PAYMENT_HEADER, "C1,2024-02-15,100")
    report = only(load(store_engine, export))
    assert (report.kind, report.status, report.inserted) == ("payments", "loaded", 1)


def test_files_known_by_their_header_also_load_in_dependency_order(
    tmp_path: Path, store_engine: Engine
) -> None:
    contracts = csv_file(tmp_path, "export-1.csv", CONTRACT_HEADER, contract("N1", "NEW1"))
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "name"])
    workbook.active.append(["NEW1", "New Leasing"])
    workbook.save(tmp_path / "export-2.xlsx")
    reports = load(store_engine, contracts, tmp_path / "export-2.xlsx")
    assert [(r.kind, r.status) for r in reports] == [("lessors", "loaded"), ("contracts", "loaded")]


def test_kind_option_overrides_the_file_name(book: Path, store_engine: Engine) -> None:
    odd = csv_file(book, "contracts-payments.csv", PAYMENT_HEADER, "C1,2024-02-15,100")
    report = only(load(store_engine, odd, kind="payments"))
    assert (report.kind, report.status, report.inserted) == ("payments", "loaded", 1)


def test_identical_payments_on_one_day_are_numbered_and_reload_unchanged(
    book: Path, store_engine: Engine
) -> None:
    payments = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,500", "C1,2024-02-15,500.00")
    first = only(load(store_engine, payments))
    again = only(load(store_engine, payments))
    assert counts(first) == (2, 2, 0, 0, 0)
    assert counts(again) == (2, 0, 0, 2, 0)
    with store_engine.connect() as connection:
        assert connection.execute(text("select seq from payments order by seq")).scalars().all() == [1, 2]


def test_extra_columns_are_kept_as_json(book: Path, store_engine: Engine) -> None:
    path = csv_file(
        book, "contracts.csv", CONTRACT_HEADER + ",branch,备注", contract("C9") + ",Shanghai,  首付已收 "
    )
    report = only(load(store_engine, path))
    assert report.status == "loaded"
    with store_engine.connect() as connection:
        extra = connection.execute(select(Contract.extra).where(Contract.contract_no == "C9")).scalar_one()
    assert extra == {"branch": "Shanghai", "备注": "首付已收"}
    assert counts(only(load(store_engine, path))) == (1, 0, 0, 1, 0)


def test_lessors_extra_columns_are_kept_as_json(book: Path, store_engine: Engine) -> None:
    path = csv_file(
        book, "lessors_parties.csv", "code,name,uscc,address,legal_representative",
        "ALPHA,Alpha Leasing,91110000600037341L,北京市朝阳区建国路1号,张伟", "BETA,Beta Leasing,,,",
    )  # fmt: skip
    report = only(load(store_engine, path))
    assert report.status == "loaded" and report.rejected == 0
    assert report.code == "summary"  # not summary_columns_not_stored: the lessors table keeps extras
    with store_engine.connect() as connection:
        extras = dict(connection.execute(select(Lessor.code, Lessor.extra).order_by(Lessor.code)).all())
    assert extras == {
        "ALPHA": {
            "uscc": "91110000600037341L",
            "address": "北京市朝阳区建国路1号",
            "legal_representative": "张伟",
        },
        "BETA": {"uscc": None, "address": None, "legal_representative": None},
    }
    assert counts(only(load(store_engine, path))) == (2, 0, 0, 2, 0)
    # A lessors.csv without extras leaves the stored ones alone.
    assert counts(only(load(store_engine, book / "lessors.csv"))) == (2, 0, 0, 2, 0)
    with store_engine.connect() as connection:
        kept = connection.execute(select(Lessor.extra).where(Lessor.code == "ALPHA")).scalar_one()
    assert kept["uscc"] == "91110000600037341L"


def test_progress_reaches_the_row_count(book: Path, store_engine: Engine) -> None:
    calls: list[tuple[str, int, int]] = []
    path = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,1", "C1,2024-02-16,1", "C1,x,1")
    load(store_engine, path, progress=lambda name, done, total: calls.append((name, done, total)))
    assert calls[0] == ("payments.csv", 0, 3)
    assert calls[-1] == ("payments.csv", 3, 3)
    assert all(done <= total for _, done, total in calls)


# --- idempotency and updates --------------------------------------------------------------------------------


def test_loading_the_same_files_twice_changes_nothing(book: Path, store_engine: Engine) -> None:
    csv_file(
        book,
        "assets.csv",
        ASSET_HEADER,
        "A1,ALPHA,vehicle,LSVAA4182E2184847,,91110000600037341L,甲,C1,1.5",
        "A2,BETA,medical,,MRI-9,91110000600037341L,乙,C3,",
    )
    csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,11019.96", "C3,2024-02-15,1")
    csv_file(book, "valuations.csv", VALUATION_HEADER, "A1,ALPHA,2024-06-30,1000", "A2,BETA,2024-06-30,0")
    first = load(store_engine, book)
    tables = ("lessors", "contracts", "assets", "payments", "valuations")
    before = {table: table_rows(store_engine, table) for table in tables if table != "lessors"}
    lessors_before = scalar(store_engine, "select count(*) from lessors")

    second = load(store_engine, book)

    assert [r.status for r in first] == ["loaded"] * 5
    assert [counts(r) for r in second] == [(r.rows_read, 0, 0, r.rows_read, 0) for r in first]
    assert [r.rows_read for r in second] == [2, 3, 2, 2, 2]
    assert {table: table_rows(store_engine, table) for table in before} == before
    assert scalar(store_engine, "select count(*) from lessors") == lessors_before


def test_a_changed_value_updates_only_that_row(book: Path, store_engine: Engine) -> None:
    before = {row[1]: row for row in table_rows(store_engine, "contracts")}
    changed = csv_file(
        book,
        "contracts.csv",
        CONTRACT_HEADER,
        contract("C1", principal="350000"),
        contract("C2"),
        contract("C3", "BETA"),
    )
    report = only(load(store_engine, changed))
    assert counts(report) == (3, 0, 1, 2, 0)
    after = {row[1]: row for row in table_rows(store_engine, "contracts")}
    assert after["C1"][0] == before["C1"][0]  # same id: updated in place
    assert scalar(store_engine, "select principal_fen from contracts where contract_no = 'C1'") == 35_000_000
    assert after["C2"] == before["C2"] and after["C3"] == before["C3"]


def test_a_column_the_file_lacks_is_left_as_stored(book: Path, store_engine: Engine) -> None:
    with_industry = csv_file(
        book, "contracts.csv", CONTRACT_HEADER + ",industry", contract("C1") + ",logistics"
    )
    assert counts(only(load(store_engine, with_industry))) == (1, 0, 1, 0, 0)
    without = csv_file(book, "contracts.csv", CONTRACT_HEADER, contract("C1"))
    assert counts(only(load(store_engine, without))) == (1, 0, 0, 1, 0)
    assert scalar(store_engine, "select industry from contracts where contract_no = 'C1'") == "logistics"


# --- row-level errors: the bad row is named, the good rows around it still load ---------------------------

ROW_CASES = [
    # (file, header, bad row, column, code, reason in Chinese, reason in English)
    ("contracts.csv", CONTRACT_HEADER, contract("C7", lessee_name=""), "lessee_name", "missing",
     "缺少必填值", "missing required value"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", term_months="twelve"), "term_months", "not_months",
     "不是整月数：'twelve'", "not a whole number of months: 'twelve'"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", term_months="9999"), "term_months", "implausible_term",
     "期限 9999 个月不合理（超过 240 个月，见 import.max_term_months）",
     "implausible term of 9999 months (over 240; see import.max_term_months)"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", start_date="2024/01/15"), "start_date", "not_a_date",
     "不是 YYYY-MM-DD 格式的日期：'2024/01/15'", "not a date in YYYY-MM-DD form: '2024/01/15'"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", start_date="2023-02-30"), "start_date", "impossible_date",
     "不存在的日期 '2023-02-30'", "impossible date '2023-02-30'"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", principal="-100.00"), "principal", "negative_amount",
     "金额为负：-100.00", "negative amount -100.00"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", principal="100.125"), "principal", "too_many_decimals",
     "小数超过 2 位：100.125", "more than 2 decimals: 100.125"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", principal="12万"), "principal", "not_an_amount",
     "不是以元为单位的金额：'12万'", "not an amount in yuan: '12万'"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", lessee_type="company"), "lessee_type", "unknown_choice",
     "未知取值 'company'；应为以下之一：enterprise、individual",
     "unknown value 'company'; expected one of enterprise, individual"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", annual_rate="6.85"), "annual_rate", "rate_not_below_one",
     "利率 6.85 不小于 1；6.85% 应写作 0.0685", "rate 6.85 is not below 1; write 6.85% as 0.0685"),
    ("contracts.csv", CONTRACT_HEADER, contract("C7", lessor="GAMMA"), "lessor", "unknown_lessor",
     "未知出租人 'GAMMA'（库中和本次导入中都没有）", "unknown lessor 'GAMMA' (not in the store nor in this load)"),
    ("contracts.csv", CONTRACT_HEADER, contract("C3", lessor="ALPHA"), "contract_no", "contract_of_another_lessor",
     "contract_no 属于另一出租人", "contract_no belongs to another lessor"),
    ("payments.csv", PAYMENT_HEADER, "C404,2024-02-15,100", "contract_no", "contract_not_in_store",
     "contract_no 'C404' 不在库中", "contract_no 'C404' is not in the store"),
    ("payments.csv", PAYMENT_HEADER, "C1,2024-02-15,-0.015", "amount", "too_many_decimals",
     "小数超过 2 位：-0.015", "more than 2 decimals: -0.015"),
    ("payments.csv", PAYMENT_HEADER, "C1,2024-02-15,--1", "amount", "not_an_amount",
     "不是以元为单位的金额：'--1'", "not an amount in yuan: '--1'"),
    ("payments.csv", PAYMENT_HEADER, "C1,2024-02-15,abc", "amount", "not_an_amount",
     "不是以元为单位的金额：'abc'", "not an amount in yuan: 'abc'"),
    ("payments.csv", PAYMENT_HEADER, "C1,,100", "paid_date", "missing", "缺少必填值", "missing required value"),
    ("assets.csv", ASSET_HEADER, "A7,ALPHA,vehicle,,SN1,91110000600037341L,甲,C1,", "vin",
     "required_for_asset_type", "asset_type 为 vehicle 时必填", "required for asset_type vehicle"),
    ("assets.csv", ASSET_HEADER, "A7,ALPHA,machinery,LSVAA4182E2184847,,91110000600037341L,甲,C1,", "serial_no",
     "required_for_asset_type", "asset_type 为 machinery 时必填", "required for asset_type machinery"),
    ("assets.csv", ASSET_HEADER, "A7,ALPHA,boat,,SN1,91110000600037341L,甲,C1,", "asset_type", "unknown_choice",
     "未知取值 'boat'；应为以下之一：vehicle、machinery、medical、equipment、other",
     "unknown value 'boat'; expected one of vehicle, machinery, medical, equipment, other"),
    ("assets.csv", ASSET_HEADER, "A7,ALPHA,other,,SN1,91110000600037341L,甲,C3,", "contract_no",
     "contract_of_another_lessor", "contract_no 属于另一出租人", "contract_no belongs to another lessor"),
    ("valuations.csv", VALUATION_HEADER, "A404,ALPHA,2024-06-30,10", "asset_id", "asset_not_in_store",
     "出租人 ALPHA 的 asset_id 'A404' 不在库中", "asset_id 'A404' is not in the store for lessor ALPHA"),
]  # fmt: skip

GOOD_ROWS = {
    "contracts.csv": (contract("C5"), contract("C6")),
    "payments.csv": ("C1,2024-02-15,1", "C2,2024-02-15,2"),
    "assets.csv": (
        "A5,ALPHA,vehicle,LSVAA4182E2184847,,91110000600037341L,甲,C1,",
        "A6,ALPHA,equipment,,EQ-1,91110000600037341L,甲,,",
    ),
    "valuations.csv": ("A5,ALPHA,2024-06-30,10", "A6,ALPHA,2024-06-30,20"),
}


@pytest.mark.parametrize(
    ("name", "header", "bad_row", "column", "code", "chinese", "english"),
    ROW_CASES,
    ids=[f"{case[0].split('.')[0]}-{case[3]}-{case[4]}" for case in ROW_CASES],
)
def test_a_bad_row_is_reported_and_the_good_rows_load(
    book: Path,
    store_engine: Engine,
    name: str,
    header: str,
    bad_row: str,
    column: str,
    code: str,
    chinese: str,
    english: str,
) -> None:
    if name == "valuations.csv":
        csv_file(book, "assets.csv", ASSET_HEADER, *GOOD_ROWS["assets.csv"])
        assert only(load(store_engine, book / "assets.csv")).status == "loaded"
    first, last = GOOD_ROWS[name]
    path = csv_file(book, name, header, first, bad_row, last)
    report = only(load(store_engine, path))

    assert report.status == "partial"
    assert counts(report) == (3, 2, 0, 0, 1)
    [error] = report.errors
    assert (error.file, error.line, error.column, error.code) == (str(path), 3, column, code)
    assert (error.reason, error.text("en")) == (chinese, english)
    assert str(error) == f"{path}:3: {column}: {chinese}"
    assert report.message.startswith("读取 3 行：新增 2")
    assert report.message_text("en").startswith("3 rows read: 2 inserted")
    assert report.code == "summary"


def test_an_asset_of_a_contract_not_loaded_yet_is_registered_with_a_warning(
    book: Path, store_engine: Engine
) -> None:
    """The register holds other lessors' assets whatever their contracts (issue 17): an asset naming a contract
    the store does not hold yet is loaded and the import says so, naming the line; another lessor's contract
    is still refused."""
    path = csv_file(book, "assets.csv", ASSET_HEADER, "A7,ALPHA,other,,SN7,91110000600037341L,甲,C404,",
                    "A8,ALPHA,other,,SN8,91110000600037341L,甲,C3,")  # fmt: skip
    report = only(load(store_engine, path))
    assert report.errors == [RowError(str(path), 3, "contract_no", "contract_of_another_lessor")]
    assert report.warnings == [
        RowError(str(path), 2, "contract_no", "contract_not_loaded_yet", {"contract_no": "C404"})
    ]
    [warning] = report.warnings
    assert warning.reason == "contract_no 'C404' 尚不在库中：资产已登记，导入其合同后即关联"
    assert warning.text("en") == (
        "contract_no 'C404' is not in the store yet: the asset is registered; load its contract to link it"
    )
    assert scalar(store_engine, "select contract_no from assets where asset_id = 'A7'") == "C404"


def test_an_over_long_row_is_reported(book: Path, store_engine: Engine) -> None:
    path = csv_file(
        book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,1", "C1,2024-02-16,1,000", "C1,2024-02-17,1"
    )
    report = only(load(store_engine, path))
    assert report.errors == [RowError(str(path), 3, "column 4", "overflow", {"width": 3})]
    assert report.errors[0].reason == "值多于表头的 3 列"
    assert report.errors[0].text("en") == "more values than the header's 3 columns"
    assert counts(report) == (3, 2, 0, 0, 1)


def test_a_duplicate_key_rejects_the_later_row_naming_the_first(book: Path, store_engine: Engine) -> None:
    path = csv_file(
        book, "contracts.csv", CONTRACT_HEADER, contract("C8"), contract("C9"), contract("C8", principal="1")
    )
    report = only(load(store_engine, path))
    assert report.errors == [
        RowError(str(path), 4, "contract_no", "duplicate_of", {"line": "2", "names": ("contract_no",)})
    ]
    assert report.errors[0].reason == "与第 2 行重复（contract_no 相同）"
    assert report.errors[0].text("en") == "duplicate of line 2 (same contract_no)"
    assert scalar(store_engine, "select principal_fen from contracts where contract_no = 'C8'") == 36_000_000


def test_a_duplicate_asset_key_names_both_key_columns(book: Path, store_engine: Engine) -> None:
    row = "A1,ALPHA,other,,SN1,91110000600037341L,甲,,"
    path = csv_file(book, "assets.csv", ASSET_HEADER, row, row.replace("A1,ALPHA", "A1,BETA"), row)
    report = only(load(store_engine, path))
    [error] = report.errors
    assert (error.line, error.column, error.code) == (4, "asset_id", "duplicate_of")
    assert error.reason == "与第 2 行重复（lessor、asset_id 相同）"
    assert error.text("en") == "duplicate of line 2 (same lessor and asset_id)"
    assert report.inserted == 2


def test_a_row_may_refer_to_a_lessor_loaded_earlier_in_the_same_call(
    tmp_path: Path, store_engine: Engine
) -> None:
    lessors = csv_file(tmp_path, "lessors.csv", "code,name", "NEW1,New Leasing")
    contracts = csv_file(tmp_path, "contracts.csv", CONTRACT_HEADER, contract("N1", "NEW1"))
    reports = load(store_engine, contracts, lessors)  # given in the wrong order on purpose
    assert [(r.kind, r.status) for r in reports] == [("lessors", "loaded"), ("contracts", "loaded")]


def test_another_lessors_contract_is_never_overwritten(book: Path, store_engine: Engine) -> None:
    before = table_rows(store_engine, "contracts")
    path = csv_file(book, "contracts.csv", CONTRACT_HEADER, contract("C3", "ALPHA", principal="1"))
    report = only(load(store_engine, path))
    assert report.status == "rejected"
    assert report.errors == [RowError(str(path), 2, "contract_no", "contract_of_another_lessor")]
    assert table_rows(store_engine, "contracts") == before


# --- file-level errors: the file changes nothing ------------------------------------------------------------


def assert_refused(report: FileReport, code: str, *fragments: str, english: tuple[str, ...] = ()) -> None:
    """Refused whole for the problem `code`: its message names the file and says `fragments` in Chinese (the
    default) and `english` when asked in English."""
    assert report.status == "rejected"
    assert report.failed_as_a_whole
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 0)
    assert report.code == code
    assert report.message == report.message_text("zh")
    for fragment in (report.file, *fragments):
        assert fragment in report.message, report.message
    for fragment in (report.file, *english):
        assert fragment in report.message_text("en"), report.message_text("en")


def test_missing_required_columns_are_named_and_nothing_changes(book: Path, store_engine: Engine) -> None:
    before = table_rows(store_engine, "contracts")
    path = csv_file(
        book,
        "contracts.csv",
        "contract_no,lessor,lessee_id,lessee_name,start_date",
        "C1,ALPHA,X,Y,2024-01-01",
    )
    report = only(load(store_engine, path))
    assert_refused(
        report,
        "missing_columns",
        f"{path}：缺少必填列：lessee_type、term_months、principal、annual_rate、method",
        english=(
            f"{path}: missing required columns: lessee_type, term_months, principal, annual_rate, method",
        ),
    )
    assert table_rows(store_engine, "contracts") == before


def test_an_empty_file_is_refused(book: Path, store_engine: Engine) -> None:
    path = book / "payments.csv"
    path.write_bytes(b"  \n\n")
    assert_refused(only(load(store_engine, path)), "empty_file", "文件为空", english=("the file is empty",))


def test_a_file_without_a_header_is_refused(book: Path, store_engine: Engine) -> None:
    path = book / "payments.csv"
    path.write_text("C1,2024-02-15,100\nC1,2024-02-16,100\n", encoding="utf-8")
    assert_refused(
        only(load(store_engine, path)),
        "no_header",
        "没有表头行",
        "contract_no、paid_date、amount",
        english=("no header line", "contract_no, paid_date, amount"),
    )
    assert scalar(store_engine, "select count(*) from payments") == 0


def test_an_undecodable_file_is_refused(book: Path, store_engine: Engine) -> None:
    path = book / "payments.csv"
    path.write_bytes(b"contract_no,paid_date,amount\nC1,2024-02-15,\xff\xff100\n")
    assert_refused(only(load(store_engine, path)), "unreadable_encoding", "无法识别的编码")


def test_a_file_of_unknown_kind_is_refused(book: Path, store_engine: Engine) -> None:
    path = csv_file(book, "export.csv", "foo,bar", "1,2")
    report = only(load(store_engine, path))
    assert_refused(
        report,
        "unknown_kind",
        "无法从文件名或表头判断文件类型",
        "lessors*、contracts*",
        english=("cannot tell the file kind", "lessors*, contracts*"),
    )
    assert report.kind == "unknown"


def test_a_missing_path_is_reported_not_raised(tmp_path: Path, store_engine: Engine) -> None:
    report = only(load(store_engine, tmp_path / "nope.csv"))
    assert_refused(
        report,
        "no_such_path",
        "nope.csv：文件或文件夹不存在",
        english=("nope.csv: no such file or directory",),
    )


def test_a_database_error_rolls_the_whole_file_back(
    book: Path, store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table_rows(store_engine, "contracts")
    real_record_run = loading.record_run
    calls = {"n": 0}

    def failing_once(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # after the upsert ran, before the transaction commits
            raise OperationalError("insert into import_runs", {}, Exception("disk I/O error"))
        real_record_run(*args, **kwargs)

    monkeypatch.setattr(loading, "record_run", failing_once)
    path = csv_file(book, "contracts.csv", CONTRACT_HEADER, contract("C1", principal="1"), contract("C77"))
    report = only(load(store_engine, path))
    assert_refused(
        report,
        "database_error",
        "数据库错误",
        "disk I/O error",
        "未做任何更改",
        english=("database error", "disk I/O error", "nothing changed"),
    )
    assert table_rows(store_engine, "contracts") == before
    assert scalar(store_engine, "select status from import_runs order by id desc limit 1") == "rejected"


def test_every_file_is_recorded_in_import_runs(book: Path, store_engine: Engine) -> None:
    good = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,1", "C1,2024-02-15,x")
    bad = csv_file(book, "payments-bad.csv", "contract_no", "C1")
    load(store_engine, good, bad)
    with store_engine.connect() as connection:
        runs = connection.execute(
            text(
                "select file_name, kind, encoding, status, rows_read, rows_inserted, rows_rejected, file_sha256 "
                "from import_runs where kind = 'payments' order by id"
            )
        ).all()
    assert [tuple(run)[:7] for run in runs] == [
        (str(good), "payments", "utf-8", "partial", 2, 1, 1),
        (str(bad), "payments", "utf-8", "rejected", 1, 0, 1),
    ]
    assert all(len(run.file_sha256) == 64 for run in runs)


# --- encodings and spreadsheets -----------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "reported"), [("gbk", "gbk"), ("utf-8-sig", "utf-8-sig")])
def test_gbk_and_bom_files_are_accepted(
    book: Path, store_engine: Engine, encoding: str, reported: str
) -> None:
    path = csv_file(
        book,
        "contracts.csv",
        CONTRACT_HEADER,
        contract("C9", lessee_name="北京某某设备租赁有限公司"),
        encoding=encoding,
    )
    report = only(load(store_engine, path))
    assert (report.status, report.encoding) == ("loaded", reported)
    assert (
        scalar(store_engine, "select lessee_name from contracts where contract_no = 'C9'")
        == "北京某某设备租赁有限公司"
    )


def test_an_xlsx_sheet_with_real_dates_and_numbers_loads_exactly(book: Path, store_engine: Engine) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["contract_no", "paid_date", "amount", "channel"])
    sheet.append(["C1", dt.date(2024, 2, 15), 11019.96, "bank"])  # a float that is not exact in binary
    sheet.append([None, None, None, None])  # an empty row: skipped, but rows below keep their numbers
    sheet.append(["C1", "2024-03-15", 0.1 + 0.2, None])  # binary noise beyond Excel's 15 digits
    sheet.append(["C2", dt.datetime(2024, 4, 15), 1000, "cash"])
    sheet.append(["C2", dt.date(2024, 5, 15), 12.345, None])
    path = book / "payments.xlsx"
    workbook.save(path)

    report = only(load(store_engine, path))

    assert (report.encoding, report.status) == ("xlsx", "partial")
    assert report.errors == [
        RowError(str(path), 6, "amount", "too_many_decimals", {"places": 2, "value": "12.345"})
    ]
    with store_engine.connect() as connection:
        stored = connection.execute(
            select(Payment.contract_no, Payment.paid_date, Payment.amount_fen, Payment.extra).order_by(
                Payment.paid_date
            )
        ).all()
    assert [(p.contract_no, str(p.paid_date), p.amount_fen, p.extra) for p in stored] == [
        ("C1", "2024-02-15", 1_101_996, {"channel": "bank"}),
        ("C1", "2024-03-15", 30, {"channel": None}),
        ("C2", "2024-04-15", 100_000, {"channel": "cash"}),
    ]
    assert counts(only(load(store_engine, path))) == (4, 0, 0, 3, 1)


def test_the_error_report_lists_every_rejected_row_and_refused_file(book: Path, store_engine: Engine) -> None:
    """The CSV keeps its columns file,line,column,reason (a contract) and adds each reason's code; the reason
    is in the language asked for, Chinese unless told (issues 16 and 17)."""
    partial = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-30,1", "C404,2024-02-01,1")
    refused = csv_file(book, "payments-x.csv", "amount", "1")
    reports = load(store_engine, partial, refused)
    out = book / "errors.csv"
    assert write_error_report(reports, out) == 3
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese right only with a BOM
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines == [
        ["file", "line", "column", "reason", "code"],
        [str(partial), "2", "paid_date", "不存在的日期 '2024-02-30'", "impossible_date"],
        [str(partial), "3", "contract_no", "contract_no 'C404' 不在库中", "contract_not_in_store"],
        [str(refused), "", "", f"{refused}：缺少必填列：contract_no、paid_date", "missing_columns"],
    ]
    english = book / "errors-en.csv"
    assert write_error_report(reports, english, "en") == 3
    with english.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1:] == [
        [str(partial), "2", "paid_date", "impossible date '2024-02-30'", "impossible_date"],
        [str(partial), "3", "contract_no", "contract_no 'C404' is not in the store", "contract_not_in_store"],
        [
            str(refused),
            "",
            "",
            f"{refused}: missing required columns: contract_no, paid_date",
            "missing_columns",
        ],
    ]


def test_an_import_run_keeps_its_message_as_code_and_parameters(book: Path, store_engine: Engine) -> None:
    """import_runs keeps the message in Chinese and as code and parameters, so a reader is told it in theirs."""
    good = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,1", "C1,2024-02-15,x")
    refused = csv_file(book, "payments-bad.csv", "contract_no", "C1")
    load(store_engine, good, refused)
    with store_engine.connect() as connection:
        runs = connection.execute(
            text(
                "select message, message_code, message_params from import_runs where kind = 'payments' order by id"
            )
        ).all()
    (loaded_message, loaded_code, loaded_params), (refused_message, refused_code, refused_params) = runs
    assert (loaded_code, refused_code) == ("summary", "missing_columns")
    assert loaded_message == "读取 2 行：新增 1，更新 0，未变 0，拒绝 1"
    assert as_json(loaded_params) == {"read": 2, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert refused_message == f"{refused}：缺少必填列：paid_date、amount"
    assert as_json(refused_params) == {"columns": ["paid_date", "amount"]}


def as_json(stored: Any) -> Any:
    """A JSON column as read by plain SQL: text on SQLite, decoded already on PostgreSQL."""
    return json.loads(stored) if isinstance(stored, str) else stored


def test_a_payment_before_its_contracts_start_is_refused_and_the_rest_loads(
    book: Path, store_engine: Engine
) -> None:
    # C1 starts on 2024-01-15.
    path = csv_file(book, "payments.csv", PAYMENT_HEADER, "C1,2024-01-14,100", "C1,2024-01-15,100")
    report = only(load(store_engine, path))
    assert (report.inserted, report.rejected) == (1, 1)
    [error] = report.errors
    assert (error.line, error.column, error.code) == (2, "paid_date", "paid_before_start")
    assert error.reason == "付款日早于合同起租日 2024-01-15"
    assert "before the contract's start date 2024-01-15" in error.text("en")


def test_a_small_file_is_checked_against_the_rows_it_names_with_the_same_verdicts(
    book: Path, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payments file of a few rows reads those rows' contracts by key, not the lessor's whole book; each row
    gets the verdict it gets against the whole book (another lessor's contract, an unknown one, a payment
    before the start, a good one)."""
    from leaseguard.ingest.kinds import PAYMENTS
    from leaseguard.ingest.reading import read_table
    from leaseguard.ingest.validation import Named, validate

    path = csv_file(
        tmp_path, "payments.csv", PAYMENT_HEADER, "C1,2024-02-15,100.00", "C3,2024-02-15,100.00",
        "NOPE,2024-02-15,100.00", "C2,2023-12-01,100.00", " C2 ,2024-03-15,50.00",
    )  # fmt: skip
    table = read_table(path)

    def verdicts() -> tuple[list[tuple[int, str, str]], list[tuple[Any, ...]]]:
        with store_engine.connect() as connection:
            checked = validate(
                PAYMENTS, table, lambda named: loading.read_references(connection, PAYMENTS, "ALPHA", named),
                file=path.name,
            )  # fmt: skip
        return [(e.line, e.column, e.reason) for e in checked.errors], checked.rows.rows()

    by_key = verdicts()
    monkeypatch.setattr(loading, "NAMED_LOOKUP_LIMIT", 0)  # every reference read whole, as before
    assert verdicts() == by_key
    assert [(line, column) for line, column, _ in by_key[0]] == [(3, "contract_no"), (4, "contract_no"),
                                                                 (5, "paid_date")]  # fmt: skip
    monkeypatch.undo()
    with store_engine.connect() as connection:
        named = loading.read_references(connection, PAYMENTS, "ALPHA", Named(frozenset({"C1", "C3", "NOPE"})))
        whole = loading.read_references(connection, PAYMENTS, "ALPHA")
    assert named.contracts.get_column("contract_no").to_list() == ["C1"]
    assert sorted(whole.contracts.get_column("contract_no").to_list()) == ["C1", "C2"]
