"""The balance-sheet file of one reporting date: capital, liquidity, interbank and investment items, and the
shareholders with their paid-in contributions.

YAML, amounts in yuan with at most 2 decimals (written as numbers or strings), parsed to fen exactly:

    lessor: L001
    as_of: 2026-10-31
    items:
      total_assets: 1234567.89
      ...
    shareholders:
      - {id: 91310000MA1FL00001, name: 某控股, paid_in_contribution: 500000000.00, other_exposure: 0}

Or the XLSX template a finance team fills in Excel (`write_balance_sheet_template`, read back by
`read_balance_sheet_xlsx`): the same items, one line each with its Chinese name, amounts as numbers in yuan;
a bad cell is refused with the file, the sheet, the cell and the reason.

The item names are those of quantities.BALANCE_SHEET_ITEMS. A file is checked as a whole: unknown items,
bad amounts, parts of total_assets that do not add up, and net assets that disagree with assets minus
liabilities are refused with the file, the item and the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from leaseguard.errors import InvalidInputError
from leaseguard.indicators.quantities import BALANCE_SHEET_ITEMS, ITEMS, TOTAL_ASSETS_PARTS
from leaseguard.money import MoneyError, grouped_yuan, parse_fen, yuan_text
from leaseguard.vocabulary import Label
from leaseguard.yaml_text import load_yaml


class BalanceSheetError(InvalidInputError):
    """A balance-sheet file that cannot be used; the message names the file, the item and the reason."""


def said(zh: str, en: str, /, **values: object) -> Label:
    """Words in both languages with their `{…}` filled in: a place in a file, or a problem kept with the sheet."""
    return Label(zh.format(**values), en.format(**values))


def _refused(where: object, zh: str, en: str, /, **values: object) -> BalanceSheetError:
    """The error naming `where` (the file, the item or cell) and then why."""
    return BalanceSheetError(Label("{where}：" + zh, "{where}: " + en), where=where, **values)


@dataclass(frozen=True)
class Shareholder:
    id: str
    name: str
    paid_in_contribution_fen: int
    # Exposure to the shareholder outside the lease book (e.g. guarantees), added to its book exposure.
    other_exposure_fen: int = 0
    # Lessee ids of the shareholder's related parties, whose exposure counts as the shareholder's.
    related_parties: tuple[str, ...] = ()


@dataclass(frozen=True)
class BalanceSheet:
    lessor: str
    as_of: dt.date
    items: dict[str, int]  # fen; only the items the file gives
    shareholders: tuple[Shareholder, ...] = ()
    source: str = "balance sheet"
    digest: str = ""
    problems: tuple[Label, ...] = field(default=())  # inconsistencies kept when read as a draft

    def as_json(self) -> dict[str, Any]:
        return {
            "lessor": self.lessor,
            "as_of": self.as_of.isoformat(),
            "items": dict(self.items),
            "shareholders": [
                {"id": s.id, "name": s.name, "paid_in_contribution_fen": s.paid_in_contribution_fen,
                 "other_exposure_fen": s.other_exposure_fen, "related_parties": list(s.related_parties)}
                for s in self.shareholders
            ],
            "source": self.source,
            "sha256": self.digest,
            "problems": [{"zh": problem.zh, "en": problem.en} for problem in self.problems],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BalanceSheet:
        return cls(
            data["lessor"],
            dt.date.fromisoformat(data["as_of"]),
            {k: int(v) for k, v in data["items"].items()},
            tuple(
                Shareholder(**{**s, "related_parties": tuple(s.get("related_parties", ()))})
                for s in data.get("shareholders", [])
            ),
            data.get("source", "balance sheet"),
            data.get("sha256", ""),
            # Sheets filed before problems were said in two languages kept one text.
            tuple(
                Label(p["zh"], p["en"]) if isinstance(p, dict) else Label(str(p), str(p))
                for p in data.get("problems", [])
            ),
        )


def to_fen(value: Any, where: Label | str) -> int:
    """Yuan with at most 2 decimals → fen, exactly; a float is read through its shortest decimal form. The
    error names `where` in the reader's language, then the amount's problem."""
    try:
        return parse_fen(value, where="\0", negative=True)
    except MoneyError as error:
        reason = Label(*(error.text(lang).removeprefix("\0").lstrip(":：").strip() for lang in ("zh", "en")))
        raise BalanceSheetError(
            Label("{where}：{reason}", "{where}: {reason}"), where=where, reason=reason
        ) from None


def consistency_problems(items: dict[str, int]) -> list[Label]:
    """Totals that disagree with their parts, named by item."""
    problems = []
    given = [p for p in TOTAL_ASSETS_PARTS if p in items]
    if given and "total_assets" in items:
        missing = [p for p in TOTAL_ASSETS_PARTS if p not in items and not ITEMS[p].default_zero]
        if missing:
            problems.append(
                said(
                    "填写了 total_assets 及其组成部分，但缺少组成部分 {missing}",
                    "total_assets is given with its parts, but part(s) {missing} are missing",
                    missing=", ".join(missing),
                )
            )
        else:
            parts = sum(items.get(p, 0) for p in TOTAL_ASSETS_PARTS)
            if parts != items["total_assets"]:
                problems.append(
                    said(
                        "total_assets {total} 不等于其组成部分之和 {parts} = {sum}",
                        "total_assets {total} is not the sum of its parts {parts} = {sum}",
                        total=grouped_yuan(items["total_assets"]),
                        parts=" + ".join(TOTAL_ASSETS_PARTS),
                        sum=grouped_yuan(parts),
                    )
                )
    if {"total_assets", "total_liabilities", "net_assets"} <= items.keys():
        difference = items["total_assets"] - items["total_liabilities"]
        if difference != items["net_assets"]:
            problems.append(
                said(
                    "net_assets {net} 不等于 total_assets − total_liabilities = {difference}",
                    "net_assets {net} is not total_assets − total_liabilities = {difference}",
                    net=grouped_yuan(items["net_assets"]),
                    difference=grouped_yuan(difference),
                )
            )
    if "government_bonds" in items and items["government_bonds"] > items.get("other_assets", 0) + items.get(
        "fixed_income_investments", 0
    ):
        problems.append(
            Label(
                "government_bonds 超过了包含它的 other_assets + fixed_income_investments",
                "government_bonds exceeds other_assets + fixed_income_investments, which hold it",
            )
        )
    return problems


def parse_balance_sheet(text: str, name: str, *, draft: bool = False) -> BalanceSheet:
    """Read a balance-sheet file; inconsistent totals are an error unless `draft`, which keeps them as problems."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise _refused(
            name, "不是有效的 YAML：{reason}", "not valid YAML: {reason}", reason=str(error).splitlines()[0]
        ) from None
    if not isinstance(data, dict):
        raise _refused(
            name,
            "应为包含 lessor、as_of、items、shareholders 的映射",
            "must be a mapping with lessor, as_of, items, shareholders",
        )
    unknown_keys = sorted(set(data) - {"lessor", "as_of", "items", "shareholders", "currency"})
    if unknown_keys:
        raise _refused(name, "未知的键 {keys}", "unknown key(s) {keys}", keys=", ".join(unknown_keys))
    if data.get("currency", "CNY") != "CNY":
        raise _refused(name, "currency：" + _CNY[0], "currency: " + _CNY[1])
    lessor = data.get("lessor")
    if not isinstance(lessor, str) or not lessor.strip():
        raise _refused(name, *_NO_LESSOR)
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise _refused(
                name, "as_of：" + _NOT_A_DATE[0], "as_of: " + _NOT_A_DATE[1], value=as_of
            ) from None
    if not isinstance(as_of, dt.date):
        raise _refused(name, *_NO_AS_OF)
    raw_items = data.get("items")
    if not isinstance(raw_items, dict) or not raw_items:
        raise _refused(
            name,
            "items：缺失（项目名称到金额（元）的映射）",
            "items: missing (a mapping of item name to amount in yuan)",
        )
    items: dict[str, int] = {}
    for key, value in raw_items.items():
        if key not in ITEMS:
            raise _refused(
                name, "项目 {key}：" + _UNKNOWN_ITEM[0], "item {key}: " + _UNKNOWN_ITEM[1], key=key
            )
        if value is None:
            continue
        items[key] = to_fen(value, said("{name}：项目 {key}", "{name}: item {key}", name=name, key=key))
    shareholders = []
    for position, raw in enumerate(data.get("shareholders") or [], start=1):
        where = said(
            "{name}：第 {position} 个股东", "{name}: shareholder {position}", name=name, position=position
        )
        if not isinstance(raw, dict) or not str(raw.get("id", "")).strip():
            raise _refused(
                where, "须有 id、name 和 paid_in_contribution", "needs id, name and paid_in_contribution"
            )
        if "paid_in_contribution" not in raw:
            raise _refused(_holder(where, raw["id"], "paid_in_contribution"), "缺失", "missing")
        shareholders.append(
            Shareholder(
                str(raw["id"]).strip(),
                str(raw.get("name", "")),
                to_fen(raw["paid_in_contribution"], _holder(where, raw["id"], "paid_in_contribution")),
                to_fen(raw.get("other_exposure", 0), _holder(where, raw["id"], "other_exposure")),
                _related_parties(raw.get("related_parties"), _holder(where, raw["id"], "related_parties")),
            )
        )
    return _finish(
        lessor.strip(),
        as_of,
        items,
        shareholders,
        name,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        draft,
    )


