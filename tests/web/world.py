"""A small world for dashboard tests: two clients with half an hour of history, and the
three personas.

    alice   admin (the whole MSP)
    bob     technician assigned to acme
    carol   client user of globex
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from sitekeeper.auth import accounts
from sitekeeper.auth.principal import Role
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.store import Store

PASSWORD = "correct horse battery staple"
SECRET_REF = "vault/acme-router-admin"

TWO_CLIENTS = f"""
defaults: {{interval: 60s, max_attempts: 1, disable_checks: [icmp]}}
clients:
  - id: acme
    name: Acme Dental
    sites:
      - id: hq
        name: Head office
        devices:
          - {{id: router, kind: router, address: 127.0.0.1, criticality: 5, credentials: {SECRET_REF}}}
          - {{id: core-switch, kind: switch, address: 127.0.0.1, depends_on: [router]}}
          - {{id: nvr, kind: nvr, address: 127.0.0.1, depends_on: [core-switch]}}
  - id: globex
    name: Globex Home
    sites:
      - id: house
        name: The house
        devices:
          - {{id: gateway, kind: router, address: 127.0.0.1}}
          - {{id: tv, kind: display, address: 127.0.0.1, depends_on: [gateway], checks: [{{type: tcp, port: 9}}]}}
"""

Persona = tuple[str, Role, str | None, tuple[str, ...]]
PERSONAS: tuple[Persona, ...] = (
    ("alice", Role.ADMIN, None, ()),
    ("bob", Role.TECHNICIAN, None, ("acme",)),
    ("carol", Role.CLIENT, "globex", ()),
)


@dataclass
class World:
    store: Store
    clock: FakeClock

    def email(self, persona: str) -> str:
        return f"{persona}@example.com"

    def id_of(
        self, model: type[m.Client] | type[m.Site] | type[m.Device], key: str, client: str
    ) -> int:
        with self.store.session() as session:
            cid = session.scalar(select(m.Client.id).where(m.Client.key == client))
            assert cid is not None, client
            if model is m.Client:
                return cid
            column = m.Site.id if model is m.Site else m.Device.id
            owner = m.Site.client_id if model is m.Site else m.Device.client_id
            keycol = m.Site.key if model is m.Site else m.Device.key
            found = session.scalar(select(column).where(owner == cid, keycol == key))
            assert found is not None, (model, key, client)
            return found


def create_users(store: Store, now: float, personas: tuple[Persona, ...] = PERSONAS) -> None:
    with store.session() as session:
        for name, role, client_key, assigned in personas:
            accounts.create_user(
                session,
                email=f"{name}@example.com",
                name=name.title(),
                role=role,
                now=now,
                password=PASSWORD,
                client_key=client_key,
                client_keys=assigned,
            )
        session.commit()


def populate(store: Store, clock: FakeClock) -> World:
    """Apply the two clients and ingest 30 minutely results per check, ending at the clock's
    time; globex's tv fails for the last ten minutes."""
    with store.session() as session:
        apply_inventory(session, parse_inventory(TWO_CLIENTS), clock.now())
        session.commit()
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    seq = 0
    for step in range(30):
        batch = []
        for info in ingestor.catalog.checks.values():
            seq += 1
            failing = info.device_key == "tv" and step >= 20
            observation = Observation(
                info.id,
                clock.now(),
                not failing,
                latency_ms=None if failing else 2.0 + step % 5,
                values={} if failing else {"connect_ms": 2.0},
                error="connection refused" if failing else None,
            )
            batch.append(Envelope("test", seq, observation))
        ingestor.ingest(batch)
        if step < 29:
            clock.advance(60)
    create_users(store, clock.now())
    return World(store, clock)
