"""Devices and checks as the API shows them: the read models of `results.queries`, narrowed
by the caller's scope, joined with the few columns the read models do not carry.

Nothing here copies a credentials reference, an inventory entry or a check spec's headers,
bodies or URL into a response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from sitekeeper.api.schemas import CheckPublic, DevicePublic, DeviceRef, ProblemDevice
from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.results.queries import (
    AnySelect,
    CheckView,
    DeviceView,
    device_views,
    failing_checks,
)
from sitekeeper.state.model import CheckStatus, DeviceStatus, StateType


@dataclass(frozen=True)
class DeviceFilter:
    client_id: int | None = None
    site_id: int | None = None
    device_id: int | None = None
    system: str | None = None
    kind: str | None = None
    q: str | None = None  # substring of the key or the name

    def narrow(self, scope: Scope) -> Callable[[AnySelect], AnySelect]:
        def apply(stmt: AnySelect) -> AnySelect:
            stmt = scope.where(stmt, m.Device.client_id)
            for column, value in (
                (m.Device.client_id, self.client_id),
                (m.Device.site_id, self.site_id),
                (m.Device.id, self.device_id),
                (m.Device.system, self.system),
                (m.Device.kind, self.kind),
            ):
                if value is not None:
                    stmt = stmt.where(column == value)
            if self.q:
                pattern = "%" + self.q.lower().replace("\\", "\\\\").replace("%", "\\%")
                pattern = pattern.replace("_", "\\_") + "%"
                stmt = stmt.where(
                    or_(
                        m.Device.key.ilike(pattern, escape="\\"),
                        m.Device.name.ilike(pattern, escape="\\"),
                    )
                )
            return stmt

        return apply


def visible_views(
    scope: Scope, now: float, filters: DeviceFilter | None = None
) -> list[DeviceView]:
    """Active devices the caller may see, with their checks, problems first."""
    f = filters or DeviceFilter()
    return device_views(scope.session, now=now, narrow=f.narrow(scope))


@dataclass
class Rows:
    """Device and check rows for the views on one page (ids the caller may already see)."""

    devices: dict[int, m.Device] = field(default_factory=dict)
    checks: dict[int, m.Check] = field(default_factory=dict)

    @classmethod
    def load(cls, scope: Scope, device_ids: Iterable[int], check_ids: Iterable[int] = ()) -> Rows:
        rows = cls()
        ids = sorted(set(device_ids))
        if ids:
            stmt = scope.where(select(m.Device).where(m.Device.id.in_(ids)), m.Device.client_id)
            rows.devices = {d.id: d for d in scope.session.scalars(stmt)}
        cids = sorted(set(check_ids))
        if cids:
            stmt2 = scope.where(select(m.Check).where(m.Check.id.in_(cids)), m.Check.client_id)
            rows.checks = {c.id: c for c in scope.session.scalars(stmt2)}
        return rows

    @classmethod
    def for_views(cls, scope: Scope, views: Iterable[DeviceView]) -> Rows:
        views = list(views)
        return cls.load(scope, (v.id for v in views), (c.id for v in views for c in v.checks))


def target(device: m.Device, check: m.Check) -> str:
    return f"{device.address}:{check.port}" if check.port else device.address


def check_public(view: DeviceView, check: CheckView, rows: Rows) -> CheckPublic:
    device = rows.devices[view.id]
    row = rows.checks[check.id]
    return CheckPublic(
        id=check.id,
        client_id=device.client_id,
        device_id=device.id,
        device=device.key,
        name=check.name,
        type=check.type,
        target=target(device, row),
        interval=row.interval,
        status=CheckStatus(check.status),
        hard_status=CheckStatus(check.hard_status),
        state_type=StateType(check.state_type),
        attempt=check.attempt,
        max_attempts=check.max_attempts,
        flapping=check.flapping,
        stale=check.stale,
        since=check.since,
        last_result_at=check.last_result_at,
        latency_ms=check.latency_ms,
        reason=check.reason,
        values=check.values,
    )


def device_public(view: DeviceView, rows: Rows) -> DevicePublic:
    d = rows.devices[view.id]
    return DevicePublic(
        id=d.id,
        client_id=d.client_id,
        client=view.client,
        site_id=d.site_id,
        site=view.site,
        key=d.key,
        name=d.name,
        kind=d.kind,
        system=d.system,
        address=d.address,
        vendor=d.vendor,
        model=d.model,
        serial=d.serial,
        firmware=d.firmware,
        installed=d.installed,
        warranty_end=d.warranty_end,
        criticality=d.criticality,
        tags=list(d.tags or []),
        depends_on=list(d.depends_on or []),
        has_credentials=bool(d.credentials_ref),
        status=DeviceStatus(view.status),
        since=view.since,
        reason=view.reason,
        problem=view.is_problem,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def problem_device(view: DeviceView, rows: Rows) -> ProblemDevice:
    d = rows.devices[view.id]
    return ProblemDevice(
        id=d.id,
        client_id=d.client_id,
        client=view.client,
        site=view.site,
        key=d.key,
        name=d.name,
        kind=d.kind,
        system=d.system,
        criticality=d.criticality,
        status=DeviceStatus(view.status),
        since=view.since,
        reason=view.reason,
        failing_checks=[check_public(view, c, rows) for c in failing_checks(view)],
    )


def device_ref(view: DeviceView) -> DeviceRef:
    return DeviceRef(id=view.id, key=view.key, name=view.name, status=DeviceStatus(view.status))


def by_status(views: Iterable[DeviceView]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in views:
        out[v.status] = out.get(v.status, 0) + 1
    return out
