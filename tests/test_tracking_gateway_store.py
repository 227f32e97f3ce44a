"""The JT/T 808 gateway on the real store (SQLite and PostgreSQL): registrations stored in batches, codes that
authenticate after the gateway restarts (read back from the store in batches), and nothing answered before it is
in the store — a 0x8100 after its code is committed, a 0x8001 after its position is."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select, text

from leaseguard.store.models import UnboundReport
from leaseguard.tracking.gateway import Gateway, GatewaySettings
from leaseguard.tracking.jt808 import PLATFORM_REPLY, REGISTRATION_REPLY, RESULT_OK
from leaseguard.tracking.ports import PositionReport, Registering
from leaseguard.tracking.simulate import raise_open_files_limit
from leaseguard.tracking.storage import StoreTerminalKeeper
from leaseguard.tracking.terminal import Terminal
from test_tracking_gateway import FIX, GUARD_SECONDS, Client

TERMINALS = 500


class _CountingKeeper(StoreTerminalKeeper):
    """The store's keeper, counting its calls; `gate` (when given) holds every call until it is set."""

    def __init__(self, engine: Engine, gate: threading.Event | None = None) -> None:
        super().__init__(engine)
        self.gate = gate
        self.entered = threading.Event()
        self.registration_batches: list[int] = []
        self.lookup_batches: list[int] = []
        self.keep_batches: list[int] = []

    def _wait(self) -> None:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(GUARD_SECONDS * 3)

    def register_many(self, registrations: Sequence[Registering]) -> list[str | None]:
        self.registration_batches.append(len(registrations))
        self._wait()
        return super().register_many(registrations)

    def auth_codes(self, phones: Sequence[str]) -> dict[str, str]:
        self.lookup_batches.append(len(phones))
        self._wait()
        return super().auth_codes(phones)

    def keep(self, reports: Sequence[PositionReport]) -> None:
        self.keep_batches.append(len(reports))
        self._wait()
        super().keep(reports)


def _settings(**changes: Any) -> GatewaySettings:
    return dataclasses.replace(GatewaySettings.shipped(), **changes)


def _phone(index: int) -> str:
    return f"0139{index:08d}"


