"""Jinja2 templates and what every page may call: status badges, times and check lines
(web.markup: status words with symbols, never colour alone), relative times, static URLs
that change when a file does."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from sitekeeper import timefmt
from sitekeeper.web.markup import (
    badge,
    check_line,
    fine_rows,
    incident_rows,
    place_rows,
    problem_rows,
    when,
)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

SYSTEM_LABELS = {
    "network": "Network",
    "av": "AV",
    "control": "Control",
    "security": "Security",
    "power": "Power",
    "it": "IT",
}


def ago(ts: float | None, now: float) -> str:
    return timefmt.ago(ts, now)


def value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@cache
def static_url(name: str) -> str:
    """`/static/<name>?v=<content hash>`: a changed file is fetched anew, never stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(
        static_url=static_url,
        system_labels=SYSTEM_LABELS,
        badge=badge,
        when=when,
        check_line=check_line,
        problem_rows=problem_rows,
        place_rows=place_rows,
        incident_rows=incident_rows,
        fine_rows=fine_rows,
    )
    env.filters.update(value_text=value_text)
    env.globals["ago"] = ago
    return templates
