"""Syslog: parsing RFC 3164/5424 (and device dialects), TCP framing, match rules, and the
receiver on real UDP and TCP sockets on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sitekeeper.collector.syslog import (
    MAX_MESSAGE,
    FramingError,
    SyslogMessage,
    SyslogReceiver,
    SyslogRule,
    TcpFramer,
    match,
    parse,
)
from sitekeeper.state.model import CheckStatus

RECEIVED = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
LOOPBACK = "127.0.0.1"

# --- RFC 5424 ---------------------------------------------------------------------------------


def test_it_reads_the_rfc5424_example() -> None:
    raw = (
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8"
    )
    msg = parse(raw, received=RECEIVED)
    assert (msg.facility, msg.severity) == (4, 2)
    assert msg.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (msg.hostname, msg.app, msg.procid, msg.msgid) == (
        "mymachine.example.com",
        "su",
        None,
        "ID47",
    )
    assert msg.text == "'su root' failed for lonvick on /dev/pts/8"
    assert msg.structured_data is None


def test_it_separates_structured_data_from_the_message() -> None:
    raw = (
        b'<165>1 2003-10-11T22:14:15.003-07:00 host evntslog 42 ID47 [exampleSDID@32473 iut="3" '
        b'note="a \\"quoted\\" ]bracket"][other@1 k="v"] An application event'
    )
    msg = parse(raw, received=RECEIVED)
    assert msg.structured_data == (
        '[exampleSDID@32473 iut="3" note="a \\"quoted\\" ]bracket"][other@1 k="v"]'
    )
    assert msg.text == "An application event"
    assert msg.procid == "42"
    assert msg.timestamp is not None and msg.timestamp.utcoffset() is not None


def test_an_rfc5424_message_may_have_no_timestamp_and_no_text() -> None:
    msg = parse(b"<13>1 - - - - - -", received=RECEIVED)
    assert (msg.timestamp, msg.hostname, msg.app, msg.text) == (None, None, None, "")


# --- RFC 3164 and device dialects -------------------------------------------------------------


def test_it_reads_the_rfc3164_example() -> None:
    msg = parse(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed", received=RECEIVED)
    assert msg.timestamp == datetime(2025, 10, 11, 22, 14, 15, tzinfo=UTC)  # the nearest Oct 11
    assert (msg.hostname, msg.app, msg.text) == ("mymachine", "su", "'su root' failed")


def test_it_reads_a_linux_daemon_line_with_a_pid() -> None:
    msg = parse(b"<30>Mar  5 10:00:00 nas sshd[1234]: Accepted publickey", received=RECEIVED)
    assert (msg.hostname, msg.app, msg.procid) == ("nas", "sshd", "1234")
    assert msg.timestamp == datetime(2026, 3, 5, 10, 0, 0, tzinfo=UTC)
    assert msg.line == "sshd: Accepted publickey"


def test_it_reads_a_cisco_line_with_its_mnemonic() -> None:
    raw = b"<187>52: *Mar  1 00:05:23.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
    msg = parse(raw, received=RECEIVED)
    assert (msg.facility, msg.severity) == (23, 3)
    assert msg.msgid == "LINK-3-UPDOWN"
    assert msg.hostname is None
    assert msg.text == "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
    assert msg.timestamp == datetime(2026, 3, 1, 0, 5, 23, tzinfo=UTC)


def test_a_december_message_read_in_january_is_from_last_year() -> None:
    january = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    msg = parse(b"<13>Dec 31 23:59:50 host app: late", received=january)
    assert msg.timestamp == datetime(2025, 12, 31, 23, 59, 50, tzinfo=UTC)


def test_a_local_time_stamp_is_read_in_the_senders_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    msg = parse(b"<13>Mar 14 13:00:00 host app: hi", received=RECEIVED, tz=berlin)
    assert msg.timestamp == datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)


def test_it_reads_an_iso_timestamp_in_bsd_framing() -> None:
    msg = parse(b"<13>2026-01-05T10:00:00+01:00 host app: msg", received=RECEIVED)
    assert msg.timestamp == datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    assert (msg.hostname, msg.app, msg.text) == ("host", "app", "msg")


@pytest.mark.parametrize(
    ("raw", "facility", "severity", "text"),
    [
        (b"hello world", 1, 5, "hello world"),  # no PRI: user.notice
        (b"<192>too big", 1, 5, "<192>too big"),
        (b"<>empty", 1, 5, "<>empty"),
        (b"<13>", 1, 5, ""),
        (b"<7>\n", 0, 7, ""),
        (b"<13>Feb 30 10:00:00 host app: no such day", 1, 5, "no such day"),
    ],
)
def test_it_keeps_what_it_cannot_read_as_text(
    raw: bytes, facility: int, severity: int, text: str
) -> None:
    msg = parse(raw, received=RECEIVED)
    assert (msg.facility, msg.severity, msg.text) == (facility, severity, text)


def test_a_long_message_is_cut_at_the_cap() -> None:
    msg = parse(b"<13>" + b"x" * (MAX_MESSAGE * 2), received=RECEIVED)
    assert len(msg.text) == MAX_MESSAGE - 4


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_parsing_never_raises_on_junk(raw: bytes) -> None:
    assert isinstance(parse(raw, received=RECEIVED), SyslogMessage)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"<34>1 ", b"<13>", b"<187>52: *", b"<13>1 - - - - - [", b""]),
    st.text(alphabet='[]"\\ -:=1<>TZ.0123456789 abcJanDec', max_size=80),
)
def test_parsing_never_raises_on_near_misses(prefix: bytes, rest: str) -> None:
    assert isinstance(parse(prefix + rest.encode(), received=RECEIVED), SyslogMessage)


# --- TCP framing ------------------------------------------------------------------------------


def test_it_splits_octet_counted_and_newline_frames() -> None:
    framer = TcpFramer()
    stream = b"11 <13>hello 1<13>second\n\n5 <13>x<13>last"
    assert framer.feed(stream) == [b"<13>hello 1", b"<13>second", b"<13>x"]
    assert framer.flush() == [b"<13>last"]


def test_frames_split_across_reads_are_reassembled() -> None:
    framer = TcpFramer()
    frames: list[bytes] = []
    for byte in b"11 <13>hello 1<13>second\n":
        frames += framer.feed(bytes([byte]))
    assert frames == [b"<13>hello 1", b"<13>second"]


def test_an_over_long_newline_frame_is_cut_and_its_rest_dropped() -> None:
    framer = TcpFramer(max_message=10)
    assert framer.feed(b"<13>" + b"a" * 20) == [b"<13>aaaaaa"]
    assert framer.feed(b"bbbb\n<13>next\n") == [b"<13>next"]


def test_an_over_long_counted_frame_is_cut_and_its_rest_skipped() -> None:
    framer = TcpFramer(max_message=10)
    assert framer.feed(b"20 <13>") == []
    assert framer.feed(b"aaaaaabbbbbbbbbb3 <1>") == [b"<13>aaaaaa", b"<1>"]


def test_an_absurd_octet_count_breaks_the_connection() -> None:
    with pytest.raises(FramingError):
        TcpFramer().feed(b"9999999 <13>x")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_framing_never_raises_and_stays_bounded(chunks: list[bytes]) -> None:
    framer = TcpFramer(max_message=256, max_frame=100_000)
    for chunk in chunks:
        for frame in framer.feed(chunk):
            assert len(frame) <= 256
        assert framer.buffered <= 256 + 8
    framer.flush()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=200).map(lambda b: b"<13>" + b), max_size=10),
    st.integers(min_value=1, max_value=50),
)
def test_octet_counted_frames_survive_any_chunking(messages: list[bytes], size: int) -> None:
    stream = b"".join(b"%d %s" % (len(m), m) for m in messages)
    framer = TcpFramer()
    frames: list[bytes] = []
    for i in range(0, len(stream), size):
        frames += framer.feed(stream[i : i + size])
    assert frames == [m for m in messages if m.strip(b"\r\n\0 ")]


# --- match rules ------------------------------------------------------------------------------

RULES = [
    SyslogRule(
        name="link", pattern=r"%LINK-3-UPDOWN: .*changed state to up", status=CheckStatus.OK
    ),
    SyslogRule(name="link", pattern=r"%LINK-3-UPDOWN", min_severity="err", status=CheckStatus.WARN),
    SyslogRule(name="auth", pattern=r"^sshd: Failed password", status=CheckStatus.CRIT),
]


def _msg(raw: bytes) -> SyslogMessage:
    return parse(raw, received=RECEIVED)


def test_a_link_going_down_warns() -> None:
    found = match(RULES, _msg(b"<187>12: %LINK-3-UPDOWN: Interface Gi0/7, changed state to down"))
    assert found is not None
    assert (found.check, found.status) == ("link", CheckStatus.WARN)
    assert found.reason == "err: %LINK-3-UPDOWN: Interface Gi0/7, changed state to down"


def test_the_first_rule_that_matches_wins() -> None:
    found = match(RULES, _msg(b"<187>12: %LINK-3-UPDOWN: Interface Gi0/7, changed state to up"))
    assert found is not None and found.status is CheckStatus.OK


def test_a_message_below_the_minimum_severity_does_not_match() -> None:
    assert match(RULES[1:2], _msg(b"<189>12: %LINK-3-UPDOWN: Interface Gi0/7")) is None


def test_rules_search_the_app_and_the_text() -> None:
    found = match(RULES, _msg(b"<38>Mar 14 11:00:00 nas sshd[9]: Failed password for root"))
    assert found is not None and found.check == "auth"


def test_it_rejects_a_bad_rule() -> None:
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        SyslogRule(name="x", pattern="(")
    with pytest.raises(ValidationError, match="unknown severity"):
        SyslogRule.model_validate({"name": "x", "pattern": "a", "min_severity": "loud"})
    assert (
        SyslogRule.model_validate(
            {"name": "x", "pattern": "a", "min_severity": "warning"}
        ).min_severity
        == 4
    )


# --- the receiver, on real sockets --------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, SyslogMessage]] = []
        self.arrived = asyncio.Event()

    def __call__(self, source: str, message: SyslogMessage) -> None:
        self.messages.append((source, message))
        self.arrived.set()

    async def wait_for(self, count: int) -> list[tuple[str, SyslogMessage]]:
        async with asyncio.timeout(5):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[SyslogReceiver, Inbox]]:
    inbox = Inbox()
    async with SyslogReceiver(inbox, udp_port=0, tcp_port=0, idle_timeout=0.3) as running:
        yield running, inbox


def _udp_send(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, (LOOPBACK, port))


async def test_it_receives_over_udp(receiver: tuple[SyslogReceiver, Inbox]) -> None:
    running, inbox = receiver
    assert running.udp_port is not None
    _udp_send(running.udp_port, b"<187>12: %LINK-3-UPDOWN: Interface Gi0/7, changed state to down")
    [(source, message)] = await inbox.wait_for(1)
    assert source == LOOPBACK
    assert message.msgid == "LINK-3-UPDOWN"


async def test_junk_over_udp_does_not_stop_the_receiver(
    receiver: tuple[SyslogReceiver, Inbox],
) -> None:
    running, inbox = receiver
    assert running.udp_port is not None
    junk = [b"\x00" * 100, b"<999>", b"\xff\xfe\xfd", b"<13>1 [[[[", b"x" * 60_000, b""]
    _udp_send(running.udp_port, *junk, b"<13>still listening")
    messages = await inbox.wait_for(len(junk) + 1)
    assert messages[-1][1].text == "still listening"


async def test_it_receives_both_framings_over_tcp(receiver: tuple[SyslogReceiver, Inbox]) -> None:
    running, inbox = receiver
    assert running.tcp_port is not None
    reader, writer = await asyncio.open_connection(LOOPBACK, running.tcp_port)
    writer.write(b"31 <34>1 - host app - - - counted!<13>lf framed\n<13>unterminated")
    writer.write_eof()
    await writer.drain()
    messages = await inbox.wait_for(3)
    assert [m.text for _, m in messages] == ["counted!", "lf framed", "unterminated"]
    assert await reader.read() == b""  # the receiver hung up after our EOF
    writer.close()
    await writer.wait_closed()


async def test_broken_framing_ends_only_that_connection(
    receiver: tuple[SyslogReceiver, Inbox],
) -> None:
    running, inbox = receiver
    assert running.tcp_port is not None
    bad_reader, bad_writer = await asyncio.open_connection(LOOPBACK, running.tcp_port)
    bad_writer.write(b"99999999 <13>")
    await bad_writer.drain()
    async with asyncio.timeout(5):
        assert await bad_reader.read() == b""
    bad_writer.close()
    await bad_writer.wait_closed()
    _reader, writer = await asyncio.open_connection(LOOPBACK, running.tcp_port)
    writer.write(b"<13>fine\n")
    await writer.drain()
    [(_, message)] = await inbox.wait_for(1)
    assert message.text == "fine"
    writer.close()
    await writer.wait_closed()


async def test_an_idle_connection_is_dropped(receiver: tuple[SyslogReceiver, Inbox]) -> None:
    running, _ = receiver
    assert running.tcp_port is not None
    reader, writer = await asyncio.open_connection(LOOPBACK, running.tcp_port)
    async with asyncio.timeout(5):
        assert await reader.read() == b""  # idle_timeout is 0.3s in the fixture
    writer.close()
    await writer.wait_closed()


async def test_connections_over_the_limit_are_refused() -> None:
    inbox = Inbox()
    async with SyslogReceiver(inbox, udp_port=None, tcp_port=0, max_connections=1) as running:
        assert running.tcp_port is not None and running.udp_port is None
        _first_reader, first = await asyncio.open_connection(LOOPBACK, running.tcp_port)
        first.write(b"<13>one\n")
        await first.drain()
        await inbox.wait_for(1)  # the first connection is being served
        second_reader, second = await asyncio.open_connection(LOOPBACK, running.tcp_port)
        async with asyncio.timeout(5):
            assert await second_reader.read() == b""
        for writer in (first, second):
            writer.close()
            await writer.wait_closed()


async def test_a_failing_callback_is_logged_and_the_receiver_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = Inbox()

    def flaky(source: str, message: SyslogMessage) -> None:
        if message.text == "boom":
            raise RuntimeError("consumer broke")
        inbox(source, message)

    async with SyslogReceiver(flaky, udp_port=0, tcp_port=None) as running:
        assert running.udp_port is not None
        with caplog.at_level(logging.ERROR, logger="sitekeeper.collector.syslog"):
            _udp_send(running.udp_port, b"<13>boom", b"<13>after")
            [(_, message)] = await inbox.wait_for(1)
    assert message.text == "after"
    assert "syslog callback failed" in caplog.text
