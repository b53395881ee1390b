"""The apprise notifier: e-mail through an SMTP sink on loopback, HTTP services through a
receiver on loopback, and how apprise's outcome maps to delivered / retry / permanent."""

from __future__ import annotations

import email
import socket
from email.message import Message as MailMessage

import pytest

from sitekeeper.clock import FakeClock
from sitekeeper.notify.apprise import AppriseNotifier, classify
from sitekeeper.notify.base import Destination, SendContext, TransportError
from sitekeeper.notify.messages import render
from sitekeeper.protocols.http import HttpSessions

from .conftest import Receiver, SmtpSink, incident_payload

notifier = AppriseNotifier()


@pytest.fixture
def ctx(http: HttpSessions, clock: FakeClock) -> SendContext:
    return SendContext(http=http, clock=clock, timeout=10.0)


def mailto(port: int, password: str = "mail-pw-123") -> str:
    return (
        f"mailto://sk:{password}@127.0.0.1:{port}"
        "?to=ops@example.com&from=sitekeeper@example.com&mode=insecure"
    )


def dest(target: str) -> Destination:
    return Destination(id=1, name="mail", kind="apprise", target=target)


def text_part(envelope_content: bytes) -> str:
    mail: MailMessage = email.message_from_bytes(envelope_content)
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


async def test_it_sends_email_through_smtp(smtp_sink: SmtpSink, ctx: SendContext) -> None:
    message = render("opened", incident_payload(), "k")
    await notifier.send(dest(mailto(smtp_sink.port)), message, ctx)
    [envelope] = smtp_sink.messages
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert smtp_sink.logins == [(b"sk", b"mail-pw-123")]
    assert isinstance(envelope.content, bytes)
    mail = email.message_from_bytes(envelope.content)
    assert (
        str(email.header.make_header(email.header.decode_header(mail["Subject"]))) == message.title
    )
    assert "Unreachable behind it (23)" in text_part(envelope.content)


async def test_a_refused_login_is_permanent(smtp_sink: SmtpSink, ctx: SendContext) -> None:
    with pytest.raises(TransportError) as err:
        await notifier.send(dest(mailto(smtp_sink.port, "wrong-pw")), render("test", {}, "k"), ctx)
    assert err.value.permanent  # SMTP 535: retrying the same password cannot help
    assert "535" in err.value.message
    assert "wrong-pw" not in err.value.message
    assert smtp_sink.messages == []


async def test_an_unreachable_mail_server_is_retried(ctx: SendContext) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError) as err:
        await notifier.send(dest(mailto(port)), render("test", {}, "k"), ctx)
    assert not err.value.permanent


def json_url(receiver: Receiver) -> str:
    return receiver.url.replace("http://", "json://")


async def test_an_http_4xx_reported_by_apprise_is_permanent(
    receiver: Receiver, ctx: SendContext
) -> None:
    receiver.script = [(403, {})]
    with pytest.raises(TransportError) as err:
        await notifier.send(dest(json_url(receiver)), render("test", {}, "k"), ctx)
    assert err.value.permanent
    assert "error=403" in err.value.message


async def test_an_http_5xx_or_429_reported_by_apprise_is_retried(
    receiver: Receiver, ctx: SendContext
) -> None:
    for status in (503, 429):
        receiver.script = [(status, {})]
        with pytest.raises(TransportError) as err:
            await notifier.send(dest(json_url(receiver)), render("test", {}, "k"), ctx)
        assert not err.value.permanent
    await notifier.send(dest(json_url(receiver)), render("test", {}, "k"), ctx)
    assert len(receiver.delivered) == 1


async def test_a_url_apprise_cannot_use_is_permanent(ctx: SendContext) -> None:
    with pytest.raises(TransportError) as err:
        await notifier.send(dest("nosuchservice://x"), render("test", {}, "k"), ctx)
    assert err.value.permanent


def test_classify_needs_every_status_to_be_a_hopeless_4xx() -> None:
    assert classify(["Failed to send JSON POST notification: Forbidden, error=403."])
    assert not classify(["Failed: error=403.", "Failed: error=502."])
    assert not classify(["Failed: error=429."])
    assert not classify(["A Connection error occurred sending JSON notification"])
    assert classify(["Socket Exception: (535, b'5.7.8 Authentication credentials invalid')"])
    assert not classify(["Socket Exception: (421, b'4.3.0 try again later')"])


def test_it_describes_a_url_by_its_service_and_public_host_only() -> None:
    assert notifier.describe("mailto://sk:pw@smtp.example.com?to=a@example.com") == (
        "E-Mail (mailto://smtp.example.com)"
    )
    slack = notifier.describe("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#ops")
    assert "T1JJ3T3L2" not in slack and "TIiajkdnlazkcOXrIdevi7FQ" not in slack
    assert slack.startswith("Slack")
    with pytest.raises(ValueError, match="apprise cannot use this URL"):
        notifier.describe("nosuchservice://x")
