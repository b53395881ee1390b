"""What the overview page shows, from SQL aggregates: every visible device counted by status
(per client, per system, in all), the unreachable ones counted, and full views only for the
first problem devices it lists. Its figures are the ones `Tally.of` would give over every
device view; building those views takes seconds for an MSP of 25,000 devices, the SQL one pass
of the database over its state tables. Scoped like every page: the counts cover only the
clients the principal may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.inventory.kinds import System
from sitekeeper.results.overview import StatusCount, portfolio
from sitekeeper.results.queries import DeviceView, device_views
from sitekeeper.state.model import DeviceStatus
from sitekeeper.web.views import MAX_PROBLEMS_SHOWN, Place, Tally, problems_first


@dataclass(frozen=True)
class Overview:
    tally: Tally
    unreachable: int
    problems: list[DeviceView]  # the first MAX_PROBLEMS_SHOWN, not UNREACHABLE
    problems_hidden: int
    systems: list[tuple[str, Tally]]
    clients: list[Place]
    last_result: float | None


def portfolio_overview(scope: Scope, now: float) -> Overview:
    found = portfolio(
        scope.session,
        now,
        narrow=scope.where,
        limit=MAX_PROBLEMS_SHOWN,
        everyone=scope.principal.client_ids is None,
    )
    by_system: dict[str, list[StatusCount]] = {s.value: [] for s in System}
    by_system.update(found.by_system)
    everyone = [c for counts in found.by_system.values() for c in counts]
    return Overview(
        tally=_tally(everyone),
        unreachable=sum(c.devices for c in everyone if c.status == "UNREACHABLE"),
        problems=_problem_views(scope, now, found.problem_ids),
        problems_hidden=max(0, found.listed_problems - MAX_PROBLEMS_SHOWN),
        systems=[(system, _tally(cs)) for system, cs in by_system.items()],
        clients=_clients(scope, found.by_client),
        last_result=found.last_result_at,
    )


def _tally(counts: list[StatusCount]) -> Tally:
    by: dict[str, int] = {}
    for c in counts:
        by[c.status] = by.get(c.status, 0) + c.devices
    return Tally.counted(by, problems=sum(c.problems for c in counts))


def _clients(scope: Scope, counts: dict[int, list[StatusCount]]) -> list[Place]:
    stmt = scope.where(
        select(m.Client.id, m.Client.key, m.Client.name).order_by(m.Client.name), m.Client.id
    )
    rows = [
        Place(cid, key, name, _tally(counts.get(cid, [])))
        for cid, key, name in scope.session.execute(stmt)
    ]
    return sorted(rows, key=problems_first)


def _problem_views(scope: Scope, now: float, ids: list[int]) -> list[DeviceView]:
    """Full views (with their checks) of just these devices, in device_views' order."""
    if not ids:
        return []

    def narrow(stmt: Any) -> Any:
        return scope.where(stmt, m.Device.client_id).where(m.Device.id.in_(ids))

    views = device_views(scope.session, now=now, narrow=narrow, with_values=False)
    # a device may have recovered between the two reads: list what is still a problem
    return [d for d in views if d.is_problem and d.status != DeviceStatus.UNREACHABLE.value]
