"""`SnmpClient`: GET, GETNEXT, GETBULK, SET and walks for v1, v2c and v3, over one shared
socket (see `transport.py`).

Each agent gets a semaphore (`max_per_agent`, default 8): a small device that answers one
request at a time is not flooded by a poller running hundreds of checks. SNMPv3 state — the
agent's engine ID and clock (RFC 3414 §4) — is learnt on first use and kept per agent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections import deque
from collections.abc import Sequence
from functools import lru_cache, partial

from .errors import SnmpClosedError, SnmpDecodeError, SnmpEncodeError, SnmpResponseError
from .message import FLAG_AUTH, Version, encode_request
from .pdu import Pdu, PduType, encode_null_varbinds, encode_varbinds
from .session import V3Request, discovery_request, make_request, seal_request
from .target import Target
from .transport import Address, ClientStats, Dispatcher, Pending
from .v3 import NOT_IN_TIME_WINDOWS, UNKNOWN_ENGINE_IDS, EngineClock, report_error
from .values import Oid, Value, VarBind, parse_oid


class _Agent:
    """Per-agent state: the concurrency gate and, for v3, the engine clock.

    The gate is a counting semaphore whose uncontended path is two attribute updates and
    no coroutine (asyncio.Semaphore costs two coroutines and a generator per request);
    waiters queue in FIFO order and a released slot is handed straight to the first."""

    __slots__ = ("clock", "discovery", "free", "waiters")

    def __init__(self, limit: int) -> None:
        self.free = limit
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.discovery = asyncio.Lock()
        self.clock: EngineClock | None = None

    async def wait(self) -> None:
        """Wait for a slot that `release` hands over."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot while being cancelled: pass it on
            elif future in self.waiters:  # a release may have dropped it already
                self.waiters.remove(future)
            raise

    def release(self) -> None:
        while self.waiters:
            future = self.waiters.popleft()
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


@lru_cache(maxsize=4096)
def _literal(host: str) -> str | None:
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _oid(oid: str | Oid) -> Oid:
    return parse_oid(oid)


@lru_cache(maxsize=4096)
def _read_request(oids: tuple[str | Oid, ...]) -> tuple[tuple[Oid, ...], bytes]:
    """The names of a GET/GETNEXT/GETBULK and their encoded varbind list: a poller asks for
    the same OIDs on every poll, so both are worked out once."""
    names = tuple(_oid(o) for o in oids)
    return names, encode_null_varbinds(names)


def _names(oids: Sequence[str | Oid]) -> tuple[tuple[Oid, ...], bytes]:
    return _read_request(oids if type(oids) is tuple else tuple(oids))


