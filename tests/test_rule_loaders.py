"""Every kind of rule file goes through one loader (leaseguard.rulefiles, a Pydantic model per kind): every
shipped file loads, and a broken one — a wrong type, an unknown field, a missing field, a bad threshold — is
one RuleFileError on one line naming the file, the rule (where the file's items have ids) and the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leaseguard.analytics.rules import load_analytics_rules
from leaseguard.classification.rules import RuleSetError, load_rule_set
from leaseguard.credit.consortium import ConsortiumBandsError, parse_bands, shipped_bands
from leaseguard.credit.decide import policy_schema
from leaseguard.credit.errors import CreditError
from leaseguard.credit.policy import PolicyError, load_policy
from leaseguard.credit.settings import MonitorFile, TrainingFile
from leaseguard.credit.verify import ListsError, load_lists
from leaseguard.enforcement.courts import CourtRulesError, load_court_rules
from leaseguard.enforcement.rules import ClaimRulesError, load_claim_rules
from leaseguard.errors import InvalidInputError
from leaseguard.indicators.rules import IndicatorRulesError, load_risk_weights
from leaseguard.indicators.rules import load_rule_set as load_indicator_rules
from leaseguard.registry.rules import load_rules as load_registry_rules
from leaseguard.rulefiles import RuleFileError, load_rule_file
from leaseguard.tracking.alerts import load_alert_rules
from leaseguard.vocabulary import CLASSIFICATION_RULE_SETS, INDICATOR_RULE_SETS
from leaseguard.warning.model import load_model as load_warning_model
from leaseguard.warning.rules import load_warning_rules

SCHEMA = policy_schema()


def _classification(name: str) -> Callable[[Path | None], Any]:
    return lambda path: load_rule_set(str(path) if path else name)


def _indicators(name: str) -> Callable[[Path | None], Any]:
    return lambda path: load_indicator_rules(str(path) if path else name)


# shipped file (under leaseguard/defaults) → its loader, called with a path or None for the shipped one
LOADERS: dict[str, Callable[[Path | None], Any]] = {
    "enforcement/claims.yaml": load_claim_rules,
    "enforcement/courts.yaml": load_court_rules,
    **{f"classification/{name}.yaml": _classification(name) for name in CLASSIFICATION_RULE_SETS},
    **{f"indicators/{name}.yaml": _indicators(name) for name in INDICATOR_RULE_SETS},
    "indicators/risk-weights.yaml": load_risk_weights,
    "credit/policy.yaml": lambda path: load_policy(path, SCHEMA),
    "credit/lists.yaml": load_lists,
    "registry_rules.yaml": load_registry_rules,
    "warning.yaml": load_warning_rules,
    "analytics.yaml": load_analytics_rules,
    "warning_model.yaml": load_warning_model,
    "tracking/alerts.yaml": load_alert_rules,
    "credit/training.yaml": lambda path: load_rule_file(TrainingFile, path, "credit/training.yaml"),
    "credit/monitor.yaml": lambda path: load_rule_file(MonitorFile, path, "credit/monitor.yaml"),
    "credit/consortium.yaml": lambda path: (
        parse_bands(path.read_text("utf-8"), str(path)) if path else shipped_bands()
    ),
}
# Shipped YAML that is not a rule file: the workspace settings.
NOT_RULE_FILES = {"leaseguard.yaml"}


def _shipped(name: str) -> str:
    return resources.files("leaseguard.defaults").joinpath(name).read_text(encoding="utf-8")


def _every_shipped_yaml() -> set[str]:
    root = Path(str(resources.files("leaseguard.defaults")))
    return {str(path.relative_to(root)) for path in root.rglob("*.yaml")}


def test_every_shipped_rule_file_loads_through_its_loader() -> None:
    assert _every_shipped_yaml() == set(LOADERS) | NOT_RULE_FILES  # a new shipped file must be placed here
    for name, load in LOADERS.items():
        assert load(None) is not None, name


def test_a_copy_of_every_shipped_file_loads_as_the_shipped_one(tmp_path: Path) -> None:
    """A lessor starts from a copy: it loads to the same rules (digest included) wherever it lies."""
    for name, load in LOADERS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_shipped(name), encoding="utf-8")
        own, shipped = load(path), load(None)
        for attribute in ("digest", "sha256"):
            assert getattr(own, attribute, None) == getattr(shipped, attribute, None), name


def test_the_files_keep_their_citations_and_verified_markers() -> None:
    """The models accept what the files carry for their reader: clauses and `verified:` on rules and levels."""
    trial = load_rule_set("leasing-indicators-trial")
    assert trial.bands[1].clause.startswith("租金逾期90天以上") and trial.shortfall is not None
    assert "verified: false" in _shipped("classification/leasing-indicators-trial.yaml")
    assert "verified: true" in _shipped("enforcement/courts.yaml") and load_court_rules().high_fen > 0


# (shipped file, text to replace, replacement, what the one error must say, its error class)
BROKEN = [
    # claims: no rule ids; tiers named by their place (1-based)
    ("enforcement/claims.yaml", "  allowed: true", "  allowed: [true]", r"acceleration\.allowed: ", ClaimRulesError),
    ("enforcement/claims.yaml", "  basis: total_rent", "  basis: total_rent\n  cap: 1",
     r"liquidated_damages\.cap: unknown field", ClaimRulesError),
    ("enforcement/claims.yaml", "  lawyer_fee_rate: \"0\"\n", "", None, None),  # optional: still loads
    ("enforcement/claims.yaml", '  preservation_fee_cap: "5000"\n', "",
     r"legal_costs\.preservation_fee_cap: Field required",
     ClaimRulesError),
    ("enforcement/claims.yaml", '{up_to: "100000", rate: "0.025"}', '{up_to: "100000.005", rate: "0.025"}',
     r"legal_costs\.court_fee_tiers\[2\]\.up_to: '100000\.005' has more than 2 decimals", ClaimRulesError),
    ("enforcement/claims.yaml", '{up_to: "100000", rate: "0.025"}', '{up_to: "100000", rate: "1.5"}',
     r"legal_costs\.court_fee_tiers\[2\]\.rate: '1\.5' must be a number from 0 to 1", ClaimRulesError),
    # courts
    ("enforcement/courts.yaml", 'high: "5000000000"', "high: [1]",
     r"levels\.high: \[1\] is not an amount", CourtRulesError),
    ("enforcement/courts.yaml", "basic_overrides: {}", "basic_overrides: {}\nappeal_courts: {}",
     r"appeal_courts: unknown field", CourtRulesError),
    ("enforcement/courts.yaml", 'intermediate_one_outside: "100000000"', 'intermediate_one_outside: "1e8.5"',
     r"levels\.intermediate_one_outside: '1e8\.5' is not an amount in yuan", CourtRulesError),
    # classification: rules named by their `rule`
    ("classification/leasing-indicators-trial.yaml", "{rule: overdue-180, from: 180,", "{rule: overdue-180, from: x,",
     r"rule overdue-180: from: must be a whole number of days ≥ 0", RuleSetError),
    ("classification/leasing-indicators-trial.yaml", "class: doubtful, clause", "class: doubtful, colour: red, clause",
     r"rule overdue-180: colour: unknown field", RuleSetError),
    ("classification/leasing-indicators-trial.yaml", "    fall_share: 0.2\n", "",
     r"rule asset-value-fall: fall_share: Field required", RuleSetError),
    ("classification/leasing-indicators-trial.yaml", "below_share_of_claim: 0.5", "below_share_of_claim: 1.5",
     r"rule disposal-below-half-of-claim: below_share_of_claim: 1\.5 must be a number from 0 to 1", RuleSetError),
    ("classification/cbirc-2023.yaml", "  min_on_time_months: 6", "  min_on_time_months: six",
     r"rule npl-upgrade-conditions: min_on_time_months must be a whole number ≥ 1", RuleSetError),
    # indicators: named by their id
    ("indicators/nfra-2024.yaml", "    threshold: 0.06\n    buffer: 0.025", "    threshold: [0.06]\n    buffer: 0.025",
     r"indicator tier1_ratio: threshold: ", IndicatorRulesError),
    ("indicators/nfra-2024.yaml", "  - id: car\n", "  - id: car\n    weight: 2\n",
     r"indicator car: weight: unknown field", IndicatorRulesError),
    ("indicators/nfra-2024.yaml", "    clause: \"杠杆率不得低于6% (paraphrase)\"\n", "",
     r"indicator leverage_ratio: clause: Field required", IndicatorRulesError),
    ("indicators/nfra-2024.yaml", "warning_margin: 0.10", "warning_margin: 1.10",
     r"warning_margin: Input should be less than or equal to 1", IndicatorRulesError),
    ("indicators/risk-weights.yaml", "  sme: 0.85 ", "  sme: 25 ",
     r"weights\.sme: Input should be less than or equal to 20",
     IndicatorRulesError),
    ("indicators/risk-weights.yaml", "  medium: sme", "  medium: mid",
     r"enterprise_sizes\.medium: 'mid' is not a weight key",
     IndicatorRulesError),
    # credit policy: rules named by id and place
    ("credit/policy.yaml", "    when: \"watchlisted\"", "    when: [watchlisted]",
     r"rule watchlisted \(rules\[5\]\): when: ",
     PolicyError),
    ("credit/policy.yaml", "    action: refer\n    reason: 申请人在关注名单上。",
     "    action: refer\n    severity: 2\n    reason: 申请人在关注名单上。",
     r"rule watchlisted \(rules\[5\]\): severity: unknown field", PolicyError),
    ("credit/policy.yaml", "  decline_min_pd: 0.45   #", "  #",
     r"cutoffs\.decline_min_pd: Field required", PolicyError),
    ("credit/policy.yaml", 'limit_cap_yuan: "1000000.00"', 'limit_cap_yuan: "1000000.001"',
     r"bands\[2\]\.limit_cap_yuan: '1000000\.001' has more than 2 decimals", PolicyError),
    ("credit/policy.yaml", "  approve_max_pd: 0.20", "  approve_max_pd: 0.60",
     r"cutoffs: need 0 <= approve_max_pd <= decline_min_pd <= 1", PolicyError),
    # lists: entries named by their place
    ("credit/lists.yaml", '{id: "91110108MA01C0QX13",', "{id: 91110108,",
     r"blacklist entry 1: id: must be a non-empty text",
     ListsError),
    ("credit/lists.yaml", "reason: \"identity reported lost (example entry)\"",
     "reason: \"identity reported lost (example entry)\", since: 2024-01-01",
     r"watchlist entry 1: since: unknown field",
     ListsError),
    # the credit model's settings and the consortium's bands
    ("credit/consortium.yaml", "lenders: [0, 1, 2, 4]", "lenders: [1, 2, 4]", r"lenders: must start at 0 and rise",
     ConsortiumBandsError),
    ("credit/training.yaml", "  share: 0.3", "  share: 1.5", r"holdout\.share: ", RuleFileError),
    ("credit/monitor.yaml", "psi_alert: 0.25", "psi_alert: high", r"psi_alert: ", RuleFileError),
    # tracking alerts: rules named by kind, overrides by lessor and contract
    ("tracking/alerts.yaml", "    radius_m: 200", "    radius_m: 0", r"rule still: radius_m must be a whole number",
     RuleFileError),
    ("tracking/alerts.yaml", "lessors: {}", "lessors: {L01: {alerts: {silent: {dayz: 2}}}}",
     r"lessor L01 rule silent: dayz: unknown field", RuleFileError),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new", "message", "kind"), BROKEN)
def test_a_broken_rule_file_is_one_error_naming_file_rule_and_field(
    tmp_path: Path, name: str, old: str, new: str, message: str | None, kind: type[RuleFileError] | None
) -> None:
    text = _shipped(name)
    assert old in text, old
    path = tmp_path / Path(name).name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    if kind is None or message is None:
        assert LOADERS[name](path) is not None
        return
    with pytest.raises(kind) as caught:
        LOADERS[name](path)
    error = caught.value
    assert isinstance(error, RuleFileError) and isinstance(error, InvalidInputError)
    assert str(error).startswith(f"{path}：") and "\n" not in str(error)  # Chinese first
    text = error.text("en")
    assert text.startswith(f"{path}: ") and "\n" not in text
    assert re.search(message, text), text
    assert error.source == str(path) and error.field is not None


def test_the_error_carries_the_rule_and_the_field() -> None:
    text = _shipped("classification/cbirc-2023.yaml").replace(
        "class: substandard\n  clause", "class: bad\n  clause"
    )
    from leaseguard.classification.rules import parse_rule_set

    with pytest.raises(RuleSetError) as caught:
        parse_rule_set(text, "own.yaml")
    assert (caught.value.rule, caught.value.field) == ("rule lessee-npl-contagion", "class")
    assert str(caught.value) == (
        "own.yaml：rule lessee-npl-contagion：class 'bad' 不是 normal, special_mention, substandard, doubtful, "
        "loss 之一"
    )
    assert caught.value.text("en") == (
        "own.yaml: rule lessee-npl-contagion: class 'bad' is not one of normal, special_mention, substandard, "
        "doubtful, loss"
    )


def test_the_shared_reasons_are_said_in_chinese_first(tmp_path: Path) -> None:
    """The loader's own words (a field missing or unknown, an amount, a bound) are Chinese unless asked."""
    path = tmp_path / "claims.yaml"
    path.write_text(
        _shipped("enforcement/claims.yaml")
        .replace('{up_to: "100000", rate: "0.025"}', '{up_to: "100000.005", rate: "0.025"}')
        .replace("  basis: total_rent", "  basis: total_rent\n  cap: 1"),
        encoding="utf-8",
    )
    with pytest.raises(ClaimRulesError) as caught:
        load_claim_rules(path)
    assert "liquidated_damages.cap：未知字段" in str(caught.value)
    assert "legal_costs.court_fee_tiers[2].up_to：'100000.005' 的小数超过 2 位" in str(caught.value)
    assert "；" in str(caught.value) and "; " in caught.value.text("en")


