"""Deadlines for many futures on one loop timer: cheaper than a timer (or asyncio.timeout)
per probe, which costs a timer handle to create and another loop pass to cancel.

    deadlines = expiry()
    slot = deadlines.watch(future, deadline)  # future fails with TimeoutError at deadline
    try:
        await future
    finally:
        deadlines.forget(slot)

`watch(task, deadline, cancel_task)` cancels a task instead, and `expired(slot)` then tells
the task's own cancellation from one that came from outside (the collector's guard around
each probe: `collector.runner`).

Deadlines sit in a heap; a finished future's entry is only marked (not searched for) and
dropped when it reaches the top, and the heap is rebuilt without such entries when they
outnumber the live ones, so it stays bounded by about twice the futures in flight.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import weakref
from collections.abc import Callable
from typing import Any

SLACK = 0.005  # s: deadlines this close together expire in one timer call
COMPACT_AT = 1024  # never rebuild a heap smaller than this

# [future or None, what to do at the deadline, expired?]: None once forgotten or expired
Slot = list[Any]


def fail_with_timeout(future: asyncio.Future[Any]) -> None:
    future.set_exception(TimeoutError())


def cancel_task(task: asyncio.Future[Any]) -> None:
    task.cancel()


def expired(slot: Slot) -> bool:
    """Whether the deadline of this slot was reached (rather than the slot forgotten)."""
    return bool(slot[2])


class Expiry:
    """The deadlines of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # weak: the per-loop table must not keep loops alive
        self._heap: list[tuple[float, int, Slot]] = []
        self._seq = itertools.count()
        self._live = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def __len__(self) -> int:
        return self._live

    def watch(
        self,
        future: asyncio.Future[Any],
        deadline: float,
        at_deadline: Callable[[asyncio.Future[Any]], None] = fail_with_timeout,
    ) -> Slot:
        """At `deadline` (loop time), unless `future` is done by then, fail it with
        TimeoutError (or do `at_deadline` to it)."""
        slot: Slot = [future, at_deadline, False]
        heapq.heappush(self._heap, (deadline, next(self._seq), slot))
        self._live += 1
        if deadline + SLACK < self._timer_at:
            self._arm(deadline + SLACK)
        return slot

    def forget(self, slot: Slot) -> None:
        if slot[0] is None:
            return
        slot[0] = None
        self._live -= 1
        if len(self._heap) > max(COMPACT_AT, 2 * self._live):
            self._heap = [entry for entry in self._heap if entry[2][0] is not None]
            heapq.heapify(self._heap)

    def _arm(self, when: float) -> None:
        loop = self._loop()
        if self._timer is not None:
            self._timer.cancel()
        if loop is not None:
            self._timer, self._timer_at = loop.call_at(when, self._sweep), when

    def _sweep(self) -> None:
        self._timer, self._timer_at = None, math.inf
        loop = self._loop()
        if loop is None:
            return
        heap, now = self._heap, loop.time()
        while heap and (heap[0][0] <= now or heap[0][2][0] is None):
            slot = heapq.heappop(heap)[2]
            future = slot[0]
            if future is None:
                continue
            slot[0] = None
            self._live -= 1
            if not future.done():
                slot[2] = True
                slot[1](future)
        if heap:
            self._arm(heap[0][0] + SLACK)


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Expiry] = weakref.WeakKeyDictionary()


def expiry(loop: asyncio.AbstractEventLoop | None = None) -> Expiry:
    """The deadlines of `loop` (the running loop when not given), made on first use."""
    if loop is None:
        loop = asyncio.get_running_loop()
    found = _BY_LOOP.get(loop)
    if found is None:
        found = _BY_LOOP[loop] = Expiry(loop)
    return found
