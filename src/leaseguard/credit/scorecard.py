"""A scorecard regulators can read: optimal monotonic bins (optbinning), weight of evidence and information
value per feature, logistic regression on the WOE values, and points with a base score and PDO.

Scoring is a table lookup per feature: no pandas, no model object, so one applicant costs microseconds."""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

# Added to every bin's good and bad count so an all-good or all-bad bin keeps a finite WOE.
WOE_SMOOTHING = 0.5


@dataclass
class FeatureCard:
    """One feature's bins and the points each bin is worth. The last bin holds missing values."""

    name: str
    kind: str  # "numeric" or "categorical"
    splits: list[float]  # numeric: bin k is [splits[k-1], splits[k])
    groups: list[list[str]]  # categorical: bin k holds these categories
    woe: list[float]
    points: list[float]
    goods: list[int]
    bads: list[int]
    iv: float
    coefficient: float

    def __post_init__(self) -> None:
        self._lookup = {category: k for k, group in enumerate(self.groups) for category in group}
        self.max_points = max(self.points[:-1]) if len(self.points) > 1 else self.points[0]

    @property
    def missing_bin(self) -> int:
        return len(self.points) - 1

    def bin_of(self, value: float | str | None) -> int:
        if value is None:
            return self.missing_bin
        if self.kind == "numeric":
            return bisect.bisect_right(self.splits, float(value))
        return self._lookup.get(str(value), self.missing_bin)

    def bin_label(self, k: int) -> str:
        if k == self.missing_bin:
            return "missing"
        if self.kind == "categorical":
            return "{" + ", ".join(self.groups[k]) + "}"
        low = "-inf" if k == 0 else f"{self.splits[k - 1]:g}"
        high = "inf" if k == len(self.splits) else f"{self.splits[k]:g}"
        return f"[{low}, {high})"

    def bins_of(self, column: np.ndarray) -> np.ndarray:
        """Bin index of every value of a column (floats with NaN for missing, or objects for categories)."""
        if self.kind == "numeric":
            values = column.astype(np.float64)
            out = np.searchsorted(np.asarray(self.splits, dtype=np.float64), values, side="right")
            out[np.isnan(values)] = self.missing_bin
            return out
        return np.fromiter(
            (
                self._lookup.get(str(v), self.missing_bin) if v is not None else self.missing_bin
                for v in column
            ),
            dtype=np.int64,
            count=len(column),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "splits": self.splits,
            "groups": self.groups,
            "woe": self.woe,
            "points": self.points,
            "goods": self.goods,
            "bads": self.bads,
            "iv": self.iv,
            "coefficient": self.coefficient,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureCard:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if not k.startswith("_")})


