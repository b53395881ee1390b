"""Sites: GET /sites (filter by client) and GET /sites/{site_id}."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.routes._common import FilterId, Id, PageDep
from sitekeeper.api.routes._counts import devices_per_site
from sitekeeper.api.routes._views import DeviceFilter, by_status, visible_views
from sitekeeper.api.schemas import Page, SiteDetail, SitePublic
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound

router = APIRouter(tags=["sites"])


def site_publics(scope: Scope, rows: list[m.Site], client_keys: dict[int, str]) -> list[SitePublic]:
    devices = devices_per_site(scope, [s.id for s in rows])
    return [
        SitePublic(
            id=s.id,
            client_id=s.client_id,
            client=client_keys[s.client_id],
            key=s.key,
            name=s.name,
            address=s.address,
            timezone=s.timezone,
            device_count=devices.get(s.id, 0),
        )
        for s in rows
    ]


@router.get("/sites", response_model=Page[SitePublic], summary="Active sites the caller may see")
def list_sites(scope: ScopeDep, page: PageDep, client_id: FilterId = None) -> Page[SitePublic]:
    stmt = (
        scope.where(select(m.Site, m.Client.key), m.Site.client_id)
        .join(m.Client, m.Client.id == m.Site.client_id)
        .where(m.Site.retired_at.is_(None))
        .order_by(m.Client.key, m.Site.key)
    )
    if client_id is not None:
        stmt = stmt.where(m.Site.client_id == client_id)
    rows, total = page.rows(scope.session, stmt)
    keys = {site.client_id: key for site, key in rows}
    items = site_publics(scope, [site for site, _ in rows], keys)
    return Page[SitePublic](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/sites/{site_id}", response_model=SiteDetail, summary="One site")
def get_site(site_id: Id, scope: ScopeDep, clock: ClockDep) -> SiteDetail:
    site = scope.site(site_id)
    if site.retired_at is not None:
        raise NotFound(f"site {site_id} is retired")
    client = scope.client(site.client_id)
    public = site_publics(scope, [site], {client.id: client.key})[0]
    views = visible_views(scope, clock.now(), DeviceFilter(site_id=site.id))
    return SiteDetail(**public.model_dump(), devices_by_status=by_status(views))
