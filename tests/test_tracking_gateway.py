"""The JT/T 808 gateway (leaseguard.tracking.gateway) on a real loopback socket with an in-memory keeper: the
handshake, positions stored then answered, batches, sub-packages, every kind of bad input counted, flood and
idle limits, 2019 replies, a fuzz test of the stream handler, and the simulator against the server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.errors import InvalidInputError
from leaseguard.tracking.gateway import Gateway, GatewaySettings, _Connection
from leaseguard.tracking.jt808 import (
    PLATFORM_REPLY,
    REGISTRATION_REPLY,
    RESULT_FAILURE,
    RESULT_NOT_SUPPORTED,
    RESULT_OK,
    FrameSplitter,
    checksum,
    encode,
    escape,
)
from leaseguard.tracking.memory import MemoryKeeper
from leaseguard.tracking.ports import PositionReport, Registering
from leaseguard.tracking.simulate import Simulation, simulate
from leaseguard.tracking.terminal import (
    ALARM_POWER_OFF,
    Fix,
    PlatformReply,
    Terminal,
    location_body,
    read_reply,
)

PHONE_2013 = "013912345678"
PHONE_2019 = "00000000013912345679"
WHEN = dt.datetime(2026, 12, 4, 9, 30, 15, tzinfo=dt.UTC)
FIX = Fix(31.230416, 121.473701, WHEN, speed_kmh=42.5, direction=87, altitude=12, mileage_km=1234.5)
# No reply can take this long on loopback; the bound only keeps a broken test from hanging.
GUARD_SECONDS = 10


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 60))


@asynccontextmanager
async def serving(keeper: Any = None, **limits: Any) -> AsyncIterator[tuple[Gateway, Any, int]]:
    keeper = keeper or MemoryKeeper()
    gateway = Gateway(keeper, dataclasses.replace(GatewaySettings.shipped(), **limits))
    port = await gateway.start("127.0.0.1", 0)
    try:
        yield gateway, keeper, port
    finally:
        await gateway.stop()


class Client:
    """A terminal's socket: writes bytes, reads the platform's replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.splitter = FrameSplitter()
        self.waiting: list[bytes] = []

    @classmethod
    async def connect(cls, port: int) -> Client:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))
        await self.writer.drain()

    async def replies(self, count: int) -> list[PlatformReply]:
        while len(self.waiting) < count:
            data = await asyncio.wait_for(self.reader.read(65536), GUARD_SECONDS)
            assert data, f"closed after {len(self.waiting)} of {count} replies"
            self.waiting += self.splitter.feed(data)
        taken, self.waiting = self.waiting[:count], self.waiting[count:]
        return [read_reply(raw) for raw in taken]

    async def reply(self) -> PlatformReply:
        return (await self.replies(1))[0]

    async def closed(self) -> bool:
        """True once the gateway has closed the connection (whatever replies came first are skipped)."""
        while True:
            data = await asyncio.wait_for(self.reader.read(65536), GUARD_SECONDS)
            if not data:
                return True

    async def handshake(self, terminal: Terminal) -> str:
        await self.send(terminal.registration())
        registered = await self.reply()
        assert registered.msg_id == REGISTRATION_REPLY and registered.result == RESULT_OK and registered.code
        await self.send(terminal.authentication(registered.code))
        authenticated = await self.reply()
        assert (authenticated.reply_id, authenticated.result) == (0x0102, RESULT_OK)
        return registered.code

    async def close(self) -> None:
        self.writer.close()


# ------------------------------------------------------------------------------------------ handshake


