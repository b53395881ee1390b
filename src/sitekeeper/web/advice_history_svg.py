"""The advisor page's history charts (spec §5): incidents per month with the fitted trend, and
the disruption score per month against the amber and red lines of the switch signals (§4.3).
Each comes with a caption that states its figures in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from sitekeeper.web.advice_svg import (
    AMBER,
    AMBER_LINE,
    BREAK_FIX,
    MANAGED,
    RED,
    RED_LINE,
    WIDTH,
    Chart,
)
from sitekeeper.web.svgplot import (
    MUTED,
    TEXT,
    Frame,
    Scale,
    axis_titles,
    circle,
    legend,
    line,
    nice_ticks,
    polyline,
    rect,
    svg,
    text,
    y_axis,
)

# -- 5. monthly incidents with the fitted trend -------------------------------------------------


def _month_axis(f: Frame, months: Sequence[str], centre: Any) -> list[Markup]:
    out = [line(f.x0, f.y0, f.x1, f.y0, TEXT)]
    every = max(1, math.ceil(len(months) / 8))
    for i, label in enumerate(months):
        if i % every == 0:
            out.append(text(centre(i), f.y0 + 17, label, anchor="middle", size=11, fill=MUTED))
    return out


def incidents(doc: dict[str, Any], ident: str) -> Chart | None:
    hist = doc["history"]
    months: list[str] = hist["months"]
    counts: list[int] = hist["monthly_counts"]
    fit: list[float] = hist["monthly_fit"]
    if not months:
        return None
    f = Frame(WIDTH, 280, 48, 24, 44, 44)
    n = len(months)
    slot = (f.x1 - f.x0) / n

    def centre(i: float) -> float:
        return f.x0 + (i + 0.5) * slot

    top = max([*counts, *fit, 1])
    ticks = nice_ticks(0.0, top, 4)
    y = Scale(0.0, max(ticks[-1], top), f.y0, f.y1)
    body = y_axis(f, y, ticks)
    for i, c in enumerate(counts):
        body.append(
            rect(
                centre(i) - slot * 0.35,
                y(c),
                slot * 0.7,
                f.y0 - y(c),
                MANAGED,
                stroke=MANAGED,
                opacity=0.45,
                label=f"{months[i]}: {c} incident(s)",
            )
        )
    if len(fit) == n:
        body.append(polyline([(centre(i), y(v)) for i, v in enumerate(fit)], BREAK_FIX, 2.5))
    body += _month_axis(f, months, centre)
    body += axis_titles(f, "month", "incidents and tickets per month")
    body.append(
        legend(
            f.x0 + 260,
            16,
            [(MANAGED, "incidents", None), (BREAK_FIX, "fitted trend (Poisson GLM)", None)],
        )
    )
    caption = _incidents_caption(doc, months, counts, fit)
    title = "Incidents per month with the fitted trend"
    return Chart(
        "incidents",
        "Incidents per month",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


def _incidents_caption(
    doc: dict[str, Any], months: Sequence[str], counts: Sequence[int], fit: Sequence[float]
) -> str:
    parts = [
        f"{sum(counts)} incidents and tickets over the last {len(months)} months "
        f"({months[0]} to {months[-1]}), between {min(counts)} and {max(counts)} a month."
    ]
    if fit and fit[0] > 0:
        growth = (fit[-1] / fit[0]) ** (12 / max(len(fit) - 1, 1)) - 1
        parts.append(
            f"The fitted trend goes from {fit[0]:.1f} to {fit[-1]:.1f} a month "
            f"({growth:+.0%} a year)."
        )
    trend = next((s for s in doc["signals"] if s["name"] == "rising incident frequency"), None)
    if trend is not None:
        parts.append(f"Trend sign: {trend['status']}, {trend['reason']}.")
    return " ".join(parts)


# -- 6. disruption score timeline ------------------------------------------------------------


def disruption(doc: dict[str, Any], ident: str) -> Chart | None:
    hist = doc["history"]
    months: list[str] = hist["months"]
    values = [100.0 * v for v in hist["monthly_disruption"]]
    if not months or len(values) != len(months):
        return None
    f = Frame(WIDTH, 280, 48, 92, 44, 44)
    n = len(months)
    slot = (f.x1 - f.x0) / n

    def centre(i: float) -> float:
        return f.x0 + (i + 0.5) * slot

    top = max([*values, RED_LINE * 1.2])
    ticks = nice_ticks(0.0, top, 5)
    y = Scale(0.0, max(ticks[-1], top), f.y0, f.y1)
    body = y_axis(f, y, ticks, lambda t: f"{t:g}%")
    for level, colour, dash, label in (
        (AMBER_LINE, AMBER, "8 4", "amber 0.5 %"),
        (RED_LINE, RED, "3 3", "red 1 %"),
    ):
        body.append(line(f.x0, y(level), f.x1, y(level), colour, 2.0, dash))
        # the red label sits above its line, the amber one below: they never overlap
        dy = -4.0 if level == RED_LINE else 12.0
        body.append(text(f.x1 + 6, y(level) + dy, label, size=11, fill=colour, weight="600"))
    points = [(centre(i), y(v)) for i, v in enumerate(values)]
    body.append(polyline(points, MANAGED, 2.0))
    body += [circle(px, py, 3.5, MANAGED) for px, py in points]
    body += _month_axis(f, months, centre)
    body += axis_titles(f, "month", "share of business capacity lost")
    caption = _disruption_caption(months, values)
    title = "Disruption score per month against the amber and red lines"
    return Chart(
        "disruption",
        "Disruption per month",
        svg(ident, f.width, f.height, title, caption, body),
        caption,
    )


def _disruption_caption(months: Sequence[str], values: Sequence[float]) -> str:
    over_red = sum(v > RED_LINE for v in values)
    over_amber = sum(AMBER_LINE < v <= RED_LINE for v in values)
    worst = max(range(len(values)), key=lambda i: values[i])
    return (
        f"Share of business capacity lost each month over the last {len(months)} months: "
        f"above the red line (1 %) in {over_red}, between the amber (0.5 %) and red lines in "
        f"{over_amber}; the worst month was {months[worst]} at {values[worst]:.2f} %."
    )
