"""Faults as a prober sees them, on real sockets: refused, slow, silent, toggling."""

from __future__ import annotations

import asyncio
import itertools
import time

import dns.exception
import pytest
from labkit import converse, dns_query, http_get, refused

from sitekeeper.lab import Lab, UnknownDevice


async def test_failing_the_core_switch_takes_down_the_devices_behind_it(lab: Lab) -> None:
    await lab.fail("core-switch")
    assert await refused(*lab.endpoint("cam-1", "rtsp"))
    assert await refused(*lab.endpoint("core-switch", "http"))
    assert await refused(*lab.endpoint("nas", "smb"))
    status, _, _ = await http_get(*lab.endpoint("router", "https"), scheme="https")
    assert status == 200
    states = {d["id"]: d for d in lab.status()["devices"]}
    down = {k for k, d in states.items() if d["state"] == "down"}
    assert len(down) == 24  # the switch and the 23 behind it
    assert states["cam-1"]["cause"] == "core-switch"
    assert states["cam-1"]["fault"] is None
    assert states["core-switch"]["fault"] == {"mode": "failed"}


async def test_recovering_brings_the_children_back(lab: Lab) -> None:
    await lab.fail("core-switch")
    await lab.recover("core-switch")
    reply = await converse(
        *lab.endpoint("cam-1", "rtsp"), b"OPTIONS rtsp://c/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", "^RTSP"
    )
    assert "200 OK" in reply
    assert lab.status()["counts"] == {"up": 26, "degraded": 0, "down": 0}


async def test_a_child_that_failed_itself_stays_down_when_its_parent_recovers(lab: Lab) -> None:
    await lab.fail("cam-2")
    await lab.fail("poe-switch-1")
    await lab.recover("poe-switch-1")
    assert await refused(*lab.endpoint("cam-2", "http"))
    assert not await refused(*lab.endpoint("cam-1", "http"))
    await lab.recover("cam-2")
    assert not await refused(*lab.endpoint("cam-2", "http"))


async def test_a_failed_router_stops_answering_dns(lab: Lab) -> None:
    address, port = lab.endpoint("router", "dns")
    await lab.fail("router")
    with pytest.raises(dns.exception.Timeout):
        await dns_query(address, port, "lab.example", wait_s=0.5)
    assert await refused(address, port)


async def test_open_connections_are_cut_when_a_device_fails(lab: Lab) -> None:
    reader, writer = await asyncio.open_connection(*lab.endpoint("projector", "pjlink"))
    assert await reader.readuntil(b"\r") == b"PJLINK 0\r"
    await lab.fail("pdu")  # the projector's power
    try:
        assert await asyncio.wait_for(reader.read(100), 2.0) == b""
    except ConnectionResetError:
        pass
    finally:
        writer.close()
        await writer.wait_closed()


async def test_degrading_delays_every_reply(lab: Lab) -> None:
    _, _, fast = await http_get(*lab.endpoint("ap-1", "http"))
    await lab.degrade("ap-1", latency_ms=300)
    status, _, slow = await http_get(*lab.endpoint("ap-1", "http"))
    assert status == 200
    assert slow >= 0.3 > fast
    started = time.perf_counter()
    await converse(*lab.endpoint("lighting", "control"), None, "login: ")
    assert time.perf_counter() - started < 0.3  # only ap-1 and what is behind it


async def test_https_pays_the_latency_once_per_connection(lab: Lab) -> None:
    await lab.degrade("codec", latency_ms=500)
    status, _, seconds = await http_get(*lab.endpoint("codec", "https"), scheme="https")
    assert status == 200
    assert 0.5 <= seconds < 0.95  # not twice: once before the handshake, none after


async def test_a_redirect_pays_it_again(lab: Lab) -> None:
    await lab.degrade("router", latency_ms=300)
    status, body, seconds = await http_get(*lab.endpoint("router", "https"), scheme="https")
    assert (status, "Sign in" in body) == (200, True)
    assert seconds >= 0.6  # / answers 302 to /login: two requests


async def test_degrading_a_switch_slows_what_is_behind_it(lab: Lab) -> None:
    await lab.degrade("poe-switch-2", latency_ms=250)
    started = time.perf_counter()
    await converse(*lab.endpoint("projector", "pjlink"), None, "^PJLINK 0")
    assert time.perf_counter() - started >= 0.25
    assert lab.device_status("projector")["state"] == "degraded"
    assert lab.device_status("projector")["cause"] == "poe-switch-2"


async def test_degraded_dns_replies_late(lab: Lab) -> None:
    await lab.degrade("router", latency_ms=200)
    started = time.perf_counter()
    assert await dns_query(*lab.endpoint("router", "dns"), "lab.example")
    assert time.perf_counter() - started >= 0.2


async def test_total_loss_accepts_but_never_answers(lab: Lab) -> None:
    await lab.degrade("nvr", latency_ms=0, loss_pct=100)
    assert not await refused(*lab.endpoint("nvr", "http"))  # the connect still succeeds
    with pytest.raises(TimeoutError):
        await http_get(*lab.endpoint("nvr", "http"), wait_s=0.5)


async def test_lossy_dns_drops_queries(lab: Lab) -> None:
    await lab.degrade("router", latency_ms=0, loss_pct=100)
    with pytest.raises(dns.exception.Timeout):
        await dns_query(*lab.endpoint("router", "dns"), "lab.example", wait_s=0.5)


async def test_partial_loss_fails_some_requests_and_not_others(lab: Lab) -> None:
    await lab.degrade("ap-2", latency_ms=0, loss_pct=50)
    results = await asyncio.gather(
        *(http_get(*lab.endpoint("ap-2", "http"), wait_s=0.3) for _ in range(24)),
        return_exceptions=True,
    )
    lost = [r for r in results if isinstance(r, TimeoutError)]
    answered = [r for r in results if isinstance(r, tuple) and r[0] == 200]
    assert len(lost) + len(answered) == 24
    assert lost
    assert answered


async def test_flapping_toggles_until_recovered(lab: Lab) -> None:
    await lab.flap("cam-4", period_s=0.3)
    address, port = lab.endpoint("cam-4", "rtsp")
    seen = [await refused(address, port)]
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and sum(a != b for a, b in itertools.pairwise(seen)) < 3:
        await asyncio.sleep(0.05)
        seen.append(await refused(address, port))
    assert seen[0] is True  # down at once
    assert sum(a != b for a, b in itertools.pairwise(seen)) >= 3
    await lab.recover("cam-4")
    await asyncio.sleep(0.4)
    assert not await refused(address, port)
    assert lab.device_status("cam-4")["fault"] is None


async def test_a_new_fault_replaces_the_old_one(lab: Lab) -> None:
    await lab.flap("shades", period_s=0.2)
    result = await lab.degrade("shades", latency_ms=10)
    assert result["fault"] == {"mode": "degraded", "latency_ms": 10, "loss_pct": 0}
    await asyncio.sleep(0.3)
    assert not await refused(*lab.endpoint("shades", "control"))


async def test_recover_all_clears_every_fault(lab: Lab) -> None:
    await lab.fail("ups")
    await lab.flap("cam-1", 0.2)
    await lab.degrade("nas", 50)
    status = await lab.recover_all()
    assert status["counts"] == {"up": 26, "degraded": 0, "down": 0}
    assert not await refused(*lab.endpoint("router", "dns"))


async def test_an_unknown_device_is_named_with_the_valid_ids(lab: Lab) -> None:
    with pytest.raises(UnknownDevice, match=r"'cam-9'; valid ids: router, ups, pdu"):
        await lab.fail("cam-9")
