"""Checks: GET /checks (filtered, problems first) and GET /checks/{check_id} (with its state
and how it is judged)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.routes._common import FilterId, Id, PageDep
from sitekeeper.api.routes._views import DeviceFilter, Rows, check_public, visible_views
from sitekeeper.api.schemas import CheckDetail, CheckPublic, Page, ThresholdPublic
from sitekeeper.checks.build import SPEC_ADAPTER
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound
from sitekeeper.results.passive import ping_paths
from sitekeeper.results.queries import CheckView, DeviceView
from sitekeeper.state.classify import thresholds_for
from sitekeeper.state.model import CheckStatus

router = APIRouter(tags=["checks"])


@router.get("/checks", response_model=Page[CheckPublic], summary="Checks, problems first")
def list_checks(
    scope: ScopeDep,
    clock: ClockDep,
    page: PageDep,
    client_id: FilterId = None,
    device_id: FilterId = None,
    status: CheckStatus | None = None,
) -> Page[CheckPublic]:
    views = visible_views(
        scope, clock.now(), DeviceFilter(client_id=client_id, device_id=device_id)
    )
    pairs: list[tuple[DeviceView, CheckView]] = [
        (v, c) for v in views for c in v.checks if status is None or c.status == status.value
    ]
    result = page.page(pairs)
    rows = Rows.load(scope, (v.id for v, _ in result.items), (c.id for _, c in result.items))
    items = [check_public(v, c, rows) for v, c in result.items]
    return Page[CheckPublic](items=items, total=result.total, limit=page.limit, offset=page.offset)


@router.get("/checks/{check_id}", response_model=CheckDetail, summary="One check")
def get_check(check_id: Id, request: Request, scope: ScopeDep, clock: ClockDep) -> CheckDetail:
    check = scope.check(check_id)
    views = visible_views(scope, clock.now(), DeviceFilter(device_id=check.device_id))
    found = [(v, c) for v in views for c in v.checks if c.id == check.id]
    if not found:
        raise NotFound(f"check {check_id} is retired")
    view, cview = found[0]
    rows = Rows.for_views(scope, [view])
    spec = SPEC_ADAPTER.validate_python(check.spec)
    state = scope.session.get(m.CheckState, check.id)
    path = ping_paths(scope.session, [check.id]).get(check.id)  # heartbeat checks only
    return CheckDetail(
        **check_public(view, cview, rows).model_dump(),
        timeout=spec.timeout,
        retry_interval=spec.effective_retry_interval,
        thresholds=[ThresholdPublic.model_validate(t) for t in thresholds_for(spec)],
        recent=state.history if state else "",
        ping_url=f"{str(request.base_url).rstrip('/')}{path}" if path else None,
    )
