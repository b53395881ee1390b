"""HTTP probe: one request, then the status, body and JSON checks.

A plain GET or HEAD over http:// to an IP address goes through the small HTTP/1.1 client
(`_http1`), which costs about half of aiohttp's CPU per check; every other request (https,
POST, host names, a redirect to follow) goes through aiohttp on the shared sessions. Both
report the same values for the same reply. The body is read up to BODY_CAP (after
decompression), so a hostile or broken device cannot exhaust the collector's memory; what
lies beyond the cap is not judged. Latency thresholds (`warn_latency_ms`) are the engine's
business: this probe reports `latency_ms` and stops.
"""

from __future__ import annotations

import asyncio
import re

import aiohttp

from sitekeeper.checks.specs import HttpCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes import _http1
from sitekeeper.probes._cert import CertUnreadable, read_cert
from sitekeeper.probes._common import describe, elapsed_ms, fill, resolve_port, timed_out, url_host
from sitekeeper.probes._http1_parse import BadReply, ReplyParser
from sitekeeper.probes._json import judge_json
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.http import PeerCertResponse, read_capped

BODY_CAP = 1024 * 1024
_SCHEME_PORTS = {"http": 80, "https": 443}
REDIRECT_MEMORY = 4096  # URLs known to redirect, sent straight to aiohttp
_WHERE_TO = {"location", "uri"}  # the headers aiohttp follows a redirect by
_REDIRECTED: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first


def build_url(target: Target, spec: HttpCheck) -> str:
    """`spec.url` with placeholders filled, else scheme://address:port/path."""
    port = resolve_port(target, spec.port, spec.port_name) or _SCHEME_PORTS[spec.scheme]
    if spec.url:
        return fill(spec.url, target.address, port)
    shown_port = "" if port == _SCHEME_PORTS[spec.scheme] else f":{port}"
    return f"{spec.scheme}://{url_host(target.address)}{shown_port}{spec.path}"


def _tls_days(response: aiohttp.ClientResponse, now: float, ctx: ProbeContext) -> float | None:
    """Days to expiry of the certificate the server presented, when it presented one."""
    der = response.peer_cert_der if isinstance(response, PeerCertResponse) else None
    if der is None:
        return None
    try:
        return read_cert(der).days_left(now)
    except CertUnreadable as err:
        ctx.log(f"certificate not read: {err}")
        return None


def _status_problem(spec: HttpCheck, status: int) -> str | None:
    if spec.expect_status:
        if status in spec.expect_status:
            return None
        wanted = " or ".join(str(s) for s in spec.expect_status)
        return f"expected status {wanted}, got {status}"
    return None if 200 <= status < 400 else f"expected a 2xx or 3xx status, got {status}"


def judge(
    spec: HttpCheck, status: int, body: bytes, truncated: bool
) -> tuple[list[str], Value | None]:
    """What is wrong with the reply (empty when all is well), and the JSON value if asked."""
    problems = [p for p in [_status_problem(spec, status)] if p]
    wanted = spec.body_contains, spec.body_regex, spec.json_field
    text = body.decode("utf-8", errors="replace") if wanted != (None, None, None) else ""
    if spec.body_contains is not None and spec.body_contains not in text:
        problems.append(f'body does not contain "{spec.body_contains}"')
    if spec.body_regex is not None and not re.search(spec.body_regex, text, re.MULTILINE):
        problems.append(f'body does not match "{spec.body_regex}"')
    json_value: Value | None = None
    if spec.json_field is not None:
        if truncated:
            problems.append(f"body larger than {BODY_CAP // 1024} KiB; not read as JSON")
        else:
            json_value, problem = judge_json(text, spec.json_field, spec.json_equals)
            problems += [problem] if problem else []
    return problems, json_value


