"""The JT/T 808 frame decoder (leaseguard.tracking.jt808) and `leaseguard tracking decode`.

Frames marked TRACCAR are test data taken from Traccar's JT/T 808 ("Huabao") decoder tests,
src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java in github.com/traccar/traccar (Apache-2.0):
frames only, no code. The values asserted were read off the hex by hand (see the comments). Traccar's tests have
no 2019-version frames, so those are built here with `frame()` from fields written out byte by byte.
"""

from __future__ import annotations

import json
from contextlib import suppress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.errors import InvalidInputError
from leaseguard.tracking.jt808 import (
    Authentication,
    BatchUpload,
    FrameError,
    Heartbeat,
    Location,
    Registration,
    Undecoded,
    checksum,
    decode,
    decode_hex,
    escape,
    frame,
    unescape,
)

# TRACCAR: 2013 location. alarm 00000001 (emergency), status 0000000a (positioned, west), latitude 03083db7 =
# 50871735, longitude 001329f3 = 1255923, altitude 0000, speed 0014 = 20 (2.0 km/h), direction 0000, time
# 130412164952, extras 01 04 00000012 (mileage 18 = 1.8 km) and 36 0a … (not a standard item).
LOCATION_2013 = (
    "7e0200002e094027587492000a000000010000000a03083db7001329f3000000140000130412164952"
    "010400000012360a0002341502cb0c20085c107e"
)
# TRACCAR: 0x0704 batch of 8 (count 0008, type 01 blind area); item 1: latitude 01597412 = 22639634, longitude
# 06cbfd50 = 114031952, altitude 0172 = 370 m, time 160527090624, extras mileage 1d = 2.9 km, speed 0000.
BATCH_2013 = (
    "7E0704014301356777777707F5000801002600000000000000030159741206CBFD5001720000000116052709062401040000001D"
    "03020000002600000000000000030159746606CBFD50016B0000000116052709065301040000001D0302000000260000000000000003"
    "015975E406CBFE58013F0000000116052709072701040000001D0302000000260000000000000003015976DE06CBFF10012E00000001"
    "16052709075601040000001D0302000000260000000000000003015976BC06CBFED0012D0000000116052709083001040000001D0302"
    "000000260000000000000003015976FE06CBFEC001080000000116052709090001040000001D030200000026000000000000000301"
    "5976FE06CBFE7800FC0000000116052709093301040000001D0302000000260000000000000003015977A606CBFF30010800000001"
    "16052709100201040000001D030200001F7E"
)
# TRACCAR: 2013 registration: province 002c = 44, city 012f = 303, manufacturer "70111", model "BSJ-A6-BD" in
# 20 bytes, terminal id "0567872", plate colour 01 (blue), plate d4c1 4238383838 38 = 粤B88888 in GBK.
REGISTRATION_2013 = (
    "7e0100002d0141305678720024002c012f373031313142534a2d41362d424400000000000000000000003035363738373201d4c1"
    "4238383838386d7e"
)
# TRACCAR: a registration with the 8-byte model of JT/T 808-2011 (body 0x21 = 33 bytes).
REGISTRATION_2011 = (
    "7E01000021013345678906000F002C012F373031313142534A2D4D3742203030303030303001D4C1423838383838B47E"
)
# TRACCAR: 2013 authentication, the code "authentication".
AUTH_2013 = "7E0102000E013511221122000661757468656E7469636174696F6E3F7E"
# TRACCAR: heartbeat, phone 043048325465, serial 00b7 = 183, empty body.
HEARTBEAT = "7e0002000004304832546500b7ca7e"
# TRACCAR: a 0x0200 whose checksum byte (d0) is not the XOR of its bytes (f0): Traccar does not check it.
BAD_CHECKSUM_TRACCAR = (
    "7E02000032013511221122000700000000000C000301578CC006CA3A5C004700000000140723172015010400000000"
    "30011631010BD07E"
)
# TRACCAR: a location whose extra items end in vendor padding (an item 00 of length 0x78 runs past the end).
PADDED_EXTRAS = (
    "7e0200002e202000129707001c0000000000001c0601a2f0a8091f0bf00000000000ed201103031733000000000000000000780000"
    "000018000000267e"
)


