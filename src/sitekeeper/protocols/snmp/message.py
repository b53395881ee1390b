"""SNMP messages: the community wrapper of v1/v2c (RFC 1157 §4, RFC 1901 §3) and the v3
frame (RFC 3412 §6) with its USM security parameters (RFC 3414 §2.4).

`decode_message` is the decoder's one entry point: any bytes in, a message or
`SnmpDecodeError` out. It stops at the v3 security boundary — checking the digest and
decrypting belong to `v3.py` — but it records where the authentication parameters sit in the
datagram, because the digest is computed over the whole message with them zeroed
(RFC 3414 §6.3.2 step 2).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from .ber import (
    INTEGER,
    OCTET_STRING,
    SEQUENCE,
    encode_int,
    encode_length,
    expect,
    read_int,
    read_octets,
    read_tlv,
    tlv,
)
from .errors import SnmpDecodeError
from .pdu import Pdu, TrapV1Pdu, decode_pdu


class Version(enum.IntEnum):
    """msgVersion on the wire: 0 is SNMPv1, 1 is SNMPv2c, 3 is SNMPv3."""

    V1 = 0
    V2C = 1
    V3 = 3


# msgFlags bits (RFC 3412 §6.4).
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04
USM_MODEL = 3
MAX_MSG_SIZE = 65507  # the largest UDP payload over IPv4: what we tell agents we accept
MAX_INT31 = (1 << 31) - 1


@dataclass(slots=True)
class CommunityMessage:
    version: Version
    community: bytes
    pdu: Pdu | TrapV1Pdu


@dataclass(slots=True)
class V3Message:
    """A decoded v3 frame; `data` is the plaintext ScopedPDU TLV, or the ciphertext when
    `flags & FLAG_PRIV`. `raw` and `auth_offset` let `v3.py` check the digest."""

    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    auth_params: bytes
    priv_params: bytes
    data: bytes
    raw: bytes
    auth_offset: int


@dataclass(slots=True)
class ScopedPdu:
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu | TrapV1Pdu


def encode_community(version: Version, community: bytes, pdu_tlv: bytes) -> bytes:
    return tlv(SEQUENCE, encode_int(version) + tlv(OCTET_STRING, community) + pdu_tlv)


@lru_cache(maxsize=1024)
def _request_parts(
    version: Version, community: bytes, field1: int, field2: int
) -> tuple[bytes, bytes]:
    """What stays the same from one request to the next: version and community, and the
    two INTEGERs after the request-id."""
    return encode_int(version) + tlv(OCTET_STRING, community), encode_int(field1) + encode_int(
        field2
    )


def encode_request(
    version: Version,
    community: bytes,
    kind: int,
    request_id: int,
    field1: int,
    field2: int,
    varbinds: bytes,
) -> bytes:
    """A v1/v2c request: `kind` is the PDU tag, `varbinds` the encoded list, `field1`/`field2`
    error-status/index (non-repeaters/max-repetitions for GETBULK). Built per request, so the
    parts that do not change come from a cache."""
    front, fields = _request_parts(version, community, field1, field2)
    if 1 << 23 <= request_id < 1 << 31:  # the client's ids: always 4 octets
        rid = b"\x02\x04" + request_id.to_bytes(4, "big")
    else:
        rid = encode_int(request_id)
    return tlv(SEQUENCE, front + tlv(kind, rid + fields + varbinds))


def decode_message(buf: bytes) -> CommunityMessage | V3Message:
    start, stop = expect(buf, 0, len(buf), SEQUENCE, "message")
    if stop != len(buf):
        raise SnmpDecodeError(f"{len(buf) - stop} stray octets after the message")
    version, p = read_int(buf, start, stop, "version")
    if version == Version.V3:
        return _decode_v3(buf, p, stop)
    if version not in (Version.V1, Version.V2C):
        raise SnmpDecodeError(f"unsupported SNMP version {version}")
    community, p = read_octets(buf, p, stop, "community")
    return CommunityMessage(Version(version), community, decode_pdu(buf, p, stop))


def _bounded(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise SnmpDecodeError(f"{what} {value} is outside {low}..{high}")
    return value


def _decode_v3(buf: bytes, p: int, stop: int) -> V3Message:
    gs, ge = expect(buf, p, stop, SEQUENCE, "msgGlobalData")
    msg_id, q = read_int(buf, gs, ge, "msgID")
    max_size, q = read_int(buf, q, ge, "msgMaxSize")
    flags_raw, q = read_octets(buf, q, ge, "msgFlags")
    model, q = read_int(buf, q, ge, "msgSecurityModel")
    if q != ge:
        raise SnmpDecodeError("stray octets in msgGlobalData")
    _bounded(msg_id, 0, MAX_INT31, "msgID")
    _bounded(max_size, 484, MAX_INT31, "msgMaxSize")
    if len(flags_raw) != 1:
        raise SnmpDecodeError("msgFlags is not one octet")
    flags = flags_raw[0]
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise SnmpDecodeError("msgFlags asks for privacy without authentication")
    if model != USM_MODEL:
        raise SnmpDecodeError(f"unsupported security model {model}")
    # msgSecurityParameters: an OCTET STRING wrapping the USM SEQUENCE (RFC 3414 §2.4).
    # We parse it in place so offsets stay absolute.
    ss, se = expect(buf, ge, stop, OCTET_STRING, "msgSecurityParameters")
    us, ue = expect(buf, ss, se, SEQUENCE, "UsmSecurityParameters")
    if ue != se:
        raise SnmpDecodeError("stray octets in msgSecurityParameters")
    engine_id, q = read_octets(buf, us, ue, "msgAuthoritativeEngineID")
    boots, q = read_int(buf, q, ue, "msgAuthoritativeEngineBoots")
    time, q = read_int(buf, q, ue, "msgAuthoritativeEngineTime")
    user, q = read_octets(buf, q, ue, "msgUserName")
    auth_start, auth_stop = expect(buf, q, ue, OCTET_STRING, "msgAuthenticationParameters")
    priv, q = read_octets(buf, auth_stop, ue, "msgPrivacyParameters")
    if q != ue:
        raise SnmpDecodeError("stray octets in UsmSecurityParameters")
    if len(engine_id) > 32 or 0 < len(engine_id) < 5:
        raise SnmpDecodeError(f"an engine ID of {len(engine_id)} octets")  # RFC 3411 §5
    if len(user) > 32:
        raise SnmpDecodeError("a user name longer than 32 octets")  # RFC 3414 §2.4
    _bounded(boots, 0, MAX_INT31, "msgAuthoritativeEngineBoots")
    _bounded(time, 0, MAX_INT31, "msgAuthoritativeEngineTime")
    tag, ds, de = read_tlv(buf, se, stop)
    if de != stop:
        raise SnmpDecodeError("stray octets after msgData")
    if flags & FLAG_PRIV:
        if tag != OCTET_STRING:
            raise SnmpDecodeError("an encrypted message whose msgData is not an OCTET STRING")
        data = buf[ds:de]
    else:
        if tag != SEQUENCE:
            raise SnmpDecodeError("a plaintext message whose msgData is not a ScopedPDU")
        data = buf[se:de]
    return V3Message(
        msg_id, max_size, flags, engine_id, boots, time, user,
        buf[auth_start:auth_stop], priv, data, buf, auth_start,
    )  # fmt: skip


def decode_scoped_pdu(data: bytes, *, padded: bool = False) -> ScopedPdu:
    """A ScopedPDU (RFC 3412 §6.8). After DES decryption the plaintext carries up to 7 octets
    of padding (RFC 3414 §8.1.1.2), so `padded` allows octets after the SEQUENCE."""
    start, stop = expect(data, 0, len(data), SEQUENCE, "ScopedPDU")
    if stop != len(data) and not (padded and len(data) - stop < 8):
        raise SnmpDecodeError(f"{len(data) - stop} stray octets after the ScopedPDU")
    engine_id, p = read_octets(data, start, stop, "contextEngineID")
    name, p = read_octets(data, p, stop, "contextName")
    return ScopedPdu(engine_id, name, decode_pdu(data, p, stop))


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu_tlv: bytes) -> bytes:
    return tlv(
        SEQUENCE, tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name) + pdu_tlv
    )


def encode_v3(
    *,
    msg_id: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    time: int,
    user: bytes,
    auth_len: int,
    priv_params: bytes,
    data: bytes,
) -> tuple[bytes, int]:
    """A v3 message with `auth_len` zero octets as msgAuthenticationParameters, and the offset
    of those octets, where `v3.py` writes the digest once it is computed (RFC 3414 §6.3.1).
    `data` is the msgData TLV (a ScopedPDU, or an OCTET STRING of ciphertext)."""
    header = (
        encode_int(msg_id)
        + encode_int(MAX_MSG_SIZE)
        + tlv(OCTET_STRING, bytes((flags,)))
        + encode_int(USM_MODEL)
    )
    usm_head = (
        tlv(OCTET_STRING, engine_id)
        + encode_int(boots)
        + encode_int(time)
        + tlv(OCTET_STRING, user)
        + bytes((OCTET_STRING,))
        + encode_length(auth_len)
    )
    usm = usm_head + bytes(auth_len) + tlv(OCTET_STRING, priv_params)
    usm_seq = tlv(SEQUENCE, usm)
    params = tlv(OCTET_STRING, usm_seq)
    front = bytes((INTEGER, 1, 3)) + tlv(SEQUENCE, header)
    body = front + params + data
    message = tlv(SEQUENCE, body)
    offset = (
        len(message) - len(body)
        + len(front)
        + len(params) - len(usm_seq)
        + len(usm_seq) - len(usm)
        + len(usm_head)
    )  # fmt: skip
    return message, offset


def peek_id(buf: bytes) -> int | None:
    """The request-id (v1/v2c) or msgID (v3) of a datagram that failed to decode, if it can
    be read at all — so a malformed answer fails its request instead of timing it out. The
    enclosing lengths may run past the datagram (its tail was lost: truncated on the way or
    by the agent); the id itself must be whole."""
    try:
        start, stop = _head(buf, 0, len(buf), SEQUENCE)
        version, p = read_int(buf, start, stop, "version")
        if version == Version.V3:
            gs, ge = _head(buf, p, stop, SEQUENCE)
            return read_int(buf, gs, ge, "msgID")[0]
        _, p = read_octets(buf, p, stop, "community")
        ps, pe = _head(buf, p, stop, None)
        return read_int(buf, ps, pe, "request-id")[0]
    except SnmpDecodeError:
        return None


def _head(buf: bytes, pos: int, end: int, want: int | None) -> tuple[int, int]:
    """Content (start, end) of the TLV at `pos` (tag `want`, or any), its end cut to `end`."""
    if pos + 2 > end or (want is not None and buf[pos] != want):
        raise SnmpDecodeError(f"no readable header at offset {pos}")
    n = buf[pos + 1]
    if n < 0x80:
        return pos + 2, min(pos + 2 + n, end)
    count = n & 0x7F
    start = pos + 2 + count
    if not 0 < count <= 4 or start > end:
        raise SnmpDecodeError(f"no readable length at offset {pos}")
    return start, min(start + int.from_bytes(buf[pos + 2 : start], "big"), end)