_CNY = ("只支持 CNY（金额以元为单位）", "only CNY (amounts in yuan) is supported")
_NO_LESSOR = (
    "lessor：缺失（该资产负债表所属出租人的代码）",
    "lessor: missing (the code of the lessor whose balance sheet it is)",
)
_NO_AS_OF = ("as_of：缺失（报告日期，YYYY-MM-DD）", "as_of: missing (the reporting date, YYYY-MM-DD)")
_NOT_A_DATE = ("{value!r} 不是日期（应为 YYYY-MM-DD）", "{value!r} is not a date (YYYY-MM-DD)")
_UNKNOWN_ITEM = (
    "未知项目（项目清单见 docs/indicators.md）",
    "unknown item (see docs/indicators.md for the list)",
)


def _holder(where: Label, holder_id: object, field_name: str) -> Label:
    """A shareholder's field, named after the shareholder's place and id."""
    return Label(f"{where.zh}（{holder_id}）：{field_name}", f"{where.en} ({holder_id}): {field_name}")


def _finish(
    lessor: str,
    as_of: dt.date,
    items: dict[str, int],
    shareholders: list[Shareholder],
    name: str,
    digest: str,
    draft: bool,
) -> BalanceSheet:
    """The checks every balance-sheet file passes, whatever its format."""
    problems = consistency_problems(items)
    if problems and not draft:
        raise BalanceSheetError(
            Label("{name}：{problem}", "{name}: {problem}"), name=name, problem=problems[0]
        )
    return BalanceSheet(lessor, as_of, items, tuple(shareholders), name, digest, tuple(problems))


