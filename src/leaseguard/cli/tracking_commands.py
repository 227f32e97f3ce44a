"""`leaseguard tracking decode HEX [--json]`: one JT/T 808 frame from a BeiDou/GPS terminal, decoded and said
in words people read (Chinese by default, `--lang en`), or with `--json` as the decoder's fields. A frame
that cannot be decoded is one line and exit 1.

`leaseguard tracking serve [--host] [--port]`: the JT/T 808 gateway terminals connect to (tracking.gateway);
`leaseguard tracking simulate --terminals N --interval S --duration D`: simulated terminals against it. See
docs/tracking.md."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
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
from leaseguard.cli.tracking_alert_commands import alerts_command
from leaseguard.vocabulary import Label, Lang

if TYPE_CHECKING:
    from leaseguard.tracking.gateway import Gateway, GatewaySettings
    from leaseguard.tracking.jt808 import Location, Message
    from leaseguard.tracking.ports import TerminalKeeper

tracking_app = typer.Typer(
    name="tracking",
    help="Vehicle and machine terminals (JT/T 808, BeiDou/GPS): decode a frame, run the gateway, simulate.",
    no_args_is_help=True,
)

KINDS = {
    "registration": Label("终端注册", "terminal registration"),
    "authentication": Label("终端鉴权", "terminal authentication"),
    "heartbeat": Label("终端心跳", "heartbeat"),
    "location": Label("位置信息汇报", "location report"),
    "batch_upload": Label("定位数据批量上传", "batch location upload"),
    "other": Label("未解析的消息", "message not decoded"),
}
EXTRAS = {
    "mileage_km": Label("里程 {value} 千米", "mileage {value} km"),
    "fuel_l": Label("油量 {value} 升", "fuel {value} L"),
    "recorder_speed_kmh": Label("行驶记录速度 {value} 千米/时", "recorder speed {value} km/h"),
    "signal": Label("信号强度 {value}", "signal {value}"),
    "satellites": Label("卫星数 {value}", "satellites {value}"),
}
NONE = Label("无", "none")


def _flags(names: list[str], lang: Lang) -> str:
    from leaseguard.tracking.jt808 import FLAG_LABELS

    if not names:
        return NONE.text(lang)
    joiner = "、" if lang == "zh" else ", "
    return joiner.join(FLAG_LABELS[name].text(lang) if name in FLAG_LABELS else name for name in names)


def _say_location(location: Location, lang: Lang) -> None:
    say(
        Label(
            "位置：纬度 {lat}，经度 {lon}，高程 {alt} 米，速度 {speed} 千米/时，方向 {dir}°",
            "position: latitude {lat}, longitude {lon}, altitude {alt} m, speed {speed} km/h, heading {dir}°",
        ),
        lat=f"{location.latitude:.6f}",
        lon=f"{location.longitude:.6f}",
        alt=location.altitude,
        speed=location.speed_kmh,
        dir=location.direction,
    )
    say(Label("时间：{time}", "time: {time}"), time=location.time or NONE.text(lang))
    say(Label("报警：{flags}", "alarms: {flags}"), flags=_flags(location.alarm, lang))
    say(Label("状态：{flags}", "status: {flags}"), flags=_flags(location.status, lang))
    extras = [
        EXTRAS[key].text(lang, value=value) if key in EXTRAS else f"{key}={value}"
        for key, value in location.extras.items()
    ]
    if extras:
        say(
            Label("附加信息：{items}", "extra items: {items}"),
            items="；".join(extras) if lang == "zh" else "; ".join(extras),
        )


def _say(message: Message, lang: Lang) -> None:
    from leaseguard.tracking.jt808 import Authentication, BatchUpload, Location, Registration, Undecoded

    head, body = message.header, message.body
    say(
        Label(
            "消息 0x{id:04x}（{kind}），终端手机号 {phone}，流水号 {serial}，协议 JT/T 808-{version}",
            "message 0x{id:04x} ({kind}), terminal phone {phone}, serial {serial}, protocol JT/T 808-{version}",
        ),
        id=head.msg_id,
        kind=KINDS[body.kind].text(lang),
        phone=head.phone,
        serial=head.serial,
        version=head.version,
    )
    if head.packet_total is not None:
        say(
            Label("分包：第 {index} 包，共 {total} 包", "sub-package {index} of {total}"),
            index=head.packet_index,
            total=head.packet_total,
        )
    if isinstance(body, Location):
        _say_location(body, lang)
    elif isinstance(body, BatchUpload):
        say(
            Label("共 {count} 条位置（{type}）", "{count} locations ({type})"),
            count=body.count,
            type=Label("盲区补报", "blind-area supplement").text(lang)
            if body.batch_type == 1
            else Label("正常批量汇报", "normal batch").text(lang),
        )
        for number, location in enumerate(body.locations, 1):
            say(Label("— 第 {n} 条", "— item {n}"), n=number)
            _say_location(location, lang)
    elif isinstance(body, Registration):
        say(
            Label(
                "省 {province}，市县 {city}，制造商 {manufacturer}，型号 {model}，终端 ID {terminal}，"
                "车牌颜色 {colour}，车牌 {plate}",
                "province {province}, city {city}, manufacturer {manufacturer}, model {model}, "
                "terminal id {terminal}, plate colour {colour}, plate {plate}",
            ),
            province=body.province,
            city=body.city,
            manufacturer=body.manufacturer,
            model=body.model,
            terminal=body.terminal_id,
            colour=body.plate_colour,
            plate=body.plate,
        )
    elif isinstance(body, Authentication):
        say(Label("鉴权码：{code}", "authentication code: {code}"), code=body.code)
        if body.imei is not None:
            say(
                Label("IMEI {imei}，软件版本 {software}", "IMEI {imei}, software version {software}"),
                imei=body.imei,
                software=body.software_version,
            )
    elif isinstance(body, Undecoded):
        say(Label("消息体（十六进制）：{hex}", "body (hex): {hex}"), hex=body.body_hex or NONE.text(lang))


@tracking_app.command("decode")
def decode_command(
    frame: Annotated[str, typer.Argument(help="One whole frame in hex, 7e … 7e (spaces allowed).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the decoded fields as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Decode one JT/T 808 frame (2013 or 2019): message id, terminal phone, serial, and its fields."""
    from leaseguard.tracking.jt808 import FrameError, decode_hex

    spoken = chosen_lang(lang)
    try:
        message = decode_hex(frame)
    except FrameError as error:
        fail(error)
    if as_json:
        print(json.dumps(message.to_json(), ensure_ascii=False, indent=2))
    else:
        _say(message, spoken)


