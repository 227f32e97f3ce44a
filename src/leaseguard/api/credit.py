"""HTTP route of the credit decision: POST /v1/applications/decide."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaseguard.api.deps import require
from leaseguard.api.params import Yuan
from leaseguard.api.problems import ProblemError, problem_responses
from leaseguard.credit.consortium import sharing_members
from leaseguard.credit.decide import Decider, policy_schema
from leaseguard.credit.errors import CreditError
from leaseguard.credit.model import CreditModel, ModelShelf
from leaseguard.credit.policy import Policy, load_policy, parse_policy
from leaseguard.credit.verify import Lists, load_lists
from leaseguard.tenancy import Action, Principal
from leaseguard.usecases.credit_decision import decide_served
from leaseguard.usecases.credit_policy import DeployedPolicy
from leaseguard.vocabulary import Label

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/v1/applications", tags=["credit"], responses=problem_responses(401, 403, 404, 422, 503)
)
CanDecide = Annotated[Principal, Depends(require(Action.DECIDE_CREDIT))]
Scalar = str | int | float | bool | None


class ApplicationRequest(BaseModel):
    """One application. Fields the model was trained on go alongside these, by their training names."""

    model_config = ConfigDict(extra="allow")

    applicant_id: str = Field(min_length=1, max_length=32, description="USCC or resident ID (18 characters).")
    application_id: str | None = Field(default=None, max_length=64)
    model_version: str | None = Field(default=None, max_length=64, description="Default: the newest model.")
    applicant_type: str | None = Field(default=None, pattern="^(individual|enterprise)$")
    stated_age: int | None = Field(default=None, ge=0, le=130)
    enterprise_years: float | None = Field(default=None, ge=0, le=200)
    registered_on: dt.date | None = None
    monthly_income_yuan: Yuan | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    requested_amount_yuan: Yuan | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    term_months: int | None = Field(default=None, ge=1, le=600)
    consent: bool | None = Field(
        default=None,
        description="True when the applicant's authorization to query and share consortium data is recorded "
        "with the application. Only then, and only where this lessor and another member both share "
        "(credit.consortium_sharing), does the other member's data inform the decision, as bands.",
    )

    @model_validator(mode="after")
    def extra_fields_are_scalars(self) -> ApplicationRequest:
        for name, value in (self.model_extra or {}).items():
            if not isinstance(value, Scalar):
                raise ValueError(f"field {name} must be a string, number, boolean or null")
        return self

    def values(self) -> dict[str, Any]:
        out = self.model_dump(exclude={"model_version"}, exclude_none=True)
        for name in ("monthly_income_yuan", "requested_amount_yuan"):
            if name in out:
                out[name] = float(out[name]) if name != "monthly_income_yuan" else str(out[name])
        return out


class DecisionResponse(BaseModel):
    decision_id: int
    application_id: str | None
    model_version: str
    policy_version: int
    score: int = Field(description="Scorecard points.")
    pd: float = Field(description="Probability of default (from the model the policy names).")
    scorecard_pd: float
    gbm_pd: float
    decision: str = Field(description="approve, refer or decline")
    limit: str | None = Field(description="Limit in yuan, where the policy sets one.")
    price_band: str | None
    reasons: list[dict[str, Any]] = Field(
        description="Top reasons: scorecard points lost, model contributions."
    )
    rules_fired: list[dict[str, str]]
    verification: list[str]
    consortium: bool = Field(description="Whether the decision was taken under consortium sharing.")
    features: dict[str, Any] = Field(
        description="Multi-head-lending features: own counts, plus other sharing members' as band floors."
    )
    evidence_index: int | None


class CreditDesk:
    """The deployed models, policy and lists of one API app, and the lessors that share consortium data. A
    policy file that changes is reloaded; if it no longer loads, the working one stays in force."""

    def __init__(
        self, models: Path | None, policy: Path | None, lists: Path | None, sharing: Any = None
    ) -> None:
        self.shelf = ModelShelf(models) if models is not None else None
        self.policy_path = policy
        self.lists: Lists = load_lists(lists)
        self.sharing = sharing_members(sharing)
        self._lock = threading.Lock()
        self._policies: dict[str, tuple[float, Policy]] = {}
        self._deciders: dict[tuple[str, str], Decider] = {}
        # Lessors' deployed policies, by model version and the policy's SHA-256 (a deployment is never edited).
        self._deployed_policies: dict[tuple[str, str], Policy] = {}
        # A policy that does not load, or names a field a deployed model lacks, stops the server at start-up,
        # before any decision is taken with it.
        for version in self.shelf.versions if self.shelf is not None else []:
            try:
                self.decider(version)
            except ProblemError as error:
                raise CreditError(error.label, kind="invalid-policy") from None

    def _policy(self, model: CreditModel) -> Policy:
        stamp = self.policy_path.stat().st_mtime if self.policy_path is not None else 0.0
        current = self._policies.get(model.version)
        if current is not None and current[0] == stamp:
            return current[1]
        try:
            policy = load_policy(self.policy_path, policy_schema(model))
        except CreditError as error:
            if current is None:
                raise
            log.error("policy not reloaded, the previous one stays in force: %s", error)
            self._policies[model.version] = (stamp, current[1])
            return current[1]
        self._policies[model.version] = (stamp, policy)
        return policy

    def model(self, version: str | None = None) -> CreditModel:
        """A deployed model (the newest without a version); 503 without models, 404 for an unknown version."""
        if self.shelf is None:
            raise ProblemError(
                503,
                Label("此服务器未部署信用模型。", "No credit model is deployed on this server."),
                kind="no-credit-model",
            )
        try:
            return self.shelf.get(version)
        except CreditError as error:
            raise ProblemError(404, error, kind="unknown-model") from None

    def _deployed(self, model: CreditModel, deployed: DeployedPolicy) -> Policy:
        key = (model.version, deployed.sha256)
        policy = self._deployed_policies.get(key)
        if policy is None:
            policy = self._deployed_policies[key] = parse_policy(
                deployed.text, deployed.source, policy_schema(model)
            )
        return policy

    def policy(self, model: CreditModel | None, deployed: DeployedPolicy | None = None) -> Policy:
        """The policy in force for a lessor: the one it deployed, else the workspace's file (else the shipped
        one). A CreditError when it does not load with `model`'s features (without a model: the fields of every
        model)."""
        if model is None:
            schema = policy_schema(None)
            if deployed is not None:
                return parse_policy(deployed.text, deployed.source, schema)
            return load_policy(self.policy_path, schema)
        with self._lock:
            return self._deployed(model, deployed) if deployed is not None else self._policy(model)

    def decider(self, version: str | None, deployed: DeployedPolicy | None = None) -> Decider:
        """The decider of a model (the newest without a version) under the lessor's `deployed` policy, or the
        workspace's when the lessor has none."""
        model = self.model(version)
        with self._lock:
            try:
                policy = self._deployed(model, deployed) if deployed is not None else self._policy(model)
                key = (model.version, policy.sha256)
                if key not in self._deciders:
                    self._deciders[key] = Decider(model, policy, self.lists)
            except CreditError as error:
                raise ProblemError(
                    503,
                    Label("信用政策无法加载：{error}", "The credit policy does not load: {error}"),
                    kind="invalid-policy",
                    error=Label(error.text("zh"), error.text("en")),
                ) from None
            return self._deciders[key]


@router.post("/decide")
async def decide_route(body: ApplicationRequest, request: Request, principal: CanDecide) -> DecisionResponse:
    """Decide one application: verification, multi-head features from the store, scorecard, LightGBM, policy
    (the lessor's deployed policy, else the workspace's)."""
    desk: CreditDesk = request.app.state.credit_desk
    desk.model(body.model_version)  # 503 without models, 404 for an unknown version, before anything is read
    try:
        answer = await run_in_threadpool(
            decide_served,
            request.app.state.sessions,
            desk,
            body.values(),
            lessor=principal.lessor,
            asked_by=principal.key_prefix,
            channel="api",
            signer=request.app.state.evidence_signer,
            model_version=body.model_version,
            where=Label("请求正文", "request body"),
        )
    except CreditError as error:
        raise ProblemError(422, error, kind=error.kind) from None
    return DecisionResponse(**answer)
