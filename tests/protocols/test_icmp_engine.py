"""The pinger against real loopback addresses: every reply matched to its own echo, whatever
the concurrency; silent hosts time out; both kinds of socket.

Loopback always answers in the machine's own network namespace, so the tests of a host that
does not answer, and of ping sockets on a machine that only allows raw ones, run a small
script in a fresh namespace of their own (`unshare --net`, root only), where loopback can be
told to ignore echoes without touching the machine's settings."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sitekeeper.probes.icmp import IcmpAccess, detect_access
from sitekeeper.protocols.icmp import IcmpClosedError, IcmpPermissionError, Pinger

NETNS_SCRIPT = Path(__file__).with_name("icmp_netns.py")
FORGED_SCRIPT = Path(__file__).with_name("icmp_netns_forged.py")
SLACK = 0.5  # scheduling on a busy machine


def _access() -> IcmpAccess:
    return detect_access()


@pytest.fixture
async def pinger() -> AsyncIterator[Pinger]:
    access = _access()
    if access is IcmpAccess.DENIED:
        pytest.skip("this machine allows neither ping sockets nor raw sockets to the tests")
    engine = Pinger(privileged=access is IcmpAccess.PRIVILEGED)
    yield engine
    await engine.close()


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_it_matches_every_reply_of_many_concurrent_pings(pinger: Pinger) -> None:
    addresses = [f"127.{i // 250}.{i % 250}.{i % 7 + 1}" for i in range(400)]
    results = await asyncio.gather(
        *(pinger.ping(a, count=3, interval=0.01, wait=2.0) for a in addresses)
    )
    assert [r.address for r in results] == addresses
    assert all(r.packets_sent == r.packets_received == 3 for r in results)
    assert all(0 < rtt < 2000 for r in results for rtt in r.rtts)
    assert pinger.stats.sent == pinger.stats.replies == 1200
    assert pinger.stats.dropped == pinger.stats.timeouts == 0
    assert pinger.in_flight == 0


async def test_it_keeps_concurrent_pings_to_one_address_apart(pinger: Pinger) -> None:
    results = await asyncio.gather(
        *(pinger.ping("127.0.0.1", count=4, interval=0.005, wait=2.0) for _ in range(100))
    )
    assert all(r.packets_sent == r.packets_received == 4 for r in results)
    assert pinger.stats.replies == 400
    assert pinger.stats.dropped == 0


async def test_it_reports_statistics_of_the_round_trips(pinger: Pinger) -> None:
    result = await pinger.ping("127.0.0.1", count=3, interval=0.02, wait=1.0)
    assert result.packets_received == 3
    assert result.min_rtt <= result.avg_rtt <= result.max_rtt
    assert result.jitter <= result.max_rtt - result.min_rtt + 0.001


async def test_it_sends_echoes_at_the_interval(pinger: Pinger) -> None:
    begun = time.monotonic()
    result = await pinger.ping("127.0.0.1", count=4, interval=0.1, wait=1.0)
    assert result.packets_received == 4
    assert 0.3 <= time.monotonic() - begun < 0.3 + SLACK


@pytest.mark.parametrize("size", [0, 1, 7, 8, 57, 1472])
async def test_it_sends_any_payload_size(pinger: Pinger, size: int) -> None:
    result = await pinger.ping("127.0.0.3", count=2, interval=0.01, wait=1.0, payload_size=size)
    assert result.packets_received == 2


async def test_it_pings_ipv6_loopback(pinger: Pinger) -> None:
    if not has_ipv6_loopback():
        pytest.skip("IPv6 loopback (::1) is not configured on this machine")
    results = await asyncio.gather(
        *(pinger.ping(a, count=2, interval=0.01, wait=1.0) for a in ["::1", "127.0.0.1"] * 20)
    )
    assert all(r.packets_received == 2 for r in results)


async def test_it_resolves_names(pinger: Pinger) -> None:
    result = await pinger.ping("localhost", count=1, wait=1.0)
    assert result.address == "localhost"
    assert result.packets_received == 1


async def test_two_pingers_on_raw_sockets_ignore_each_others_replies() -> None:
    if _access() is not IcmpAccess.PRIVILEGED:
        pytest.skip("raw sockets only: ping sockets get only their own replies from the kernel")
    first, second = Pinger(privileged=True), Pinger(privileged=True)
    try:
        both = await asyncio.gather(
            *(p.ping("127.0.0.4", count=5, interval=0.01, wait=1.0) for p in (first, second))
        )
    finally:
        await first.close()
        await second.close()
    assert [r.packets_received for r in both] == [5, 5]
    # each socket saw (most of) the other's replies, and took none of them for its own
    assert first.stats.foreign >= 4
    assert second.stats.foreign >= 4
    assert first.stats.dropped == second.stats.dropped == 0


async def test_a_cancelled_ping_leaves_nothing_waiting(pinger: Pinger) -> None:
    task = asyncio.create_task(pinger.ping("127.0.0.1", count=10, interval=0.2, wait=1.0))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)  # a cancelled ping sends no more echoes
    assert pinger.in_flight == 0
    assert pinger.stats.sent == 1


async def test_closing_fails_the_waiting_pings_and_later_ones(pinger: Pinger) -> None:
    task = asyncio.create_task(pinger.ping("127.0.0.1", count=5, interval=0.2, wait=1.0))
    await asyncio.sleep(0.05)
    await pinger.close()
    with pytest.raises(IcmpClosedError):
        await task
    with pytest.raises(IcmpClosedError):
        await pinger.ping("127.0.0.1")


REFUSED = """
import asyncio
from sitekeeper.protocols.icmp import IcmpPermissionError, Pinger
async def main():
    try:
        await Pinger(privileged=True).ping("127.0.0.1")
    except IcmpPermissionError as err:
        print("refused:", err)
