"""Deadlines for many futures on one loop timer: cheaper than a timer (or asyncio.timeout)
per probe, which costs a timer handle to create and another loop pass to cancel.

    slot = expire_at(loop, future, deadline)  # future fails with TimeoutError at deadline
    try:
        await future
    finally:
        forget(slot)

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
from typing import Any

SLACK = 0.005  # s: deadlines this close together expire in one timer call
COMPACT_AT = 1024  # never rebuild a heap smaller than this

Slot = list[Any]  # [future or None]: None once forgotten or expired


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

    def watch(self, future: asyncio.Future[Any], deadline: float) -> Slot:
        """Fail `future` with TimeoutError at `deadline` (loop time) unless it is done."""
        slot: Slot = [future]
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
                future.set_exception(TimeoutError())
        if heap:
            self._arm(heap[0][0] + SLACK)


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Expiry] = weakref.WeakKeyDictionary()


def expiry() -> Expiry:
    """The running loop's deadlines, made on first use."""
    loop = asyncio.get_running_loop()
    found = _BY_LOOP.get(loop)
    if found is None:
        found = _BY_LOOP[loop] = Expiry(loop)
    return found
