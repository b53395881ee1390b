"""Times as people read them: "3 s ago", "2.5 h ago" (or compact: "3s ago", for terminals)."""

from __future__ import annotations

_UNITS = (  # (below this many seconds, divide by, digits, spaced unit, compact unit)
    (90, 1, 0, " s", "s"),
    (5400, 60, 0, " min", "m"),
    (36 * 3600, 3600, 1, " h", "h"),
    (float("inf"), 86400, 1, " days", "d"),
)


def ago(ts: float | None, now: float, *, compact: bool = False) -> str:
    if ts is None:
        return "never"
    seconds = max(0.0, now - ts)
    for limit, size, digits, spaced, short in _UNITS:
        if seconds < limit:
            return f"{seconds / size:.{digits}f}{short if compact else spaced} ago"
    raise AssertionError("unreachable")  # pragma: no cover - the last limit is infinite
