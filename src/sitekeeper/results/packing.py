"""Raw results of one check and one hour, packed into one compact blob (pure, no I/O).

A result row with its JSON values and two indexes takes about 165 bytes; the same result
packed with the rest of its hour takes about a tenth of that, because most of a row is
repeated from row to row: the same value names, status and probe outcome every minute.

Layout, before zlib (every integer a LEB128 varint, signed ones zigzag-encoded):

    version            1 byte (1)
    n                  how many results
    times              the first `at` as its 8 IEEE bytes, then n-1 signed differences of the
                       times' 64-bit patterns: exact (any float), and about 4 bytes at 60 s
    statuses           n bytes, an index into STATUSES
    latencies          n scalars
    errors             n scalars
    has values         n bytes: 0 for no values (None), 1 for a mapping (maybe empty)
    k, names           the value names, in order of first appearance
    k columns          n scalars each, MISSING where a result lacks that name

A scalar is a tag byte and its payload: MISSING, NONE, FALSE, TRUE; INT (zigzag varint);
STR (length and UTF-8); F64 (8 IEEE bytes: NaN, infinities and anything not short in
decimal); DEC0..DEC6 (a zigzag varint m with m / 10**k equal to the float exactly: 12.345
is the integer 12345, three bytes). Every float round-trips bit for bit, -0.0 included.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sitekeeper.observation import Value

VERSION = 1
STATUSES = ("OK", "WARN", "CRIT", "UNKNOWN")
_STATUS_INDEX = {s: i for i, s in enumerate(STATUSES)}

MISSING, NONE, FALSE, TRUE, INT, STR, F64 = range(7)
DEC = 7  # DEC + k for k decimal places, k in 0..MAX_DECIMALS
MAX_DECIMALS = 6
_POW = tuple(10**k for k in range(MAX_DECIMALS + 1))
_D = struct.Struct("<d")
_Q = struct.Struct("<q")


@dataclass(frozen=True, slots=True)
class RawResult:
    """One stored observation, as the raw history keeps it."""

    at: float
    status: str
    latency_ms: float | None = None
    values: Mapping[str, Value] | None = None
    error: str | None = None


class PackError(ValueError):
    """A blob that is not a packed hour of this format (corrupt or from a newer version)."""


# -- writing ------------------------------------------------------------------------------


def _uint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _sint(out: bytearray, n: int) -> None:
    _uint(out, n << 1 if n >= 0 else ((-n) << 1) - 1)


def _float(out: bytearray, v: float) -> None:
    if math.isfinite(v) and (v != 0.0 or math.copysign(1.0, v) > 0):
        for k, p in enumerate(_POW):
            m = round(v * p)
            if m / p == v:
                out.append(DEC + k)
                _sint(out, m)
                return
    out.append(F64)
    out += _D.pack(v)


def _scalar(out: bytearray, v: object) -> None:
    if v is None:
        out.append(NONE)
    elif v is True:
        out.append(TRUE)
    elif v is False:
        out.append(FALSE)
    elif isinstance(v, int):
        out.append(INT)
        _sint(out, v)
    elif isinstance(v, float):
        _float(out, v)
    elif isinstance(v, str):
        raw = v.encode()
        out.append(STR)
        _uint(out, len(raw))
        out += raw
    else:
        raise TypeError(f"cannot pack a {type(v).__name__} value: {v!r}")


def pack(results: Sequence[RawResult]) -> bytes:
    """The blob for `results` (any order; unpacked in time order, ties kept in order)."""
    rows = sorted(results, key=lambda r: r.at)
    out = bytearray((VERSION,))
    _uint(out, len(rows))
    prev = 0
    for i, r in enumerate(rows):
        bits = _Q.unpack(_D.pack(float(r.at)))[0]
        if i == 0:
            out += _D.pack(float(r.at))
        else:
            _sint(out, bits - prev)
        prev = bits
    try:
        out += bytes(_STATUS_INDEX[r.status] for r in rows)
    except KeyError as err:
        raise ValueError(f"unknown status {err.args[0]!r} (known: {', '.join(STATUSES)})") from err
    for r in rows:
        _scalar(out, None if r.latency_ms is None else float(r.latency_ms))
    for r in rows:
        _scalar(out, r.error)
    out += bytes(0 if r.values is None else 1 for r in rows)
    names: dict[str, None] = {}
    for r in rows:
        if r.values:
            names.update(dict.fromkeys(r.values))
    _uint(out, len(names))
    for name in names:
        _scalar(out, name)
    for name in names:
        for r in rows:
            values = r.values
            if values is None or name not in values:
                out.append(MISSING)
            else:
                _scalar(out, values[name])
    return zlib.compress(bytes(out), 6)


# -- reading ------------------------------------------------------------------------------


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.buf):
            raise PackError("the blob ends early")
        chunk = self.buf[self.pos : end]
        self.pos = end
        return chunk

    def uint(self) -> int:
        n = shift = 0
        buf = self.buf
        while True:
            b = buf[self.pos]
            self.pos += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7

    def sint(self) -> int:
        z = self.uint()
        return z >> 1 if not z & 1 else -((z + 1) >> 1)

    def scalar(self) -> object:
        tag = self.byte()
        if tag >= DEC:
            if tag - DEC > MAX_DECIMALS:
                raise PackError(f"unknown scalar tag {tag}")
            return self.sint() / _POW[tag - DEC]
        if tag == NONE:
            return None
        if tag == INT:
            return self.sint()
        if tag == STR:
            return self.take(self.uint()).decode()
        if tag == F64:
            return float(_D.unpack(self.take(8))[0])
        if tag == TRUE:
            return True
        if tag == FALSE:
            return False
        if tag == MISSING:
            return _MISSING
        raise PackError(f"unknown scalar tag {tag}")


_MISSING = object()


def unpack(blob: bytes) -> list[RawResult]:
    """The results packed in `blob`, in time order."""
    try:
        return _unpack(_Reader(zlib.decompress(blob)))
    except (IndexError, zlib.error, UnicodeDecodeError, struct.error) as err:
        raise PackError(f"not a packed hour of results: {err}") from err


def _unpack(r: _Reader) -> list[RawResult]:
    version = r.byte()
    if version != VERSION:
        raise PackError(f"packed results of version {version}; this version reads {VERSION}")
    n = r.uint()
    times: list[float] = []
    if n:
        bits = _Q.unpack(r.take(8))[0]
        times.append(_D.unpack(_Q.pack(bits))[0])
        for _ in range(n - 1):
            bits += r.sint()
            times.append(_D.unpack(_Q.pack(bits))[0])
    statuses = [STATUSES[i] for i in r.take(n)]
    latencies = [r.scalar() for _ in range(n)]
    errors = [r.scalar() for _ in range(n)]
    has_values = r.take(n)
    names = [str(r.scalar()) for _ in range(r.uint())]
    values: list[dict[str, Value] | None] = [{} if h else None for h in has_values]
    for name in names:
        for i in range(n):
            v = r.scalar()
            if v is not _MISSING:
                row = values[i]
                if row is None:
                    raise PackError(f"a value {name!r} for a result without values")
                row[name] = v  # type: ignore[assignment]
    if r.pos != len(r.buf):
        raise PackError(f"{len(r.buf) - r.pos} byte(s) after the last column")
    return [
        RawResult(
            at=times[i],
            status=statuses[i],
            latency_ms=latencies[i],  # type: ignore[arg-type]
            values=values[i],
            error=errors[i],  # type: ignore[arg-type]
        )
        for i in range(n)
    ]


Summary = tuple[int, int, int, int, int, int, float | None, float | None, float | None]


def summarize(results: Iterable[RawResult]) -> Summary:
    """(count, ok, warn, crit, unknown, latency count, sum, min, max) of `results`, as the
    SQL of a rollup computes them: latency figures over the results that have one, None
    without any."""
    counts = dict.fromkeys(STATUSES, 0)
    n = 0
    latencies: list[float] = []
    for r in results:
        n += 1
        counts[r.status] += 1
        if r.latency_ms is not None:
            latencies.append(r.latency_ms)
    if not latencies:
        return (
            n,
            counts["OK"],
            counts["WARN"],
            counts["CRIT"],
            counts["UNKNOWN"],
            0,
            None,
            None,
            None,
        )
    return (
        n,
        counts["OK"],
        counts["WARN"],
        counts["CRIT"],
        counts["UNKNOWN"],
        len(latencies),
        sum(latencies),
        min(latencies),
        max(latencies),
    )
