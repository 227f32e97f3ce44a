"""`leaseguard tracking decode HEX [--json]`: one JT/T 808 frame from a BeiDou/GPS terminal, decoded and said
in words people read (Chinese by default, `--lang en`), or with `--json` as the decoder's fields. A frame
that cannot be decoded is one line and exit 1. (The gateway, binding and alerts of issue 20 are not built yet:
see docs/tracking.md.)"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from leaseguard.cli.common import LangOption, chosen_lang, fail, say
from leaseguard.cli.tracking_alert_commands import alerts_command
from leaseguard.vocabulary import Label, Lang

if TYPE_CHECKING:
    from leaseguard.tracking.jt808 import Location, Message

tracking_app = typer.Typer(
    name="tracking",
    help="Vehicle and machine terminals (JT/T 808, BeiDou/GPS): decode a frame.",
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


tracking_app.command("alerts")(alerts_command)


def register(app: typer.Typer) -> None:
    app.add_typer(tracking_app)
