"""Counters and lateness figures for the scheduler (bounded memory)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass
class SchedulerStats:
    runs: int = 0
    missed: int = 0  # scheduled slots skipped: previous run unfinished, or the collector behind
    overlaps_prevented: int = 0  # a check came due while its previous run was still going
    hurried: int = 0  # checks run early because a sibling check changed between OK and not
    reprobed: int = 0  # checks run early because the correlator asked (re-probing a parent)
    in_flight: int = 0
    max_in_flight: int = 0
    lateness_max_s: float = 0.0
    _lateness: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))

    def record_start(self, lateness_s: float) -> None:
        self.runs += 1
        self._lateness.append(lateness_s)
        self.lateness_max_s = max(self.lateness_max_s, lateness_s)

    def lateness(self) -> dict[str, float]:
        values = sorted(self._lateness)
        return {
            "p50_ms": percentile(values, 0.50) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
            "max_ms": self.lateness_max_s * 1000,
        }

    def reset_lateness(self) -> None:
        self._lateness.clear()
        self.lateness_max_s = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "runs": self.runs,
            "missed": self.missed,
            "overlaps_prevented": self.overlaps_prevented,
            "hurried": self.hurried,
            "reprobed": self.reprobed,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            **{f"lateness_{k}": v for k, v in self.lateness().items()},
        }
