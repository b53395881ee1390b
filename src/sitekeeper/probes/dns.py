"""DNS probe: ask one server one question, the way a client on the site would.

The question goes straight to `spec.server` (default: the device, e.g. the router's
forwarder) with dnspython, never through the system resolver, so the answer is that
server's and nothing is cached in between. Over UDP a truncated reply is retried over TCP.
A NOERROR reply with no records of the type asked is not ok: the name did not resolve.
"""

from __future__ import annotations

import asyncio
import socket

import dns.asyncquery
import dns.exception
import dns.inet
import dns.message
import dns.rcode
import dns.rdata
import dns.rdatatype

from sitekeeper.checks.specs import DnsCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, elapsed_ms, resolve_port, timed_out
from sitekeeper.probes.base import ProbeContext, Target

_SHOWN = 500  # longest `answers` value kept (TXT records can be long)


def _text(rdata: dns.rdata.Rdata) -> str:
    """One answer as a user writes it in `expect`: no trailing dot, TXT without quotes."""
    strings = getattr(rdata, "strings", None)
    if isinstance(strings, tuple):
        return b"".join(strings).decode("utf-8", errors="replace")
    return rdata.to_text().rstrip(".")


def _norm(text: str) -> str:
    return text.rstrip(".").lower()


async def _ip_of(server: str, port: int) -> str:
    """dnspython needs an address; a server given by name is resolved once by the system."""
    if dns.inet.is_address(server):
        return server
    infos = await asyncio.get_running_loop().getaddrinfo(server, port, type=socket.SOCK_DGRAM)
    return str(infos[0][4][0])


async def _ask(
    query: dns.message.Message, where: str, port: int, spec: DnsCheck, budget: float
) -> dns.message.Message:
    if spec.protocol == "tcp":
        return await dns.asyncquery.tcp(query, where, timeout=budget, port=port)
    response, _ = await dns.asyncquery.udp_with_fallback(query, where, timeout=budget, port=port)
    return response


def _problem(spec: DnsCheck, rcode: dns.rcode.Rcode, answers: list[str]) -> str | None:
    if rcode == dns.rcode.NXDOMAIN:
        return f"NXDOMAIN: {spec.query} does not exist"
    if rcode != dns.rcode.NOERROR:
        return f"server answered {dns.rcode.to_text(rcode)}"
    if not answers:
        return f"no {spec.record_type} records for {spec.query}"
    found = {_norm(a) for a in answers}
    missing = [e for e in spec.expect if _norm(e) not in found]
    return f"missing expected answers: {', '.join(missing)}" if missing else None


async def probe(target: Target, spec: DnsCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    server = spec.server or target.address
    port = resolve_port(target, spec.port, spec.port_name) or 53
    budget = ctx.remaining()
    try:
        query = dns.message.make_query(spec.query, spec.record_type)
        async with asyncio.timeout(budget):
            where = await _ip_of(server, port)
            ctx.log(f"asking {where}:{port} over {spec.protocol}: {spec.query} {spec.record_type}")
            response = await _ask(query, where, port, spec, budget)
    except (TimeoutError, dns.exception.Timeout):
        waited = timed_out(budget, f"waiting for a DNS reply from {server}:{port}")
        return ctx.observation(target, ok=False, started=started, error=waited)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        return ctx.observation(target, ok=False, started=started, error=describe(err))
    latency = elapsed_ms(ctx, t0)
    rdtype = dns.rdatatype.from_text(spec.record_type)
    # Every rrset of the type asked: a CNAME chain ends in the records we want.
    answers = sorted(
        _text(rd) for rrset in response.answer if rrset.rdtype == rdtype for rd in rrset
    )
    values: dict[str, Value] = {
        "answers": ",".join(answers)[:_SHOWN],
        "answer_count": len(answers),
        "rcode": dns.rcode.to_text(response.rcode()),
    }
    error = _problem(spec, response.rcode(), answers)
    return ctx.observation(
        target, ok=error is None, started=started, latency_ms=latency, values=values, error=error
    )
