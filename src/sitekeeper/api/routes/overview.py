"""GET /overview: the problems-first summary the dashboard and scripts start from, for the
caller's clients only."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.routes._views import Rows, by_status, problem_device, visible_views
from sitekeeper.api.schemas import Overview, SystemCounts
from sitekeeper.db import models as m
from sitekeeper.inventory.kinds import System
from sitekeeper.state.model import DEVICE_SEVERITY, DeviceStatus

router = APIRouter(tags=["overview"])

MAX_PROBLEMS = 200  # a portfolio-wide outage should not make a 10 MB answer
STATUSES = [s.value for s in sorted(DeviceStatus, key=lambda s: -DEVICE_SEVERITY[s])]


def _all_statuses(counts: dict[str, int]) -> dict[str, int]:
    return {s: counts.get(s, 0) for s in STATUSES}


@router.get("/overview", response_model=Overview, summary="Problems first, counts by system")
def overview(scope: ScopeDep, clock: ClockDep) -> Overview:
    now = clock.now()
    views = visible_views(scope, now)
    problems = [v for v in views if v.is_problem]
    shown = problems[:MAX_PROBLEMS]
    rows = Rows.for_views(scope, shown)
    session = scope.session
    clients = session.scalar(scope.where(select(func.count(m.Client.id)), m.Client.id))
    sites = session.scalar(
        scope.where(select(func.count(m.Site.id)), m.Site.client_id).where(
            m.Site.retired_at.is_(None)
        )
    )
    last = session.scalar(
        scope.where(select(func.max(m.CheckState.last_result_at)), m.CheckState.client_id)
    )
    return Overview(
        at=now,
        last_result_at=float(last) if last is not None else None,
        clients=int(clients or 0),
        sites=int(sites or 0),
        devices=len(views),
        checks=sum(len(v.checks) for v in views),
        devices_by_status=_all_statuses(by_status(views)),
        systems=[
            SystemCounts(
                system=system,
                total=sum(1 for v in views if v.system == system.value),
                by_status=_all_statuses(by_status(v for v in views if v.system == system.value)),
            )
            for system in System
        ],
        problems_total=len(problems),
        problems=[problem_device(v, rows) for v in shown],
    )
