"""The small pieces of markup every table row repeats (a status badge, a relative time, a
check's line), as Python functions the templates call. They were Jinja macros; a macro call
costs several times a function call, and the overview of a large MSP makes thousands of them
per page. The HTML is the same, escaped the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from markupsafe import Markup

from sitekeeper.statuswords import SYMBOL
from sitekeeper.timefmt import ago


def symbol(status: str) -> str:
    return SYMBOL.get(status, "?")


def status_class(status: str) -> str:
    """The CSS class of a status word: `st-down`, `st-ok`, ..."""
    return "st-" + status.lower()


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def utc(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


BADGE = Markup('<span class="badge {}"><span aria-hidden="true">{}</span> {}</span>')
TIME = Markup('<time datetime="{}" title="{}">{}</time>')
NO_TIME = Markup("—")
CHECK = Markup('<span class="chk"><span class="chk-name">{}</span> {}')
SOFT = Markup(' <span class="soft">(soft {}/{})</span>')
FLAPPING = Markup(
    ' <span class="badge st-flapping"><span aria-hidden="true">↯</span> FLAPPING</span>'
)
STALE = Markup(' <span class="badge st-stale"><span aria-hidden="true">⌛</span> STALE</span>')
REASON = Markup('<span class="reason">: {}</span>')
END = Markup("</span>")


@cache
def badge(status: str) -> Markup:
    """A status as a word and a symbol (colour only repeats it); the symbol is hidden from
    screen readers so they read "DOWN", not the name of the glyph."""
    return BADGE.format(status_class(status), symbol(status), status)


def when(ts: float | None, now: float) -> Markup:
    """A time as "3 min ago", with the exact time in ISO 8601 and in words for the curious."""
    if not ts:
        return NO_TIME
    stamp = iso(ts)  # "2027-01-15T08:00:00+00:00": `utc` is made of it, not formatted again
    return TIME.format(stamp, f"{stamp[:10]} {stamp[11:19]} UTC", ago(ts, now))


def check_line(c: Any) -> Markup:
    """A check's name and status, with soft attempts, flapping, staleness and the reason
    (Markup's format and join escape every value they are given)."""
    parts = [CHECK.format(c.name, badge(c.status))]
    if c.state_type == "SOFT" and c.status != "OK":
        parts.append(SOFT.format(c.attempt, c.max_attempts))
    if c.flapping:
        parts.append(FLAPPING)
    if c.stale:
        parts.append(STALE)
    if c.status != "OK" and c.reason:
        parts.append(REASON.format(c.reason))
    parts.append(END)
    return Markup("").join(parts)
