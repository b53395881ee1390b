"""Baselines (pure): "online but uneven". A check that answers, but far slower than it
usually does, is WARN before it fails outright — with its usual latency in the reason.

The baseline is robust: the median and the median absolute deviation (MAD) of the last
`WINDOW` latencies, so a few spikes do not move it. A result is unusual when its latency is
above median + K x MAD (scaled to a standard deviation), and at least `FLOOR_MS` and
`FLOOR_RATIO` x median above the median, so jitter on a 1 ms loopback does not page.

Every answered result joins the window, unusual or not: a shift that lasts becomes the new
normal after about half a window (it stops warning then), a short bout of slowness does not.

Ingest judges every answered result, so it keeps each check's window as a `Window`: the
latencies in arrival order and sorted, so the median is a lookup and adding one a bisect,
and the MAD is only computed for a result above the floors (almost never). `judge` and
`remember` are the same rules on a plain sequence. Ingest changes the windows in place and
keeps what `add` returns, so that a batch whose transaction fails can `undo` its latencies.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

WINDOW = 60  # results kept
MIN_SAMPLES = 20  # learn before judging
K = 6.0  # how many (MAD-estimated) standard deviations above the median is unusual
MAD_TO_SD = 1.4826  # MAD of a normal distribution x this = its standard deviation
FLOOR_MS = 50.0  # never flag less than this much above the median ...
FLOOR_RATIO = 1.0  # ... nor less than the median again (twice the usual latency)


@dataclass(frozen=True, slots=True)
class Verdict:
    unusual: bool
    median_ms: float
    spread_ms: float  # the MAD-estimated standard deviation
    limit_ms: float

    def reason(self, latency_ms: float) -> str:
        return (
            f"slow: {latency_ms:.0f} ms, usually {self.median_ms:.0f} ms "
            f"(± {self.spread_ms:.0f}; over {self.limit_ms:.0f} ms is unusual)"
        )


def judge(history: Sequence[float], latency_ms: float) -> Verdict | None:
    """None while learning; else whether `latency_ms` is unusual for this history."""
    if len(history) < MIN_SAMPLES:
        return None
    mid = median(history)
    spread = MAD_TO_SD * median(abs(v - mid) for v in history)
    limit = mid + max(K * spread, FLOOR_MS, FLOOR_RATIO * mid)
    return Verdict(unusual=latency_ms > limit, median_ms=mid, spread_ms=spread, limit_ms=limit)


def remember(history: Sequence[float], latency_ms: float) -> tuple[float, ...]:
    """The window after this result (bounded)."""
    return (*history[-(WINDOW - 1) :], round(latency_ms, 3))


class Window:
    """A check's last WINDOW latencies (rounded as `remember` rounds them), also kept sorted."""

    __slots__ = ("_recent", "_sorted", "added")

    def __init__(self, latencies: Iterable[float] = ()) -> None:
        self._recent: deque[float] = deque(latencies, maxlen=WINDOW)
        self._sorted = sorted(self._recent)
        self.added = 0  # latencies added since it was made: a cheap "has it moved" counter

    def __len__(self) -> int:
        return len(self._recent)

    def latencies(self) -> tuple[float, ...]:
        """Oldest first, as `remember` returns them."""
        return tuple(self._recent)

    def add(self, latency_ms: float) -> float | None:
        """Add one latency; returns the oldest one it pushed out (None while not full), which
        `undo` puts back."""
        value = round(latency_ms, 3)
        dropped = None
        if len(self._recent) == WINDOW:
            dropped = self._recent[0]
            del self._sorted[bisect_left(self._sorted, dropped)]
        self._recent.append(value)  # the deque drops the oldest itself
        insort(self._sorted, value)
        self.added += 1
        return dropped

    def undo(self, dropped: float | None) -> None:
        """Take back the latest `add`, which returned `dropped`: the window is as before it."""
        value = self._recent.pop()
        del self._sorted[bisect_left(self._sorted, value)]
        if dropped is not None:
            self._recent.appendleft(dropped)
            insort(self._sorted, dropped)
        self.added -= 1

    def median(self) -> float:
        s = self._sorted
        n = len(s)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2

    def unusual(self, latency_ms: float) -> Verdict | None:
        """The verdict when `latency_ms` is unusual (as `judge` decides), else None."""
        s = self._sorted
        n = len(s)
        if n < MIN_SAMPLES:
            return None
        mid = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2  # median(), inlined
        floor = FLOOR_RATIO * mid
        if latency_ms <= mid + (floor if floor > FLOOR_MS else FLOOR_MS):
            return None  # under the floors: not unusual whatever the spread
        verdict = judge(self._sorted, latency_ms)
        return verdict if verdict is not None and verdict.unusual else None
