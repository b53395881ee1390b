"""The Internet checksum of ICMP echoes: the general one, and the arithmetic shortcut the
pinger uses for raw IPv4 echoes (header words plus the token as one number)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.protocols.icmp.wire import (
    HEADER,
    PATCH,
    checksum,
    echo_checksum,
    echo_sum,
    echo_template,
)

ECHO_REQUEST_V4 = 8


def test_the_rfc_1071_example() -> None:
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry)
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == (~0xDDF2 & 0xFFFF)


def test_odd_lengths_are_padded_with_a_zero_byte() -> None:
    assert checksum(b"\x12\x34\x56") == checksum(b"\x12\x34\x56\x00")


@given(
    ident=st.integers(0, 0xFFFF),
    seq=st.integers(0, 0xFFFF),
    salt=st.integers(0, 2**32 - 1),
    number=st.integers(0, 2**32 - 1),
    zeros=st.integers(0, 56),
)
def test_the_shortcut_equals_the_checksum_of_the_echo_bytes(
    ident: int, seq: int, salt: int, number: int, zeros: int
) -> None:
    body = ((salt << 32) | number).to_bytes(8, "big") + bytes(zeros)
    packet = HEADER.pack(ECHO_REQUEST_V4, 0, 0, ident, seq) + body
    fast = echo_checksum(echo_sum(ECHO_REQUEST_V4, ident, salt), seq, number)
    assert fast == checksum(packet)
    # and a receiver summing the packet with its checksum in place finds it intact
    assert checksum(HEADER.pack(ECHO_REQUEST_V4, 0, fast, ident, seq) + body) == 0


@given(
    ident=st.integers(0, 0xFFFF),
    seq=st.integers(0, 0xFFFF),
    salt=st.integers(0, 2**32 - 1),
    number=st.integers(0, 2**32 - 1),
    size=st.integers(8, 64),
)
def test_a_patched_template_is_the_whole_echo_request(
    ident: int, seq: int, salt: int, number: int, size: int
) -> None:
    packet = echo_template(ECHO_REQUEST_V4, ident, salt, size)
    PATCH.pack_into(packet, 2, 0x1234, ident, seq, salt, number)
    body = ((salt << 32) | number).to_bytes(8, "big") + bytes(size - 8)
    assert packet == HEADER.pack(ECHO_REQUEST_V4, 0, 0x1234, ident, seq) + body
