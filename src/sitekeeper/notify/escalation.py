"""Escalation (pure): an incident nobody acknowledged within a step's time gets an
"escalated" message to that step's channels.

    policy = EscalationPolicy((EscalationStep(15 * 60, (ops,)), EscalationStep(45 * 60, (owner,))))
    for e in escalations_due(open_incidents, policy, now): ...enqueue to e.channel_ids

Steps are counted from the incident's opening. When several steps are overdue at once (the
server was down), only the latest is sent: one message, not a burst. The caller records
`escalated = e.level` on the incident; and since each escalation has its own idempotency key
per channel, asking twice enqueues nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EscalationStep:
    after_s: float  # unacknowledged this long after opening
    channel_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    steps: tuple[EscalationStep, ...] = ()

    @classmethod
    def after_minutes(cls, minutes: float, channel_ids: Iterable[int]) -> EscalationPolicy:
        return cls((EscalationStep(minutes * 60.0, tuple(channel_ids)),))


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """What escalation needs to know about an incident."""

    id: int
    client_id: int
    opened_at: float
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    escalated: int = 0  # steps already sent
    silenced: bool = False  # in a maintenance window: nobody is paged


@dataclass(frozen=True, slots=True)
class Escalation:
    incident_id: int
    client_id: int
    level: int  # 1 for the first step
    after_s: float
    channel_ids: tuple[int, ...]

    def idempotency_key(self, channel_id: int) -> str:
        return f"incident:{self.incident_id}:escalated:{self.level}:channel:{channel_id}"

    def payload_extra(self) -> dict[str, dict[str, float | int]]:
        """Merge into the incident payload: the templates say how long it waited."""
        return {"escalation": {"level": self.level, "after_s": self.after_s}}


def escalations_due(
    open_incidents: Iterable[OpenIncident], policy: EscalationPolicy, now: float
) -> list[Escalation]:
    due = []
    steps = sorted(policy.steps, key=lambda s: s.after_s)
    for incident in open_incidents:
        if incident.acknowledged_at is not None or incident.resolved_at is not None:
            continue
        if incident.silenced:
            continue
        age = now - incident.opened_at
        reached = [n for n, step in enumerate(steps, start=1) if age >= step.after_s]
        if not reached or reached[-1] <= incident.escalated:
            continue
        level = reached[-1]
        step = steps[level - 1]
        due.append(
            Escalation(incident.id, incident.client_id, level, step.after_s, step.channel_ids)
        )
    return due
