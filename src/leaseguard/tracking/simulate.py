"""A load generator of JT/T 808 terminals (`leaseguard tracking simulate`): N terminals connect to a gateway,
register (a seeded mix of 2013 and 2019), authenticate with the code they were given, then report a position
every S seconds for D seconds — a seeded random walk with a persistent heading, like a vehicle on roads —
with a heartbeat now and then and an alarm now and then (power cut bit 8, antenna bits 5/6). Each report waits
for its 0x8001; the time from send to reply is measured. For demos, tests and benchmarks/bench_tracking.py."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leaseguard.tracking.jt808 import REGISTRATION_REPLY, RESULT_OK, FrameError, FrameSplitter
from leaseguard.tracking.terminal import (
    ALARM_ANTENNA_CUT,
    ALARM_ANTENNA_SHORT,
    ALARM_POWER_OFF,
    Fix,
    PlatformReply,
    Terminal,
    read_reply,
)

ALARMS = (ALARM_POWER_OFF, ALARM_ANTENNA_CUT, ALARM_ANTENNA_SHORT)
# Where the walks start: around Shanghai (the court of issue 20); degrees.
START_LATITUDE = (30.7, 31.5)
START_LONGITUDE = (121.0, 121.9)
KM_PER_DEGREE = 111.32
# Reports `report_track` sends in one second at most: the gateway closes a connection past
# `max_messages_per_second` (50 shipped).
TRACK_BURST = 40


@dataclass(frozen=True)
class Simulation:
    terminals: int
    interval: float  # seconds between two reports of one terminal
    duration: float  # seconds of reporting
    host: str = "127.0.0.1"
    port: int = 8808
    seed: int = 20
    share_2019: float = 0.5  # terminals speaking JT/T 808-2019
    alarm_chance: float = 0.01  # of a report carrying an alarm
    heartbeat_every: int = 5  # a heartbeat after every this many reports
    ramp: float | None = None  # seconds over which terminals connect (default: the interval, at most 10)
    reply_timeout: float = 10.0  # how long a report waits for its 0x8001 before it counts as lost


@dataclass
class SimulationResult:
    terminals: int = 0
    connected: int = 0
    authenticated: int = 0
    sent: int = 0  # messages that wait for a 0x8001 (positions and heartbeats)
    positions: int = 0
    alarms: int = 0
    answered: int = 0
    refused: int = 0  # answered with a result other than 0
    lost: int = 0  # never answered
    failures: list[str] = field(default_factory=list)  # connection or handshake failures (first few)
    latencies: list[float] = field(default_factory=list)  # seconds from send to reply
    seconds: float = 0.0

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 1)

        return {
            "terminals": self.terminals,
            "connected": self.connected,
            "authenticated": self.authenticated,
            "sent": self.sent,
            "positions": self.positions,
            "alarms": self.alarms,
            "answered": self.answered,
            "refused": self.refused,
            "lost": self.lost,
            "latency_p50_ms": ms(self.percentile(0.50)),
            "latency_p99_ms": ms(self.percentile(0.99)),
            "latency_max_ms": ms(max(self.latencies) if self.latencies else None),
            "seconds": round(self.seconds, 1),
            "failures": self.failures[:10],
        }


class _Walk:
    """A vehicle's path: heading changes a little at each step, speed drifts, sometimes it stops."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.latitude = rng.uniform(*START_LATITUDE)
        self.longitude = rng.uniform(*START_LONGITUDE)
        self.heading = rng.uniform(0, 360)
        self.speed = rng.uniform(0, 80)
        self.mileage = rng.uniform(0, 100_000)

    def step(self, seconds: float) -> None:
        rng = self.rng
        self.heading = (self.heading + rng.gauss(0, 15)) % 360
        self.speed = 0.0 if rng.random() < 0.05 else min(120.0, max(0.0, self.speed + rng.gauss(0, 8)))
        km = self.speed * seconds / 3600
        self.mileage += km
        radians = math.radians(self.heading)
        self.latitude += km * math.cos(radians) / KM_PER_DEGREE
        self.longitude += km * math.sin(radians) / (KM_PER_DEGREE * math.cos(math.radians(self.latitude)))

    def fix(self, alarm: int) -> Fix:
        return Fix(
            latitude=round(self.latitude, 6),
            longitude=round(self.longitude, 6),
            time=dt.datetime.now(dt.UTC),
            speed_kmh=round(self.speed, 1),
            direction=int(self.heading),
            altitude=int(self.rng.uniform(0, 50)),
            alarm=alarm,
            mileage_km=round(self.mileage, 1),
            satellites=self.rng.randint(4, 20),
            signal=self.rng.randint(10, 31),
        )


