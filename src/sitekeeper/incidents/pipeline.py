"""After correlation: silence (maintenance windows) -> route (the client's channels) ->
notify (the outbox), in the transaction of the incident change. Inhibition is already done:
devices cut off behind a root cause are part of its incident and never page. Every decision
is written to the incident's timeline, including why something was *not* sent.

Grouping: one root cause is one incident is one message per channel; several incidents of
one client in a short time fold into a digest (the storm budget).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Event
from sitekeeper.incidents.topology import Topology
from sitekeeper.incidents.windows import MaintenanceWindow, parse_windows
from sitekeeper.incidents.windows_silence import Target, silence
from sitekeeper.inventory.models import Notify
from sitekeeper.notify.dispatch import dispatch
from sitekeeper.notify.escalation import EscalationPolicy, OpenIncident, escalations_due
from sitekeeper.notify.storm import StormBudget, StormPolicy

log = logging.getLogger(__name__)


def _note(session: Session, inc_row: m.Incident, at: float, kind: str, text: str) -> None:
    session.add(
        m.IncidentEvent(
            incident_id=inc_row.id,
            client_id=inc_row.client_id,
            at=at,
            kind=kind,
            actor="sitekeeper",
            text=text,
            detail={},
        )
    )


@dataclass
class Pipeline:
    """Callable as the incidents worker's `on_events`."""

    public_url: str = "http://127.0.0.1:8470"
    budgets: dict[int, StormBudget] = field(default_factory=dict)
    _windows: dict[int, tuple[str, list[MaintenanceWindow]]] = field(default_factory=dict)
    queued: int = 0  # rows added to the outbox (for the worker to be woken)

    def __call__(self, session: Session, events: list[Event], topo: Topology) -> None:
        for event in events:
            if event.kind not in ("opened", "resolved"):
                continue  # "updated" is recorded on the timeline by the worker; not paged
            try:
                self._one(session, event)
            except Exception:
                # a notification problem must not lose the incident: record it and go on
                log.exception("could not route incident %s", event.incident.id)
                row = session.get(m.Incident, event.incident.id)
                if row is not None:
                    _note(
                        session,
                        row,
                        event.at,
                        "error",
                        "could not queue notifications; see the log",
                    )

    # -- stages ---------------------------------------------------------------------------

    def _one(self, session: Session, event: Event) -> None:
        inc = event.incident
        row = session.get(m.Incident, inc.id)
        client = session.get(m.Client, inc.client_id)
        if row is None or client is None:
            return
        if event.kind == "resolved" and row.silenced_by:
            _note(
                session,
                row,
                event.at,
                "suppressed",
                f"recovery not sent: the incident was silenced by {row.silenced_by}",
            )
            return
        if event.kind == "opened":
            window = self._silenced_by(
                session, client, inc.site_id, inc.root, inc.services, event.at
            )
            if window is not None:
                row.silenced_by = window
                _note(session, row, event.at, "suppressed", f"not sent: silenced by {window}")
                return
        channels = route(session, client, inc.severity)
        if not channels:
            _note(
                session,
                row,
                event.at,
                "suppressed",
                "not sent: no notification channel for this client "
                "(add one with `sitekeeper channel add`)",
            )
            return
        payload = incident_payload(session, row, event.kind, self.public_url)
        added = dispatch(
            session,
            client_id=client.id,
            channel_ids=[c.id for c in channels],
            event=event.kind,
            payload=payload,
            now=event.at,
            incident_id=inc.id,
            budget=self._budget(client),
        )
        self.queued += len(added)
        names = ", ".join(c.name for c in channels)
        verb = "opening" if event.kind == "opened" else "recovery"
        _note(
            session,
            row,
            event.at,
            "notified",
            f"{verb} queued for {names}" if added else f"{verb} already queued for {names}",
        )

    def _silenced_by(
        self,
        session: Session,
        client: m.Client,
        site_id: int,
        root: int,
        services: tuple[str, ...],
        now: float,
    ) -> str | None:
        windows = self._client_windows(client)
        if not windows:
            return None
        site = session.get(m.Site, site_id)
        device = session.get(m.Device, root)
        target = Target(
            client=client.key,
            site=site.key if site else None,
            device=device.key if device else None,
            services=frozenset(services),
        )
        _, silenced = silence([target], windows, now)
        if not silenced:
            return None
        s = silenced[0]
        return f"maintenance window {s.window_name!r} ({s.window_id})"

    def _client_windows(self, client: m.Client) -> list[MaintenanceWindow]:
        raw = json.dumps(client.maintenance or [], sort_keys=True, default=str)
        cached = self._windows.get(client.id)
        if cached is None or cached[0] != raw:
            windows = parse_windows(client.maintenance or [], client=client.key)
            self._windows[client.id] = cached = (raw, windows)
        return cached[1]

    def _budget(self, client: m.Client) -> StormBudget:
        storm = Notify.model_validate(client.notify or {}).storm
        policy = StormPolicy(max_pages=storm.max_pages, window_s=storm.window)
        budget = self.budgets.get(client.id)
        if budget is None or budget.policy != policy:
            budget = self.budgets[client.id] = StormBudget(policy)
        return budget

    # -- escalation -----------------------------------------------------------------------

    def escalate(self, session: Session, now: float) -> int:
        """Open, unacknowledged, not silenced incidents past their client's escalation time
        get an "escalated" message (once: the outbox's idempotency keys see to that)."""
        added = 0
        for client in session.scalars(select(m.Client)):
            notify = Notify.model_validate(client.notify or {})
            if notify.escalate is None:
                continue
            channels = _channels_named(session, client, notify.escalate.channels)
            if not channels:
                continue
            policy = EscalationPolicy.after_minutes(
                notify.escalate.after / 60.0, [c.id for c in channels]
            )
            rows = session.scalars(
                select(m.Incident).where(
                    m.Incident.client_id == client.id,
                    m.Incident.resolved_at.is_(None),
                    m.Incident.acked_at.is_(None),
                    m.Incident.silenced_by.is_(None),
                )
            ).all()
            incidents = [
                OpenIncident(id=r.id, client_id=r.client_id, opened_at=r.opened_at) for r in rows
            ]
            by_id = {r.id: r for r in rows}
            for due in escalations_due(incidents, policy, now):
                row = by_id[due.incident_id]
                payload = incident_payload(session, row, "escalated", self.public_url)
                payload.update(due.payload_extra())
                ids = dispatch(
                    session,
                    client_id=client.id,
                    channel_ids=list(due.channel_ids),
                    event="escalated",
                    payload=payload,
                    now=now,
                    incident_id=row.id,
                    key=f"incident:{row.id}:escalated:{due.level}",
                )
                if ids:
                    added += len(ids)
                    minutes = round(due.after_s / 60)
                    _note(
                        session,
                        row,
                        now,
                        "escalated",
                        f"not acknowledged within {minutes} min: escalated to "
                        + ", ".join(c.name for c in channels),
                    )
        self.queued += added
        return added


