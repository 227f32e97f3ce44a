"""The terminal's side of JT/T 808: the frames a BeiDou/GPS terminal sends (registration 0x0100, authentication
0x0102, heartbeat 0x0002, location 0x0200, batch upload 0x0704, sub-packages) and reading the platform's replies
(0x8001, 0x8100). Used by `leaseguard tracking simulate`, the tests and the benchmarks; the platform's side is
`gateway.py`. Field layouts as in `jt808` (JT/T 808-2019 §8.5, §8.8, §8.18, §8.48; 2013 where it differs)."""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass

from leaseguard.tracking.jt808 import (
    AUTHENTICATION,
    BATCH_UPLOAD,
    GMT8,
    HEARTBEAT,
    LOCATION,
    PLATFORM_REPLY,
    REGISTRATION,
    REGISTRATION_REPLY,
    RESULT_OK,
    FrameError,
    decode,
    encode,
)

# Alarm bits (table 24) the simulator raises now and then: the ones lessors act on.
ALARM_ANTENNA_CUT = 1 << 5
ALARM_ANTENNA_SHORT = 1 << 6
ALARM_POWER_OFF = 1 << 8
STATUS_ACC_ON = 1 << 0
STATUS_POSITIONED = 1 << 1
STATUS_BEIDOU = 1 << 19

_LOCATION_FIXED = struct.Struct(">IIIIhHH")


def _gbk(text: str, size: int) -> bytes:
    return text.encode("gbk")[:size].ljust(size, b"\x00")


@dataclass
class Terminal:
    """One terminal: its phone number, the version it speaks, and its own serial counter."""

    phone: str
    version: int = 2013
    terminal_id: str = "T000001"
    plate: str = "沪A00001"
    serial: int = 0
    imei: str = "860000000000000"
    software_version: str = "1.0"

    def next_serial(self) -> int:
        serial = self.serial
        self.serial = (self.serial + 1) & 0xFFFF
        return serial

    def message(self, msg_id: int, body: bytes = b"", *, serial: int | None = None) -> bytes:
        return encode(
            msg_id,
            self.phone,
            self.next_serial() if serial is None else serial,
            body,
            version=self.version,
        )

    def registration(self, *, province: int = 31, city: int = 100) -> bytes:
        sizes = (11, 30, 30) if self.version == 2019 else (5, 20, 7)
        body = (
            struct.pack(">HH", province, city)
            + _gbk("LGSIM", sizes[0])
            + _gbk("LG-808", sizes[1])
            + _gbk(self.terminal_id, sizes[2])
            + bytes([1])
            + self.plate.encode("gbk")
        )
        return self.message(REGISTRATION, body)

    def authentication(self, code: str) -> bytes:
        encoded = code.encode("gbk")
        if self.version == 2019:
            body = bytes([len(encoded)]) + encoded + _gbk(self.imei, 15) + _gbk(self.software_version, 20)
        else:
            body = encoded
        return self.message(AUTHENTICATION, body)

    def heartbeat(self) -> bytes:
        return self.message(HEARTBEAT)

    def location(self, fix: Fix) -> bytes:
        return self.message(LOCATION, location_body(fix))

    def batch(self, fixes: list[Fix], *, supplement: bool = False) -> bytes:
        return self.message(BATCH_UPLOAD, batch_body(fixes, supplement=supplement))

    def subpackages(self, msg_id: int, body: bytes, size: int) -> list[bytes]:
        """`body` cut into sub-packages of at most `size` bytes, consecutive serials, index from 1."""
        parts = [body[at : at + size] for at in range(0, len(body), size)] or [b""]
        return [
            encode(
                msg_id,
                self.phone,
                self.next_serial(),
                part,
                version=self.version,
                packet=(len(parts), index),
            )
            for index, part in enumerate(parts, 1)
        ]


@dataclass(frozen=True)
class Fix:
    """One position as a terminal reports it."""

    latitude: float
    longitude: float
    time: dt.datetime  # aware; sent in GMT+8
    speed_kmh: float = 0.0
    direction: int = 0
    altitude: int = 0
    alarm: int = 0
    status: int = STATUS_ACC_ON | STATUS_POSITIONED | STATUS_BEIDOU
    mileage_km: float = 0.0
    satellites: int = 12
    signal: int = 25


def location_body(fix: Fix) -> bytes:
    status = fix.status
    if fix.latitude < 0:
        status |= 0b100
    if fix.longitude < 0:
        status |= 0b1000
    local = fix.time.astimezone(GMT8)
    return (
        _LOCATION_FIXED.pack(
            fix.alarm,
            status,
            round(abs(fix.latitude) * 1_000_000),
            round(abs(fix.longitude) * 1_000_000),
            fix.altitude,
            round(fix.speed_kmh * 10),
            fix.direction % 360,
        )
        + bytes.fromhex(local.strftime("%y%m%d%H%M%S"))
        + b"\x01\x04"
        + round(fix.mileage_km * 10).to_bytes(4, "big")
        + b"\x30\x01"
        + bytes([fix.signal & 0xFF])
        + b"\x31\x01"
        + bytes([fix.satellites & 0xFF])
    )


def batch_body(fixes: list[Fix], *, supplement: bool = False) -> bytes:
    items = b"".join(len(body).to_bytes(2, "big") + body for body in (location_body(fix) for fix in fixes))
    return struct.pack(">HB", len(fixes), 1 if supplement else 0) + items


@dataclass(frozen=True)
class PlatformReply:
    """A reply from the platform: 0x8001 (reply_id, result) or 0x8100 (result, code)."""

    msg_id: int
    serial: int  # the platform's own serial
    reply_serial: int  # the terminal's serial it answers
    result: int
    reply_id: int | None = None  # 0x8001 only
    code: str | None = None  # 0x8100 with result 0 only
    version: int = 2013


def read_reply(data: bytes) -> PlatformReply:
    """A platform frame (0x8001 or 0x8100) read; anything else is a FrameError."""
    message = decode(data)
    header = message.header
    body = bytes.fromhex(getattr(message.body, "body_hex", ""))
    if header.msg_id == PLATFORM_REPLY and len(body) == 5:
        reply_serial, reply_id, result = struct.unpack(">HHB", body)
        return PlatformReply(
            header.msg_id, header.serial, reply_serial, result, reply_id, None, header.version
        )
    if header.msg_id == REGISTRATION_REPLY and len(body) >= 3:
        reply_serial, result = struct.unpack_from(">HB", body)
        code = body[3:].decode("gbk", errors="replace") if result == RESULT_OK else None
        return PlatformReply(header.msg_id, header.serial, reply_serial, result, None, code, header.version)
    raise FrameError(f"not a platform reply: 0x{header.msg_id:04x} with a {len(body)}-byte body")