async def _until(condition: Any, what: str) -> None:
    for _ in range(GUARD_SECONDS * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {GUARD_SECONDS} s: {what}")


async def _nothing_comes(client: Client, seconds: float = 0.3) -> None:
    try:
        data = await asyncio.wait_for(client.reader.read(65536), seconds)
    except TimeoutError:
        return
    raise AssertionError(f"answered while the store had not committed: {data.hex()}")


def test_terminals_registering_at_once_are_stored_in_a_few_batches_and_authenticate_after_a_restart(
    store_engine: Engine,
) -> None:
    raise_open_files_limit(4 * TERMINALS + 256)

    async def body() -> None:
        gate = threading.Event()
        keeper = _CountingKeeper(store_engine, gate)
        gateway = Gateway(keeper, _settings(batch_registrations=100))
        port = await gateway.start("127.0.0.1", 0)
        terminals = [Terminal(_phone(index), 2019 if index % 2 else 2013) for index in range(TERMINALS)]
        try:
            clients = await asyncio.gather(*(Client.connect(port) for _ in terminals))
            await asyncio.gather(
                *(
                    client.send(terminal.registration())
                    for client, terminal in zip(clients, terminals, strict=True)
                )
            )
            # The store holds the first batch until every registration is in: the rest wait for it together.
            await _until(lambda: gateway.stats.frames == TERMINALS, "every registration read")
            assert sum(keeper.registration_batches) < TERMINALS
            gate.set()
            replies = await asyncio.gather(*(client.reply() for client in clients))
        finally:
            gate.set()
            await gateway.stop()
        assert all(reply.msg_id == REGISTRATION_REPLY and reply.result == RESULT_OK for reply in replies)
        codes = [reply.code or "" for reply in replies]
        assert len(set(codes)) == TERMINALS and all(len(code) == 16 for code in codes)
        # one transaction per batch of at most batch_registrations, not one per terminal
        assert sum(keeper.registration_batches) == TERMINALS
        assert max(keeper.registration_batches) <= 100 and len(keeper.registration_batches) <= 6
        for client in clients:
            await client.close()

        # A new gateway and keeper (nothing cached): each terminal authenticates on a new connection with the
        # code it was given, read back from the store in batches, and reports a position.
        keeper = _CountingKeeper(store_engine)
        gateway = Gateway(keeper, _settings(batch_registrations=100))
        port = await gateway.start("127.0.0.1", 0)
        try:
            clients = await asyncio.gather(*(Client.connect(port) for _ in terminals))
            await asyncio.gather(
                *(
                    client.send(terminal.authentication(code))
                    for client, terminal, code in zip(clients, terminals, codes, strict=True)
                )
            )
            authenticated = await asyncio.gather(*(client.reply() for client in clients))
            assert all(reply.result == RESULT_OK for reply in authenticated)
            assert sum(keeper.lookup_batches) == TERMINALS and max(keeper.lookup_batches) <= 100
            await asyncio.gather(
                *(
                    client.send(terminal.location(FIX))
                    for client, terminal in zip(clients, terminals, strict=True)
                )
            )
            stored = await asyncio.gather(*(client.reply() for client in clients))
            assert all((reply.reply_id, reply.result) == (0x0200, RESULT_OK) for reply in stored)
            # a wrong code is still refused after the restart
            stranger = await Client.connect(port)
            await stranger.send(Terminal(_phone(0), serial=9).authentication(codes[1]))
            assert (await stranger.reply()).result != RESULT_OK
        finally:
            await gateway.stop()
        with store_engine.connect() as connection:
            assert (
                connection.execute(select(func.count()).select_from(UnboundReport)).scalar_one() == TERMINALS
            )

    asyncio.run(asyncio.wait_for(body(), 120))


def test_nothing_is_answered_before_the_store_committed_it(store_engine: Engine) -> None:
    async def body() -> None:
        gate = threading.Event()
        keeper = _CountingKeeper(store_engine, gate)
        gateway = Gateway(keeper, _settings(flush_ms=10))
        port = await gateway.start("127.0.0.1", 0)
        terminal = Terminal(_phone(1))
        client = await Client.connect(port)
        try:
            # a registration: no 0x8100 while its transaction is held, and no code in the store yet
            await client.send(terminal.registration())
            await _until(keeper.entered.is_set, "the registration reaches the store")
            await _nothing_comes(client)
            with store_engine.connect() as connection:
                assert connection.execute(text("select count(*) from tracking_terminals")).scalar_one() == 0
            gate.set()
            registered = await client.reply()
            assert registered.msg_id == REGISTRATION_REPLY and registered.code
            with store_engine.connect() as connection:
                assert (
                    connection.execute(text("select auth_code from tracking_terminals")).scalar_one()
                    == registered.code
                )
            await client.send(terminal.authentication(registered.code))
            assert (await client.reply()).result == RESULT_OK

            # a position: no 0x8001 while its batch is held; once answered, it is in the store
            gate.clear()
            keeper.entered.clear()
            serial = terminal.serial
            await client.send(terminal.location(FIX))
            await _until(keeper.entered.is_set, "the position reaches the store")
            await _nothing_comes(client)
            with store_engine.connect() as connection:
                assert connection.execute(select(func.count()).select_from(UnboundReport)).scalar_one() == 0
            gate.set()
            reply = await client.reply()
            assert (reply.msg_id, reply.reply_id, reply.reply_serial, reply.result) == (
                PLATFORM_REPLY,
                0x0200,
                serial,
                RESULT_OK,
            )
            with store_engine.connect() as connection:
                assert connection.execute(select(UnboundReport.serial)).scalars().all() == [serial]

            # stopping while a registration is held: it is stored and answered before the connections close
            gate.clear()
            keeper.entered.clear()
            other = Terminal(_phone(2), 2019)
            late = await Client.connect(port)
            await late.send(other.registration())
            await _until(keeper.entered.is_set, "the second registration reaches the store")
            stopping = asyncio.ensure_future(gateway.stop())
            await asyncio.sleep(0.2)
            assert not stopping.done()
            gate.set()
            await stopping
            answered = await late.reply()
            assert answered.result == RESULT_OK and answered.code
            assert keeper.auth_code(other.phone) == answered.code
        finally:
            gate.set()
            await gateway.stop()

    asyncio.run(asyncio.wait_for(body(), 60))