class _Link:
    """One terminal's connection: sends frames, matches each reply to the message it answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, result: SimulationResult):
        self.reader, self.writer, self.result = reader, writer, result
        self.waiting: dict[tuple[int, int], tuple[float, asyncio.Future[PlatformReply]]] = {}
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        splitter = FrameSplitter()
        with contextlib.suppress(ConnectionError, OSError):
            while data := await self.reader.read(65536):
                arrived = time.perf_counter()
                for raw in splitter.feed(data):
                    try:
                        reply = read_reply(raw)
                    except FrameError:
                        continue
                    key = (
                        REGISTRATION_REPLY if reply.msg_id == REGISTRATION_REPLY else reply.reply_id or 0,
                        reply.reply_serial,
                    )
                    entry = self.waiting.pop(key, None)
                    if entry is not None:
                        self.result.latencies.append(arrived - entry[0])
                        if not entry[1].done():
                            entry[1].set_result(reply)
        for _, future in self.waiting.values():
            if not future.done():
                future.cancel()

    def send(self, frame: bytes, msg_id: int, serial: int) -> asyncio.Future[PlatformReply]:
        future: asyncio.Future[PlatformReply] = asyncio.get_running_loop().create_future()
        reply_id = REGISTRATION_REPLY if msg_id == 0x0100 else msg_id
        self.waiting[(reply_id, serial)] = (time.perf_counter(), future)
        self.writer.write(frame)
        return future

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


def _phone(index: int, version: int) -> str:
    number = f"139{index:08d}"
    return number.rjust(20 if version == 2019 else 12, "0")


async def _terminal(index: int, plan: Simulation, result: SimulationResult, deadline: float) -> None:
    rng = random.Random(plan.seed * 1_000_003 + index)
    version = 2019 if rng.random() < plan.share_2019 else 2013
    terminal = Terminal(
        _phone(index, version), version, terminal_id=f"S{index:06d}", plate=f"沪A{index % 100000:05d}"
    )
    walk = _Walk(rng)
    ramp = min(plan.interval, 10.0) if plan.ramp is None else plan.ramp
    await asyncio.sleep(rng.uniform(0, ramp))
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(plan.host, plan.port), plan.reply_timeout
        )
    except (OSError, TimeoutError) as error:
        result.failures.append(f"{terminal.phone}: connect: {error}")
        return
    result.connected += 1
    link = _Link(reader, writer, result)
    outstanding: list[asyncio.Future[PlatformReply]] = []
    try:
        serial = terminal.serial
        registered = await asyncio.wait_for(
            link.send(terminal.registration(), 0x0100, serial), plan.reply_timeout
        )
        if registered.result != RESULT_OK or registered.code is None:
            result.failures.append(f"{terminal.phone}: registration result {registered.result}")
            return
        serial = terminal.serial
        authenticated = await asyncio.wait_for(
            link.send(terminal.authentication(registered.code), 0x0102, serial), plan.reply_timeout
        )
        if authenticated.result != RESULT_OK:
            result.failures.append(f"{terminal.phone}: authentication result {authenticated.result}")
            return
        result.authenticated += 1
        await asyncio.sleep(rng.uniform(0, plan.interval))  # terminals do not all report in the same second
        reports = 0
        while time.perf_counter() < deadline:
            alarm = rng.choice(ALARMS) if rng.random() < plan.alarm_chance else 0
            walk.step(plan.interval)
            serial = terminal.serial
            outstanding.append(link.send(terminal.location(walk.fix(alarm)), 0x0200, serial))
            result.sent += 1
            result.positions += 1
            result.alarms += alarm != 0
            reports += 1
            if reports % plan.heartbeat_every == 0:
                serial = terminal.serial
                outstanding.append(link.send(terminal.heartbeat(), 0x0002, serial))
                result.sent += 1
            await asyncio.sleep(plan.interval)
        if outstanding:
            await asyncio.wait(outstanding, timeout=plan.reply_timeout)
    except (OSError, TimeoutError, ConnectionError) as error:
        result.failures.append(f"{terminal.phone}: {type(error).__name__} {error}")
    finally:
        for future in outstanding:
            if future.done() and not future.cancelled():
                result.answered += 1
                result.refused += future.result().result != RESULT_OK
            else:
                result.lost += 1
        await link.close()


async def simulate(plan: Simulation) -> SimulationResult:
    """Run the plan against a gateway listening at plan.host:plan.port."""
    result = SimulationResult(terminals=plan.terminals)
    started = time.perf_counter()
    deadline = started + plan.duration
    await asyncio.gather(*(_terminal(index, plan, result, deadline) for index in range(plan.terminals)))
    result.seconds = time.perf_counter() - started
    return result


def walked_fixes(seed: int, count: int, every: dt.timedelta, last: dt.datetime) -> list[Fix]:
    """A vehicle's `count` fixes `every` apart, the last at `last`: the simulator's seeded walk, for a track
    recorded earlier (the demo's)."""
    walk = _Walk(random.Random(seed))
    fixes = []
    for index in range(count):
        walk.step(every.total_seconds())
        fixes.append(dataclasses.replace(walk.fix(0), time=last - every * (count - 1 - index)))
    return fixes


async def report_track(
    terminal: Terminal, fixes: Sequence[Fix], *, host: str, port: int, reply_timeout: float = 10.0
) -> int:
    """One terminal connects to the gateway at host:port, registers, authenticates and reports `fixes` — each
    with its own time, as a terminal sends what it recorded — then waits for every answer. Returns how many
    were answered stored (0x8001 result 0). At most TRACK_BURST reports a second, below the gateway's flood
    limit. Raises OSError or TimeoutError when the gateway cannot be reached or does not answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), reply_timeout)
    link = _Link(reader, writer, SimulationResult())
    try:
        serial = terminal.serial  # the serial the next frame carries, and its reply echoes
        registered = await asyncio.wait_for(link.send(terminal.registration(), 0x0100, serial), reply_timeout)
        if registered.result != RESULT_OK or registered.code is None:
            return 0
        serial = terminal.serial
        authenticated = await asyncio.wait_for(
            link.send(terminal.authentication(registered.code), 0x0102, serial), reply_timeout
        )
        if authenticated.result != RESULT_OK:
            return 0
        stored = 0
        loop = asyncio.get_running_loop()
        for start in range(0, len(fixes), TRACK_BURST):
            began = loop.time()
            waiting = []
            for fix in fixes[start : start + TRACK_BURST]:
                serial = terminal.serial
                waiting.append(link.send(terminal.location(fix), 0x0200, serial))
            for reply in await asyncio.wait_for(asyncio.gather(*waiting), reply_timeout):
                stored += reply.result == RESULT_OK
            if start + TRACK_BURST < len(fixes):
                await asyncio.sleep(max(0.0, 1.0 - (loop.time() - began)))
        return stored
    finally:
        await link.close()


def raise_open_files_limit(wanted: int) -> int:
    """Lift this process's limit of open files towards `wanted` (each terminal is a socket); returns it."""
    try:
        import resource
    except ImportError:  # not on Unix
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft
