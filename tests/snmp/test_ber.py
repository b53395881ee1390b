"""The BER codec at its edges: two's complement boundaries, long lengths, big OID arcs, the
largest Counter64, empty and oversized values — exact octets where X.690 fixes them, and a
round trip through the decoder for everything."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from sitekeeper.protocols.snmp import (
    Counter32,
    Counter64,
    Gauge32,
    NoValue,
    Opaque,
    Pdu,
    PduType,
    SnmpDecodeError,
    SnmpEncodeError,
    TimeTicks,
    TrapV1Pdu,
    Value,
    VarBind,
    Version,
    decode_message,
    parse_oid,
)
from sitekeeper.protocols.snmp.ber import (
    decode_oid,
    decode_value,
    encode_length,
    encode_oid,
    encode_value,
    read_tlv,
    tlv,
)
from sitekeeper.protocols.snmp.message import CommunityMessage, encode_community
from sitekeeper.protocols.snmp.pdu import encode_pdu


def round_trip(value: Value) -> Value:
    data = encode_value(value)
    tag, start, stop = read_tlv(data, 0, len(data))
    assert stop == len(data)
    return decode_value(tag, data, start, stop)


def decode(data: bytes) -> Value:
    tag, start, stop = read_tlv(data, 0, len(data))
    return decode_value(tag, data, start, stop)


@pytest.mark.parametrize(
    ("value", "octets"),
    [
        (0, "020100"),
        (1, "020101"),
        (-1, "0201ff"),
        (127, "02017f"),
        (128, "02020080"),  # 0x80 alone would read as -128
        (-128, "020180"),
        (-129, "0202ff7f"),
        (255, "020200ff"),
        (256, "02020100"),
        (32767, "02027fff"),
        (32768, "0203008000"),
        (2**31 - 1, "02047fffffff"),
        (-(2**31), "020480000000"),
    ],
)
def test_integers_take_minimal_twos_complement(value: int, octets: str) -> None:
    assert encode_value(value).hex() == octets
    assert round_trip(value) == value
    assert type(round_trip(value)) is int


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**64])
def test_integers_outside_integer32_are_refused(value: int) -> None:
    with pytest.raises(SnmpEncodeError, match="outside"):
        encode_value(value)


def test_booleans_are_not_integers() -> None:
    with pytest.raises(SnmpEncodeError, match="cannot encode bool"):
        encode_value(True)


@pytest.mark.parametrize(
    ("value", "octets"),
    [
        (Counter32(0), "410100"),
        (Counter32(2**31), "41050080000000"),
        (Counter32(2**32 - 1), "410500ffffffff"),
        (Gauge32(128), "42020080"),
        (TimeTicks(2**32 - 1), "430500ffffffff"),
        (Counter64(2**64 - 1), "460900ffffffffffffffff"),
        (Counter64(2**63), "4609008000000000000000"),
    ],
)
def test_unsigned_types_keep_their_type_and_leading_zero(value: int, octets: str) -> None:
    assert encode_value(value).hex() == octets
    back = round_trip(value)
    assert back == value
    assert type(back) is type(value)


@pytest.mark.parametrize(
    "value", [Counter32(2**32), Counter32(-1), Gauge32(2**32), Counter64(2**64), Counter64(-1)]
)
def test_unsigned_values_out_of_range_are_refused(value: int) -> None:
    with pytest.raises(SnmpEncodeError):
        encode_value(value)


def test_unsigned_without_the_leading_zero_reads_modulo_2_to_the_bits() -> None:
    """Some agents drop the zero octet of values >= 2^31; net-snmp reads them this way too."""
    assert decode(bytes.fromhex("4104ffffffff")) == 2**32 - 1
    assert decode(bytes.fromhex("4608ffffffffffffffff")) == Counter64(2**64 - 1)


@pytest.mark.parametrize(
    "octets",
    [
        "0200",  # an INTEGER with no content
        "020a00000000000000000001",  # ten content octets
        "41060100000000",  # a Counter32 of 2^40
        "410600ffffffffff",  # six octets even with a leading zero
        "460a0000000000000000000001",  # a Counter64 of ten octets
        "4003010203",  # an IpAddress of three octets
        "050100",  # a NULL with content
        "800101",  # noSuchObject with content
        "47020000",  # an unknown application type
        "0600",  # an empty OID
    ],
)
def test_malformed_values_raise_decode_errors(octets: str) -> None:
    with pytest.raises(SnmpDecodeError):
        decode(bytes.fromhex(octets))


@pytest.mark.parametrize(
    ("n", "octets"),
    [(0, "00"), (0x7F, "7f"), (0x80, "8180"), (0xFF, "81ff"), (0x100, "820100"),
     (0xFFFF, "82ffff"), (0x10000, "8400010000")],
)  # fmt: skip
def test_lengths_use_the_short_form_below_0x80_and_the_shortest_long_form_above(
    n: int, octets: str
) -> None:
    assert encode_length(n).hex() == octets


@pytest.mark.parametrize("size", [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 70_000])
def test_octet_strings_of_every_length_form_round_trip(size: int) -> None:
    value = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert round_trip(value) == value
    assert round_trip(Opaque(value)) == value
    assert type(round_trip(Opaque(value))) is Opaque


def test_lengths_in_long_form_may_be_non_minimal_but_not_longer_than_4_octets() -> None:
    assert decode(bytes.fromhex("0482000261 62".replace(" ", ""))) == b"ab"
    assert decode(bytes.fromhex("04840000000161")) == b"a"
    with pytest.raises(SnmpDecodeError, match="length of 5 octets"):
        decode(bytes.fromhex("0485000000000161"))
    with pytest.raises(SnmpDecodeError, match="indefinite"):
        decode(bytes.fromhex("0480616200 00".replace(" ", "")))


@pytest.mark.parametrize(
    "octets",
    [
        "",  # nothing at all
        "04",  # a tag without a length
        "0405616263",  # the length runs past the buffer
        "0482ff",  # a truncated long length
        "04847fffffff61",  # a 2 GiB length in a 7-octet buffer
    ],
)
def test_truncated_and_oversized_lengths_raise_decode_errors(octets: str) -> None:
    with pytest.raises(SnmpDecodeError):
        decode(bytes.fromhex(octets))


@pytest.mark.parametrize(
    ("oid", "octets"),
    [
        ("0.0", "060100"),
        ("1.3.6.1", "06032b0601"),
        ("1.39", "06014f"),
        ("2.999.3", "0603883703"),  # X.690 §8.19.5 example: first subidentifier 1079
        ("1.3.127.128", "06042b7f8100"),
        ("1.3.16383.16384", "06062bff7f818000"),
        ("1.3.268435455", "06052bffffff7f"),  # 2^28 - 1: four octets
        ("1.3.268435456", "06062b8180808000"),  # 2^28: the first five-octet arc
        ("1.3.4294967295", "06062b8fffffff7f"),  # 2^32 - 1, the largest SMI allows
    ],
)
def test_oids_encode_base_128_minimal_and_round_trip(oid: str, octets: str) -> None:
    arcs = parse_oid(oid)
    assert encode_oid(arcs).hex() == octets
    assert round_trip(arcs) == arcs


def test_an_oid_of_128_arcs_round_trips_and_129_is_refused() -> None:
    longest = (1, 3, *range(2**28, 2**28 + 126))
    assert round_trip(longest) == longest
    with pytest.raises(SnmpEncodeError, match="2 to 128 arcs"):
        encode_oid((*longest, 1))
    body = bytes.fromhex("2b") + bytes(128)  # 129 one-octet arcs on the wire
    with pytest.raises(SnmpDecodeError, match="more than 128 arcs"):
        decode_oid(body, 0, len(body))


@pytest.mark.parametrize(
    "bad", ["1", "3.1", "1.40", "1.3.4294967296", "1.3.-1", "1.3.x", "", "1..3"]
)
def test_oids_that_ber_or_smi_cannot_carry_are_refused_on_encode(bad: str) -> None:
    with pytest.raises(SnmpEncodeError):
        parse_oid(bad)


@pytest.mark.parametrize(
    "body",
    [
        "2b8001",  # a leading 0x80 octet (non-minimal, X.690 §8.19.2)
        "2b81",  # the last sub-identifier is cut off
        "2b9080808000",  # 2^32: above what SMI allows
        "2bffffffffffffffffff7f",  # a 64-bit arc
    ],
)
def test_malformed_oids_raise_decode_errors(body: str) -> None:
    data = bytes.fromhex(body)
    with pytest.raises(SnmpDecodeError):
        decode_oid(data, 0, len(data))


@pytest.mark.parametrize(
    "value",
    [None, NoValue.NO_SUCH_OBJECT, NoValue.NO_SUCH_INSTANCE, NoValue.END_OF_MIB_VIEW,
     IPv4Address("192.0.2.255"), IPv4Address("0.0.0.0"), b"", Opaque(b"\x9f\x78\x04")],
)  # fmt: skip
def test_null_exception_values_and_addresses_round_trip(value: Value) -> None:
    assert round_trip(value) == value


def test_a_response_with_every_value_type_round_trips_through_a_whole_message() -> None:
    varbinds: list[VarBind] = [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), b"\x00\xff text"),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), (1, 3, 6, 1, 4, 1, 2**32 - 1)),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), TimeTicks(123456)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1), Counter32(2**32 - 1)),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), Counter64(2**64 - 1)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), Gauge32(10**9)),
        ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10, 0, 0, 1), IPv4Address("10.0.0.1")),
        ((1, 3, 6, 1, 2, 1, 1, 7, 0), -(2**31)),
        ((1, 3, 6, 1, 2, 1, 1, 99, 0), NoValue.NO_SUCH_OBJECT),
        ((1, 3, 6, 1, 2, 1, 1, 98, 0), None),
        ((1, 3, 6, 1, 4, 1, 1, 1), Opaque(b"\x01\x02")),
    ]
    pdu = Pdu(PduType.RESPONSE, 2**31 - 1, 0, 0, varbinds)
    data = encode_community(Version.V2C, b"c\x00mmunity", encode_pdu(pdu))
    msg = decode_message(data)
    assert isinstance(msg, CommunityMessage)
    assert (msg.version, msg.community) == (Version.V2C, b"c\x00mmunity")
    assert msg.pdu == pdu
    assert [type(v) for _, v in msg.pdu.varbinds] == [type(v) for _, v in varbinds]


def test_a_v1_trap_round_trips() -> None:
    trap = TrapV1Pdu((1, 3, 6, 1, 4, 1, 8072), IPv4Address("192.0.2.1"), 6, 17, 2**32 - 1,
                     [((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7), 7)])  # fmt: skip
    msg = decode_message(encode_community(Version.V1, b"public", encode_pdu(trap)))
    assert isinstance(msg, CommunityMessage)
    assert msg.pdu == trap


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30\x00",
        tlv(0x30, b"\x02\x01\x02" + tlv(0x04, b"public") + b"\xa0\x00"),  # version 2
        encode_community(Version.V2C, b"public", tlv(0xA0, b"")) + b"\x00",  # a stray octet
        encode_community(Version.V2C, b"public", tlv(0xA9, b"")),  # an unknown PDU type
    ],
)
def test_messages_that_are_not_snmp_raise_decode_errors(data: bytes) -> None:
    with pytest.raises(SnmpDecodeError):
        decode_message(data)
