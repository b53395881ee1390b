"""POST /checks/{check_id}/run: run a check's probe now and return what it saw, with the
probe's own log lines (like `sitekeeper check run`). Nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from sitekeeper.api.deps import ClockDep, WriteUser, get_store
from sitekeeper.api.routes._common import Id
from sitekeeper.api.schemas import RunResult
from sitekeeper.api.scope import Scope
from sitekeeper.auth.principal import Principal
from sitekeeper.collector.runner import run_check
from sitekeeper.errors import NotFound
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results.catalog import CheckInfo, load_catalog
from sitekeeper.results.store import Store
from sitekeeper.state.classify import classify

router = APIRouter(tags=["checks"])


def _lookup(store: Store, principal: Principal, check_id: int) -> CheckInfo:
    with store.session() as session:
        scope = Scope(session, principal)
        check = scope.check(check_id)
        client = scope.client(check.client_id)
        info = load_catalog(session, [client.key]).checks.get(check.id)
    if info is None:
        raise NotFound(f"check {check_id} is retired")
    return info


@router.post("/checks/{check_id}/run", response_model=RunResult, summary="Run a check now")
async def run_now(
    check_id: Id, request: Request, principal: WriteUser, clock: ClockDep
) -> RunResult:
    # The store is synchronous: look the check up off the event loop, then probe on it.
    info = await run_in_threadpool(_lookup, get_store(request), principal, check_id)
    http = HttpSessions()
    try:
        obs = await run_check(info, clock, http, debug=True)
    finally:
        await http.close()
    status, reason = classify(obs, info.spec)
    return RunResult(
        check_id=info.id,
        device_id=info.device_id,
        device=info.device_key,
        check=info.name,
        type=info.spec.type,
        target=f"{info.address}:{info.port}" if info.port else info.address,
        at=obs.at,
        ok=obs.ok,
        status=status,
        reason=reason,
        latency_ms=obs.latency_ms,
        values=dict(obs.values),
        error=obs.error,
        log=list(obs.log),
    )
