"""Timeouts, retries and matching answers to requests, against scripted agents on loopback
(`agents.py`): silence, garbage, wrong request-ids, answers from the wrong place, answers
out of order — and walks that would loop forever."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import pytest

from sitekeeper.protocols.snmp import (
    NoValue,
    Oid,
    SnmpClient,
    SnmpClosedError,
    SnmpDecodeError,
    SnmpLoopError,
    SnmpTimeout,
    SnmpWalkError,
    VarBind,
    Version,
    decode_message,
)
from sitekeeper.protocols.snmp.message import CommunityMessage, V3Message
from tests.snmp.agents import Request, ScriptedAgent, eventually, reply

SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)


def echo_name(request: Request) -> list[bytes]:
    """A correct agent: every asked OID answers with its own dotted name."""
    return [reply(request, [(oid, ".".join(map(str, oid)).encode()) for oid in request.oids])]


# --- timeouts and retries ------------------------------------------------------------------


async def test_a_silent_agent_times_out_after_every_retry_with_the_same_request_id() -> None:
    async with ScriptedAgent(lambda request: []) as agent, SnmpClient() as client:
        with pytest.raises(SnmpTimeout, match="after 3 attempts"):
            await client.get(agent.target(timeout=0.2, retries=2), [SYS_NAME])
        await agent.wait_until(lambda: len(agent.requests) == 3)
        # v1/v2c retransmit the very same datagram, so a late answer to any attempt counts.
        assert len(set(agent.raw)) == 1
        stats = client.stats
        assert (stats.sent, stats.retransmits, stats.timeouts, stats.received) == (3, 2, 1, 0)


async def test_a_silent_v3_agent_times_out_in_engine_discovery() -> None:
    from sitekeeper.protocols.snmp import Target, UsmUser

    async with ScriptedAgent(lambda request: []) as agent, SnmpClient() as client:
        target = Target("127.0.0.1", agent.port, version=Version.V3,
                        user=UsmUser("someone"), timeout=0.2, retries=1)  # fmt: skip
        with pytest.raises(SnmpTimeout, match="after 2 attempts"):
            await client.get(target, [SYS_NAME])
        await agent.wait_until(lambda: len(agent.raw) == 2)
        discoveries = [decode_message(data) for data in agent.raw]
        assert all(isinstance(m, V3Message) and m.engine_id == b"" for m in discoveries)
        # SNMPv3 gives every attempt a fresh msgID (RFC 3412 §6.2).
        assert len({m.msg_id for m in discoveries if isinstance(m, V3Message)}) == 2


async def test_a_late_answer_to_the_first_attempt_completes_the_request() -> None:
    def answer_only_the_retry(request: Request) -> list[bytes]:
        return echo_name(request) if len(agent.requests) == 2 else []

    async with ScriptedAgent(answer_only_the_retry) as agent, SnmpClient() as client:
        result = await client.get(agent.target(timeout=0.3, retries=3), [SYS_NAME])
        assert result == [(SYS_NAME, b"1.3.6.1.2.1.1.5.0")]
        assert client.stats.retransmits == 1


GARBAGE = [
    b"\x00",
    b"\x30\x03\x02\x01",  # a truncated SEQUENCE
    b"GET / HTTP/1.1\r\n\r\n",
    os.urandom(64),
    bytes.fromhex("302902010104067075626c6963a21c0204"),  # cut inside the request-id
]


async def test_garbage_answers_are_counted_and_never_matched() -> None:
    async with ScriptedAgent(lambda request: GARBAGE) as agent, SnmpClient() as client:
        with pytest.raises(SnmpTimeout):
            await client.get(agent.target(timeout=0.3, retries=1), [SYS_NAME])
        await eventually(lambda: client.stats.received == 2 * len(GARBAGE))
        assert client.stats.malformed == 2 * len(GARBAGE)


async def test_answers_for_another_request_id_community_or_version_are_dropped() -> None:
    def decoys_then_the_answer(request: Request) -> list[bytes]:
        wrong: list[VarBind] = [(oid, b"WRONG") for oid in request.oids]
        return [
            reply(request, wrong, request_id=request.pdu.request_id + 1),
            reply(request, wrong, request_id=0),
            reply(request, wrong, community=b"private"),
            reply(request, wrong, version=Version.V1),
            *echo_name(request),
            reply(request, wrong),  # a duplicate after the answer: too late, dropped
        ]

    async with ScriptedAgent(decoys_then_the_answer) as agent, SnmpClient() as client:
        result = await client.get(agent.target(), [SYS_NAME])
        assert result == [(SYS_NAME, b"1.3.6.1.2.1.1.5.0")]
        await eventually(lambda: client.stats.received == 6)
        assert client.stats.dropped == 5
        assert client.stats.timeouts == 0


async def test_only_wrong_request_ids_mean_a_timeout_not_a_wrong_answer() -> None:
    def wrong_id(request: Request) -> list[bytes]:
        return [reply(request, [(SYS_NAME, b"WRONG")], request_id=request.pdu.request_id ^ 1)]

    async with ScriptedAgent(wrong_id) as agent, SnmpClient() as client:
        with pytest.raises(SnmpTimeout):
            await client.get(agent.target(timeout=0.3, retries=1), [SYS_NAME])
        await eventually(lambda: client.stats.dropped == 2)


async def test_an_answer_from_another_port_is_not_accepted() -> None:
    loop = asyncio.get_running_loop()
    other, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:

        def from_elsewhere(request: Request) -> list[bytes]:
            other.sendto(echo_name(request)[0], request.source)
            return []

        async with ScriptedAgent(from_elsewhere) as agent, SnmpClient() as client:
            with pytest.raises(SnmpTimeout):
                await client.get(agent.target(timeout=0.3, retries=1), [SYS_NAME])
            await eventually(lambda: client.stats.dropped == 2)
    finally:
        other.close()


@pytest.mark.parametrize(
    "damage",
    [lambda good: good[:-1], lambda good: good[:30], lambda good: good[:-3] + b"\x47\x01\x00"],
    ids=["last-octet-lost", "tail-lost", "unknown-value-type"],
)
async def test_a_broken_answer_carrying_our_request_id_fails_the_request_at_once(
    damage: Callable[[bytes], bytes],
) -> None:
    """Retrying would bring the same broken answer: fail now, with the decoder's reason."""

    def broken(request: Request) -> list[bytes]:
        return [damage(reply(request, [(SYS_NAME, b"x")]))]

    async with ScriptedAgent(broken) as agent, SnmpClient() as client:
        with pytest.raises(SnmpDecodeError):
            await client.get(agent.target(timeout=30.0, retries=3), [SYS_NAME])
        assert (client.stats.malformed, client.stats.sent) == (1, 1)


