"""A lessor's credit policy: which one is in force, its rules as a person reads them, a new one tried on the
lessor's recent decisions before it is deployed, and its deployment. The console's /applications/policy ends
here, and the CLI and API may call the same functions.

The workspace names one policy file for every lessor (`credit.policy`, else the shipped
`defaults/credit/policy.yaml`). A compliance officer may deploy a policy of the lessor's own (`deploy_policy`):
it is kept in `credit_policies` (migration 0024), the lessor's newest row is its policy from the next decision
on (`deployed_policy`, which `usecases.credit_decision.decide_served` reads in each decision's transaction), and
the deployment is deposited in the evidence log in the same transaction, as funding decisions are. Before that,
`try_policy` decides the lessor's recent decisions again under the new rules from the values the rules read
when each was taken (`detail.rule_values`), and says how many would change and which, from what to what."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaseguard.credit.policy import Policy, PolicyError, combine, parse_policy, run_policy_tests, run_rules
from leaseguard.errors import InvalidInputError
from leaseguard.evidence import NoteSigner, Provenance, append_event
from leaseguard.store.models import CreditApplication, CreditPolicy
from leaseguard.tenancy.permissions import Action, is_allowed
from leaseguard.vocabulary import Label

# A new policy is tried on this many of the lessor's newest decisions.
RECENT_DECISIONS = 1000
# A policy pasted or uploaded is a rule file, not a book: longer than this is refused.
MAX_POLICY_CHARS = 200_000
# Changed decisions listed by name (all are counted).
LISTED_CHANGES = 100

ACTION_LABELS: dict[str, Label] = {
    "approve": Label("批准", "approve"),
    "flag": Label("仅提示", "flag only"),
    "refer": Label("转人工审核", "refer"),
    "decline": Label("拒绝", "decline"),
}
# The shipped rules in words; a rule of the lessor's own is described by its `reason`, as written.
RULE_LABELS: dict[str, Label] = {
    "id_invalid": Label(
        "证件号码的校验位或结构不正确。", "The ID number's check digit or structure is wrong."
    ),
    "blacklisted": Label("申请人在黑名单上。", "The applicant is on the blacklist."),
    "in_arrears": Label("申请人在本公司的租赁合同已有逾期。", "The applicant is in arrears on a lease here."),
    "member_arrears": Label("其他成员有逾期记录。", "Another sharing member reports arrears."),
    "watchlisted": Label("申请人在关注名单上。", "The applicant is on the watchlist."),
    "stated_age_mismatch": Label(
        "申报年龄与身份证号码中的出生日期不符。", "The stated age differs from the birth date in the ID."
    ),
    "trading_before_registration": Label(
        "企业申报的经营年限长于其登记注册年限。",
        "The enterprise claims more years of trading than registered.",
    ),
    "many_lenders_30d": Label("近30天在3家以上机构申请。", "Applied to more than 3 lenders in 30 days."),
    "many_applications_30d": Label("近30天申请超过6次。", "More than 6 applications in 30 days."),
    "income_overcommitted": Label(
        "月收入的60%以上已用于支付其他租赁合同的租金。",
        "Over 60% of monthly income already goes to other leases.",
    ),
}

NOT_COMPLIANCE = Label(
    "只有合规角色的用户可以部署信用政策（您的角色是 {role}）",
    "only a user with the compliance role may deploy a credit policy (your role is {role})",
)
EMPTY_POLICY = Label("请粘贴或上传一份信用政策（YAML）", "paste or upload a credit policy (YAML)")
POLICY_TOO_LONG = Label(
    "政策文件过长（最多 {limit} 个字符）", "the policy is too long (at most {limit} characters)"
)
TESTS_FAIL = Label(
    "政策自带的测试 {test!r} 未通过：{detail}（未部署）",
    "the policy's own test {test!r} fails: {detail} (not deployed)",
)
CHANGED_SINCE_TEST = Label(
    "政策在试算后被改动，请重新试算后再部署",
    "the policy changed after it was tried: try it again, then deploy",
)


class PolicyDeployError(InvalidInputError):
    """A deployment refused for a reason that is not the file's (the role, a policy changed after its test)."""


@dataclass(frozen=True)
class DeployedPolicy:
    """A policy a lessor deployed: the newest is in force."""

    id: int
    lessor: str
    version: int
    name: str
    sha256: str
    text: str
    deployed_by: str
    deployed_at: dt.datetime
    tested_decisions: int
    changed_decisions: int
    evidence_index: int | None

    @property
    def source(self) -> str:
        """How messages name it: the lessor's deployment, as a file is named by its path."""
        return f"{self.lessor} credit policy #{self.id}"


