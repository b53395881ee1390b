"""The portfolio view: which clients show the signs of outgrowing break-fix.

Only the switch signals (spec §4) — no simulation — for every client in scope, break-fix
clients first, so an integrator sees at a glance whom to call about a managed plan.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.advisor.evidence import CALIBRATION_MONTHS, DAY_S, MONTH_D, evidence
from sitekeeper.advisor.history import load_history
from sitekeeper.advisor.report import load_client
from sitekeeper.advisor.settings import observed_from, schedule, tolerance_hours
from sitekeeper.db import models as m
from sitekeeper.plan.from_inventory import estate_from_inventory

ORDER = {"outgrown break-fix": 0, "watch": 1, "break-fix still fits": 2}


@dataclass(frozen=True)
class ClientSigns:
    client_id: int
    client: str
    name: str
    plan: str
    devices: int
    events: int  # tickets and incidents in the last 36 months
    verdict: str
    red: tuple[str, ...]
    amber: tuple[str, ...]


def portfolio(
    session: Session,
    client_ids: Sequence[int] | None = None,
    plans: Sequence[str] = ("break-fix", "hybrid"),
    now: float | None = None,
) -> list[ClientSigns]:
    """The signs for each client whose plan is in `plans` (all plans when empty), worst
    first: outgrown, then watch, then those break-fix still fits."""
    now = time.time() if now is None else now
    query = select(m.Client).order_by(m.Client.key)
    if client_ids is not None:
        query = query.where(m.Client.id.in_(client_ids))
    out: list[ClientSigns] = []
    for row in session.scalars(query).all():
        service = dict(row.service or {})
        plan = str(service.get("plan") or "managed")
        if plans and plan not in plans:
            continue
        data, client_id = load_client(session, row.key, client_ids)
        if not data.devices:
            continue
        estate = estate_from_inventory(data.devices, datetime.fromtimestamp(now, data.tz).date())
        events = load_history(session, client_id, now - CALIBRATION_MONTHS * MONTH_D * DAY_S)
        ev = evidence(
            data.devices,
            estate.devices,
            estate.profiles,
            events,
            now,
            observed_from(service, data.created_at, data.tz),
            data.tz,
            schedule(str(service.get("hours") or "office")),
            tolerance_hours(service),
            service.get("users") or service.get("employees") or None,
            data.end_of_support,
        )
        out.append(
            ClientSigns(
                client_id=client_id,
                client=row.key,
                name=row.name,
                plan=plan,
                devices=len(data.devices),
                events=ev.events,
                verdict=ev.verdict,
                red=tuple(s.name for s in ev.signals if s.status == "red"),
                amber=tuple(s.name for s in ev.signals if s.status == "amber"),
            )
        )
    out.sort(key=lambda c: (ORDER.get(c.verdict, 3), -len(c.red), -len(c.amber), c.client))
    return out
