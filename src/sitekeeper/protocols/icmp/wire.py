"""ICMP echo on the wire: message types, the header, the checksum, opening the sockets, and
addresses in the form replies come from."""

from __future__ import annotations

import asyncio
import functools
import socket
import struct

from .errors import IcmpError, IcmpPermissionError, IcmpResolveError

TOKEN_SIZE = 8  # bytes at the start of each echo's payload: the pinger's salt, the echo's number
ECHO_REQUEST: dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}
ECHO_REPLY: dict[int, int] = {socket.AF_INET: 0, socket.AF_INET6: 129}
PROTOCOL: dict[int, int] = {
    socket.AF_INET: socket.IPPROTO_ICMP,
    socket.AF_INET6: socket.IPPROTO_ICMPV6,
}
SO_RCVBUFFORCE = 33  # asm-generic/socket.h (x86, arm): SO_RCVBUF past net.core.rmem_max
SOL_RAW = 255  # linux/socket.h; Python does not export it
ICMP_FILTER = 1  # linux/icmp.h: a mask of ICMP types a raw IPv4 socket drops
ICMP6_FILTER = 1  # netinet/icmp6.h: the same for IPv6, 256 bits
NUMBER_MASK = 0xFFFF_FFFF  # echo numbers are 32 bits, the other half of the token
HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
# at offset 2: checksum, identifier, sequence, salt, echo number (pad bytes would be zeroed)
PATCH = struct.Struct("!HHHII")
REPLY = struct.Struct("!BxxxHH")  # type, identifier, sequence
REPLY_TOKEN = struct.Struct("!BxxxHHII")  # and the token's salt and number
SockAddr = tuple[str, int] | tuple[str, int, int, int]


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071). Summing 16-bit words with end-around carry is the
    same as taking the number modulo 0xFFFF, since 0x10000 ≡ 1 (mod 0xFFFF)."""
    if len(data) % 2:
        data += b"\0"
    total = int.from_bytes(data, "big") % 0xFFFF
    return ~total & 0xFFFF if total else 0  # a non-zero packet sums to 0xFFFF, not 0


def token(salt: int, number: int) -> bytes:
    return ((salt << 32) | number).to_bytes(TOKEN_SIZE, "big")


def echo_template(kind: int, ident: int, salt: int, payload_size: int) -> bytearray:
    """An echo request with its type, identifier and salt in place and zeros after the token;
    each echo patches it from the checksum on with `PATCH` (a payload shorter than the token:
    see the pinger)."""
    packet = bytearray(HEADER.size + payload_size)
    HEADER.pack_into(packet, 0, kind, 0, 0, ident, 0)
    packet[HEADER.size : HEADER.size + TOKEN_SIZE] = token(salt, 0)[:payload_size]
    return packet


def echo_sum(kind: int, ident: int, salt: int) -> int:
    """What the echoes of one pinger add to their checksum alike: type and code, identifier,
    salt; `echo_checksum` adds the rest."""
    return (kind << 8) + ident + salt


def echo_checksum(base: int, seq: int, number: int) -> int:
    """`checksum()` of an echo request whose payload is the token followed by zeros, without
    building the bytes: modulo 0xFFFF the 16-bit words sum to the same as the numbers they
    form (0x10000 ≡ 1), and the checksum is the negated sum (0 for a sum of 0xFFFF)."""
    return -(base + seq + number) % 0xFFFF


def open_socket(family: int, *, raw: bool, recv_buffer: int) -> socket.socket:
    kind = socket.SOCK_RAW if raw else socket.SOCK_DGRAM
    name = "raw" if raw else "ping"
    ip = "IPv6" if family == socket.AF_INET6 else "IPv4"
    try:
        sock = socket.socket(family, kind, PROTOCOL[family])
    except PermissionError as err:
        raise IcmpPermissionError(f"the kernel refused an ICMP {name} socket ({ip})") from err
    except OSError as err:
        raise IcmpError(f"cannot open an ICMP {name} socket ({ip}): {err.strerror}") from err
    try:
        sock.setblocking(False)
        try:  # beyond net.core.rmem_max when the process may (CAP_NET_ADMIN)
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, recv_buffer)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)
        if raw and family == socket.AF_INET:
            blocked = ~(1 << ECHO_REPLY[family]) & 0xFFFF_FFFF
            sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", blocked))
        elif raw:
            words = [0xFFFF_FFFF] * 8
            words[ECHO_REPLY[family] >> 5] &= ~(1 << (ECHO_REPLY[family] & 31))
            sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *words))
    except BaseException:
        sock.close()
        raise
    return sock


@functools.lru_cache(maxsize=65536)
def literal(address: str) -> tuple[int, SockAddr] | None:
    """(family, socket address) of an IP address in the form replies come from, or None
    for a name. Cached: monitoring pings the same addresses over and over."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            canonical = socket.inet_ntop(family, socket.inet_pton(family, address))
        except (OSError, ValueError):
            continue
        return (
            (family, (canonical, 0)) if family == socket.AF_INET else (family, (canonical, 0, 0, 0))
        )
    return None


async def resolve(address: str) -> tuple[int, SockAddr]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(address, None, type=socket.SOCK_DGRAM)
    except socket.gaierror as err:
        raise IcmpResolveError(f'cannot resolve the address "{address}"') from err
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            return family, sockaddr  # type: ignore[return-value]
    raise IcmpResolveError(f'"{address}" has no IPv4 or IPv6 address')
