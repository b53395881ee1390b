"""The overview's device summary: one narrow row per active device with its shown status and
problem flag (`results.shown`), so that the overview of an MSP with tens of thousands of
devices counts a small table instead of joining every device, check and state per request.

Who keeps it:

- the correlation tick rewrites the rows of the devices it touched (those with a status
  change of a check or the device, and those whose correlated status changed), right after
  it has written them: a failure reaches the overview in the tick that correlates it (more
  than `MAX_LISTED` devices at once, the first tick's "everyone" among them, are a sweep);
- a sweep rewrites every row that differs from the state tables, every `SWEEP_EVERY_S`. It
  catches what no status change announces: a check that goes stale (no result for its
  stale_after) or comes back, a flapping verdict, a new or retired device.

Only rows that differ are written. The sweep notes its time and the inventory version it saw
(meta `summary_swept`); the overview trusts the summary only when the last sweep is recent
(`MAX_AGE_S`) and of the current inventory, and otherwise computes the same rows from the
state tables (the statement in `results.shown`), as it does in a process that keeps no
summary.

Several server processes on one PostgreSQL each sweep. A sweep computes its rows from the
state as its statement began, so it may put back, for one device, what another process's
tick rewrote a moment before; the next sweep (or tick) corrects it, within SWEEP_EVERY_S.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, case, delete, func, or_, select, text, true
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert, upsert_from
from sitekeeper.inventory.apply import INVENTORY_VERSION, inventory_version
from sitekeeper.results.queries import AnySelect
from sitekeeper.results.shown import Narrow, device_rows

SWEPT = "summary_swept"  # meta: "<time of the sweep> <inventory version it saw>"
SWEEP_EVERY_S = 15.0
MAX_AGE_S = 3 * SWEEP_EVERY_S  # older than that: no sweeper runs; compute instead
MAX_LISTED = 1_000  # device ids in one refresh; more are a sweep (no statement of 2,000 binds)
ANALYZE_AFTER_ROWS = 1_000  # a sweep writing this many rows has the summary analyzed again

COLUMNS = ("device_id", "client_id", "system", "criticality", "key", "status", "problem")


def refresh(session: Session, now: float, device_ids: Collection[int] | None = None) -> int:
    """Rewrite the summary rows of `device_ids` (all devices when None: a sweep, which also
    notes itself) that differ from the state tables as of `now`, and drop those of retired
    devices; then count the clients concerned again (a sweep: all of them). Returns how many
    summary rows were written or dropped.

    One INSERT ... SELECT ... ON CONFLICT DO UPDATE of the rows that differ, in the database:
    a sweep of tens of thousands of devices builds no Python objects (and on SQLite holds no
    interpreter lock while it runs, so pages are served meanwhile)."""
    if device_ids is not None and not device_ids:
        return 0
    if device_ids is not None and len(device_ids) > MAX_LISTED:
        device_ids = None  # the whole summary costs about what so long a list would
    dialect = session.get_bind().dialect.name
    version = inventory_version(session)
    s = m.DeviceSummary
    w = device_rows(
        now, _everyone, postgresql=dialect == "postgresql", device_ids=device_ids
    ).subquery("wanted")
    problem = w.c.problem == 1
    differs = (
        select(w.c.id, w.c.client_id, w.c.system, w.c.criticality, w.c.key, w.c.status, problem)
        .select_from(w.outerjoin(s, s.device_id == w.c.id))
        .where(
            or_(
                s.device_id.is_(None),
                s.client_id != w.c.client_id,
                s.system != w.c.system,
                s.criticality != w.c.criticality,
                s.key != w.c.key,
                s.status != w.c.status,
                s.problem != problem,
            )
        )
        .order_by(w.c.id)  # one lock order for every writer
    )
    stmt = upsert_from(dialect, s, COLUMNS, ["device_id"], differs)
    conn = session.connection()
    # counted through RETURNING: sqlite3 gives no rowcount for a statement opening with WITH
    clients = [row[0] for row in conn.execute(stmt.returning(s.client_id))]
    active = select(m.Device.id).where(m.Device.retired_at.is_(None))
    gone = delete(s).where(s.device_id.not_in(active))
    if device_ids is not None:
        gone = gone.where(s.device_id.in_(sorted(device_ids)))
    clients += [row[0] for row in conn.execute(gone.returning(s.client_id))]
    if device_ids is None:
        _recount(conn, dialect, None)  # every client: a sweep also mends any drift
        upsert(conn, m.Meta, [{"key": SWEPT, "value": f"{now!r} {version}"}], ["key"])
        if dialect == "postgresql" and len(clients) >= ANALYZE_AFTER_ROWS:
            # a sweep that wrote many rows (the first, filling the summary): PostgreSQL's
            # planner would otherwise plan the overview on the old figures until autovacuum
            # comes by, and scan every row for the few problem devices
            conn.execute(text("ANALYZE device_summary, summary_counts"))
    elif clients:
        _recount(conn, dialect, sorted(set(clients)))
    return len(clients)


COUNTED = ("client_id", "system", "status", "devices", "problems")


def _recount(conn: Connection, dialect: str, clients: list[int] | None) -> None:
    """Count the summary again into `summary_counts`, for these clients or all of them:
    the groups that changed are written, those with no device left are dropped."""
    s, c = m.DeviceSummary, m.SummaryCount
    groups = (
        select(
            s.client_id,
            s.system,
            s.status,
            func.count(),
            func.sum(case((s.problem, 1), else_=0)),
        )
        .where(true())  # SQLite: INSERT ... SELECT ... ON CONFLICT needs a WHERE to parse
        .group_by(s.client_id, s.system, s.status)
        .order_by(s.client_id, s.system, s.status)  # one lock order for every writer
    )
    left = delete(c).where(
        ~select(s.device_id)
        .where(s.client_id == c.client_id, s.system == c.system, s.status == c.status)
        .exists()
    )
    if clients is not None:
        groups, left = groups.where(s.client_id.in_(clients)), left.where(c.client_id.in_(clients))
    conn.execute(upsert_from(dialect, c, COUNTED, COUNTED[:3], groups, changed_only=True))
    conn.execute(left)


def usable(session: Session, now: float) -> bool:
    """Whether the summary is kept: swept within MAX_AGE_S, of the current inventory."""
    keys = [SWEPT, INVENTORY_VERSION]
    found = session.execute(select(m.Meta.key, m.Meta.value).where(m.Meta.key.in_(keys)))
    meta: dict[str, str] = dict(found.all())
    swept = meta.get(SWEPT)
    if swept is None:
        return False
    at, _, version = swept.partition(" ")
    try:
        fresh = now - MAX_AGE_S <= float(at) <= now + MAX_AGE_S
        return fresh and int(version) == int(meta.get(INVENTORY_VERSION, "0"))
    except ValueError:
        return False


def summary_rows(narrow: Narrow) -> AnySelect:
    """The summary in `device_rows`' columns but the newest result, which it does not keep,
    narrowed like it; `problem` is the stored flag (a boolean), so that a test of it can use
    the index of the problem devices."""
    s = m.DeviceSummary
    return narrow(
        select(
            s.device_id.label("id"),
            s.client_id.label("client_id"),
            s.system.label("system"),
            s.criticality.label("criticality"),
            s.key.label("key"),
            s.status.label("status"),
            s.problem.label("problem"),
        ),
        s.client_id,
    )


def _everyone(stmt: AnySelect, client_col: Any) -> AnySelect:
    return stmt