def _bcd_phone_2019() -> bytes:
    return bytes.fromhex("00000000013912345678")  # 10 bytes of BCD


def _frame_2019(msg_id: int, body: bytes, serial: int = 1) -> bytes:
    attributes = 1 << 14 | len(body)  # version flag, body length
    header = msg_id.to_bytes(2, "big") + attributes.to_bytes(2, "big") + b"\x01" + _bcd_phone_2019()
    return frame(header + serial.to_bytes(2, "big") + body)


def _frame_2013(msg_id: int, body: bytes, attributes_extra: int = 0, packet: bytes = b"") -> bytes:
    attributes = attributes_extra | len(body)
    header = msg_id.to_bytes(2, "big") + attributes.to_bytes(2, "big") + bytes.fromhex("013912345678")
    return frame(header + (7).to_bytes(2, "big") + packet + body)


def _padded(text: str, size: int) -> bytes:
    return text.encode("gbk").ljust(size, b"\x00")


def test_a_2013_location_is_read_field_by_field() -> None:
    message = decode_hex(LOCATION_2013)
    assert message.header.msg_id == 0x0200 and message.header.version == 2013
    assert message.header.phone == "094027587492" and message.header.serial == 10
    location = message.body
    assert isinstance(location, Location)
    assert location.latitude == 50.871735
    assert location.longitude == -1.255923  # west longitude: status bit 3
    assert location.altitude == 0 and location.speed_kmh == 2.0 and location.direction == 0
    assert location.time == "2013-04-12T16:49:52+08:00"
    assert location.alarm == ["emergency"]
    assert location.status == ["positioned", "west_longitude"]
    assert location.extras == {"mileage_km": 1.8, "0x36": "0002341502cb0c20085c"}
    body = message.to_json()
    assert body["msg_id"] == "0x0200" and body["phone"] == "094027587492" and body["serial"] == 10
    assert body["version"] == 2013 and body["speed_kmh"] == 2.0 and body["latitude"] == 50.871735
    assert body["alarm_word"] == "0x00000001" and body["status_word"] == "0x0000000a"


def test_a_batch_upload_holds_every_location() -> None:
    message = decode_hex(BATCH_2013)
    batch = message.body
    assert isinstance(batch, BatchUpload)
    assert message.header.phone == "013567777777" and message.header.serial == 0x07F5
    assert batch.count == 8 and batch.batch_type == 1 and len(batch.locations) == 8
    first = batch.locations[0]
    assert (first.latitude, first.longitude, first.altitude) == (22.639634, 114.031952, 370)
    assert first.time == "2016-05-27T09:06:24+08:00"
    assert first.status == ["acc_on", "positioned"]
    assert first.extras == {"mileage_km": 2.9, "recorder_speed_kmh": 0.0}
    assert batch.locations[-1].time == "2016-05-27T09:10:02+08:00"
    assert len(message.to_json()["locations"]) == 8


def test_registrations_2013_and_2011_layouts() -> None:
    registration = decode_hex(REGISTRATION_2013).body
    assert registration == Registration(44, 303, "70111", "BSJ-A6-BD", "0567872", 1, "粤B88888", "2013")
    old = decode_hex(REGISTRATION_2011).body
    assert isinstance(old, Registration)
    assert (old.layout, old.model, old.plate) == ("2011", "BSJ-M7B", "粤B88888")


def test_authentication_and_heartbeat_2013() -> None:
    auth = decode_hex(AUTH_2013)
    assert auth.body == Authentication(code="authentication")
    assert auth.header.phone == "013511221122" and auth.header.serial == 6
    beat = decode_hex(HEARTBEAT)
    assert beat.body == Heartbeat()
    assert (beat.header.msg_id, beat.header.phone, beat.header.serial) == (0x0002, "043048325465", 183)


def test_a_2019_registration_has_the_longer_fields_and_the_10_byte_phone() -> None:
    body = (
        (44).to_bytes(2, "big")
        + (0x0133).to_bytes(2, "big")
        + _padded("MAKER000001", 11)
        + _padded("MODEL-X", 30)
        + _padded("T1234567", 30)
        + b"\x02"
        + "沪A12345".encode("gbk")
    )
    message = decode(_frame_2019(0x0100, body))
    assert message.header.version == 2019 and message.header.protocol_version == 1
    assert message.header.phone == "00000000013912345678"
    assert message.body == Registration(
        44, 0x0133, "MAKER000001", "MODEL-X", "T1234567", 2, "沪A12345", "2019"
    )


