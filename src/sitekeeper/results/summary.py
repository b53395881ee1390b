"""The overview's device summary: one narrow row per active device with its shown status and
problem flag (`results.shown`), so that the overview of an MSP with tens of thousands of
devices counts a small table instead of joining every device, check and state per request.

Who keeps it:

- the correlation tick rewrites the rows of the devices it touched (those with a status
  change of a check or the device, and those whose correlated status changed), right after
  it has written them, in the same transaction: a failure reaches the overview in the tick
  that correlates it;
- a sweep rewrites every row that differs from the state tables, every `SWEEP_EVERY_S`. It
  catches what no status change announces: a check that goes stale (no result for its
  stale_after) or comes back, a flapping verdict, a new or retired device.

Only rows that differ are written. The sweep notes its time and the inventory version it saw
(meta `summary_swept`); the overview trusts the summary only when the last sweep is recent
(`MAX_AGE_S`) and of the current inventory, and otherwise computes the same rows from the
state tables (the statement in `results.shown`), as it does in a process that keeps no
summary.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Double, case, cast, delete, null, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.inventory.apply import INVENTORY_VERSION
from sitekeeper.results.queries import AnySelect
from sitekeeper.results.shown import Narrow, device_rows

SWEPT = "summary_swept"  # meta: "<time of the sweep> <inventory version it saw>"
SWEEP_EVERY_S = 15.0
MAX_AGE_S = 4 * SWEEP_EVERY_S  # older than that: no sweeper runs; compute instead

Row = tuple[int, str, int, str, str, bool]  # client, system, criticality, key, status, problem


def refresh(session: Session, now: float, device_ids: Collection[int] | None = None) -> int:
    """Rewrite the summary rows of `device_ids` (all devices when None: a sweep, which also
    drops the rows of retired devices and notes itself) that differ from the state tables as
    of `now`. Returns how many rows were written or dropped."""
    if device_ids is not None and not device_ids:
        return 0
    postgresql = session.get_bind().dialect.name == "postgresql"
    version = _inventory_version(session)
    wanted: dict[int, Row] = {
        r.id: (r.client_id, r.system, r.criticality, r.key, r.status, bool(r.problem))
        for r in session.execute(
            device_rows(now, _everyone, postgresql=postgresql, device_ids=device_ids)
        )
    }
    s = m.DeviceSummary
    stored_q = select(s.device_id, s.client_id, s.system, s.criticality, s.key, s.status, s.problem)
    if device_ids is not None:
        stored_q = stored_q.where(s.device_id.in_(sorted(device_ids)))
    stored: dict[int, Row] = {
        r[0]: (r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in session.execute(stored_q)
    }
    changed = [
        {
            "device_id": i,
            "client_id": row[0],
            "system": row[1],
            "criticality": row[2],
            "key": row[3],
            "status": row[4],
            "problem": row[5],
        }
        for i, row in sorted(wanted.items())
        if stored.get(i) != row
    ]
    gone = sorted(stored.keys() - wanted.keys())
    conn = session.connection()
    upsert(conn, s, changed, ["device_id"])
    if gone:
        conn.execute(delete(s).where(s.device_id.in_(gone)))
    if device_ids is None:
        upsert(conn, m.Meta, [{"key": SWEPT, "value": f"{now!r} {version}"}], ["key"])
    return len(changed) + len(gone)


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
    """The summary in `device_rows`' columns (the newest result left empty: the summary does
    not keep it), narrowed like it."""
    s = m.DeviceSummary
    return narrow(
        select(
            s.device_id.label("id"),
            s.client_id.label("client_id"),
            s.system.label("system"),
            s.criticality.label("criticality"),
            s.key.label("key"),
            s.status.label("status"),
            case((s.problem, 1), else_=0).label("problem"),
            cast(null(), Double).label("last"),
        ),
        s.client_id,
    )


def _inventory_version(session: Session) -> int:
    row = session.get(m.Meta, INVENTORY_VERSION)
    return int(row.value) if row else 0


def _everyone(stmt: AnySelect, client_col: Any) -> AnySelect:
    return stmt
