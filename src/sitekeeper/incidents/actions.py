"""What people do to an incident — acknowledge, comment, resolve by hand — one implementation
for the API, the dashboard and the CLI. Each leaves a line on the timeline. The caller
commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.errors import SitekeeperError


class IncidentClosed(SitekeeperError):
    """The incident is already resolved."""


def _note(session: Session, inc: m.Incident, now: float, kind: str, actor: str, text: str) -> None:
    session.add(
        m.IncidentEvent(
            incident_id=inc.id,
            client_id=inc.client_id,
            at=now,
            kind=kind,
            actor=actor,
            text=text,
            detail={},
        )
    )


def acknowledge(
    session: Session, inc: m.Incident, *, actor: str, user_id: int | None, now: float
) -> bool:
    """Someone is on it: stops escalation. False when it was acknowledged already."""
    if inc.resolved_at is not None:
        raise IncidentClosed(f"incident {inc.id} is already resolved")
    if inc.acked_at is not None:
        return False
    inc.acked_at, inc.acked_by = now, user_id
    _note(session, inc, now, "acked", actor, f"acknowledged by {actor}")
    return True


def comment(session: Session, inc: m.Incident, *, actor: str, text: str, now: float) -> None:
    text = text.strip()
    if not text or "\x00" in text:
        raise SitekeeperError("a comment needs some text")
    _note(session, inc, now, "comment", actor, text[:4000])


def resolve_by_hand(
    session: Session, inc: m.Incident, *, actor: str, user_id: int | None, now: float
) -> None:
    """For incidents sitekeeper cannot see end (a device removed). The incidents worker stops
    tracking it; if the root is still down, a new incident opens after the hold-down."""
    if inc.resolved_at is not None:
        raise IncidentClosed(f"incident {inc.id} is already resolved")
    inc.resolved_at, inc.closed_by = now, user_id
    _note(
        session,
        inc,
        now,
        "resolved",
        actor,
        f"resolved by hand by {actor}; if the device is still down, a new incident opens",
    )
