"""The import's reasons in words: a rejected value (`RowError`) and a refused file (`FileProblem`) carry a code
and its parameters, and are rendered here, in Chinese or English, when a person reads them. Code and files
for machines compare codes (the error report's `code` column, the API's `code`), never these words.

Parameters hold the values as the file wrote them (text), so a reason quotes what the user typed; a parameter
named in `_JOINED` is a tuple of names, joined as each language lists things.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

# Why one value of one row was rejected (or, for `contract_not_loaded_yet`, loaded with a warning).
ROW_REASONS: dict[str, Label] = {
    # Any column.
    "missing": Label("缺少必填值", "missing required value"),
    "nul": Label("含有 NUL 字节", "contains a NUL byte"),
    "control": Label(
        "标识不得含换行符、制表符或其他控制字符",
        "an identifier may not contain a line break, tab or other control character",
    ),
    "overflow": Label("值多于表头的 {width} 列", "more values than the header's {width} columns"),
    "too_long": Label("超过 {limit} 个字符", "longer than {limit} characters"),
    # A value of a type.
    "not_a_lessor_code": Label(
        "不是出租人代码：'{value}'（字母、数字及 _ . -，最多 32 位）",
        "not a lessor code: '{value}' (letters, digits, _ . - ; at most 32)",
    ),
    "not_a_date": Label("不是 YYYY-MM-DD 格式的日期：'{value}'", "not a date in YYYY-MM-DD form: '{value}'"),
    "impossible_date": Label("不存在的日期 '{value}'", "impossible date '{value}'"),
    "negative_amount": Label("金额为负：{value}", "negative amount {value}"),
    "not_an_amount": Label("不是以元为单位的金额：'{value}'", "not an amount in yuan: '{value}'"),
    "too_many_decimals": Label("小数超过 {places} 位：{value}", "more than {places} decimals: {value}"),
    "implausible_amount": Label(
        "金额 {value} 不合理（超过 {limit} 元）", "implausible amount {value} (over {limit} yuan)"
    ),
    "not_months": Label("不是整月数：'{value}'", "not a whole number of months: '{value}'"),
    "not_a_whole_number": Label("不是整数：'{value}'", "not a whole number: '{value}'"),
    "below_one": Label("不得小于 1", "must be at least 1"),
    "implausible_term": Label(
        "期限 {value} 个月不合理（超过 {limit} 个月，见 import.max_term_months）",
        "implausible term of {value} months (over {limit}; see import.max_term_months)",
    ),
    "negative_rate": Label("利率为负：{value}", "negative rate {value}"),
    "not_a_fraction": Label(
        "不是小数形式的利率：'{value}'（6.85% 应写作 0.0685）",
        "not a decimal fraction: '{value}' (write 6.85% as 0.0685)",
    ),
    "rate_not_below_one": Label(
        "利率 {value} 不小于 1；6.85% 应写作 0.0685", "rate {value} is not below 1; write 6.85% as 0.0685"
    ),
    "not_a_boolean": Label("不是布尔值：'{value}'（true/false）", "not a boolean: '{value}' (true/false)"),
    "not_a_terminal_phone": Label(
        "不是终端手机号：'{value}'（11 至 20 位数字）",
        "not a terminal phone number: '{value}' (11 to 20 digits)",
    ),
    "unknown_choice": Label(
        "未知取值 '{value}'；应为以下之一：{choices}", "unknown value '{value}'; expected one of {choices}"
    ),
    # Columns of one row together.
    "required_for_asset_type": Label(
        "asset_type 为 {asset_type} 时必填", "required for asset_type {asset_type}"
    ),
    "first_due_not_after_start": Label(
        "first_due_date {first_due_date} 不晚于 start_date {start_date}",
        "first_due_date {first_due_date} is not after start_date {start_date}",
    ),
    "restructured_before_start": Label(
        "restructured_date {restructured_date} 早于 start_date {start_date}",
        "restructured_date {restructured_date} is before start_date {start_date}",
    ),
    # What the store holds.
    "unknown_lessor": Label(
        "未知出租人 '{lessor}'（库中和本次导入中都没有）",
        "unknown lessor '{lessor}' (not in the store nor in this load)",
    ),
    "contract_not_in_store": Label(
        "contract_no '{contract_no}' 不在库中", "contract_no '{contract_no}' is not in the store"
    ),
    "contract_of_another_lessor": Label(
        "contract_no 属于另一出租人", "contract_no belongs to another lessor"
    ),
    "contract_not_loaded_yet": Label(
        "contract_no '{contract_no}' 尚不在库中：资产已登记，导入其合同后即关联",
        "contract_no '{contract_no}' is not in the store yet: the asset is registered; load its contract to link it",
    ),
    "paid_before_start": Label(
        "付款日早于合同起租日 {start_date}", "paid before the contract's start date {start_date}"
    ),
    "due_not_after_start": Label(
        "到期日不晚于合同起租日 {start_date}", "due before or on the contract's start date {start_date}"
    ),
    "asset_not_in_store": Label(
        "出租人 {lessor} 的 asset_id '{asset_id}' 不在库中",
        "asset_id '{asset_id}' is not in the store for lessor {lessor}",
    ),
    # A contract's schedule, taken whole or not at all.
    "schedule_line_wrong": Label(
        "本合同租金计划的另一行有误；租金计划须整体导入",
        "another line of this contract's schedule is wrong; a schedule loads whole or not at all",
    ),
    "schedule_numbering": Label(
        "期次须为 1 至 {lines}，不得缺号或重复",
        "instalments must be numbered 1 to {lines} without a gap or repeat",
    ),
    "schedule_dates_not_rising": Label(
        "到期日须随期次递增", "due dates must rise with the instalment number"
    ),
    "schedule_principal": Label(
        "各期本金合计 {principal} 分，合同本金为 {expected} 分",
        "principal sums to {principal} fen, the contract's principal is {expected} fen",
    ),
    # Rows of one file.
    "terminal_bound_elsewhere": Label(
        "终端 {terminal_phone} 自 {installed_on} 起已绑定租赁物 '{asset_id}'（终端同一天只能绑定一项租赁物；"
        "换装到另一租赁物，先在原绑定一行填写 removed_on，新绑定的 installed_on 不早于它）",
        "terminal {terminal_phone} is bound to asset '{asset_id}' since {installed_on} (a terminal is bound to "
        "one asset on any day; to move it, give its old binding a removed_on and the new one an installed_on "
        "not before it)",
    ),
    "terminal_bound_then": Label(
        "终端 {terminal_phone} 在 {installed_on} 至 {removed_on}（不含）绑定租赁物 '{asset_id}'，与本行的期间重叠"
        "（终端同一天只能绑定一项租赁物）",
        "terminal {terminal_phone} was bound to asset '{asset_id}' from {installed_on} until {removed_on} "
        "(exclusive), which overlaps this row's period (a terminal is bound to one asset on any day)",
    ),
    "terminal_of_another_lessor": Label(
        "终端 {terminal_phone} 在本行的期间内绑定了另一出租人的租赁物",
        "terminal {terminal_phone} is bound to another lessor's asset during this row's period",
    ),
    "removed_not_after_installed": Label(
        "removed_on {removed_on} 应晚于 installed_on {installed_on}（绑定到 removed_on 的前一天为止）",
        "removed_on {removed_on} must be after installed_on {installed_on} (a binding holds until the day "
        "before removed_on)",
    ),
    "duplicate_of": Label("与第 {line} 行重复（{names} 相同）", "duplicate of line {line} (same {names})"),
    # Demands and documents on record (enforcement.records: notices.csv, documents.csv, `cases notice`).
    "guarantor_not_named": Label(
        "guarantee_demand 须写明保证人（姓名或证件号码）",
        "a guarantee_demand names the guarantor (name or ID number)",
    ),
    "sent_before_start": Label(
        "{sent_on} 早于合同起租日 {start_date}", "{sent_on} is before the contract's start date {start_date}"
    ),
    "delivered_before_sent": Label(
        "{delivered_on} 早于发出日 sent_on {sent_on}", "{delivered_on} is before sent_on {sent_on}"
    ),
    "negative_days": Label("{value} 不是 ≥ 0 的整数天数", "{value} is not a whole number of days ≥ 0"),
    "contract_or_asset": Label(
        "请写明合同（contract_no）或租赁物（asset_id）",
        "name the contract (contract_no) or the asset (asset_id)",
    ),
    "no_such_file": Label("{path}：文件不存在", "{path}: no such file"),
    "file_unreadable": Label("无法读取：{error}", "cannot be read: {error}"),
    "no_evidence_key": Label(
        "本工作区没有存证日志密钥，无法存证该文件",
        "no evidence-log key in this workspace to deposit the file with",
    ),
}

# Why a whole file was refused: nothing of it loaded.
FILE_PROBLEMS: dict[str, Label] = {
    # Reading it.
    "cannot_read": Label("无法读取文件：{error}", "cannot read the file: {error}"),
    "xls_format": Label(
        "不支持旧的 .xls 格式；请将工作表另存为 .xlsx 或 CSV",
        "the old .xls format is not supported; save the sheet as .xlsx or CSV",
    ),
    "bad_bom": Label(
        "以 UTF-8 字节顺序标记开头，但不是 UTF-8 文本（{error}）",
        "starts with a UTF-8 byte-order mark but is not UTF-8 ({error})",
    ),
    "utf16": Label(
        "文件是 UTF-16 文本；请另存为「CSV UTF-8」", "the file is UTF-16 text; save it as 'CSV UTF-8' instead"
    ),
    "binary": Label(
        "文件是二进制文件，不是 CSV 文本（是否为后缀名错误的电子表格？）",
        "the file is binary, not CSV text (is it a spreadsheet with the wrong suffix?)",
    ),
    "unreadable_encoding": Label(
        "无法识别的编码：文件既不是 UTF-8 也不是 GBK/GB18030 文本",
        "unreadable encoding: the file is neither UTF-8 nor GBK/GB18030 text",
    ),
    "empty_file": Label("文件为空", "the file is empty"),
    "not_valid_csv": Label("不是有效的 CSV：{error}", "not valid CSV: {error}"),
    "unreadable_workbook": Label(
        "不是可读取的 XLSX 工作簿：{error}", "not a readable XLSX workbook: {error}"
    ),
    "unreadable_workbook_part": Label(
        "不是可读取的 XLSX 工作簿：{part}：{error}", "not a readable XLSX workbook: {part}: {error}"
    ),
    "unreadable_workbook_cell": Label(
        "不是可读取的 XLSX 工作簿：{part}，单元格 {cell}：{error}",
        "not a readable XLSX workbook: {part}, cell {cell}: {error}",
    ),
    "no_sheets": Label("工作簿中没有工作表", "the workbook has no sheets"),
    "sheet_unreadable": Label("无法读取第一个工作表", "the first sheet cannot be read"),
    "sheet_partly_read": Label(
        "第一个工作表共 {extent:,} 行，只读到 {read:,} 行；未导入任何数据",
        "read {read:,} rows of the first sheet but it holds {extent:,}; nothing loaded",
    ),
    "empty_sheet": Label("第一个工作表为空", "the first sheet is empty"),
    "rows_out_of_order": Label(
        "第一个工作表中第 {row:,} 行位于第 {last:,} 行之后：行序错乱",
        "row {row:,} comes after row {last:,} in the first sheet: rows out of order",
    ),
    # Limits of a workbook (settings ingest.xlsx.*).
    "too_many_cells": Label(
        "第一个工作表到第 {row:,} 行已有 {cells:,} 个单元格（行数 × 列数，含空单元格），"
        "超过上限 {limit:,} 个（{setting}）",
        "the first sheet has {cells:,} cells (rows × columns, empty ones included) by row {row:,}, over the limit "
        "of {limit:,} cells ({setting})",
    ),
    "cell_too_long": Label(
        "单元格 {cell} 有 {length:,} 个字符，超过上限 {limit:,}（{setting}）",
        "cell {cell} holds {length:,} characters, over the limit of {limit:,} ({setting})",
    ),
    "part_too_large": Label(
        "{part} 解压后为 {megabytes:,.1f} MB，超过上限 {limit:,} MB（{setting}）",
        "{part} unpacks to {megabytes:,.1f} MB, over the limit of {limit:,} MB ({setting})",
    ),
    "compression_ratio": Label(
        "工作簿解压后为压缩大小的 {ratio:,} 倍，超过上限 {limit:,}（{setting}）",
        "the workbook unpacks to {ratio:,} times its packed size, over the limit of {limit:,} ({setting})",
    ),
    # Its header.
    "duplicate_column": Label("表头中列 '{name}' 出现两次", "column '{name}' appears twice in the header"),
    "no_header": Label(
        "没有表头行：第一行不含任何 {kind} 列（{columns}）",
        "no header line: the first line has none of the {kind} columns ({columns})",
    ),
    "missing_column": Label("缺少必填列：{columns}", "missing required column: {columns}"),
    "missing_columns": Label("缺少必填列：{columns}", "missing required columns: {columns}"),
    # Finding and loading it.
    "no_such_path": Label("文件或文件夹不存在", "no such file or directory"),
    "no_data_files": Label(
        "没有找到数据文件（文件名应以 {kinds} 开头，.csv 或 .xlsx；或使用 --kind 指定类型）",
        "no data files found (name it {kinds} (.csv or .xlsx) or pass --kind)",
    ),
    "unknown_kind": Label(
        "无法从文件名或表头判断文件类型（文件名应以 {kinds} 开头，.csv 或 .xlsx；或使用 --kind 指定类型）",
        "cannot tell the file kind from its name or header (name it {kinds} (.csv or .xlsx) or pass --kind)",
    ),
    "database_error": Label(
        "未导入，未做任何更改：数据库错误：{error}", "not loaded, nothing changed: database error: {error}"
    ),
}

# What became of a file that was read: its counts, in one line (kept with the run in import_runs).
OUTCOMES: dict[str, Label] = {
    "summary": Label(
        "读取 {read:,} 行：新增 {inserted:,}，更新 {updated:,}，未变 {unchanged:,}，拒绝 {rejected:,}",
        "{read:,} rows read: {inserted:,} inserted, {updated:,} updated, {unchanged:,} unchanged, "
        "{rejected:,} rejected",
    ),
    "summary_columns_not_stored": Label(
        "读取 {read:,} 行：新增 {inserted:,}，更新 {updated:,}，未变 {unchanged:,}，拒绝 {rejected:,}；"
        "未保存的列（{kind} 表不保存额外列）：{columns}",
        "{read:,} rows read: {inserted:,} inserted, {updated:,} updated, {unchanged:,} unchanged, "
        "{rejected:,} rejected; columns not stored (the {kind} table keeps no extras): {columns}",
    ),
}

# A refused file's message names it first.
REFUSED = Label("{file}：{problem}", "{file}: {problem}")

# Parameters that list names, and how each language joins them.
_JOINED: dict[str, Label] = {
    "names": Label("、", " and "),
    "choices": Label("、", ", "),
    "columns": Label("、", ", "),
    "kinds": Label("、", ", "),
}


def rendered_params(params: Mapping[str, object], lang: Lang = DEFAULT_LANG) -> dict[str, object]:
    """`params` ready for a label in `lang`: lists of names joined, Labels said in `lang`."""
    rendered: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, Label):
            rendered[name] = value.text(lang)
        elif isinstance(value, tuple | list) and name in _JOINED:
            rendered[name] = _JOINED[name].text(lang).join(str(item) for item in value)
        else:
            rendered[name] = value
    return rendered


def reason_text(code: str, params: Mapping[str, object], lang: Lang = DEFAULT_LANG) -> str:
    """A row's reason in words; a code without a label (free text of an older caller) is shown as itself."""
    label = ROW_REASONS.get(code)
    return label.text(lang, **rendered_params(params, lang)) if label else code


def outcome_text(code: str, params: Mapping[str, object], lang: Lang = DEFAULT_LANG) -> str:
    """A file's outcome or problem in words; an unknown code is shown as itself."""
    label = OUTCOMES.get(code) or FILE_PROBLEMS.get(code)
    return label.text(lang, **rendered_params(params, lang)) if label else code


def param_names(label: Label) -> frozenset[str]:
    """The parameters a label's texts name, so a reason keeps only those it says."""
    return frozenset(
        field for template in (label.zh, label.en) for _, field, _, _ in Formatter().parse(template) if field
    )


def file_message(file: str, code: str, params: Mapping[str, object], lang: Lang = DEFAULT_LANG) -> str:
    """A file's outcome in words; a problem that refused the file is said after the file's name."""
    text = outcome_text(code, params, lang)
    return REFUSED.text(lang, file=file, problem=text) if code in FILE_PROBLEMS else text