class SnmpClient:
    """An asyncio SNMP manager: `async with SnmpClient() as client: await client.get(...)`.

    Requests may run concurrently from many tasks; at most `max_per_agent` are on the wire
    to one agent at a time, the rest wait their turn.
    """

    def __init__(self, *, max_per_agent: int = 8, recv_buffer: int = 4 << 20) -> None:
        if max_per_agent < 1:
            raise SnmpEncodeError("max_per_agent must be at least 1")
        self._limit = max_per_agent
        self._dispatcher = Dispatcher(recv_buffer)
        self._agents: dict[Address, _Agent] = {}

    @property
    def stats(self) -> ClientStats:
        return self._dispatcher.stats

    async def __aenter__(self) -> SnmpClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        self._dispatcher.socket_for(socket.AF_INET)

    async def close(self) -> None:
        await self._dispatcher.close()

    async def get(self, target: Target, oids: Sequence[str | Oid]) -> list[VarBind]:
        names, varbinds = _names(oids)
        return _checked(await self.request(target, PduType.GET, varbinds), names)

    async def get_next(self, target: Target, oids: Sequence[str | Oid]) -> list[VarBind]:
        names, varbinds = _names(oids)
        return _checked(await self.request(target, PduType.GET_NEXT, varbinds), names)

    async def get_bulk(
        self,
        target: Target,
        oids: Sequence[str | Oid],
        *,
        non_repeaters: int = 0,
        max_repetitions: int = 10,
    ) -> list[VarBind]:
        """GETBULK (RFC 3416 §4.2.3), SNMPv2c and v3 only."""
        if target.version is Version.V1:
            raise SnmpEncodeError("GETBULK needs SNMPv2c or v3; use get_next with SNMPv1")
        names, varbinds = _names(oids)
        pdu = await self.request(target, PduType.GET_BULK, varbinds, non_repeaters, max_repetitions)
        return _checked(pdu, names, bulk=True)

    async def set(
        self, target: Target, varbinds: Sequence[tuple[str | Oid, Value]]
    ) -> list[VarBind]:
        items = [(_oid(oid), value) for oid, value in varbinds]
        pdu = await self.request(target, PduType.SET, encode_varbinds(items))
        return _checked(pdu, tuple(oid for oid, _ in items))

    async def walk(
        self,
        target: Target,
        root: str | Oid,
        *,
        bulk: bool = True,
        max_repetitions: int = 25,
        max_rows: int = 100_000,
    ) -> list[VarBind]:
        """Every varbind under `root`, in order (see `walk.walk`)."""
        from .walk import walk

        return await walk(
            self, target, _oid(root), bulk=bulk, max_repetitions=max_repetitions, max_rows=max_rows
        )

    async def request(
        self, target: Target, kind: PduType, varbinds: bytes, field1: int = 0, field2: int = 0
    ) -> Pdu:
        """Send one PDU (its varbind list already encoded) and return the Response PDU;
        `field1`/`field2` are error-status/index, or non-repeaters/max-repetitions."""
        dispatcher = self._dispatcher
        if dispatcher.closed:
            raise SnmpClosedError("the SNMP client is closed")
        literal = _literal(target.host)
        addr = (literal, target.port) if literal is not None else await self._resolve(target)
        agent = self._agents.get(addr)
        if agent is None:
            agent = self._agents[addr] = _Agent(self._limit)
        if agent.free and not agent.waiters:
            agent.free -= 1
        else:
            await agent.wait()
        try:
            version = target.version
            if version is Version.V3:
                return await self._v3(target, addr, agent, kind, varbinds, field1, field2)
            rid = dispatcher.new_id()
            community = target.community_bytes
            data = encode_request(version, community, kind, rid, field1, field2, varbinds)
            pending = Pending(addr, version, community, None)
            _, pdu = await dispatcher.exchange(pending, target.timeout, target.retries, (rid, data))
            return pdu
        finally:
            agent.release()

    async def _v3(
        self, target: Target, addr: Address, agent: _Agent, kind: PduType, varbinds: bytes,
        field1: int, field2: int,
    ) -> Pdu:  # fmt: skip
        user = target.user
        assert user is not None  # Target checks this
        last: Oid | None = None
        for _ in range(3):  # rediscover the engine, resync the clock, then give up
            clock = agent.clock or await self._discover(target, addr, agent)
            rid = self._dispatcher.new_id()
            req = make_request(
                user, clock, rid, target.context_name, kind, varbinds, field1, field2
            )
            msg, pdu = await self._dispatcher.exchange(
                Pending(addr, Version.V3, b"", req),
                target.timeout,
                target.retries,
                partial(_sealed, req),
            )
            if pdu.type is PduType.RESPONSE:
                return pdu
            last = pdu.varbinds[0][0] if pdu.varbinds else None
            if last == UNKNOWN_ENGINE_IDS:
                agent.clock = None  # the agent was replaced or re-keyed: learn it again
            elif last == NOT_IN_TIME_WINDOWS and msg is not None and msg.flags & FLAG_AUTH:
                # An authentic report carries the agent's boots and time (RFC 3414 §4).
                clock.reset(msg.boots, msg.time, time.monotonic())
            else:
                raise report_error(last)
            self.stats.resyncs += 1
        raise report_error(last)

    async def _discover(self, target: Target, addr: Address, agent: _Agent) -> EngineClock:
        """RFC 3414 §4 discovery, once per agent even when many requests need it at once."""
        async with agent.discovery:
            if agent.clock is not None:
                return agent.clock
            msg, _ = await self._dispatcher.exchange(
                Pending(addr, Version.V3, b"", None),
                target.timeout,
                target.retries,
                lambda mid: (mid, discovery_request(mid)),
            )
            assert msg is not None
            agent.clock = EngineClock(msg.engine_id, msg.boots, msg.time, time.monotonic())
            self.stats.resyncs += 1
            return agent.clock

    async def _resolve(self, target: Target) -> Address:
        """The address of a target named by host name (literals never get here)."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
        host = _literal(str(infos[0][4][0]))
        assert host is not None  # getaddrinfo returns numeric addresses
        return host, target.port


def _sealed(req: V3Request, msg_id: int) -> tuple[int, bytes]:
    return msg_id, seal_request(req, msg_id, time.monotonic())


def _checked(pdu: Pdu, names: tuple[Oid, ...], *, bulk: bool = False) -> list[VarBind]:
    if pdu.error_status:
        index = pdu.error_index
        oid = names[index - 1] if 0 < index <= len(names) else None
        raise SnmpResponseError(pdu.error_status, index, oid)
    if not bulk and len(pdu.varbinds) != len(names):
        raise SnmpDecodeError(f"asked for {len(names)} varbinds, got {len(pdu.varbinds)}")
    return pdu.varbinds
