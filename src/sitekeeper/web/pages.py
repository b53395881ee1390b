"""The dashboard's pages: overview, client, site, device. Each page has a live twin under
/live/... that renders only its changing region; htmx polls it and swaps it in place."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep
from sitekeeper.api.scope import Scope
from sitekeeper.cli.render import STALE_AFTER_S
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound
from sitekeeper.results.passive import ping_paths, recent_events
from sitekeeper.results.queries import DeviceView, device_views, recent_flips
from sitekeeper.web import views as v
from sitekeeper.web.incidents import open_incidents
from sitekeeper.web.overview import portfolio_overview
from sitekeeper.web.render import one_at_a_time, render
from sitekeeper.web.security import PageError, PageScope, parse_id

router = APIRouter(include_in_schema=False)
# past this many clients, the overview folds those with nothing wrong into a list of links
FOLD_CLIENTS_OVER = 20


def _found(scope: Scope, what: str, raw: str) -> Any:
    """The scoped row, or the 404 page: another client's id looks exactly like a missing one."""
    get = {"client": scope.client, "site": scope.site, "device": scope.device}[what]
    try:
        return get(parse_id(raw, what))
    except NotFound as err:
        raise PageError(404, "Not found", str(err)) from err


def _freshness(views: list[DeviceView], now: float) -> dict[str, Any]:
    return _fresh(v.last_result(views), now)


def _fresh(last: float | None, now: float) -> dict[str, Any]:
    return {"last_result": last, "stale": last is not None and now - last > STALE_AFTER_S}


def _overview(scope: PageScope, now: float) -> dict[str, Any]:
    """SQL counts plus full views of the first problems only (web.overview): every device of
    the MSP is counted, not built."""
    page = portfolio_overview(scope, now)
    return {
        "incidents": open_incidents(scope),
        # devices cut off behind a root cause are counted, not listed: the incident lists them
        "unreachable": page.unreachable,
        "tally": page.tally,
        "problems": page.problems,
        "problems_hidden": page.problems_hidden,
        "systems": page.systems,
        **_folded(page.clients),
        "names": v.Names.of(page.problems),
        "live_url": "/live/overview",
        **_fresh(page.last_result, now),
    }


def _folded(clients: list[v.Place]) -> dict[str, list[v.Place]]:
    """Past FOLD_CLIENTS_OVER clients, those with nothing wrong are `fine`, folded into a
    list of links; the rest are `listed` in the table."""
    if len(clients) <= FOLD_CLIENTS_OVER:
        return {"listed": clients, "fine": []}
    fine = [c for c in clients if not c.tally.problems]
    return {"listed": [c for c in clients if c.tally.problems] if fine else clients, "fine": fine}


@router.get("/")
@one_at_a_time
def overview(request: Request, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "overview.html", _overview(scope, clock.now()))


@router.get("/live/overview")
@one_at_a_time
def overview_live(request: Request, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "live/overview.html", _overview(scope, clock.now()))


def _client(scope: PageScope, raw_id: str, now: float) -> dict[str, Any]:
    client: m.Client = _found(scope, "client", raw_id)
    views = v.visible_devices(scope, now, client_key=client.key)
    return {
        "client": client,
        "tally": v.Tally.of(views),
        "problems": [d for d in views if d.is_problem][: v.MAX_PROBLEMS_SHOWN],
        "sites": v.sites(scope, client, views),
        "flips": recent_flips(scope.session, client=client.key, limit=15),
        "names": v.Names.load(scope),
        "live_url": f"/live/clients/{client.id}",
        **_freshness(views, now),
    }


@router.get("/clients/{client_id}")
@one_at_a_time
def client_page(request: Request, client_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "client.html", _client(scope, client_id, clock.now()))


@router.get("/live/clients/{client_id}")
@one_at_a_time
def client_live(request: Request, client_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "live/client.html", _client(scope, client_id, clock.now()))


def _site(scope: PageScope, raw_id: str, now: float) -> dict[str, Any]:
    site: m.Site = _found(scope, "site", raw_id)
    if site.retired_at is not None:
        raise PageError(404, "Not found", f"site {site.key} was retired")
    client = scope.client(site.client_id)
    views = [d for d in v.visible_devices(scope, now, client_key=client.key) if d.site == site.key]
    return {
        "client": client,
        "site": site,
        "tally": v.Tally.of(views),
        "problems": [d for d in views if d.is_problem],
        "groups": v.site_groups(views),
        "ids": {d.key: d.id for d in views},
        "live_url": f"/live/sites/{site.id}",
        **_freshness(views, now),
    }


@router.get("/sites/{site_id}")
@one_at_a_time
def site_page(request: Request, site_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "site.html", _site(scope, site_id, clock.now()))


@router.get("/live/sites/{site_id}")
@one_at_a_time
def site_live(request: Request, site_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "live/site.html", _site(scope, site_id, clock.now()))


def _device(scope: PageScope, raw_id: str, now: float) -> dict[str, Any]:
    device: m.Device = _found(scope, "device", raw_id)
    if device.retired_at is not None:
        raise PageError(404, "Not found", f"device {device.key} was retired")
    client = scope.client(device.client_id)
    site = scope.site(device.site_id)
    (view,) = device_views(scope.session, client=client.key, device=device.key, now=now)
    checks = v.device_checks(scope, device)
    parents = scope.where(
        select(m.Device.key, m.Device.id).where(
            m.Device.client_id == device.client_id,
            m.Device.key.in_(sorted(device.depends_on)),
            m.Device.retired_at.is_(None),
        ),
        m.Device.client_id,
    )
    return {
        "client": client,
        "site": site,
        "device": device,
        "view": view,
        "checks": checks,
        "parents": {row[0]: row[1] for row in scope.session.execute(parents)},
        "flips": v.device_flips(scope, device, {c.id: c.name for c in checks.values()}),
        "pings": {checks[i].name: p for i, p in ping_paths(scope.session, checks).items()},
        "events": recent_events(scope.session, device.id),
        "live_url": f"/live/devices/{device.id}",
        **_freshness([view], now),
    }


@router.get("/devices/{device_id}")
@one_at_a_time
def device_page(request: Request, device_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "device.html", _device(scope, device_id, clock.now()))


@router.get("/live/devices/{device_id}")
@one_at_a_time
def device_live(request: Request, device_id: str, scope: PageScope, clock: ClockDep) -> Response:
    return render(request, "live/device.html", _device(scope, device_id, clock.now()))
