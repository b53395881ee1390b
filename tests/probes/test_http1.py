"""The small HTTP/1.1 client behind the http probe, against raw servers on loopback that
send replies byte for byte, and next to aiohttp for the same replies."""

from __future__ import annotations

import gzip
import time
from typing import Any

import pytest

from sitekeeper.checks.specs import HttpCheck
from sitekeeper.probes import _http1, http
from sitekeeper.probes._http1_parse import HEAD_CAP, BadReply, ReplyParser
from sitekeeper.probes.base import Target

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK, Listeners, answer, hang

BODY = b"hello from a device\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"6;ext=1\r\nhello \r\n0e\r\nfrom a device\n\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
TO_CLOSE = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + BODY
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"


def at(port: int) -> Target:
    return Target(check_id=3, address=LOOPBACK, port=port, name="dvr")


def check(**fields: Any) -> HttpCheck:
    return HttpCheck(path=fields.pop("path", "/status"), **fields)


def test_it_takes_plain_get_and_head_to_ip_literals_only() -> None:
    url = "http://10.0.0.2:8080/x y?q=1#top"
    simple = _http1.route(check(), url)
    assert simple is not None
    assert simple.request.startswith(b"GET /x%20y?q=1 HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n")
    assert (simple.host, simple.port, simple.head_only) == ("10.0.0.2", 8080, False)
    assert _http1.route(check(method="HEAD"), "http://[fd00::7]/") is not None
    assert _http1.route(check(headers={"X-Token": "abc"}), url) is not None
    for spec, other in [
        (check(), "https://10.0.0.2/"),
        (check(), "http://nas.example.test/"),
        (check(), "http://admin:secret@10.0.0.2/"),
        (check(method="POST", body="x"), url),
        (check(headers={"Connection": "keep-alive"}), url),
        (check(headers={"X-Bad": "a\r\nInjected: 1"}), url),
        (check(), "http://10.0.0.2:port/"),
    ]:
        assert _http1.route(spec, other) is None, (spec, other)


