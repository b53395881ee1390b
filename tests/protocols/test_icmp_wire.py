"""The Internet checksum of ICMP echoes: the general one, and the arithmetic shortcut the
pinger uses for raw IPv4 echoes (header words plus the token as one number)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.protocols.icmp.wire import HEADER, TOKEN_SIZE, checksum, echo_checksum

ECHO_REQUEST_V4 = 8


def test_the_rfc_1071_example() -> None:
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry)
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == (~0xDDF2 & 0xFFFF)


def test_odd_lengths_are_padded_with_a_zero_byte() -> None:
    assert checksum(b"\x12\x34\x56") == checksum(b"\x12\x34\x56\x00")


@given(
    ident=st.integers(0, 0xFFFF),
    seq=st.integers(0, 0xFFFF),
    token=st.integers(0, 2**64 - 1),
    zeros=st.integers(0, 56),
)
def test_the_shortcut_equals_the_checksum_of_the_echo_bytes(
    ident: int, seq: int, token: int, zeros: int
) -> None:
    body = token.to_bytes(TOKEN_SIZE, "big") + bytes(zeros)
    packet = HEADER.pack(ECHO_REQUEST_V4, 0, 0, ident, seq) + body
    fast = echo_checksum(ECHO_REQUEST_V4, ident, seq, token)
    assert fast == checksum(packet)
    # and a receiver summing the packet with its checksum in place finds it intact
    assert checksum(HEADER.pack(ECHO_REQUEST_V4, 0, fast, ident, seq) + body) == 0
