"""The balance-sheet template a finance team fills in Excel (issue 17): `report balance-sheet --template` writes
it, `report regulatory --balance-sheet bs.xlsx` reads it back. Filled here with openpyxl as Excel would, the
report it gives equals the report of the same figures written as YAML; a bad cell is refused in one line
naming the file, the sheet, the cell and the reason, and nothing is filed."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from leaseguard.indicators.balance_sheet import (
    BALANCE_SHEET_TAB,
    ITEM_LABELS,
    SHAREHOLDERS_TAB,
    BalanceSheetError,
    read_balance_sheet,
    write_balance_sheet,
)
from leaseguard.indicators.quantities import ITEMS
from leaseguard.synth.balance_sheet import synthetic_balance_sheet
from leaseguard.workspace import Workspace
from test_report_formats import DAY, LESSOR, legal_name, refused, run, stored, template_root, workspace

__all__ = ["template_root", "workspace"]  # the fixtures, shared with test_report_formats

REGULATORY = ("report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR, "--rules", "nfra-2024")


def _template(workspace: Workspace, tmp_path: Path) -> Path:
    out = tmp_path / "bs.xlsx"
    output = run(workspace, "report", "balance-sheet", "--template", "--out", str(out), "--lessor", LESSOR,
                 "--as-of", DAY.isoformat())  # fmt: skip
    assert str(out) in " ".join(output.split())
    return out


def _rows_by_item(sheet: Any) -> dict[str, int]:
    return {row[1].value: row[1].row for row in sheet.iter_rows(max_col=3) if isinstance(row[1].value, str)}


def _fill(template: Path, figures: dict[str, Any], out: Path) -> Path:
    """The template filled as a finance team would: amounts typed as numbers, the shareholders' lines."""
    workbook = load_workbook(template)
    sheet = workbook[BALANCE_SHEET_TAB]
    rows = _rows_by_item(sheet)
    for item, amount in figures["items"].items():
        sheet.cell(rows[item], 3, Decimal(str(amount)))
    holders = workbook[SHAREHOLDERS_TAB]
    first = next(r[0].row for r in holders.iter_rows(max_col=1) if r[0].value == "id") + 1
    for offset, holder in enumerate(figures["shareholders"]):
        holders.cell(first + offset, 1, holder["id"])
        holders.cell(first + offset, 2, holder["name"])
        holders.cell(first + offset, 3, Decimal(str(holder["paid_in_contribution"])))
        holders.cell(first + offset, 4, Decimal(str(holder.get("other_exposure", 0))))
        holders.cell(first + offset, 5, "；".join(holder.get("related_parties", [])) or None)
    workbook.save(out)
    return out


def test_the_template_has_chinese_lines_input_cells_and_checks(workspace: Workspace, tmp_path: Path) -> None:
    template = _template(workspace, tmp_path)
    workbook = load_workbook(template)
    assert workbook.sheetnames == [BALANCE_SHEET_TAB, SHAREHOLDERS_TAB]
    sheet = workbook[BALANCE_SHEET_TAB]
    rows = _rows_by_item(sheet)
    assert sheet.cell(rows["lessor"], 3).value == LESSOR
    assert sheet.cell(rows["lessor_name"], 3).value == legal_name(workspace)
    assert sheet.cell(rows["as_of"], 3).value.date() == DAY
    for item in ITEMS:
        row = rows[item]
        label = sheet.cell(row, 1).value
        assert label == ITEM_LABELS[item] and re.search(r"[\u4e00-\u9fff]", label), item
        amount = sheet.cell(row, 3)
        assert amount.value is None and amount.number_format == "#,##0.00", item
    header = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "item")
    assert not any(
        "_fen" in str(value) for row in sheet.iter_rows(values_only=True) for value in row if value
    )
    assert sheet.freeze_panes is not None and int(sheet.freeze_panes[1:]) == rows["total_assets"]
    assert header[2] == "amount"
    checked = " ".join(str(v.sqref) for v in sheet.data_validations.dataValidation)
    assert f"C{rows['total_assets']}" in checked and f"C{rows['as_of']}" in checked
    amount_check = next(v for v in sheet.data_validations.dataValidation if v.type == "custom")
    assert "ROUND" in amount_check.formula1 and "元" in (amount_check.error or "")
    holders = workbook[SHAREHOLDERS_TAB]
    names = next(row for row in holders.iter_rows(values_only=True) if row[0] == "id")
    assert list(names) == ["id", "name", "paid_in_contribution", "other_exposure", "related_parties"]
    first = next(r[0].row for r in holders.iter_rows(max_col=1) if r[0].value == "id") + 1
    assert holders.cell(first, 3).number_format == "#,##0.00"


