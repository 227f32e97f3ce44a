"""The ownership check's reasons in words: every finding and match is a `Reason` (a code and its parameters)
and is rendered here, in Chinese or English, when a person reads it. Code compares codes, never these words.

A parameter named in `_SUB_LABELS` holds a code of its own (which identifier, which edit, which note) and is
rendered through its table first; `lessor`, `registered_at`, `active` and `in_file` together say where the
other registration is, rendered as `{where}` and `{state}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, Reason
from leaseguard.vocabulary import VERDICT_LABELS as VOCABULARY_VERDICTS
from leaseguard.vocabulary import VERDICT_LABELS_EN as VOCABULARY_VERDICTS_EN

# The check's verdicts as the vocabulary names them (通过 / 复核 / 拒绝).
VERDICT_LABELS: dict[str, Label] = {
    code: Label(VOCABULARY_VERDICTS[code], VOCABULARY_VERDICTS_EN[code]) for code in VOCABULARY_VERDICTS
}

FIELD_LABELS: dict[str, Label] = {
    "vin": Label("VIN（车架号）", "VIN"),
    "engine_no": Label("发动机号", "engine no"),
    "serial_no": Label("出厂编号", "serial no"),
}

EDIT_LABELS: dict[str, Label] = {
    "identical": Label("相同", "identical"),
    "noise": Label(
        "忽略大小写、全半角、空格和连字符后相同", "identical once case, width, spaces and hyphens are ignored"
    ),
    "ocr": Label("将 OCR 易混字符视为同一字符后相同", "identical once OCR-confusable characters are folded"),
    "substitution": Label("有一个字符不同", "one character changed"),
    "substitution_at": Label("第 {position} 位有一个字符不同", "one character changed at position {position}"),
    "deletion": Label("少了一个字符", "one character dropped"),
    "deletion_at": Label("第 {position} 位少了一个字符", "one character dropped at position {position}"),
    "insertion": Label("多了一个字符", "one character added"),
    "insertion_at": Label("第 {position} 位多了一个字符", "one character added at position {position}"),
    "transposition": Label("相邻字符互换", "neighbouring characters swapped"),
    "transposition_at": Label("第 {position} 位相邻字符互换", "neighbouring characters swapped at position {position}"),
    "two_apart": Label("相差两个字符", "two characters apart"),
}  # fmt: skip

NOTE_LABELS: dict[str, Label] = {
    "": Label("", ""),
    "vin_neighbour": Label(
        "，位于生产序号段且两个校验位均成立（相邻车辆？）",
        " in the production sequence; both check digits hold (a neighbouring vehicle?)",
    ),
    "asked_check_digit_fails": Label("；所查 VIN 的校验位不成立", "; the asked VIN's check digit fails"),
    "registered_check_digit_fails": Label("；已登记 VIN 的校验位不成立", "; the registered VIN's check digit fails"),
    "outside_sequence": Label("；差异不在生产序号段", "; outside the production sequence"),
    "counter_neighbour": Label("，位于生产流水号（相邻产品？）", " in the production counter (a neighbour?)"),
    "not_production": Label("，与生产编号的差异方式不符", ", not as production numbering differs"),
}  # fmt: skip

DIRECTION_LABELS: dict[str, Label] = {
    "above": Label("高于", "above"),
    "below": Label("低于", "below"),
}

_SUB_LABELS: dict[str, dict[str, Label]] = {
    "field": FIELD_LABELS,
    "edit": EDIT_LABELS,
    "note": NOTE_LABELS,
    "direction": DIRECTION_LABELS,
}

_WHERE_STORE = Label(" {lessor}{on}登记的资产", "one registered by {lessor}{on}")
_ON = Label(" 于 {date} ", " on {date}")
_WHERE_FILE = Label("本文件中的资产 {asset_id} ", "asset {asset_id} in this file")
_STATE = {
    True: Label("，融资存续中", ", financing active"),
    False: Label("，融资已结束", ", financing ended"),
}

REASON_LABELS: dict[str, Label] = {
    # Findings on the asset itself.
    "vin_missing": Label("车辆缺少 VIN（车架号）", "a vehicle without a VIN"),
    "vin_length": Label(
        "VIN {vin} 不是 17 位（{length} 位）", "VIN {vin} is not a valid 17-character VIN ({length} characters)"
    ),
    "vin_characters": Label(
        "VIN {vin} 含有 VIN 不使用的字符 {characters}",
        "VIN {vin} is not a valid 17-character VIN (it holds {characters}, which VINs never use)",
    ),
    "vin_check_digit": Label(
        "VIN {vin} 校验位错误：第 9 位为 {found}，应为 {expected}",
        "VIN {vin} check digit fails: position 9 is {found}, expected {expected}",
    ),
    "serial_missing": Label("资产缺少出厂编号", "an asset without a serial number"),
    "invoice_malformed": Label(
        "发票号码既不是 8 位号码配 10/12 位代码，也不是 20 位数电票号码",
        "invoice number is neither 8 digits with a 10/12-digit code nor a 20-digit digital invoice",
    ),
    "price_out_of_range": Label(
        "发票金额 {amount} 元为已登记 {peers} 台{model}中位数（{median} 元）的 {ratio} 倍，{direction}合理区间",
        "invoice amount {amount} yuan is {ratio}× the median ({median} yuan) of {peers} registered {model} "
        "({direction} the plausible range)",
    ),
    # How one identifier compares with another registration's.
    "identifier": Label("{field}{edit}{note}", "{field} {edit}{note}"),
    # What a match means.
    "same_asset": Label("与{where}为同一资产{state}", "the same asset as {where}{state}"),
    "different_lessee": Label("登记的承租人不同", "registered to a different lessee"),
    "probably_same_asset": Label("可能与{where}为同一资产", "probably the same asset as {where}"),
    "neighbour_same_paper": Label(
        "与{where}编号相邻，且发票或采购合同相同",
        "a neighbouring identifier of {where}, with the same invoice or purchase contract",
    ),
    "purchase_contract_reused": Label(
        "采购合同 {contract} 已用于{where}", "purchase contract {contract} already stands behind {where}"
    ),
    "same_invoice": Label("发票相同", "the same invoice"),
    "same_purchase_terms": Label("型号、开票日期和发票金额均相同", "the same model, invoice date and invoice amount"),
    "invoice_reused": Label("发票 {invoice} 已用于另一资产", "invoice {invoice} already stands behind another asset"),
}  # fmt: skip

# Reasons that speak of the other registration's lessee: never shown to another lessor (a guessed lessee
# must learn nothing), and kept out of the consortium's share of a match.
PRIVATE_REASONS = frozenset({"different_lessee"})

# The match kinds (`Match.match_kind`) and finding codes a person may read in a summary.
KIND_LABELS: dict[str, Label] = {
    "vin_exact": Label("VIN 相同", "same VIN"),
    "vin_near": Label("VIN 相近", "near VIN"),
    "engine_no_exact": Label("发动机号相同", "same engine no"),
    "engine_no_near": Label("发动机号相近", "near engine no"),
    "serial_no_exact": Label("出厂编号相同", "same serial no"),
    "serial_no_near": Label("出厂编号相近", "near serial no"),
    "near": Label("编号相近", "near identifier"),
    "invoice_reused": Label("发票重复使用", "invoice reused"),
    "purchase_contract_reused": Label("采购合同重复使用", "purchase contract reused"),
    "vin_missing": Label("缺少 VIN", "VIN missing"),
    "vin_invalid": Label("VIN 无效", "VIN invalid"),
    "serial_missing": Label("缺少出厂编号", "serial missing"),
    "invoice_malformed": Label("发票号码格式错误", "invoice malformed"),
    "price_out_of_range": Label("价格偏离", "price out of range"),
    "different_lessee": Label("承租人不同", "different lessee"),
}


def _where(params: Mapping[str, object], lang: Lang) -> str:
    if params.get("in_file"):
        return _WHERE_FILE.text(lang, asset_id=params["in_file"])
    registered_at = params.get("registered_at")
    on = _ON.text(lang, date=registered_at.isoformat()) if isinstance(registered_at, dt.date) else ""
    if lang == "zh" and not on:
        on = " "
    return _WHERE_STORE.text(lang, lessor=params.get("lessor", ""), on=on)


def reason_text(reason: Reason, lang: Lang = DEFAULT_LANG) -> str:
    """`reason` in words: its code's label, with its coded parameters rendered through their own tables."""
    params: dict[str, object] = dict(reason.params)
    for name, table in _SUB_LABELS.items():
        if name in params:
            code = str(params[name])
            params[name] = table[code].text(lang, **params) if code in table else code
    if "lessor" in params or "in_file" in params:
        params["where"] = _where(params, lang)
        active = params.get("active")
        params["state"] = (
            _STATE[active].text(lang) if isinstance(active, bool) and not params.get("in_file") else ""
        )
    return REASON_LABELS[reason.code].text(lang, **params).strip()


def reason_texts(reasons: Iterable[Reason], lang: Lang = DEFAULT_LANG) -> list[str]:
    return [reason_text(reason, lang) for reason in reasons]


def joined_text(reasons: Iterable[Reason], lang: Lang = DEFAULT_LANG) -> str:
    """Reasons in one cell of a file: separated as each language separates clauses."""
    return ("；" if lang == "zh" else "; ").join(reason_texts(reasons, lang))


def kind_label(code: str, lang: Lang = DEFAULT_LANG) -> str:
    """A match kind or finding code as a person reads it; an unknown code is shown as itself."""
    label = KIND_LABELS.get(code)
    return label.text(lang) if label else code


def verdict_label(verdict: str, lang: Lang = DEFAULT_LANG) -> str:
    label = VERDICT_LABELS.get(verdict)
    return label.text(lang) if label else verdict
