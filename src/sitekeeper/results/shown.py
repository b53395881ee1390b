"""A device's shown status and "is a problem" flag as SQL over the state tables, the same
as `queries.device_views` gives them:

- the shown status is the device state's, replaced by correlation's verdict (device_effective)
  where that differs and was judged on the same raw status, UNKNOWN without a state, and
  UNKNOWN when every check of the device is stale;
- a device is a problem when that status is not UP, or any active check is not OK (soft or
  hard), flapping, stale or without a result yet.

A check is stale when it has no result for longer than `stale_after(spec)`: 2 intervals, its
timeout and 30 s. The interval is a column; the timeout lives only in the JSON spec, as a
duration string ("10s", "500ms", "1m"; as `format_duration` writes it) or a number. Since a
spec's timeout is more than zero and at most its interval, a check is surely fresh within
2 intervals + 30 s and surely stale after 3 intervals + 30 s; only for the checks in between
(a collector late or stopped in the last interval) does the query read the JSON and parse the
duration.

The overview reads these rows through `results.summary` (kept in a narrow table) or, when
that is not kept up to date, straight from this statement.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import ColumnElement, Float, String, and_, case, cast, func, literal, or_, select

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.db import models as m
from sitekeeper.results.queries import AnySelect
from sitekeeper.state.model import DeviceStatus

Narrow = Callable[[AnySelect, Any], AnySelect]  # (statement, its client_id column) -> statement
DEFAULT_TIMEOUT_S = 10.0  # as stale_after reads a spec without one
SLACK_S = 30.0


def stale_flag(now: float | ColumnElement[Any]) -> ColumnElement[Any]:
    """1 where the check's last result is too old at `now` (a time, or a bound parameter),
    else 0 (SQL)."""
    ch, cs = m.Check, m.CheckState
    age = (now if isinstance(now, ColumnElement) else literal(now)) - cs.last_result_at
    fresh_until = 2 * ch.interval + SLACK_S
    return case(
        (or_(cs.last_result_at.is_(None), ch.type.in_(sorted(PASSIVE_TYPES))), 0),
        (age <= fresh_until, 0),
        (age > 3 * ch.interval + SLACK_S, 1),
        (age > fresh_until + _seconds(ch.spec["timeout"].as_string()), 1),
        else_=0,
    )


def _seconds(raw: ColumnElement[Any]) -> ColumnElement[Any]:
    """A stored duration in seconds, as parse_duration reads it (SQL): a number, or digits
    with a unit; none at all is the default timeout."""
    text = func.trim(cast(raw, String))
    n = func.length(text)

    def number(chars: int) -> ColumnElement[Any]:
        return cast(func.substr(text, 1, n - chars), Float)

    return case(
        (raw.is_(None), DEFAULT_TIMEOUT_S),
        (text.like("%ms"), number(2) / 1000.0),
        (text.like("%s"), number(1)),
        (text.like("%m"), number(1) * 60.0),
        (text.like("%h"), number(1) * 3600.0),
        (text.like("%d"), number(1) * 86400.0),
        else_=cast(text, Float),
    )


def device_rows(
    now: float, narrow: Narrow, *, postgresql: bool, device_ids: Collection[int] | None = None
) -> AnySelect:
    """One row per active device (of `device_ids`, when given): id, client, system,
    criticality, key, shown status, problem (0/1) and its newest result."""
    d, ds, de, ch, cs = m.Device, m.DeviceState, m.DeviceEffective, m.Check, m.CheckState
    ids = None if device_ids is None else sorted(device_ids)

    def only(stmt: AnySelect, device_col: Any) -> AnySelect:
        return stmt if ids is None else stmt.where(device_col.in_(ids))

    stale = stale_flag(now)
    failing = or_(
        cs.check_id.is_(None),
        cs.status != "OK",
        cs.hard_status != "OK",
        cs.flapping.is_(True),
        stale == 1,
    )
    # each check reduced to four narrow values first, so that grouping them never carries
    # the spec's JSON along (PostgreSQL would otherwise sort the wide rows, on disk)
    per_check: Any = narrow(
        select(
            ch.device_id.label("device_id"),
            stale.label("stale"),
            case((failing, 1), else_=0).label("bad"),
            cs.last_result_at.label("last"),
        )
        .select_from(ch)
        .outerjoin(cs, cs.check_id == ch.id)
        .where(ch.retired_at.is_(None)),
        ch.client_id,
    )
    per_check = only(per_check, ch.device_id).cte("per_check")
    if postgresql:
        per_check = per_check.prefix_with("MATERIALIZED")
    checks = (
        select(
            per_check.c.device_id,
            func.count().label("n"),
            func.sum(per_check.c.stale).label("stale"),
            func.max(per_check.c.bad).label("bad"),
            func.max(per_check.c.last).label("last"),
        ).group_by(per_check.c.device_id)
    ).subquery("device_checks")
    judged = case(
        (ds.status.is_(None), DeviceStatus.UNKNOWN.value),
        (
            and_(de.status.is_not(None), de.status != ds.status, de.raw_status == ds.status),
            de.status,
        ),
        else_=ds.status,
    )
    status = case(
        (and_(checks.c.n > 0, checks.c.stale == checks.c.n), DeviceStatus.UNKNOWN.value),
        else_=judged,
    )
    problem = case(
        (status != DeviceStatus.UP.value, 1),
        (func.coalesce(checks.c.bad, 0) == 1, 1),
        else_=0,
    )
    rows = narrow(
        select(
            d.id.label("id"),
            d.client_id.label("client_id"),
            d.system.label("system"),
            d.criticality.label("criticality"),
            d.key.label("key"),
            status.label("status"),
            problem.label("problem"),
            checks.c.last.label("last"),
        )
        .select_from(d)
        .outerjoin(ds, ds.device_id == d.id)
        .outerjoin(de, de.device_id == d.id)
        .outerjoin(checks, checks.c.device_id == d.id)
        .where(d.retired_at.is_(None)),
        d.client_id,
    )
    return only(rows, d.id)
