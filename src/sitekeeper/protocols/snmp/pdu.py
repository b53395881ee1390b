"""SNMP PDUs (RFC 3416 §3, and the SNMPv1 Trap-PDU of RFC 1157 §4.1.6).

One `Pdu` class covers every PDU but the v1 trap: for GetBulkRequest the error-status and
error-index fields carry non-repeaters and max-repetitions (RFC 3416 §4.2.3), so they are
exposed under both names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address

from .ber import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    MAX_INT_OCTETS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    TIMETICKS,
    decode_oid,
    decode_value,
    encode_int,
    encode_oid,
    encode_value,
    expect,
    read_int,
    read_tlv,
    tlv,
)
from .errors import SnmpDecodeError
from .values import Counter32, Counter64, Gauge32, Oid, TimeTicks, Value, VarBind

# Decoded varbind names by their encoding: a poller reads the same OIDs on every poll, and a
# dict lookup costs a fraction of decoding. Only valid encodings are stored (decode_oid
# checks them first); when full the cache starts over, which bounds it at no extra cost.
OID_CACHE_SIZE = 8192
_OIDS: dict[bytes, Oid] = {}
# Likewise whole varbinds, but only of the types whose value usually stays put from one poll
# to the next (descriptions, names, statuses, speeds): counters and TimeTicks move, and
# would only churn the cache. Values are immutable, so sharing them is safe.
VARBIND_CACHE_SIZE = 16384
_VARBINDS: dict[bytes, VarBind] = {}
_CHANGING = frozenset((COUNTER32, COUNTER64, TIMETICKS))
_UNSIGNED32: dict[int, type[int]] = {COUNTER32: Counter32, GAUGE32: Gauge32, TIMETICKS: TimeTicks}


class PduType(enum.IntEnum):
    GET = 0xA0
    GET_NEXT = 0xA1
    RESPONSE = 0xA2
    SET = 0xA3
    TRAP_V1 = 0xA4
    GET_BULK = 0xA5
    INFORM = 0xA6
    TRAP_V2 = 0xA7
    REPORT = 0xA8


_TYPES = {member.value: member for member in PduType}


@dataclass(slots=True)
class Pdu:
    type: PduType
    request_id: int
    error_status: int = 0
    error_index: int = 0
    varbinds: list[VarBind] = field(default_factory=list)

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index


@dataclass(slots=True)
class TrapV1Pdu:
    """An SNMPv1 trap (RFC 1157 §4.1.6). `generic_trap` 6 is enterpriseSpecific."""

    enterprise: Oid
    agent_address: IPv4Address
    generic_trap: int
    specific_trap: int
    timestamp: int
    varbinds: list[VarBind] = field(default_factory=list)


# --- encoding -------------------------------------------------------------------------------


def encode_varbinds(varbinds: list[VarBind]) -> bytes:
    parts = [tlv(SEQUENCE, encode_oid(oid) + encode_value(value)) for oid, value in varbinds]
    return tlv(SEQUENCE, b"".join(parts))


@lru_cache(maxsize=2048)
def encode_null_varbinds(oids: tuple[Oid, ...]) -> bytes:
    """The varbind list of a read request (every value NULL); cached because a poller asks
    for the same OIDs on every poll."""
    return tlv(SEQUENCE, b"".join(tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00") for oid in oids))


def encode_pdu(pdu: Pdu | TrapV1Pdu, varbinds: bytes | None = None) -> bytes:
    """The PDU's TLV; `varbinds` may be an already encoded list (see encode_null_varbinds)."""
    body = encode_varbinds(pdu.varbinds) if varbinds is None else varbinds
    if isinstance(pdu, TrapV1Pdu):
        head = (
            encode_oid(pdu.enterprise)
            + tlv(IP_ADDRESS, pdu.agent_address.packed)
            + encode_int(pdu.generic_trap)
            + encode_int(pdu.specific_trap)
            + encode_int(pdu.timestamp, TIMETICKS)
        )
        return tlv(PduType.TRAP_V1, head + body)
    head = encode_int(pdu.request_id) + encode_int(pdu.error_status) + encode_int(pdu.error_index)
    return tlv(pdu.type, head + body)


# --- decoding -------------------------------------------------------------------------------


