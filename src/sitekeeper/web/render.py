"""Render a template with what every page needs: who is signed in, their CSRF token, now."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from fastapi import Request
from starlette.responses import Response

from sitekeeper.auth.principal import Principal
from sitekeeper.web.templating import make_templates

TEMPLATES = make_templates()
LIVE_EVERY = "5s"  # how often live regions poll; see docs/dashboard.md

R = TypeVar("R")


def page_builds(dialect: str) -> AbstractContextManager[Any]:
    """What a page build holds while it runs (create_app keeps it in `app.state`).

    On SQLite, pages are built one at a time. A build is then Python through and through
    (queries included: SQLite runs in this process), and several threads building at once
    only take turns at the interpreter lock, and pay for every turn: four concurrent
    overviews of a 25,000-device MSP took about 50% more CPU each than one after another,
    and finished later. On PostgreSQL a build waits on the server for about a third of its
    time, and builds at once overlap one's Python with another's SQL, so they are not held.
    Waiting costs no CPU; API routes, logins and the collector never wait here."""
    return threading.Lock() if dialect == "sqlite" else contextlib.nullcontext()


def one_at_a_time(route: Callable[..., R]) -> Callable[..., R]:
    """A page route (sync, run in a worker thread, called by name with `request`) that
    builds under the app's `page_builds`."""

    @functools.wraps(route)
    def build(*args: Any, **kwargs: Any) -> R:
        request: Request = kwargs["request"]
        with request.app.state.page_builds:
            return route(*args, **kwargs)

    return build


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
