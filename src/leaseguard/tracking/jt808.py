"""A decoder of JT/T 808 frames, the protocol of China's road-transport vehicle terminals (BeiDou/GPS).

Written from the standard, JT/T 808-2013 and JT/T 808-2019 (《道路运输车辆卫星定位系统 终端通讯协议及数据格式》):

- a frame is `0x7e | escaped(header, body, checksum) | 0x7e`; inside it 0x7d 0x01 stands for 0x7d and
  0x7d 0x02 for 0x7e (§5.2); the checksum is the XOR of every header and body byte (§5.3);
- the header (§5.4) is the message id (WORD), the message attributes (WORD: body length bits 0–9, encryption
  bits 10–12, sub-package bit 13, and in 2019 the version flag bit 14), in 2019 a protocol-version byte, the
  terminal's phone number in BCD (6 bytes in 2013, 10 in 2019), the serial number (WORD), and for a sub-package
  the total and the index (WORD each);
- bodies decoded here: terminal registration 0x0100 (§8.5), authentication 0x0102 (§8.8), heartbeat 0x0002
  (§8.3), location report 0x0200 (§8.18, alarm flags table 24, status table 25, extra items table 27) and
  batch upload 0x0704 (§8.48). Any other message id keeps its body as hex.

Times in a location report are BCD `YYMMDDhhmmss` in GMT+8, as the standard says; they are given here with
their +08:00 offset. Anything wrong with a frame — its framing, an escape, the checksum, a length that lies, a
body too short for its fields — is a `FrameError` with a one-line reason, never another exception. Only the
extra items after a location's fixed fields are read leniently: an item running past the end (vendor padding)
leaves the rest under `extras["unparsed"]` as hex and the position stands.

The frames in tests/test_jt808.py come from Traccar's JT/T 808 decoder tests (Apache-2.0), as test data only;
no code of theirs is used here.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

FLAG = 0x7E
ESCAPE = 0x7D
GMT8 = dt.timezone(dt.timedelta(hours=8))

HEARTBEAT = 0x0002
REGISTRATION = 0x0100
AUTHENTICATION = 0x0102
LOCATION = 0x0200
BATCH_UPLOAD = 0x0704
TERMINAL_REPLY = 0x0001
LOGOUT = 0x0003
PLATFORM_REPLY = 0x8001
REGISTRATION_REPLY = 0x8100

# 0x8001 results (§8.2): 0 success/acknowledged, 1 failure, 2 message wrong, 3 not supported, 4 alarm handled.
RESULT_OK = 0
RESULT_FAILURE = 1
RESULT_WRONG = 2
RESULT_NOT_SUPPORTED = 3


class FrameError(InvalidInputError):
    """A frame that cannot be decoded: the message says where and why, in one line; `fault` says which kind of
    fault, for counting (one of FAULTS)."""

    def __init__(self, message: str | Label = "", /, *, fault: str = "body", **params: object) -> None:
        super().__init__(message, **params)
        self.fault = fault


# The kinds of fault a FrameError names: the gateway counts dropped frames by them.
FAULTS = ("framing", "escape", "short", "checksum", "length", "body")


def _bad(zh: str, en: str, fault: str = "body", **params: object) -> FrameError:
    return FrameError(Label(zh, en), fault=fault, **params)


# ---------------------------------------------------------------------------------------------- flags

# (bit, key in JSON, label people read). JT/T 808-2019 table 24; bits 15–17 are reserved.
ALARM_FLAGS: tuple[tuple[int, str, Label], ...] = (
    (0, "emergency", Label("紧急报警", "emergency")),
    (1, "overspeed", Label("超速报警", "overspeed")),
    (2, "fatigue_driving", Label("疲劳驾驶", "fatigue driving")),
    (3, "danger_warning", Label("危险预警", "danger warning")),
    (4, "gnss_module_fault", Label("GNSS 模块故障", "GNSS module fault")),
    (5, "gnss_antenna_disconnected", Label("GNSS 天线未接或被剪断", "GNSS antenna disconnected")),
    (6, "gnss_antenna_short_circuit", Label("GNSS 天线短路", "GNSS antenna short-circuited")),
    (7, "main_power_low", Label("主电源欠压", "main power low")),
    (8, "main_power_off", Label("主电源掉电", "main power off")),
    (9, "display_fault", Label("显示器故障", "display fault")),
    (10, "tts_fault", Label("TTS 模块故障", "TTS module fault")),
    (11, "camera_fault", Label("摄像头故障", "camera fault")),
    (12, "ic_card_fault", Label("IC 卡模块故障", "IC card module fault")),
    (13, "overspeed_warning", Label("超速预警", "overspeed warning")),
    (14, "fatigue_warning", Label("疲劳驾驶预警", "fatigue driving warning")),
    (18, "driving_time_exceeded", Label("当天累计驾驶超时", "daily driving time exceeded")),
    (19, "parking_overtime", Label("超时停车", "parked too long")),
    (20, "area_in_out", Label("进出区域", "entered or left an area")),
    (21, "route_in_out", Label("进出路线", "entered or left a route")),
    (22, "route_time_abnormal", Label("路段行驶时间不足/过长", "route driving time too short or long")),
    (23, "route_deviation", Label("路线偏离", "route deviation")),
    (24, "vss_fault", Label("车辆 VSS 故障", "vehicle VSS fault")),
    (25, "fuel_abnormal", Label("油量异常", "fuel abnormal")),
    (26, "stolen", Label("车辆被盗", "vehicle stolen")),
    (27, "illegal_ignition", Label("非法点火", "illegal ignition")),
    (28, "illegal_displacement", Label("非法位移", "illegal displacement")),
    (29, "collision", Label("碰撞预警", "collision warning")),
    (30, "rollover", Label("侧翻预警", "rollover warning")),
    (31, "illegal_door_open", Label("非法开门", "illegal door opening")),
)

# JT/T 808-2019 table 25; bits 8–9 (load) are read apart, bits 6–7 and 23–31 are reserved.
STATUS_FLAGS: tuple[tuple[int, str, Label], ...] = (
    (0, "acc_on", Label("ACC 开", "ACC on")),
    (1, "positioned", Label("已定位", "positioned")),
    (2, "south_latitude", Label("南纬", "south latitude")),
    (3, "west_longitude", Label("西经", "west longitude")),
    (4, "out_of_service", Label("停运", "out of service")),
    (5, "coordinates_encrypted", Label("经纬度已加密", "coordinates encrypted")),
    (10, "oil_circuit_cut", Label("油路断开", "oil circuit cut")),
    (11, "electric_circuit_cut", Label("电路断开", "electric circuit cut")),
    (12, "door_locked", Label("车门加锁", "doors locked")),
    (13, "door1_open", Label("门 1 开", "door 1 open")),
    (14, "door2_open", Label("门 2 开", "door 2 open")),
    (15, "door3_open", Label("门 3 开", "door 3 open")),
    (16, "door4_open", Label("门 4 开", "door 4 open")),
    (17, "door5_open", Label("门 5 开", "door 5 open")),
    (18, "gps", Label("使用 GPS", "GPS used")),
    (19, "beidou", Label("使用北斗", "BeiDou used")),
    (20, "glonass", Label("使用 GLONASS", "GLONASS used")),
    (21, "galileo", Label("使用 Galileo", "Galileo used")),
    (22, "moving", Label("行驶中", "moving")),
)
LOAD_FLAGS = {
    1: ("half_loaded", Label("半载", "half loaded")),
    3: ("full_loaded", Label("满载", "full loaded")),
}

FLAG_LABELS: dict[str, Label] = {key: label for _, key, label in (*ALARM_FLAGS, *STATUS_FLAGS)} | {
    key: label for key, label in LOAD_FLAGS.values()
}

_ALARM_BY_BIT = {bit: key for bit, key, _ in ALARM_FLAGS}
_STATUS_BY_BIT = {bit: key for bit, key, _ in STATUS_FLAGS}


def _set_bits(word: int, names: dict[int, str]) -> list[str]:
    found: list[str] = []
    bit = 0
    while word:
        if word & 1:
            found.append(names.get(bit) or f"bit_{bit}")
        word >>= 1
        bit += 1
    return found


def alarm_names(word: int) -> list[str]:
    """The alarm flags set in the alarm DWORD, by name in bit order; a reserved bit that is set as `bit_N`."""
    found = _ALARM_SEEN.get(word)
    if found is None:
        found = tuple(_set_bits(word, _ALARM_BY_BIT))
        if len(_ALARM_SEEN) < _SEEN_MAX:
            _ALARM_SEEN[word] = found
    return list(found)


def status_names(word: int) -> list[str]:
    """The status flags set in the status DWORD, by name in bit order, the load (bits 8–9) last as
    `half_loaded`/`full_loaded`; a reserved bit that is set as `bit_N`."""
    found = _STATUS_SEEN.get(word)
    if found is None:
        found = _status_names(word)
        if len(_STATUS_SEEN) < _SEEN_MAX:
            _STATUS_SEEN[word] = found
    return list(found)


def _status_names(word: int) -> tuple[str, ...]:
    names = _set_bits(word & ~0x300, _STATUS_BY_BIT)
    load = word >> 8 & 0b11
    if load in LOAD_FLAGS:
        names.append(LOAD_FLAGS[load][0])
    elif load == 2:
        names.append("load_reserved")
    return tuple(names)


# Terminals send few distinct alarm and status words, so their names are worked out once per word (a bounded
# memo: a stream of random words cannot grow it without end).
_SEEN_MAX = 4096
_ALARM_SEEN: dict[int, tuple[str, ...]] = {}
_STATUS_SEEN: dict[int, tuple[str, ...]] = {}


# ------------------------------------------------------------------------------------------- framing


def checksum(data: bytes) -> int:
    """The XOR of every byte (JT/T 808 §5.3), folded half on half as one integer (a loop over bytes is slow)."""
    value, width = int.from_bytes(data, "big"), len(data)
    while width > 1:
        half = width // 2
        value = value >> 8 * half ^ value & ((1 << 8 * half) - 1)
        width -= half
    return value


def escape(payload: bytes) -> bytes:
    """0x7d → 0x7d 0x01 and 0x7e → 0x7d 0x02 (done after the checksum, §5.2)."""
    return payload.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(escaped: bytes) -> bytes:
    """The bytes between the two 0x7e flags with their escapes undone; any other escape is a FrameError."""
    if ESCAPE not in escaped:
        return escaped
    out = bytearray()
    index = 0
    while index < len(escaped):
        byte = escaped[index]
        if byte == ESCAPE:
            follower = escaped[index + 1] if index + 1 < len(escaped) else None
            if follower not in (0x01, 0x02):
                shown = "end of frame" if follower is None else f"0x{follower:02x}"
                raise _bad(
                    "转义错误：第 {at} 字节的 0x7d 之后是 {next}（应为 0x01 或 0x02）",
                    "bad escape: 0x7d at byte {at} is followed by {next} (must be 0x01 or 0x02)",
                    "escape",
                    at=index + 1,
                    next=shown,
                )
            out.append(ESCAPE if follower == 0x01 else FLAG)
            index += 2
        else:
            out.append(byte)
            index += 1
    return bytes(out)


def frame(payload: bytes) -> bytes:
    """A whole frame for header+body `payload`: its checksum appended, escaped, between 0x7e flags."""
    return bytes([FLAG]) + escape(payload + bytes([checksum(payload)])) + bytes([FLAG])


def encode(
    msg_id: int,
    phone: str,
    serial: int,
    body: bytes = b"",
    *,
    version: int = 2013,
    protocol_version: int = 1,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """A whole frame of message `msg_id` from `phone` (BCD digits: 12 in 2013, 20 in 2019; shorter is padded
    with leading zeros) with serial `serial` and `body`, in the header of `version` (bit 14 and the
    protocol-version byte in 2019); `packet` = (total, index) for a sub-package. The inverse of `decode`."""
    if len(body) > 0x3FF:
        raise ValueError(
            f"a body of {len(body)} bytes does not fit in one frame (at most 1023): sub-package it"
        )
    attributes = len(body) | (0x2000 if packet else 0)
    if version == 2019:
        head = struct.pack(">HHB", msg_id, attributes | 0x4000, protocol_version)
        head += bytes.fromhex(phone.rjust(20, "0")[-20:])
    else:
        head = struct.pack(">HH", msg_id, attributes) + bytes.fromhex(phone.rjust(12, "0")[-12:])
    head += struct.pack(">H", serial & 0xFFFF)
    if packet:
        head += _PACKETS.pack(*packet)
    return frame(head + body)


class FrameSplitter:
    """Whole frames out of a byte stream cut anywhere (TCP): 0x7e delimits, and what lies between two flags is
    one candidate frame (empty ones skipped), so a torn or lost frame costs that frame only and the next one is
    read. Bytes before the first flag count as one run of `garbage`; a candidate growing past `max_frame` bytes
    without its closing flag counts as `oversize` and is skipped up to the next flag."""

    __slots__ = ("buffer", "discarding", "garbage", "max_frame", "oversize", "started")

    def __init__(self, max_frame: int = 4096) -> None:
        self.buffer = bytearray()
        self.started = False  # a flag has been seen: what follows is inside a frame
        self.discarding = False  # inside an oversize candidate: dropped up to the next flag
        self.max_frame = max_frame
        self.garbage = 0
        self.oversize = 0

    def feed(self, data: bytes) -> list[bytes]:
        """The whole frames (each with its two flags) completed by `data`, in order."""
        frames: list[bytes] = []
        buffer = self.buffer
        at, end = 0, len(data)
        while at < end:
            flag = data.find(0x7E, at)
            if not self.started:
                if flag != at:
                    self.garbage += 1
                if flag < 0:
                    break
                self.started = True
            elif flag < 0:
                if not self.discarding:
                    buffer += data[at:]
                    if len(buffer) > self.max_frame:
                        self.oversize += 1
                        buffer.clear()
                        self.discarding = True
                break
            elif self.discarding:
                self.discarding = False
            else:
                if buffer:
                    buffer += data[at:flag]
                    candidate = bytes(buffer)
                    buffer.clear()
                else:
                    candidate = data[at:flag]
                if len(candidate) > self.max_frame:
                    self.oversize += 1
                elif candidate:
                    frames.append(b"\x7e" + candidate + b"\x7e")
            at = flag + 1
        return frames


# ---------------------------------------------------------------------------------------- dataclasses


# Header, Location and Message are not frozen: a frozen dataclass costs about a microsecond more to make, and
# the gateway makes one of each for every position (issue 20 asks for 100,000 decoded a second on one core).
@dataclass(slots=True)
class Header:
    msg_id: int
    version: int  # 2013 (also 2011: the same header) or 2019
    protocol_version: int | None  # 2019 only
    phone: str  # the BCD digits as sent (12 in 2013, 20 in 2019)
    serial: int
    body_length: int
    encryption: str  # "none", "rsa" or "reserved"
    packet_total: int | None = None  # sub-packages only
    packet_index: int | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_colour: int
    plate: str
    layout: str  # "2019", "2013", or "2011" (a 2013 header whose body has the 8-byte model of 2011)
    kind: str = "registration"


@dataclass(frozen=True, slots=True)
class Authentication:
    code: str
    imei: str | None = None  # 2019 only
    software_version: str | None = None  # 2019 only
    kind: str = "authentication"


@dataclass(frozen=True, slots=True)
class Heartbeat:
    kind: str = "heartbeat"


@dataclass(slots=True)
class Location:
    alarm: list[str]
    status: list[str]
    latitude: float  # degrees, negative in the south
    longitude: float  # degrees, negative in the west
    altitude: int  # metres
    speed_kmh: float
    direction: int  # degrees from north, 0–359
    time: str | None  # ISO 8601 with +08:00; None when the terminal sent zeros (no fix yet)
    extras: dict[str, Any]
    alarm_word: int
    status_word: int
    kind: str = "location"


@dataclass(frozen=True, slots=True)
class BatchUpload:
    count: int
    batch_type: int  # 0 normal batch, 1 blind-area supplement
    locations: list[Location]
    kind: str = "batch_upload"


@dataclass(frozen=True, slots=True)
class Undecoded:
    """A message this decoder does not read (or a sub-package, or an encrypted body): the body as hex."""

    body_hex: str
    kind: str = "other"


Body = Registration | Authentication | Heartbeat | Location | BatchUpload | Undecoded


@dataclass(slots=True)
class Message:
    header: Header
    body: Body
    raw: bytes = field(repr=False, default=b"")

    def to_json(self) -> dict[str, Any]:
        """Header and body fields side by side: `msg_id` as "0x0200", `phone`, `serial`, `version`, …"""
        head = asdict(self.header)
        head["msg_id"] = f"0x{self.header.msg_id:04x}"
        return head | _body_json(self.body)


def _body_json(body: Body) -> dict[str, Any]:
    data = asdict(body)
    if isinstance(body, Location):
        data["alarm_word"] = f"0x{body.alarm_word:08x}"
        data["status_word"] = f"0x{body.status_word:08x}"
    if isinstance(body, BatchUpload):
        data["locations"] = [_body_json(location) for location in body.locations]
    return data


# --------------------------------------------------------------------------------------------- reading


class _Reader:
    """Reads fields off a body; running short is a FrameError naming the field."""

    __slots__ = ("at", "data", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.at = 0
        self.what = what

    def take(self, size: int, name: str) -> bytes:
        end = self.at + size
        if end > len(self.data):
            raise _bad(
                "{what} 太短：读 {name} 需要 {need} 字节，只剩 {left} 字节",
                "{what} too short: {name} needs {need} bytes, {left} left",
                what=self.what,
                name=name,
                need=size,
                left=len(self.data) - self.at,
            )
        chunk = self.data[self.at : end]
        self.at = end
        return chunk

    def byte(self, name: str) -> int:
        return self.take(1, name)[0]

    def word(self, name: str) -> int:
        return int.from_bytes(self.take(2, name), "big")

    def dword(self, name: str) -> int:
        return int.from_bytes(self.take(4, name), "big")

    def rest(self) -> bytes:
        chunk = self.data[self.at :]
        self.at = len(self.data)
        return chunk

    @property
    def left(self) -> int:
        return len(self.data) - self.at


def _bcd(data: bytes, name: str) -> str:
    digits = data.hex()
    if not digits.isdigit():
        raise _bad("{name} 不是 BCD 码：{hex}", "{name} is not BCD: {hex}", name=name, hex=digits)
    return digits


def _text(data: bytes) -> str:
    """A fixed-length text field: GBK (plates are Chinese), NULs and padding spaces dropped."""
    return data.split(b"\x00", 1)[0].decode("gbk", errors="replace").strip()


_HEAD_2013 = struct.Struct(">HH6sH")  # message id, attributes, phone (BCD), serial
_HEAD_2019 = struct.Struct(">HHB10sH")  # message id, attributes, protocol version, phone (BCD), serial
_PACKETS = struct.Struct(">HH")  # packet total, packet index
_ENCRYPTION = {0: "none", 1: "rsa"}


def _header(content: bytes) -> tuple[Header, int]:
    """The header at the start of `content` (header and body, no checksum) and where the body starts."""
    attributes = content[2] << 8 | content[3] if len(content) >= 4 else 0
    layout = _HEAD_2019 if attributes & 0x4000 else _HEAD_2013
    subpackaged = attributes & 0x2000
    size = layout.size + (4 if subpackaged else 0)
    if len(content) < size:
        raise _bad(
            "消息头太短：{size} 字节（此消息头需 {need} 字节）",
            "header too short: {size} bytes (this header takes {need})",
            "short",
            size=len(content),
            need=size,
        )
    if layout is _HEAD_2019:
        msg_id, _, protocol_version, phone_bcd, serial = _HEAD_2019.unpack_from(content)
        version = 2019
    else:
        msg_id, _, phone_bcd, serial = _HEAD_2013.unpack_from(content)
        protocol_version, version = None, 2013
    total = index = None
    if subpackaged:
        total, index = _PACKETS.unpack_from(content, layout.size)
    return (
        Header(
            msg_id,
            version,
            protocol_version,
            _bcd(phone_bcd, "phone"),
            serial,
            attributes & 0x3FF,
            _ENCRYPTION.get(attributes >> 10 & 0b111, "reserved"),
            total,
            index,
        ),
        size,
    )


def _registration(data: bytes, version: int) -> Registration:
    # field lengths: manufacturer, model, terminal id (2019 §8.5; 2013 the same table with 5/20/7; 2011 5/8/7)
    if version == 2019:
        layout, sizes = "2019", (11, 30, 30)
    elif len(data) >= 2 + 2 + 5 + 20 + 7 + 1:
        layout, sizes = "2013", (5, 20, 7)
    else:
        layout, sizes = "2011", (5, 8, 7)
    reader = _Reader(data, "0x0100 registration")
    province = reader.word("province")
    city = reader.word("city")
    manufacturer = _text(reader.take(sizes[0], "manufacturer"))
    model = _text(reader.take(sizes[1], "model"))
    terminal_id = _text(reader.take(sizes[2], "terminal id"))
    colour = reader.byte("plate colour")
    plate = _text(reader.rest())
    return Registration(province, city, manufacturer, model, terminal_id, colour, plate, layout)


def _authentication(data: bytes, version: int) -> Authentication:
    if version == 2013:
        return Authentication(code=_text(data))
    reader = _Reader(data, "0x0102 authentication")
    code = _text(reader.take(reader.byte("code length"), "code"))
    imei = _text(reader.take(15, "IMEI"))
    software = _text(reader.take(20, "software version"))
    return Authentication(code=code, imei=imei, software_version=software)


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _time(data: bytes) -> str | None:
    """BCD `YYMMDDhhmmss` (GMT+8) as ISO with +08:00, checked to be a real moment (read by hand: this runs for
    every position, and building a datetime to print it costs as much as the rest of the location)."""
    digits = _bcd(data, "time")
    if digits == "000000000000":
        return None
    year, month, day, hour, minute, second = ((byte >> 4) * 10 + (byte & 0xF) for byte in data)
    if not (
        1 <= month <= 12
        and 1 <= day <= _DAYS_IN_MONTH[month]
        and (month != 2 or day < 29 or year % 4 == 0)  # 2000–2099: every fourth year is a leap year
        and hour < 24
        and minute < 60
        and second < 60
    ):
        raise _bad("时间不是有效日期：{digits}", "time is not a valid date: {digits}", digits=digits)
    return f"20{digits[0:2]}-{digits[2:4]}-{digits[4:6]}T{digits[6:8]}:{digits[8:10]}:{digits[10:12]}+08:00"


def _extras(data: bytes, at: int) -> dict[str, Any]:
    """The extra items from byte `at` to the end (read by index: this runs for every position)."""
    extras: dict[str, Any] = {}
    end = len(data)
    while at < end:
        if end - at < 2 or data[at + 1] > end - at - 2:
            # an item running past the end (some terminals pad with junk): the position itself is sound,
            # so the rest is kept as it came rather than the report refused
            extras["unparsed"] = data[at:].hex()
            break
        item, size = data[at], data[at + 1]
        value = data[at + 2 : at + 2 + size]
        at += 2 + size
        if item == 0x01 and size == 4:
            extras["mileage_km"] = int.from_bytes(value, "big") / 10
        elif item == 0x02 and size == 2:
            extras["fuel_l"] = int.from_bytes(value, "big") / 10
        elif item == 0x03 and size == 2:
            extras["recorder_speed_kmh"] = int.from_bytes(value, "big") / 10
        elif item == 0x30 and size == 1:
            extras["signal"] = value[0]
        elif item == 0x31 and size == 1:
            extras["satellites"] = value[0]
        else:
            extras[f"0x{item:02x}"] = value.hex()
    return extras


_FIXED = struct.Struct(">IIIIhHH6s")  # alarm, status, latitude, longitude, altitude, speed, direction, time


def _location(data: bytes, what: str = "0x0200 location") -> Location:
    if len(data) < _FIXED.size:
        raise _bad(
            "{what} 太短：{size} 字节（位置基本信息需 {need} 字节）",
            "{what} too short: {size} bytes (the basic location fields take {need})",
            what=what,
            size=len(data),
            need=_FIXED.size,
        )
    # altitude is a WORD in the standard; read signed, so a terminal below sea level (Turpan) is not 65 km up
    alarm, status, latitude, longitude, altitude, speed, direction, time = _FIXED.unpack_from(data)
    return Location(
        alarm_names(alarm),
        status_names(status),
        -latitude / 1_000_000 if status & 0b100 else latitude / 1_000_000,
        -longitude / 1_000_000 if status & 0b1000 else longitude / 1_000_000,
        altitude,
        speed / 10,
        direction,
        _time(time),
        _extras(data, _FIXED.size) if len(data) > _FIXED.size else {},
        alarm,
        status,
    )


def _batch(data: bytes) -> BatchUpload:
    reader = _Reader(data, "0x0704 batch upload")
    count = reader.word("item count")
    batch_type = reader.byte("location type")
    locations = [
        _location(reader.take(reader.word(f"item {n} length"), f"item {n}"), f"0x0704 item {n}")
        for n in range(1, count + 1)
    ]
    if reader.left:
        raise _bad(
            "0x0704 批量上传声明 {count} 条，之后还多出 {left} 字节",
            "0x0704 batch upload declares {count} items but {left} bytes follow them",
            count=count,
            left=reader.left,
        )
    return BatchUpload(count=count, batch_type=batch_type, locations=locations)


def decode_body(msg_id: int, version: int, data: bytes) -> Body:
    """The body of message `msg_id` (of a terminal speaking `version`) read alone: for a message sent in
    sub-packages, whose parts are put back together before the whole body is read."""
    if msg_id == LOCATION:
        return _location(data)
    if msg_id == BATCH_UPLOAD:
        return _batch(data)
    if msg_id == REGISTRATION:
        return _registration(data, version)
    if msg_id == AUTHENTICATION:
        return _authentication(data, version)
    if msg_id == HEARTBEAT:
        return Heartbeat()
    return Undecoded(data.hex())


def decode(data: bytes) -> Message:
    """One whole frame, 0x7e to 0x7e, decoded; anything wrong with it is a FrameError."""
    if len(data) < 2 or data[0] != FLAG or data[-1] != FLAG:
        raise _bad("帧须以 0x7e 开始并以 0x7e 结束", "a frame must start and end with 0x7e", "framing")
    inner = data[1:-1]
    if FLAG in inner:
        raise _bad("帧内出现未转义的 0x7e", "an unescaped 0x7e inside the frame", "framing")
    payload = unescape(inner)
    if len(payload) < 13:
        raise _bad(
            "帧太短：{size} 字节（消息头与校验码至少 13 字节）",
            "frame too short: {size} bytes (header and checksum take at least 13)",
            "short",
            size=len(payload),
        )
    content, sent = payload[:-1], payload[-1]
    computed = checksum(content)
    if computed != sent:
        raise _bad(
            "校验码错误：帧中为 0x{sent:02x}，计算得 0x{computed:02x}",
            "bad checksum: the frame says 0x{sent:02x}, the bytes give 0x{computed:02x}",
            "checksum",
            sent=sent,
            computed=computed,
        )
    header, start = _header(content)
    body = content[start:]
    if len(body) != header.body_length:
        raise _bad(
            "消息体长度不符：属性中为 {said} 字节，实际 {actual} 字节",
            "body length does not match: the attributes say {said} bytes, the frame has {actual}",
            "length",
            said=header.body_length,
            actual=len(body),
        )
    if header.packet_total is not None or header.encryption != "none":
        return Message(header, Undecoded(body.hex()), data)
    return Message(header, decode_body(header.msg_id, header.version, body), data)


def decode_hex(text: str) -> Message:
    """A frame given as hex (spaces allowed, any case) decoded; bad hex is a FrameError too."""
    cleaned = "".join(text.split())
    try:
        data = bytes.fromhex(cleaned)
    except ValueError:
        raise _bad("不是十六进制：{text}", "not hex: {text}", "framing", text=cleaned[:40]) from None
    return decode(data)
