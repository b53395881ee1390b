"""The dns probe against a tiny DNS server on loopback (UDP and TCP)."""

from __future__ import annotations

import time

from sitekeeper.checks.specs import DnsCheck
from sitekeeper.probes import dns
from sitekeeper.probes.base import Target

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK, Listeners, dns_over_tcp


def at(port: int | None, address: str = LOOPBACK) -> Target:
    return Target(check_id=3, address=address, port=port, name="router")


async def test_it_lists_the_a_records_sorted(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.dns_udp()
    obs = await dns.probe(at(port), DnsCheck(query="cam.site.test"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values == {"answers": "10.0.0.1,10.0.0.2", "answer_count": 2, "rcode": "NOERROR"}
    assert obs.latency_ms is not None


async def test_it_reports_a_name_that_does_not_exist(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    obs = await dns.probe(at(port), DnsCheck(query="nope.site.test"), make_ctx())
    assert obs.ok is False
    assert obs.error == "NXDOMAIN: nope.site.test does not exist"
    assert obs.values["rcode"] == "NXDOMAIN"
    assert obs.values["answer_count"] == 0


async def test_it_reports_a_server_failure(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.dns_udp()
    obs = await dns.probe(at(port), DnsCheck(query="broken.site.test"), make_ctx())
    assert obs.ok is False
    assert obs.error == "server answered SERVFAIL"


async def test_it_times_out_at_the_deadline_when_no_reply_comes(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    begun = time.monotonic()
    obs = await dns.probe(at(port), DnsCheck(query="silent.site.test"), make_ctx(0.5))
    assert time.monotonic() - begun < 0.5 + SLACK
    assert obs.ok is False
    assert obs.error == f"timed out after 0.5s waiting for a DNS reply from {LOOPBACK}:{port}"


async def test_it_waits_for_a_slow_reply_inside_the_deadline(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    obs = await dns.probe(at(port), DnsCheck(query="slow.site.test"), make_ctx(2.0))
    assert obs.ok is True, obs.error
    assert obs.values["answers"] == "10.0.0.3"


async def test_it_reports_expected_answers_that_are_missing(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    spec = DnsCheck(query="cam.site.test", expect=("10.0.0.1", "10.0.0.9"))
    obs = await dns.probe(at(port), spec, make_ctx())
    assert obs.ok is False
    assert obs.error == "missing expected answers: 10.0.0.9"


async def test_it_accepts_answers_that_include_every_expected_one(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    spec = DnsCheck(query="cam.site.test", expect=("10.0.0.2",))
    obs = await dns.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error


async def test_it_asks_the_configured_server_rather_than_the_device(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.dns_udp()
    spec = DnsCheck(query="cam.site.test", server=LOOPBACK)
    obs = await dns.probe(at(port, address="127.0.0.2"), spec, make_ctx())
    assert obs.ok is True, obs.error


async def test_it_asks_over_tcp_when_told_to(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.tcp(dns_over_tcp())
    spec = DnsCheck(query="cam.site.test", protocol="tcp")
    obs = await dns.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["answer_count"] == 2


async def test_it_reports_refused_connection_over_tcp(closed_port: int, make_ctx: MakeCtx) -> None:
    spec = DnsCheck(query="cam.site.test", protocol="tcp")
    obs = await dns.probe(at(closed_port), spec, make_ctx())
    assert obs.ok is False
    assert obs.error == "connection refused"
