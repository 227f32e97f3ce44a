"""A decision's reasons as codes with parameters, and their words in Chinese (the answer's `text`) and English
(`text_en`). Feature names come from the training data, so a feature this table does not know is shown by its
own name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leaseguard.credit.features import WINDOWS_DAYS
from leaseguard.vocabulary import Label, Lang, Reason

SCORECARD_POINTS, MODEL_LOG_ODDS = "scorecard-points", "model-log-odds"
REASON_LABELS = {
    SCORECARD_POINTS: Label(
        "{feature}为{value}（分箱 {bin}）：比最优分箱少{points}分",
        "{feature} is {value} (bin {bin}): {points} points below the best bin",
    ),
    MODEL_LOG_ODDS: Label(
        "{feature}为{value}：使模型的违约对数几率上升{log_odds}", "{feature} is {value}: raises the model's log-odds "
        "of default by {log_odds}",
    ),
}  # fmt: skip
FEATURE_LABELS = {
    "applicant_type": Label("申请人类型", "applicant type"),
    "stated_age": Label("申报年龄", "stated age"),
    "enterprise_years": Label("企业成立年限", "years in business"),
    "monthly_income_yuan": Label("月收入（元）", "monthly income (yuan)"),
    "requested_amount_yuan": Label("申请金额（元）", "requested amount (yuan)"),
    "term_months": Label("期限（月）", "term (months)"),
    "mh_outstanding_elsewhere": Label("在其他机构未结清笔数", "contracts outstanding elsewhere"),
    "income_committed_share": Label("月收入已承担还款比例", "share of income already committed"),
    "age_mismatch": Label("申报年龄与证件不符", "stated age differs from the ID"),
    "trading_before_registration": Label("注册前已有经营记录", "trading before registration"),
    **{
        f"mh_lenders_{w}d": Label(f"近{w}天申请机构数", f"lenders applied to in {w} days")
        for w in WINDOWS_DAYS
    },
    **{f"mh_applications_{w}d": Label(f"近{w}天申请次数", f"applications in {w} days") for w in WINDOWS_DAYS},
}
_VALUES = {
    "zh": {True: "是", False: "否", None: "未提供"},
    "en": {True: "yes", False: "no", None: "not given"},
}


def _value(value: Any, lang: Lang) -> str:
    if isinstance(value, bool) or value is None:
        return _VALUES[lang][value]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def feature_reason(code: str, feature: str, value: Any, **params: Any) -> dict[str, Any]:
    """One reason of a decision: its code, the feature, its parameters and its words in both languages."""
    reason = Reason(code, {"feature": feature, "value": value, **params})
    return {
        "code": code,
        "params": _jsonable(reason.params),
        "text": words(reason, "zh"),
        "text_en": words(reason, "en"),
    }


def words(reason: Reason, lang: Lang) -> str:
    feature = str(reason.params["feature"])
    named = FEATURE_LABELS[feature].text(lang) if feature in FEATURE_LABELS else feature
    said: Mapping[str, Any] = {
        **reason.params,
        "feature": named,
        "value": _value(reason.params["value"], lang),
    }
    return REASON_LABELS[reason.code].text(lang, **said)


def _jsonable(params: Mapping[str, object]) -> dict[str, Any]:
    return {key: value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
            for key, value in params.items()}  # fmt: skip
