"""What one ping saw, with the summary figures monitoring reads."""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PingResult:
    """What one ping saw: echoes sent and the round-trip time of each reply, in
    milliseconds, in the order the echoes were sent."""

    address: str
    packets_sent: int
    rtts: tuple[float, ...]

    @property
    def packets_received(self) -> int:
        return len(self.rtts)

    @property
    def min_rtt(self) -> float:
        return round(min(self.rtts), 3) if self.rtts else 0.0

    @property
    def max_rtt(self) -> float:
        return round(max(self.rtts), 3) if self.rtts else 0.0

    @property
    def avg_rtt(self) -> float:
        return round(sum(self.rtts) / len(self.rtts), 3) if self.rtts else 0.0

    @property
    def jitter(self) -> float:
        """Mean absolute difference between consecutive round-trip times."""
        rtts = self.rtts
        if len(rtts) < 2:
            return 0.0
        return round(sum(abs(b - a) for a, b in itertools.pairwise(rtts)) / (len(rtts) - 1), 3)