def test_a_filled_template_reports_as_the_same_figures_in_yaml(workspace: Workspace, tmp_path: Path) -> None:
    figures = yaml.safe_load((workspace.root / "balance-sheets" / f"{DAY}.yaml").read_text("utf-8"))
    filled = _fill(_template(workspace, tmp_path), figures, tmp_path / "filled.xlsx")
    from_yaml, from_xlsx = tmp_path / "yaml.json", tmp_path / "xlsx.json"
    run(workspace, *REGULATORY, "--format", "json", "--out", str(from_yaml))
    run(workspace, *REGULATORY, "--format", "json", "--out", str(from_xlsx), "--balance-sheet", str(filled))
    yaml_report, xlsx_report = (json.loads(p.read_text("utf-8")) for p in (from_yaml, from_xlsx))
    assert xlsx_report["indicators"] == yaml_report["indicators"]
    assert [i["status"] for i in xlsx_report["indicators"]] and not xlsx_report["draft"]
    sheets = [json.loads(s) if isinstance(s, str) else s for (s,) in
              stored(workspace, "select balance_sheet from indicator_reports order by id")]  # fmt: skip
    assert sheets[0]["items"] == sheets[1]["items"] and sheets[0]["shareholders"] == sheets[1]["shareholders"]
    assert sheets[1]["source"] == str(filled)
    # Found without --balance-sheet where the YAML would be: balance-sheets/<LESSOR>/<DATE>.xlsx.
    own = workspace.root / "balance-sheets" / LESSOR / f"{DAY}.xlsx"
    own.parent.mkdir()
    filled.rename(own)
    (workspace.root / "balance-sheets" / f"{DAY}.yaml").unlink()
    again = tmp_path / "again.json"
    run(workspace, *REGULATORY, "--format", "json", "--out", str(again))
    assert json.loads(again.read_text("utf-8"))["indicators"] == yaml_report["indicators"]


@pytest.mark.parametrize(
    ("item", "typed", "reason"),
    [
        ("lease_assets", "12.345", "'12.345'"),  # more than 2 decimals, in the words of leaseguard.money
        ("total_liabilities", "八百万", "'八百万'"),  # not an amount in yuan
        ("as_of", "2025-13-01", "'2025-13-01' 不是日期（应为 YYYY-MM-DD）"),
        ("lessor", None, "缺失（该资产负债表所属出租人的代码）"),
        ("cet1_capital", "=C9+", "公式没有已保存的计算结果"),
    ],
)
def test_a_bad_cell_is_named_and_nothing_is_filed(
    workspace: Workspace, tmp_path: Path, item: str, typed: str | None, reason: str
) -> None:
    figures = yaml.safe_load((workspace.root / "balance-sheets" / f"{DAY}.yaml").read_text("utf-8"))
    filled = _fill(_template(workspace, tmp_path), figures, tmp_path / "filled.xlsx")
    workbook = load_workbook(filled)
    sheet = workbook[BALANCE_SHEET_TAB]
    row = _rows_by_item(sheet)[item]
    sheet.cell(row, 3).value = typed  # cell(row, column, None) would leave the value as it is
    workbook.save(filled)
    line = refused(workspace, *REGULATORY, "--balance-sheet", str(filled), "--out", str(tmp_path / "r.html"))
    assert f"{filled}：工作表 {BALANCE_SHEET_TAB}，单元格 C{row}（{item}）：" in line and reason in line, line
    assert line.endswith("（如仍要写出标为 DRAFT 的报告，请用 --draft）")
    if item == "as_of":
        english = refused(workspace, *REGULATORY, "--balance-sheet", str(filled), "--out", str(tmp_path / "r.html"),
                          "--lang", "en")  # fmt: skip
        assert (
            f"{filled}: sheet {BALANCE_SHEET_TAB}, cell C{row} (as_of): '2025-13-01' is not a date" in english
        )
        assert english.endswith("(use --draft to write a report marked DRAFT anyway)")
    assert stored(workspace, "select count(*) from indicator_reports") == [(0,)]
    assert not (tmp_path / "r.html").exists()


