"""The small pieces of markup every table row repeats (a status badge, a relative time, a
check's line, the rows of the problems and places tables), as Python functions the templates
call. A Jinja macro call, and Markup.format, cost several times an f-string of escaped values,
and the overview of a large MSP makes thousands of them per page. Every value that comes from
a device, the inventory or a person goes through markupsafe's `escape`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from markupsafe import Markup, escape

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


BADGE = '<span class="badge {}"><span aria-hidden="true">{}</span> {}</span>'
NO_TIME = Markup("—")
FLAPPING = ' <span class="badge st-flapping"><span aria-hidden="true">↯</span> FLAPPING</span>'
STALE = ' <span class="badge st-stale"><span aria-hidden="true">⌛</span> STALE</span>'


def _built(html: str) -> Markup:
    """HTML this module built: every value in it went through `escape` on its way in."""
    return Markup(html)  # noqa: S704 (each value was escaped where it was put in)


@cache
def badge(status: str) -> Markup:
    """A status as a word and a symbol (colour only repeats it); the symbol is hidden from
    screen readers so they read "DOWN", not the name of the glyph."""
    word = escape(status)
    return _built(BADGE.format(escape(status_class(status)), escape(symbol(status)), word))


def when(ts: float | None, now: float) -> Markup:
    """A time as "3 min ago", with the exact time in ISO 8601 and in words for the curious."""
    return _built(_when(ts, now))


def _when(ts: float | None, now: float) -> str:
    if not ts:
        return NO_TIME
    stamp = iso(ts)  # "2027-01-15T08:00:00+00:00": `utc` is made of it, not formatted again
    title = f"{stamp[:10]} {stamp[11:19]} UTC"
    return f'<time datetime="{escape(stamp)}" title="{escape(title)}">{escape(ago(ts, now))}</time>'


def check_line(c: Any) -> Markup:
    """A check's name and status, with soft attempts, flapping, staleness and the reason
    (every value from a device or the inventory is escaped)."""
    return _built(_check_line(c))


def _check_line(c: Any) -> str:
    line = f'<span class="chk"><span class="chk-name">{escape(c.name)}</span> {badge(c.status)}'
    if c.state_type == "SOFT" and c.status != "OK":
        line += f' <span class="soft">(soft {escape(c.attempt)}/{escape(c.max_attempts)})</span>'
    if c.flapping:
        line += FLAPPING
    if c.stale:
        line += STALE
    if c.status != "OK" and c.reason:
        line += f'<span class="reason">: {escape(c.reason)}</span>'
    return line + "</span>"


def problem_rows(problems: Iterable[Any], now: float, names: Any, here: bool) -> Markup:
    """The rows of the problems table (partials/problems.html): a device's status, name,
    where it is (unless `here`, on its own site's page), its failing checks and since when.
    The overview lists up to 200 of them; as one function rather than a template loop they
    cost a fraction of the page."""
    rows = []
    for d in problems:
        name, key = escape(d.name), escape(d.key)
        shown = "" if d.key == d.name else f' <span class="key">{key}</span>'
        where = "" if here else _where(d, names)
        lines = [_check_line(c) for c in d.failing]
        failing_text = (
            "<br>".join(lines)
            if lines
            else f'<span class="reason">{escape(d.reason or "—")}</span>'
        )
        rows.append(
            f'  <tr role="row" data-device="{key}">\n'
            f'    <td role="cell" data-label="Status">{badge(d.status)}</td>\n'
            f'    <td role="cell" data-label="Device"><a href="/devices/{escape(d.id)}">{name}</a>{shown}</td>\n'
            f"{where}"
            '    <td role="cell" data-label="Failing checks">\n'
            f"{failing_text}"
            "    </td>\n"
            f'    <td role="cell" data-label="Since">{_when(d.since, now)}</td>\n'
            "  </tr>\n"
        )
    return _built("".join(rows))


def _where(d: Any, names: Any) -> str:
    """The device's client and site, as links where their ids are known."""
    c = names.clients.get(d.client)
    s = names.sites.get((d.client, d.site))
    client = f'<a href="/clients/{escape(c[0])}">{escape(c[1])}</a>' if c else escape(d.client)
    site = f'<a href="/sites/{escape(s[0])}">{escape(s[1])}</a>' if s else escape(d.site)
    return f'    <td role="cell" data-label="Where">{client} › {site}</td>\n'


def place_rows(places: Iterable[Any], base: str, noun: str) -> Markup:
    """The rows of a table of clients or sites (partials/places.html): each with its worst
    status, its devices counted by status, and how many have problems."""
    label, attr, base = escape(noun.capitalize()), escape(noun), escape(base)
    rows = []
    for p in places:
        t = p.tally
        worst = badge(t.worst) if t.total else '<span class="muted">no devices</span>'
        rows.append(
            f'  <tr role="row" data-{attr}="{escape(p.key)}">\n'
            f'    <td role="cell" data-label="{label}"><a href="{base}{escape(p.id)}">'
            f"{escape(p.name)}</a></td>\n"
            f'    <td role="cell" data-label="Worst status">{worst}</td>\n'
            f'    <td role="cell" data-label="Devices">{escape(t.summary if t.total else "0")}</td>\n'
            f'    <td role="cell" data-label="With problems">{escape(t.problems)}</td>\n'
            "  </tr>\n"
        )
    if not rows:
        rows.append(f'  <tr role="row"><td role="cell" colspan="4">No {attr}s to show.</td></tr>\n')
    return _built("".join(rows))


UNREACHABLE_WORD = "UNREACHABLE"


def incident_rows(items: Iterable[Any], now: float, resolved: bool) -> Markup:
    """The rows of an incidents table (partials/incident_rows.html): each root cause with
    its severity and marks (acknowledged, flapping, silenced), where it is, how many devices
    are cut off behind it, the impacted services, and since (or when it resolved)."""
    rows = []
    label = "Resolved" if resolved else "Since"
    for i in items:
        iid, root = escape(i.id), i.root
        marks = f'      <span class="muted">severity {escape(i.severity)}</span>\n'
        if i.acked_at:
            marks += '      <span class="tag">acknowledged</span>\n'
        if i.flapping:
            marks += f"     {FLAPPING}\n"
        if i.silenced_by:
            marks += f'      <span class="tag">silenced: {escape(i.silenced_by)}</span>\n'
        n = i.unreachable_count
        cut_off = f"{n} device{'s' if n != 1 else ''} {badge(UNREACHABLE_WORD)}" if n else "—"
        impacted = ", ".join(str(escape(s.name)) for s in i.services) or "—"
        rows.append(
            f'  <tr role="row" data-incident="{iid}">\n'
            f'    <td role="cell" data-label="#"><a href="/incidents/{iid}">#{iid}</a></td>\n'
            '    <td role="cell" data-label="Root cause">\n'
            f"      {badge('DOWN' if i.state == 'open' else 'UP')}\n"
            f'      <a href="/devices/{escape(root.id)}">{escape(root.name)}</a>'
            f' <span class="key">{escape(root.key)}</span>\n'
            f"{marks}"
            "    </td>\n"
            f'    <td role="cell" data-label="Where"><a href="/clients/{escape(i.client_id)}">'
            f'{escape(i.client)}</a> › <a href="/sites/{escape(i.site_id)}">{escape(i.site)}</a></td>\n'
            f'    <td role="cell" data-label="Cut off behind it">{cut_off}</td>\n'
            f'    <td role="cell" data-label="Impacted">{impacted}</td>\n'
            f'    <td role="cell" data-label="{label}">'
            f"{_when(i.resolved_at if resolved else i.opened_at, now)}</td>\n"
            "  </tr>\n"
        )
    return _built("".join(rows))


def fine_rows(places: Iterable[Any], base: str, noun: str) -> Markup:
    """The folded list of places with nothing wrong: a link to each, with its device count
    (the overview of an MSP folds hundreds of clients into it)."""
    attr, base = escape(noun), escape(base)
    return _built(
        "".join(
            f'<li data-{attr}="{escape(p.key)}"><a href="{base}{escape(p.id)}">{escape(p.name)}'
            f'</a> <span class="muted">({escape(p.tally.total)})</span></li>'
            for p in places
        )
    )
