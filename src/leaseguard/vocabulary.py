"""The words of the trade, one home each: the codes code and rule files use, and the Chinese a person reads.

Code compares codes (`"substandard"`, `"filing"`), never display text; anything shown to a person is
rendered from a code through the labels here. Importing this module costs nothing (no dependencies), so the
command line can name the choices in its help without loading the engines.
"""

from __future__ import annotations

# Five-category classification of leased assets (租赁资产五级分类).
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
NON_PERFORMING = frozenset({"substandard", "doubtful", "loss"})
CLASS_LABELS = {
    "normal": "正常类", "special_mention": "关注类", "substandard": "次级类", "doubtful": "可疑类", "loss": "损失类",
}  # fmt: skip

# Enforcement: the remedy a complaint pleads (one per complaint: Civil Code Art. 752).
ACCELERATION, TERMINATION = "acceleration", "termination"
REMEDIES = (ACCELERATION, TERMINATION)
REMEDY_LABELS = {ACCELERATION: "加速到期", TERMINATION: "解除合同、返还租赁物"}

# Enforcement: the steps of a case.
OPENED = "opened"
STAGES = (
    "demand_notice", "filing", "judgment", "enforcement", "seizure", "auction", "settlement", "closure",
)  # fmt: skip
STAGE_LABELS = {
    OPENED: "已立案准备", "demand_notice": "催告", "filing": "起诉立案", "judgment": "判决", "enforcement": "申请执行",
    "seizure": "查封扣押", "auction": "拍卖变卖", "settlement": "和解", "closure": "结案",
}  # fmt: skip

# Enforcement: notices and documents on record.
NOTICE_KINDS = ("demand", "guarantee_demand")
METHOD_LABELS = {
    "ems": "邮政EMS", "courier": "快递", "email": "电子邮件", "sms": "短信", "in_person": "当面送达",
    "notary": "公证送达",
}  # fmt: skip
DOCUMENT_KIND_LABELS = {
    "lease_contract": "融资租赁合同", "purchase_contract": "租赁物买卖合同", "invoice": "发票",
    "payment_proof": "付款凭证", "delivery_receipt": "租赁物交付确认书", "registration_certificate": "登记证明",
    "guarantee_contract": "保证合同", "demand_letter": "催告函", "delivery_proof": "送达凭证",
    "appraisal": "评估报告", "photo": "租赁物照片", "other": "其他材料",
}  # fmt: skip

# Rent schedules.
SCHEDULE_METHODS = ("annuity", "equal_principal")

# Shipped rule sets, by the file names under defaults/.
CLASSIFICATION_RULE_SETS = ("leasing-indicators-trial", "cbirc-2023")
INDICATOR_RULE_SETS = ("leasing-indicators-trial", "nfra-2024", "cbirc-2020")

# Data-contract file kinds, in dependency order (a row refers only to rows of kinds loaded before it).
DATA_KINDS = ("lessors", "contracts", "assets", "schedules", "payments", "valuations")

# API key roles.
ROLES: tuple[str, ...] = ("analyst", "compliance", "legal", "admin")
