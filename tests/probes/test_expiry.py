"""One timer for many deadlines: futures fail with TimeoutError at theirs, finished ones are
forgotten, and the heap stays bounded."""

from __future__ import annotations

import asyncio

import pytest

from sitekeeper.probes._expiry import COMPACT_AT, Expiry, expiry


async def test_a_future_fails_at_its_deadline_and_a_finished_one_does_not() -> None:
    loop = asyncio.get_running_loop()
    deadlines = expiry()
    late: asyncio.Future[None] = loop.create_future()
    prompt: asyncio.Future[None] = loop.create_future()
    late_slot = deadlines.watch(late, loop.time() + 0.05)
    prompt_slot = deadlines.watch(prompt, loop.time() + 0.05)
    prompt.set_result(None)
    deadlines.forget(prompt_slot)
    with pytest.raises(TimeoutError):
        await late
    deadlines.forget(late_slot)
    assert prompt.result() is None
    assert len(deadlines) == 0


async def test_deadlines_expire_in_their_order_whatever_the_order_they_came_in() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Expiry(loop)
    order: list[float] = []
    futures = []
    for wait in (0.09, 0.03, 0.06):
        future: asyncio.Future[None] = loop.create_future()
        future.add_done_callback(lambda _, w=wait: order.append(w))
        deadlines.watch(future, loop.time() + wait)
        futures.append(future)
    await asyncio.gather(*futures, return_exceptions=True)
    assert order == [0.03, 0.06, 0.09]


async def test_forgotten_deadlines_do_not_pile_up() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Expiry(loop)
    for _ in range(5 * COMPACT_AT):
        future: asyncio.Future[None] = loop.create_future()
        slot = deadlines.watch(future, loop.time() + 60.0)
        future.set_result(None)
        deadlines.forget(slot)
    assert len(deadlines) == 0
    assert len(deadlines._heap) <= COMPACT_AT


def test_each_loop_has_its_own_deadlines() -> None:
    async def mine() -> Expiry:
        return expiry()

    first, second = asyncio.run(mine()), asyncio.run(mine())
    assert first is not second
