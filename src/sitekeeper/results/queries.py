"""Read models for people: the current status of devices and checks, problems first."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sitekeeper.checks.duration import parse_duration
from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.db import models as m
from sitekeeper.state.model import CHECK_SEVERITY, DEVICE_SEVERITY, CheckStatus, DeviceStatus

AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class CheckView:
    id: int
    name: str
    type: str
    status: str
    hard_status: str
    state_type: str
    attempt: int
    max_attempts: int
    flapping: bool
    since: float | None
    last_result_at: float | None
    latency_ms: float | None
    reason: str | None
    values: dict[str, Any]
    stale: bool = False  # no result for well over its interval: the collector may be down

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DeviceView:
    id: int
    client: str
    site: str
    key: str
    name: str
    kind: str
    system: str
    address: str
    criticality: int
    depends_on: list[str]
    status: str
    since: float | None
    reason: str | None
    checks: list[CheckView] = field(default_factory=list)

    @property
    def is_problem(self) -> bool:
        """Down, degraded, unknown; or a check failing (also while still soft) or flapping."""
        return self.status != DeviceStatus.UP.value or any(
            c.status != CheckStatus.OK.value
            or c.hard_status != CheckStatus.OK.value
            or c.flapping
            or c.stale
            for c in self.checks
        )

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["checks"] = [c.as_dict() for c in self.checks]
        d["problem"] = self.is_problem
        return d


def stale_after(spec: dict[str, Any]) -> float:
    """How long without a result before a check's data is stale: two intervals, its timeout,
    and some slack for a busy collector. Passive checks never go stale: they report only when
    something arrives, and a heartbeat's silence is judged by the hub itself."""
    if spec.get("type") in PASSIVE_TYPES:
        return math.inf
    interval = parse_duration(spec.get("interval", 60.0))
    return 2 * interval + parse_duration(spec.get("timeout", 10.0)) + 30.0


def device_views(
    session: Session,
    client: str | None = None,
    device: str | None = None,
    now: float | None = None,
    *,
    narrow: Callable[[AnySelect], AnySelect] | None = None,
) -> list[DeviceView]:
    """Active devices with their checks, problems first (by severity, criticality, name).

    With `now`, checks without a recent result are marked stale, and a device whose checks are
    all stale is shown UNKNOWN: its last known status is no longer news. `narrow` adds
    conditions on `m.Device` (the API passes the caller's scope and its filters)."""
    stmt = (
        select(m.Device, m.Client.key, m.Site.key, m.DeviceState, m.DeviceEffective)
        .join(m.Client, m.Device.client_id == m.Client.id)
        .join(m.Site, m.Device.site_id == m.Site.id)
        .outerjoin(m.DeviceState, m.DeviceState.device_id == m.Device.id)
        .outerjoin(m.DeviceEffective, m.DeviceEffective.device_id == m.Device.id)
        .where(m.Device.retired_at.is_(None))
    )
    if client:
        stmt = stmt.where(m.Client.key == client)
    if device:
        stmt = stmt.where(m.Device.key == device)
    if narrow is not None:
        stmt = narrow(stmt)
    rows = session.execute(stmt).all()
    ids = [row[0].id for row in rows]
    checks: dict[int, list[CheckView]] = {i: [] for i in ids}
    if ids:
        cstmt = (
            select(m.Check, m.CheckState)
            .outerjoin(m.CheckState, m.CheckState.check_id == m.Check.id)
            .where(m.Check.device_id.in_(ids), m.Check.retired_at.is_(None))
            .order_by(m.Check.device_id, m.Check.id)
        )
        for check, state in session.execute(cstmt):
            view = _check_view(check, state)
            last = view.last_result_at
            if now is not None and last is not None and now - last > stale_after(check.spec):
                view = replace(view, stale=True)
            checks[check.device_id].append(view)
    views = [
        DeviceView(
            id=d.id,
            client=client_key,
            site=site_key,
            key=d.key,
            name=d.name,
            kind=d.kind,
            system=d.system,
            address=d.address,
            criticality=d.criticality,
            depends_on=list(d.depends_on),
            **_status_of(state, eff),
            checks=sorted(checks[d.id], key=lambda c: -CHECK_SEVERITY[CheckStatus(c.status)]),
        )
        for d, client_key, site_key, state, eff in rows
    ]
    if now is not None:
        views = [_mark_stale(v, now) for v in views]
    views.sort(
        key=lambda v: (
            not v.is_problem,
            -DEVICE_SEVERITY[DeviceStatus(v.status)],
            -v.criticality,
            v.client,
            v.key,
        )
    )
    return views


