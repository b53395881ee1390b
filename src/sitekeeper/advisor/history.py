"""A client's support history from the store: imported tickets and the incidents sitekeeper
recorded, as one list of events the advisor reads (calibration and the switch signals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.advisor.tickets_csv import TicketRow
from sitekeeper.db import models as m
from sitekeeper.plan.from_inventory import CRITICALITY_SHARE


@dataclass(frozen=True)
class HistoryEvent:
    """One ticket or incident: when it started and ended, on what device, how much it hit."""

    opened_at: float  # unix seconds
    restored_at: float | None
    device: str | None  # the device's key, when the event is tied to one
    root_cause: str | None
    impact: float | None  # share of the business affected (None: not known)
    source: Literal["ticket", "incident"]
    ref: str


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    unknown_devices: tuple[str, ...]  # device ids in the file that the inventory lacks


def import_tickets(
    session: Session, client_id: int, rows: Sequence[TicketRow], known_devices: set[str], now: float
) -> ImportReport:
    """Insert the rows, or update those whose `ref` is already there (re-import is safe).
    The caller commits."""
    existing = {
        t.ref: t
        for t in session.scalars(
            select(m.TicketHistory).where(m.TicketHistory.client_id == client_id)
        )
    }
    added = updated = 0
    for row in rows:
        values = {
            "opened_at": row.opened_at,
            "restored_at": row.restored_at,
            "device_key": row.device,
            "root_cause": row.root_cause,
            "impact": row.impact,
            "labour_h": row.labour_h,
            "billed": row.billed,
            "after_hours": row.after_hours,
            "summary": row.summary,
        }
        old = existing.get(row.ref)
        if old is None:
            session.add(
                m.TicketHistory(client_id=client_id, ref=row.ref, imported_at=now, **values)
            )
            added += 1
        elif any(getattr(old, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(old, k, v)
            old.imported_at = now
            updated += 1
    unknown = sorted({r.device for r in rows if r.device and r.device not in known_devices})
    return ImportReport(added, updated, tuple(unknown))


def load_history(session: Session, client_id: int, since: float) -> list[HistoryEvent]:
    """Tickets and incidents of the client that started at or after `since`, oldest first.

    An incident's impact is the share of the business its root device and everything cut off
    behind it carry (criticality read as in the advisor, capped at 1)."""
    events = [
        HistoryEvent(
            t.opened_at, t.restored_at, t.device_key, t.root_cause, t.impact, "ticket", t.ref
        )
        for t in session.scalars(
            select(m.TicketHistory).where(
                m.TicketHistory.client_id == client_id, m.TicketHistory.opened_at >= since
            )
        )
    ]
    devices = {
        d.id: (d.key, d.criticality)
        for d in session.scalars(select(m.Device).where(m.Device.client_id == client_id))
    }
    for inc in session.scalars(
        select(m.Incident).where(m.Incident.client_id == client_id, m.Incident.opened_at >= since)
    ):
        root = devices.get(inc.root_device_id)
        if root is None:
            continue
        hit = [root[1]] + [devices[i][1] for i in inc.members if i in devices]
        impact = min(1.0, sum(CRITICALITY_SHARE.get(c, 0.1) for c in hit))
        events.append(
            HistoryEvent(
                inc.opened_at,
                inc.resolved_at,
                root[0],
                None,
                impact,
                "incident",
                f"incident {inc.id}",
            )
        )
    events.sort(key=lambda e: (e.opened_at, e.ref))
    return events