@dataclass
class Scorecard:
    """score = base_points + the points of each feature's bin; log-odds of bad = (offset - score) / factor."""

    base_score: float
    base_odds: float
    pdo: float
    intercept: float
    features: list[FeatureCard]
    iv: dict[str, float]  # every candidate feature's IV, selected or not

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    @property
    def base_points(self) -> float:
        return self.offset - self.factor * self.intercept

    def pd_of(self, score: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.offset - score) / self.factor))

    def score_row(
        self, values: Mapping[str, float | str | None]
    ) -> tuple[float, list[tuple[str, int, float]]]:
        """The score and, per feature, (name, bin, points)."""
        parts = []
        total = self.base_points
        for card in self.features:
            k = card.bin_of(values.get(card.name))
            total += card.points[k]
            parts.append((card.name, k, card.points[k]))
        return total, parts

    def score_columns(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        total = np.full(len(next(iter(columns.values()))), self.base_points)
        for card in self.features:
            total += np.asarray(card.points)[card.bins_of(columns[card.name])]
        return total

    def pds(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.offset - scores) / self.factor))

    def to_json(self) -> dict[str, Any]:
        return {
            "base_score": self.base_score,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "intercept": self.intercept,
            "features": [card.to_json() for card in self.features],
            "iv": self.iv,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scorecard:
        return cls(
            float(data["base_score"]),
            float(data["base_odds"]),
            float(data["pdo"]),
            float(data["intercept"]),
            [FeatureCard.from_json(f) for f in data["features"]],
            {str(k): float(v) for k, v in data["iv"].items()},
        )


def _optimal_binning() -> Any:
    # Importing optbinning imports cvxpy, which logs a warning for every optional solver it cannot load
    # (HiGHS here); optbinning uses OR-Tools, so the noise says nothing about this work.
    logging.disable(logging.WARNING)
    try:
        from optbinning import OptimalBinning
    finally:
        logging.disable(logging.NOTSET)
    return OptimalBinning


def _bin_feature(
    name: str, kind: str, column: np.ndarray, y: np.ndarray, settings: Mapping[str, Any]
) -> tuple[list[float], list[list[str]]]:
    OptimalBinning = _optimal_binning()

    if kind == "numeric":
        binning = OptimalBinning(
            name=name,
            dtype="numerical",
            solver="cp",
            monotonic_trend="auto_asc_desc",
            max_n_bins=int(settings["max_n_bins"]),
            min_bin_size=float(settings["min_bin_share"]),
        )
        binning.fit(column.astype(np.float64), y)
        return [float(s) for s in binning.splits], []
    present = column[np.array([v is not None for v in column], dtype=bool)].astype(str)
    binning = OptimalBinning(
        name=name,
        dtype="categorical",
        solver="cp",
        max_n_bins=int(settings["max_n_bins"]),
        min_bin_size=float(settings["min_bin_share"]),
    )
    binning.fit(present, y[np.array([v is not None for v in column], dtype=bool)])
    groups = [[str(c) for c in group] for group in binning.splits]
    seen = {c for group in groups for c in group}
    # optbinning may leave rare categories out of every group; each gets a bin of its own.
    groups += [[c] for c in sorted(set(present.tolist()) - seen)]
    return [], groups


def _card_from_bins(
    name: str, kind: str, splits: list[float], groups: list[list[str]], column: np.ndarray, y: np.ndarray
) -> FeatureCard:
    n_bins = (len(splits) + 1 if kind == "numeric" else len(groups)) + 1
    card = FeatureCard(name, kind, splits, groups, [0.0] * n_bins, [0.0] * n_bins, [], [], 0.0, 0.0)
    bins = card.bins_of(column)
    bads = np.bincount(bins, weights=y, minlength=n_bins)
    totals = np.bincount(bins, minlength=n_bins)
    goods = totals - bads
    bad_total, good_total = bads.sum(), goods.sum()
    woe = np.log((bads + WOE_SMOOTHING) / (bad_total + WOE_SMOOTHING)) - np.log(
        (goods + WOE_SMOOTHING) / (good_total + WOE_SMOOTHING)
    )
    # A missing bin training never filled carries no evidence.
    woe[totals == 0] = 0.0
    iv = float(np.sum((bads / bad_total - goods / good_total) * woe))
    card.woe = [float(w) for w in woe]
    card.goods = [int(g) for g in goods]
    card.bads = [int(b) for b in bads]
    card.iv = iv
    return card


def fit_scorecard(
    columns: Mapping[str, np.ndarray], kinds: Mapping[str, str], y: np.ndarray, settings: Mapping[str, Any]
) -> Scorecard:
    """Bin every feature, keep those with enough IV, fit a logistic regression on WOE values (dropping any
    feature whose coefficient comes out with the wrong sign), and turn it into points."""
    from sklearn.linear_model import LogisticRegression

    cards = {
        name: _card_from_bins(
            name, kinds[name], *_bin_feature(name, kinds[name], column, y, settings), column, y
        )
        for name, column in columns.items()
    }
    ivs = {name: round(card.iv, 6) for name, card in cards.items()}
    ranked = sorted(
        (name for name, card in cards.items() if card.iv >= float(settings["min_iv"])),
        key=lambda name: -cards[name].iv,
    )[: int(settings["max_features"])]
    if not ranked:
        raise InvalidInputError(
            Label(
                "没有特征达到最低信息值（IV），无法建立评分卡",
                "no feature reaches the minimum information value; nothing to build a scorecard on",
            )
        )
    chosen = list(ranked)
    while True:
        matrix = np.column_stack([np.asarray(cards[n].woe)[cards[n].bins_of(columns[n])] for n in chosen])
        regression = LogisticRegression(C=float(settings["regularisation_c"]), max_iter=2000)
        regression.fit(matrix, y)
        coefficients = regression.coef_[0]
        # WOE rises with risk, so a coefficient at or below zero means collinearity bent it; drop the weakest.
        wrong = [n for n, c in zip(chosen, coefficients, strict=True) if c <= 0]
        if not wrong or len(chosen) == 1:
            break
        chosen.remove(min(wrong, key=lambda n: cards[n].iv))
    card_list: list[FeatureCard] = []
    scorecard = Scorecard(
        float(settings["base_score"]),
        float(settings["base_odds"]),
        float(settings["pdo"]),
        float(regression.intercept_[0]),
        card_list,
        ivs,
    )
    for name, coefficient in zip(chosen, coefficients, strict=True):
        card = cards[name]
        card.coefficient = float(coefficient)
        card.points = [round(float(-scorecard.factor * coefficient * w), 2) for w in card.woe]
        card.__post_init__()
        card_list.append(card)
    return scorecard


def reasons_from_points(
    scorecard: Scorecard, parts: Sequence[tuple[str, int, float]], values: Mapping[str, Any], top: int
) -> list[dict[str, Any]]:
    """The features that cost the most points against their best bin, as reason codes with their words."""
    cards = {card.name: card for card in scorecard.features}
    lost = []
    for name, k, points in parts:
        card = cards[name]
        shortfall = card.max_points - points
        if shortfall > 0.005:
            lost.append((shortfall, name, k))
    lost.sort(reverse=True)
    from leaseguard.credit.reasons import SCORECARD_POINTS, feature_reason

    return [
        {
            "feature": name,
            "points_lost": round(shortfall, 1),
            **feature_reason(
                SCORECARD_POINTS,
                name,
                values.get(name),
                bin=cards[name].bin_label(k),
                points=f"{shortfall:.0f}",
            ),
        }
        for shortfall, name, k in lost[:top]
    ]
