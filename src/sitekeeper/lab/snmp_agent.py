"""A simulated device's SNMP agent: SNMPv1 and SNMPv2c over UDP, read-only, on the project's
own codec (sitekeeper.protocols.snmp), answering from the device's MIB view (lab.mibs).

    GET       the value; v2c noSuchObject / noSuchInstance; v1 noSuchName (RFC 3416, 1157)
    GETNEXT   the next instance in lexicographic order; v2c endOfMibView; v1 noSuchName
    GETBULK   v2c only: non-repeaters, then max-repetitions rows, trimmed to fit a datagram
    SET       refused: v2c noAccess, v1 noSuchName (the lab's community is read-only)

SNMPv1 cannot carry Counter64, so a v1 manager does not see the 64-bit counters: GET says
noSuchName and GETNEXT steps over them (RFC 3584 §4.2.2.1). A wrong community, an SNMPv3
message, a PDU an agent does not answer, or bytes that are not SNMP at all get no reply -
the manager times out, as it would against a real agent - and nothing a client sends can
stop the agent. The lab's community is `LAB_COMMUNITY`, the lab's own (the product ships
no default community). Faults reach the agent like every other service: a down device's
socket is closed, a degraded one waits its latency before each reply and drops its share.
"""

from __future__ import annotations

import hmac
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from sitekeeper.lab.mib_core import View
from sitekeeper.lab.udp import Address, LaggyUdp
from sitekeeper.protocols.snmp.errors import SnmpError
from sitekeeper.protocols.snmp.message import CommunityMessage, Version, decode_message
from sitekeeper.protocols.snmp.message import encode_community as _encode_community
from sitekeeper.protocols.snmp.pdu import Pdu, PduType, encode_pdu
from sitekeeper.protocols.snmp.values import (
    Counter64,
    NoValue,
    Oid,
    TimeTicks,
    Value,
    VarBind,
)

log = logging.getLogger(__name__)

LAB_COMMUNITY = b"lab-public"
MAX_RESPONSE_OCTETS = 8192  # a local limit on one reply (RFC 3416 §4.2.1 lets us set one)
MAX_BULK_VARBINDS = 256  # however many repetitions a GETBULK asks for
SYS_UPTIME_0 = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID_0 = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)

# error-status values (RFC 3416 §3)
NO_ERROR, TOO_BIG, NO_SUCH_NAME, NO_ACCESS = 0, 1, 2, 6


def answer(data: bytes, view: Callable[[], View], community: bytes = LAB_COMMUNITY) -> bytes | None:
    """The reply datagram to one request, or None when an agent would stay silent.
    `view` is called only for a well-formed request with the right community."""
    try:
        msg = decode_message(data)
    except SnmpError:
        return None
    if not isinstance(msg, CommunityMessage) or not isinstance(msg.pdu, Pdu):
        return None  # SNMPv3 (no users here), or a v1 trap sent to the agent
    if not hmac.compare_digest(msg.community, community):
        return None
    pdu, v1 = msg.pdu, msg.version == Version.V1
    if pdu.type == PduType.GET:
        reply = _get(pdu, view(), v1)
    elif pdu.type == PduType.GET_NEXT:
        reply = _get_next(pdu, view(), v1)
    elif pdu.type == PduType.GET_BULK and not v1:
        reply = _get_bulk(pdu, view())
    elif pdu.type == PduType.SET:
        reply = _error(pdu, NO_SUCH_NAME if v1 else NO_ACCESS, 1 if pdu.varbinds else 0)
    else:
        return None  # a response, trap, inform or report is not a request to an agent
    out = _encode(msg.version, community, reply)
    if len(out) > MAX_RESPONSE_OCTETS:
        out = _encode(msg.version, community, Pdu(PduType.RESPONSE, pdu.request_id, TOO_BIG, 0))
    return out


def _encode(version: Version, community: bytes, pdu: Pdu) -> bytes:
    return _encode_community(version, community, encode_pdu(pdu))


def _error(pdu: Pdu, status: int, index: int) -> Pdu:
    """An error reply carries the request's varbinds unchanged (RFC 3416 §4.2.1, 1157)."""
    return Pdu(PduType.RESPONSE, pdu.request_id, status, index, list(pdu.varbinds))


def _visible(value: Value, v1: bool) -> bool:
    return not (v1 and isinstance(value, Counter64))