def _status_of(state: m.DeviceState | None, eff: m.DeviceEffective | None) -> dict[str, Any]:
    """The status people see: correlation's verdict (UNREACHABLE behind a failed parent,
    ASLEEP, ...) where it differs from what the device's own checks say."""
    if state is None:
        return {"status": DeviceStatus.UNKNOWN.value, "since": None, "reason": "no results yet"}
    if eff is not None and eff.status != state.status and eff.raw_status == state.status:
        return {"status": eff.status, "since": eff.updated_at, "reason": eff.reason or state.reason}
    return {"status": state.status, "since": state.since, "reason": state.reason}


def _mark_stale(view: DeviceView, now: float) -> DeviceView:
    if not view.checks or not all(c.stale for c in view.checks):
        return view
    last = max(c.last_result_at or 0.0 for c in view.checks)
    minutes = max(1, round((now - last) / 60))
    return replace(
        view,
        status=DeviceStatus.UNKNOWN.value,
        reason=f"no results for {minutes} min (last: {view.status}); is `sitekeeper up` running?",
    )


def _check_view(check: m.Check, state: m.CheckState | None) -> CheckView:
    max_attempts = int(check.spec.get("max_attempts", 3))
    if state is None:
        return CheckView(
            id=check.id,
            name=check.name,
            type=check.type,
            status="UNKNOWN",
            hard_status="UNKNOWN",
            state_type="HARD",
            attempt=0,
            max_attempts=max_attempts,
            flapping=False,
            since=None,
            last_result_at=None,
            latency_ms=None,
            reason="no results yet",
            values={},
        )
    return CheckView(
        id=check.id,
        name=check.name,
        type=check.type,
        status=state.status,
        hard_status=state.hard_status,
        state_type=state.state_type,
        attempt=state.attempt,
        max_attempts=max_attempts,
        flapping=state.flapping,
        since=state.since,
        last_result_at=state.last_result_at,
        latency_ms=state.latency_ms,
        reason=state.error or state.reason,
        values=dict(state.values or {}),
    )


def last_result_at(session: Session) -> float | None:
    value = session.scalar(select(func.max(m.CheckState.last_result_at)))
    return float(value) if value is not None else None


def counts(views: list[DeviceView]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in views:
        out[v.status] = out.get(v.status, 0) + 1
    return out


@dataclass(frozen=True)
class FlipView:
    at: float
    subject: str
    device: str
    check: str | None
    old: str
    new: str
    hard: bool
    reason: str


def recent_flips(
    session: Session, client: str | None = None, limit: int = 10, *, hard_only: bool = True
) -> list[FlipView]:
    """The latest status changes of devices and checks, newest first."""
    device_stmt = (
        select(m.Flip, m.Device.key, m.Check.name)
        .join(m.Client, m.Client.id == m.Flip.client_id)
        .outerjoin(m.Check, (m.Flip.subject == "check") & (m.Check.id == m.Flip.subject_id))
        .join(
            m.Device,
            ((m.Flip.subject == "device") & (m.Device.id == m.Flip.subject_id))
            | ((m.Flip.subject == "check") & (m.Device.id == m.Check.device_id)),
        )
        .order_by(m.Flip.at.desc(), m.Flip.id.desc())
        .limit(limit)
    )
    if client:
        device_stmt = device_stmt.where(m.Client.key == client)
    if hard_only:
        device_stmt = device_stmt.where(m.Flip.hard.is_(True))
    return [
        FlipView(
            at=f.at,
            subject=f.subject,
            device=device_key,
            check=check_name if f.subject == "check" else None,
            old=f.old,
            new=f.new,
            hard=f.hard,
            reason=f.reason,
        )
        for f, device_key, check_name in session.execute(device_stmt)
    ]
