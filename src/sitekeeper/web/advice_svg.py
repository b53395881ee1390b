"""The advisor page's cost charts (spec §5 "Report page plots") as inline SVG: the annual cost
distributions, the stacked components, Δ against the downtime cost, and the tornado. Each
comes with a caption that states its figures in words, so the picture is never the only way
to read them (the history charts are in advice_history_svg).

Every function takes the advisor's report document (`sitekeeper.advisor.report.advise`) and
an id for the chart's <title>/<desc>, and returns a `Chart`, or None when the document has
nothing to draw. Colours meet WCAG's 3:1 for
graphics against the page's white cards, and white text inside bars meets 4.5:1
(tests/web/test_advice_pages.py checks both); line styles and labels repeat what colour shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from sitekeeper.web.svgplot import (
    GRID,
    MUTED,
    TEXT,
    Frame,
    Scale,
    amount,
    axis_titles,
    circle,
    legend,
    line,
    nice_ticks,
    padded,
    path,
    polyline,
    rect,
    short,
    svg,
    text,
    x_axis,
    y_axis,
)

BREAK_FIX = "#a8410b"
MANAGED = "#1d5fa8"
MANAGED_DASH = "6 3"
COMPONENT_COLOURS = {
    "fee": "#1d5fa8",
    "labour": "#6d28d9",
    "hardware": "#2f6b3a",
    "downtime": "#a8410b",
    "security": "#8c1d4a",
}
TORNADO_LOW = "#0e7490"
TORNADO_HIGH = "#7b3f00"
AMBER = "#8a6100"
RED = "#b3261e"
AMBER_LINE = 0.5  # % of business capacity lost in a month (spec §4.3)
RED_LINE = 1.0
PALETTE = (
    BREAK_FIX,
    MANAGED,
    *COMPONENT_COLOURS.values(),
    TORNADO_LOW,
    TORNADO_HIGH,
    AMBER,
    RED,
)

WIDTH = 720


@dataclass(frozen=True)
class Chart:
    kind: str  # histogram, components, delta, tornado, incidents, disruption
    heading: str
    svg: Markup
    caption: str


# -- 1. annual cost distributions -----------------------------------------------------------


def _marker_labels(
    marks: list[tuple[float, str]], min_gap: float = 30.0
) -> list[tuple[float, str]]:
    """Markers closer than `min_gap` pixels share one label ("P90·P99")."""
    merged: list[tuple[list[float], list[str]]] = []
    for px, name in sorted(marks):
        if merged and px - merged[-1][0][-1] < min_gap:
            merged[-1][0].append(px)
            merged[-1][1].append(name)
        else:
            merged.append(([px], [name]))
    return [(sum(xs) / len(xs), "·".join(names)) for xs, names in merged]


def histogram(doc: dict[str, Any], ident: str) -> Chart | None:
    h = doc["plots"]["histogram"]
    edges: list[float] = h["edges"]
    if len(edges) < 2:
        return None
    trials = max(int(doc["inputs"]["trials"]), 1)
    series = (
        ("Break-fix", doc["break_fix"], h["break_fix"], BREAK_FIX, None),
        ("Managed", doc["managed"], h["managed"], MANAGED, MANAGED_DASH),
    )
    f = Frame(WIDTH, 310, 56, 24, 84, 44)
    x = Scale(edges[0], edges[-1], f.x0, f.x1)
    top = max(max(c) for _, _, c, _, _ in series) / trials * 100
    y_ticks = nice_ticks(0.0, top or 1.0, 4)
    y = Scale(0.0, max(y_ticks[-1], top) or 1.0, f.y0, f.y1)
    body = y_axis(f, y, y_ticks, lambda t: f"{t:g}%")
    for _, _, counts, colour, dash in series:
        d = f"M{x(edges[0]):.1f},{f.y0:.1f}"
        for i, c in enumerate(counts):
            py = y(c / trials * 100)
            d += f" L{x(edges[i]):.1f},{py:.1f} L{x(edges[i + 1]):.1f},{py:.1f}"
        d += f" L{x(edges[-1]):.1f},{f.y0:.1f} Z"
        body.append(path(d, fill=colour, stroke=colour, opacity=0.3, dash=dash))
    for row, (_, summary, _, colour, dash) in enumerate(series):
        marks = []
        for key in ("p50", "p90", "p99"):
            value = float(summary[key])
            px = x.clamp(value)
            body.append(line(px, f.y1, px, f.y0, colour, 2.0, dash))
            marks.append((px, key.upper() + (" ›" if value > edges[-1] else "")))
        for px, label in _marker_labels(marks):
            body.append(
                text(
                    min(max(px, f.x0 + 16), f.x1 - 16),
                    40 + row * 14,
                    label,
                    anchor="middle",
                    size=11,
                    fill=colour,
                )
            )
    body += x_axis(f, x, nice_ticks(edges[0], edges[-1], 6))
    body += axis_titles(f, "annual cost", "% of simulated years")
    body.append(
        legend(
            f.x0,
            16,
            [(BREAK_FIX, "break-fix", None), (MANAGED, "managed", MANAGED_DASH)],
            opacity=0.3,
        )
    )
    caption = _histogram_caption(doc, series, edges[-1], trials)
    title = "Annual cost over simulated years: break-fix against managed"
    return Chart(
        "histogram",
        "How much a year could cost",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


def _histogram_caption(
    doc: dict[str, Any], series: Sequence[Any], last_edge: float, trials: int
) -> str:
    parts = [f"Annual cost over {trials:,} simulated years."]
    for name, s, _, _, _ in series:
        parts.append(
            f"{name}: median {amount(s['p50'])}, P90 {amount(s['p90'])}, P99 {amount(s['p99'])} "
            f"(mean {amount(s['mean'])})."
        )
    parts.append(f"Managed is cheaper in {doc['delta']['p_managed_cheaper']:.0%} of years.")
    parts.append(f"The last bar holds every year above {amount(last_edge)}.")
    return " ".join(parts)


# -- 2. stacked components -------------------------------------------------------------------


def components(doc: dict[str, Any], ident: str) -> Chart | None:
    rows = (("Break-fix", doc["break_fix"]), ("Managed", doc["managed"]))
    names = list(COMPONENT_COLOURS)
    totals = [sum(max(float(s["components"].get(k, 0.0)), 0.0) for k in names) for _, s in rows]
    f = Frame(WIDTH, 190, 90, 80, 20, 60)
    ticks = nice_ticks(0.0, max(totals) or 1.0, 5)
    x = Scale(0.0, max(ticks[-1], max(totals)) or 1.0, f.x0, f.x1)
    body: list[Markup] = []
    for t in ticks:
        body.append(line(x(t), f.y1, x(t), f.y0, GRID))
    bar_h = 38.0
    for row, ((name, s), total) in enumerate(zip(rows, totals, strict=True)):
        top = f.y1 + 8 + row * (bar_h + 16)
        body.append(text(f.x0 - 8, top + bar_h / 2 + 4, name, anchor="end", size=13))
        start = 0.0
        for key in names:
            value = max(float(s["components"].get(key, 0.0)), 0.0)
            if value <= 0:
                continue
            px0, px1 = x(start), x(start + value)
            colour = COMPONENT_COLOURS[key]
            body.append(
                rect(
                    px0,
                    top,
                    px1 - px0,
                    bar_h,
                    colour,
                    stroke="#ffffff",
                    label=f"{name} {key}: {amount(value)} a year",
                )
            )
            if px1 - px0 > 44:
                body.append(
                    text(
                        (px0 + px1) / 2,
                        top + bar_h / 2 + 4,
                        short(value),
                        anchor="middle",
                        size=11,
                        fill="#ffffff",
                    )
                )
            start += value
        body.append(text(x(start) + 6, top + bar_h / 2 + 4, amount(total), size=12, weight="600"))
    body += x_axis(f, x, ticks)
    body.append(legend(f.x0, f.height - 10, [(COMPONENT_COLOURS[k], k, None) for k in names]))
    parts = []
    for (name, s), total in zip(rows, totals, strict=True):
        listed = ", ".join(f"{k} {amount(float(s['components'].get(k, 0.0)))}" for k in names)
        parts.append(f"{name}: {listed}; {amount(total)} a year on average.")
    caption = " ".join(parts)
    title = "Mean annual cost by component, break-fix and managed"
    return Chart(
        "components",
        "What the cost is made of",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


# -- 3. Δ against the downtime cost ----------------------------------------------------------


def delta_vs_cost(doc: dict[str, Any], ident: str) -> Chart | None:
    d = doc["plots"]["delta_vs_cost"]
    xs: list[float] = d["cost_per_hour"]
    ds: list[float] = d["delta"]
    if len(xs) < 2:
        return None
    own = float(doc["inputs"]["downtime_cost_per_hour"])
    own_delta = float(doc["delta"]["mean"])
    be = doc["break_even"]["downtime_cost_per_hour"]
    f = Frame(WIDTH, 300, 64, 24, 40, 44)
    x = Scale(xs[0], xs[-1], f.x0, f.x1)
    lo, hi = padded([*ds, own_delta], include_zero=True)
    y_ticks = nice_ticks(lo, hi, 5)
    y = Scale(min(lo, y_ticks[0]), max(hi, y_ticks[-1]), f.y0, f.y1)
    body = y_axis(f, y, y_ticks)
    zero = y(0.0)
    body.append(line(f.x0, zero, f.x1, zero, TEXT, 1.5, "4 3"))
    if zero - f.y1 > 20:
        body.append(text(f.x1 - 4, zero - 6, "managed saves ↑", anchor="end", size=11, fill=MUTED))
    if f.y0 - zero > 20:
        body.append(
            text(f.x1 - 4, zero + 15, "break-fix saves ↓", anchor="end", size=11, fill=MUTED)
        )
    body.append(polyline([(x(a), y(b)) for a, b in zip(xs, ds, strict=True)], MANAGED, 2.5))
    if be is not None and xs[0] <= be <= xs[-1]:
        px = x(float(be))
        body.append(line(px, f.y1, px, f.y0, BREAK_FIX, 2.0, "6 3"))
        body.append(
            text(px + 5, f.y1 + 12, f"break-even {amount(float(be))}/h", size=11, fill=BREAK_FIX)
        )
    if xs[0] <= own <= xs[-1]:
        px = x(own)
        body.append(line(px, f.y1, px, f.y0, TEXT, 1.5, "2 3"))
        body.append(circle(px, y(own_delta), 5.0, TEXT))
        anchor = "end" if px > (f.x0 + f.x1) / 2 else "start"
        dx = -8 if anchor == "end" else 8
        body.append(
            text(px + dx, f.y1 + 28, f"this client: {amount(own)}/h", anchor=anchor, size=11)
        )
    body += x_axis(f, x, nice_ticks(xs[0], xs[-1], 6), "/h")
    body += axis_titles(f, "downtime cost per hour", "Δ a year (break-fix − managed)")
    caption = _delta_caption(d, own, own_delta, be)
    title = "Expected annual saving from managed against the downtime cost per hour"
    return Chart(
        "delta",
        "How the answer depends on the downtime cost",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


def _delta_caption(d: dict[str, Any], own: float, own_delta: float, be: float | None) -> str:
    a, b = float(d["fixed_difference"]), float(d["hours_difference"])
    who = "managed saves" if own_delta >= 0 else "break-fix saves"
    parts = [
        f"The expected saving from managed, Δ = break-fix − managed, is {amount(a)} a year at "
        f"a downtime cost of 0 and changes by {amount(b)} for each 1/h more "
        f"(break-fix loses {b:,.1f} more impact-weighted hours a year).",
        f"At this client's {amount(own)}/h, Δ = {amount(own_delta)} ({who}).",
    ]
    if be is not None:
        parts.append(f"The two cost the same at {amount(be)}/h.")
    elif a >= 0:
        parts.append("Managed saves at every downtime cost, even 0: no break-even.")
    else:
        parts.append("Break-fix saves at every downtime cost: no break-even.")
    return " ".join(parts)


# -- 4. tornado ------------------------------------------------------------------------------


def _bars(doc: dict[str, Any]) -> list[dict[str, Any]]:
    raw = doc.get("tornado")
    if isinstance(raw, dict):
        raw = raw.get("bars")
    return [b for b in (raw or []) if isinstance(b, dict)]


def _value(v: float, unit: str) -> str:
    """An input's value with its unit: 8 h, 250/h, 0.3. Money carries no currency sign here,
    as everywhere in the report: it is in whatever unit the downtime cost is in."""
    unit = unit.removeprefix("$")
    if not unit:
        return short(v)
    return f"{short(v)}{unit}" if unit.startswith(("/", "%")) else f"{short(v)} {unit}"


def _bar_label(b: dict[str, Any]) -> str:
    return str(b.get("label") or b.get("name") or "input")


def tornado(doc: dict[str, Any], ident: str) -> Chart | None:
    bars = _bars(doc)
    if not bars:
        return None
    base = float(bars[0].get("delta_base", doc["delta"]["mean"]))
    row_h = 38.0
    f = Frame(WIDTH + 120, int(70 + row_h * len(bars)), 320, 110, 30, 40)
    ends = [float(b["delta_low"]) for b in bars] + [float(b["delta_high"]) for b in bars]
    lo, hi = padded([*ends, base], include_zero=True)
    ticks = nice_ticks(lo, hi, 6)
    x = Scale(min(lo, ticks[0]), max(hi, ticks[-1]), f.x0, f.x1)
    body = [line(x(t), f.y1, x(t), f.y0, GRID) for t in ticks]
    for i, b in enumerate(bars):
        top = f.y1 + 4 + i * row_h
        mid = top + row_h / 2 - 2
        unit = str(b.get("unit") or "")
        span = f"{_value(float(b['low']), unit)} → {_value(float(b['high']), unit)}"
        body.append(text(f.x0 - 8, mid - 3, _bar_label(b), anchor="end", size=12))
        body.append(text(f.x0 - 8, mid + 11, span, anchor="end", size=11, fill=MUTED))
        for key, colour in (("delta_low", TORNADO_LOW), ("delta_high", TORNADO_HIGH)):
            end = float(b[key])
            px0, px1 = sorted((x(base), x(end)))
            which = "low" if key == "delta_low" else "high"
            body.append(
                rect(
                    px0,
                    top + 3,
                    px1 - px0,
                    row_h - 10,
                    colour,
                    label=f"{_bar_label(b)} at its {which} value: Δ {amount(end)}",
                )
            )
        flip = b.get("flip")
        if flip is not None:
            approx = "" if b.get("flip_exact", True) else "≈"
            body.append(
                text(f.x1 + 8, mid + 4, f"flips at {approx}{_value(float(flip), unit)}", size=11)
            )
    body.append(line(x(base), f.y1, x(base), f.y0, TEXT, 2.0))
    if x.lo <= 0.0 <= x.hi:
        body.append(line(x(0.0), f.y1, x(0.0), f.y0, TEXT, 1.5, "4 3"))
    body += x_axis(f, x, ticks)
    body.append(
        text(
            (f.x0 + f.x1) / 2,
            f.height - 6,
            "Δ a year (break-fix − managed)",
            anchor="middle",
            size=12,
            fill=MUTED,
        )
    )
    body.append(
        legend(
            f.x0,
            16,
            [
                (TORNADO_LOW, "input at its low value", None),
                (TORNADO_HIGH, "input at its high value", None),
            ],
        )
    )
    caption = _tornado_caption(bars, base)
    title = "Tornado: how far each uncertain input moves the expected saving"
    return Chart(
        "tornado",
        "What moves the answer most",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


def _tornado_caption(bars: Sequence[dict[str, Any]], base: float) -> str:
    parts = [f"At the base values Δ = {amount(base)} a year."]
    for b in bars:
        unit = str(b.get("unit") or "")
        label = _bar_label(b)
        sentence = (
            f"{label[:1].upper()}{label[1:]} from {_value(float(b['low']), unit)} to "
            f"{_value(float(b['high']), unit)} moves Δ from {amount(float(b['delta_low']))} to "
            f"{amount(float(b['delta_high']))} (swing {amount(float(b['swing']))})"
        )
        if b.get("flip") is not None:
            approx = "" if b.get("flip_exact", True) else "about "
            sentence += f"; the answer flips at {approx}{_value(float(b['flip']), unit)}"
        parts.append(sentence + ".")
    return " ".join(parts)