def test_registration_gives_a_code_and_authentication_checks_it() -> None:
    async def body() -> None:
        async with serving(max_auth_failures=2) as (gateway, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.send(terminal.registration())
            registered = await client.reply()
            assert registered.msg_id == REGISTRATION_REPLY
            assert registered.reply_serial == 0  # the registration's serial, echoed
            assert registered.code == keeper.codes[PHONE_2013]
            assert keeper.registrations[PHONE_2013].terminal_id == "T000001"

            await client.send(terminal.authentication("not-the-code"))
            refused = await client.reply()
            assert (refused.msg_id, refused.reply_id, refused.result) == (
                PLATFORM_REPLY,
                0x0102,
                RESULT_FAILURE,
            )
            # a position before a successful authentication is refused, not stored
            await client.send(terminal.location(FIX))
            assert (await client.reply()).result == RESULT_FAILURE
            assert keeper.stored() == []

            await client.send(terminal.authentication(registered.code))
            accepted = await client.reply()
            assert (accepted.reply_id, accepted.result) == (0x0102, RESULT_OK)
            assert accepted.serial > refused.serial  # the platform's own serial counts up
            assert gateway.stats.dropped["auth_failed"] == 1
            assert gateway.stats.dropped["unauthenticated"] == 1
            assert gateway.stats.terminals[PHONE_2013].dropped["auth_failed"] == 1

            # a terminal registered earlier authenticates on a new connection with its code (asked of the keeper)
            other = await Client.connect(port)
            gateway._codes.clear()
            await other.send(Terminal(PHONE_2013, serial=50).authentication(registered.code))
            assert (await other.reply()).result == RESULT_OK

            # guessing codes: the connection is closed after max_auth_failures
            guesser = await Client.connect(port)
            stranger = Terminal("013900000000")
            await guesser.send(stranger.authentication("1234"), stranger.authentication("5678"))
            assert await guesser.closed()
            assert gateway.stats.closed["auth_failures"] == 1

    run(body)


# ------------------------------------------------------------------------------------------ positions


def test_a_location_is_stored_then_answered() -> None:
    async def body() -> None:
        async with serving() as (gateway, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            serial = terminal.serial
            alarmed = dataclasses.replace(FIX, alarm=ALARM_POWER_OFF)
            await client.send(terminal.location(alarmed))
            reply = await client.reply()
            assert (reply.reply_id, reply.reply_serial, reply.result) == (0x0200, serial, RESULT_OK)
            # answered means stored: the report is in the keeper by the time the reply is read
            (report,) = keeper.stored()
            assert (report.phone, report.msg_id, report.serial, report.supplement) == (
                PHONE_2013,
                0x0200,
                serial,
                False,
            )
            assert report.location.latitude == 31.230416 and report.location.longitude == 121.473701
            assert report.location.speed_kmh == 42.5 and report.location.direction == 87
            assert report.location.time == "2026-12-04T17:30:15+08:00"
            assert report.location.alarm == ["main_power_off"]
            assert report.location.extras["mileage_km"] == 1234.5
            assert report.raw.startswith(b"\x7e\x02\x00") and report.received_at.tzinfo is not None
            assert gateway.stats.stored == 1 and gateway.stats.terminals[PHONE_2013].stored == 1
            assert len(gateway.stats.store_latencies) == 1

    run(body)


@pytest.mark.parametrize("supplement", [False, True])
def test_a_batch_upload_stores_each_item(supplement: bool) -> None:
    async def body() -> None:
        async with serving() as (_, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            fixes = [
                dataclasses.replace(FIX, latitude=31 + n / 100, time=WHEN + dt.timedelta(minutes=n))
                for n in range(3)
            ]
            await client.send(terminal.batch(fixes, supplement=supplement))
            reply = await client.reply()
            assert (reply.reply_id, reply.result) == (0x0704, RESULT_OK)
            stored = keeper.stored()
            assert [report.location.latitude for report in stored] == [31.0, 31.01, 31.02]
            assert {(report.msg_id, report.supplement) for report in stored} == {(0x0704, supplement)}

    run(body)


def test_sub_packages_are_put_together_before_the_body_is_read() -> None:
    async def body() -> None:
        async with serving() as (gateway, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            parts = terminal.subpackages(0x0200, location_body(FIX), 10)
            assert len(parts) == 4  # a 40-byte body
            # the parts arrive out of order; each but the one completing the message is answered at once
            await client.send(parts[1], parts[0], parts[2])
            early = await client.replies(3)
            assert {(reply.reply_id, reply.result) for reply in early} == {(0x0200, RESULT_OK)}
            assert keeper.stored() == []
            await client.send(parts[3])
            last = await client.reply()
            assert (last.reply_id, last.result) == (0x0200, RESULT_OK)
            (report,) = keeper.stored()
            assert report.location.latitude == 31.230416 and report.raw.count(b"\x7e") == 8

            # a message whose parts never all arrive is dropped once the timeout passes
            await client.send(*terminal.subpackages(0x0200, location_body(FIX), 10)[:2])
            await client.replies(2)
            gateway.sweep(asyncio.get_running_loop().time() + gateway.settings.subpackage_timeout_seconds + 1)
            assert gateway.stats.dropped["subpackage_incomplete"] == 1
            assert len(keeper.stored()) == 1

    run(body)


def test_replies_are_in_the_2019_version_to_a_2019_terminal() -> None:
    async def body() -> None:
        async with serving() as (_, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2019, version=2019)
            await client.send(terminal.registration())
            registered = await client.reply()
            assert registered.version == 2019 and keeper.registrations[PHONE_2019].layout == "2019"
            await client.send(terminal.authentication(registered.code or ""))
            assert (await client.reply()).result == RESULT_OK
            await client.send(terminal.location(FIX), terminal.heartbeat())
            replies = await client.replies(2)
            assert {reply.version for reply in replies} == {2019}
            assert {reply.reply_id for reply in replies} == {0x0200, 0x0002}
            assert keeper.stored()[0].phone == PHONE_2019

    run(body)


def test_frames_split_across_writes_and_several_in_one_write() -> None:
    async def body() -> None:
        async with serving() as (gateway, keeper, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            stream = b"".join(terminal.location(dataclasses.replace(FIX, direction=n)) for n in range(5))
            for at in range(0, len(stream), 7):  # torn anywhere, flags included
                await client.send(stream[at : at + 7])
            replies = await client.replies(5)
            assert {reply.result for reply in replies} == {RESULT_OK}
            await client.send(terminal.heartbeat() + terminal.heartbeat() + terminal.location(FIX))
            assert len(await client.replies(3)) == 3
            assert sorted(report.location.direction for report in keeper.stored()) == [0, 1, 2, 3, 4, 87]
            assert gateway.stats.dropped_total == 0

    run(body)


# ------------------------------------------------------------------------------------------ bad input


def _bad_frames(terminal: Terminal) -> dict[str, bytes]:
    good = terminal.heartbeat()
    payload = bytes.fromhex("0002000001391234567800ff")  # a heartbeat's header, serial 0xff
    location = terminal.location(FIX)
    return {
        "checksum": good[:-2] + bytes([good[-2] ^ 0x55]) + b"\x7e",
        "escape": b"\x7e" + payload + b"\x7d\x05" + bytes([checksum(payload)]) + b"\x7e",
        "length": b"\x7e"
        + escape(payload[:3] + b"\x05" + payload[4:] + bytes([checksum(payload[:3] + b"\x05" + payload[4:])]))
        + b"\x7e",
        "short": b"\x7e\x00\x02\x00\x00\x01\x7e",
        "body": location[:-5] + location[-3:],  # a byte gone from the middle of the body: checksum or length
        "oversize": b"\x7e" + b"\x11" * 5000 + b"\x7e",
        "garbage": b"hello, platform",
    }


def test_every_kind_of_bad_input_is_counted_and_the_connection_survives() -> None:
    async def body() -> None:
        async with serving() as (gateway, _, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            bad = _bad_frames(terminal)
            for name, data in bad.items():
                await client.send(data)
                if name == "garbage":
                    await client.send(b"\x7e")  # garbage reaches up to the next flag
            await client.send(
                terminal.message(0x0900, b"\x01\x02")
            )  # a message id the gateway does not handle
            unsupported = await client.reply()
            assert (unsupported.reply_id, unsupported.result) == (0x0900, RESULT_NOT_SUPPORTED)
            await client.send(terminal.heartbeat())
            assert (await client.reply()).result == RESULT_OK  # still connected, still answered
            dropped = gateway.stats.dropped
            for kind in ("escape", "length", "short", "oversize", "unsupported"):
                assert dropped[kind] == 1, kind
            # between two flags, garbage is a frame like any other and fails as one: the bad checksum, the
            # location missing a byte, and the garbage (counted as "garbage" only before the first flag)
            assert dropped["checksum"] == 3
            assert gateway.stats.terminals[PHONE_2013].dropped == dropped
            assert gateway.stats.closed == {}

    run(body)


def test_bad_input_before_any_good_frame_is_counted_for_the_terminal_once_known() -> None:
    async def body() -> None:
        async with serving() as (gateway, _, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.send(b"junk\x7e" + _bad_frames(terminal)["checksum"])
            await client.send(terminal.heartbeat())
            await client.reply()
            assert gateway.stats.terminals[PHONE_2013].dropped == {"garbage": 1, "checksum": 1}

    run(body)


def test_a_terminal_that_floods_is_disconnected() -> None:
    async def body() -> None:
        async with serving(max_messages_per_second=5, max_bad_frames=3) as (gateway, _, port):
            flooding = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await flooding.send(*(terminal.heartbeat() for _ in range(20)))
            assert await flooding.closed()
            assert gateway.stats.closed["flooding"] == 1

            broken = await Client.connect(port)
            await broken.send(*([_bad_frames(terminal)["checksum"]] * 3))
            assert await broken.closed()
            assert gateway.stats.closed["bad_frames"] == 1

            idle = await Client.connect(port)
            await idle.send(terminal.heartbeat())
            await idle.reply()
            gateway.sweep(asyncio.get_running_loop().time() + gateway.settings.idle_seconds + 1)
            assert await idle.closed()
            assert gateway.stats.closed["idle"] == 1

    run(body)


class _FailingKeeper(MemoryKeeper):
    def keep(self, reports: Sequence[PositionReport]) -> None:
        raise RuntimeError("the store is down")


def test_a_position_the_store_refused_is_answered_failure() -> None:
    async def body() -> None:
        async with serving(_FailingKeeper()) as (gateway, _, port):
            client = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await client.handshake(terminal)
            await client.send(terminal.location(FIX))
            assert (await client.reply()).result == RESULT_FAILURE
            assert gateway.stats.dropped["store_failed"] == 1 and gateway.stats.stored == 0

    run(body)


def test_stopping_stores_and_answers_what_is_waiting() -> None:
    async def body() -> None:
        keeper = MemoryKeeper()
        gateway = Gateway(keeper, dataclasses.replace(GatewaySettings.shipped(), flush_ms=600_000))
        port = await gateway.start("127.0.0.1", 0)
        client = await Client.connect(port)
        terminal = Terminal(PHONE_2013)
        await client.handshake(terminal)
        await client.send(terminal.location(FIX), terminal.heartbeat())
        assert (await client.reply()).reply_id == 0x0002  # the heartbeat; the position waits for the flush
        assert keeper.stored() == []
        await gateway.stop()
        assert len(keeper.stored()) == 1
        assert (await client.reply()).reply_id == 0x0200

    run(body)


class _GatedKeeper(MemoryKeeper):
    """Keeps the order of its calls; while `gate` is clear, a batch of registrations waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()

    def register_many(self, registrations: Sequence[Registering]) -> list[str | None]:
        self.calls.append(("register", len(registrations)))
        if not self.gate.is_set():
            self.held.set()
            assert self.gate.wait(GUARD_SECONDS * 3)
        return super().register_many(registrations)

    def keep(self, reports: Sequence[PositionReport]) -> None:
        self.calls.append(("keep", len(reports)))
        super().keep(reports)


def test_a_crowd_of_registrations_is_batched_and_does_not_hold_positions_back() -> None:
    async def body() -> None:
        keeper = _GatedKeeper()
        async with serving(keeper, batch_registrations=10, flush_ms=5) as (gateway, _, port):
            reporter = await Client.connect(port)
            terminal = Terminal(PHONE_2013)
            await reporter.handshake(terminal)
            # 100 terminals register while the store is busy with a batch of registrations
            keeper.gate.clear()
            crowd = [Terminal(f"0139000{index:05d}") for index in range(100)]
            clients = await asyncio.gather(*(Client.connect(port) for _ in crowd))
            await asyncio.gather(*(c.send(t.registration()) for c, t in zip(clients, crowd, strict=True)))
            for _ in range(GUARD_SECONDS * 100):
                if keeper.held.is_set() and gateway.stats.frames == 2 + len(crowd):
                    break
                await asyncio.sleep(0.01)
            await reporter.send(terminal.location(FIX))
            for _ in range(GUARD_SECONDS * 100):
                if gateway._pending:
                    break
                await asyncio.sleep(0.01)
            held = len(keeper.calls) - 1
            keeper.gate.set()
            assert (await reporter.reply()).result == RESULT_OK
            registered = await asyncio.gather(*(client.reply() for client in clients))
        assert all(reply.result == RESULT_OK and reply.code for reply in registered)
        assert keeper.calls[held][0] == "register"
        after = keeper.calls[held + 1 :]
        # the position waited for the batch of registrations in the store, and for no other
        assert after[0] == ("keep", 1)
        # the crowd went in batches of at most 10 (91 or more still waiting when the position came)
        registers = [size for kind, size in after if kind == "register"]
        assert len(registers) >= 9 and max(registers) <= 10
        assert sum(size for kind, size in keeper.calls if kind == "register") == 1 + len(crowd)

    run(body)


# ------------------------------------------------------------------------------------------ fuzzing


class _Sink:
    """Stands in for a connection's StreamWriter: collects what the gateway writes."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False
        self.transport = None

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("fuzz", 0)


_TERMINAL = Terminal(PHONE_2013)
_VALID = [
    _TERMINAL.registration(),
    _TERMINAL.authentication("code"),
    _TERMINAL.heartbeat(),
    _TERMINAL.location(FIX),
    _TERMINAL.batch([FIX, FIX], supplement=True),
    *_TERMINAL.subpackages(0x0200, location_body(FIX), 12),
    encode(0x0200, PHONE_2019, 7, location_body(FIX), version=2019),
]


@st.composite
def _chunks(draw: st.DrawFn) -> list[bytes]:
    pieces: list[bytes] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["valid", "mutated", "random"]))
        if kind == "random":
            pieces.append(draw(st.binary(max_size=80)))
            continue
        frame = bytearray(draw(st.sampled_from(_VALID)))
        if kind == "mutated" and frame:
            for _ in range(draw(st.integers(1, 3))):
                frame[draw(st.integers(0, len(frame) - 1))] = draw(st.integers(0, 255))
        pieces.append(bytes(frame))
    stream = b"".join(pieces)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    return [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_chunks())
def test_fuzz_the_stream_handler_never_raises(chunks: list[bytes]) -> None:
    async def body() -> None:
        keeper = MemoryKeeper()
        keeper.codes[PHONE_2013] = "code"
        gateway = Gateway(keeper, dataclasses.replace(GatewaySettings.shipped(), max_frame_bytes=200))
        sink = _Sink()
        connection = _Connection(sink, 200, 0.0)  # type: ignore[arg-type]
        for chunk in chunks:
            if connection.closing is None:
                await gateway._received(connection, chunk, 0.0)
        await gateway.flush()
        gateway.sweep(10_000.0)
        for raw in FrameSplitter().feed(bytes(sink.written)):
            read_reply(raw)  # whatever was answered is a well-formed platform reply
        assert gateway.stats.stored == len(keeper.stored())
        gateway._store_thread.shutdown()

    asyncio.run(body())


# ------------------------------------------------------------------------------------------ simulator


def test_the_simulator_against_the_gateway_loses_nothing() -> None:
    async def body() -> None:
        async with serving() as (gateway, keeper, port):
            plan = Simulation(
                terminals=6, interval=0.3, duration=1.2, port=port, seed=7, ramp=0.2, alarm_chance=0.3
            )
            result = await simulate(plan)
            await gateway.flush()
            assert result.connected == result.authenticated == 6
            assert result.lost == 0 and result.refused == 0
            assert result.answered == result.sent > 0
            assert len(keeper.stored()) == result.positions
            assert {report.phone for report in keeper.stored()} == set(keeper.codes)
            assert {len(phone) for phone in keeper.codes} == {12, 20}  # both versions in the seeded mix
            assert sum(bool(report.location.alarm_word) for report in keeper.stored()) == result.alarms
            assert gateway.stats.dropped_total == 0

    run(body)


# ------------------------------------------------------------------------------------------ settings, CLI


def test_settings_come_from_the_workspace_over_the_shipped_defaults() -> None:
    shipped = GatewaySettings.shipped()
    assert shipped.port == 8808 and shipped.max_messages_per_second > 0
    assert GatewaySettings.from_settings({"max_bad_frames": 7}).max_bad_frames == 7
    with pytest.raises(InvalidInputError, match=r"tracking\.gateway\.idle_seconds"):
        GatewaySettings.from_settings({"idle_seconds": 0})
    with pytest.raises(InvalidInputError, match=r"tracking\.gateway\.max_bad_frames"):
        GatewaySettings.from_settings({"max_bad_frames": 2.5})


def test_serve_keeps_what_simulated_terminals_report_in_the_workspace_store(tmp_path: Path) -> None:
    """`leaseguard tracking serve` as its own process on a workspace's SQLite store: every report answered is
    stored (unbound: no terminal is bound in this workspace), and SIGINT stops it after a last flush."""
    from leaseguard.tracking.storage import unbound_reports
    from leaseguard.workspace import DATABASE_URL_ENV, init_workspace

    workspace = init_workspace(tmp_path / "ws")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key != DATABASE_URL_ENV}
    server = subprocess.Popen(
        [sys.executable, "-m", "leaseguard.cli.main", "tracking", "serve", "-w", str(workspace.root), "--port",
         str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()[0]
                time.sleep(0.1)
        plan = Simulation(terminals=3, interval=0.2, duration=0.6, port=port, seed=11, ramp=0.1)
        result = asyncio.run(simulate(plan))
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0 and "Traceback" not in output, output
    assert result.authenticated == 3 and result.lost == 0 and result.answered == result.sent > 0
    engine = workspace.engine()
    try:
        with engine.connect() as connection:
            stored = unbound_reports(connection, limit=1000)
    finally:
        engine.dispose()
    assert len(stored) == result.positions
    assert all(report.raw.startswith(b"\x7e") and report.raw.endswith(b"\x7e") for report in stored)


def test_simulate_against_nothing_fails_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    result = CliRunner().invoke(
        app,
        ["tracking", "simulate", "--terminals", "2", "--interval", "0.1", "--duration", "0.1", "--port", "1",
         "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1 and "127.0.0.1:1" in result.output
    assert not out.exists() or json.loads(out.read_text())["connected"] == 0
