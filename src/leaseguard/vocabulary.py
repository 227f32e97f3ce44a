"""The words of the trade, one home each: the codes code and rule files use, and the Chinese a person reads.

Code compares codes (`"substandard"`, `"filing"`), never display text; anything shown to a person is
rendered from a code through the labels here. Importing this module costs nothing (no dependencies), so the
command line can name the choices in its help without loading the engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# The languages a person may read leaseguard in: Chinese first (the shipped default, `lang:` in
# leaseguard.yaml), English on request (`--lang en`, a user's setting in the console).
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


@dataclass(frozen=True, slots=True)
class Label:
    """One thing said in each language; `{name}` fields are filled from a reason's parameters."""

    zh: str
    en: str

    def text(self, lang: Lang = DEFAULT_LANG, **params: object) -> str:
        template = self.zh if lang == "zh" else self.en
        return template.format(**params) if params else template

    def filled(self, **params: object) -> Label:
        """The label with its values filled in, in each language (a value that is a Label in the same language):
        nothing left to fill, so it can be a value of another label, or said as it is, whatever it holds."""

        def said(lang: Lang) -> str:
            values = {
                name: value.text(lang) if isinstance(value, Label) else value
                for name, value in params.items()
            }
            return self.text(lang, **values)

        return Label(said("zh"), said("en"))


@dataclass(frozen=True, slots=True)
class Reason:
    """Why something was decided, as code and parameters; the words are rendered, never compared."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, labels: Mapping[str, Label], lang: Lang = DEFAULT_LANG) -> str:
        return labels[self.code].text(lang, **self.params)


def label_of(
    labels: Mapping[str, str], english: Mapping[str, str], code: str, lang: Lang = DEFAULT_LANG
) -> str:
    """A code's label from a Chinese table and its English twin; an unknown code is shown as itself."""
    table = labels if lang == "zh" else english
    return table.get(code, code)


def lang_of(value: object) -> Lang:
    """A language setting or option checked: 'zh' or 'en', else an InvalidInputError (a ValueError) naming the
    choices, in both languages."""
    if value in LANGS:
        return value
    # Imported here: leaseguard.errors imports this module, which must stay free of dependencies.
    from leaseguard.errors import InvalidInputError

    raise InvalidInputError(
        Label("语言 {value!r} 不在可选范围内（{choices}）", "language {value!r} is not one of {choices}"),
        value=value,
        choices=", ".join(LANGS),
    )


# Five-category classification of leased assets (租赁资产五级分类).
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
NON_PERFORMING = frozenset({"substandard", "doubtful", "loss"})
CLASS_LABELS = {
    "normal": "正常类", "special_mention": "关注类", "substandard": "次级类", "doubtful": "可疑类", "loss": "损失类",
}  # fmt: skip
CLASS_LABELS_EN = {
    "normal": "Normal", "special_mention": "Special mention", "substandard": "Substandard", "doubtful": "Doubtful",
    "loss": "Loss",
}  # fmt: skip
# Lease types (contracts.csv's optional lease_type; the product of a contract without its own `product`).
LEASE_TYPE_LABELS = {"direct": "直租", "sale_leaseback": "售后回租"}
LEASE_TYPE_LABELS_EN = {"direct": "Direct lease", "sale_leaseback": "Sale and leaseback"}

