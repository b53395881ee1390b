"""The pipeline after correlation, on the real store: silence (maintenance windows), route
(the client's channels and routes), notify (the outbox), with every decision on the
incident's timeline. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.pipeline import Pipeline
from sitekeeper.incidents.worker import IncidentWorker
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.notify import NOTIFIERS
from sitekeeper.notify.channels import create_channel
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox

# 2026-06-09 is a Tuesday; the clock starts at 21:50 London time (20:50 UTC, summer).
START = 1_781_038_200.0

SITE = """
defaults: {{interval: 60s, max_attempts: 1, disable_checks: [icmp]}}
clients:
  - id: acme
    notify: {notify}
    maintenance: {maintenance}
    sites:
      - id: hq
        timezone: Europe/London
        devices:
          - {{id: router, kind: router, address: 127.0.0.1, criticality: 5}}
          - {{id: nvr, kind: nvr, address: 127.0.0.1, depends_on: [router], criticality: 3}}
          - {{id: tv, kind: display, address: 127.0.0.1, presence: sleepy, checks: [{{type: tcp, port: 9}}]}}
        services:
          - {{id: cameras, name: Security cameras, criticality: 4, needs: [nvr]}}
"""
PATCH_TUESDAY = "[{id: patch, name: Patch Tuesday, start: 2026-06-02 22:00, duration: 2h, timezone: Europe/London, repeat: weekly}]"


class Rig:
    def __init__(self, store: Store, notify: str = "{}", maintenance: str = "[]") -> None:
        self.store, self.clock = store, FakeClock(start=START)
        self.box = (
            SecretBox(SecretBox.generate_key()) if hasattr(SecretBox, "generate_key") else None
        )
        with store.session() as s:
            apply_inventory(
                s,
                parse_inventory(SITE.format(notify=notify, maintenance=maintenance)),
                self.clock.now(),
            )
            s.commit()
        self.ingestor = Ingestor(store.engine)
        self.ingestor.refresh()
        self.pipeline = Pipeline()
        self.worker = IncidentWorker(
            store, Policy(hold_down_s=0, clear_s=0), on_events=self.pipeline
        )
        self.worker.reload()
        self.seq = 0

    def channel(self, name: str, box: SecretBox) -> None:
        with self.store.session() as s:
            create_channel(
                s,
                box,
                dict(NOTIFIERS),
                client_key="acme",
                name=name,
                kind="webhook",
                target="http://127.0.0.1:9/hook",
                secret="sig",
                now=self.clock.now(),
            )
            s.commit()

    def report(self, failing: set[str]) -> None:
        batch = []
        for info in self.ingestor.catalog.checks.values():
            self.seq += 1
            ok = info.device_key not in failing
            batch.append(
                Envelope(
                    "t",
                    self.seq,
                    Observation(info.id, self.clock.now(), ok, error=None if ok else "refused"),
                )
            )
        self.ingestor.ingest(batch)
        for _ in range(3):
            self.worker.tick(self.clock.now())
            self.clock.advance(1)

    def timeline(self) -> list[tuple[str, str]]:
        with self.store.session() as s:
            return [
                (e.kind, e.text)
                for e in s.scalars(select(m.IncidentEvent).order_by(m.IncidentEvent.id))
            ]

    def outbox(self) -> list[tuple[str, str]]:
        with self.store.session() as s:
            rows = s.execute(
                select(m.OutboxItem.kind, m.Channel.name)
                .join(m.Channel, m.Channel.id == m.OutboxItem.channel_id)
                .order_by(m.OutboxItem.id)
            )
            return [(k, n) for k, n in rows]


@pytest.fixture
def box() -> SecretBox:
    from cryptography.fernet import Fernet

    return SecretBox(Fernet.generate_key().decode())


@pytest.fixture
def rig(store: Store) -> Callable[..., Rig]:
    return lambda **kw: Rig(store, **kw)


def test_an_incident_is_queued_once_per_channel_and_the_recovery_too(
    rig: Callable[..., Rig], box: SecretBox
) -> None:
    r = rig()
    r.channel("ops", box)
    r.channel("owner", box)
    r.report(set())
    r.report({"router", "nvr"})
    assert r.outbox() == [("opened", "ops"), ("opened", "owner")]  # the nvr behind it: nothing
    r.report(set())
    assert r.outbox()[2:] == [("resolved", "ops"), ("resolved", "owner")]
    kinds = [k for k, _ in r.timeline()]
    assert kinds.count("notified") == 2 and "opened" in kinds and "resolved" in kinds


def test_routes_pick_channels_by_severity(rig: Callable[..., Rig], box: SecretBox) -> None:
    r = rig(notify="{routes: [{channel: ops}, {channel: owner, min_severity: 5}]}")
    r.channel("ops", box)
    r.channel("owner", box)
    r.report(set())
    r.report({"nvr"})  # criticality 3 (cameras service 4): severity 4
    assert r.outbox() == [("opened", "ops")]
    r.report(set())
    r.report({"router", "nvr"})  # the router: severity 5
    assert ("opened", "owner") in r.outbox()


def test_a_maintenance_window_silences_but_records(rig: Callable[..., Rig], box: SecretBox) -> None:
    r = rig(maintenance=PATCH_TUESDAY)
    r.channel("ops", box)
    r.report(set())
    r.clock.advance(15 * 60)  # 22:05 London on a Tuesday: inside the window
    r.report({"router"})
    r.report(set())
    assert r.outbox() == []
    texts = " | ".join(t for _, t in r.timeline())
    assert "silenced by maintenance window 'Patch Tuesday' (patch)" in texts
    assert "recovery not sent" in texts
    with r.store.session() as s:
        assert s.scalar(select(m.Incident.silenced_by)) is not None


def test_outside_the_window_it_pages(rig: Callable[..., Rig], box: SecretBox) -> None:
    r = rig(maintenance=PATCH_TUESDAY)
    r.channel("ops", box)
    r.report(set())
    r.report({"router"})  # 21:50: before the window
    assert r.outbox() == [("opened", "ops")]


def test_without_a_channel_the_timeline_says_so(rig: Callable[..., Rig]) -> None:
    r = rig()
    r.report(set())
    r.report({"router"})
    assert any("no notification channel" in t for _, t in r.timeline())


def test_a_sleepy_device_is_asleep_not_an_incident(rig: Callable[..., Rig], box: SecretBox) -> None:
    r = rig()
    r.channel("ops", box)
    r.report(set())
    r.report({"tv"})
    assert r.outbox() == []
    with r.store.session() as s:
        tv = s.scalar(select(m.Device.id).where(m.Device.key == "tv"))
        assert s.get(m.DeviceEffective, tv).status == "ASLEEP"  # type: ignore[union-attr]
        assert s.scalar(select(m.Incident)) is None


def test_an_unacknowledged_incident_escalates_once(rig: Callable[..., Rig], box: SecretBox) -> None:
    r = rig(notify="{routes: [{channel: ops}], escalate: {after: 10m, channels: [owner]}}")
    r.channel("ops", box)
    r.channel("owner", box)
    r.report(set())
    r.report({"router"})
    with r.store.session() as s, s.begin():
        assert r.pipeline.escalate(s, r.clock.now()) == 0  # not yet
    r.clock.advance(11 * 60)
    for _ in range(2):  # asked twice: sent once
        with r.store.session() as s, s.begin():
            r.pipeline.escalate(s, r.clock.now())
    assert r.outbox() == [("opened", "ops"), ("escalated", "owner")]
