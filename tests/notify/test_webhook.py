"""The webhook notifier against a real aiohttp receiver on loopback."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from sitekeeper.clock import FakeClock
from sitekeeper.notify.base import Destination, SendContext, TransportError
from sitekeeper.notify.messages import render
from sitekeeper.notify.webhook import WebhookNotifier, parse_retry_after
from sitekeeper.protocols.http import HttpSessions

from .conftest import Receiver, incident_payload

SECRET = "s3cret-signing-key"
notifier = WebhookNotifier()


def channel(url: str) -> Destination:
    return Destination(id=1, name="ops", kind="webhook", target=url, secret=SECRET)


@pytest.fixture
def ctx(http: HttpSessions, clock: FakeClock) -> SendContext:
    return SendContext(http=http, clock=clock, timeout=5.0)


async def test_it_posts_signed_json_with_an_idempotency_key(
    receiver: Receiver, ctx: SendContext
) -> None:
    message = render("opened", incident_payload(), "incident:12:opened:channel:1")
    await notifier.send(channel(receiver.url), message, ctx)
    [got] = receiver.calls
    assert got.signature_ok(SECRET)
    assert not got.signature_ok("another secret")
    assert got.headers["Idempotency-Key"] == "incident:12:opened:channel:1"
    assert got.headers["X-Sitekeeper-Timestamp"] == str(int(ctx.clock.now()))
    assert got.headers["X-Sitekeeper-Event"] == "opened"
    body = got.json
    assert body["event"] == "opened"
    assert body["incident"]["root"]["key"] == "core-switch"
    assert body["title"].startswith("DOWN: core switch at Harbour View Dental")
    assert body["timestamp"] == int(ctx.clock.now())  # signed, so a receiver can refuse old ones
    assert body["idempotency_key"] == "incident:12:opened:channel:1"


@pytest.mark.parametrize("status", [500, 502, 503, 408])
async def test_server_errors_are_retried(receiver: Receiver, ctx: SendContext, status: int) -> None:
    receiver.script = [(status, {})]
    with pytest.raises(TransportError) as err:
        await notifier.send(channel(receiver.url), render("test", {}, "k"), ctx)
    assert not err.value.permanent
    assert f"HTTP {status}" in err.value.message


async def test_429_carries_retry_after(receiver: Receiver, ctx: SendContext) -> None:
    receiver.script = [(429, {"Retry-After": "120"})]
    with pytest.raises(TransportError) as err:
        await notifier.send(channel(receiver.url), render("test", {}, "k"), ctx)
    assert not err.value.permanent
    assert err.value.retry_after == 120.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_client_errors_are_permanent(
    receiver: Receiver, ctx: SendContext, status: int
) -> None:
    receiver.script = [(status, {})]
    with pytest.raises(TransportError) as err:
        await notifier.send(channel(receiver.url), render("test", {}, "k"), ctx)
    assert err.value.permanent
    assert "nope" in err.value.message  # the start of the receiver's answer helps


async def test_a_redirect_is_permanent_and_not_followed(
    receiver: Receiver, ctx: SendContext
) -> None:
    receiver.script = [(301, {"Location": "http://127.0.0.1:1/elsewhere"})]
    with pytest.raises(TransportError) as err:
        await notifier.send(channel(receiver.url), render("test", {}, "k"), ctx)
    assert err.value.permanent
    assert "redirects" in err.value.message
    assert len(receiver.calls) == 1


async def test_a_refused_connection_is_retried(ctx: SendContext) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError) as err:
        await notifier.send(channel(f"http://127.0.0.1:{port}/x"), render("test", {}, "k"), ctx)
    assert not err.value.permanent
    assert err.value.message == f"cannot connect to 127.0.0.1:{port}: Connection refused"


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = 1_800_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 90, UTC), usegmt=True)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(date, now) == pytest.approx(90.0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_it_describes_a_url_without_its_path_or_credentials() -> None:
    assert notifier.describe("https://user:pw@hooks.example.com/T1/secret-token") == (
        "https://hooks.example.com/…"
    )
    with pytest.raises(ValueError, match="https://"):
        notifier.describe("ftp://example.com/x")