def test_a_shareholder_without_its_contribution_is_named(tmp_path: Path) -> None:
    sheet = synthetic_balance_sheet(LESSOR, DAY, lease_receivables_fen=10**12, required_provisions_fen=10**9,
                                    shareholder_ids=("S1", "S2"), seed=3)  # fmt: skip
    path = tmp_path / "bs.xlsx"
    write_balance_sheet(sheet, path)
    workbook = load_workbook(path)
    holders = workbook[SHAREHOLDERS_TAB]
    first = next(r[0].row for r in holders.iter_rows(max_col=1) if r[0].value == "id") + 1
    holders.cell(first + 1, 3).value = None
    workbook.save(path)
    with pytest.raises(BalanceSheetError) as caught:
        read_balance_sheet(path)
    assert (
        str(caught.value)
        == f"{path}：工作表 {SHAREHOLDERS_TAB}，单元格 C{first + 1}（paid_in_contribution）：缺失"
    )
    assert (
        caught.value.text("en")
        == f"{path}: sheet {SHAREHOLDERS_TAB}, cell C{first + 1} (paid_in_contribution): missing"
    )


def test_a_synthetic_balance_sheet_reads_back_the_same_from_xlsx_and_yaml(tmp_path: Path) -> None:
    sheet = synthetic_balance_sheet(
        LESSOR, DAY, lease_receivables_fen=123_456_789_01, required_provisions_fen=98_765_43,
        shareholder_ids=("S1", "S2"), seed=7,
    )  # fmt: skip
    write_balance_sheet(sheet, tmp_path / "bs.yaml")
    write_balance_sheet(sheet, tmp_path / "bs.xlsx")
    from_yaml, from_xlsx = read_balance_sheet(tmp_path / "bs.yaml"), read_balance_sheet(tmp_path / "bs.xlsx")
    assert from_xlsx.items == from_yaml.items == sheet.items
    assert from_xlsx.shareholders == from_yaml.shareholders
    assert (from_xlsx.lessor, from_xlsx.as_of) == (LESSOR, DAY)
    cells = load_workbook(tmp_path / "bs.xlsx")[BALANCE_SHEET_TAB]
    amounts = [
        row[2] for row in cells.iter_rows(max_col=3) if row[1].value in ITEMS and row[2].value is not None
    ]
    assert amounts and all(isinstance(c.value, int | float) for c in amounts)


def test_the_template_options_are_checked_in_one_line(workspace: Workspace, tmp_path: Path) -> None:
    assert "应写入 .xlsx 文件" in refused(
        workspace, "report", "balance-sheet", "--template", "--out", str(tmp_path / "bs.yaml")
    )
    assert "the template is a workbook, written to a .xlsx file" in refused(
        workspace, "report", "balance-sheet", "--template", "--out", str(tmp_path / "bs.yaml"), "--lang", "en"
    )
    assert "须给出 --as-of 和 --lessor" in refused(
        workspace, "report", "balance-sheet", "--out", str(tmp_path / "bs.yaml")
    )
    assert "--lessor 'L999'：库中没有该出租人" in refused(
        workspace,
        "report",
        "balance-sheet",
        "--template",
        "--lessor",
        "L999",
        "--out",
        str(tmp_path / "bs.xlsx"),
    )
    blank = tmp_path / "blank.xlsx"
    run(workspace, "report", "balance-sheet", "--template", "--out", str(blank))
    with pytest.raises(BalanceSheetError, match=r"单元格 C2（lessor）：缺失"):
        read_balance_sheet(blank)
