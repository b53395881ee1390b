"""A small sliding-window limiter for logins: per address and per account, in memory.

Per process: behind a load balancer each server limits on its own, which still bounds
guessing to (servers x limit) per window.
"""

from __future__ import annotations

from collections import deque


class RateLimiter:
    def __init__(self, limit: int, window_s: float, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0 when it may now)."""
        hits = self._hits.get(key)
        if not hits:
            return 0.0
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) < self.limit:
            return 0.0
        return hits[0] + self.window_s - now

    def hit(self, key: str, now: float) -> None:
        if key not in self._hits and len(self._hits) >= self._max_keys:
            self._evict(now)
        self._hits.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
            del self._hits[key]
        while len(self._hits) >= self._max_keys:  # still full: drop the oldest keys
            del self._hits[next(iter(self._hits))]
