"""Escalation as timelines on a fake clock."""

from __future__ import annotations

from sitekeeper.clock import FakeClock
from sitekeeper.notify.escalation import (
    EscalationPolicy,
    EscalationStep,
    OpenIncident,
    escalations_due,
)

MIN = 60.0
TWO_STEPS = EscalationPolicy((EscalationStep(15 * MIN, (1,)), EscalationStep(45 * MIN, (2, 3))))


def test_an_unacknowledged_incident_escalates_after_n_minutes() -> None:
    clock = FakeClock()
    incident = OpenIncident(id=7, client_id=1, opened_at=clock.now())
    policy = EscalationPolicy.after_minutes(15, [4])
    clock.advance(15 * MIN - 1)
    assert escalations_due([incident], policy, clock.now()) == []
    clock.advance(1)
    [due] = escalations_due([incident], policy, clock.now())
    assert (due.incident_id, due.level, due.channel_ids) == (7, 1, (4,))
    assert due.idempotency_key(4) == "incident:7:escalated:1:channel:4"
    assert due.payload_extra() == {"escalation": {"level": 1, "after_s": 900.0}}


def test_an_acknowledged_resolved_or_silenced_incident_never_escalates() -> None:
    now = FakeClock().now()
    old = now - 3600
    incidents = [
        OpenIncident(1, 1, old, acknowledged_at=old + 60),
        OpenIncident(2, 1, old, resolved_at=old + 60),
        OpenIncident(3, 1, old, silenced=True),
    ]
    assert escalations_due(incidents, TWO_STEPS, now) == []


def test_steps_follow_each_other_and_each_is_sent_once() -> None:
    clock = FakeClock()
    incident = OpenIncident(id=7, client_id=1, opened_at=clock.now())
    sent = []
    for _ in range(60):  # one hour, a look every minute
        clock.advance(MIN)
        for due in escalations_due([incident], TWO_STEPS, clock.now()):
            sent.append((clock.now() - incident.opened_at, due.level, due.channel_ids))
            incident = OpenIncident(7, 1, incident.opened_at, escalated=due.level)
    assert sent == [(15 * MIN, 1, (1,)), (45 * MIN, 2, (2, 3))]


def test_after_downtime_only_the_latest_overdue_step_is_sent() -> None:
    now = FakeClock().now()
    incident = OpenIncident(id=7, client_id=1, opened_at=now - 50 * MIN)
    [due] = escalations_due([incident], TWO_STEPS, now)
    assert due.level == 2


def test_no_steps_no_escalations() -> None:
    now = FakeClock().now()
    assert escalations_due([OpenIncident(1, 1, now - 9999)], EscalationPolicy(), now) == []
