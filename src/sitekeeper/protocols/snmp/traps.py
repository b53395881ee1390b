"""`TrapReceiver`: SNMP notifications on a UDP port — v1 traps, v2c traps and informs, and
v3 traps and informs from known users — handed to a callback as `Notification`s.

The default port is 1162 so the collector runs unprivileged; devices send to 162, so either
point them at 1162, run the receiver on 162 with CAP_NET_BIND_SERVICE, or redirect 162 to
1162 in the firewall (docs/snmp.md). Informs are answered with a Response (RFC 3416 §4.2.7)
before the callback runs, and a retransmitted inform is answered again but delivered once.

SNMPv3 roles differ by PDU (RFC 3414 §1.5.1): for a trap the *sender* is authoritative, so
we localize keys to the engine ID in the message and track that engine's clock; for an
inform *we* are authoritative (`AuthoritativeEngine`), and senders discover our engine ID.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from .authoritative import AuthoritativeEngine
from .errors import SnmpAuthError, SnmpDecodeError
from .message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    CommunityMessage,
    V3Message,
    Version,
    decode_message,
    encode_community,
)
from .pdu import Pdu, PduType, TrapV1Pdu, encode_pdu
from .usm import UsmUser, localized_keys
from .v3 import EngineClock, open_scoped, verify
from .values import Oid, VarBind

log = logging.getLogger(__name__)

DEFAULT_PORT = 1162
SYS_UPTIME_0 = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID_0 = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAP_ENTERPRISE_0 = (1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0)
SNMP_TRAPS = (1, 3, 6, 1, 6, 3, 1, 1, 5)  # coldStart.1 ... egpNeighborLoss.6
_MAX_REMEMBERED = 1024  # sender engine clocks and recent informs we keep


@dataclass(frozen=True, slots=True)
class Notification:
    """One trap or inform. `uptime` is the sender's sysUpTime in hundredths of a second;
    `varbinds` excludes sysUpTime.0 and snmpTrapOID.0. SNMPv1 traps are translated as
    RFC 3584 §3.1 says: generic traps become snmpTraps.(generic+1), enterprise-specific
    ones enterprise.0.specific, and snmpTrapEnterprise.0 is appended."""

    trap_oid: Oid
    varbinds: tuple[VarBind, ...]
    uptime: int
    version: Version
    inform: bool = False
    user: str | None = None  # the v3 user it came from
    agent_address: IPv4Address | None = None  # the v1 agent-addr field


Source = tuple[str, int]
Callback = Callable[[Source, Notification], None]


@dataclass(slots=True)
class ReceiverStats:
    received: int = 0
    delivered: int = 0
    informs_answered: int = 0
    reports_sent: int = 0
    duplicates: int = 0
    dropped: int = 0  # wrong community, unknown user, wrong digest, stale, not a notification
    malformed: int = 0
    callback_errors: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: TrapReceiver) -> None:
        self.owner = owner
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.owner._on_datagram(data, (addr[0], addr[1]))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


@dataclass
class TrapReceiver:
    """`async with TrapReceiver(callback, port=1162) as receiver:`; `communities=None`
    accepts any community (say which to accept in production)."""

    callback: Callback
    host: str = "0.0.0.0"  # noqa: S104 - a trap receiver listens for devices on the LAN
    port: int = DEFAULT_PORT
    communities: Iterable[str | bytes] | None = None
    users: Iterable[UsmUser] = ()
    engine_id: bytes | None = None
    engine_boots: int = 1
    stats: ReceiverStats = field(default_factory=ReceiverStats)

    def __post_init__(self) -> None:
        self._communities = (
            None
            if self.communities is None
            else {c.encode() if isinstance(c, str) else c for c in self.communities}
        )
        self._users = {user.name.encode(): user for user in self.users}
        self.engine = AuthoritativeEngine(
            self._users.values(), engine_id=self.engine_id, boots=self.engine_boots
        )
        self._clocks: OrderedDict[bytes, EngineClock] = OrderedDict()
        self._recent: OrderedDict[tuple[Source, int, int], None] = OrderedDict()
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Protocol | None = None

    @property
    def address(self) -> Source:
        """Where it listens (the real port when started with port 0)."""
        assert self._transport is not None, "start() the receiver first"
        sockname = self._transport.get_extra_info("sockname")
        return sockname[0], sockname[1]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, self._protocol = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.host, self.port)
        )

    async def close(self) -> None:
        if self._transport is not None and self._protocol is not None:
            self._transport.close()
            await self._protocol.closed
            self._transport = None

    async def __aenter__(self) -> TrapReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- receiving ------------------------------------------------------------------------

    def _on_datagram(self, data: bytes, source: Source) -> None:
        self.stats.received += 1
        try:
            msg = decode_message(data)
            if isinstance(msg, CommunityMessage):
                self._on_community(msg, source)
            elif msg.flags & FLAG_REPORTABLE:
                self._on_v3_inform(msg, source)
            else:
                self._on_v3_trap(msg, source)
        except SnmpDecodeError:
            self.stats.malformed += 1

    def _on_community(self, msg: CommunityMessage, source: Source) -> None:
        if self._communities is not None and msg.community not in self._communities:
            self.stats.dropped += 1
            return
        pdu = msg.pdu
        if isinstance(pdu, TrapV1Pdu) and msg.version is Version.V1:
            self._deliver(source, _from_v1(pdu))
            return
        if not isinstance(pdu, Pdu) or msg.version is not Version.V2C:
            self.stats.dropped += 1
            return
        if pdu.type is PduType.INFORM:
            answer = Pdu(PduType.RESPONSE, pdu.request_id, 0, 0, pdu.varbinds)
            self._send(encode_community(msg.version, msg.community, encode_pdu(answer)), source)
            self.stats.informs_answered += 1
            if self._seen(source, 2, pdu.request_id):
                return
        elif pdu.type is not PduType.TRAP_V2:
            self.stats.dropped += 1
            return
        self._deliver(source, _from_v2(pdu, Version.V2C, None))

    def _on_v3_inform(self, msg: V3Message, source: Source) -> None:
        incoming, report = self.engine.receive(msg)
        if report is not None:
            self._send(report, source)
            self.stats.reports_sent += 1
        pdu = incoming.pdu if incoming is not None else None
        if incoming is None or not isinstance(pdu, Pdu) or pdu.type is not PduType.INFORM:
            self.stats.dropped += report is None
            return
        answer = Pdu(PduType.RESPONSE, pdu.request_id, 0, 0, pdu.varbinds)
        self._send(self.engine.reply(incoming, answer), source)
        self.stats.informs_answered += 1
        if not self._seen(source, 3, pdu.request_id):
            self._deliver(source, _from_v2(pdu, Version.V3, incoming.user.name))

    def _on_v3_trap(self, msg: V3Message, source: Source) -> None:
        user = self._users.get(msg.user)
        level = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        if user is None or level != user.flags or (level and not msg.engine_id):
            self.stats.dropped += 1
            return
        keys = localized_keys(user, msg.engine_id) if level else None
        if keys is not None:
            try:
                verify(msg, user, keys)
            except SnmpAuthError:
                self.stats.dropped += 1
                return
            if not self._in_window(msg):
                self.stats.dropped += 1
                return
        try:
            pdu = open_scoped(msg, user, keys).pdu
        except SnmpAuthError:
            self.stats.dropped += 1
            return
        if not isinstance(pdu, Pdu) or pdu.type is not PduType.TRAP_V2:
            self.stats.dropped += 1
            return
        self._deliver(source, _from_v2(pdu, Version.V3, user.name))

    def _in_window(self, msg: V3Message) -> bool:
        """RFC 3414 §3.2 step 7b against the sender's clock; the first authentic message
        from an engine sets it (there is no discovery for traps)."""
        now = time.monotonic()  # the clock the client's EngineClocks use too
        clock = self._clocks.get(msg.engine_id)
        if clock is None:
            self._clocks[msg.engine_id] = EngineClock(msg.engine_id, msg.boots, msg.time, now)
            if len(self._clocks) > _MAX_REMEMBERED:
                self._clocks.popitem(last=False)
            return True
        return clock.observe(msg.boots, msg.time, now)

    def _seen(self, source: Source, version: int, request_id: int) -> bool:
        """Whether this inform was already delivered (the sender retransmitted it because
        our Response was lost)."""
        key = (source, version, request_id)
        if key in self._recent:
            self.stats.duplicates += 1
            return True
        self._recent[key] = None
        if len(self._recent) > _MAX_REMEMBERED:
            self._recent.popitem(last=False)
        return False

    def _deliver(self, source: Source, notification: Notification | None) -> None:
        if notification is None:
            self.stats.dropped += 1
            return
        self.stats.delivered += 1
        try:
            self.callback(source, notification)
        except Exception:
            self.stats.callback_errors += 1
            log.exception("the SNMP notification callback failed")

    def _send(self, data: bytes, source: Source) -> None:
        if self._transport is not None:
            self._transport.sendto(data, source)


def _from_v1(pdu: TrapV1Pdu) -> Notification:
    if pdu.generic_trap == 6:
        trap_oid = (*pdu.enterprise, 0, pdu.specific_trap)
    elif 0 <= pdu.generic_trap < 6:
        trap_oid = (*SNMP_TRAPS, pdu.generic_trap + 1)
    else:
        raise SnmpDecodeError(f"generic-trap {pdu.generic_trap} is outside 0..6")
    varbinds = (*pdu.varbinds, (SNMP_TRAP_ENTERPRISE_0, pdu.enterprise))
    return Notification(
        trap_oid, varbinds, pdu.timestamp, Version.V1, agent_address=pdu.agent_address
    )


def _from_v2(pdu: Pdu, version: Version, user: str | None) -> Notification | None:
    """RFC 3416 §4.2.6: the first two varbinds are sysUpTime.0 and snmpTrapOID.0."""
    vbs = pdu.varbinds
    if len(vbs) < 2 or vbs[0][0] != SYS_UPTIME_0 or vbs[1][0] != SNMP_TRAP_OID_0:
        return None
    uptime, trap_oid = vbs[0][1], vbs[1][1]
    if not isinstance(uptime, int) or not isinstance(trap_oid, tuple):
        return None
    inform = pdu.type is PduType.INFORM
    return Notification(trap_oid, tuple(vbs[2:]), int(uptime), version, inform, user)
