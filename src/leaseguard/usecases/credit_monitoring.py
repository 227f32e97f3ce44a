"""The score's drift over time: for each of the last weeks, the population stability index (PSI) of the scores
of a lessor's decisions against the model's training population, as `leaseguard credit monitor` computes it
(`credit.monitor`: the model's score baseline and `Baseline.psi_of`), in the bands of
`defaults/credit/monitor.yaml`: stable below `psi_watch`, watch up to `psi_alert`, act above it. The console's
/applications/drift ends here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaseguard.credit.model import CreditModel
from leaseguard.credit.settings import monitor_settings
from leaseguard.store.models import CreditApplication
from leaseguard.vocabulary import Label

WEEKS = 12
# Fewer decisions than this in a week: its PSI is shown, said to be of a small sample.
SMALL_SAMPLE = 30

PSI_BANDS: dict[str, Label] = {
    "stable": Label("稳定", "stable"),
    "watch": Label("关注", "watch"),
    "act": Label("需处置", "act"),
}
PSI_BAND_MEANINGS: dict[str, Label] = {
    "stable": Label("近期申请与训练样本一致。", "Recent applicants look like the training population."),
    "watch": Label("分布已有偏移，需持续观察。", "The population has moved; keep an eye on it."),
    "act": Label(
        "分布明显偏移：复核模型与政策。", "The population has shifted: review the model and the policy."
    ),
}


def psi_band(psi: float, watch: float, act: float) -> str:
    """stable, watch or act for a PSI, as `credit monitor` alerts above `act` (psi_alert)."""
    if psi > act:
        return "act"
    if psi >= watch:
        return "watch"
    return "stable"


@dataclass(frozen=True)
class DriftWeek:
    week: dt.date  # its Monday
    decisions: int
    psi: float | None  # None: no decision that week
    band: str | None

    @property
    def small(self) -> bool:
        return 0 < self.decisions < SMALL_SAMPLE


@dataclass(frozen=True)
class ScoreDrift:
    model_version: str
    watch: float
    act: float
    weeks: list[DriftWeek]
    has_baseline: bool


def score_drift(
    session: Session, lessor: str, model: CreditModel, *, today: dt.date, weeks: int = WEEKS
) -> ScoreDrift:
    """The PSI of the scores of `lessor`'s decisions taken with `model`, week by week (Monday to Sunday) over the
    `weeks` weeks ending with today's, oldest first; a week without decisions has none."""
    settings = monitor_settings()
    watch, act = float(settings["psi_watch"]), float(settings["psi_alert"])
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    mondays = [first + dt.timedelta(weeks=n) for n in range(weeks)]
    baseline = model.baselines.get("score")
    scores: dict[dt.date, list[float]] = {monday: [] for monday in mondays}
    counts: dict[dt.date, list[int]] = {monday: [] for monday in mondays}
    # Each day's scores counted by the store: as many rows as days and distinct scores, however many decisions
    # (a hundred thousand decisions over twelve weeks read one by one took a third of a second).
    rows = session.execute(
        select(CreditApplication.applied_on, CreditApplication.score, func.count())
        .where(
            CreditApplication.lessor == lessor,
            CreditApplication.source == "decision",
            CreditApplication.model_version == model.version,
            CreditApplication.applied_on >= first,
            CreditApplication.applied_on <= today,
            CreditApplication.score.is_not(None),
        )
        .group_by(CreditApplication.applied_on, CreditApplication.score)
    )
    for applied_on, score, count in rows:
        monday = applied_on - dt.timedelta(days=applied_on.weekday())
        scores[monday].append(float(score or 0))  # never None: the query leaves those out
        counts[monday].append(int(count))
    out = []
    for monday in mondays:
        values = np.repeat(np.asarray(scores[monday], dtype=np.float64), counts[monday])
        if not values.size or baseline is None:
            out.append(DriftWeek(monday, int(values.size), None, None))
            continue
        psi = round(baseline.psi_of(values), 4)
        out.append(DriftWeek(monday, int(values.size), psi, psi_band(psi, watch, act)))
    return ScoreDrift(model.version, watch, act, out, baseline is not None)
