"""Baselines (pure): "online but uneven". A check that answers, but far slower than it
usually does, is WARN before it fails outright — with its usual latency in the reason.

The baseline is robust: the median and the median absolute deviation (MAD) of the last
`WINDOW` latencies, so a few spikes do not move it. A result is unusual when its latency is
above median + K x MAD (scaled to a standard deviation), and at least `FLOOR_MS` and
`FLOOR_RATIO` x median above the median, so jitter on a 1 ms loopback does not page.

Every answered result joins the window, unusual or not: a shift that lasts becomes the new
normal after about half a window (it stops warning then), a short bout of slowness does not.
"""

from __future__ import annotations

from collections.abc import Sequence
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
