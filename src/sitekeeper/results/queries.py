"""Read models for people: the current status of devices and checks, problems first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.state.model import CHECK_SEVERITY, DEVICE_SEVERITY, CheckStatus, DeviceStatus


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
        return self.status not in (DeviceStatus.UP.value,) or any(
            c.hard_status != CheckStatus.OK.value or c.flapping for c in self.checks
        )

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["checks"] = [c.as_dict() for c in self.checks]
        d["problem"] = self.is_problem
        return d


def device_views(
    session: Session, client: str | None = None, device: str | None = None
) -> list[DeviceView]:
    """Active devices with their checks, problems first (by severity, criticality, name)."""
    stmt = (
        select(m.Device, m.Client.key, m.Site.key, m.DeviceState)
        .join(m.Client, m.Device.client_id == m.Client.id)
        .join(m.Site, m.Device.site_id == m.Site.id)
        .outerjoin(m.DeviceState, m.DeviceState.device_id == m.Device.id)
        .where(m.Device.retired_at.is_(None))
    )
    if client:
        stmt = stmt.where(m.Client.key == client)
    if device:
        stmt = stmt.where(m.Device.key == device)
    rows = session.execute(stmt).all()
    ids = [d.id for d, _, _, _ in rows]
    checks: dict[int, list[CheckView]] = {i: [] for i in ids}
    if ids:
        cstmt = (
            select(m.Check, m.CheckState)
            .outerjoin(m.CheckState, m.CheckState.check_id == m.Check.id)
            .where(m.Check.device_id.in_(ids), m.Check.retired_at.is_(None))
            .order_by(m.Check.device_id, m.Check.id)
        )
        for check, state in session.execute(cstmt):
            checks[check.device_id].append(_check_view(check, state))
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
            status=state.status if state else DeviceStatus.UNKNOWN.value,
            since=state.since if state else None,
            reason=state.reason if state else "no results yet",
            checks=sorted(checks[d.id], key=lambda c: -CHECK_SEVERITY[CheckStatus(c.status)]),
        )
        for d, client_key, site_key, state in rows
    ]
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
        .order_by(m.Flip.id.desc())
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
