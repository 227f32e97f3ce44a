"""Location alerts as a job (issue 20): evaluate every tracked asset's reports up to a time, keep the alerts
raised, kept and cleared, and deposit each raised alert in the evidence log with the raw frames of the reports
that raised it, so a track can be shown to a court. `leaseguard tracking alerts` and the daily run
(`usecases.daily_book`) end here; the call list reads the open alerts back as signals (`usecases.early_warning`).

Each lessor is evaluated from its own book only, in one transaction of its own: its alerts, its evaluation and
its evidence records are written together or not at all. An evaluation up to a time the lessor's book was
already evaluated to (or past) changes nothing, so running a day twice raises nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leaseguard.errors import ConflictError, InvalidInputError
from leaseguard.tenancy.service import require_lessor
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from leaseguard.evidence import NoteSigner
    from leaseguard.tracking.alert_store import LastPosition, StoredAlert
    from leaseguard.tracking.alerts import AlertRules, TrackingAlert
    from leaseguard.workspace import Workspace

EVIDENCE_KIND = "tracking-alert"
ASSETS_AT_ONCE = 200  # assets whose reports are read and evaluated together: memory holds one such chunk


@dataclass(frozen=True)
class LessorEvaluation:
    """One lessor's evaluation up to `as_of`: what it raised, kept open and cleared. `evaluated` is False when
    the lessor's book was already evaluated up to `previous_as_of`, not before `as_of`: nothing changed."""

    lessor: str
    as_of: dt.datetime
    previous_as_of: dt.datetime | None
    evaluated: bool
    assets: int
    opened: tuple[StoredAlert, ...] = ()
    still_open: tuple[TrackingAlert, ...] = ()
    cleared: tuple[TrackingAlert, ...] = ()


@dataclass(frozen=True)
class TrackingAlertsRun:
    as_of: dt.datetime
    lessors: tuple[LessorEvaluation, ...]

    @property
    def opened(self) -> int:
        return sum(len(one.opened) for one in self.lessors)

    @property
    def still_open(self) -> int:
        return sum(len(one.still_open) for one in self.lessors)

    @property
    def cleared(self) -> int:
        return sum(len(one.cleared) for one in self.lessors)


def workspace_alert_rules(workspace: Workspace) -> AlertRules:
    """The rules of the workspace's setting `tracking.alerts` (a file, relative to the workspace), else the
    shipped ones; administrative codes drawn from `tracking.boundaries` (a GeoJSON file) when it is set."""
    from leaseguard.tracking.alerts import load_alert_rules, load_boundaries

    rules_file = workspace.setting("tracking", "alerts")
    boundaries_file = workspace.setting("tracking", "boundaries")
    for name, value in (("tracking.alerts", rules_file), ("tracking.boundaries", boundaries_file)):
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(
                Label("设置 {setting} 应为文件路径", "setting {setting} must be a file path"), setting=name
            )
    boundaries = load_boundaries(workspace.root / boundaries_file) if boundaries_file else None
    return load_alert_rules(workspace.root / rules_file if rules_file else None, boundaries)


