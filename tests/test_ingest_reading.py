"""Reading and validating data files without a database: encodings, line numbers, spreadsheet cells, kinds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from leaseguard.ingest.kinds import CONTRACTS, PAYMENTS, kind_from_file_name, kind_from_header
from leaseguard.ingest.reading import cell_text, decode, read_table
from leaseguard.ingest.reports import FileProblem, RowError
from leaseguard.ingest.validation import References, validate

KNOWN = References(
    lessors=frozenset({"ALPHA"}),
    contracts=pl.DataFrame({"contract_no": ["C1"], "lessor": ["ALPHA"]}),
)


def payments(tmp_path: Path, text: str, name: str = "payments.csv") -> tuple[Path, list[RowError], int]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    checked = validate(PAYMENTS, read_table(path), KNOWN, file=str(path))
    return path, checked.errors, checked.rows.height


def test_line_numbers_count_physical_lines_through_quoted_line_breaks(tmp_path: Path) -> None:
    text = 'contract_no,paid_date,amount,note\r\nC1,2024-01-01,1,"two\r\nlines"\r\n\r\nC1,2024-01-02,x,\r\n'
    path, errors, good = payments(tmp_path, text)
    assert errors == [RowError(str(path), 5, "amount", "not_an_amount", {"value": "x"})]
    assert good == 1


def test_blank_lines_and_comma_only_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "\ncontract_no,paid_date,amount\n\n,,\nC1,2024-01-01,1\n   \nC1,2024-01-01,-x\n\n"
    path, errors, good = payments(tmp_path, text)
    assert errors == [RowError(str(path), 7, "amount", "not_an_amount", {"value": "-x"})]
    assert errors[0].reason == "不是以元为单位的金额：'-x'"
    assert good == 1


def test_values_are_trimmed_including_full_width_spaces(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("contract_no , paid_date ,amount\n\u3000C1 , 2024-01-01 , 12.50 \n", encoding="utf-8")
    checked = validate(PAYMENTS, read_table(path), KNOWN, file=str(path))
    assert checked.errors == []
    assert checked.rows.select("contract_no", "amount_fen").row(0) == ("C1", 1250)


@pytest.mark.parametrize(
    ("amount", "fen"),
    [("0", 0), ("0.5", 50), ("12.30", 1230), ("12.300", 1230), ("99999999999.99", 9_999_999_999_999)],
)
def test_amounts_become_exact_fen(tmp_path: Path, amount: str, fen: int) -> None:
    path, errors, _ = payments(tmp_path, f"contract_no,paid_date,amount\nC1,2024-01-01,{amount}\n")
    checked = validate(PAYMENTS, read_table(path), KNOWN, file=str(path))
    assert errors == []
    assert checked.rows["amount_fen"].to_list() == [fen]


def test_an_implausible_amount_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(
        "contract_no,paid_date,amount\nC1,2024-01-01,1000.01\nC1,2024-01-02,1000\n", encoding="utf-8"
    )
    checked = validate(PAYMENTS, read_table(path), KNOWN, file=str(path), max_amount_yuan=1000)
    assert checked.errors == [
        RowError(str(path), 2, "amount", "implausible_amount", {"value": "1000.01", "limit": 1000})
    ]
    assert checked.errors[0].reason == "金额 1000.01 不合理（超过 1000 元）"
    assert checked.errors[0].text("en") == "implausible amount 1000.01 (over 1000 yuan)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("是", True),
        ("YES", True),
        ("1", True),
        ("否", False),
        ("no", False),
        ("0", False),
        ("", False),
    ],
)
def test_booleans_accept_common_spellings(tmp_path: Path, value: str, expected: bool) -> None:
    header = (
        "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate"
    )
    row = "C9,ALPHA,X,Y,enterprise,2024-01-01,12,100,0.05"
    path = tmp_path / "contracts.csv"
    path.write_text(
        f"{header},method,frequency,related_party\n{row},annuity,monthly,{value}\n", encoding="utf-8"
    )
    checked = validate(CONTRACTS, read_table(path), KNOWN, file=str(path))
    assert checked.errors == []
    assert checked.rows["related_party"].to_list() == [expected]


def test_encodings_are_detected() -> None:
    assert decode("合同".encode())[1] == "utf-8"
    assert decode(b"\xef\xbb\xbf" + "合同".encode())[1] == "utf-8-sig"
    assert decode("合同".encode("gbk")) == ("合同", "gbk")
    assert decode("𠮷".encode("gb18030")) == ("𠮷", "gb18030")  # outside GBK
    with pytest.raises(FileProblem, match="UTF-16") as refused:
        decode("a,b".encode("utf-16"))
    assert refused.value.code == "utf16"
    assert str(refused.value) == "文件是 UTF-16 文本；请另存为「CSV UTF-8」"
    assert refused.value.text("en") == "the file is UTF-16 text; save it as 'CSV UTF-8' instead"


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("contract_no,paid_date,amount,Amount\nC1,2024-01-01,1,2\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="表头中列 'Amount' 出现两次") as refused:
        validate(PAYMENTS, read_table(path), KNOWN, file=str(path))
    assert (refused.value.code, refused.value.params) == ("duplicate_column", {"name": "Amount"})
    assert refused.value.text("en") == "column 'Amount' appears twice in the header"


def test_an_unnamed_empty_column_is_ignored_and_a_named_extra_kept(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("contract_no,paid_date,amount,,memo,\nC1,2024-01-01,1,,m,\n", encoding="utf-8")
    checked = validate(PAYMENTS, read_table(path), KNOWN, file=str(path))
    assert checked.rows["extra"].to_list() == ['{"memo":"m"}']


def test_spreadsheet_cells_read_as_typed() -> None:
    assert cell_text(11019.96) == "11019.96"
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(1e-5) == "0.00001"
    assert cell_text(360000.0) == "360000"
    assert cell_text(12) == "12"
    assert cell_text(True) == "true"
    assert cell_text(dt.datetime(2024, 2, 15)) == "2024-02-15"
    assert cell_text(dt.datetime(2024, 2, 15, 9, 30)) == "2024-02-15 09:30:00"
    assert cell_text(dt.date(2024, 2, 15)) == "2024-02-15"
    assert cell_text(None) is None


def test_kinds_from_names_and_headers() -> None:
    assert kind_from_file_name("Payments_2024-06.csv") is PAYMENTS
    assert kind_from_file_name("book.csv") is None
    assert kind_from_header(["contract_no", "paid_date", "amount", "memo"]) is PAYMENTS
    assert (
        kind_from_header(
            [
                "Contract_No",
                "lessor",
                "lessee_id",
                "lessee_name",
                "lessee_type",
                "start_date",
                "term_months",
                "principal",
                "annual_rate",
                "method",
                "frequency",
            ]
        )
        is CONTRACTS
    )
    assert kind_from_header(["foo"]) is None
