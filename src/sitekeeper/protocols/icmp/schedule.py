"""Deadlines for the pinger without a timer or a heap entry per item.

Deadlines are kept in buckets of 1/`per_second` seconds, each bucket a list filled in arrival
order, with a heap of the bucket times only (one push per bucket, and a burst of items with
the same wait fills one bucket). A bucket's time is after every deadline in it and at most
one bucket later, so whoever takes the items out at that time is never early and at most one
bucket late. Any mix of deadlines works, in any order: unlike a sorted queue per wait value,
which the pinger used before (the icmp probe derives each ping's wait from its check's
remaining budget, so waits can differ from ping to ping), and an item may be filed again
for a later deadline when its time comes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Deadlines(Generic[T]):
    """Items each with a deadline, taken out in buckets once their bucket's time has come."""

    __slots__ = ("_buckets", "_heap", "_last", "_last_at", "_scale")

    def __init__(self, per_second: int) -> None:
        self._scale = per_second
        self._buckets: dict[float, list[T]] = {}
        self._heap: list[float] = []
        # the bucket filled last: a burst of items with one wait fills the same bucket
        self._last_at = math.nan
        self._last: list[T] = []

    def add(self, deadline: float, item: T) -> float:
        """File `item`; returns its bucket's time (when it may be taken out)."""
        at = (int(deadline * self._scale) + 1) / self._scale
        if at <= deadline:  # the product rounded down to a whole bucket: the next one
            at = (int(deadline * self._scale) + 2) / self._scale
        if at == self._last_at:
            self._last.append(item)
            return at
        bucket = self._buckets.get(at)
        if bucket is None:
            bucket = self._buckets[at] = []
            heapq.heappush(self._heap, at)
        bucket.append(item)
        self._last_at, self._last = at, bucket
        return at

    @property
    def next_at(self) -> float:
        """The time of the earliest bucket, or infinity."""
        return self._heap[0] if self._heap else math.inf

    def due(self, now: float) -> Iterator[T]:
        """Take out every item whose bucket's time is `now` or earlier, oldest first."""
        heap, buckets = self._heap, self._buckets
        while heap and heap[0] <= now:
            at = heapq.heappop(heap)
            if at == self._last_at:
                self._last_at = math.nan
            yield from buckets.pop(at)

    def clear(self) -> None:
        self._buckets.clear()
        self._heap.clear()
        self._last_at = math.nan