def day_end(day: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The time an evaluation of `day` is made up to: the day's end in GMT+8, or now while the day lasts (an
    evaluation never looks past the reports received so far, so the next one takes up the rest of the day)."""
    from leaseguard.tracking.alert_store import day_start

    end = day_start(day + dt.timedelta(days=1))
    now = now or dt.datetime.now(dt.UTC)
    return min(end, now.astimezone(dt.UTC))


def _rules_digest(rules: AlertRules) -> str:
    return hashlib.sha256(rules.model_dump_json().encode("utf-8")).hexdigest()


def evaluate_tracking_alerts(
    engine: Engine,
    as_of: dt.datetime,
    lessor: str | None = None,
    *,
    rules: AlertRules | None = None,
    signer: NoteSigner | None = None,
) -> TrackingAlertsRun:
    """Evaluate the alerts of every tracked asset (of `lessor` only, when given) up to `as_of` (aware), under
    `rules` (default: the shipped ones), each lessor from the alerts its previous evaluation left open; with a
    `signer`, each raised alert goes into the evidence log with its frames."""
    from leaseguard.tracking import alert_store
    from leaseguard.tracking.alerts import load_alert_rules

    if as_of.tzinfo is None:
        raise InvalidInputError(Label("评估时间须带时区", "evaluation times must carry a time zone"))
    as_of = alert_store.utc(as_of)
    rules = rules or load_alert_rules()
    with engine.connect() as connection:
        if lessor is not None:
            require_lessor(connection, lessor)
        lessors = [lessor] if lessor is not None else alert_store.tracked_lessors(connection)
    return TrackingAlertsRun(
        as_of, tuple(_evaluate_lessor(engine, one, as_of, rules, signer) for one in lessors)
    )


def _evaluate_lessor(
    engine: Engine, lessor: str, as_of: dt.datetime, rules: AlertRules, signer: NoteSigner | None
) -> LessorEvaluation:
    from leaseguard.tracking import alert_store
    from leaseguard.tracking.alerts import Evaluation, evaluate

    # The day whose bindings count: the one as_of falls in (GMT+8), or the one it ends.
    day = (as_of - dt.timedelta(microseconds=1)).astimezone(alert_store.GMT8).date()
    with engine.connect() as connection:
        previous_as_of = alert_store.last_evaluation(connection, lessor)
        if previous_as_of is not None and previous_as_of >= as_of:
            return LessorEvaluation(lessor, as_of, previous_as_of, False, 0)
        assets = alert_store.tracked_assets(connection, lessor, day)
        before = [stored.alert for stored in alert_store.open_alerts(connection, lessor)]
        by_asset: dict[str, list[TrackingAlert]] = {}
        for alert in before:
            by_asset.setdefault(alert.asset_id, []).append(alert)
        opened: list[TrackingAlert] = []
        still_open: list[TrackingAlert] = []
        cleared: list[TrackingAlert] = alert_store.untracked_cleared(
            before, {asset.asset_id for asset in assets}, as_of
        )
        for start in range(0, len(assets), ASSETS_AT_ONCE):
            chunk = assets[start : start + ASSETS_AT_ONCE]
            tracks = alert_store.asset_tracks(connection, chunk, as_of, rules.lookback)
            carried = [alert for asset in chunk for alert in by_asset.get(asset.asset_id, ())]
            result = evaluate(tracks, rules, as_of, previous=carried, previous_as_of=previous_as_of)
            opened.extend(result.opened)
            still_open.extend(result.still_open)
            cleared.extend(result.cleared)
    evaluation = Evaluation(tuple(opened), tuple(still_open), tuple(cleared))
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        alert_store.lock_lessor(connection, lessor)
        if alert_store.last_evaluation(connection, lessor) != previous_as_of:
            raise ConflictError(
                Label(
                    "出租人 {lessor} 的位置报警正被另一次评估写入：请稍后重试",
                    "lessor {lessor}'s location alerts were being evaluated at the same time: run it again",
                ),
                lessor=lessor,
            )
        raised = alert_store.write_evaluation(connection, evaluation, now)
        if signer is not None and raised:
            raised = _deposit(connection, lessor, raised, as_of, signer, now)
        alert_store.record_run(
            connection,
            lessor,
            as_of,
            rules_sha256=_rules_digest(rules),
            assets=len(assets),
            evaluation=evaluation,
            now=now,
        )
    return LessorEvaluation(
        lessor,
        as_of,
        previous_as_of,
        True,
        len(assets),
        tuple(raised),
        evaluation.still_open,
        evaluation.cleared,
    )


def _event(stored: StoredAlert, frames: dict[str, Any], as_of: dt.datetime) -> dict[str, Any]:
    from leaseguard.tracking.alert_store import gmt8, point_json
    from leaseguard.tracking.alerts import alert_label

    alert = stored.alert
    return {
        "alert_id": stored.id,
        "lessor": alert.lessor,
        "asset_id": alert.asset_id,
        "contract_no": alert.contract_id,
        "code": alert.code,
        "signal": alert.signal,
        "label": alert_label(alert.code, "zh"),
        "label_en": alert_label(alert.code, "en"),
        "severity": alert.severity,
        "opened_at": gmt8(alert.opened_at),
        "cleared_at": gmt8(alert.cleared_at) if alert.cleared_at else None,
        "reason": {"code": alert.reason.code, "params": dict(alert.reason.params)},
        "text": alert.text("zh"),
        "text_en": alert.text("en"),
        "first": point_json(alert.first),
        "last": point_json(alert.last),
        "cleared_by": point_json(alert.cleared_by),
        "evaluated_to": gmt8(as_of),
        # The reports that raised it, as received: a frame that was pruned before the alert is named and missing.
        "frames": [frames[ref].as_json() for ref in alert.report_refs if ref in frames],
        "frames_missing": [ref for ref in alert.report_refs if ref not in frames],
    }


def _deposit(
    connection: Connection,
    lessor: str,
    raised: Sequence[StoredAlert],
    as_of: dt.datetime,
    signer: NoteSigner,
    now: dt.datetime,
) -> list[StoredAlert]:
    """Every raised alert into the evidence log, as one batch in the caller's transaction."""
    from dataclasses import replace

    from leaseguard.evidence import NewRecord, Provenance, append_records
    from leaseguard.evidence.models import canonical_json
    from leaseguard.tracking import alert_store

    frames = alert_store.raw_frames(connection, lessor, (ref for s in raised for ref in s.alert.report_refs))
    provenance = Provenance("leaseguard tracking alerts", "leaseguard tracking", produced_at=now)
    records = [
        NewRecord(
            canonical_json(_event(stored, frames, as_of)),
            provenance,
            EVIDENCE_KIND,
            "application/json",
            f"tracking_alert:{stored.id}",
        )
        for stored in raised
    ]
    batch = append_records(connection, records, lessor=lessor, signer=signer)
    indexes = {stored.id: receipt.index for stored, receipt in zip(raised, batch.receipts, strict=True)}
    alert_store.set_evidence_index(connection, lessor, indexes)
    return [replace(stored, evidence_index=indexes[stored.id]) for stored in raised]


