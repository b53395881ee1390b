"""Clients: GET /clients and GET /clients/{client_id}."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.routes._common import Id, PageDep
from sitekeeper.api.routes._counts import devices_per_client, sites_per_client
from sitekeeper.api.routes._views import DeviceFilter, by_status, visible_views
from sitekeeper.api.routes.sites import site_publics
from sitekeeper.api.schemas import ClientDetail, ClientPublic, Page
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m

router = APIRouter(tags=["clients"])


def client_publics(scope: Scope, rows: list[m.Client]) -> list[ClientPublic]:
    ids = [c.id for c in rows]
    sites, devices = sites_per_client(scope, ids), devices_per_client(scope, ids)
    return [
        ClientPublic(
            id=c.id,
            key=c.key,
            name=c.name,
            contact=c.contact,
            site_count=sites.get(c.id, 0),
            device_count=devices.get(c.id, 0),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in rows
    ]


@router.get("/clients", response_model=Page[ClientPublic], summary="Clients the caller may see")
def list_clients(scope: ScopeDep, page: PageDep) -> Page[ClientPublic]:
    stmt = scope.where(select(m.Client), m.Client.id).order_by(m.Client.key)
    rows, total = page.rows(scope.session, stmt)
    items = client_publics(scope, [r[0] for r in rows])
    return Page[ClientPublic](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/clients/{client_id}", response_model=ClientDetail, summary="One client")
def get_client(client_id: Id, scope: ScopeDep, clock: ClockDep) -> ClientDetail:
    client = scope.client(client_id)
    public = client_publics(scope, [client])[0]
    site_rows = scope.session.scalars(
        scope.where(select(m.Site), m.Site.client_id)
        .where(m.Site.client_id == client.id, m.Site.retired_at.is_(None))
        .order_by(m.Site.key)
    )
    views = visible_views(scope, clock.now(), DeviceFilter(client_id=client.id))
    return ClientDetail(
        **public.model_dump(),
        devices_by_status=by_status(views),
        sites=site_publics(scope, list(site_rows), {client.id: client.key}),
    )
