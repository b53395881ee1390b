"""Devices: GET /devices (filtered, problems first) and GET /devices/{device_id} (with its
checks, their current state and values, and its place in the dependency graph)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.routes._common import FilterId, Id, PageDep
from sitekeeper.api.routes._views import (
    DeviceFilter,
    Rows,
    check_public,
    device_public,
    device_ref,
    visible_views,
)
from sitekeeper.api.schemas import DeviceDetail, DevicePublic, Page
from sitekeeper.errors import NotFound
from sitekeeper.inventory.kinds import DeviceKind, System
from sitekeeper.state.model import DeviceStatus

router = APIRouter(tags=["devices"])

# Short, and no NUL (PostgreSQL text cannot hold one).
Search = Annotated[
    str | None,
    Query(max_length=100, pattern=r"^[^\x00]*$", description="Part of the id or name."),
]


@router.get("/devices", response_model=Page[DevicePublic], summary="Devices, problems first")
def list_devices(
    scope: ScopeDep,
    clock: ClockDep,
    page: PageDep,
    client_id: FilterId = None,
    site_id: FilterId = None,
    status: DeviceStatus | None = None,
    system: System | None = None,
    kind: DeviceKind | None = None,
    q: Search = None,
    problem: Annotated[
        bool | None, Query(description="Only problems (true) or only the rest (false).")
    ] = None,
) -> Page[DevicePublic]:
    filters = DeviceFilter(
        client_id=client_id,
        site_id=site_id,
        system=system.value if system else None,
        kind=kind.value if kind else None,
        q=q,
    )
    views = [
        v
        for v in visible_views(scope, clock.now(), filters)
        if (status is None or v.status == status.value)
        and (problem is None or v.is_problem == problem)
    ]
    result = page.page(views)
    rows = Rows.load(scope, (v.id for v in result.items))
    items = [device_public(v, rows) for v in result.items]
    return Page[DevicePublic](items=items, total=result.total, limit=page.limit, offset=page.offset)


@router.get("/devices/{device_id}", response_model=DeviceDetail, summary="One device")
def get_device(device_id: Id, scope: ScopeDep, clock: ClockDep) -> DeviceDetail:
    device = scope.device(device_id)
    if device.retired_at is not None:
        raise NotFound(f"device {device_id} is retired")
    # The whole client's devices: this one, and its parents and dependents with their status.
    views = visible_views(scope, clock.now(), DeviceFilter(client_id=device.client_id))
    view = next(v for v in views if v.id == device.id)
    rows = Rows.for_views(scope, [view])
    parents = set(view.depends_on)
    return DeviceDetail(
        **device_public(view, rows).model_dump(),
        checks=[check_public(view, c, rows) for c in view.checks],
        parents=[device_ref(v) for v in views if v.key in parents],
        dependents=[device_ref(v) for v in views if view.key in v.depends_on],
    )
