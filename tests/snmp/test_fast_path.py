"""The varbind decoder's inline fast path and its caches agree with the general decoder:
same values, same types, same refusals — whatever the octets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekeeper.protocols.snmp import SnmpDecodeError
from sitekeeper.protocols.snmp.ber import decode_oid, decode_value, encode_oid
from sitekeeper.protocols.snmp.message import (
    CommunityMessage,
    Version,
    decode_message,
    encode_request,
)
from sitekeeper.protocols.snmp.pdu import Pdu, PduType, decode_varbinds, encode_null_varbinds

NAME = encode_oid((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1))
TAGS = (0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0x47)
OCTETS = st.binary(max_size=12) | st.lists(
    st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]), max_size=10
).map(bytes)


def _list(*varbinds: bytes) -> bytes:
    body = b"".join(bytes((0x30, len(v))) + v for v in varbinds)
    return bytes((0x30, len(body))) + body


def _general(tag: int, content: bytes) -> object:
    try:
        value = decode_value(tag, content, 0, len(content))
    except SnmpDecodeError:
        return "refused"
    return type(value), value


def _fast(data: bytes) -> object:
    try:
        [(_, value)] = decode_varbinds(data, 0, len(data))
    except SnmpDecodeError:
        return "refused"
    return type(value), value


@settings(max_examples=800, deadline=None)
@given(tag=st.sampled_from(TAGS), content=OCTETS)
def test_every_value_decodes_as_the_general_decoder_says_twice_over(
    tag: int, content: bytes
) -> None:
    data = _list(NAME + bytes((tag, len(content))) + content)
    expected = _general(tag, content)
    assert _fast(data) == expected
    assert _fast(data) == expected  # the second time from the caches, where they apply


@settings(max_examples=300, deadline=None)
@given(content=st.binary(min_size=1, max_size=12))
def test_every_name_decodes_as_the_general_decoder_says_twice_over(content: bytes) -> None:
    data = _list(bytes((0x06, len(content))) + content + b"\x05\x00")
    try:
        expected: object = decode_oid(content, 0, len(content))
    except SnmpDecodeError:
        expected = "refused"
    for _ in range(2):
        try:
            got: object = decode_varbinds(data, 0, len(data))[0][0]
        except SnmpDecodeError:
            got = "refused"
        assert got == expected


@pytest.mark.parametrize(
    "data",
    [
        _list(NAME + b"\x02\x01"),  # value header cut short
        _list(NAME + b"\x04\x05ab"),  # value longer than its varbind
        _list(NAME + b"\x02\x01\x01\x00"),  # stray octet after the value
        _list(NAME[:3]),  # name cut short
        bytes((0x30, 3, 0x30, 9)) + NAME[:1],  # varbind longer than the list
        _list(b"\x04\x01a\x05\x00"),  # name that is not an OID
        bytes((0x30, 3, 0x31, 1, 0)),  # varbind that is not a SEQUENCE
    ],
)
def test_broken_varbinds_are_refused(data: bytes) -> None:
    with pytest.raises(SnmpDecodeError):
        decode_varbinds(data, 0, len(data))


@pytest.mark.parametrize("request_id", [1, 127, 1 << 23, (1 << 31) - 1])
def test_a_request_encodes_its_id_minimally_and_decodes_back(request_id: int) -> None:
    names = ((1, 3, 6, 1, 2, 1, 1, 5, 0), (1, 3, 6, 1, 2, 1, 1, 3, 0))
    data = encode_request(
        Version.V2C, b"public", PduType.GET_BULK, request_id, 0, 25, encode_null_varbinds(names)
    )
    msg = decode_message(data)
    assert isinstance(msg, CommunityMessage) and isinstance(msg.pdu, Pdu)
    assert msg.pdu.request_id == request_id
    assert (msg.pdu.non_repeaters, msg.pdu.max_repetitions) == (0, 25)
    assert [oid for oid, _ in msg.pdu.varbinds] == list(names)
