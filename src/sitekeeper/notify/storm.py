"""The storm budget (pure): per client, at most `max_pages` messages in any `window_s`;
beyond that, messages are folded into one digest per window instead of a page each.

    budget = StormBudget(StormPolicy(max_pages=5, window_s=600))
    decision = budget.decide(client_id, now)
    decision.page            -> send it as usual
    decision.digest_key(ch)  -> else fold it into this digest, sent at decision.digest_at

Every message counts, paged or folded, so a storm that goes on stays folded (one digest per
window) until fewer than `max_pages` arrive within `window_s`. Memory is bounded: the last
`max_pages` times per client. The budget lives in the worker's memory; after a restart
`seed` can rebuild it, and without that, at most `max_pages` more pages go out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StormPolicy:
    max_pages: int = 5
    window_s: float = 600.0

    def __post_init__(self) -> None:
        if self.max_pages < 1 or self.window_s <= 0:
            raise ValueError("a storm budget needs max_pages >= 1 and window_s > 0")


@dataclass(frozen=True, slots=True)
class Decision:
    page: bool
    client_id: int
    window_start: float | None = None  # of the digest this message is folded into
    digest_at: float | None = None  # when that digest goes out

    def digest_key(self, channel_id: int) -> str:
        if self.window_start is None:
            raise ValueError("this message pages; it is not folded into a digest")
        return f"digest:{self.client_id}:{self.window_start:.0f}:channel:{channel_id}"


class StormBudget:
    def __init__(self, policy: StormPolicy | None = None) -> None:
        self.policy = policy or StormPolicy()
        self._recent: dict[int, deque[float]] = {}
        self._digest: dict[int, float] = {}  # client -> start of its open digest window

    def decide(self, client_id: int, now: float) -> Decision:
        recent = self._recent.setdefault(client_id, deque(maxlen=self.policy.max_pages))
        start = self._digest.get(client_id)
        if start is not None and now >= start + self.policy.window_s:
            del self._digest[client_id]
            start = None
        storming = len(recent) == self.policy.max_pages and recent[0] > now - self.policy.window_s
        recent.append(now)
        if start is None and not storming:
            return Decision(page=True, client_id=client_id)
        if start is None:
            start = self._digest[client_id] = now
        return Decision(False, client_id, start, start + self.policy.window_s)

    def seed(
        self, client_id: int, times: Iterable[float], digest_start: float | None = None
    ) -> None:
        """Rebuild a client's budget after a restart: when its recent messages were sent, and
        the start of a digest window still open."""
        recent = self._recent.setdefault(client_id, deque(maxlen=self.policy.max_pages))
        recent.extend(sorted(times))
        if digest_start is not None:
            self._digest[client_id] = digest_start