async def probe(target: Target, spec: HttpCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    details: dict[str, Value] = {}
    try:
        url = build_url(target, spec)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        return _observed(ctx, target, started, [describe(err)], {}, details)
    details["url"] = url
    ctx.log(f"{spec.method} {url}")
    simple = None if url in _REDIRECTED else _http1.route(spec, url)
    if simple is not None:
        outcome = await _small(simple, spec, ctx, t0, details)
        if outcome is not None:
            problems, values = outcome
            return _observed(ctx, target, started, problems, values, details)
        ctx.log("redirected: following it with the full client")
        _remember_redirect(url)
        t0 = ctx.clock.monotonic()  # latency is that of the request that is reported
    problems, values = await _full(url, spec, ctx, t0, details)
    return _observed(ctx, target, started, problems, values, details)


def _observed(
    ctx: ProbeContext,
    target: Target,
    started: float,
    problems: list[str],
    values: dict[str, Value],
    details: dict[str, Value],
) -> Observation:
    latency = values.get("latency_ms")
    return ctx.observation(
        target,
        ok=not problems,
        started=started,
        latency_ms=latency if isinstance(latency, float) else None,
        values=values,
        error="; ".join(problems) or None,
        details=details,
    )


def _remember_redirect(url: str) -> None:
    """A URL that answered with a redirect goes to aiohttp from now on (it follows them);
    bounded, oldest forgotten first."""
    _REDIRECTED[url] = None
    if len(_REDIRECTED) > REDIRECT_MEMORY:
        del _REDIRECTED[next(iter(_REDIRECTED))]


Outcome = tuple[list[str], dict[str, Value]]


async def _small(
    route: _http1.Route, spec: HttpCheck, ctx: ProbeContext, t0: float, details: dict[str, Value]
) -> Outcome | None:
    """A plain GET/HEAD through the small client; None when the reply is a redirect that
    should be followed (the caller hands the check to aiohttp)."""
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    parser = ReplyParser(body_cap=BODY_CAP, head_only=route.head_only)
    try:
        async with asyncio.timeout(budget):
            reply = await _http1.fetch(route, body_cap=BODY_CAP, parser=parser)
    except TimeoutError:
        if parser.head_done:
            values["http_status"] = parser.reply.status
        stage = "reading the body" if parser.head_done else "waiting for the response"
        return [timed_out(budget, stage)], values
    except _http1.ServerDisconnected:
        return ["server disconnected without a response"], values
    except BadReply as err:
        return [f"bad HTTP response: {err}"], values
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        return [describe(err)], values
    headers = reply.headers
    if spec.follow_redirects and reply.status in _http1.REDIRECTS and headers.keys() & _WHERE_TO:
        return None
    values["http_status"] = reply.status
    values["latency_ms"] = elapsed_ms(ctx, t0)
    values["body_bytes"] = len(reply.body)
    details["truncated"] = reply.truncated
    problems, json_value = judge(spec, reply.status, bytes(reply.body), reply.truncated)
    if json_value is not None:
        values["json_value"] = json_value
    return problems, values


async def _full(
    url: str, spec: HttpCheck, ctx: ProbeContext, t0: float, details: dict[str, Value]
) -> Outcome:
    """Any request, through aiohttp on the shared sessions."""
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    stage = "waiting for the response"
    try:
        session = ctx.http.get(verify_tls=spec.verify_tls)
        async with (
            asyncio.timeout(budget),
            session.request(
                spec.method,
                url,
                headers=spec.headers,
                data=spec.body.encode("utf-8") if spec.body is not None else None,
                allow_redirects=spec.follow_redirects,
                timeout=aiohttp.ClientTimeout(total=None),  # the deadline above governs
            ) as response,
        ):
            values["http_status"] = response.status
            if str(response.url) != url:
                details["final_url"] = str(response.url)
            days = _tls_days(response, ctx.clock.now(), ctx)
            if days is not None:
                values["tls_days_to_expiry"] = days
            stage = "reading the body"
            body, truncated = await read_capped(response.content, BODY_CAP)
        values["latency_ms"] = elapsed_ms(ctx, t0)
        values["body_bytes"] = len(body)
        details["truncated"] = truncated
        problems, json_value = judge(spec, response.status, body, truncated)
        if json_value is not None:
            values["json_value"] = json_value
    except TimeoutError:
        problems = [timed_out(budget, stage)]
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        problems = [describe(err)]
    return problems, values
