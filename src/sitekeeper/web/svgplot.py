"""Small building blocks for server-rendered SVG charts: linear scales, round tick values,
escaped elements, and the accessible `<svg>` wrapper (role="img", <title> and <desc>).

Charts are plain strings, so they render without scripts (the page's Content-Security-Policy
allows none inline) and print as they look on screen. Colours are presentation attributes,
not `style=`, which the policy would block. Every value that comes from data is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

TEXT = "#1a1d21"  # --text in sitekeeper.css
MUTED = "#535b67"  # --muted
GRID = "#c9ced6"  # --line: gridlines are decoration, the axis labels carry the values
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"


def num(v: float) -> str:
    """A coordinate with one decimal (SVG needs no more; it keeps the markup small)."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


def amount(v: float) -> str:
    """A money amount as the report writes it: 12,345 and −1,703 (a true minus sign)."""
    text = f"{abs(v):,.0f}"
    return f"−{text}" if round(v) < 0 else text


def short(v: float) -> str:
    """An axis label: 950, 12k, 1.5M."""
    a = abs(v)
    sign = "−" if v < 0 else ""
    if a >= 1e6:
        return f"{sign}{a / 1e6:.3g}M"
    if a >= 1e4:
        return f"{sign}{a / 1e3:.3g}k"
    if a >= 100 or a == round(a):
        return f"{sign}{a:,.0f}"
    return f"{sign}{a:.3g}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 × 10^k apart) covering [lo, hi], about `count` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    k = 0
    while first + k * step <= hi + 1e-9 * step:
        ticks.append(round(first + k * step, 10))
        k += 1
    return ticks


@dataclass(frozen=True)
class Scale:
    """Maps the data interval [lo, hi] linearly onto the pixel interval [start, end]."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, v: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.start + (v - self.lo) / span * (self.end - self.start)

    def clamp(self, v: float) -> float:
        return self(min(max(v, self.lo), self.hi))


def padded(values: Iterable[float], *, include_zero: bool = False) -> tuple[float, float]:
    """The data range with 5% air on both sides (and zero inside it, when asked); a range of
    values that are all ≥ 0 does not dip below zero."""
    vals = [v for v in values if math.isfinite(v)]
    if include_zero:
        vals.append(0.0)
    if not vals:
        return 0.0, 1.0
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.05
    return (0.0 if lo >= 0 > lo - pad else lo - pad), hi + pad


def attrs(**values: str | float | None) -> Markup:
    """` name="value"` pairs, escaped; underscores become hyphens; None is left out."""
    out = Markup("")
    for key, value in values.items():
        if value is None:
            continue
        shown = num(value) if isinstance(value, float) else str(value)
        out += Markup(' {}="{}"').format(key.rstrip("_").replace("_", "-"), shown)
    return out


def text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: float = 12.0,
    fill: str = TEXT,
    weight: str | None = None,
) -> Markup:
    a = attrs(x=x, y=y, text_anchor=anchor, font_size=size, fill=fill, font_weight=weight)
    return Markup("<text{}>{}</text>").format(a, content)


def line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    stroke: str,
    width: float = 1.0,
    dash: str | None = None,
) -> Markup:
    a = attrs(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width, stroke_dasharray=dash)
    return Markup("<line{}/>").format(a)


def rect(
    x: float,
    y: float,
    w: float,
    h: float,
    fill: str,
    *,
    stroke: str | None = None,
    opacity: float | None = None,
    label: str | None = None,
) -> Markup:
    """A rectangle; `label` becomes its tooltip (a <title> child)."""
    a = attrs(x=x, y=y, width=max(w, 0.0), height=max(h, 0.0), fill=fill, stroke=stroke)
    a += attrs(fill_opacity=opacity)
    body = Markup("<title>{}</title>").format(label) if label else Markup("")
    return Markup("<rect{}>{}</rect>").format(a, body)


def polyline(
    points: Sequence[tuple[float, float]],
    stroke: str,
    width: float = 2.0,
    dash: str | None = None,
) -> Markup:
    pts = " ".join(f"{num(x)},{num(y)}" for x, y in points)
    a = attrs(points=pts, fill="none", stroke=stroke, stroke_width=width, stroke_dasharray=dash)
    return Markup('<polyline{} stroke-linejoin="round"/>').format(a)


def path(d: str, *, fill: str, stroke: str, opacity: float, dash: str | None = None) -> Markup:
    a = attrs(d=d, fill=fill, fill_opacity=opacity, stroke=stroke, stroke_width=1.5)
    return Markup("<path{}/>").format(a + attrs(stroke_dasharray=dash))


def circle(x: float, y: float, r: float, fill: str) -> Markup:
    return Markup("<circle{}/>").format(attrs(cx=x, cy=y, r=r, fill=fill))


def legend(
    x: float, y: float, items: Sequence[tuple[str, str, str | None]], opacity: float = 1.0
) -> Markup:
    """Swatches with their names in a row: (colour, label, dash pattern or None)."""
    out = Markup("")
    for colour, label, dash in items:
        out += rect(x, y - 9, 14, 10, colour, stroke=colour, opacity=opacity)
        if dash:
            out += line(x, y + 3, x + 14, y + 3, colour, 2.0, dash)
        out += text(x + 19, y, label, size=12)
        x += 19 + 7.2 * len(label) + 18
    return out


def svg(
    ident: str, width: int, height: int, title: str, desc: str, body: Iterable[Markup]
) -> Markup:
    """The chart as one accessible image: screen readers read its title and description.
    `body` holds elements made here (anything else would be escaped as text)."""
    a = attrs(
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        viewBox=f"0 0 {width} {height}",
        width=str(width),
        height=str(height),
        aria_labelledby=f"{ident}-title {ident}-desc",
        font_family=FONT,
    )
    head = Markup('<svg{}><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>').format(
        a, ident, title, ident, desc
    )
    return head + Markup("").join(body) + Markup("</svg>")


@dataclass(frozen=True)
class Frame:
    """The plotting area inside a chart's margins."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:  # the bottom edge (pixels grow downwards)
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top


def y_axis(
    f: Frame, y: Scale, ticks: Sequence[float], fmt: Callable[[float], str] = short
) -> list[Markup]:
    out = []
    for t in ticks:
        py = y(t)
        out.append(line(f.x0, py, f.x1, py, GRID))
        out.append(text(f.x0 - 6, py + 4, fmt(t), anchor="end", size=11, fill=MUTED))
    return out


def x_axis(f: Frame, x: Scale, ticks: Sequence[float], suffix: str = "") -> list[Markup]:
    out = [line(f.x0, f.y0, f.x1, f.y0, TEXT)]
    for t in ticks:
        px = x(t)
        out.append(line(px, f.y0, px, f.y0 + 4, TEXT))
        out.append(text(px, f.y0 + 17, short(t) + suffix, anchor="middle", size=11, fill=MUTED))
    return out


def axis_titles(f: Frame, x_title: str, y_title: str) -> list[Markup]:
    return [
        text((f.x0 + f.x1) / 2, f.height - 6, x_title, anchor="middle", size=12, fill=MUTED),
        text(f.x0, f.y1 - 8, y_title, size=12, fill=MUTED),
    ]
