"""Training both models from a table of past applications, the metrics on a held-out split, and the
versioned model artefact (one JSON file) with its training-data fingerprint."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leaseguard.credit.errors import CreditError
from leaseguard.credit.features import FeatureSpec
from leaseguard.credit.gbm import GbmModel, fit_gbm
from leaseguard.credit.monitor import Baseline, baseline_of
from leaseguard.credit.scorecard import Scorecard, fit_scorecard
from leaseguard.credit.settings import training_settings
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

ARTEFACT_FORMAT = "leaseguard-credit-model/1"
ID_COLUMN_CANDIDATES = ("application_id", "id")


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (or XLSX) of applications; a file that cannot be read is an error naming it."""
    try:
        if path.suffix.lower() == ".xlsx":
            return pd.read_excel(path)
        return pd.read_csv(path, low_memory=False)
    except FileNotFoundError:
        raise CreditError(Label("{path}：文件不存在", "{path}: no such file"), path=path) from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise CreditError(
            Label("{path}：无法作为表格读取：{error}", "{path}: cannot read it as a table: {error}"),
            path=path,
            error=error,
        ) from None


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_columns(
    frame: pd.DataFrame, target: str, source: str, settings: Mapping[str, Any], id_columns: Sequence[str] = ()
) -> tuple[list[str], list[str], np.ndarray]:
    """(id columns, feature columns, labels 0/1) of a training table."""
    if target not in frame.columns:
        raise CreditError(
            Label(
                "{source}：文件中没有目标列 {target!r}",
                "{source}: the target column {target!r} is not in the file",
            ),
            source=source,
            target=target,
            field=target,
        )
    raw = frame[target]
    if raw.isna().any():
        line = int(np.flatnonzero(raw.isna().to_numpy())[0]) + 2
        raise CreditError(
            Label(
                "{source}：第 {line} 行：列 {target}：缺少结果",
                "{source}: line {line}: column {target}: the outcome is missing",
            ),
            source=source,
            line=line,
            target=target,
            field=target,
        )
    bad_values = {str(v).lower() for v in settings["bad_values"]}
    labels = raw.astype(str).str.strip().str.lower().isin(bad_values).to_numpy().astype(np.int64)
    if labels.min() == labels.max():
        raise CreditError(
            Label(
                "{source}：列 {target}：好、坏两种结果都要有；坏为 {bad} 之一",
                "{source}: column {target}: needs both outcomes; bad is one of {bad}",
            ),
            source=source,
            target=target,
            bad=sorted(bad_values),
            field=target,
        )
    ids = list(id_columns) or [c for c in ID_COLUMN_CANDIDATES if c in frame.columns]
    for column in ids:
        if column not in frame.columns:
            raise CreditError(
                Label(
                    "{source}：文件中没有编号列 {column!r}",
                    "{source}: the id column {column!r} is not in the file",
                ),
                source=source,
                column=column,
                field=column,
            )
    never = set(settings["never_features"]) | set(ids) | {target}
    features = [c for c in frame.columns if c not in never]
    if not features:
        raise CreditError(
            Label(
                "{source}：除目标列和编号列外没有特征列",
                "{source}: no feature columns besides the target and id columns",
            ),
            source=source,
        )
    return ids, features, labels


def column_values(frame: pd.DataFrame, name: str, kind: str) -> np.ndarray:
    """A column as the models read it: floats with NaN, or objects (str or None)."""
    series = frame[name]
    if kind == "numeric":
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    return np.array([None if pd.isna(v) else str(v) for v in series.tolist()], dtype=object)


def infer_specs(frame: pd.DataFrame, features: Sequence[str], widen: float) -> list[FeatureSpec]:
    specs = []
    for name in features:
        series = frame[name]
        nullable = bool(series.isna().any())
        if pd.api.types.is_bool_dtype(series):
            specs.append(FeatureSpec(name, "categorical", nullable, categories=("false", "true")))
        elif pd.api.types.is_numeric_dtype(series):
            low, high = float(series.min()), float(series.max())
            span = high - low if high > low else max(1.0, abs(high))
            minimum = low - widen * span
            specs.append(
                FeatureSpec(
                    name,
                    "numeric",
                    nullable,
                    0.0 if low >= 0 and minimum < 0 else minimum,
                    high + widen * span,
                )
            )
        else:
            categories = tuple(sorted({str(v) for v in series.dropna().tolist()}))
            specs.append(FeatureSpec(name, "categorical", nullable, categories=categories))
    return specs


def frame_columns(frame: pd.DataFrame, specs: Sequence[FeatureSpec]) -> dict[str, np.ndarray]:
    columns = {}
    for spec in specs:
        values = column_values(frame, spec.name, spec.kind)
        if spec.kind == "categorical" and frame[spec.name].dtype == bool:
            values = np.array([None if v is None else v.lower() for v in values], dtype=object)
        columns[spec.name] = values
    return columns


