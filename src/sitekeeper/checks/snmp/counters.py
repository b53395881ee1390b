"""Counter arithmetic for rates: wraps, resets and agent restarts (pure).

A counter's value means nothing alone; only the difference between two samples does
(RFC 2578 §7.1.6). Three things break a naive difference:

- a *wrap*: a Counter32 passes 2^32-1 and starts again at 0 (a busy gigabit port does so
  every 34 s), so a smaller value is the old one plus the distance to the top;
- a *reset* without a restart (`clear counters`, a line card swapped): the value falls, and
  "wrapping" it would invent exabytes. A Counter64 that falls is taken as wrapped only when
  the wrapped distance is under half its range; otherwise it was reset. (A Counter32 cannot
  tell the two apart: at 2^32 a wrap is the likelier story, and it is taken as one);
- an agent *restart*: sysUpTime went down and every counter began again from 0.

In the last two cases there is no rate for this sample; the next one has a rate again.
"""

from __future__ import annotations

TICKS_PER_S = 100
UPTIME_WRAP = 1 << 32  # sysUpTime is TimeTicks (hundredths), wrapping after ~497 days
# A wrapped uptime still has to fit the wall time that passed; allow this much slack.
UPTIME_SLACK_S = 30.0


def delta(previous: int, current: int, bits: int) -> int | None:
    """How far a `bits`-wide counter moved, or None when it was reset."""
    if current >= previous:
        return current - previous
    moved = current + (1 << bits) - previous
    if moved < 0 or (bits >= 64 and moved >= 1 << (bits - 1)):
        return None
    return moved


def per_second(previous: int, current: int, bits: int, elapsed_s: float) -> float | None:
    """The counter's rate over `elapsed_s`, or None (reset, or no time passed)."""
    if elapsed_s <= 0:
        return None
    moved = delta(previous, current, bits)
    return None if moved is None else moved / elapsed_s


def restarted(previous_ticks: int, current_ticks: int, elapsed_s: float) -> bool:
    """Did the agent restart between two sysUpTime samples taken `elapsed_s` apart?

    Uptime going down means a restart, unless it is the 497-day wrap: then the old value
    plus the time that passed lands just past 2^32, near the new value."""
    if current_ticks >= previous_ticks:
        return False
    expected = previous_ticks + elapsed_s * TICKS_PER_S
    if expected < UPTIME_WRAP:
        return True
    return abs((expected - UPTIME_WRAP) - current_ticks) > UPTIME_SLACK_S * TICKS_PER_S