def test_a_2019_authentication_has_imei_and_software_version() -> None:
    body = b"\x06" + b"abc123" + b"860123456789012" + _padded("V2.1.0", 20)
    message = decode(_frame_2019(0x0102, body))
    assert message.body == Authentication(code="abc123", imei="860123456789012", software_version="V2.1.0")


def test_power_cut_and_antenna_alarms_and_a_southern_position() -> None:
    # alarm bits 5, 6 and 8; status ACC on, positioned, south latitude, BeiDou
    alarm = 1 << 5 | 1 << 6 | 1 << 8
    status = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 19
    body = (
        alarm.to_bytes(4, "big")
        + status.to_bytes(4, "big")
        + (33868820).to_bytes(4, "big")  # Sydney: 33.868820 S
        + (151209296).to_bytes(4, "big")  # 151.209296 E
        + (58).to_bytes(2, "big")
        + (655).to_bytes(2, "big")  # 65.5 km/h
        + (270).to_bytes(2, "big")
        + bytes.fromhex("261204153000")
        + bytes.fromhex("0104000004d2")  # 123.4 km
        + bytes.fromhex("02020190")  # 40.0 L
        + bytes.fromhex("300119")  # signal 25
        + bytes.fromhex("31010c")  # 12 satellites
    )
    location = decode(_frame_2013(0x0200, body)).body
    assert isinstance(location, Location)
    assert location.alarm == ["gnss_antenna_disconnected", "gnss_antenna_short_circuit", "main_power_off"]
    assert location.status == ["acc_on", "positioned", "south_latitude", "beidou"]
    assert (location.latitude, location.longitude) == (-33.86882, 151.209296)
    assert (location.altitude, location.speed_kmh, location.direction) == (58, 65.5, 270)
    assert location.time == "2026-12-04T15:30:00+08:00"
    assert location.extras == {"mileage_km": 123.4, "fuel_l": 40.0, "signal": 25, "satellites": 12}


def test_unknown_messages_and_sub_packages_keep_their_body_as_hex() -> None:
    unknown = decode(_frame_2013(0x0900, b"\x01\x02\x7e"))  # the 0x7e in the body travels escaped
    assert unknown.body == Undecoded("01027e")
    assert unknown.to_json()["msg_id"] == "0x0900"
    part = decode(
        _frame_2013(0x0200, b"\xaa\xbb", attributes_extra=1 << 13, packet=bytes.fromhex("00030002"))
    )
    assert (part.header.packet_total, part.header.packet_index) == (3, 2)
    assert part.body == Undecoded("aabb")


def test_vendor_padding_after_the_extra_items_does_not_lose_the_position() -> None:
    location = decode_hex(PADDED_EXTRAS).body
    assert isinstance(location, Location)
    assert location.time == "2020-11-03T03:17:33+08:00"
    assert "unparsed" in location.extras


def test_escaping_round_trips() -> None:
    payload = bytes([0x30, 0x7E, 0x08, 0x7D, 0x55, 0x7D, 0x02])
    assert escape(payload) == bytes.fromhex("307d0208") + bytes.fromhex("7d0155") + bytes.fromhex("7d0102")
    assert unescape(escape(payload)) == payload
    built = frame(payload)
    assert built[0] == built[-1] == 0x7E and 0x7E not in built[1:-1]
    assert unescape(built[1:-1]) == payload + bytes([checksum(payload)])


def _fails(data: bytes | str, reason: str) -> None:
    with pytest.raises(FrameError) as raised:
        decode_hex(data) if isinstance(data, str) else decode(data)
    assert reason in str(raised.value) and "\n" not in str(raised.value)
    assert isinstance(raised.value, InvalidInputError)