@pytest.mark.parametrize(
    ("name", "old", "new", "chinese", "english"),
    [
        ("classification/cbirc-2023.yaml", "from: 91, to: 271", "from: 95, to: 271",
         "rule overdue-over-90：逾期天数区间在 91 天到 95 天之间有空缺",
         "rule overdue-over-90: a gap in the DPD bands from 91 to 95 days"),
        ("warning.yaml", "escalation:\n", "escalation:\n  fraud: red\n",
         "escalation：未知信号 ['fraud']", "escalation: unknown signals ['fraud']"),
        ("credit/policy.yaml", "  approve_max_pd: 0.20", "  approve_max_pd: 0.60",
         "cutoffs：须满足 0 <= approve_max_pd", "cutoffs: need 0 <= approve_max_pd"),
        ("enforcement/claims.yaml", "version: 3\n", 'version: 3\npenalty_daily_rate: "0.0005"\n',
         "penalty_daily_rate 已不是诉请规则", "penalty_daily_rate is no longer a claim rule"),
        ("indicators/nfra-2024.yaml", "numerator: total_capital - capital_deductions", "numerator: total_capitel",
         "indicator car：numerator：引用了不存在的数量 'total_capitel'",
         "indicator car: numerator: refers to the quantity 'total_capitel', which does not exist"),
        ("indicators/risk-weights.yaml", "  medium: sme", "  medium: mid",
         "enterprise_sizes.medium：'mid' 不是风险权重键", "enterprise_sizes.medium: 'mid' is not a weight key"),
    ],
)  # fmt: skip
def test_a_validators_reason_is_said_in_either_language(
    tmp_path: Path, name: str, old: str, new: str, chinese: str, english: str
) -> None:
    text = _shipped(name)
    assert old in text, old
    path = tmp_path / Path(name).name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        LOADERS[name](path)
    assert chinese in str(caught.value) and chinese in caught.value.text("zh")
    assert english in caught.value.text("en") and chinese not in caught.value.text("en")


