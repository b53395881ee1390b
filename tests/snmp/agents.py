"""Small scripted SNMP agents on 127.0.0.1:0, built with the engine's own codec, for what a
real snmpd will not do on demand: stay silent, answer garbage or the wrong request-id,
answer out of order, or walk in circles.

    async with ScriptedAgent(lambda request: [reply(request, [...])]) as agent:
        target = agent.target()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sitekeeper.protocols.snmp import Pdu, PduType, Target, VarBind, Version, decode_message
from sitekeeper.protocols.snmp.message import CommunityMessage, encode_community
from sitekeeper.protocols.snmp.pdu import encode_pdu

Respond = Callable[["Request"], Iterable[bytes]]


@dataclass(frozen=True)
class Request:
    """One datagram the agent received, decoded (v1/v2c only)."""

    raw: bytes
    version: Version
    community: bytes
    pdu: Pdu
    source: tuple[str, int]

    @property
    def oids(self) -> list[tuple[int, ...]]:
        return [oid for oid, _ in self.pdu.varbinds]


def reply(
    request: Request,
    varbinds: Sequence[VarBind],
    *,
    request_id: int | None = None,
    community: bytes | None = None,
    version: Version | None = None,
    error_status: int = 0,
    error_index: int = 0,
) -> bytes:
    """A Response to `request`; each keyword overrides what a correct agent would send."""
    rid = request.pdu.request_id if request_id is None else request_id
    pdu = Pdu(PduType.RESPONSE, rid, error_status, error_index, list(varbinds))
    return encode_community(
        request.version if version is None else version,
        request.community if community is None else community,
        encode_pdu(pdu),
    )


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agent: ScriptedAgent) -> None:
        self.agent = agent

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.agent.on_datagram(data, (addr[0], addr[1]))


@dataclass
class ScriptedAgent:
    respond: Respond
    requests: list[Request] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # every datagram, decodable or not
    transport: asyncio.DatagramTransport | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> ScriptedAgent:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=("127.0.0.1", 0)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.transport is not None:
            self.transport.close()

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def target(self, version: Version = Version.V2C, **kw: float) -> Target:
        return Target(
            "127.0.0.1",
            self.port,
            version=version,
            community="public",
            timeout=kw.get("timeout", 2.0),
            retries=int(kw.get("retries", 0)),
        )

    def send(self, data: bytes, to: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, to)

    def on_datagram(self, data: bytes, source: tuple[str, int]) -> None:
        self.raw.append(data)
        msg = decode_message(data)
        if isinstance(msg, CommunityMessage) and isinstance(msg.pdu, Pdu):
            request = Request(data, msg.version, msg.community, msg.pdu, source)
            self.requests.append(request)
            for answer in self.respond(request):
                self.send(answer, source)
        self._changed.set()

    async def wait_until(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        """Wait (bounded) until `condition()` holds; it is checked after every datagram."""
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait (bounded) for a condition on state that has no event of its own, such as a
    client's counters; checked every 10 ms."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the counters have no event to wait on
            await asyncio.sleep(0.01)