def test_bad_frames_are_frame_errors_with_one_line_reasons() -> None:
    good = bytes.fromhex(LOCATION_2013)
    changed = bytearray(good)
    changed[20] ^= 0x01  # one byte of the latitude
    _fails(bytes(changed), "校验码错误")
    _fails(BAD_CHECKSUM_TRACCAR, "校验码错误：帧中为 0xd0，计算得 0xf0")
    _fails(bytes.fromhex("7e0002000004304832546500b77d037e"), "转义错误")  # 0x7d 0x03
    _fails(bytes.fromhex("7e0002000004304832546500b77d7e"), "转义错误")  # 0x7d at the end
    _fails(good[: len(good) // 2], "0x7e")  # cut off: no closing flag
    _fails(good[:-20] + b"\x7e", "校验码错误")  # cut off and closed
    _fails(frame(good[1:-2][:-5]), "消息体长度不符")  # cut off with a checksum that fits: the length lies
    _fails(bytes.fromhex("7e00027e"), "帧太短")
    _fails("7e zz 7e", "不是十六进制")
    _fails(bytes.fromhex("7e0002000004304832546500b77e00b77e"), "未转义的 0x7e")


def test_every_single_byte_change_is_decoded_or_refused_never_an_exception() -> None:
    for source in (LOCATION_2013, REGISTRATION_2013, AUTH_2013):
        original = bytes.fromhex(source)
        for at in range(len(original)):
            for value in (0x00, 0x7D, 0x7E, 0xFF, original[at] ^ 0x40):
                mutated = original[:at] + bytes([value]) + original[at + 1 :]
                with suppress(FrameError):
                    decode(mutated)
                # and with the checksum made right, so that the header and body checks are reached
                with suppress(FrameError):
                    decode(frame(unescape(mutated[1:-1])[:-1]))


MESSAGE_IDS = st.sampled_from([0x0002, 0x0100, 0x0102, 0x0200, 0x0704, 0x0900])


@settings(max_examples=300, deadline=None)
@given(
    msg_id=MESSAGE_IDS,
    high_bits=st.integers(0, 0b111111),
    body=st.binary(max_size=400)
    | st.sampled_from([bytes.fromhex(LOCATION_2013)[13:-2]]).map(lambda b: b[:-3]),
    raw=st.binary(max_size=80),
)
def test_any_bytes_are_decoded_or_refused_never_another_exception(
    msg_id: int, high_bits: int, body: bytes, raw: bytes
) -> None:
    """A fuzz test: well-formed frames of the known message ids, in either version, encrypted or in
    sub-packages or not, with any body (so the body parsers are reached); and any bytes at all."""
    attributes = high_bits << 10 | len(body) & 0x3FF
    version_2019 = attributes >> 14 & 1
    header = msg_id.to_bytes(2, "big") + attributes.to_bytes(2, "big")
    header += (b"\x01" + _bcd_phone_2019()) if version_2019 else bytes.fromhex("013912345678")
    header += b"\x00\x01" + (b"\x00\x02\x00\x01" if attributes >> 13 & 1 else b"")
    for data in (frame(header + body), raw, b"\x7e" + raw + b"\x7e"):
        try:
            message = decode(data)
        except FrameError as error:
            assert "\n" not in str(error)
        else:
            json.dumps(message.to_json(), ensure_ascii=False)


def test_the_command_prints_json_and_a_readable_summary() -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["tracking", "decode", LOCATION_2013, "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["msg_id"] == "0x0200" and body["latitude"] == 50.871735 and body["longitude"] == -1.255923
    assert body["time"] == "2013-04-12T16:49:52+08:00" and body["alarm"] == ["emergency"]
    said = runner.invoke(app, ["tracking", "decode", LOCATION_2013])
    assert said.exit_code == 0, said.output
    assert "纬度 50.871735" in said.output and "紧急报警" in said.output and "里程 1.8 千米" in said.output
    english = runner.invoke(app, ["tracking", "decode", HEARTBEAT, "--lang", "en"])
    assert english.exit_code == 0 and "message 0x0002 (heartbeat)" in english.output


def test_the_command_refuses_a_bad_frame_in_one_line() -> None:
    bad = LOCATION_2013[:-4] + "117e"
    done = CliRunner().invoke(app, ["tracking", "decode", bad])
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：校验码错误") and "Traceback" not in done.output
    english = CliRunner().invoke(app, ["tracking", "decode", "nothex", "--lang", "en"])
    assert english.exit_code == 1 and english.output.strip() == "error: not hex: nothex"
