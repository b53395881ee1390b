"""Render a template with what every page needs: who is signed in, their CSRF token, now."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from sitekeeper.auth.principal import Principal
from sitekeeper.web.templating import make_templates

TEMPLATES = make_templates()
LIVE_EVERY = "5s"  # how often live regions poll; see docs/dashboard.md


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    base = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "now": request.app.state.clock.now(),
        "live_every": LIVE_EVERY,
    }
    response = TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )
    # pages show client data: never kept by shared caches, not replayed from history
    response.headers["Cache-Control"] = "no-store"
    return response