# --- many requests on one socket -----------------------------------------------------------


async def test_concurrent_requests_each_get_their_own_answer_in_any_order() -> None:
    count = 40

    def all_at_once_in_reverse(request: Request) -> list[bytes]:
        if len(agent.requests) < count:
            return []
        return [answer for held in reversed(agent.requests) for answer in echo_name(held)]

    client = SnmpClient(max_per_agent=count)
    async with ScriptedAgent(all_at_once_in_reverse) as agent, client:
        target = agent.target(timeout=10.0)
        oids = [(1, 3, 6, 1, 4, 1, 99, i) for i in range(count)]
        results = await asyncio.gather(*(client.get(target, [oid]) for oid in oids))
    for oid, result in zip(oids, results, strict=True):
        assert result == [(oid, ".".join(map(str, oid)).encode())]


async def test_max_per_agent_bounds_the_requests_on_the_wire() -> None:
    limit, total = 3, 12
    held: list[Request] = []
    peak = 0

    def in_batches(request: Request) -> list[bytes]:
        nonlocal peak
        held.append(request)
        peak = max(peak, len(held))
        if len(held) < limit:
            return []
        batch = [answer for r in held for answer in echo_name(r)]
        held.clear()
        return batch

    async with ScriptedAgent(in_batches) as agent, SnmpClient(max_per_agent=limit) as client:
        target = agent.target(timeout=10.0)
        oids = [(1, 3, 6, 1, 4, 1, 99, i) for i in range(total)]
        results = await asyncio.gather(*(client.get(target, [oid]) for oid in oids))
    assert [r[0][0] for r in results] == oids
    assert peak == limit  # reached, never exceeded
    assert client.stats.retransmits == 0


async def test_a_request_cancelled_while_waiting_its_turn_passes_the_turn_on() -> None:
    first, second, third = ((1, 3, 6, 1, 4, 1, 99, i) for i in range(3))

    def hold_the_first(request: Request) -> list[bytes]:
        return [] if request.oids[0] == first else echo_name(request)

    client = SnmpClient(max_per_agent=1)
    async with ScriptedAgent(hold_the_first) as agent, client:
        target = agent.target(timeout=0.5, retries=0)
        holder = asyncio.ensure_future(client.get(target, [first]))
        await agent.wait_until(lambda: len(agent.requests) == 1)
        gate = client._agents[("127.0.0.1", agent.port)]
        cancelled = asyncio.ensure_future(client.get(target, [second]))
        waiting = asyncio.ensure_future(client.get(target, [third]))
        await eventually(lambda: len(gate.waiters) == 2)
        cancelled.cancel()
        with pytest.raises(SnmpTimeout):
            await holder
        assert await waiting == [(third, b"1.3.6.1.4.1.99.2")]
        assert cancelled.cancelled()
        assert [r.oids[0] for r in agent.requests] == [first, third]
        assert (gate.free, len(gate.waiters)) == (1, 0)


