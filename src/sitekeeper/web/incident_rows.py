"""Incidents as the lists show them, read in one batch: a fixed handful of queries for any
number of incidents (clients, sites, devices, services, users), where building them one by
one costs four queries each. The rows are what `incident_public` gives for one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select

from sitekeeper.api.routes.incidents import DeviceBrief, IncidentPublic, ServiceBrief
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m

T = TypeVar("T")
CHUNK = 5000  # ids per IN list: well under SQLite's limit on bound parameters


def incidents_public(scope: Scope, rows: Sequence[m.Incident]) -> list[IncidentPublic]:
    """The public form of already-scoped incidents, in the same order."""
    if not rows:
        return []
    s = scope.session
    client_ids = sorted({r.client_id for r in rows})
    clients = _by_id(s, m.Client.id, (m.Client.id, m.Client.key), client_ids)
    sites = _by_id(s, m.Site.id, (m.Site.id, m.Site.key), sorted({r.site_id for r in rows}))
    device_ids = sorted({i for r in rows for i in (r.root_device_id, *r.members)})
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
            unreachable=[brief(d) for d in inc.members],
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


def _by_id(session: Any, id_col: Any, columns: tuple[Any, ...], ids: list[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for part in _chunks(ids):
        for row in session.execute(select(*columns).where(id_col.in_(part))):
            out[row[0]] = row
    return out


def _chunks(items: list[T]) -> Iterable[list[T]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
