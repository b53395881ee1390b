"""The overview's list of problem devices, read for just the devices it lists: each with its
shown status and only its failing checks, and the names and ids of its client and site for
links. The same statuses and checks as `queries.device_views` gives, in two narrow
statements: a check's staleness is the SQL of `results.shown` (as the summary judged it), and
its max_attempts is read from the spec in SQL, so no check's JSON spec is decoded and no view
is built for a check that is OK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Double, Integer, and_, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.results.overview import SEVERITY
from sitekeeper.results.queries import (
    STATE_COLUMNS,
    AnySelect,
    CheckView,
    all_stale,
    no_results_yet,
    state_failing,
    status_of,
)
from sitekeeper.results.shown import stale_flag
from sitekeeper.state.model import CHECK_SEVERITY, DeviceStatus

DEFAULT_MAX_ATTEMPTS = 3  # as queries.device_views reads a spec without one


@dataclass(frozen=True, slots=True)
class ListedProblem:
    """A problem device as a list shows it: where it is, its status and its failing checks."""

    id: int
    client: str
    site: str
    key: str
    name: str
    criticality: int
    status: str
    since: float | None
    reason: str | None
    failing: list[CheckView]
    client_id: int
    client_name: str
    site_id: int
    site_name: str


def listed_problems(
    session: Session, now: float, ids: Sequence[int], narrow: Callable[[AnySelect], AnySelect]
) -> list[ListedProblem]:
    """The devices of `ids` that are still problems and not UNREACHABLE (one may have
    recovered since the ids were picked), in device_views' order. `narrow` adds the caller's
    scope to a statement on `m.Device`."""
    if not ids:
        return []
    conn = session.connection()  # Core rows: these are plain columns, no ORM entities
    postgresql = conn.dialect.name == "postgresql"
    rows = conn.execute(narrow(_devices(postgresql)), {"ids": sorted(set(ids))}).all()
    if not rows:
        return []
    found = {"now": now, "ids": [row[0] for row in rows]}
    checks = _checks(conn.execute(_checks_of(postgresql), found))
    listed = []
    for row in rows:
        shown = status_of(row[6:9], row[9:13])
        failing, every_stale, newest = checks.get(row[0], ([], False, 0.0))
        if every_stale:  # as queries._mark_stale: its last status is no longer news
            shown = {
                "status": DeviceStatus.UNKNOWN.value,
                "since": shown["since"],
                "reason": all_stale(now, newest, shown["status"]),
            }
        status = shown["status"]
        if (status == UP and not failing) or status == UNREACHABLE:
            continue
        listed.append(
            ListedProblem(
                id=row[0],
                client=row[1],
                site=row[2],
                key=row[3],
                name=row[4],
                criticality=row[5],
                failing=failing,
                client_id=row[13],
                client_name=row[14],
                site_id=row[15],
                site_name=row[16],
                **shown,
            )
        )
    listed.sort(key=lambda p: (-SEVERITY.get(p.status, 0), -p.criticality, p.client, p.key))
    return listed


UP, UNREACHABLE = DeviceStatus.UP.value, DeviceStatus.UNREACHABLE.value
CHECK_ORDER = {s.value: -n for s, n in CHECK_SEVERITY.items()}


def _among_ids(column: Any, postgresql: bool) -> ColumnElement[bool]:
    """`column` is one of the bound list `ids`: on PostgreSQL one array parameter (`= ANY`),
    which it plans in a fraction of the time of a list of 200 parameters; elsewhere IN."""
    among: ColumnElement[bool] = (
        column == any_(bindparam("ids", type_=ARRAY(Integer)))
        if postgresql
        else column.in_(bindparam("ids", expanding=True))
    )
    return among


@cache
def _devices(postgresql: bool) -> AnySelect:
    """The listed devices (`ids`) with their states and their client's and site's names;
    built once, as its parameters are bound at execution."""
    d, ds, de, c, s = m.Device, m.DeviceState, m.DeviceEffective, m.Client, m.Site
    return (
        select(
            d.id,
            c.key,
            s.key,
            d.key,
            d.name,
            d.criticality,
            ds.status,
            ds.since,
            ds.reason,
            de.status,
            de.raw_status,
            de.reason,
            de.updated_at,
            c.id,
            c.name,
            s.id,
            s.name,
        )
        .select_from(d)
        .join(c, c.id == d.client_id)
        .join(s, s.id == d.site_id)
        # each state table narrowed to the ids too: PostgreSQL then reads 200 rows of each
        # by its key, where it would otherwise hash-join every device's state row
        .outerjoin(ds, and_(ds.device_id == d.id, _among_ids(ds.device_id, postgresql)))
        .outerjoin(de, and_(de.device_id == d.id, _among_ids(de.device_id, postgresql)))
        .where(_among_ids(d.id, postgresql), d.retired_at.is_(None))
    )


@cache
def _checks_of(postgresql: bool) -> AnySelect:
    """The active checks of devices `ids` with their states, whether each is stale at `now`
    (as the summary judges it) and its max_attempts from the spec; built once."""
    ch, cs = m.Check, m.CheckState
    return (
        select(
            ch.device_id,
            ch.id,
            ch.name,
            ch.type,
            *STATE_COLUMNS,
            stale_flag(bindparam("now", type_=Double)),
            func.coalesce(ch.spec["max_attempts"].as_integer(), DEFAULT_MAX_ATTEMPTS),
        )
        .outerjoin(cs, cs.check_id == ch.id)
        .where(_among_ids(ch.device_id, postgresql), ch.retired_at.is_(None))
        .order_by(ch.device_id, ch.id)
    )


def _checks(rows: Iterable[Any]) -> dict[int, tuple[list[CheckView], bool, float]]:
    """Per device: its failing checks (most severe first), whether every check is stale,
    and its newest result. Views are built only for the failing checks."""
    out: dict[int, tuple[list[CheckView], bool, float]] = {}
    for (
        device_id,
        id_,
        name,
        type_,
        state_id,
        status,
        hard,
        state_type,
        attempt,
        flapping,
        since,
        last,
        latency,
        reason,
        error,
        stale,
        max_attempts,
    ) in rows:
        failing, every_stale, newest = out.get(device_id, ([], True, 0.0))
        if state_id is None:
            failing.append(no_results_yet(id_, name, type_, max_attempts))
        elif state_failing(status, hard, flapping, bool(stale)):
            failing.append(
                CheckView(
                    id=id_,
                    name=name,
                    type=type_,
                    status=status,
                    hard_status=hard,
                    state_type=state_type,
                    attempt=attempt,
                    max_attempts=max_attempts,
                    flapping=flapping,
                    since=since,
                    last_result_at=last,
                    latency_ms=latency,
                    reason=error or reason,
                    values={},
                    stale=bool(stale),
                )
            )
        out[device_id] = (
            failing,
            every_stale and state_id is not None and bool(stale),
            max(newest, last or 0.0),
        )
    for failing, _, _ in out.values():
        failing.sort(key=lambda v: CHECK_ORDER[v.status])
    return out
