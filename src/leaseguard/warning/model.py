"""The behaviour score: a logistic regression over the standardised behaviour features, fitted with
scikit-learn on the synthetic book's labelled outcomes and shipped as data (warning_model.yaml).

Scoring needs only the coefficients, so it is a Polars expression over the feature columns; fitting needs
scikit-learn and happens only when a user refits (`leaseguard book warn-fit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaseguard.errors import InvalidInputError
from leaseguard.rulefiles import RuleProblem, load_rule_file
from leaseguard.vocabulary import Label
from leaseguard.warning.features import FEATURES


class FeatureWeight(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    mean: float
    scale: float = Field(gt=0)
    coefficient: float


class Holdout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: int
    defaults: int
    auc: float
    ks: float


class ScoreModel(BaseModel):
    """P(default within `horizon_months`) = 1 / (1 + exp(-(intercept + Σ coefficient · (x − mean) / scale)))."""

    model_config = ConfigDict(extra="forbid")

    version: int
    horizon_months: int
    intercept: float
    features: list[FeatureWeight]
    trained_on: dict[str, Any]  # what the coefficients were fitted on: book, seed, observation dates, rows
    holdout: Holdout

    @model_validator(mode="after")
    def _known_features(self) -> ScoreModel:
        unknown = {weight.name for weight in self.features} - set(FEATURES)
        if unknown:
            raise RuleProblem(
                Label(
                    "特征 {unknown} 不在计算之列；可用的特征：{known}",
                    "features {unknown} are not computed; known: {known}",
                ),
                unknown=sorted(unknown),
                known=list(FEATURES),
            )
        return self

    def linear_predictor(self) -> pl.Expr:
        terms = [
            (pl.col(weight.name) - weight.mean) / weight.scale * weight.coefficient
            for weight in self.features
        ]
        return pl.sum_horizontal(terms) + self.intercept

    def probability(self) -> pl.Expr:
        return 1 / (1 + (-self.linear_predictor()).exp())


def load_model(path: Path | None = None) -> ScoreModel:
    """The model at `path`, or the shipped one; RuleFileError names the file, the field and the reason."""
    return load_rule_file(ScoreModel, path, "warning_model.yaml")


def dump_model(model: ScoreModel, path: Path) -> None:
    header = (
        "# The early-warning behaviour score (leaseguard book warn): logistic-regression coefficients over\n"
        "# standardised features, fitted by `leaseguard book warn-fit`. Data, not code: refit, review, version.\n"
    )
    path.write_text(header + yaml.safe_dump(model.model_dump(), sort_keys=False, allow_unicode=True), "utf-8")


def ks_statistic(labels: np.ndarray, scores: np.ndarray) -> float:
    """The largest gap between the cumulative score distributions of defaulters and the others."""
    from sklearn.metrics import roc_curve

    false_positive, true_positive, _ = roc_curve(labels, scores)
    return float(np.max(true_positive - false_positive))


def fit_model(
    training: pl.DataFrame,
    *,
    horizon_months: int,
    trained_on: dict[str, Any],
    holdout_share: float = 0.3,
    seed: int = 0,
) -> ScoreModel:
    """Fit on `training` (the FEATURES, `defaulted` 0/1 and `lessee_id`). A held-out share of the lessees —
    whole lessees, so one lessee's contracts never sit on both sides — measures AUC and KS."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupShuffleSplit

    if training.is_empty() or training["defaulted"].n_unique() < 2:
        raise InvalidInputError(
            Label(
                "训练集中违约合同和正常履约合同都要有",
                "the training set needs both defaulted and performing contracts",
            )
        )
    x = training.select(FEATURES).to_numpy().astype(np.float64)
    y = training["defaulted"].to_numpy().astype(np.int64)
    groups = training["lessee_id"].to_numpy()
    split = GroupShuffleSplit(n_splits=1, test_size=holdout_share, random_state=seed)
    train, test = next(split.split(x, y, groups))
    mean = x[train].mean(axis=0)
    scale = x[train].std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(max_iter=1000, C=1.0)
    regression.fit((x[train] - mean) / scale, y[train])
    held_out = regression.predict_proba((x[test] - mean) / scale)[:, 1]
    return ScoreModel(
        version=1,
        horizon_months=horizon_months,
        intercept=float(regression.intercept_[0]),
        features=[
            FeatureWeight(name=name, mean=float(m), scale=float(s), coefficient=float(c))
            for name, m, s, c in zip(FEATURES, mean, scale, regression.coef_[0], strict=True)
        ],
        trained_on={**trained_on, "rows": len(train), "defaults": int(y[train].sum())},
        holdout=Holdout(
            rows=len(test),
            defaults=int(y[test].sum()),
            auc=round(float(roc_auc_score(y[test], held_out)), 4),
            ks=round(ks_statistic(y[test], held_out), 4),
        ),
    )
