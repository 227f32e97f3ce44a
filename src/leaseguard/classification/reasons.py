"""Why a contract got its class, as codes: stored as `code k=v …` items joined by "; ", read in words.

The engines write codes (a rule's id with the days past due, or a finding about the leased asset's value);
people read them rendered in Chinese or English. Code never compares the words. A rule id the tables here do
not know (a lessor's own rule set) is shown as itself: its rule file is where it is explained.
"""

from __future__ import annotations

from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, Reason

VALUATION_MISSING = "valuation-missing"
VALUATION_STALE = "valuation-stale"
SEPARATOR = "; "

FINDING_LABELS = {
    VALUATION_MISSING: Label("租赁物没有评估价值", "no valuation of the leased asset"),
    VALUATION_STALE: Label(
        "租赁物评估已过期：{age}天（上限{limit}天）", "valuation stale: {age} days old (limit {limit})"
    ),
}
# The shipped rule sets' rule ids (defaults/classification/*.yaml).
RULE_LABELS = {
    "current": Label("无逾期", "not overdue"),
    "any-overdue": Label("逾期", "overdue"),
    "overdue-over-90": Label("逾期超过90天", "more than 90 days overdue"),
    "overdue-over-270": Label("逾期超过270天", "more than 270 days overdue"),
    "overdue-over-360": Label("逾期超过360天", "more than 360 days overdue"),
    "overdue-90": Label("逾期90天以上", "90 days or more overdue"),
    "overdue-180": Label("逾期180天以上", "180 days or more overdue"),
    "overdue-360": Label("逾期360天以上", "360 days or more overdue"),
    "asset-value-fall": Label("租赁物价值大幅下降", "the leased asset's value fell sharply"),
    "disposal-below-half-of-claim": Label(
        "租赁物处置价值低于债权的一半", "disposal value below half of the claim"
    ),
    "lessee-npl-contagion": Label(
        "同一承租人不良债权占比超过限额", "the lessee's non-performing share is over the limit"
    ),
    "arrears-at-another-member": Label(
        "承租人在其他成员处逾期", "the lessee is in arrears at another member"
    ),
    "restructured-observation": Label("重组观察期内", "restructured, in its observation period"),
    "npl-upgrade-conditions": Label("不良上调条件未满足", "conditions to leave non-performing not met"),
}
_WITH_DPD = Label("{rule}（逾期{dpd}天）", "{rule}: {dpd} days past due")


def parse(stored: str) -> list[Reason]:
    """The reasons of a stored `reasons` cell: each item's code and its `k=v` parameters."""
    reasons: list[Reason] = []
    for item in stored.split(SEPARATOR) if stored else []:
        code, *pairs = item.split(" ")
        reasons.append(Reason(code, dict(pair.split("=", 1) for pair in pairs if "=" in pair)))
    return reasons


def render(stored: str, lang: Lang = DEFAULT_LANG) -> str:
    """A stored `reasons` cell in words, items joined by the language's list separator."""
    return ("；" if lang == "zh" else SEPARATOR).join(_words(reason, lang) for reason in parse(stored))


def _words(reason: Reason, lang: Lang) -> str:
    if reason.code in FINDING_LABELS:
        return reason.text(FINDING_LABELS, lang)
    rule = RULE_LABELS[reason.code].text(lang) if reason.code in RULE_LABELS else reason.code
    if "dpd" in reason.params:
        return _WITH_DPD.text(lang, rule=rule, dpd=reason.params["dpd"])
    return rule