def auc_ks_gini(y: np.ndarray, pd_: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(y, pd_))
    fpr, tpr, _ = roc_curve(y, pd_)
    return {"auc": round(auc, 4), "ks": round(float(np.max(tpr - fpr)), 4), "gini": round(2 * auc - 1, 4)}


@dataclass
class CreditModel:
    """Everything a decision needs from training, saved as one versioned JSON artefact."""

    version: str
    created_at: str
    target: str
    id_columns: list[str]
    specs: list[FeatureSpec]
    scorecard: Scorecard
    gbm: GbmModel
    training: dict[str, Any]
    metrics: dict[str, Any]
    baselines: dict[str, Baseline] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.spec_by_name = {spec.name: spec for spec in self.specs}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ARTEFACT_FORMAT,
            "version": self.version,
            "created_at": self.created_at,
            "target": self.target,
            "id_columns": self.id_columns,
            "features": [spec.to_json() for spec in self.specs],
            "scorecard": self.scorecard.to_json(),
            "gbm": self.gbm.to_json(),
            "training": self.training,
            "metrics": self.metrics,
            "baselines": {name: b.to_json() for name, b in self.baselines.items()},
        }

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"credit-model-{self.version}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path


def load_model(path: Path) -> CreditModel:
    """A model artefact; anything else is an error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CreditError(
            Label("{path}：模型文件不存在", "{path}: no such model file"), path=path, kind="unknown-model"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CreditError(
            Label("{path}：不是模型文件：{error}", "{path}: not a model artefact: {error}"),
            path=path,
            error=error,
            kind="unknown-model",
        ) from None
    if not isinstance(data, dict) or data.get("format") != ARTEFACT_FORMAT:
        raise CreditError(
            Label(
                "{path}：不是模型文件（format 不是 {format}）",
                "{path}: not a model artefact (format is not {format})",
            ),
            path=path,
            format=ARTEFACT_FORMAT,
            kind="unknown-model",
        )
    return CreditModel(
        version=str(data["version"]),
        created_at=str(data["created_at"]),
        target=str(data["target"]),
        id_columns=list(data["id_columns"]),
        specs=[FeatureSpec.from_json(s) for s in data["features"]],
        scorecard=Scorecard.from_json(data["scorecard"]),
        gbm=GbmModel.from_json(data["gbm"]),
        training=dict(data["training"]),
        metrics=dict(data["metrics"]),
        baselines={name: Baseline.from_json(b) for name, b in data.get("baselines", {}).items()},
    )


class ModelShelf:
    """The model artefacts of a folder, by version; the newest is the default."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._models: dict[str, CreditModel] = {}
        for path in sorted(folder.glob("credit-model-*.json")):
            model = load_model(path)
            self._models[model.version] = model

    @property
    def versions(self) -> list[str]:
        return sorted(self._models, key=lambda v: self._models[v].created_at)

    def get(self, version: str | None = None) -> CreditModel:
        if not self._models:
            raise CreditError(
                Label("{folder}：这里没有部署授信模型", "{folder}: no credit model is deployed here"),
                folder=self.folder,
                kind="unknown-model",
            )
        if version is None:
            return self._models[self.versions[-1]]
        if version not in self._models:
            raise CreditError(
                Label(
                    "模型版本 {version!r} 不存在（已部署：{deployed}）",
                    "model version {version!r} is unknown (deployed: {deployed})",
                ),
                version=version,
                deployed=", ".join(self.versions),
                field="model_version",
                kind="unknown-model",
            )
        return self._models[version]


@dataclass
class TrainResult:
    model: CreditModel
    test_labels: np.ndarray
    test_scorecard_pd: np.ndarray
    test_gbm_pd: np.ndarray
    test_scores: np.ndarray


def fit_models(
    columns: Mapping[str, np.ndarray], kinds: Mapping[str, str], y: np.ndarray, settings: Mapping[str, Any]
) -> tuple[Scorecard, GbmModel]:
    return (
        fit_scorecard(columns, kinds, y, settings["scorecard"]),
        fit_gbm(columns, kinds, y, settings["gbm"]),
    )


def score_distribution(scores: np.ndarray, width: int = 20) -> list[dict[str, Any]]:
    low = int(math.floor(scores.min() / width) * width)
    high = int(math.ceil((scores.max() + 1e-9) / width) * width)
    counts, edges = np.histogram(scores, bins=np.arange(low, high + width, width))
    return [
        {"from": int(edges[i]), "to": int(edges[i + 1]), "count": int(c)} for i, c in enumerate(counts) if c
    ]


