"""The Python shapes of SNMP data (RFC 2578 §7.1, RFC 3416 §3), kept small and cheap.

An OID is a plain `tuple[int, ...]` (tuples compare in OID order, hash, and cost nothing to
build). INTEGER is `int`, OCTET STRING `bytes`, NULL `None`, IpAddress `IPv4Address`. The
application types keep their type by subclassing `int`/`bytes`, so arithmetic just works and
`type(v)` still tells a Counter32 (which wraps) from a Gauge32 (which does not). The three
SNMPv2 exception values (RFC 3416 §4.2.1) are members of `NoValue`.
"""

from __future__ import annotations

import enum
from ipaddress import IPv4Address
from typing import TypeAlias

from .errors import SnmpEncodeError

Oid: TypeAlias = tuple[int, ...]

MAX_SUBID = 0xFFFFFFFF  # RFC 2578 §7.1.3: each sub-identifier is at most 2^32-1 ...
MAX_OID_ARCS = 128  # ... and an OID has at most 128 of them


class Counter32(int):
    """A 32-bit counter: only its rate means anything, and it wraps at 2^32."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Counter32({int(self)})"


class Gauge32(int):
    """A 32-bit gauge (also Unsigned32, which shares its tag)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Gauge32({int(self)})"


class TimeTicks(int):
    """Hundredths of a second (sysUpTime: a decrease means the agent restarted)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"TimeTicks({int(self)})"


class Counter64(int):
    """A 64-bit counter (ifHCInOctets...)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Counter64({int(self)})"


class Opaque(bytes):
    """Opaque: BER-inside-BER that we hand over undecoded."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Opaque({bytes(self)!r})"


class NoValue(enum.Enum):
    """The SNMPv2 exception values a varbind can carry instead of a value (RFC 3416 §3)."""

    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


# Unsigned32 shares Gauge32's tag; a caller may use either name.
Unsigned32 = Gauge32

Value: TypeAlias = int | bytes | Oid | IPv4Address | NoValue | None
VarBind: TypeAlias = tuple[Oid, Value]


def parse_oid(oid: str | Oid) -> Oid:
    """`"1.3.6.1.2.1.1.1.0"`, `".1.3.6.1..."` or a tuple, checked: at least two arcs, the
    first 0-2 (and the second below 40 under 0 and 1), sub-identifiers 0..2^32-1, at most
    128 arcs — the rules BER can encode (X.690 §8.19) and SMI allows (RFC 2578 §7.1.3)."""
    if isinstance(oid, str):
        text = oid[1:] if oid.startswith(".") else oid
        try:
            arcs = tuple(int(part) for part in text.split("."))
        except ValueError:
            raise SnmpEncodeError(f"not a numeric OID: {oid!r}") from None
    else:
        arcs = tuple(oid)
    check_oid(arcs)
    return arcs


def check_oid(arcs: Oid) -> None:
    if not 2 <= len(arcs) <= MAX_OID_ARCS:
        raise SnmpEncodeError(f"an OID has 2 to {MAX_OID_ARCS} arcs, not {len(arcs)}")
    first, second = arcs[0], arcs[1]
    if first not in (0, 1, 2) or (first < 2 and not 0 <= second < 40):
        raise SnmpEncodeError(f"OID {format_oid(arcs)} starts with an invalid first arc")
    for arc in arcs:
        if type(arc) is not int or not 0 <= arc <= MAX_SUBID:
            raise SnmpEncodeError(f"OID sub-identifier {arc!r} is outside 0..{MAX_SUBID}")
    if first == 2 and second > MAX_SUBID - 80:
        raise SnmpEncodeError("OID second arc too large under 2")


def format_oid(oid: Oid) -> str:
    return ".".join(map(str, oid))


def in_subtree(oid: Oid, root: Oid) -> bool:
    return oid[: len(root)] == root


def display(value: Value) -> str:
    """A short text for logs and debug output (never used for secrets)."""
    if isinstance(value, NoValue):
        return value.name.lower()
    if isinstance(value, tuple):
        return format_oid(value)
    if isinstance(value, bytes):
        try:
            text = value.decode()
        except UnicodeDecodeError:
            return value.hex(":")
        return text if text.isprintable() else value.hex(":")
    return str(value)