async def test_closing_the_client_fails_waiting_requests() -> None:
    async with ScriptedAgent(lambda request: []) as agent:
        client = SnmpClient()
        await client.open()
        waiting = asyncio.ensure_future(client.get(agent.target(timeout=30.0), [SYS_NAME]))
        await agent.wait_until(lambda: len(agent.requests) == 1)
        await client.close()
        with pytest.raises(SnmpClosedError):
            await waiting
        with pytest.raises(SnmpClosedError):
            await client.get(agent.target(), [SYS_NAME])


# --- walks that do not progress --------------------------------------------------------------

ROOT = (1, 3, 6, 1, 4, 1, 99)


def walker(next_of: dict[tuple[int, ...], tuple[int, ...]]) -> ScriptedAgent:
    """An agent whose idea of "next" is the `next_of` table, for GETNEXT and GETBULK alike
    (a GETBULK answer follows the table max-repetitions times)."""

    def respond(request: Request) -> list[bytes]:
        steps = request.pdu.max_repetitions if request.pdu.type == 0xA5 else 1
        oid = request.oids[0]
        rows: list[VarBind] = []
        for _ in range(max(steps, 1)):
            nxt = next_of.get(oid)
            if nxt is None:
                rows.append((oid, NoValue.END_OF_MIB_VIEW))
                break
            rows.append((nxt, b"row"))
            oid = nxt
        if request.version is Version.V1 and rows[-1][1] is NoValue.END_OF_MIB_VIEW:
            return [reply(request, [(request.oids[0], None)], error_status=2, error_index=1)]
        return [reply(request, rows)]

    return ScriptedAgent(respond)


CIRCLE = {ROOT: (*ROOT, 1), (*ROOT, 1): (*ROOT, 2), (*ROOT, 2): (*ROOT, 3), (*ROOT, 3): (*ROOT, 1)}
STUCK = {ROOT: (*ROOT, 1), (*ROOT, 1): (*ROOT, 1)}


@pytest.mark.parametrize("table", [CIRCLE, STUCK], ids=["circle", "stuck"])
@pytest.mark.parametrize(
    ("version", "bulk"), [(Version.V1, False), (Version.V2C, False), (Version.V2C, True)]
)
async def test_a_walk_that_does_not_increase_stops_with_a_loop_error(
    table: dict[tuple[int, ...], tuple[int, ...]], version: Version, bulk: bool
) -> None:
    async with walker(table) as agent, SnmpClient() as client:
        with pytest.raises(SnmpLoopError, match=r"back to 1\.3\.6\.1\.4\.1\.99\.1"):
            await client.walk(agent.target(version), ROOT, bulk=bulk, max_repetitions=2)
        assert len(agent.requests) <= 4  # it stopped at once, not after max_rows


async def test_a_walk_that_never_ends_stops_at_max_rows() -> None:
    endless: dict[Oid, Oid] = {
        ROOT: (*ROOT, 0),
        **{(*ROOT, i): (*ROOT, i + 1) for i in range(1000)},
    }
    async with walker(endless) as agent, SnmpClient() as client:
        with pytest.raises(SnmpWalkError, match="passed 50 rows"):
            await client.walk(agent.target(), ROOT, max_rows=50, max_repetitions=10)


async def test_a_healthy_walk_ends_at_the_subtree_end_and_at_end_of_mib_view() -> None:
    table = {ROOT: (*ROOT, 1), (*ROOT, 1): (*ROOT, 2), (*ROOT, 2): (1, 3, 6, 1, 4, 1, 100)}
    async with walker(table) as agent, SnmpClient() as client:
        for version, bulk in ((Version.V1, False), (Version.V2C, False), (Version.V2C, True)):
            rows = await client.walk(agent.target(version), ROOT, bulk=bulk)
            assert rows == [((*ROOT, 1), b"row"), ((*ROOT, 2), b"row")]
        assert await client.walk(agent.target(), (*ROOT, 2)) == []
    for data in agent.raw:
        assert isinstance(decode_message(data), CommunityMessage)