def _deployed(row: CreditPolicy) -> DeployedPolicy:
    return DeployedPolicy(
        row.id, row.lessor, row.version, row.name, row.sha256, row.text, row.deployed_by, row.deployed_at,
        row.tested_decisions, row.changed_decisions, row.evidence_index,
    )  # fmt: skip


def deployed_policy(session: Session, lessor: str) -> DeployedPolicy | None:
    """The policy `lessor` deployed last (its policy in force), or None: the workspace's is in force."""
    row = session.scalars(
        select(CreditPolicy).where(CreditPolicy.lessor == lessor).order_by(CreditPolicy.id.desc()).limit(1)
    ).first()
    return None if row is None else _deployed(row)


def deployments(session: Session, lessor: str, limit: int = 20) -> list[DeployedPolicy]:
    """The lessor's deployments, newest first."""
    rows = session.scalars(
        select(CreditPolicy)
        .where(CreditPolicy.lessor == lessor)
        .order_by(CreditPolicy.id.desc())
        .limit(limit)
    )
    return [_deployed(row) for row in rows]


@dataclass(frozen=True)
class RuleRow:
    """One rule as the policy page shows it."""

    id: str
    description: Label
    when: str
    action: str
    action_text: Label


def rule_description(rule_id: str, reason: str) -> Label:
    """A rule's description in both languages: a shipped rule's words (while its reason is the shipped one), a
    rule of the lessor's own by its `reason` as written."""
    known = RULE_LABELS.get(rule_id)
    return known if known is not None and known.zh == reason else Label(reason, reason)


def rule_rows(policy: Policy) -> list[RuleRow]:
    """The policy's rules in order, each with its description and its action in words."""
    rows = []
    for rule in policy.rules:
        action = ACTION_LABELS.get(rule.action, Label(rule.action, rule.action))
        rows.append(RuleRow(rule.id, rule_description(rule.id, rule.reason), rule.when, rule.action, action))
    return rows


def read_policy_text(text: str, source: str, schema: Mapping[str, type]) -> Policy:
    """A policy pasted or uploaded, checked completely (YAML, every rule's CEL, every field against `schema`).
    Raises PolicyError (a RuleFileError: `.source`, `.rule`, `.field`) or InvalidInputError when empty or too long."""
    if not text.strip():
        raise InvalidInputError(EMPTY_POLICY)
    if len(text) > MAX_POLICY_CHARS:
        raise InvalidInputError(POLICY_TOO_LONG, limit=f"{MAX_POLICY_CHARS:,}")
    return parse_policy(text, source, schema)


@dataclass(frozen=True)
class ChangedDecision:
    decision_id: int
    applicant_id: str
    application_id: str | None
    applied_on: dt.date
    was: str
    would_be: str
    fired: tuple[str, ...]


@dataclass
class PolicyTrial:
    """A policy tried on the lessor's recent decisions: how many were decided again, how many would change
    (which, from what to what), how many could not be tried (taken before the rules' values were kept), and the
    policy's own test cases."""

    policy: Policy
    tried: int = 0
    not_tried: int = 0
    changed: int = 0
    transitions: dict[tuple[str, str], int] = field(default_factory=dict)
    listed: list[ChangedDecision] = field(default_factory=list)
    self_tests: list[tuple[str, bool, Label]] = field(default_factory=list)

    @property
    def self_tests_pass(self) -> bool:
        return all(passed for _, passed, _ in self.self_tests)


def decision_under(
    policy: Policy, values: Mapping[str, Any], memo: dict[tuple[Any, ...], bool] | None = None
) -> tuple[str, list[str]]:
    """The decision `policy` takes on the values its rules read (as kept with a decision) and the rules that fire;
    `memo` keeps each rule's outcome by its inputs across decisions (credit.policy.run_rules)."""
    pd_ = values.get("gbm_pd" if policy.pd_from == "gbm" else "scorecard_pd")
    if pd_ is None:
        pd_ = values.get("pd", 0.0)
    fired = run_rules(policy, values, memo)
    return combine(policy.cutoff_decision(float(pd_)), fired), [rule.id for rule in fired]


