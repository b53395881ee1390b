"""The icmp probe: real echoes to loopback, and the access decision and loss logic injected.
The pinger itself is tested in tests/protocols/test_icmp_engine.py."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sitekeeper.checks.specs import IcmpCheck
from sitekeeper.probes import icmp
from sitekeeper.probes.base import Target
from sitekeeper.probes.icmp import IcmpAccess, detect_access
from sitekeeper.protocols.icmp import IcmpPermissionError, PingResult

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK

LOCAL = Target(check_id=5, address=LOOPBACK, name="router")
QUICK = IcmpCheck(count=3, packet_interval=0.05)


@pytest.fixture(autouse=True)
async def _close_the_icmp_sockets() -> AsyncIterator[None]:
    """The probe shares one pinger per event loop; the runtime closes it at shutdown."""
    yield
    await icmp.close_shared()


def replies(*rtts: float, sent: int = 3) -> icmp.PingFn:
    """A fake `ping` returning what the pinger would for `rtts` out of `sent` echoes."""

    async def ping(address: str, **_: Any) -> PingResult:
        return PingResult(address, sent, rtts)

    return ping


def denied() -> IcmpAccess:
    return IcmpAccess.DENIED


def unprivileged() -> IcmpAccess:
    return IcmpAccess.UNPRIVILEGED


async def test_it_pings_loopback_for_real(make_ctx: MakeCtx) -> None:
    if icmp.process_access() is IcmpAccess.DENIED:
        pytest.skip("this machine allows neither ping sockets nor raw sockets to the tests")
    obs = await icmp.probe(LOCAL, QUICK, make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["loss_pct"] == 0.0
    assert obs.values["packets_sent"] == obs.values["packets_received"] == 3
    for name in ("rtt_ms", "rtt_min_ms", "rtt_max_ms", "jitter_ms"):
        assert isinstance(obs.values[name], float)
    assert obs.latency_ms == obs.values["rtt_ms"]


async def test_it_cannot_tell_when_icmp_is_not_permitted(make_ctx: MakeCtx) -> None:
    obs = await icmp.probe(LOCAL, QUICK, make_ctx(), access=denied)
    assert obs.ok is None
    assert obs.error is not None
    assert "net.ipv4.ping_group_range" in obs.error
    assert "setcap cap_net_raw+ep" in obs.error


async def test_it_cannot_tell_when_the_kernel_refuses_the_socket_after_all(
    make_ctx: MakeCtx,
) -> None:
    async def refused(address: str, **_: Any) -> PingResult:
        raise IcmpPermissionError("the kernel refused an ICMP ping socket (IPv4)")

    obs = await icmp.probe(LOCAL, QUICK, make_ctx(), access=unprivileged, ping=refused)
    assert obs.ok is None
    assert obs.error == icmp.NOT_PERMITTED


async def test_it_reports_total_loss_without_inventing_round_trip_times(
    make_ctx: MakeCtx,
) -> None:
    obs = await icmp.probe(LOCAL, QUICK, make_ctx(), access=unprivileged, ping=replies())
    assert obs.ok is False
    assert obs.error == "100% packet loss (0/3 replies)"
    assert obs.values == {"loss_pct": 100.0, "packets_sent": 3, "packets_received": 0}
    assert obs.latency_ms is None


async def test_it_judges_partial_loss_against_max_loss_pct(make_ctx: MakeCtx) -> None:
    lossy = replies(1.0, 3.0)
    tolerant = await icmp.probe(LOCAL, QUICK, make_ctx(), access=unprivileged, ping=lossy)
    strict = await icmp.probe(
        LOCAL,
        QUICK.model_copy(update={"max_loss_pct": 30.0}),
        make_ctx(),
        access=unprivileged,
        ping=lossy,
    )
    assert tolerant.ok is True, tolerant.error
    assert tolerant.values["loss_pct"] == pytest.approx(33.33)
    assert tolerant.values["rtt_ms"] == 2.0
    assert tolerant.values["jitter_ms"] == 2.0
    assert strict.ok is False
    assert strict.error == "33.33% packet loss (2/3 replies)"


async def test_it_returns_at_the_deadline_when_the_ping_hangs(make_ctx: MakeCtx) -> None:
    async def stuck(address: str, **_: Any) -> PingResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    begun = time.monotonic()
    obs = await icmp.probe(LOCAL, QUICK, make_ctx(0.5), access=unprivileged, ping=stuck)
    assert time.monotonic() - begun < 0.5 + SLACK
    assert obs.ok is False
    assert obs.error == "timed out after 0.5s waiting for echo replies"


async def test_it_fits_every_echo_wait_inside_the_deadline(make_ctx: MakeCtx) -> None:
    asked: dict[str, Any] = {}

    async def spy(address: str, **kwargs: Any) -> PingResult:
        asked.update(kwargs)
        return PingResult(address, 3, (1.0, 1.0, 1.0))

    await icmp.probe(LOCAL, QUICK, make_ctx(1.0), access=lambda: IcmpAccess.PRIVILEGED, ping=spy)
    assert asked["privileged"] is True
    # echoes go out on a schedule; the last one's wait ends before the deadline
    assert (asked["count"] - 1) * asked["interval"] + asked["wait"] < 1.0
    assert asked["wait"] > 0.5


def test_it_prefers_ping_sockets_then_raw_sockets() -> None:
    assert detect_access(lambda kind: True) is IcmpAccess.UNPRIVILEGED
    assert detect_access(lambda kind: kind == socket.SOCK_RAW) is IcmpAccess.PRIVILEGED
    assert detect_access(lambda kind: False) is IcmpAccess.DENIED


def test_it_decides_access_once_per_process() -> None:
    assert icmp.process_access() is icmp.process_access()
    assert icmp.process_access.cache_info().currsize == 1
