"""Every text colour of the dashboard against its background meets WCAG AA (4.5:1), read
from the custom properties in sitekeeper.css (status colours only repeat words)."""

from __future__ import annotations

import re

import pytest

from sitekeeper.web.templating import STATIC_DIR

CSS = (STATIC_DIR / "sitekeeper.css").read_text()
ROOT = CSS[CSS.index(":root {") : CSS.index("}", CSS.index(":root {"))]
COLOURS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", ROOT))
STATUSES = sorted({k[3:-3] for k in COLOURS if k.startswith("st-") and k.endswith("-fg")})

PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("link", "bg"),
    ("link", "surface"),
    ("error-fg", "error-bg"),
    ("warning-fg", "warning-bg"),
    *((f"st-{s}-fg", f"st-{s}-bg") for s in STATUSES),
]


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_status_has_a_colour_pair() -> None:
    assert {"up", "ok", "degraded", "warn", "down", "crit", "unreachable", "unknown"} <= set(
        STATUSES
    )


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_text_meets_wcag_aa(fg: str, bg: str) -> None:
    ratio = contrast(COLOURS[fg], COLOURS[bg])
    assert ratio >= 4.5, f"--{fg} on --{bg}: {ratio:.2f}:1"


def test_buttons_meet_wcag_aa() -> None:
    assert contrast("#ffffff", COLOURS["link"]) >= 4.5  # pressed range button, sign-in