def _channels_named(session: Session, client: m.Client, names: tuple[str, ...]) -> list[m.Channel]:
    found = []
    for name in names:
        channel = session.scalar(
            select(m.Channel)
            .where(
                m.Channel.name == name,
                or_(m.Channel.client_id == client.id, m.Channel.client_id.is_(None)),
            )
            .order_by(m.Channel.client_id.is_(None))  # the client's own channel wins
        )
        if channel is not None and channel.enabled:
            found.append(channel)
    return found


def route(session: Session, client: m.Client, severity: int) -> list[m.Channel]:
    """The channels an incident of `client` at `severity` goes to: the client's routes, or
    without routes every enabled channel of the client and every MSP-wide one."""
    notify = Notify.model_validate(client.notify or {})
    if notify.routes:
        names = tuple(r.channel for r in notify.routes if severity >= r.min_severity)
        return _channels_named(session, client, names)
    return list(
        session.scalars(
            select(m.Channel)
            .where(
                or_(m.Channel.client_id == client.id, m.Channel.client_id.is_(None)),
                m.Channel.enabled.is_(True),
            )
            .order_by(m.Channel.id)
        )
    )


def incident_payload(
    session: Session, row: m.Incident, event: str, public_url: str
) -> dict[str, Any]:
    """The documented payload (docs/notifications.md): what a message or webhook says."""
    client = session.get(m.Client, row.client_id)
    site = session.get(m.Site, row.site_id)
    root = session.get(m.Device, row.root_device_id)
    members = session.scalars(select(m.Device.key).where(m.Device.id.in_(row.members))).all()
    services = {
        s.key: s
        for s in session.scalars(
            select(m.Service).where(
                m.Service.client_id == row.client_id, m.Service.key.in_(row.services)
            )
        )
    }
    return {
        "event": event,
        "incident": {
            "id": row.id,
            "client": client.name if client else "",
            "client_key": client.key if client else "",
            "site": site.name if site else "",
            "root": {
                "id": row.root_device_id,
                "key": root.key if root else "",
                "name": root.name if root else "",
                "kind": root.kind if root else "",
            },
            "unreachable": sorted(members),
            "services": [
                {"key": k, "name": services[k].name, "criticality": services[k].criticality}
                for k in row.services
                if k in services
            ],
            "severity": row.severity,
            "opened_at": row.opened_at,
            "resolved_at": row.resolved_at,
            "url": f"{public_url.rstrip('/')}/incidents/{row.id}",
        },
    }
