"""Strict, bounded BER for the subset SNMP uses (RFC 3417 §8, X.690 §8).

Decoding works on one `bytes` buffer with (start, end) indices — nothing is copied until a
leaf value is built, so work is linear in the datagram. Every read is checked against the
enclosing end, so a length can never point outside its parent. The shape of an SNMP message
is fixed (message > PDU > varbind list > varbind > value), and the decoders in `pdu.py` and
`message.py` follow that schema with loops, never recursing on what the input says: the
nesting depth is a constant, whatever a hostile agent sends. Every malformed input raises
`SnmpDecodeError` and nothing else.

Limits, and why:
- lengths: definite form only (RFC 3417 §8 forbids the indefinite form); the long form may
  use more octets than needed (§8 allows it) but at most 4, which already exceeds any UDP
  datagram;
- INTEGER at most 9 content octets (a Counter64 needs 9 with its leading zero); larger is
  refused rather than building a huge Python int;
- OBJECT IDENTIFIER: 2..128 arcs, each below 2^32 (RFC 2578 §7.1.3), minimal base-128
  sub-identifiers (X.690 §8.19.2: no leading 0x80 octet), no truncated last sub-identifier;
- multi-octet tags and constructed strings are refused: SNMP uses neither.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address

from .errors import SnmpDecodeError, SnmpEncodeError
from .values import (
    MAX_OID_ARCS,
    MAX_SUBID,
    Counter32,
    Counter64,
    Gauge32,
    NoValue,
    Oid,
    Opaque,
    TimeTicks,
    Value,
    check_oid,
)

# Universal and SNMP application tags (RFC 2578 §7.1, RFC 3416 §3).
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

MAX_INT_OCTETS = 9
_NO_VALUES: dict[int, NoValue] = {member.value: member for member in NoValue}
_UNSIGNED: dict[int, type[int]] = {COUNTER32: Counter32, GAUGE32: Gauge32, TIMETICKS: TimeTicks}

# --- decoding -------------------------------------------------------------------------------


def read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The TLV at `pos`: (tag, content start, content end), all within `end`."""
    if pos + 2 > end:
        raise SnmpDecodeError(f"truncated: a header needs 2 octets at offset {pos}")
    tag = buf[pos]
    n = buf[pos + 1]
    if n < 0x80:
        start = pos + 2
        stop = start + n
    else:
        count = n & 0x7F
        if count == 0:
            raise SnmpDecodeError(f"indefinite length at offset {pos} (RFC 3417 §8 forbids it)")
        if count > 4:
            raise SnmpDecodeError(f"length of {count} octets at offset {pos}")
        start = pos + 2 + count
        if start > end:
            raise SnmpDecodeError(f"truncated length at offset {pos}")
        stop = start + int.from_bytes(buf[pos + 2 : start], "big")
    if stop > end:
        raise SnmpDecodeError(f"length at offset {pos} runs {stop - end} octets past its parent")
    return tag, start, stop


def expect(buf: bytes, pos: int, end: int, want: int, what: str) -> tuple[int, int]:
    """Content (start, end) of the TLV at `pos`, which must carry tag `want`."""
    tag, start, stop = read_tlv(buf, pos, end)
    if tag != want:
        raise SnmpDecodeError(f"{what}: expected tag 0x{want:02x}, got 0x{tag:02x} at {pos}")
    return start, stop


def decode_int(buf: bytes, start: int, stop: int) -> int:
    n = stop - start
    if n == 0 or n > MAX_INT_OCTETS:
        raise SnmpDecodeError(f"an INTEGER of {n} octets at offset {start}")
    return int.from_bytes(buf[start:stop], "big", signed=True)