STATS_LINE = Label(
    "连接 {connections}，帧 {frames}，已存位置 {stored}，已应答 {answered}，丢弃 {dropped}{kinds}",
    "connections {connections}, frames {frames}, positions stored {stored}, answered {answered}, "
    "dropped {dropped}{kinds}",
)


def _say_stats(gateway: Gateway, lang: Lang) -> None:
    from leaseguard.tracking.gateway import CLOSE_KINDS, DROP_KINDS

    stats = gateway.stats
    parts = [
        f"{DROP_KINDS[kind].text(lang) if kind in DROP_KINDS else kind} {count:,}"
        for kind, count in sorted(stats.dropped.items())
    ] + [
        Label("因{why}断开 {count}", "closed for {why} {count}").text(
            lang, why=CLOSE_KINDS[why].text(lang) if why in CLOSE_KINDS else why, count=f"{count:,}"
        )
        for why, count in sorted(stats.closed.items())
    ]
    joiner = "，" if lang == "zh" else ", "
    say(
        STATS_LINE,
        connections=f"{stats.connections:,}",
        frames=f"{stats.frames:,}",
        stored=f"{stats.stored:,}",
        answered=f"{stats.answered:,}",
        dropped=f"{stats.dropped_total:,}",
        kinds=f"（{joiner.join(parts)}）"
        if parts and lang == "zh"
        else f" ({joiner.join(parts)})"
        if parts
        else "",
    )


def _gateway_settings(directory: Path | None, memory: bool) -> tuple[GatewaySettings, TerminalKeeper]:
    from leaseguard.errors import InvalidInputError
    from leaseguard.tracking.gateway import SETTINGS_PATH, GatewaySettings
    from leaseguard.tracking.memory import MemoryKeeper
    from leaseguard.workspace import WorkspaceError, find_workspace

    workspace = None
    if memory:
        with contextlib.suppress(WorkspaceError):  # a demonstration needs no workspace
            workspace = find_workspace(directory)
    else:
        workspace = open_workspace(directory)
    try:
        settings = GatewaySettings.from_settings(
            workspace.setting(*SETTINGS_PATH, default=None) if workspace else None
        )
    except InvalidInputError as error:
        fail(error)
    if memory or workspace is None:
        return settings, MemoryKeeper()
    from leaseguard.tracking.storage import keeper_for

    keeper: TerminalKeeper = keeper_for(workspace)
    return settings, keeper


