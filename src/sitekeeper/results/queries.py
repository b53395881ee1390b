"""Read models for people: the current status of devices and checks, problems first."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
        return self.status != DeviceStatus.UP.value or any(map(is_failing, self.checks))

    @property
    def failing(self) -> list[CheckView]:
        """The checks a list of problems shows."""
        return failing_checks(self)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["checks"] = [c.as_dict() for c in self.checks]
        d["problem"] = self.is_problem
        return d


def is_failing(c: CheckView) -> bool:
    """A check a list of problems shows: failing (also while still soft), flapping or stale."""
    return state_failing(c.status, c.hard_status, c.flapping, c.stale)


def state_failing(status: str, hard_status: str, flapping: bool, stale: bool) -> bool:
    """`is_failing` of a check's state as read, before any view is built of it."""
    return status != OK or hard_status != OK or flapping or stale


OK = CheckStatus.OK.value


def failing_checks(view: DeviceView) -> list[CheckView]:
    return [c for c in view.checks if is_failing(c)]


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
    conditions on `m.Device` (the API passes the caller's scope and its filters).

    A client's or a site's page reads every device of it through here, so only the columns
    the views show are selected (no ORM objects, no inventory entry or baseline to decode),
    and the checks are found with the devices' own conditions rather than a list of their
    ids. (The overview reads only its listed problems, through `results.problems`.)"""
    d, ds, de = m.Device, m.DeviceState, m.DeviceEffective

    def devices(stmt: AnySelect) -> AnySelect:
        stmt = (
            stmt.select_from(d)
            .join(m.Client, d.client_id == m.Client.id)
            .join(m.Site, d.site_id == m.Site.id)
            .where(d.retired_at.is_(None))
        )
        if client:
            stmt = stmt.where(m.Client.key == client)
        if device:
            stmt = stmt.where(d.key == device)
        return narrow(stmt) if narrow is not None else stmt

    stmt = devices(
        select(
            d.id,
            m.Client.key,
            m.Site.key,
            d.key,
            d.name,
            d.kind,
            d.system,
            d.address,
            d.criticality,
            d.depends_on,
            ds.status,
            ds.since,
            ds.reason,
            de.status,
            de.raw_status,
            de.reason,
            de.updated_at,
        )
    )
    stmt = stmt.outerjoin(ds, ds.device_id == d.id).outerjoin(de, de.device_id == d.id)
    rows = session.execute(stmt).all()
    checks: dict[int, list[CheckView]] = {row[0]: [] for row in rows}
    if rows:
        ch, cs = m.Check, m.CheckState
        cstmt = (
            select(
                ch.id,
                ch.device_id,
                ch.name,
                ch.type,
                ch.spec,
                *STATE_COLUMNS,
                cs.values,
            )
            .outerjoin(cs, cs.check_id == ch.id)
            .where(ch.device_id.in_(devices(select(d.id))), ch.retired_at.is_(None))
            .order_by(ch.device_id, ch.id)
        )
        limits: dict[tuple[Any, Any, Any], float] = {}  # stale_after, per distinct spec
        for crow in session.execute(cstmt):
            spec = crow.spec
            view = _check_view(crow, spec)
            last = view.last_result_at
            if now is not None and last is not None:
                key = (spec.get("type"), spec.get("interval"), spec.get("timeout"))
                limit = limits.get(key)
                if limit is None:
                    limit = limits[key] = stale_after(spec)
                if now - last > limit:
                    view = replace(view, stale=True)
            if crow.device_id in checks:
                checks[crow.device_id].append(view)
    views = [
        DeviceView(
            id=row[0],
            client=row[1],
            site=row[2],
            key=row[3],
            name=row[4],
            kind=row[5],
            system=row[6],
            address=row[7],
            criticality=row[8],
            depends_on=list(row[9]),
            **status_of(row[10:13], row[13:17]),
            checks=sorted(checks[row[0]], key=lambda c: -CHECK_SEVERITY[CheckStatus(c.status)]),
        )
        for row in rows
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


def status_of(state: Sequence[Any], eff: Sequence[Any]) -> dict[str, Any]:
    """The status people see: correlation's verdict (UNREACHABLE behind a failed parent,
    ASLEEP, ...) where it differs from what the device's own checks say.

    `state` is the device state's (status, since, reason), all None without one; `eff` the
    effective row's (status, raw_status, reason, updated_at), likewise."""
    status, since, reason = state
    eff_status, eff_raw, eff_reason, eff_updated = eff
    if status is None:
        return {"status": DeviceStatus.UNKNOWN.value, "since": None, "reason": "no results yet"}
    if eff_status is not None and eff_status != status and eff_raw == status:
        return {"status": eff_status, "since": eff_updated, "reason": eff_reason or reason}
    return {"status": status, "since": since, "reason": reason}


def _mark_stale(view: DeviceView, now: float) -> DeviceView:
    if not view.checks or not all(c.stale for c in view.checks):
        return view
    last = max(c.last_result_at or 0.0 for c in view.checks)
    return replace(
        view, status=DeviceStatus.UNKNOWN.value, reason=all_stale(now, last, view.status)
    )


def all_stale(now: float, last: float, status: str) -> str:
    """The reason a device whose every check is stale is shown UNKNOWN."""
    minutes = max(1, round((now - last) / 60))
    return f"no results for {minutes} min (last: {status}); is `sitekeeper up` running?"


# a check state's columns as the views read them (all None for a check without a state)
STATE_COLUMNS = (
    m.CheckState.check_id,
    m.CheckState.status,
    m.CheckState.hard_status,
    m.CheckState.state_type,
    m.CheckState.attempt,
    m.CheckState.flapping,
    m.CheckState.since,
    m.CheckState.last_result_at,
    m.CheckState.latency_ms,
    m.CheckState.reason,
    m.CheckState.error,
)


def no_results_yet(id_: int, name: str, type_: str, max_attempts: int) -> CheckView:
    """The view of a check without a state: nothing has come in for it yet."""
    return CheckView(
        id=id_,
        name=name,
        type=type_,
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


def _check_view(row: Any, spec: dict[str, Any]) -> CheckView:
    """A check's view from a row of the checks query (its state's columns None without one)."""
    max_attempts = int(spec.get("max_attempts", 3))
    if row.check_id is None:
        return no_results_yet(row.id, row.name, row.type, max_attempts)
    return CheckView(
        id=row.id,
        name=row.name,
        type=row.type,
        status=row.status,
        hard_status=row.hard_status,
        state_type=row.state_type,
        attempt=row.attempt,
        max_attempts=max_attempts,
        flapping=row.flapping,
        since=row.since,
        last_result_at=row.last_result_at,
        latency_ms=row.latency_ms,
        reason=row.error or row.reason,
        values=dict(row.values or {}),
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
