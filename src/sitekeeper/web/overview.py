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
from sitekeeper.results.overview import Counted, portfolio
from sitekeeper.results.problems import ListedProblem, listed_problems
from sitekeeper.state.model import DeviceStatus
from sitekeeper.web.views import MAX_PROBLEMS_SHOWN, Place, Tally, problems_first


@dataclass(frozen=True)
class Overview:
    tally: Tally
    unreachable: int
    problems: list[ListedProblem]  # the first MAX_PROBLEMS_SHOWN, not UNREACHABLE
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
    nothing = Counted({}, 0)
    systems = [s.value for s in System]  # each, with devices or not; then any other
    systems += [s for s in found.by_system if s not in systems]
    everyone: dict[str, int] = {}
    for counted in found.by_system.values():
        for status, n in counted.devices.items():
            everyone[status] = everyone.get(status, 0) + n
    return Overview(
        tally=Tally.counted(everyone, sum(c.problems for c in found.by_system.values())),
        unreachable=everyone.get(DeviceStatus.UNREACHABLE.value, 0),
        problems=_problem_views(scope, now, found.problem_ids),
        problems_hidden=max(0, found.listed_problems - MAX_PROBLEMS_SHOWN),
        systems=[(system, _tally(found.by_system.get(system, nothing))) for system in systems],
        clients=_clients(scope, found.by_client),
        last_result=found.last_result_at,
    )


def _tally(counted: Counted) -> Tally:
    return Tally.counted(counted.devices, counted.problems)


def _clients(scope: Scope, counts: dict[int, Counted]) -> list[Place]:
    stmt = scope.where(
        select(m.Client.id, m.Client.key, m.Client.name).order_by(m.Client.name), m.Client.id
    )
    nothing = Counted({}, 0)
    rows = [
        Place(cid, key, name, _tally(counts.get(cid, nothing)))
        for cid, key, name in scope.session.connection().execute(stmt)
    ]
    return sorted(rows, key=problems_first)


def _problem_views(scope: Scope, now: float, ids: list[int]) -> list[ListedProblem]:
    """Just these devices, with their failing checks, in device_views' order."""

    def narrow(stmt: Any) -> Any:
        return scope.where(stmt, m.Device.client_id)

    return listed_problems(scope.session, now, ids, narrow)
