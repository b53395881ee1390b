"""Packing an hour of raw results: whatever goes in comes out, bit for bit, in time order."""

from __future__ import annotations

import math
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekeeper.results.packing import STATUSES, PackError, RawResult, pack, summarize, unpack

T0 = 1_800_000_000.0

floats = st.floats(allow_nan=True, allow_infinity=True)
values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    floats,
    st.text(max_size=20),
)
results = st.builds(
    RawResult,
    at=st.one_of(st.floats(min_value=0, max_value=4e9), st.floats(allow_nan=False)),
    status=st.sampled_from(STATUSES),
    latency_ms=st.one_of(st.none(), floats),
    values=st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["rtt_ms", "loss_pct", "é", ""]), values)
    ),
    error=st.one_of(st.none(), st.text(max_size=40)),
)


def bits(v: object) -> object:
    """A value with its floats as their bit patterns, so NaN equals NaN and -0.0 is not 0.0."""
    if isinstance(v, float):
        return ("float", struct.pack("<d", v))
    if isinstance(v, dict):
        return {k: bits(x) for k, x in v.items()}
    return (type(v).__name__, v)


def exact(r: RawResult) -> tuple[object, ...]:
    values = None if r.values is None else bits(dict(r.values))
    return (bits(r.at), r.status, bits(r.latency_ms), values, r.error)


@settings(max_examples=300, deadline=None)
@given(st.lists(results, max_size=80))
def test_any_results_unpack_to_the_same_values_in_time_order(rows: list[RawResult]) -> None:
    back = unpack(pack(rows))
    expected = sorted(rows, key=lambda r: r.at)
    assert [exact(r) for r in back] == [exact(r) for r in expected]


def test_an_hour_of_icmp_results_takes_a_few_bytes_each() -> None:
    rows = [
        RawResult(
            T0 + 60 * i + 0.123456 * i,
            "OK",
            4.0 + i / 1000,
            {
                "loss_pct": 0.0,
                "packets_sent": 3,
                "packets_received": 3,
                "rtt_ms": 4.0 + i / 1000,
                "rtt_min_ms": 3.2,
                "rtt_max_ms": 5.2,
                "jitter_ms": 0.571,
            },
        )
        for i in range(60)
    ]
    rows[7] = RawResult(T0 + 420.5, "CRIT", None, {"loss_pct": 100.0}, "100% packet loss")
    blob = pack(rows)
    assert len(blob) / len(rows) < 25
    assert unpack(blob) == rows


def test_missing_values_none_and_empty_values_stay_apart() -> None:
    rows = [
        RawResult(T0, "OK", None, None, None),
        RawResult(T0 + 1, "UNKNOWN", None, {}, "the probe could not tell"),
        RawResult(T0 + 2, "WARN", 1.5, {"a": 1}, None),
        RawResult(T0 + 3, "OK", 0.0, {"b": "x", "c": True, "d": False}, ""),
    ]
    assert unpack(pack(rows)) == rows


def test_ints_stay_ints_and_floats_stay_floats() -> None:
    [back] = unpack(pack([RawResult(T0, "OK", 3.0, {"n": 3, "f": 3.0, "big": 10**30})]))
    assert back.values is not None
    assert type(back.values["n"]) is int and type(back.values["f"]) is float
    assert back.values["big"] == 10**30
    assert type(back.latency_ms) is float


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status 'DOWN'"):
        pack([RawResult(T0, "DOWN")])


def test_a_corrupt_or_newer_blob_is_a_clear_error() -> None:
    blob = pack([RawResult(T0, "OK", 1.0)])
    with pytest.raises(PackError):
        unpack(blob[:-3])
    with pytest.raises(PackError, match="version 9"):
        unpack(zlib.compress(b"\x09\x00"))
    with pytest.raises(PackError, match="after the last column"):
        unpack(zlib.compress(zlib.decompress(blob) + b"\x00"))


def test_an_empty_hour_packs_and_unpacks() -> None:
    assert unpack(pack([])) == []


def test_a_summary_counts_statuses_and_latencies_as_a_rollup_does() -> None:
    rows = [
        RawResult(T0, "OK", 10.0),
        RawResult(T0 + 60, "OK", 30.0),
        RawResult(T0 + 120, "CRIT", None),
        RawResult(T0 + 180, "WARN", 50.0),
        RawResult(T0 + 240, "UNKNOWN", None),
    ]
    assert summarize(rows) == (5, 2, 1, 1, 1, 3, 90.0, 10.0, 50.0)
    assert summarize(rows[2:3]) == (1, 0, 0, 1, 0, 0, None, None, None)
    assert summarize([]) == (0, 0, 0, 0, 0, 0, None, None, None)


def test_times_round_trip_across_exponents_and_signs() -> None:
    times = [0.0, 5e-324, 1.0, T0, T0 + 1e-6, math.nextafter(T0, math.inf), 2.0**31, -1.0]
    back = unpack(pack([RawResult(t, "OK") for t in times]))
    assert [r.at for r in back] == sorted(times)
