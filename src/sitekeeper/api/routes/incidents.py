"""Incidents: list, detail with the timeline, acknowledge, comment, resolve by hand.

One incident per root cause: the failed device, the devices unreachable behind it (not
paged), the services it impacts. Scoped like every route; writes need write permission.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, ScopeDep, WriteUser
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import WRITE_ERRORS, FilterId, Id, PageDep
from sitekeeper.api.schemas import Page, Text
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.incidents import actions

router = APIRouter(tags=["incidents"])


class DeviceBrief(BaseModel):
    id: int
    key: str
    name: str
    kind: str


class ServiceBrief(BaseModel):
    key: str
    name: str
    criticality: int


class IncidentPublic(BaseModel):
    id: int
    client_id: int
    client: str
    site_id: int
    site: str
    title: str
    state: Literal["open", "resolved"]
    severity: int = Field(
        description="1 (low) .. 5, from the root's and the impacted services' criticality."
    )
    root: DeviceBrief
    unreachable: list[DeviceBrief] = Field(
        description="Devices cut off behind the root (not paged)."
    )
    unreachable_count: int = Field(description="How many devices are cut off behind the root.")
    services: list[ServiceBrief] = Field(description="Impacted services, most critical first.")
    opened_at: float
    resolved_at: float | None
    acked_at: float | None
    acked_by: str | None
    flapping: bool
    silenced_by: str | None


class IncidentEventPublic(BaseModel):
    at: float
    kind: str
    actor: str
    text: str


class IncidentDetail(IncidentPublic):
    timeline: list[IncidentEventPublic]


class CommentIn(BaseModel):
    text: Text = Field(min_length=1, max_length=4000)


def incident_public(scope: Scope, inc: m.Incident) -> IncidentPublic:
    return incidents_public(scope, [inc])[0]


def incidents_public(
    scope: Scope, rows: Sequence[m.Incident], *, members: bool = True
) -> list[IncidentPublic]:
    """The public form of already-scoped incidents, in the same order, read in one batch: a
    fixed handful of queries for any number of incidents (clients, sites, devices, services,
    users), not four for each. Lists that show only how many devices are cut off (the
    dashboard's tables of incidents) pass `members=False`: `unreachable` is then left empty,
    and the devices behind a failed switch are not looked up (a site's worth per incident)."""
    if not rows:
        return []
    s = scope.session
    client_ids = sorted({r.client_id for r in rows})
    clients = _by_id(s, m.Client.id, (m.Client.id, m.Client.key), client_ids)
    sites = _by_id(s, m.Site.id, (m.Site.id, m.Site.key), sorted({r.site_id for r in rows}))
    device_ids = sorted(
        {
            i
            for r in rows
            for i in ((r.root_device_id, *r.members) if members else (r.root_device_id,))
        }
    )
    devices = _by_id(
        s, m.Device.id, (m.Device.id, m.Device.key, m.Device.name, m.Device.kind), device_ids
    )
    users = _by_id(
        s, m.User.id, (m.User.id, m.User.name), sorted({r.acked_by for r in rows if r.acked_by})
    )
    wanted = sorted({k for r in rows for k in r.services})
    services: dict[tuple[int, str], Any] = {}
    for part in _chunks(wanted):
        stmt = select(
            m.Service.client_id, m.Service.key, m.Service.name, m.Service.criticality
        ).where(m.Service.client_id.in_(client_ids), m.Service.key.in_(part))
        for row in s.execute(stmt):
            services[(row.client_id, row.key)] = row

    def brief(device_id: int) -> DeviceBrief:
        d = devices.get(device_id)
        if d is None:
            return DeviceBrief(id=device_id, key=str(device_id), name="(removed)", kind="other")
        return DeviceBrief(id=d.id, key=d.key, name=d.name, kind=d.kind)

    def public(inc: m.Incident) -> IncidentPublic:
        client, site = clients.get(inc.client_id), sites.get(inc.site_id)
        acker = users.get(inc.acked_by) if inc.acked_by else None
        found = [
            services[(inc.client_id, k)] for k in inc.services if (inc.client_id, k) in services
        ]
        return IncidentPublic(
            id=inc.id,
            client_id=inc.client_id,
            client=client.key if client else "",
            site_id=inc.site_id,
            site=site.key if site else "",
            title=inc.title,
            state="open" if inc.resolved_at is None else "resolved",
            severity=inc.severity,
            root=brief(inc.root_device_id),
            unreachable=[brief(d) for d in inc.members] if members else [],
            unreachable_count=len(inc.members),
            services=[
                ServiceBrief(key=sv.key, name=sv.name, criticality=sv.criticality) for sv in found
            ],
            opened_at=inc.opened_at,
            resolved_at=inc.resolved_at,
            acked_at=inc.acked_at,
            acked_by=acker.name if acker else None,
            flapping=inc.flapping,
            silenced_by=inc.silenced_by,
        )

    return [public(r) for r in rows]


T = TypeVar("T")
_CHUNK = 5000  # ids per IN list: well under SQLite's limit on bound parameters


def _by_id(session: Any, id_col: Any, columns: tuple[Any, ...], ids: list[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for part in _chunks(ids):
        for row in session.execute(select(*columns).where(id_col.in_(part))):
            out[row[0]] = row
    return out


def _chunks(items: list[T]) -> Iterable[list[T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def find_incident(scope: Scope, incident_id: int) -> m.Incident:
    row = scope.session.get(m.Incident, incident_id)
    scope.check_client(row.client_id if row else None, f"incident {incident_id}")
    assert row is not None
    return row


def incident_detail(scope: Scope, inc: m.Incident) -> IncidentDetail:
    events = scope.session.scalars(
        select(m.IncidentEvent)
        .where(m.IncidentEvent.incident_id == inc.id)
        .order_by(m.IncidentEvent.at, m.IncidentEvent.id)
    )
    timeline = [
        IncidentEventPublic(at=e.at, kind=e.kind, actor=e.actor, text=e.text) for e in events
    ]
    return IncidentDetail(**incident_public(scope, inc).model_dump(), timeline=timeline)


@router.get("/incidents", response_model=Page[IncidentPublic], summary="Incidents, newest first")
def list_incidents(
    scope: ScopeDep,
    page: PageDep,
    state: Annotated[
        Literal["open", "resolved", "all"], Query(description="Which incidents.")
    ] = "open",
    client_id: FilterId = None,
    site_id: FilterId = None,
) -> Page[IncidentPublic]:
    stmt = scope.where(select(m.Incident), m.Incident.client_id).order_by(
        m.Incident.opened_at.desc(), m.Incident.id.desc()
    )
    if state == "open":
        stmt = stmt.where(m.Incident.resolved_at.is_(None))
    elif state == "resolved":
        stmt = stmt.where(m.Incident.resolved_at.is_not(None))
    if client_id is not None:
        stmt = stmt.where(m.Incident.client_id == client_id)
    if site_id is not None:
        stmt = stmt.where(m.Incident.site_id == site_id)
    rows, total = page.rows(scope.session, stmt)
    return Page[IncidentPublic](
        items=incidents_public(scope, [row[0] for row in rows]),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentDetail,
    summary="An incident and its timeline",
)
def get_incident(incident_id: Id, scope: ScopeDep) -> IncidentDetail:
    return incident_detail(scope, find_incident(scope, incident_id))


@router.post(
    "/incidents/{incident_id}/ack",
    response_model=IncidentDetail,
    responses=WRITE_ERRORS,
    summary="Acknowledge: someone is on it (stops escalation)",
)
def ack_incident(
    incident_id: Id, scope: ScopeDep, principal: WriteUser, clock: ClockDep
) -> IncidentDetail:
    inc = find_incident(scope, incident_id)
    try:
        actions.acknowledge(
            scope.session, inc, actor=principal.name, user_id=principal.user_id, now=clock.now()
        )
    except actions.IncidentClosed as err:
        raise ApiError(409, str(err)) from err
    scope.session.commit()
    return incident_detail(scope, inc)


@router.post(
    "/incidents/{incident_id}/comments",
    response_model=IncidentDetail,
    responses=WRITE_ERRORS,
    summary="Add a comment to the timeline",
)
def comment_incident(
    incident_id: Id,
    scope: ScopeDep,
    principal: WriteUser,
    clock: ClockDep,
    body: Annotated[CommentIn, Body()],
) -> IncidentDetail:
    inc = find_incident(scope, incident_id)
    actions.comment(scope.session, inc, actor=principal.name, text=body.text, now=clock.now())
    scope.session.commit()
    return incident_detail(scope, inc)


@router.post(
    "/incidents/{incident_id}/resolve",
    response_model=IncidentDetail,
    responses=WRITE_ERRORS,
    summary="Resolve by hand (when sitekeeper cannot see the end, e.g. a device removed)",
)
def resolve_incident(
    incident_id: Id, scope: ScopeDep, principal: WriteUser, clock: ClockDep
) -> IncidentDetail:
    inc = find_incident(scope, incident_id)
    try:
        actions.resolve_by_hand(
            scope.session, inc, actor=principal.name, user_id=principal.user_id, now=clock.now()
        )
    except actions.IncidentClosed as err:
        raise ApiError(409, str(err)) from err
    scope.session.commit()
    return incident_detail(scope, inc)