async def _serve(gateway: Gateway, host: str, port: int, lang: Lang) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sign in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sign, stop.set)
    try:
        bound = await gateway.start(host, port)
    except OSError as error:
        fail(
            Label("无法在 {host}:{port} 监听：{reason}", "cannot listen on {host}:{port}: {reason}"),
            host=host,
            port=port,
            reason=error.strerror or str(error),
        )
    say(
        Label(
            "JT/T 808 网关在 {host}:{port} 监听（2013 与 2019 版终端；Ctrl+C 停止）",
            "JT/T 808 gateway listening on {host}:{port} (2013 and 2019 terminals; Ctrl+C stops it)",
        ),
        host=host,
        port=bound,
    )
    every = gateway.settings.stats_every_seconds
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if not stop.is_set():
            _say_stats(gateway, lang)
    say(Label("正在停止：存储并应答待存的位置……", "stopping: storing and answering the positions waiting…"))
    await gateway.stop()
    _say_stats(gateway, lang)


@tracking_app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: tracking.gateway.host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: tracking.gateway.port, 8808).")] = None,
    memory: Annotated[
        bool, typer.Option("--memory", help="Keep terminals and positions in memory only (a demonstration).")
    ] = False,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Run the JT/T 808 gateway: terminals register, authenticate and report positions, which are stored."""
    from leaseguard.tracking.gateway import Gateway

    spoken = chosen_lang(lang)
    settings, keeper = _gateway_settings(workspace, memory)
    gateway = Gateway(keeper, settings)
    asyncio.run(_serve(gateway, host or settings.host, settings.port if port is None else port, spoken))


@tracking_app.command("simulate")
def simulate_command(
    terminals: Annotated[int, typer.Option(min=1, help="How many terminals.")] = 100,
    interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between two reports of one terminal.")
    ] = 30.0,
    duration: Annotated[float, typer.Option(min=0.01, help="Seconds of reporting.")] = 60.0,
    host: Annotated[str, typer.Option(help="The gateway's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The gateway's port.")] = 8808,
    seed: Annotated[int, typer.Option(help="Seed of the terminals' paths, versions and alarms.")] = 20,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the summary to this JSON file.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Simulated terminals (2013 and 2019) register, authenticate and report positions to a gateway; prints
    what was sent, answered and lost and the time from send to reply."""
    from leaseguard.tracking.simulate import Simulation, raise_open_files_limit, simulate

    chosen_lang(lang)
    raise_open_files_limit(terminals + 256)
    say(
        Label(
            "{terminals} 个模拟终端连接 {host}:{port}，每 {interval} 秒上报一次，共 {duration} 秒……",
            "{terminals} simulated terminals to {host}:{port}, reporting every {interval} s for {duration} s…",
        ),
        terminals=f"{terminals:,}",
        host=host,
        port=port,
        interval=interval,
        duration=duration,
    )
    result = asyncio.run(simulate(Simulation(terminals, interval, duration, host=host, port=port, seed=seed)))
    summary = result.summary()
    if result.connected == 0:
        fail(
            Label(
                "无法连接网关 {host}:{port}：{reason}", "cannot reach the gateway at {host}:{port}: {reason}"
            ),
            host=host,
            port=port,
            reason=result.failures[0] if result.failures else "?",
        )
    say(
        Label(
            "终端 {terminals}：已连接 {connected}，已鉴权 {authenticated}；发送 {sent}（位置 {positions}，其中报警 "
            "{alarms}），已应答 {answered}，被拒 {refused}，丢失 {lost}",
            "terminals {terminals}: connected {connected}, authenticated {authenticated}; sent {sent} (positions "
            "{positions}, with an alarm {alarms}), answered {answered}, refused {refused}, lost {lost}",
        ),
        **{key: f"{value:,}" for key, value in summary.items() if isinstance(value, int)},
    )
    say(
        Label(
            "发送到应答：p50 {p50} 毫秒，p99 {p99} 毫秒，最长 {max} 毫秒（历时 {seconds} 秒）",
            "send to reply: p50 {p50} ms, p99 {p99} ms, longest {max} ms ({seconds} s)",
        ),
        p50=summary["latency_p50_ms"],
        p99=summary["latency_p99_ms"],
        max=summary["latency_max_ms"],
        seconds=summary["seconds"],
    )
    for failure in result.failures[:5]:
        say(Label("失败：{what}", "failed: {what}"), what=failure)
    if json_out is not None:
        json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


