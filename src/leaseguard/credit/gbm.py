"""The gradient-boosted model (LightGBM): ranks better than the scorecard; its reasons are the features'
contributions (TreeSHAP) to the log-odds of default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import lightgbm as lgb


@dataclass
class GbmModel:
    """A LightGBM booster and how its input row is laid out: features in order, categories as codes."""

    booster: lgb.Booster
    features: list[str]
    categories: dict[str, list[str]]  # categorical feature -> categories, code = position

    def __post_init__(self) -> None:
        self._codes = {
            name: {c: float(i) for i, c in enumerate(cats)} for name, cats in self.categories.items()
        }

    def row(self, values: Mapping[str, float | str | None]) -> np.ndarray:
        out = np.empty((1, len(self.features)), dtype=np.float64)
        for j, name in enumerate(self.features):
            value = values.get(name)
            if value is None:
                out[0, j] = np.nan
            elif name in self._codes:
                out[0, j] = self._codes[name].get(str(value), np.nan)
            else:
                out[0, j] = float(value)
        return out

    def matrix(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(columns.values())))
        out = np.empty((n, len(self.features)), dtype=np.float64)
        for j, name in enumerate(self.features):
            column = columns[name]
            if name in self._codes:
                codes = self._codes[name]
                out[:, j] = np.fromiter(
                    (codes.get(str(v), np.nan) for v in column), dtype=np.float64, count=n
                )
            else:
                out[:, j] = column.astype(np.float64)
        return out

    def predict(self, matrix: np.ndarray, threads: int = 1) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, num_threads=threads))

    def contributions(self, row: np.ndarray) -> list[tuple[str, float]]:
        values = np.asarray(self.booster.predict(row, pred_contrib=True, num_threads=1))[0]
        return list(zip(self.features, (float(v) for v in values[:-1]), strict=True))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "categories": self.categories,
            "model": self.booster.model_to_string(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GbmModel:
        # LightGBM (with scikit-learn and SciPy behind it) is imported where a model is read or trained: importing
        # it costs every process that serves the API over a second of start-up, used or not.
        import lightgbm as lgb

        return cls(lgb.Booster(model_str=data["model"]), list(data["features"]), dict(data["categories"]))


def fit_gbm(
    columns: Mapping[str, np.ndarray],
    kinds: Mapping[str, str],
    y: np.ndarray,
    settings: Mapping[str, Any],
    threads: int = 0,
) -> GbmModel:
    import lightgbm as lgb

    features = list(columns)
    categories = {
        name: sorted({str(v) for v in columns[name] if v is not None})
        for name in features
        if kinds[name] == "categorical"
    }
    model = GbmModel(lgb.Booster(model_str=_EMPTY_MODEL), features, categories)
    matrix = model.matrix(columns)
    params = {
        "objective": "binary",
        "learning_rate": float(settings["learning_rate"]),
        "num_leaves": int(settings["num_leaves"]),
        "min_child_samples": int(settings["min_child_samples"]),
        "subsample": float(settings["subsample"]),
        "subsample_freq": int(settings["subsample_freq"]),
        "colsample_bytree": float(settings["colsample_bytree"]),
        "reg_lambda": float(settings["reg_lambda"]),
        "seed": int(settings["seed"]),
        "deterministic": True,
        "num_threads": threads,
        "verbose": -1,
    }
    categorical = [j for j, name in enumerate(features) if name in categories]
    dataset = lgb.Dataset(matrix, label=y, feature_name=features, categorical_feature=categorical or "auto")
    booster = lgb.train(params, dataset, num_boost_round=int(settings["n_estimators"]))
    return GbmModel(booster, features, categories)


def top_contributions(
    contributions: Sequence[tuple[str, float]], values: Mapping[str, Any], top: int
) -> list[dict[str, Any]]:
    """The features that pushed the probability of default up the most, as reason codes with their words."""
    from leaseguard.credit.reasons import MODEL_LOG_ODDS, feature_reason

    ranked = sorted((c for c in contributions if c[1] > 0), key=lambda c: -c[1])[:top]
    return [
        {
            "feature": name,
            "contribution": round(value, 4),
            **feature_reason(MODEL_LOG_ODDS, name, values.get(name), log_odds=f"{value:.2f}"),
        }
        for name, value in ranked
    ]


# A booster must exist to build a GbmModel before training; this smallest valid model is replaced at once.
_EMPTY_MODEL = """tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=0
objective=binary sigmoid:1
feature_names=x
feature_infos=none
tree_sizes=

end of trees

pandas_categorical:null
"""
