"""The tcp probe against real listeners on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Iterator

import pytest

from sitekeeper.checks.specs import TcpCheck
from sitekeeper.probes import tcp
from sitekeeper.probes._common import fill, printable, unescape
from sitekeeper.probes._expiry import expiry
from sitekeeper.probes._writable import writable_watcher
from sitekeeper.probes.base import Target

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK, SLOW, Listeners, hang, rtsp, say

# a banner check and a request/reply check, as an inventory would write them for devices
# without a protocol probe of their own
PJLINK = {"type": "tcp", "name": "pjlink", "port_name": "pjlink", "expect": r"^PJLINK [01]"}
RTSP = {
    "type": "tcp",
    "name": "rtsp",
    "port_name": "rtsp",
    "send": "OPTIONS rtsp://{address}:{port}/ RTSP/1.0\\r\\nCSeq: 1\\r\\n\\r\\n",
    "expect": r"^RTSP/1\.0 ",
}


def at(port: int | None) -> Target:
    return Target(check_id=1, address=LOOPBACK, port=port, name="dev")


async def test_it_reports_connect_time_when_the_port_accepts(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    obs = await tcp.probe(at(port), TcpCheck(port=port), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.error is None
    assert isinstance(obs.values["connect_ms"], float)
    assert "banner" not in obs.values


async def test_it_reports_refused_connection(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await tcp.probe(at(closed_port), TcpCheck(port=closed_port), make_ctx())
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_it_matches_a_pjlink_banner(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.tcp(say(b"PJLINK 0\r"))
    obs = await tcp.probe(at(port), TcpCheck.model_validate(PJLINK), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["banner"] == "PJLINK 0\\r"


async def test_it_reports_a_banner_that_does_not_match(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"SSH-2.0-OpenSSH_9.2\r\n", then_close=True))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect=r"^PJLINK [01]"), make_ctx())
    assert obs.ok is False
    assert obs.error == r'expected a reply matching "^PJLINK [01]", got "SSH-2.0-OpenSSH_9.2\r\n"'
    assert obs.values["banner"] == "SSH-2.0-OpenSSH_9.2\\r\\n"


async def test_it_times_out_at_the_deadline_when_the_server_never_speaks(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    begun = time.monotonic()
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^SSH-"), make_ctx(0.5))
    assert time.monotonic() - begun < 0.5 + SLACK
    assert obs.ok is False
    assert obs.error == "timed out after 0.5s waiting for banner"
    assert "connect_ms" in obs.values


async def test_it_waits_for_a_slow_banner_inside_the_deadline(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"SSH-2.0-slow\r\n", delay=SLOW))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^SSH-"), make_ctx(2.0))
    assert obs.ok is True, obs.error


async def test_it_shows_what_arrived_before_the_deadline(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"login: "))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^SSH-"), make_ctx(0.5))
    assert obs.ok is False
    assert obs.error == "timed out after 0.5s waiting for banner"
    assert obs.values["banner"] == "login: "


async def test_it_speaks_rtsp_with_the_address_and_port_filled_in(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    requests: list[bytes] = []
    port = await listeners.tcp(rtsp(requests))
    obs = await tcp.probe(at(port), TcpCheck.model_validate(RTSP), make_ctx())
    assert obs.ok is True, obs.error
    assert requests == [f"OPTIONS rtsp://{LOOPBACK}:{port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode()]
    assert str(obs.values["banner"]).startswith("RTSP/1.0 200 OK\\r\\n")


async def test_it_reports_a_peer_that_closes_without_a_word(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"", then_close=True))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^SSH-"), make_ctx())
    assert obs.ok is False
    assert obs.error == 'connection closed before a reply matching "^SSH-" arrived'


async def test_it_stops_reading_at_the_cap_from_a_flooding_peer(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"x" * (200 * 1024)))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^SSH-"), make_ctx(5.0))
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith('expected a reply matching "^SSH-", got "xxx')
    assert obs.values["banner"] == "x" * 200


async def test_it_rejects_a_self_signed_certificate_when_verifying(
    listeners: Listeners, make_ctx: MakeCtx, self_signed_tls: ssl.SSLContext
) -> None:
    port = await listeners.tcp(say(b"PJLINK 0\r"), tls=self_signed_tls)
    spec = TcpCheck(port=port, tls=True, expect="^PJLINK")
    obs = await tcp.probe(at(port), spec, make_ctx())
    assert obs.ok is False
    assert obs.error == "TLS certificate verify failed: self-signed certificate"


async def test_it_talks_tls_to_a_self_signed_peer_when_not_verifying(
    listeners: Listeners, make_ctx: MakeCtx, self_signed_tls: ssl.SSLContext
) -> None:
    port = await listeners.tcp(say(b"PJLINK 0\r"), tls=self_signed_tls)
    spec = TcpCheck(port=port, tls=True, verify_tls=False, expect="^PJLINK")
    obs = await tcp.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["banner"] == "PJLINK 0\\r"


async def test_it_uses_the_spec_port_when_the_target_has_none(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    obs = await tcp.probe(at(None), TcpCheck(port=port), make_ctx())
    assert obs.ok is True, obs.error


async def test_it_cannot_tell_without_a_port(make_ctx: MakeCtx) -> None:
    obs = await tcp.probe(at(None), TcpCheck(port_name="no-such-service"), make_ctx())
    assert obs.ok is None
    assert obs.error is not None
    assert "no-such-service" in obs.error


async def test_it_reports_a_bad_regex_instead_of_raising(make_ctx: MakeCtx) -> None:
    spec = TcpCheck.model_construct(port=1, expect="(", send=None, tls=False)
    obs = await tcp.probe(at(1), spec, make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith('invalid regex "(":')


async def test_it_keeps_debug_lines_for_check_run(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.tcp(say(b"PJLINK 0\r"))
    obs = await tcp.probe(at(port), TcpCheck(port=port, expect="^PJLINK"), make_ctx())
    assert obs.log[0] == f"connecting to {LOOPBACK}:{port}"


def test_it_unescapes_what_yaml_leaves_literal() -> None:
    assert unescape(r"A\r\nB\tC\\D\x41\0") == "A\r\nB\tC\\DA\0"
    assert unescape(r"caf\u00e9 é \q") == r"caf\u00e9 é \q"


def test_it_fills_placeholders_and_brackets_ipv6() -> None:
    assert fill("rtsp://{address}:{port}/ {x}", "10.0.0.5", 554) == "rtsp://10.0.0.5:554/ {x}"
    assert fill("rtsp://{address}:{port}/", "fe80::1", 554) == "rtsp://[fe80::1]:554/"


def test_it_shows_control_characters_escaped() -> None:
    assert printable(b"OK\r\n\x00\xff") == "OK\\r\\n\\x00\ufffd"
    assert printable(b"y" * 500) == "y" * 200


async def test_it_lets_cancellation_through(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.tcp(hang())
    task = asyncio.ensure_future(tcp.probe(at(port), TcpCheck(port=port, expect="^x"), make_ctx()))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- the connect-only path: a check that sends and expects nothing -------------------------


async def test_a_connect_only_check_reports_the_connect_as_latency(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"SSH-2.0-banner nobody reads\r\n"))
    obs = await tcp.probe(at(port), TcpCheck(port=port), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.latency_ms == obs.values["connect_ms"]
    assert set(obs.values) == {"connect_ms"}
    assert obs.log == (f"connecting to {LOOPBACK}:{port}",)


async def test_a_connect_only_check_resolves_a_host_name(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    target = Target(check_id=1, address="localhost", port=port, name="dev")
    obs = await tcp.probe(target, TcpCheck(port=port), make_ctx())
    assert obs.ok is True, obs.error


async def test_a_connect_only_check_reports_a_name_that_does_not_resolve(
    make_ctx: MakeCtx,
) -> None:
    target = Target(check_id=1, address="no-such-host.invalid", port=80, name="dev")
    obs = await tcp.probe(target, TcpCheck(port=80), make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith("cannot resolve the address")


async def test_a_connect_only_check_leaves_no_watch_behind(
    listeners: Listeners, closed_port: int, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    for _ in range(50):
        assert (await tcp.probe(at(port), TcpCheck(port=port), make_ctx())).ok is True
        assert (
            await tcp.probe(at(closed_port), TcpCheck(port=closed_port), make_ctx())
        ).ok is False
    assert len(expiry()) == 0 and watching() == 0


def watching() -> int:
    """Sockets the loop's shared writability watcher still waits for."""
    watcher = writable_watcher(asyncio.get_running_loop())
    return len(getattr(watcher, "_waiting", ()))


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops further SYNs, so a connect
    hangs until its deadline (the loopback stand-in for a host that does not answer)."""
    server = socket.socket()
    held: list[socket.socket] = []
    try:
        server.bind((LOOPBACK, 0))
        server.listen(0)
        port = server.getsockname()[1]
        for _ in range(3):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex((LOOPBACK, port))
            held.append(client)
        yield port
    finally:
        for s in [*held, server]:
            s.close()


async def test_a_connect_that_gets_no_answer_times_out_at_the_deadline_and_the_next_works(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    open_port = await listeners.tcp(hang())
    with full_backlog() as port:
        await asyncio.sleep(0.05)  # the queued connects settle
        t0 = time.monotonic()
        obs = await tcp.probe(at(port), TcpCheck(port=port, timeout=0.3), make_ctx(0.3))
        took = time.monotonic() - t0
    assert obs.ok is False
    assert obs.error == "timed out after 0.3s connecting"
    assert 0.28 <= took < 0.3 + SLACK, took
    # the timed-out socket left the watcher's set (unregistered before it was closed); its
    # descriptor number is free again, and used by the next check
    assert (await tcp.probe(at(open_port), TcpCheck(port=open_port), make_ctx())).ok is True
    assert watching() == 0 and len(expiry()) == 0


async def test_many_connect_only_checks_at_once_all_answer(
    listeners: Listeners, closed_port: int, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    checks = [
        tcp.probe(at(p), TcpCheck(port=p), make_ctx()) for p in [port] * 300 + [closed_port] * 100
    ]
    results = await asyncio.gather(*checks)
    assert [o.ok for o in results] == [True] * 300 + [False] * 100
    assert watching() == 0