def try_policy(
    session: Session,
    lessor: str,
    policy: Policy,
    schema: Mapping[str, type],
    *,
    limit: int = RECENT_DECISIONS,
) -> PolicyTrial:
    """Decide the lessor's `limit` newest decisions again under `policy`: from the decision recorded to the one
    the policy would take. A rule that cannot be evaluated on a past decision's values is a CreditError."""
    trial = PolicyTrial(policy, self_tests=run_policy_tests(policy, schema))
    # Only the values the rules read are taken out of each decision's detail, by the store (a detail is some
    # 5 KB of reasons and words: decoding a thousand of them in Python was half the trial's time).
    rows = session.execute(
        select(
            CreditApplication.id, CreditApplication.applicant_id, CreditApplication.application_id,
            CreditApplication.applied_on, CreditApplication.decision,
            CreditApplication.detail["rule_values"].label("rule_values"),
        )
        .where(CreditApplication.lessor == lessor, CreditApplication.source == "decision")
        .order_by(CreditApplication.id.desc())
        .limit(limit)
    )  # fmt: skip
    transitions: Counter[tuple[str, str]] = Counter()
    memo: dict[tuple[Any, ...], bool] = {}
    for row in rows:
        values = row.rule_values
        if not values or row.decision is None:
            trial.not_tried += 1
            continue
        trial.tried += 1
        would_be, fired = decision_under(policy, values, memo)
        if would_be != row.decision:
            trial.changed += 1
            transitions[(row.decision, would_be)] += 1
            if len(trial.listed) < LISTED_CHANGES:
                trial.listed.append(
                    ChangedDecision(
                        row.id, row.applicant_id, row.application_id, row.applied_on, row.decision, would_be,
                        tuple(fired),
                    )
                )  # fmt: skip
    trial.transitions = dict(sorted(transitions.items()))
    return trial


@dataclass(frozen=True, slots=True)
class Deployer:
    """Who deploys: a console user of one lessor, with a role."""

    username: str
    lessor: str
    role: str


def deploy_policy(
    session: Session, deployer: Deployer, text: str, schema: Mapping[str, type], *, tested_sha256: str,
    signer: NoteSigner | None, channel: str, now: dt.datetime | None = None,
) -> tuple[DeployedPolicy, PolicyTrial]:  # fmt: skip
    """Make `text` the deployer's lessor's credit policy, in `session`'s transaction: only for the compliance
    role, only a policy that reads and whose own tests pass, only the very text that was tried (`tested_sha256`).
    It is tried on the recent decisions again, kept with what the trial said, and deposited in the evidence log
    (kind `credit-policy`, ref `credit_policy:<id>`) with a signer. Nothing is kept when it is refused."""
    if not is_allowed(deployer.role, Action.DEPLOY_CREDIT_POLICY):
        raise PolicyDeployError(NOT_COMPLIANCE, role=deployer.role)
    policy = read_policy_text(text, "policy.yaml", schema)
    if policy.sha256 != tested_sha256:
        raise PolicyDeployError(CHANGED_SINCE_TEST)
    trial = try_policy(session, deployer.lessor, policy, schema)
    failed = next(((name, detail) for name, passed, detail in trial.self_tests if not passed), None)
    if failed is not None:
        raise PolicyError(TESTS_FAIL, test=failed[0], detail=failed[1])
    at = now or dt.datetime.now(dt.UTC)
    row = CreditPolicy(
        lessor=deployer.lessor, version=policy.version, name=policy.name[:200], sha256=policy.sha256, text=text,
        deployed_by=deployer.username, deployed_role=deployer.role, deployed_at=at, tested_decisions=trial.tried,
        changed_decisions=trial.changed,
    )  # fmt: skip
    session.add(row)
    session.flush()
    if signer is not None:
        event = {
            "credit_policy_id": row.id, "lessor": deployer.lessor, "version": policy.version, "name": row.name,
            "sha256": policy.sha256, "policy": text, "deployed_by": deployer.username, "role": deployer.role,
            "tested_decisions": trial.tried, "changed_decisions": trial.changed,
            "transitions": [{"from": a, "to": b, "count": n} for (a, b), n in trial.transitions.items()],
        }  # fmt: skip
        receipt = append_event(
            session, event, lessor=deployer.lessor, kind="credit-policy",
            provenance=Provenance(producer=deployer.username, system=f"leaseguard credit ({channel})", produced_at=at),
            signer=signer, ref=f"credit_policy:{row.id}",
        )  # fmt: skip
        row.evidence_index = receipt.index
    return _deployed(row), trial