# Early-warning signals (warning/signals.py), in the order the call list names them; broken_promise is raised on
# the console's call list (usecases/collections.py), not by the warning model: the contract's newest promise to
# pay fell due and the payments since it was made do not cover it.
BROKEN_PROMISE = "broken_promise"
SIGNAL_LABELS = {
    "first_missed_payment": "首次逾期", "worse_dpd_bucket": "逾期档位恶化", "collateral_drop": "租赁物价值下降",
    "arrears_elsewhere": "在其他成员处逾期", "industry_concentration": "行业集中度超限", BROKEN_PROMISE: "承诺未履行",
}  # fmt: skip
SIGNAL_LABELS_EN = {
    "first_missed_payment": "first missed payment", "worse_dpd_bucket": "worse DPD bucket",
    "collateral_drop": "collateral value fell", "arrears_elsewhere": "in arrears at another member",
    "industry_concentration": "industry concentration over the limit", BROKEN_PROMISE: "broken promise to pay",
}  # fmt: skip
# Tracking signals: a location alert of the contract's asset is open (tracking/alerts.py, one per kind of alert;
# tracking/signals.py turns the open alerts into a column each, as warning/signals.py's).
TRACKING_SIGNALS = (
    "tracking_power_cut", "tracking_power_low", "tracking_antenna_cut", "tracking_tamper", "tracking_left_region",
    "tracking_silent", "tracking_still", "tracking_diverged",
)  # fmt: skip
SIGNAL_LABELS |= {
    "tracking_power_cut": "终端主电源断电", "tracking_power_low": "终端主电源欠压",
    "tracking_antenna_cut": "GNSS天线断路", "tracking_tamper": "疑似拆除或盗抢",
    "tracking_left_region": "驶出约定区域", "tracking_silent": "终端静默",
    "tracking_still": "租赁物长时间静止", "tracking_diverged": "有线与无线终端位置不一致",
}  # fmt: skip
SIGNAL_LABELS_EN |= {
    "tracking_power_cut": "terminal power cut", "tracking_power_low": "terminal power low",
    "tracking_antenna_cut": "GNSS antenna cut", "tracking_tamper": "suspected removal or theft",
    "tracking_left_region": "left the agreed region", "tracking_silent": "terminal silent",
    "tracking_still": "asset standing still", "tracking_diverged": "wired and wireless terminals apart",
}  # fmt: skip

# Collections: what came of a call to a lessee (usecases/collections.py). A promise to pay carries its day and
# amount; the other outcomes carry a note only.
PROMISE_TO_PAY = "promise_to_pay"
CALL_OUTCOMES = (
    "reached", PROMISE_TO_PAY, "no_answer", "wrong_number", "refused", "disputed", "left_message",
)  # fmt: skip
CALL_OUTCOME_LABELS = {
    "reached": "已接通", PROMISE_TO_PAY: "承诺还款", "no_answer": "无人接听", "wrong_number": "号码错误",
    "refused": "拒绝还款", "disputed": "对欠款有异议", "left_message": "已留言",
}  # fmt: skip
CALL_OUTCOME_LABELS_EN = {
    "reached": "Reached", PROMISE_TO_PAY: "Promise to pay", "no_answer": "No answer", "wrong_number": "Wrong number",
    "refused": "Refused to pay", "disputed": "Disputes the debt", "left_message": "Left a message",
}  # fmt: skip
# Where a promise to pay stands on a day.
PROMISE_STATUS_LABELS = {"pending": "待履行", "kept": "已履行", "broken": "未履行"}
PROMISE_STATUS_LABELS_EN = {"pending": "due later", "kept": "kept", "broken": "broken"}

# Enforcement: the remedy a complaint pleads (one per complaint: Civil Code Art. 752).
ACCELERATION, TERMINATION = "acceleration", "termination"
REMEDIES = (ACCELERATION, TERMINATION)
REMEDY_LABELS = {ACCELERATION: "加速到期", TERMINATION: "解除合同、返还租赁物"}
REMEDY_LABELS_EN = {ACCELERATION: "Acceleration", TERMINATION: "Termination and return of the asset"}
# A claim's items in English; in Chinese each line carries its own label, the complaint's words (claims.py).
CLAIM_ITEM_LABELS_EN = {
    "overdue_rent": "Overdue rent", "penalty": "Penalty", "fund_loss": "Loss of use of funds",
    "accelerated_rent": "Accelerated rent", "liquidated_damages": "Liquidated damages",
    "nominal_purchase_price": "Purchase price", "deposit_offset": "Deposit set off",
    "termination_loss": "Loss on termination", "court_fee": "Court fee", "preservation_fee": "Preservation fee",
    "lawyer_fee": "Lawyer's fee",
}  # fmt: skip

# Enforcement: the steps of a case.
OPENED = "opened"
STAGES = (
    "demand_notice", "filing", "judgment", "enforcement", "seizure", "auction", "settlement", "closure",
)  # fmt: skip
STAGE_LABELS = {
    OPENED: "已立案准备", "demand_notice": "催告", "filing": "起诉立案", "judgment": "判决", "enforcement": "申请执行",
    "seizure": "查封扣押", "auction": "拍卖变卖", "settlement": "和解", "closure": "结案",
}  # fmt: skip
STAGE_LABELS_EN = {
    OPENED: "Opened", "demand_notice": "Demand notice", "filing": "Filing", "judgment": "Judgment",
    "enforcement": "Enforcement", "seizure": "Seizure", "auction": "Auction", "settlement": "Settlement",
    "closure": "Closure",
}  # fmt: skip