# --- terminals, bindings and positions (tracking.storage) ---------------------------------------------------

_STAYS_UNBOUND = Label(
    "注意：终端绑定之前收到的上报仍留在未绑定上报中（`leaseguard tracking unbound`），不会补记到租赁物。",
    "note: reports received before a terminal was bound stay among the unbound reports "
    "(`leaseguard tracking unbound`); they are not moved to the asset.",
)
# Short words: the table fits an 80-column terminal.
_POSITION_HEADERS = (
    Label("终端", "terminal"),
    Label("类型", "kind"),
    Label("时间", "time"),
    Label("纬度", "lat."),
    Label("经度", "long."),
    Label("千米/时", "km/h"),
    Label("方向", "dir."),
    Label("报警", "alarms"),
)
_TERMINAL_KINDS = {"wired": Label("有线", "wired"), "wireless": Label("无线", "wireless")}


@tracking_app.command("bind")
def bind_command(
    file: Annotated[Path, typer.Argument(help="A trackers.csv file (CSV or XLSX).", show_default=False)],
    errors: Annotated[
        Path,
        typer.Option("--errors", help="Where to write every rejected row as CSV (only when there are some)."),
    ] = Path("import-errors.csv"),
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Bind terminals to assets, or end a binding: load a trackers.csv (lessor, asset_id, terminal_phone,
    terminal_id, installed_on, kind, and removed_on when a terminal was taken off) as `leaseguard import` does,
    every bad row reported."""
    from leaseguard.cli.import_commands import import_files

    try:
        import_files([file], kind="trackers", errors=errors, lang=lang, workspace=workspace)
    finally:
        # Said whatever came of the file: the rows that did load bind from now on only.
        say(_STAYS_UNBOUND)


@tracking_app.command("position")
def position_command(
    asset_id: Annotated[str, typer.Argument(help="The asset's id (assets.csv asset_id).")],
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Show the asset's track on this day (GMT+8, YYYY-MM-DD) instead.",
            show_default=False,
        ),
    ] = None,
    lessor: Annotated[
        str | None,
        typer.Option(
            "--lessor",
            help="The lessor whose asset it is (required when the store holds several).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the API's JSON body instead of a table.")
    ] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Where an asset was last seen (each terminal's last position), or with --date its track on that day."""
    from leaseguard.cli.lookup_commands import lookup_session
    from leaseguard.usecases.asset_positions import AssetPositionOut, PositionOut, day_track, last_known

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    on = parse_day(day, "--date") if day is not None else None
    with lookup_session(opened, lessor) as (session, at):
        connection = session.connection()
        if on is None:
            positions = last_known(connection, at, asset_id)
            answer = AssetPositionOut(asset_id=asset_id, items=[PositionOut.of(p) for p in positions])
            body: dict[str, object] = answer.model_dump(mode="json")
        else:
            positions = day_track(connection, at, asset_id, on, limit=MAX_TRACK_POINTS).points
            body = {
                "asset_id": asset_id,
                "date": on.isoformat(),
                "items": [PositionOut.of(p).model_dump(mode="json") for p in positions],
            }
    if as_json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if on is None:
        # One terminal a line: a last position is read whole, the year of its time included.
        say(Label("租赁物 {asset} 的最后位置：", "last known position of asset {asset}:"), asset=asset_id)
        for position in positions:
            say(
                Label(
                    "  {phone}（{kind}）{time}：纬度 {lat}，经度 {lon}，速度 {speed} 千米/时，"
                    "方向 {dir}°，报警：{alarms}",
                    "  {phone} ({kind}) {time}: latitude {lat}, longitude {lon}, speed {speed} km/h, heading "
                    "{dir}°, alarms: {alarms}",
                ),
                phone=position.terminal_phone,
                kind=_TERMINAL_KINDS[position.kind].text(chosen) if position.kind in _TERMINAL_KINDS else "?",
                time=position.time.isoformat(),
                lat=position.latitude,
                lon=position.longitude,
                speed=position.speed_kmh,
                dir=position.direction,
                alarms=_flags(position.alarm, chosen),
            )
        return
    title = Label(
        "租赁物 {asset} 在 {day} 的轨迹（{count} 个点，北京时间）",
        "track of asset {asset} on {day} ({count} points, GMT+8)",
    ).text(chosen, asset=asset_id, day=on, count=len(positions))
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for number, header in enumerate(_POSITION_HEADERS):
        # Only the alarms may fold: a phone number or a coordinate broken or cut short is of no use.
        last = number == len(_POSITION_HEADERS) - 1
        table.add_column(header.text(chosen), overflow="fold", no_wrap=not last)
    for position in positions:
        table.add_row(
            position.terminal_phone,
            _TERMINAL_KINDS[position.kind].text(chosen) if position.kind in _TERMINAL_KINDS else "",
            position.time.strftime("%H:%M:%S"),
            position.latitude,
            position.longitude,
            position.speed_kmh,
            f"{position.direction}°",
            _flags(position.alarm, chosen),
        )
    console.print(table)


MAX_TRACK_POINTS = 10_000  # a day of 30-second reports of three terminals fits (2,880 each)


@tracking_app.command("prune")
def prune_command(
    before: Annotated[
        str | None,
        typer.Option(
            "--before",
            help="Delete the positions of every day before this one (YYYY-MM-DD); default: today less the "
            "workspace's tracking.retention_days.",
            show_default=False,
        ),
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete old positions and unbound reports, a day at a time; each terminal's last position stays."""
    from leaseguard.tracking.storage import prune, retention_days
    from leaseguard.usecases.asset_positions import today_in_china

    opened = open_workspace(workspace)
    chosen_lang(lang, opened)
    if before is not None:
        cut = parse_day(before, "--before")
    else:
        cut = today_in_china() - dt.timedelta(days=retention_days(opened))
    engine = opened.engine()
    try:
        done = prune(engine, cut)
    finally:
        engine.dispose()
    say(
        Label(
            "已删除 {before} 之前 {days} 天的 {positions} 条位置和 {unbound} 条未绑定终端的上报；各终端的最后位置保留",
            "deleted {positions} positions and {unbound} unbound reports of {days} day(s) before {before}; each "
            "terminal's last position stays",
        ),
        before=cut.isoformat(),
        days=done.days,
        positions=done.positions,
        unbound=done.unbound,
    )


@tracking_app.command("unbound")
def unbound_command(
    phone: Annotated[
        str | None, typer.Option("--phone", help="Only this terminal's reports.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Reports of terminals bound to no asset on the report's day: held apart, attached to nobody. Bind the
    terminal (`tracking bind`) for its next reports to reach an asset."""
    from leaseguard.tracking.storage import unbound_reports
    from leaseguard.usecases.asset_positions import degrees_text, kmh_text

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    engine = opened.engine()
    try:
        with engine.connect() as connection:
            found = unbound_reports(connection, phone=phone, limit=limit)
    finally:
        engine.dispose()
    from leaseguard.tracking.jt808 import GMT8, alarm_names

    if as_json:
        items = [
            {
                "id": report.id,
                "phone": report.phone,
                "received_at": report.received_at.astimezone(GMT8).isoformat(),
                "time": report.fix_time.astimezone(GMT8).isoformat(),
                "latitude": degrees_text(report.latitude_e6),
                "longitude": degrees_text(report.longitude_e6),
                "speed_kmh": kmh_text(report.speed_dkmh),
                "alarm": alarm_names(report.alarm_word),
                "supplement": report.supplement,
                "raw": report.raw.hex(),
            }
            for report in found
        ]
        print(json.dumps({"items": items}, ensure_ascii=False, indent=2))
        return
    if not found:
        say(Label("没有未绑定终端的上报", "no reports of unbound terminals"))
        return
    table = Table(
        title=Label(
            "未绑定终端的上报（最新在前，北京时间）", "reports of unbound terminals (newest first, GMT+8)"
        ).text(chosen),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for header in (
        Label("终端手机号", "terminal phone"),
        Label("接收", "received"),
        Label("定位", "fixed"),
        Label("纬度", "latitude"),
        Label("经度", "longitude"),
        Label("报警", "alarms"),
    ):
        table.add_column(header.text(chosen), no_wrap=header.en != "alarms", overflow="fold")
    for report in found:
        table.add_row(
            report.phone,
            report.received_at.astimezone(GMT8).strftime("%m-%d %H:%M:%S"),
            report.fix_time.astimezone(GMT8).strftime("%m-%d %H:%M:%S"),
            degrees_text(report.latitude_e6),
            degrees_text(report.longitude_e6),
            _flags(alarm_names(report.alarm_word), chosen),
        )
    console.print(table)


tracking_app.command("alerts")(alerts_command)


def register(app: typer.Typer) -> None:
    app.add_typer(tracking_app)