def calibration(y: np.ndarray, pd_: np.ndarray, groups: int = 10) -> list[dict[str, float]]:
    order = np.argsort(pd_, kind="stable")
    out = []
    for chunk in np.array_split(order, groups):
        if len(chunk):
            out.append(
                {
                    "predicted": round(float(pd_[chunk].mean()), 4),
                    "observed": round(float(y[chunk].mean()), 4),
                }
            )
    return out


def train(
    frame: pd.DataFrame,
    target: str,
    *,
    source: str,
    data_fingerprint: str,
    id_columns: Sequence[str] = (),
    settings: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Both models on a stratified training split, metrics on the held-out rest."""
    from sklearn.model_selection import train_test_split

    settings = settings or training_settings()
    ids, features, labels = split_columns(frame, target, source, settings, id_columns)
    specs = infer_specs(frame, features, float(settings["range_widen"]))
    holdout = settings["holdout"]
    train_rows, test_rows = train_test_split(
        np.arange(len(frame)),
        test_size=float(holdout["share"]),
        random_state=int(holdout["seed"]),
        stratify=labels,
    )
    train_frame, test_frame = frame.iloc[train_rows], frame.iloc[test_rows]
    kinds = {spec.name: spec.kind for spec in specs}
    train_columns = frame_columns(train_frame, specs)
    test_columns = frame_columns(test_frame, specs)
    scorecard, gbm = fit_models(train_columns, kinds, labels[train_rows], settings)
    y_test = labels[test_rows]
    scores = scorecard.score_columns(test_columns)
    sc_pd = scorecard.pds(scores)
    gbm_pd = gbm.predict(gbm.matrix(test_columns), threads=0)
    train_scores = scorecard.score_columns(train_columns)
    baselines = {"score": baseline_of(train_scores, "numeric")}
    baselines.update({spec.name: baseline_of(train_columns[spec.name], spec.kind) for spec in specs})
    created = dt.datetime.now(dt.UTC)
    version = f"{created:%Y%m%dT%H%M%S}-{data_fingerprint[:8]}"
    metrics = {
        "holdout_rows": len(test_rows),
        "holdout_bad_rate": round(float(y_test.mean()), 4),
        "scorecard": auc_ks_gini(y_test, sc_pd),
        "gbm": auc_ks_gini(y_test, gbm_pd),
        "iv": dict(sorted(scorecard.iv.items(), key=lambda kv: -kv[1])),
        "selected_features": [card.name for card in scorecard.features],
        "score_distribution": score_distribution(scores),
        "calibration": {"scorecard": calibration(y_test, sc_pd), "gbm": calibration(y_test, gbm_pd)},
    }
    model = CreditModel(
        version=version,
        created_at=created.isoformat(),
        target=target,
        id_columns=ids,
        specs=specs,
        scorecard=scorecard,
        gbm=gbm,
        training={
            "source": source,
            "sha256": data_fingerprint,
            "rows": len(frame),
            "train_rows": len(train_rows),
            "bad_rate": round(float(labels.mean()), 4),
            "holdout_share": float(holdout["share"]),
            "seed": int(holdout["seed"]),
            "settings_version": int(settings.get("version", 1)),
        },
        metrics=metrics,
        baselines=baselines,
    )
    return TrainResult(model, y_test, sc_pd, gbm_pd, scores)


@functools.cache
def _chinese_font_family() -> str:
    """The packaged CJK font (the one the PDFs embed) registered with matplotlib once; its family name."""
    from matplotlib import font_manager

    from leaseguard.pdf import CJK_FONT_FILE

    font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    return str(font_manager.FontProperties(fname=str(CJK_FONT_FILE)).get_name())


def calibration_plot(result: TrainResult, path: Path, lang: Lang = DEFAULT_LANG) -> Path:
    """The held-out calibration of both models as a PNG, its words in `lang` (Chinese in the packaged CJK
    font, so the chart reads the same on a machine without Chinese fonts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    zh = lang == "zh"
    # Latin from matplotlib's own DejaVu Sans, Chinese from the packaged font (it has no Latin letters).
    with plt.rc_context({"font.family": ["DejaVu Sans", _chinese_font_family()]}):
        figure, axes = plt.subplots(figsize=(5, 5))
        for label, key in (("评分卡" if zh else "scorecard", "scorecard"), ("LightGBM", "gbm")):
            points = result.model.metrics["calibration"][key]
            axes.plot(
                [p["predicted"] for p in points], [p["observed"] for p in points], marker="o", label=label
            )
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="完全校准" if zh else "perfect")
        axes.set_xlabel(
            "预测违约概率（十分位均值）" if zh else "predicted probability of default (decile mean)"
        )
        axes.set_ylabel("实际坏账率" if zh else "observed bad rate")
        axes.set_title(
            f"验证集上的校准（{result.model.version}）"
            if zh
            else f"Calibration on the held-out split ({result.model.version})"
        )
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