def test_credit_file_errors_stay_credit_errors_for_the_api() -> None:
    """The API answers a policy that does not load as `invalid-policy`; the lists as invalid input."""
    assert issubclass(PolicyError, CreditError) and issubclass(ListsError, CreditError)
    assert PolicyError("x").kind == "invalid-policy"


def test_an_empty_lists_file_lists_no_one(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text("# nobody yet\n", encoding="utf-8")
    lists = load_lists(path)
    assert (dict(lists.blacklist), dict(lists.watchlist), lists.version) == ({}, {}, 1)


def test_amounts_are_read_exactly_in_fen() -> None:
    """5,000万 as written in yuan is 5,000,000,000 fen exactly; a cap of 2,000,000.00 yuan stays a Decimal."""
    courts = load_court_rules()
    assert courts.high_fen == 500_000_000_000 and isinstance(courts.high_fen, int)
    claims = load_claim_rules()
    assert claims.court_fee_tiers[0].fixed_fen == 5_000 and claims.preservation_fee_cap_fen == 500_000
    policy = load_policy(None, SCHEMA)
    assert str(policy.bands[0].limit_cap_yuan) == "2000000.00"


runner = CliRunner()


def test_the_command_line_says_one_line_for_a_broken_policy(tmp_path: Path) -> None:
    from leaseguard.cli.main import app

    path = tmp_path / "policy.yaml"
    path.write_text(_shipped("credit/policy.yaml").replace("action: refer", "action: escalate", 1), "utf-8")
    result = runner.invoke(app, ["credit", "rules", "test", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "rule watchlisted (rules[5])：action 'escalate' 不是 approve, flag" in lines[0]
    assert lines[0].startswith("错误：")
    english = runner.invoke(app, ["credit", "rules", "test", str(path), "--lang", "en"])
    assert english.exit_code == 1 and english.output.startswith("error: ")
    assert "rule watchlisted (rules[5]): action 'escalate' is not one of" in english.output


def test_the_daily_run_refuses_a_broken_rule_set_in_one_line(tmp_path: Path) -> None:
    from leaseguard.cli.main import app
    from leaseguard.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    path = tmp_path / "own.yaml"
    path.write_text(
        _shipped("classification/cbirc-2023.yaml").replace("from: 91, to: 271", "from: 95, to: 271"), "utf-8"
    )
    arguments = ["run", "daily", "--as-of", "2026-01-31", "--rules", str(path), "-w", str(workspace.root)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "rule overdue-over-90：逾期天数区间在 91 天到 95 天之间有空缺" in result.output.replace("\n", "")
    english = runner.invoke(app, [*arguments, "--lang", "en"]).output.replace("\n", "")
    assert "rule overdue-over-90: a gap in the DPD bands from 91 to 95 days" in english