def read_int(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """(value, position after) of the INTEGER at `pos`."""
    start, stop = expect(buf, pos, end, INTEGER, what)
    return decode_int(buf, start, stop), stop


def read_octets(buf: bytes, pos: int, end: int, what: str) -> tuple[bytes, int]:
    start, stop = expect(buf, pos, end, OCTET_STRING, what)
    return buf[start:stop], stop


def _unsigned(buf: bytes, start: int, stop: int, bits: int) -> int:
    n = stop - start
    if n == 0 or n > bits // 8 + 1:
        raise SnmpDecodeError(f"a {bits}-bit unsigned of {n} octets at offset {start}")
    value = int.from_bytes(buf[start:stop], "big", signed=True)
    if value < 0:
        # Some agents drop the leading zero octet of values >= 2^31; net-snmp reads them
        # modulo 2^bits, and so do we.
        value += 1 << bits
    if not 0 <= value < 1 << bits:
        raise SnmpDecodeError(f"a {bits}-bit unsigned out of range at offset {start}")
    return value


def decode_oid(buf: bytes, start: int, stop: int) -> Oid:
    body = buf[start:stop]
    if not body:
        raise SnmpDecodeError(f"an empty OBJECT IDENTIFIER at offset {start}")
    if body.isascii():
        # Fast path: every octet < 0x80, so every sub-identifier is one octet.
        if len(body) >= MAX_OID_ARCS:
            raise SnmpDecodeError(f"an OID of more than {MAX_OID_ARCS} arcs at offset {start}")
        first = body[0]
        if first < 40:
            return (0, first, *body[1:])
        if first < 80:
            return (1, first - 40, *body[1:])
        return (2, first - 80, *body[1:])
    arcs: list[int] = []
    value = 0
    fresh = True
    for octet in body:
        if fresh and octet == 0x80:
            raise SnmpDecodeError(f"a non-minimal OID sub-identifier at offset {start}")
        value = (value << 7) | (octet & 0x7F)
        if value > MAX_SUBID:
            raise SnmpDecodeError(f"an OID sub-identifier above 2^32-1 at offset {start}")
        if octet & 0x80:
            fresh = False
        else:
            arcs.append(value)
            value = 0
            fresh = True
    if not fresh:
        raise SnmpDecodeError(f"a truncated OID sub-identifier at offset {start}")
    if len(arcs) >= MAX_OID_ARCS:
        raise SnmpDecodeError(f"an OID of more than {MAX_OID_ARCS} arcs at offset {start}")
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def decode_value(tag: int, buf: bytes, start: int, stop: int) -> Value:
    """A varbind value from its tag and content range."""
    if tag == INTEGER:
        return decode_int(buf, start, stop)
    if tag == OCTET_STRING:
        return buf[start:stop]
    if tag == OBJECT_IDENTIFIER:
        return decode_oid(buf, start, stop)
    kind = _UNSIGNED.get(tag)
    if kind is not None:
        return kind(_unsigned(buf, start, stop, 32))
    if tag == COUNTER64:
        return Counter64(_unsigned(buf, start, stop, 64))
    if tag == NULL or tag in _NO_VALUES:
        if stop != start:
            raise SnmpDecodeError(f"a NULL-like value with content at offset {start}")
        return None if tag == NULL else _NO_VALUES[tag]
    if tag == IP_ADDRESS:
        if stop - start != 4:
            raise SnmpDecodeError(f"an IpAddress of {stop - start} octets at offset {start}")
        return IPv4Address(buf[start:stop])
    if tag == OPAQUE:
        return Opaque(buf[start:stop])
    raise SnmpDecodeError(f"unsupported value type 0x{tag:02x} at offset {start}")


# --- encoding -------------------------------------------------------------------------------


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    return b"\x84" + n.to_bytes(4, "big")


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    return bytes((tag,)) + encode_length(n) + content


def encode_int(value: int, tag: int = INTEGER) -> bytes:
    """Minimal two's complement (X.690 §8.3.2); unsigned types get their leading zero."""
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return tlv(tag, value.to_bytes(size, "big", signed=True))


@lru_cache(maxsize=8192)
def encode_oid(oid: Oid) -> bytes:
    """The OID's full TLV; cached, because a poller sends the same OIDs again and again."""
    check_oid(oid)
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(OBJECT_IDENTIFIER, bytes(out))


_RANGES = {
    INTEGER: (-(1 << 31), (1 << 31) - 1),
    COUNTER32: (0, (1 << 32) - 1),
    GAUGE32: (0, (1 << 32) - 1),
    TIMETICKS: (0, (1 << 32) - 1),
    COUNTER64: (0, (1 << 64) - 1),
}
_INT_TAGS: dict[type, int] = {
    Counter32: COUNTER32,
    Gauge32: GAUGE32,
    TimeTicks: TIMETICKS,
    Counter64: COUNTER64,
}


def encode_value(value: Value) -> bytes:
    """A varbind value: the Python type picks the SNMP type (see `values.py`)."""
    if value is None:
        return b"\x05\x00"
    if isinstance(value, bytes):
        return tlv(OPAQUE if isinstance(value, Opaque) else OCTET_STRING, value)
    if isinstance(value, int) and not isinstance(value, bool):
        tag = _INT_TAGS.get(type(value), INTEGER)
        low, high = _RANGES[tag]
        if not low <= value <= high:
            raise SnmpEncodeError(f"{value!r} is outside {low}..{high}")
        return encode_int(int(value), tag)
    if isinstance(value, tuple):
        return encode_oid(value)
    if isinstance(value, IPv4Address):
        return tlv(IP_ADDRESS, value.packed)
    if isinstance(value, NoValue):
        return bytes((value.value, 0))
    raise SnmpEncodeError(f"cannot encode {type(value).__name__} as an SNMP value")
