"""The one probe signature, and what a probe is given.

    async def probe(target: Target, spec: SomeCheck, ctx: ProbeContext) -> Observation

A probe observes within `ctx.deadline`, never raises, and never decides "down": it reports
what it saw (ok, latency, values, error). Judging is the state engine's job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sitekeeper.clock import Clock
from sitekeeper.observation import Observation, Value
from sitekeeper.protocols.http import HttpSessions


@dataclass(frozen=True, slots=True)
class Target:
    """Where a check points: the device's address and the port resolved for this check."""

    check_id: int
    address: str
    port: int | None = None
    name: str = ""  # device key, for log lines
    # the device's credentials, resolved from the encrypted store; never logged or shown
    credentials: Mapping[str, str] | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class ProbeContext:
    """Travels down every probe call: the deadline, the clock, shared sessions, debug log."""

    deadline: float  # on clock.monotonic()
    clock: Clock
    http: HttpSessions
    debug: bool = False
    lines: list[str] = field(default_factory=list)

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - self.clock.monotonic())

    def log(self, message: str) -> None:
        """A debug line, kept only in debug mode (`sitekeeper check run`)."""
        if self.debug:
            self.lines.append(message)

    def observation(
        self,
        target: Target,
        *,
        ok: bool | None,
        started: float,
        latency_ms: float | None = None,
        values: dict[str, Value] | None = None,
        error: str | None = None,
        details: dict[str, Value] | None = None,
    ) -> Observation:
        """Build the Observation for `target`; `started` is the wall-clock start time."""
        if error:
            self.log(f"error: {error}")
        return Observation(
            check_id=target.check_id,
            at=started,
            ok=ok,
            latency_ms=latency_ms,
            values=values or {},
            error=error,
            details=details or {},
            log=tuple(self.lines),
        )


ProbeFn = Callable[[Target, Any, ProbeContext], Awaitable[Observation]]
