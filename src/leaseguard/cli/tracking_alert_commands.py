"""`leaseguard tracking alerts [--as-of DATE] [--lessor L] [--json]`: evaluate the location alerts of the tracked
assets up to the day's end (now, for today) and list those open, Chinese first (`--lang en`): asset, contract,
alert, severity, since when, reason and the asset's last known position. Registered under `tracking` by
cli/tracking_commands.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    fail,
    open_workspace,
    parse_day,
    say,
)
from leaseguard.tracking.jt808 import GMT8  # the terminals' and the book's time
from leaseguard.vocabulary import Label


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(GMT8).strftime("%Y-%m-%d %H:%M")


def alerts_command(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluate up to the end of this day (YYYY-MM-DD, GMT+8; default: now)."),
    ] = None,
    lessor: Annotated[str | None, typer.Option("--lessor", help="Only this lessor's assets.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evaluation and open alerts as JSON.")
    ] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Evaluate the location alerts (power cut, antenna cut, tamper, left region, silent, still, diverged) and
    list the open ones; each newly raised alert goes into the evidence log with the frames that raised it."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.tracking.alerts import SEVERITY_LABELS
    from leaseguard.usecases.tracking_alerts import day_end, evaluate_workspace_alerts, open_alert_rows

    opened_workspace = open_workspace(workspace)
    spoken = chosen_lang(lang, opened_workspace)
    now = dt.datetime.now(dt.UTC)
    until = day_end(parse_day(as_of), now) if as_of is not None else now
    try:
        run = evaluate_workspace_alerts(opened_workspace, until, lessor)
        engine = opened_workspace.engine()
        try:
            rows = open_alert_rows(engine, until, lessor, spoken)
        finally:
            engine.dispose()
    except LeaseguardError as error:
        fail(error)
    if as_json:
        document = {
            "as_of": run.as_of.astimezone(GMT8).isoformat(),
            "lessors": [
                {
                    "lessor": one.lessor,
                    "evaluated": one.evaluated,
                    "previous_as_of": one.previous_as_of.astimezone(GMT8).isoformat()
                    if one.previous_as_of
                    else None,
                    "assets": one.assets,
                    "opened": len(one.opened),
                    "still_open": len(one.still_open),
                    "cleared": len(one.cleared),
                }
                for one in run.lessors
            ],
            "open": [row.as_json(spoken) for row in rows],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return
    say(
        Label(
            "位置报警评估至 {as_of}：新增 {opened}，持续 {still}，解除 {cleared}",
            "location alerts evaluated up to {as_of}: {opened} raised, {still} still open, {cleared} cleared",
        ),
        as_of=_local(run.as_of),
        opened=run.opened,
        still=run.still_open,
        cleared=run.cleared,
    )
    for one in run.lessors:
        if not one.evaluated and one.previous_as_of is not None:
            say(
                Label(
                    "出租人 {lessor} 已评估至 {previous}，本次未改变任何报警",
                    "lessor {lessor} was evaluated up to {previous} already: nothing changed",
                ),
                lessor=one.lessor,
                previous=_local(one.previous_as_of),
            )
    if not rows:
        say(Label("没有未解除的位置报警", "no open location alerts"))
        return
    zh = spoken == "zh"
    table = Table(title="未解除的位置报警" if zh else "Open location alerts")
    for header in (
        ("出租人", "Lessor"),
        ("租赁物", "Asset"),
        ("合同", "Contract"),
        ("报警", "Alert"),
        ("级别", "Severity"),
        ("起始", "Since"),
        ("最后位置", "Last position"),
        ("定位时间", "Fixed at"),
    ):
        table.add_column(header[0] if zh else header[1])
    from leaseguard.usecases.asset_positions import degrees_text

    for row in rows:
        position = row.last_position
        table.add_row(
            row.lessor,
            row.asset_id,
            row.contract_no or "—",
            row.reason,
            SEVERITY_LABELS[row.severity].text(spoken),
            _local(row.opened_at),
            "—"
            if position is None
            else f"{degrees_text(position.latitude_e6)}, {degrees_text(position.longitude_e6)}",
            "—" if position is None else _local(position.fix_time),
        )
    console.print(table)