# ---------------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OpenAlertRow:
    """An open alert as a person reads it, with the asset's last known position."""

    lessor: str
    asset_id: str
    contract_no: str | None
    code: str
    severity: str
    opened_at: dt.datetime
    reason: str
    last_position: LastPosition | None
    evidence_index: int | None

    def as_json(self, lang: Lang = DEFAULT_LANG) -> dict[str, Any]:
        from leaseguard.tracking.alert_store import gmt8
        from leaseguard.tracking.alerts import SEVERITY_LABELS, alert_label

        position = self.last_position
        return {
            "lessor": self.lessor,
            "asset_id": self.asset_id,
            "contract_no": self.contract_no,
            "code": self.code,
            "label": alert_label(self.code, lang),
            "severity": self.severity,
            "severity_label": SEVERITY_LABELS[self.severity].text(lang),
            "opened_at": gmt8(self.opened_at),
            "reason": self.reason,
            "last_position": None
            if position is None
            else {
                "time": gmt8(position.fix_time),
                "latitude": position.latitude_e6 / 1_000_000,
                "longitude": position.longitude_e6 / 1_000_000,
                "terminal_phone": position.terminal_phone,
            },
            "evidence_index": self.evidence_index,
        }


def open_alert_rows(
    engine: Engine, at: dt.datetime, lessor: str | None = None, lang: Lang = DEFAULT_LANG
) -> list[OpenAlertRow]:
    """The alerts open at `at` (of `lessor` only, when given), worst first, then oldest, with reasons in `lang`."""
    from leaseguard.tracking import alert_store

    with engine.connect() as connection:
        stored = alert_store.alerts_open_at(connection, at, lessor)
        positions: dict[tuple[str, str], LastPosition] = {}
        for one in sorted({s.alert.lessor for s in stored}):
            assets = [s.alert.asset_id for s in stored if s.alert.lessor == one]
            found = alert_store.last_known_positions(connection, one, assets)
            positions.update({(one, asset): position for asset, position in found.items()})
    rank = {"high": 0, "medium": 1, "low": 2}
    rows = [
        OpenAlertRow(
            s.alert.lessor,
            s.alert.asset_id,
            s.alert.contract_id,
            s.alert.code,
            s.alert.severity,
            s.alert.opened_at,
            s.alert.text(lang),
            positions.get((s.alert.lessor, s.alert.asset_id)),
            s.evidence_index,
        )
        for s in stored
    ]
    return sorted(rows, key=lambda row: (rank.get(row.severity, 3), row.opened_at, row.lessor, row.asset_id))


def tracking_signals_at(connection: Connection, day: dt.date, lessor: str | None = None) -> Any:
    """The tracking signals of the call list of `day`: lessor, contract_no and one boolean column per tracking
    signal, from the alerts open at the day's end (of `lessor` only, when given)."""
    from leaseguard.tracking.alert_store import alerts_open_at, day_start
    from leaseguard.tracking.signals import lessor_tracking_signal_frame

    at = day_start(day + dt.timedelta(days=1))
    return lessor_tracking_signal_frame(stored.alert for stored in alerts_open_at(connection, at, lessor))


def evaluate_workspace_alerts(
    workspace: Workspace, as_of: dt.datetime, lessor: str | None = None
) -> TrackingAlertsRun:
    """`evaluate_tracking_alerts` on the workspace's store, under its rules (setting tracking.alerts), signing
    the evidence records with its key."""
    from leaseguard.evidence import log_settings

    rules = workspace_alert_rules(workspace)
    signer = log_settings(workspace).signer
    engine = workspace.engine()
    try:
        return evaluate_tracking_alerts(engine, as_of, lessor, rules=rules, signer=signer)
    finally:
        engine.dispose()
