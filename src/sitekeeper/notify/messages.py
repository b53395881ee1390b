"""Message texts: a payload in, a title and a body (plain text and Markdown) out.

One small Jinja2 template per kind in `templates/`; its first line is the title. The payload
is normalised first (every field present, times and durations formatted), so a template
never fails on a missing field. For the Markdown body the values are escaped, so a device
called `*cam_1*` cannot change the formatting; the plain text is the same template unescaped,
without the `**` of bold labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sitekeeper.notify.base import Message

KINDS = ("opened", "resolved", "escalated", "digest", "test")
TITLE_MAX = 250

_env = Environment(
    loader=PackageLoader("sitekeeper.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=(), default=False),  # text, not HTML
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def duration(seconds: float) -> str:
    s = max(0.0, seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def when(ts: Any) -> str:
    if not isinstance(ts, int | float):
        return "an unknown time"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _name(value: Any, default: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("key")
    return str(value) if value else default


def incident_view(raw: Any) -> dict[str, Any]:
    """Every field a template may use, from whatever the payload has."""
    i: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    root = i.get("root")
    if not isinstance(root, Mapping):
        root = {}
    client, site = _name(i.get("client"), "a client"), _name(i.get("site"), "")
    opened, resolved = i.get("opened_at"), i.get("resolved_at")
    span = (
        resolved - opened
        if isinstance(opened, int | float) and isinstance(resolved, int | float)
        else None
    )
    return {
        "id": i.get("id"),
        "client": client,
        "site": site,
        "place": f"{site}, {client}" if site and site != client else client,
        "root": {
            "name": _name(root, "a device"),
            "key": str(root.get("key") or ""),
            "kind": str(root.get("kind") or ""),
        },
        "unreachable": [_name(d, "?") for d in i.get("unreachable") or []],
        "services": [
            {"name": _name(s, "?"), "criticality": s.get("criticality")}
            if isinstance(s, Mapping)
            else {"name": str(s), "criticality": None}
            for s in i.get("services") or []
        ],
        "severity": i.get("severity"),
        "opened": when(opened),
        "resolved": when(resolved),
        "duration": duration(span) if span is not None else "",
        "url": str(i.get("url") or ""),
    }


def _context(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "test":
        return {
            "channel": _name(payload.get("channel"), "this channel"),
            "client": _name(payload.get("client"), ""),
        }
    if kind == "digest":
        start, end = payload.get("window_start"), payload.get("window_end")
        window = "the last few minutes"
        if isinstance(start, int | float) and isinstance(end, int | float):
            window = duration(end - start)
        items = [
            {
                "event": str(item.get("event", "opened")),
                "incident": incident_view(item.get("incident")),
            }
            for item in payload.get("items") or []
            if isinstance(item, Mapping)
        ]
        return {
            "client": _name(payload.get("client"), "a client"),
            "window": window,
            "items": items,
        }
    escalation = payload.get("escalation")
    after = escalation.get("after_s") if isinstance(escalation, Mapping) else None
    return {
        "incident": incident_view(payload.get("incident")),
        "after": duration(after) if isinstance(after, int | float) else "a while",
    }


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return _MD_SPECIAL.sub(r"\\\1", value).replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, dict):  # links stay as they are
        return {k: v if k == "url" else _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def _split(rendered: str) -> tuple[str, str]:
    title, _, body = rendered.strip().partition("\n")
    body = re.sub(r"\n{3,}", "\n\n", body.strip())
    return title.strip(), body


def render(kind: str, payload: Mapping[str, Any], idempotency_key: str) -> Message:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; kinds are: {', '.join(KINDS)}")
    template = _env.get_template(f"{kind}.md.j2")
    context = _context(kind, payload)
    title, text = _split(template.render(**context))
    _, markdown = _split(template.render(**_escape(context)))
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return Message(
        kind=kind,
        title=title,
        text=text.replace("**", ""),
        markdown=markdown,
        idempotency_key=idempotency_key,
        payload=dict(payload),
    )