def _related_parties(value: object, where: Label) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) and str(v).strip() for v in value):
        raise _refused(where, "应为承租人编号的列表", "a list of lessee ids")
    return tuple(str(v).strip() for v in value)


def read_balance_sheet(path: Path, *, draft: bool = False) -> BalanceSheet:
    """A balance-sheet file: the XLSX template filled in Excel (`.xlsx`), else the YAML file."""
    if path.suffix.lower() == ".xlsx":
        return read_balance_sheet_xlsx(path, draft=draft)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _refused(path, *_CANNOT_READ, reason=error.strerror) from None
    return parse_balance_sheet(text, str(path), draft=draft)


def write_balance_sheet(sheet: BalanceSheet, path: Path) -> None:
    """Write `sheet` as the filled XLSX template (`.xlsx`) or in the YAML format above (amounts as yuan strings
    with 2 decimals)."""
    if path.suffix.lower() == ".xlsx":
        write_balance_sheet_template(path, lessor=sheet.lessor, as_of=sheet.as_of, sheet=sheet)
        return
    data = {
        "lessor": sheet.lessor,
        "as_of": sheet.as_of.isoformat(),
        "currency": "CNY",
        "items": {k: yuan_text(v) for k, v in sheet.items.items()},
        "shareholders": [
            {"id": s.id, "name": s.name, "paid_in_contribution": yuan_text(s.paid_in_contribution_fen),
             "other_exposure": yuan_text(s.other_exposure_fen),
             **({"related_parties": list(s.related_parties)} if s.related_parties else {})}
            for s in sheet.shareholders
        ],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- the XLSX template a finance team fills in Excel -------------------------------------------------------

BALANCE_SHEET_TAB = "资产负债表"
SHAREHOLDERS_TAB = "股东"
SHAREHOLDER_ROWS = 100  # rows formatted and validated for input on the shareholders' sheet
# The Chinese line of each item, as a finance team's own balance sheet names it.
ITEM_LABELS: dict[str, str] = {
    "total_assets": "资产总额", "lease_assets": "融资租赁资产（净额）", "cash_and_deposits": "现金及银行存款",
    "interbank_lending": "拆出资金", "fixed_income_investments": "固定收益类投资", "other_assets": "其他资产",
    "government_bonds": "其中：国债", "entrusted_lease_assets": "委托租赁资产", "total_liabilities": "负债总额",
    "net_assets": "净资产", "cet1_capital": "核心一级资本（扣除前）", "additional_tier1_capital": "其他一级资本",
    "tier2_capital": "二级资本", "capital_deductions": "资本扣除项", "market_risk_capital": "市场风险资本要求",
    "operational_risk_capital": "操作风险资本要求",
    "other_risk_weighted_assets": "租赁业务以外的风险加权资产（已加权）",
    "off_balance_exposure": "表外项目（信用转换后）", "loan_loss_reserves": "实际计提的减值准备",
    "liquid_assets": "流动性资产", "liquid_liabilities": "流动性负债", "available_stable_funding": "可用的稳定资金",
    "required_stable_funding": "所需的稳定资金", "high_quality_liquid_assets": "合格优质流动性资产",
    "net_cash_outflows_30d": "未来30天现金净流出量", "interbank_borrowing": "同业拆入资金",
}  # fmt: skip
_HEAD_NAMES = {"item", "lessor_name", "currency"}
_MACHINE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HOLDER_FIELDS = ("id", "name", "paid_in_contribution", "other_exposure", "related_parties")
_AMOUNT_RULE = "请填写以人民币元为单位的金额：数字，最多两位小数。"
_CANNOT_READ = ("无法读取资产负债表（{reason}）", "cannot read the balance sheet ({reason})")


def write_balance_sheet_template(
    path: Path,
    *,
    lessor: str = "",
    lessor_name: str = "",
    as_of: dt.date | None = None,
    sheet: BalanceSheet | None = None,
) -> None:
    """The balance-sheet workbook a finance team fills in Excel: one line per item with its Chinese name,
    input cells for amounts in yuan (numbers, `#,##0.00`, checked by Excel for two decimals), the lessor and
    the reporting date above, and the shareholders on a second sheet. With `sheet`, its figures are filled in."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from leaseguard.sheets import MONEY_FORMAT, Column, add_table, new_workbook

    given = sheet.items if sheet is not None else {}
    workbook = new_workbook()
    preamble: list[list[Any]] = [
        ["资产负债表（监管指标报送用）— 金额单位：人民币元"],
        ["出租人代码", "lessor", lessor or None],
        ["出租人名称", "lessor_name", lessor_name or None],
        ["报告日期", "as_of", as_of],
        ["币种", "currency", "CNY"],
    ]
    columns = [
        Column("label", "项目"), Column("item", "代码"), Column("amount", "金额（元）", "money_fen"),
        Column("required", "是否必填"), Column("note", "说明"),
    ]  # fmt: skip
    rows = [
        [ITEM_LABELS.get(q.name, q.name), q.name, given.get(q.name),
         "否（不填为 0）" if q.default_zero else "是（指标需要时）", q.meaning]
        for q in BALANCE_SHEET_ITEMS
    ]  # fmt: skip
    placed = add_table(workbook, columns, rows, sheet=BALANCE_SHEET_TAB, preamble=preamble)
    tab = placed.worksheet
    fill = PatternFill("solid", fgColor="FFF2CC")  # where to type
    tab["C2"].number_format = "@"
    tab["C4"].number_format = "yyyy-mm-dd"
    for row in (2, 3, 4):
        tab.cell(row, 3).fill = fill
    last = placed.first_row + placed.count - 1
    for row in range(placed.first_row, last + 1):
        cell = tab.cell(row, 3)
        cell.fill = fill
        cell.number_format = MONEY_FORMAT
    tab["C2"].comment = Comment("出租人代码，与 lessors.csv 的 code 一致（如 L001）。", "leaseguard")
    tab["C4"].comment = Comment("报告日期（YYYY-MM-DD），与 report regulatory --as-of 相同。", "leaseguard")
    amounts = DataValidation(
        type="custom", formula1=f"AND(ISNUMBER(C{placed.first_row}),ROUND(C{placed.first_row},2)=C{placed.first_row})",
        allow_blank=True, showErrorMessage=True, errorTitle="金额", error=_AMOUNT_RULE, showInputMessage=True,
        promptTitle="金额（元）", prompt=_AMOUNT_RULE,
    )  # fmt: skip
    amounts.add(f"C{placed.first_row}:C{last}")
    day = DataValidation(
        type="date", operator="greaterThan", formula1="DATE(2000,1,1)", showErrorMessage=True,
        errorTitle="报告日期", error="请填写日期（YYYY-MM-DD）。",
    )  # fmt: skip
    day.add("C4")
    tab.add_data_validation(amounts)
    tab.add_data_validation(day)
    tab.column_dimensions["E"].width = 60

    holders = [
        [s.id, s.name, s.paid_in_contribution_fen, s.other_exposure_fen, "；".join(s.related_parties) or None]
        for s in (sheet.shareholders if sheet is not None else ())
    ]
    holder_columns = [
        Column("id", "股东代码（统一社会信用代码，与承租人编号一致）"), Column("name", "股东名称"),
        Column("paid_in_contribution", "实缴出资额（元）", "money_fen"),
        Column("other_exposure", "租赁业务以外对该股东的风险暴露（元）", "money_fen"),
        Column("related_parties", "关联方承租人编号（以；分隔）"),
    ]  # fmt: skip
    placed_holders = add_table(
        workbook, holder_columns, holders, sheet=SHAREHOLDERS_TAB,
        preamble=[["股东及其关联方（单一股东关联度）— 每行一名股东，金额单位：人民币元"]],
    )  # fmt: skip
    holder_tab = placed_holders.worksheet
    first = placed_holders.first_row
    for row in range(first, first + SHAREHOLDER_ROWS):
        for column in (1, 2, 3, 4, 5):
            cell = holder_tab.cell(row, column)
            cell.fill = fill
            cell.number_format = MONEY_FORMAT if column in (3, 4) else "@"
    holder_amounts = DataValidation(
        type="custom", formula1=f"AND(ISNUMBER(C{first}),ROUND(C{first},2)=C{first})", allow_blank=True,
        showErrorMessage=True, errorTitle="金额", error=_AMOUNT_RULE,
    )  # fmt: skip
    holder_amounts.add(f"C{first}:D{first + SHAREHOLDER_ROWS - 1}")
    holder_tab.add_data_validation(holder_amounts)
    workbook.save(path)


def read_balance_sheet_xlsx(path: Path, *, draft: bool = False, name: str | None = None) -> BalanceSheet:
    """The filled template: every bad cell is refused with the file, the sheet, the cell and the reason. The
    file is cited as `name` when given (an upload's own name, not the place it was copied to)."""
    import io
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    cited = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _refused(cited, *_CANNOT_READ, reason=error.strerror) from None
    try:
        values = load_workbook(io.BytesIO(data), data_only=True)
        formulas = load_workbook(io.BytesIO(data))
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise _refused(cited, "不是 XLSX 工作簿", "not an XLSX workbook") from None
    if BALANCE_SHEET_TAB not in values.sheetnames:
        raise _refused(
            cited,
            "没有工作表 {sheet}（请用 `leaseguard report balance-sheet --template --out FILE.xlsx` 生成模板）",
            "no sheet {sheet} (write the template with `leaseguard report balance-sheet --template --out FILE.xlsx`)",
            sheet=BALANCE_SHEET_TAB,
        )
    tab, formula_tab = values[BALANCE_SHEET_TAB], formulas[BALANCE_SHEET_TAB]

    def at(sheet: str, cell: str, what: str) -> Label:
        return said(
            "{path}：工作表 {sheet}，单元格 {cell}（{what}）",
            "{path}: sheet {sheet}, cell {cell} ({what})",
            path=cited,
            sheet=sheet,
            cell=cell,
            what=what,
        )

    def where(cell: Any, what: str) -> Label:
        return at(cell.parent.title, cell.coordinate, what)

    def value_of(cell: Any, formula_sheet: Any, what: str) -> Any:
        value = cell.value
        written = formula_sheet[cell.coordinate].value
        if isinstance(written, str) and written.startswith("="):
            if value is None:
                raise _refused(
                    where(cell, what),
                    "公式没有已保存的计算结果；请在 Excel 中打开该文件并保存",
                    "a formula without a saved result; open the file in Excel and save it",
                )
            if isinstance(value, float):
                # A formula's result carries binary noise (0.1 + 0.2); Excel shows it to the cent.
                exact = Decimal(repr(value))
                cents = exact.quantize(Decimal("0.01"))
                return cents if abs(exact - cents) < Decimal("0.000001") else exact
        if isinstance(value, str):
            value = value.strip() or None
        return value

    def amount(cell: Any, formula_sheet: Any, what: str) -> int | None:
        value = value_of(cell, formula_sheet, what)
        if value is None:
            return None
        return to_fen(value, where(cell, what))

    lessor: str | None = None
    as_of: dt.date | None = None
    lessor_cell = as_of_cell = None
    items: dict[str, int] = {}
    for row in tab.iter_rows(min_col=2, max_col=3):
        name_cell, cell = row
        name = str(name_cell.value).strip() if name_cell.value is not None else ""
        if not _MACHINE_NAME.fullmatch(name) or name in _HEAD_NAMES:  # a title, a Chinese header, a blank
            if name == "currency" and cell.value not in (None, "CNY"):
                raise _refused(where(cell, "currency"), *_CNY)
            continue
        if name == "lessor":
            lessor_cell = cell
            value = value_of(cell, formula_tab, "lessor")
            lessor = None if value is None else str(value).strip()
        elif name == "as_of":
            as_of_cell = cell
            as_of = _day(value_of(cell, formula_tab, "as_of"), where(cell, "as_of"))
        elif name in ITEMS:
            fen = amount(cell, formula_tab, name)
            if fen is not None:
                items[name] = fen
        elif cell.value is not None:
            raise _refused(where(name_cell, name), *_UNKNOWN_ITEM)
    if lessor_cell is None or not lessor:
        cell_name = lessor_cell.coordinate if lessor_cell is not None else "lessor"
        raise _refused(
            at(BALANCE_SHEET_TAB, cell_name, "lessor"),
            "缺失（该资产负债表所属出租人的代码）",
            "missing (the code of the lessor whose balance sheet it is)",
        )
    if as_of is None:
        cell_name = as_of_cell.coordinate if as_of_cell is not None else "as_of"
        raise _refused(
            at(BALANCE_SHEET_TAB, cell_name, "as_of"),
            "缺失（报告日期，YYYY-MM-DD）",
            "missing (the reporting date, YYYY-MM-DD)",
        )
    if not items:
        raise _refused(
            cited,
            "工作表 {sheet}：没有填写任何金额（C 列）",
            "sheet {sheet}: no amount is filled in (column C)",
            sheet=BALANCE_SHEET_TAB,
        )
    shareholders: list[Shareholder] = []
    if SHAREHOLDERS_TAB in values.sheetnames:
        holder_tab, formula_holders = values[SHAREHOLDERS_TAB], formulas[SHAREHOLDERS_TAB]
        started = False
        for row in holder_tab.iter_rows(max_col=5):
            if not started:
                started = row[0].value == "id"  # the machine names under the Chinese header
                continue
            cells = list(row) + [None] * (5 - len(row))
            id_cell, _, paid_cell, other_cell, _ = cells
            texts = [
                value_of(c, formula_holders, what) if c is not None else None
                for c, what in zip(cells, _HOLDER_FIELDS, strict=True)
            ]
            if all(t is None for t in texts):
                continue
            assert id_cell is not None and paid_cell is not None
            holder_id = texts[0]
            if holder_id is None:
                raise _refused(where(id_cell, "id"), "缺失（股东代码）", "missing (the shareholder's code)")
            paid = amount(paid_cell, formula_holders, "paid_in_contribution")
            if paid is None:
                raise _refused(where(paid_cell, "paid_in_contribution"), "缺失", "missing")
            other = amount(other_cell, formula_holders, "other_exposure") if other_cell is not None else None
            related = str(texts[4] or "")
            shareholders.append(
                Shareholder(
                    str(holder_id).strip(),
                    str(texts[1] or ""),
                    paid,
                    other or 0,
                    tuple(p.strip() for p in re.split(r"[;；,，]", related) if p.strip()),
                )
            )
    return _finish(lessor, as_of, items, shareholders, cited, hashlib.sha256(data).hexdigest(), draft)


def _day(value: Any, where: Label) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _refused(where, *_NOT_A_DATE, value=value) from None
