"""The decoder against hostile input: random bytes, and real snmpd replies with octets
flipped, inserted, deleted or cut off. Whatever arrives, the only exception is
`SnmpDecodeError` (or a subclass), and the client's and the trap receiver's datagram
handlers raise nothing at all. Work is bounded by the datagram, never by what it claims.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitekeeper.protocols.snmp import (
    SnmpClient,
    SnmpDecodeError,
    SnmpError,
    TrapReceiver,
    VarBind,
    Version,
    decode_message,
)
from sitekeeper.protocols.snmp.message import FLAG_PRIV, V3Message, decode_scoped_pdu
from sitekeeper.protocols.snmp.transport import Dispatcher
from sitekeeper.protocols.snmp.usm import localized_keys
from sitekeeper.protocols.snmp.v3 import open_scoped
from tests.snmp.conftest import require
from tests.snmp.snmpd import SNMPD, USERS, Snmpd, running_snmpd

FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OIDS = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.99.0"]


async def _record(agent: Snmpd) -> list[bytes]:
    """Every datagram snmpd sends our client for a spread of requests and security levels."""
    seen: list[bytes] = []
    async with SnmpClient() as client:
        dispatcher = client._dispatcher
        original = dispatcher.on_datagram

        def keep(data: bytes, addr: tuple[str, int]) -> None:
            seen.append(data)
            original(data, addr)

        dispatcher.on_datagram = keep  # type: ignore[method-assign]
        for version in (Version.V1, Version.V2C):
            target = agent.target(version, timeout=3.0, retries=2)
            await client.get(target, OIDS[:3])
            await client.get_next(target, OIDS)
        v2 = agent.target(Version.V2C, timeout=3.0, retries=2)
        await client.get(v2, OIDS)
        await client.get_bulk(v2, ["1.3.6.1.2.1.1", "1.3.6.1.2.1.2"], max_repetitions=12)
        for profile in ("noauth", "sha", "sha-aes", "md5-des", "sha512-aes"):
            target = agent.target(Version.V3, profile, timeout=3.0, retries=2)
            await client.get(target, OIDS)
            await client.get_bulk(target, ["1.3.6.1.2.1.1"], max_repetitions=8)
    return seen


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Real replies: v1/v2c responses, v3 discovery reports, and v3 responses at every level.
    (A separate snmpd, so this module can be run on its own without async fixtures.)"""
    require(SNMPD, "net-snmp's agent")
    with running_snmpd(Path(tmp_path_factory.mktemp("snmpd-fuzz"))) as agent:
        replies = asyncio.run(_record(agent))
    assert len(replies) >= 15
    return replies


def _mutate(data: bytes, edits: list[tuple[int, int, int]], cut: int | None) -> bytes:
    """Apply (kind, position, octet) edits: 0 replaces, 1 inserts, 2 deletes; then cut."""
    buf = bytearray(data)
    for kind, pos, octet in edits:
        if not buf:
            break
        pos %= len(buf)
        if kind == 0:
            buf[pos] = octet
        elif kind == 1:
            buf.insert(pos, octet)
        else:
            del buf[pos]
    if cut is not None and buf:
        del buf[cut % len(buf) :]
    return bytes(buf)


EDITS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


def _decode_fully(data: bytes) -> None:
    """The decoder, and for v3 the scoped PDU inside (decrypted with the user's keys when
    the message is one of snmpd's encrypted replies) — raising only SnmpDecodeError."""
    msg = decode_message(data)
    if not isinstance(msg, V3Message):
        return
    if not msg.flags & FLAG_PRIV:
        decode_scoped_pdu(msg.data)
        return
    user = next((u for u in USERS.values() if u.name.encode() == msg.user), None)
    if user is None or not msg.engine_id:
        return
    try:
        open_scoped(msg, user, localized_keys(user, msg.engine_id))
    except SnmpDecodeError:
        raise
    except SnmpError:
        pass  # e.g. SnmpAuthError for a mangled msgPrivacyParameters: typed, and expected


def _handlers() -> tuple[Dispatcher, TrapReceiver]:
    """The client's and the receiver's datagram handlers, with no socket behind them."""
    receiver = TrapReceiver(lambda source, notification: None, users=list(USERS.values()))
    return Dispatcher(1 << 16), receiver


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(SnmpDecodeError):
        _decode_fully(data)
    dispatcher, receiver = _handlers()
    dispatcher.on_datagram(data, ("127.0.0.1", 161))
    receiver._on_datagram(data, ("127.0.0.1", 40000))
    assert dispatcher.stats.received == receiver.stats.received == 1


@FUZZ
@given(index=st.integers(0, 1000), edits=EDITS, cut=st.none() | st.integers(0, 1 << 16))
def test_mutated_snmpd_replies_raise_only_decode_errors(
    corpus: list[bytes], index: int, edits: list[tuple[int, int, int]], cut: int | None
) -> None:
    data = _mutate(corpus[index % len(corpus)], edits, cut)
    with contextlib.suppress(SnmpDecodeError):
        _decode_fully(data)
    dispatcher, receiver = _handlers()
    dispatcher.on_datagram(data, ("127.0.0.1", 161))
    receiver._on_datagram(data, ("127.0.0.1", 40000))


def test_the_unmutated_corpus_decodes(corpus: list[bytes]) -> None:
    for data in corpus:
        _decode_fully(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x30\x84\x00\x00\xff\xfc" + b"\x30\x84\x00\x00\xff\xf6" * 10_000,  # nested 10,000 deep
        b"\x30\x82\xff\xfb" + b"\x02\x01\x01" + b"\x04\x00" + b"\xa2\x82\xff\xf4" + bytes(65524),
        b"\x30\x80" + b"\x00" * 100,  # indefinite length
        b"\x30\x84\xff\xff\xff\xff" + bytes(10),  # claims 4 GiB
        b"\x06\x82\xff\xff" + b"\x81" * 65535,  # one OID sub-identifier that never ends
    ],
    ids=["deep-nesting", "huge-pdu-of-zeros", "indefinite", "claims-4GiB", "endless-subid"],
)
def test_hostile_shapes_fail_fast_with_a_decode_error(data: bytes) -> None:
    with pytest.raises(SnmpDecodeError):
        decode_message(data)


def test_a_maximal_datagram_of_varbinds_decodes() -> None:
    from sitekeeper.protocols.snmp import Pdu, PduType
    from sitekeeper.protocols.snmp.message import encode_community
    from sitekeeper.protocols.snmp.pdu import encode_pdu

    varbinds: list[VarBind] = [((1, 3, 6, 1, 4, 1, 9, i), b"x" * 48) for i in range(1000)]
    data = encode_community(
        Version.V2C, b"public", encode_pdu(Pdu(PduType.RESPONSE, 1, 0, 0, varbinds))
    )
    assert 60_000 < len(data) <= 65507
    msg = decode_message(data)
    assert msg.pdu.varbinds == varbinds  # type: ignore[union-attr]
