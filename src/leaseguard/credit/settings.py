"""The credit model's shipped settings as rule files: how `credit train` builds its models (training.yaml)
and when `credit monitor` alerts (monitor.yaml), each read through `rulefiles` and checked by its model, so a
wrong value is one error naming the file and the field. Hyper-parameters, not money: floats are fine here."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import Field

from leaseguard.rulefiles import Item, RuleFile, load_rule_file


class _Holdout(Item):
    share: float = Field(gt=0, lt=1)
    seed: int


class _Scorecard(Item):
    base_score: float
    base_odds: float = Field(gt=0)
    pdo: float = Field(gt=0)
    min_iv: float = Field(ge=0)
    max_features: int = Field(ge=1)
    max_n_bins: int = Field(ge=2)
    min_bin_share: float = Field(gt=0, lt=1)
    regularisation_c: float = Field(gt=0)


class _Gbm(Item):
    n_estimators: int = Field(ge=1)
    learning_rate: float = Field(gt=0, le=1)
    num_leaves: int = Field(ge=2)
    min_child_samples: int = Field(ge=1)
    subsample: float = Field(gt=0, le=1)
    subsample_freq: int = Field(ge=0)
    colsample_bytree: float = Field(gt=0, le=1)
    reg_lambda: float = Field(ge=0)
    seed: int


class TrainingFile(RuleFile):
    version: int
    never_features: list[str]
    bad_values: list[str] = Field(min_length=1)
    holdout: _Holdout
    scorecard: _Scorecard
    gbm: _Gbm
    range_widen: float = Field(ge=0)


class MonitorFile(RuleFile):
    version: int
    psi_alert: float = Field(gt=0)
    psi_watch: float = Field(default=0.1, gt=0)
    score_bins: int = Field(ge=2)


@functools.cache
def _training() -> TrainingFile:
    return load_rule_file(TrainingFile, None, "credit/training.yaml")


@functools.cache
def _monitor() -> MonitorFile:
    return load_rule_file(MonitorFile, None, "credit/monitor.yaml")


def training_settings() -> dict[str, Any]:
    """training.yaml, checked, as the mapping the trainers read."""
    return _training().model_dump()


def monitor_settings() -> dict[str, Any]:
    """monitor.yaml, checked, as the mapping `credit monitor` reads."""
    return _monitor().model_dump()
