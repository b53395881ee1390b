"""Incident pages: the list (open first), one incident with its timeline, and the actions a
technician takes from the page — acknowledge, comment, resolve — as CSRF-checked form posts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, check_csrf
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes.incidents import (
    IncidentPublic,
    find_incident,
    incident_detail,
    incidents_public,
)
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound, SitekeeperError
from sitekeeper.incidents import actions
from sitekeeper.web.render import render
from sitekeeper.web.security import PageError, PageScope, parse_id

router = APIRouter(include_in_schema=False)
RECENT = 50


def _lists(scope: Scope) -> dict[str, Any]:
    base = scope.where(select(m.Incident), m.Incident.client_id)
    resolved_rows = scope.session.scalars(
        base.where(m.Incident.resolved_at.is_not(None))
        .order_by(m.Incident.resolved_at.desc())
        .limit(RECENT)
    ).all()
    return {
        "open": open_incidents(scope),
        "resolved": incidents_public(scope, list(resolved_rows), members=False),
    }


def open_incidents(scope: Scope) -> list[IncidentPublic]:
    """Open incidents, most severe first (the overview shows only these)."""
    rows = scope.session.scalars(
        scope.where(select(m.Incident), m.Incident.client_id)
        .where(m.Incident.resolved_at.is_(None))
        .order_by(m.Incident.severity.desc(), m.Incident.opened_at.desc())
    ).all()
    return incidents_public(scope, list(rows), members=False)  # the tables count them


@router.get("/incidents")
def incidents_page(request: Request, scope: PageScope) -> Response:
    return render(request, "incidents.html", {**_lists(scope), "live_url": "/live/incidents"})


@router.get("/live/incidents")
def incidents_live(request: Request, scope: PageScope) -> Response:
    return render(request, "live/incidents.html", {**_lists(scope), "live_url": "/live/incidents"})


def _found(scope: Scope, raw: str) -> m.Incident:
    try:
        return find_incident(scope, parse_id(raw, "incident"))
    except NotFound as err:
        raise PageError(404, "Not found", str(err)) from err


@router.get("/incidents/{raw_id}")
def incident_page(request: Request, scope: PageScope, raw_id: str) -> Response:
    inc = _found(scope, raw_id)
    detail = incident_detail(scope, inc)
    return render(
        request, "incident.html", {"inc": detail, "live_url": f"/live/incidents/{inc.id}"}
    )


@router.get("/live/incidents/{raw_id}")
def incident_live(request: Request, scope: PageScope, raw_id: str) -> Response:
    inc = _found(scope, raw_id)
    return render(
        request,
        "live/incident.html",
        {"inc": incident_detail(scope, inc), "live_url": f"/live/incidents/{inc.id}"},
    )


@router.post("/incidents/{raw_id}/{action}")
def incident_action(
    request: Request,
    scope: PageScope,
    clock: ClockDep,
    raw_id: str,
    action: str,
    csrf_token: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    principal = scope.principal
    request.state.form_csrf = csrf_token
    try:
        check_csrf(request, principal)
    except ApiError as err:
        raise PageError(403, "Not done", err.message) from err
    if not principal.can_write:
        raise PageError(403, "Not allowed", "Your account may only read.")
    inc = _found(scope, raw_id)
    now = clock.now()
    who = {"actor": principal.name}
    try:
        if action == "ack":
            actions.acknowledge(scope.session, inc, **who, user_id=principal.user_id, now=now)
        elif action == "comment":
            actions.comment(scope.session, inc, **who, text=text, now=now)
        elif action == "resolve":
            actions.resolve_by_hand(scope.session, inc, **who, user_id=principal.user_id, now=now)
        else:
            raise PageError(404, "Not found", f"no action {action!r}")
    except SitekeeperError:
        pass  # already resolved, or an empty comment: nothing to do; show the incident
    scope.session.commit()
    return RedirectResponse(f"/incidents/{inc.id}", status_code=303)