# Enforcement: notices and documents on record.
NOTICE_KINDS = ("demand", "guarantee_demand")
METHOD_LABELS = {
    "ems": "邮政EMS", "courier": "快递", "email": "电子邮件", "sms": "短信", "in_person": "当面送达",
    "notary": "公证送达",
}  # fmt: skip
METHOD_LABELS_EN = {
    "ems": "EMS",
    "courier": "Courier",
    "email": "Email",
    "sms": "SMS",
    "in_person": "In person",
    "notary": "Notary",
}
DOCUMENT_KIND_LABELS = {
    "lease_contract": "融资租赁合同", "purchase_contract": "租赁物买卖合同", "invoice": "发票",
    "payment_proof": "付款凭证", "delivery_receipt": "租赁物交付确认书", "registration_certificate": "登记证明",
    "guarantee_contract": "保证合同", "demand_letter": "催告函", "delivery_proof": "送达凭证",
    "appraisal": "评估报告", "photo": "租赁物照片", "other": "其他材料",
}  # fmt: skip

# Codes of contract terms, assets, parties and notices as people read them.
TERM_LABELS = {
    "annuity": "等额租金", "equal_principal": "等额本金", "monthly": "按月", "quarterly": "按季",
    "vehicle": "车辆", "machinery": "工程机械", "medical": "医疗设备", "equipment": "设备", "other": "其他",
    "enterprise": "企业", "individual": "个人", "demand": "催告", "guarantee_demand": "向保证人催告",
}  # fmt: skip
TERM_LABELS_EN = {
    "annuity": "Annuity", "equal_principal": "Equal principal", "monthly": "Monthly", "quarterly": "Quarterly",
    "vehicle": "Vehicle", "machinery": "Machinery", "medical": "Medical", "equipment": "Equipment",
    "other": "Other", "enterprise": "Enterprise", "individual": "Individual", "demand": "Demand",
    "guarantee_demand": "Demand to a guarantor",
}  # fmt: skip
# A credit decision.
DECISION_LABELS = {"approve": "批准", "refer": "转人工审核", "decline": "拒绝"}
DECISION_LABELS_EN = {"approve": "approve", "refer": "refer", "decline": "decline"}

# The asset check's verdicts.
VERDICT_LABELS = {"clear": "通过", "review": "复核", "block": "拒绝"}
VERDICT_LABELS_EN = {"clear": "Clear", "review": "Review", "block": "Block"}

# Where a contract stands on a day (portfolio.positions).
POSITION_STATUS_LABELS = {
    "not_started": "未起租", "active": "履约中", "matured_unpaid": "到期未结清", "settled": "已结清",
}  # fmt: skip
POSITION_STATUS_LABELS_EN = {
    "not_started": "not started", "active": "active", "matured_unpaid": "matured, not settled", "settled": "settled",
}  # fmt: skip

# Rent schedules.
SCHEDULE_METHODS = ("annuity", "equal_principal")

# Shipped rule sets, by the file names under defaults/.
CLASSIFICATION_RULE_SETS = ("leasing-indicators-trial", "cbirc-2023")
DEFAULT_CLASSIFICATION_RULES = "cbirc-2023"  # `book.rules` when leaseguard.yaml does not say
INDICATOR_RULE_SETS = ("leasing-indicators-trial", "nfra-2024", "cbirc-2020")

# Data-contract file kinds, in dependency order (a row refers only to rows of kinds loaded before it).
DATA_KINDS = ("lessors", "contracts", "assets", "schedules", "payments", "valuations", "trackers")

# API key roles.
ROLES: tuple[str, ...] = ("analyst", "compliance", "legal", "admin")
ROLE_LABELS: dict[str, Label] = {
    "analyst": Label("分析员", "analyst"),
    "compliance": Label("合规", "compliance"),
    "legal": Label("法务", "legal"),
    "admin": Label("管理员", "admin"),
}
DATA_KIND_LABELS: dict[str, Label] = {
    "lessors": Label("出租人", "lessors"),
    "contracts": Label("合同", "contracts"),
    "assets": Label("租赁物", "assets"),
    "schedules": Label("租金计划", "rent schedules"),
    "payments": Label("还款", "payments"),
    "valuations": Label("估值", "valuations"),
    "trackers": Label("定位终端", "tracking terminals"),
}