def decode_varbinds(buf: bytes, pos: int, end: int) -> list[VarBind]:
    """The varbind list at `pos`, which must fill the rest of its parent up to `end`.

    This loop is the hot path of every poll (a walk decodes ~25 varbinds per answer), so
    the short-form headers of a varbind, its name and its value are read inline and the
    usual value types are built here; anything else (long-form lengths, rare types) goes
    through the general `read_tlv`/`decode_value`, which make the same checks."""
    start, stop = expect(buf, pos, end, SEQUENCE, "varbind list")
    if stop != end:
        raise SnmpDecodeError(f"{end - stop} stray octets after the varbind list")
    out: list[VarBind] = []
    append = out.append
    oids = _OIDS
    varbinds = _VARBINDS
    from_bytes = int.from_bytes
    while start < stop:
        # The varbind: SEQUENCE { name OBJECT IDENTIFIER, value }.
        if start + 2 > stop or buf[start] != SEQUENCE:
            raise SnmpDecodeError(f"varbind: expected a SEQUENCE at offset {start}")
        n = buf[start + 1]
        if n < 0x80:
            vs = start + 2
            ve = vs + n
            if ve > stop:
                raise SnmpDecodeError(f"varbind at offset {start} runs past the list")
        else:
            _, vs, ve = read_tlv(buf, start, stop)
        if vs + 2 > ve or buf[vs] != OBJECT_IDENTIFIER:
            raise SnmpDecodeError(f"varbind name: expected an OID at offset {vs}")
        n = buf[vs + 1]
        if n < 0x80:
            os_ = vs + 2
            oe = os_ + n
            if oe > ve:
                raise SnmpDecodeError(f"varbind name at offset {vs} runs past its varbind")
        else:
            _, os_, oe = read_tlv(buf, vs, ve)
        if oe + 2 > ve:
            raise SnmpDecodeError(f"varbind value: truncated header at offset {oe}")
        tag = buf[oe]
        if tag not in _CHANGING:
            whole = buf[vs:ve]
            known = varbinds.get(whole)
            if known is not None:
                append(known)
                start = ve
                continue
        else:
            whole = None
        key = buf[os_:oe]
        oid = oids.get(key)
        if oid is None:
            oid = decode_oid(buf, os_, oe)
            if len(oids) >= OID_CACHE_SIZE:
                oids.clear()
            oids[key] = oid
        # The value.
        n = buf[oe + 1]
        if n < 0x80:
            xs = oe + 2
            xe = xs + n
        else:
            tag, xs, xe = read_tlv(buf, oe, ve)
            n = xe - xs
        if xe != ve:
            raise SnmpDecodeError(f"stray octets in the varbind at offset {start}")
        value: Value
        if tag == INTEGER:
            if n == 0 or n > MAX_INT_OCTETS:
                raise SnmpDecodeError(f"an INTEGER of {n} octets at offset {xs}")
            value = from_bytes(buf[xs:xe], "big", signed=True)
        elif tag == OCTET_STRING:
            value = buf[xs:xe]
        elif tag in _UNSIGNED32:
            if n == 0 or n > 5:
                raise SnmpDecodeError(f"a 32-bit unsigned of {n} octets at offset {xs}")
            first = buf[xs]
            if first < 0x80 and (n < 5 or not first):
                # Non-negative and in range: the subclass builds itself from the octets.
                value = _UNSIGNED32[tag].from_bytes(buf[xs:xe], "big")
            else:
                number = from_bytes(buf[xs:xe], "big", signed=True)
                if number < 0:
                    number += 1 << 32  # a dropped leading zero: read modulo 2^32, as net-snmp
                if number >> 32:  # still negative, or too large
                    raise SnmpDecodeError(f"a 32-bit unsigned out of range at offset {xs}")
                value = _UNSIGNED32[tag](number)
        elif tag == COUNTER64:
            if n == 0 or n > 9:
                raise SnmpDecodeError(f"a 64-bit unsigned of {n} octets at offset {xs}")
            first = buf[xs]
            if first < 0x80 and (n < 9 or not first):
                value = Counter64.from_bytes(buf[xs:xe], "big")
            else:
                number = from_bytes(buf[xs:xe], "big", signed=True)
                if number < 0:
                    number += 1 << 64
                if number >> 64:  # still negative, or too large
                    raise SnmpDecodeError(f"a 64-bit unsigned out of range at offset {xs}")
                value = Counter64(number)
        else:
            value = decode_value(tag, buf, xs, xe)
        varbind = (oid, value)
        if whole is not None:
            if len(varbinds) >= VARBIND_CACHE_SIZE:
                varbinds.clear()
            varbinds[whole] = varbind
        append(varbind)
        start = ve
    return out


def decode_pdu(buf: bytes, pos: int, end: int) -> Pdu | TrapV1Pdu:
    """The PDU at `pos`, which must end exactly at `end`."""
    tag, start, stop = read_tlv(buf, pos, end)
    if stop != end:
        raise SnmpDecodeError(f"{end - stop} stray octets after the PDU")
    kind = _TYPES.get(tag)
    if kind is None:
        raise SnmpDecodeError(f"unknown PDU type 0x{tag:02x}")
    if kind is PduType.TRAP_V1:
        return _decode_trap_v1(buf, start, stop)
    request_id, p = read_int(buf, start, stop, "request-id")
    status, p = read_int(buf, p, stop, "error-status")
    index, p = read_int(buf, p, stop, "error-index")
    return Pdu(kind, request_id, status, index, decode_varbinds(buf, p, stop))


def _decode_trap_v1(buf: bytes, start: int, stop: int) -> TrapV1Pdu:
    s, e = expect(buf, start, stop, OBJECT_IDENTIFIER, "enterprise")
    enterprise = decode_oid(buf, s, e)
    s, e = expect(buf, e, stop, IP_ADDRESS, "agent-addr")
    if e - s != 4:
        raise SnmpDecodeError("agent-addr is not 4 octets")
    address = IPv4Address(buf[s:e])
    generic, p = read_int(buf, e, stop, "generic-trap")
    specific, p = read_int(buf, p, stop, "specific-trap")
    tag, s, e = read_tlv(buf, p, stop)
    stamp = decode_value(tag, buf, s, e)
    if not isinstance(stamp, TimeTicks):
        raise SnmpDecodeError("time-stamp is not TimeTicks")
    varbinds = decode_varbinds(buf, e, stop)
    return TrapV1Pdu(enterprise, address, generic, specific, int(stamp), varbinds)