async def test_it_sends_one_plain_request_with_the_checks_headers(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    requests: list[bytes] = []
    port = await listeners.tcp(answer(OK, requests=requests))
    spec = check(path="/a b?q=1", headers={"X-Token": "abc", "user-agent": "probe"})
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error
    lines = requests[0].decode().split("\r\n")
    assert lines[0] == "GET /a%20b?q=1 HTTP/1.1"
    assert f"Host: {LOOPBACK}:{port}" in lines
    assert "X-Token: abc" in lines
    assert "user-agent: probe" in lines
    assert "Connection: close" in lines


@pytest.mark.parametrize(
    ("reply", "size"), [(OK, len(BODY)), (CHUNKED, len(BODY)), (TO_CLOSE, len(BODY))]
)
async def test_it_reads_each_framing_of_a_body(
    listeners: Listeners, make_ctx: MakeCtx, reply: bytes, size: int
) -> None:
    port = await listeners.tcp(answer(reply, then="hold" if reply != TO_CLOSE else "close"))
    obs = await http.probe(at(port), check(body_contains="from a device"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["http_status"] == 200
    assert obs.values["body_bytes"] == size
    assert obs.details["truncated"] is False


async def test_it_reports_a_404(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.tcp(answer(NOT_FOUND))
    obs = await http.probe(at(port), check(), make_ctx())
    assert obs.ok is False
    assert obs.error == "expected a 2xx or 3xx status, got 404"
    assert obs.values["http_status"] == 404
    assert obs.values["body_bytes"] == 9


async def test_it_reports_a_missing_keyword_and_matches_a_regex(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(answer(CHUNKED))
    missing = await http.probe(at(port), check(body_contains="recording"), make_ctx())
    matched = await http.probe(at(port), check(body_regex=r"^hello from"), make_ctx())
    assert missing.error == 'body does not contain "recording"'
    assert matched.ok is True, matched.error


async def test_it_reads_a_head_reply_without_a_body(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
    port = await listeners.tcp(answer(reply, then="hold"))
    obs = await http.probe(at(port), check(method="HEAD"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["body_bytes"] == 0


async def test_it_decodes_a_gzip_body_it_did_not_ask_for(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    packed = gzip.compress(BODY)
    reply = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
        len(packed),
        packed,
    )
    port = await listeners.tcp(answer(reply))
    obs = await http.probe(at(port), check(body_contains="a device"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["body_bytes"] == len(BODY)


async def test_it_keeps_at_most_the_cap_of_a_huge_body(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    size = http.BODY_CAP + 100_000
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    port = await listeners.tcp(answer(reply))
    obs = await http.probe(at(port), check(), make_ctx(5.0))
    assert obs.ok is True, obs.error
    assert obs.values["body_bytes"] == http.BODY_CAP
    assert obs.details["truncated"] is True


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"HTTP/1.1 OK\r\n\r\n", 'bad HTTP response: malformed status line "HTTP/1.1 OK"'),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "bad HTTP response: malformed status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "bad HTTP response: malformed header"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabc",
            'bad HTTP response: invalid Content-Length "3, 4"',
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            'bad HTTP response: malformed chunk size "zz"',
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
            "bad HTTP response: connection closed after 3 of 10 body bytes",
        ),
        (b"HTTP/1.1 200 OK\r\nX-A: 1", "bad HTTP response: connection closed in the middle"),
        (b"", "server disconnected without a response"),
    ],
)
async def test_it_reports_a_broken_reply_clearly(
    listeners: Listeners, make_ctx: MakeCtx, reply: bytes, error: str
) -> None:
    port = await listeners.tcp(answer(reply))
    obs = await http.probe(at(port), check(), make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith(error)


async def test_it_refuses_headers_past_the_cap(listeners: Listeners, make_ctx: MakeCtx) -> None:
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"y" * 100) for i in range(HEAD_CAP // 100))
    port = await listeners.tcp(answer(b"HTTP/1.1 200 OK\r\n" + filler, then="hold"))
    obs = await http.probe(at(port), check(), make_ctx())
    assert obs.error == "bad HTTP response: response headers larger than 64 KiB"


async def test_it_reports_a_connection_reset_mid_reply(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"
    port = await listeners.tcp(answer(reply, then="reset"))
    obs = await http.probe(at(port), check(), make_ctx())
    assert obs.ok is False
    assert obs.error == "connection reset by peer"


async def test_it_times_out_waiting_for_the_reply_and_for_the_body(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    silent = await listeners.tcp(hang())
    stalled = await listeners.tcp(
        answer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", then="hold")
    )
    begun = time.monotonic()
    no_reply = await http.probe(at(silent), check(), make_ctx(0.5))
    assert time.monotonic() - begun < 0.5 + SLACK
    no_body = await http.probe(at(stalled), check(), make_ctx(0.5))
    assert no_reply.error == "timed out after 0.5s waiting for the response"
    assert no_body.error == "timed out after 0.5s reading the body"
    assert no_body.values["http_status"] == 200


async def test_it_waits_for_a_slow_reply_inside_the_deadline(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(answer(OK, delay=0.3))
    obs = await http.probe(at(port), check(), make_ctx(2.0))
    assert obs.ok is True, obs.error


@pytest.mark.parametrize("reply", [OK, CHUNKED, TO_CLOSE, NOT_FOUND])
async def test_it_reports_what_aiohttp_reports_for_the_same_reply(
    listeners: Listeners, make_ctx: MakeCtx, reply: bytes
) -> None:
    port = await listeners.tcp(answer(reply))
    spec = check(body_contains="device")
    small = await http.probe(at(port), spec, make_ctx())
    # the same check with a header the small client leaves to aiohttp
    full = await http.probe(at(port), check(body_contains="device", headers={"TE": ""}), make_ctx())
    assert small.ok == full.ok
    assert small.error == full.error
    assert small.details == full.details
    drop = {"latency_ms"}
    assert {k: v for k, v in small.values.items() if k not in drop} == {
        k: v for k, v in full.values.items() if k not in drop
    }


async def test_it_hands_a_redirect_to_aiohttp_and_remembers_it(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    url = f"http://{LOOPBACK}:{port}/redirect"
    first = await http.probe(at(port), check(path="/redirect"), make_ctx())
    again = await http.probe(at(port), check(path="/redirect"), make_ctx())
    assert first.ok is True, first.error
    assert first.details["final_url"] == f"http://{LOOPBACK}:{port}/ok"
    assert "redirected: following it with the full client" in first.log
    assert "redirected: following it with the full client" not in again.log
    assert again.details["final_url"] == first.details["final_url"]
    assert url in http._REDIRECTED


def test_the_parser_skips_interim_replies_and_stops_at_the_last_chunk() -> None:
    parser = ReplyParser(body_cap=100)
    assert parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n") is False
    assert parser.feed(b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r") is False
    assert parser.feed(b"\n0\r\n") is True
    assert parser.reply.status == 200
    assert bytes(parser.reply.body) == b"abc"


def test_the_parser_rejects_a_chunk_longer_than_its_size() -> None:
    parser = ReplyParser(body_cap=100)
    parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(BadReply, match="chunk data longer than its size"):
        parser.feed(b"2\r\nabc\r\n")