asyncio.run(main())
"""


async def test_a_refused_socket_is_a_permission_error() -> None:
    if os.geteuid() != 0 and _access() is not IcmpAccess.PRIVILEGED:
        with pytest.raises(IcmpPermissionError):
            await Pinger(privileged=True).ping("127.0.0.1")
        return
    # this process may open raw sockets: ask again without CAP_NET_RAW (still root, so the
    # checkout stays readable)
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs `setpriv` (util-linux) and root to drop CAP_NET_RAW")
    done = await asyncio.to_thread(
        subprocess.run,
        [
            setpriv,
            "--bounding-set=-net_raw",
            "--inh-caps=-net_raw",
            sys.executable,
            "-c",
            REFUSED,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused: the kernel refused an ICMP raw socket"), done.stdout


def in_own_namespace(mode: str, script: Path = NETNS_SCRIPT) -> dict[str, Any]:
    """Run a script in a new network namespace; skip where that is not possible."""
    if os.geteuid() != 0:
        pytest.skip("a network namespace of the test's own needs root")
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        pytest.skip("needs `unshare` (util-linux) and `ip` (iproute2)")
    done = subprocess.run(
        [unshare, "--net", sys.executable, str(script), mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_ping_sockets_are_refused_until_ping_group_range_allows_them() -> None:
    seen = in_own_namespace("ping")
    assert seen["before_allowed"] == "IcmpPermissionError"
    assert seen["answered"]["127.0.0.1"] == [3, 3]


@pytest.mark.parametrize("mode", ["ping", "raw"])
def test_each_kind_of_socket_answers_and_times_out(mode: str) -> None:
    seen = in_own_namespace(mode)
    assert seen["answered"] == {
        "127.0.0.1": [3, 3],
        "127.0.0.2": [3, 3],
        "127.9.8.7": [3, 3],
        "::1": [3, 3],
    }
    # loopback told to ignore echoes: every echo times out, and the ping ends soon after
    assert seen["silent"] == {"127.0.0.1": [2, 0], "::1": [2, 0]}
    assert 0.05 + 0.3 <= seen["silent_elapsed"] < 0.05 + 0.3 + SLACK
    assert seen["stats"]["timeouts"] == 4
    assert seen["stats"]["dropped"] == 0
    assert seen["in_flight"] == 0


@pytest.mark.parametrize("mode", ["ping", "raw"])
def test_only_the_right_token_answers_a_waiting_echo_and_never_late(mode: str) -> None:
    seen = in_own_namespace(mode, FORGED_SCRIPT)
    # replies with the echo's sequence number but a wrong salt or echo number: still waiting
    assert seen["waiting_after_wrong"] == 1
    assert seen["answered"] == [1, 1]
    # the reply to an echo that timed out, arriving after: not counted
    assert seen["timed_out"] == [1, 0]
    assert seen["in_flight"] == 0
    stats = seen["stats"]
    assert (stats["replies"], stats["timeouts"]) == (1, 1)
    assert stats["dropped"] == 4  # two wrong tokens, one duplicate, one late


async def test_it_matches_replies_across_many_echoes_of_one_ping(pinger: Pinger) -> None:
    # one ping's echoes share its packet (patched per echo) and its consecutive numbers
    result = await pinger.ping("127.0.0.5", count=300, interval=0, wait=2.0)
    assert result.packets_sent == result.packets_received == 300
    assert pinger.stats.replies == 300
    assert pinger.stats.dropped == 0


async def test_it_keeps_pings_with_different_intervals_and_waits_apart(pinger: Pinger) -> None:
    pings = [
        pinger.ping(f"127.0.{i}.1", count=3, interval=(0.0, 0.01, 0.03)[i % 3], wait=0.5 + i / 100)
        for i in range(60)
    ]
    results = await asyncio.gather(*pings)
    assert all(r.packets_sent == r.packets_received == 3 for r in results)
    assert pinger.stats.replies == 180
    assert pinger.in_flight == 0