def _get(pdu: Pdu, view: View, v1: bool) -> Pdu:
    out: list[VarBind] = []
    for i, (oid, _) in enumerate(pdu.varbinds, 1):
        value = view.get(oid)
        if v1 and (isinstance(value, NoValue) or not _visible(value, v1)):
            return _error(pdu, NO_SUCH_NAME, i)
        out.append((oid, value))
    return Pdu(PduType.RESPONSE, pdu.request_id, NO_ERROR, 0, out)


def _next(view: View, oid: Oid, v1: bool) -> VarBind | None:
    """The next instance a manager of this version may see (bounded by the view's size)."""
    found = view.next(oid)
    while found is not None and not _visible(found[1], v1):
        found = view.next(found[0])
    return found


def _get_next(pdu: Pdu, view: View, v1: bool) -> Pdu:
    out: list[VarBind] = []
    for i, (oid, _) in enumerate(pdu.varbinds, 1):
        found = _next(view, oid, v1)
        if found is None:
            if v1:
                return _error(pdu, NO_SUCH_NAME, i)
            found = (oid, NoValue.END_OF_MIB_VIEW)
        out.append(found)
    return Pdu(PduType.RESPONSE, pdu.request_id, NO_ERROR, 0, out)


def _get_bulk(pdu: Pdu, view: View) -> Pdu:
    """RFC 3416 §4.2.3: the first N varbinds as GETNEXT, then up to M rows of the rest;
    stop early once every repeater ran off the end, and trim the tail to fit a reply."""
    names = [oid for oid, _ in pdu.varbinds]
    n = min(max(pdu.non_repeaters, 0), len(names))
    out: list[VarBind] = [
        _next(view, oid, False) or (oid, NoValue.END_OF_MIB_VIEW) for oid in names[:n]
    ]
    cursor = names[n:]
    if cursor:
        rows = min(max(pdu.max_repetitions, 0), max(MAX_BULK_VARBINDS - n, 0) // len(cursor))
        for _ in range(rows):
            ended = True
            for i, oid in enumerate(cursor):
                found = _next(view, oid, False)
                if found is None:
                    out.append((oid, NoValue.END_OF_MIB_VIEW))
                else:
                    ended = False
                    out.append(found)
                    cursor[i] = found[0]
            if ended:
                break
    reply = Pdu(PduType.RESPONSE, pdu.request_id, NO_ERROR, 0, out)
    while len(out) > 1 and len(encode_pdu(reply)) > MAX_RESPONSE_OCTETS - 64 - 255:
        del out[max(len(out) * 3 // 4, 1) :]  # keep three quarters until it fits
    return reply


@dataclass(slots=True)
class AgentStats:
    answered: int = 0
    ignored: int = 0  # malformed, wrong community, not a request
    lost: int = 0  # dropped by a degraded device
    traps: int = 0


class SnmpAgent(LaggyUdp):
    """One device's UDP socket. `view`, `latency` and `drops` are read per request, so a
    condition or fault set while the socket is open shows in the next answer."""

    def __init__(
        self,
        view: Callable[[], View],
        latency: Callable[[], float],
        drops: Callable[[], bool],
        community: bytes = LAB_COMMUNITY,
    ) -> None:
        super().__init__(latency, drops)
        self._view = view
        self._community = community
        self.stats = AgentStats()

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self._drops():
            self.stats.lost += 1
            return
        try:
            reply = answer(data, self._view, self._community)
        except Exception:  # a device shrugs off what it cannot answer; it never stops
            log.debug("lab snmp: no answer to a request from %s", addr, exc_info=True)
            reply = None
        if reply is None:
            self.stats.ignored += 1
            return
        self.stats.answered += 1
        self.reply(reply, addr)

    def send_trap(
        self, to: Address, uptime: TimeTicks, trap_oid: Oid, varbinds: list[VarBind]
    ) -> None:
        """An SNMPv2c trap (RFC 3416 §4.2.6) from the device's own address and port."""
        head: list[VarBind] = [(SYS_UPTIME_0, uptime), (SNMP_TRAP_OID_0, trap_oid)]
        pdu = Pdu(PduType.TRAP_V2, random.randrange(1, 1 << 31), 0, 0, head + varbinds)
        self.stats.traps += 1
        self._send(_encode(Version.V2C, self._community, pdu), to, None)
