"""The JT/T 808 gateway: an asyncio TCP server that BeiDou/GPS terminals (2013 and 2019 versions) connect to.

What it does with each connection (docs/tracking.md says it for people):

- the byte stream is cut into frames on 0x7e (`jt808.FrameSplitter`: a frame torn across reads, several in one
  read, garbage between them) and each frame decoded (`jt808.decode`); sub-packages (header bit 13) are put
  back together and the whole body decoded, an incomplete message dropped after a timeout;
- registration 0x0100 is answered by 0x8100 with the code the keeper issues, once it is stored (the writer task
  below stores registrations in batches, a batch of positions waiting for at most one of them); authentication
  0x0102 is checked against it, the codes kept in memory once known (a code not known yet is read from the
  store in batches) (a wrong code: 0x8001 result 1, and after `max_auth_failures` the connection is closed); every
  other message is answered by the platform general reply 0x8001 (reply serial, reply id, result) in the
  version the terminal spoke, with the platform's own serial per connection;
- positions (0x0200, each item of a 0x0704 batch) from an authenticated connection go to one writer task that
  hands them to `TerminalKeeper.keep` in batches on one store thread, so the event loop never waits for the
  store; the 0x8001 for a position is sent once the batch holding it was stored (result 1 if the store
  refused it, so the terminal sends it again): an answered position is a stored one;
- a frame that cannot be used is dropped and counted by kind, per terminal and in total (`GatewayStats`);
  too many bad frames, too many messages a second, or silence past the idle timeout close the connection.

The limits are settings (`tracking.gateway` in the workspace's leaseguard.yaml; the shipped defaults are in
leaseguard/defaults/leaseguard.yaml).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import hmac
import logging
import math
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from leaseguard.errors import InvalidInputError
from leaseguard.tracking.jt808 import (
    AUTHENTICATION,
    BATCH_UPLOAD,
    HEARTBEAT,
    LOCATION,
    LOGOUT,
    PLATFORM_REPLY,
    REGISTRATION,
    REGISTRATION_REPLY,
    RESULT_FAILURE,
    RESULT_NOT_SUPPORTED,
    RESULT_OK,
    RESULT_WRONG,
    TERMINAL_REPLY,
    Authentication,
    BatchUpload,
    FrameError,
    FrameSplitter,
    Header,
    Location,
    Message,
    Registration,
    decode,
    decode_body,
    encode,
)
from leaseguard.tracking.ports import PositionReport, TerminalKeeper
from leaseguard.vocabulary import Label

log = logging.getLogger(__name__)

# 0x8100 result 4: "no such terminal in the database" (§8.6): the keeper refused the registration.
REGISTRATION_NO_TERMINAL = 4

SETTINGS_PATH = ("tracking", "gateway")

# Why a frame or a report was dropped, as counted in GatewayStats.dropped (the decoder's own faults first).
DROP_KINDS: dict[str, Label] = {
    "framing": Label("帧格式错误", "bad framing"),
    "escape": Label("转义错误", "bad escape"),
    "short": Label("帧被截断", "truncated frame"),
    "checksum": Label("校验码错误", "bad checksum"),
    "length": Label("消息体长度不符", "body length mismatch"),
    "body": Label("消息体无法解析", "body cannot be read"),
    "garbage": Label("帧间杂乱字节", "garbage between frames"),
    "oversize": Label("帧过长", "frame too long"),
    "unsupported": Label("不支持的消息", "message not supported"),
    "unauthenticated": Label("未鉴权的上报", "report before authentication"),
    "auth_failed": Label("鉴权码错误", "wrong authentication code"),
    "subpackage": Label("分包错误", "bad sub-package"),
    "subpackage_incomplete": Label("分包未收齐（超时）", "sub-packages incomplete (timed out)"),
    "busy": Label("待存队列已满", "store queue full"),
    "store_failed": Label("存储失败", "store failed"),
}
CLOSE_KINDS: dict[str, Label] = {
    "idle": Label("空闲超时", "idle"),
    "flooding": Label("消息过频", "too many messages a second"),
    "bad_frames": Label("坏帧过多", "too many bad frames"),
    "auth_failures": Label("鉴权失败过多", "too many failed authentications"),
}


# ------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class GatewaySettings:
    """The gateway's limits (settings `tracking.gateway.*`); `from_settings` fills what is missing from the
    shipped defaults, so the numbers live in one YAML file."""

    host: str
    port: int
    max_frame_bytes: int
    max_bad_frames: int
    max_messages_per_second: int
    max_auth_failures: int
    idle_seconds: float
    max_subpackages: int
    max_open_subpackaged: int
    subpackage_timeout_seconds: float
    flush_ms: float
    batch_reports: int
    batch_registrations: int
    max_pending_reports: int
    stats_every_seconds: float

    @classmethod
    def shipped(cls) -> GatewaySettings:
        return cls.from_settings(None)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> GatewaySettings:
        """From the `tracking.gateway` mapping of a workspace over the shipped defaults; a bad value is an
        InvalidInputError naming the setting."""
        from leaseguard.workspace import shipped_setting

        shipped = shipped_setting("tracking", "gateway")
        given = settings if isinstance(settings, Mapping) else {}
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            value = given.get(item.name, shipped[item.name])
            if item.name == "host":
                if not isinstance(value, str) or not value:
                    raise _bad_setting(item.name, value)
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
                or (item.type in ("int", int) and not isinstance(value, int))
            ):
                raise _bad_setting(item.name, value)
            values[item.name] = value
        return cls(**values)


def _bad_setting(name: str, value: object) -> InvalidInputError:
    return InvalidInputError(
        Label(
            "设置 {setting} 应为大于 0 的数（现为 {value!r}）",
            "setting {setting} must be above 0 (not {value!r})",
        ),
        setting=".".join((*SETTINGS_PATH, name)),
        value=value,
    )


# ---------------------------------------------------------------------------------------------- stats


@dataclass
class TerminalCounts:
    """What one terminal (by phone) sent and what became of it."""

    frames: int = 0  # frames decoded
    stored: int = 0  # positions stored
    dropped: collections.Counter[str] = field(default_factory=collections.Counter)

    def merge(self, other: TerminalCounts) -> None:
        self.frames += other.frames
        self.stored += other.stored
        self.dropped.update(other.dropped)


@dataclass
class GatewayStats:
    """Counters of the whole gateway, read at any time (from the event loop's thread)."""

    connections: int = 0  # open now
    connections_total: int = 0
    frames: int = 0  # frames decoded
    answered: int = 0  # replies sent
    stored: int = 0  # positions stored
    dropped: collections.Counter[str] = field(default_factory=collections.Counter)  # by DROP_KINDS
    closed: collections.Counter[str] = field(default_factory=collections.Counter)  # by CLOSE_KINDS
    terminals: dict[str, TerminalCounts] = field(default_factory=dict)
    # seconds from a position's frame being read to its batch being stored; the most recent ones
    store_latencies: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=200_000)
    )

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def latency_percentile(self, fraction: float) -> float | None:
        if not self.store_latencies:
            return None
        ordered = sorted(self.store_latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def snapshot(self) -> dict[str, Any]:
        p50, p99 = self.latency_percentile(0.50), self.latency_percentile(0.99)
        return {
            "connections": self.connections,
            "connections_total": self.connections_total,
            "frames": self.frames,
            "answered": self.answered,
            "stored": self.stored,
            "dropped": dict(self.dropped),
            "dropped_total": self.dropped_total,
            "closed": dict(self.closed),
            "terminals": len(self.terminals),
            "store_latency_p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "store_latency_p99_ms": None if p99 is None else round(p99 * 1000, 1),
        }


# ---------------------------------------------------------------------------------------- connections


@dataclass
class _Reassembly:
    started: float
    bodies: dict[int, bytes] = field(default_factory=dict)
    raws: list[bytes] = field(default_factory=list)


class _Connection:
    """One terminal's TCP connection and what the gateway knows of it."""

    __slots__ = (
        "auth_failures",
        "authenticated",
        "bad_frames",
        "closing",
        "counts",
        "last_seen",
        "parts",
        "peer",
        "phone",
        "serial",
        "splitter",
        "window_count",
        "window_start",
        "writer",
    )

    def __init__(self, writer: asyncio.StreamWriter, max_frame: int, now: float) -> None:
        self.writer = writer
        self.peer = str(writer.get_extra_info("peername"))
        self.splitter = FrameSplitter(max_frame)
        self.phone: str | None = None  # the phone of the frames read so far
        self.authenticated: str | None = None  # the phone that authenticated on this connection
        self.counts = TerminalCounts()  # becomes the terminal's own counts once its phone is known
        self.serial = 0  # the platform's serial towards this terminal
        self.last_seen = now
        self.window_start = now
        self.window_count = 0
        self.bad_frames = 0
        self.auth_failures = 0
        self.parts: dict[tuple[int, int, int], _Reassembly] = {}
        self.closing: str | None = None

    def next_serial(self) -> int:
        serial = self.serial
        self.serial = (serial + 1) & 0xFFFF
        return serial


@dataclass
class _Pending:
    """Positions of one message waiting to be stored, and whom to answer once they are."""

    connection: _Connection
    header: Header
    reports: list[PositionReport]
    received: float  # loop time the frame was read


@dataclass
class _Asking:
    """A registration waiting to be stored, or an authentication waiting for its code to be read from the
    store. Its connection reads nothing more until `done` (the writer task answers it first)."""

    connection: _Connection
    header: Header
    body: Any  # Registration or Authentication
    received_at: dt.datetime
    done: asyncio.Future[None]


T = TypeVar("T")


class Gateway:
    """The server. `await start()`, then `await stop()` (which stores what is waiting and answers it)."""

    def __init__(self, keeper: TerminalKeeper, settings: GatewaySettings | None = None) -> None:
        self.keeper = keeper
        self.settings = settings or GatewaySettings.shipped()
        self.stats = GatewayStats()
        # Auth codes issued or read, by the phone as the header spells it: the keeper is the only writer of a
        # code and never changes one, so once known a code is never asked of the store again.
        self._codes: dict[str, str] = {}
        self._connections: set[_Connection] = set()
        self._pending: list[_Pending] = []
        self._pending_reports = 0
        self._registrations: list[_Asking] = []
        self._lookups: list[_Asking] = []
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        # One thread talks to the store (SQLite has one writer anyway); every keeper call goes through it.
        self._store_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jt808-store")
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._writing = False  # the writer task runs (start); else a waiting handshake is flushed at once
        self._stopping = False

    # ------------------------------------------------------------------------------------- lifecycle

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Listen (port 0: any free port) and return the port listened on."""
        self._server = await asyncio.start_server(
            self._serve_connection,
            self.settings.host if host is None else host,
            self.settings.port if port is None else port,
            limit=max(65536, self.settings.max_frame_bytes * 2),
            backlog=4096,  # thousands of terminals reconnect at once after a platform restart
        )
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._write_loop()), loop.create_task(self._sweep_loop())]
        self._writing = True
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and reading, store and answer every position waiting, then close the connections."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            transport = connection.writer.transport
            if isinstance(transport, asyncio.ReadTransport) and not transport.is_closing():
                transport.pause_reading()
        await self.flush()
        self._writing = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for connection in list(self._connections):
            self._close(connection, None)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        self._store_thread.shutdown(wait=True)

    # ------------------------------------------------------------------------------------ connections

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        connection = _Connection(writer, self.settings.max_frame_bytes, loop.time())
        self._connections.add(connection)
        self.stats.connections += 1
        self.stats.connections_total += 1
        try:
            while connection.closing is None and not self._stopping:
                data = await reader.read(65536)
                if not data:
                    break
                now = loop.time()
                connection.last_seen = now
                await self._received(connection, data, now)
        except (ConnectionError, OSError):
            pass
        except Exception:  # a bug must not take the gateway down with it: log it, close this connection only
            log.exception("JT/T 808 connection %s failed", connection.peer)
        finally:
            self._connections.discard(connection)
            self.stats.connections -= 1
            if not writer.is_closing():
                writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _received(self, connection: _Connection, data: bytes, now: float) -> None:
        splitter = connection.splitter
        garbage, oversize = splitter.garbage, splitter.oversize
        frames = splitter.feed(data)
        if splitter.garbage != garbage:
            self._drop(connection, "garbage", splitter.garbage - garbage)
        if splitter.oversize != oversize:
            self._drop(connection, "oversize", splitter.oversize - oversize)
        if now - connection.window_start >= 1.0:
            connection.window_start, connection.window_count = now, 0
        for raw in frames:
            if self._stopping:
                return  # read before the stop, not answered: the terminal sends it again
            connection.window_count += 1
            if connection.window_count > self.settings.max_messages_per_second:
                self._close(connection, "flooding")
                return
            waiting = self._frame(connection, raw, now)
            if waiting is not None:
                if not self._writing:  # a gateway fed by hand (not started): store the handshake now
                    await self.flush()
                await waiting
            if connection.closing is not None:
                return

    def _close(self, connection: _Connection, why: str | None) -> None:
        if connection.closing is None:
            connection.closing = why or "shutdown"
            if why is not None:
                self.stats.closed[why] += 1
        if not connection.writer.is_closing():
            connection.writer.close()

    def _drop(self, connection: _Connection, kind: str, count: int = 1) -> None:
        self.stats.dropped[kind] += count
        connection.counts.dropped[kind] += count

    def _bad_frame(self, connection: _Connection, kind: str) -> None:
        self._drop(connection, kind)
        connection.bad_frames += 1
        if connection.bad_frames >= self.settings.max_bad_frames:
            self._close(connection, "bad_frames")

    def _learn_phone(self, connection: _Connection, phone: str) -> None:
        if connection.phone == phone:
            return
        counts = self.stats.terminals.get(phone)
        if counts is None:
            counts = self.stats.terminals[phone] = TerminalCounts()
        if connection.phone is None:
            counts.merge(connection.counts)  # what this connection sent before its phone was known
        connection.phone = phone
        connection.counts = counts

    # --------------------------------------------------------------------------------------- frames

    def _frame(self, connection: _Connection, raw: bytes, now: float) -> asyncio.Future[None] | None:
        try:
            message = decode(raw)
        except FrameError as error:
            self._bad_frame(connection, error.fault)
            return None
        header = message.header
        self._learn_phone(connection, header.phone)
        connection.counts.frames += 1
        self.stats.frames += 1
        if header.encryption != "none":
            self._reply(connection, header, RESULT_NOT_SUPPORTED)
            self._bad_frame(connection, "unsupported")
            return None
        if header.packet_total is not None:
            whole = self._reassemble(connection, message, now)
            if whole is None:
                return None
            message = whole
        return self._dispatch(connection, message, now)

    def _dispatch(self, connection: _Connection, message: Message, now: float) -> asyncio.Future[None] | None:
        header, body = message.header, message.body
        msg_id = header.msg_id
        if msg_id in (LOCATION, BATCH_UPLOAD):
            self._position(connection, message, now)
        elif msg_id == HEARTBEAT:
            self._reply(connection, header, RESULT_OK)
        elif msg_id == REGISTRATION and isinstance(body, Registration):
            return self._ask(self._registrations, connection, header, body)
        elif msg_id == AUTHENTICATION and isinstance(body, Authentication):
            code = self._codes.get(header.phone)
            if code is None:
                return self._ask(self._lookups, connection, header, body)
            self._check_code(connection, header, body, code)
        elif msg_id == TERMINAL_REPLY:
            pass  # the terminal's answer to a platform message: not answered back
        elif msg_id == LOGOUT:
            connection.authenticated = None
            self._reply(connection, header, RESULT_OK)
        else:
            self._reply(connection, header, RESULT_NOT_SUPPORTED)
            self._bad_frame(connection, "unsupported")
        return None

    def _reassemble(self, connection: _Connection, message: Message, now: float) -> Message | None:
        """Keep one sub-package; the whole message once its last part is in, else None (the part answered)."""
        header = message.header
        total, index = header.packet_total or 0, header.packet_index or 0
        if not 1 <= index <= total <= self.settings.max_subpackages:
            self._reply(connection, header, RESULT_WRONG)
            self._bad_frame(connection, "subpackage")
            return None
        key = (header.msg_id, total, (header.serial - index + 1) & 0xFFFF)
        parts = connection.parts.get(key)
        if parts is None:
            if len(connection.parts) >= self.settings.max_open_subpackaged:
                self._reply(connection, header, RESULT_FAILURE)
                self._bad_frame(connection, "subpackage")
                return None
            parts = connection.parts[key] = _Reassembly(now)
        parts.bodies[index] = bytes.fromhex(getattr(message.body, "body_hex", ""))
        parts.raws.append(message.raw)
        if len(parts.bodies) < total:
            self._reply(connection, header, RESULT_OK)
            return None
        del connection.parts[key]
        body = b"".join(parts.bodies[number] for number in range(1, total + 1))
        whole = dataclasses.replace(header, packet_total=None, packet_index=None, body_length=len(body))
        try:
            decoded = decode_body(header.msg_id, header.version, body)
        except FrameError as error:
            self._reply(connection, header, RESULT_WRONG)
            self._bad_frame(connection, error.fault)
            return None
        return Message(whole, decoded, b"".join(parts.raws))

    # --------------------------------------------------------------------------------------- replies

    def _reply(self, connection: _Connection, header: Header, result: int) -> None:
        self._send(
            connection,
            header,
            PLATFORM_REPLY,
            struct.pack(">HHB", header.serial, header.msg_id, result),
        )

    def _send(self, connection: _Connection, header: Header, msg_id: int, body: bytes) -> None:
        """A platform message to the terminal, in the version (and protocol version) it spoke."""
        if connection.writer.is_closing():
            return
        connection.writer.write(
            encode(
                msg_id,
                header.phone,
                connection.next_serial(),
                body,
                version=header.version,
                protocol_version=header.protocol_version or 1,
            )
        )
        self.stats.answered += 1

    async def _in_store_thread(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._store_thread, call, *args)

    def _ask(
        self, queue: list[_Asking], connection: _Connection, header: Header, body: Any
    ) -> asyncio.Future[None]:
        """Queue a registration or a code to read for the writer task; the connection waits for the answer."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(_Asking(connection, header, body, dt.datetime.now(dt.UTC), done))
        # Not held for the flush timer (a terminal waits for this answer before it sends anything else): the
        # writer takes it at once, with whatever else waits. Handshakes arriving while the store is busy wait
        # together, so a crowd of them is a few batches, never one transaction each.
        self._wake.set()
        self._full.set()
        return done

    async def _register_batch(self, taken: list[_Asking]) -> None:
        """Store a batch of registrations in one transaction, then answer each with 0x8100 and its code."""
        try:
            try:
                codes = await self._in_store_thread(
                    self.keeper.register_many,
                    [(item.header.phone, item.body, item.received_at) for item in taken],
                )
            except Exception:
                log.exception("JT/T 808: %d registrations could not be stored", len(taken))
                for item in taken:
                    self._drop(item.connection, "store_failed")  # no reply: the terminal registers again
                return
            for item, code in zip(taken, codes, strict=True):
                header = item.header
                if code is None:
                    log.warning("JT/T 808 registration of %s refused by the keeper", header.phone)
                    self._send(
                        item.connection,
                        header,
                        REGISTRATION_REPLY,
                        struct.pack(">HB", header.serial, REGISTRATION_NO_TERMINAL),
                    )
                    continue
                self._codes[header.phone] = code
                self._send(
                    item.connection,
                    header,
                    REGISTRATION_REPLY,
                    struct.pack(">HB", header.serial, RESULT_OK) + code.encode("gbk", errors="replace"),
                )
        finally:
            _release(taken)

    async def _look_up(self, taken: list[_Asking]) -> None:
        """Read the codes of terminals authenticating with no code known here (in one query), then check each."""
        try:
            try:
                codes = await self._in_store_thread(
                    self.keeper.auth_codes, sorted({item.header.phone for item in taken})
                )
            except Exception:
                log.exception("JT/T 808: %d authentication codes could not be read", len(taken))
                codes = {}
            self._codes.update(codes)
            for item in taken:
                phone = item.header.phone
                self._check_code(item.connection, item.header, item.body, self._codes.get(phone))
        finally:
            _release(taken)

    def _check_code(
        self, connection: _Connection, header: Header, body: Authentication, code: str | None
    ) -> None:
        if code is not None and hmac.compare_digest(body.code.encode("utf-8"), code.encode("utf-8")):
            connection.authenticated = header.phone
            connection.auth_failures = 0
            self._reply(connection, header, RESULT_OK)
            return
        self._drop(connection, "auth_failed")
        self._reply(connection, header, RESULT_FAILURE)
        connection.auth_failures += 1
        if connection.auth_failures >= self.settings.max_auth_failures:
            self._close(connection, "auth_failures")

    # ------------------------------------------------------------------------------------- positions

    def _position(self, connection: _Connection, message: Message, now: float) -> None:
        header, body = message.header, message.body
        if connection.authenticated != header.phone:
            # not stored: a terminal must authenticate on its connection first (§8.8); "failure" makes it
            # send the report again once it has
            self._reply(connection, header, RESULT_FAILURE)
            self._bad_frame(connection, "unauthenticated")
            return
        received_at = dt.datetime.now(dt.UTC)
        locations: list[Location]
        if isinstance(body, Location):
            locations, supplement = [body], False
        elif isinstance(body, BatchUpload):
            locations, supplement = body.locations, body.batch_type == 1
        else:
            self._reply(connection, header, RESULT_WRONG)
            self._bad_frame(connection, "body")
            return
        if not locations:
            self._reply(connection, header, RESULT_OK)
            return
        if self._pending_reports + len(locations) > self.settings.max_pending_reports:
            self._reply(connection, header, RESULT_FAILURE)
            self._drop(connection, "busy", len(locations))
            return
        reports = [
            PositionReport(
                phone=header.phone,
                msg_id=header.msg_id,
                serial=header.serial,
                received_at=received_at,
                location=location,
                raw=message.raw,
                supplement=supplement,
            )
            for location in locations
        ]
        self._pending.append(_Pending(connection, header, reports, now))
        self._pending_reports += len(reports)
        self._wake.set()
        if self._pending_reports >= self.settings.batch_reports:
            self._full.set()

    async def _write_loop(self) -> None:
        flush_seconds = self.settings.flush_ms / 1000
        while True:
            await self._wake.wait()
            if not self._full.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), flush_seconds)
            await self._flush(drain=False)

    async def flush(self) -> None:
        """Store everything waiting now and answer each message (the writer task does this as things come in;
        `stop` calls it to store what is left)."""
        await self._flush(drain=True)

    async def _flush(self, *, drain: bool) -> None:
        """Rounds of at most `batch_reports` positions, then at most `batch_registrations` codes to read and as
        many registrations, while handshakes wait: so thousands of terminals registering at once never hold
        positions back by more than one batch of registrations. Positions that came in during a round are taken
        by the next round once the first of them has waited `flush_ms` (or a batch is full, or `drain`); else
        they wait for the writer's next flush, so a quiet round does not cost a transaction of its own."""
        limit = self.settings.batch_registrations
        flush_seconds = self.settings.flush_ms / 1000
        loop = asyncio.get_running_loop()
        async with self._flush_lock:
            first = True
            while True:
                positions = bool(self._pending) and (
                    first
                    or drain
                    or self._pending_reports >= self.settings.batch_reports
                    or loop.time() - self._pending[0].received >= flush_seconds
                )
                if not (positions or self._lookups or self._registrations):
                    break
                first = False
                if positions:
                    cut = self._cut(self.settings.batch_reports)
                    taken, self._pending = self._pending[:cut], self._pending[cut:]
                    count = sum(len(item.reports) for item in taken)
                    self._pending_reports -= count
                    await self._store(taken, count)
                if self._lookups:
                    asked, self._lookups = self._lookups[:limit], self._lookups[limit:]
                    await self._look_up(asked)
                if self._registrations:
                    asked, self._registrations = self._registrations[:limit], self._registrations[limit:]
                    await self._register_batch(asked)
            # No await since the loop's test: no handshake waits, and fewer than a batch of positions (they
            # keep the writer awake for the next timer).
            if not self._pending:
                self._wake.clear()
            self._full.clear()

    def _cut(self, limit: int) -> int:
        count = 0
        for position, item in enumerate(self._pending):
            count += len(item.reports)
            if count >= limit:
                return position + 1
        return len(self._pending)

    async def _store(self, taken: list[_Pending], count: int) -> None:
        reports = [report for item in taken for report in item.reports]
        try:
            await self._in_store_thread(self.keeper.keep, reports)
            stored = True
        except Exception:
            log.exception(
                "JT/T 808: %d positions could not be stored; the terminals are told to resend", count
            )
            stored = False
        loop_now = asyncio.get_running_loop().time()
        latencies = self.stats.store_latencies
        for item in taken:
            size = len(item.reports)
            if stored:
                self.stats.stored += size
                item.connection.counts.stored += size
                latencies.append(loop_now - item.received)
                self._reply(item.connection, item.header, RESULT_OK)
            else:
                self._drop(item.connection, "store_failed", size)
                self._reply(item.connection, item.header, RESULT_FAILURE)

    # ------------------------------------------------------------------------------------------ sweep

    async def _sweep_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, self.settings.idle_seconds / 4))
            self.sweep(loop.time())

    def sweep(self, now: float) -> None:
        """Close idle connections and drop sub-packaged messages not completed in time."""
        for connection in list(self._connections):
            if now - connection.last_seen > self.settings.idle_seconds:
                self._close(connection, "idle")
            for key, parts in list(connection.parts.items()):
                if now - parts.started > self.settings.subpackage_timeout_seconds:
                    del connection.parts[key]
                    self._drop(connection, "subpackage_incomplete")


def _release(taken: list[_Asking]) -> None:
    """Let the connections of these handshakes read on (each was answered, or will not be)."""
    for item in taken:
        if not item.done.done():
            item.done.set_result(None)
