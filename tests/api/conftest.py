"""API fixtures: two clients' data in the store, and the three personas.

    alice   admin (the whole MSP)
    bob     technician assigned to client A (acme)
    carol   client user of client B (globex)

Each persona has an API token: read+write for alice and bob, read for carol (client users
are read-only).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sitekeeper.api.app import create_app
from sitekeeper.auth import accounts
from sitekeeper.auth.passwords import hash_password
from sitekeeper.auth.principal import Role
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.store import Store

TWO_CLIENTS = """
defaults: {interval: 60s, max_attempts: 1, disable_checks: [icmp]}
clients:
  - id: acme
    name: Acme Dental
    sites:
      - id: hq
        name: Head office
        devices:
          - {id: router, kind: router, address: 127.0.0.1, criticality: 5, credentials: vault/acme-router}
          - {id: core-switch, kind: switch, address: 127.0.0.1, depends_on: [router]}
          - {id: nvr, kind: nvr, address: 127.0.0.1, depends_on: [core-switch]}
  - id: globex
    name: Globex Home
    sites:
      - id: house
        devices:
          - {id: router, kind: router, address: 127.0.0.1}
          - {id: tv, kind: display, address: 127.0.0.1, depends_on: [router], checks: [{type: tcp, port: 9}]}
"""

PASSWORD = "correct horse battery staple"


@functools.cache
def password_hash() -> str:
    """Argon2 is slow on purpose (~0.3 s a hash): hash the personas' password once per run."""
    return hash_password(PASSWORD)


@dataclass
class Persona:
    name: str
    email: str
    token: str
    user_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    store: Store
    clock: FakeClock
    personas: dict[str, Persona]
    client_ids: dict[str, int]  # key -> id

    def ids(self, model: type[m.Base], client: str) -> list[int]:  # type: ignore[name-defined]
        from sqlalchemy import select

        with self.store.session() as session:
            return list(
                session.scalars(
                    select(model.id).where(model.client_id == self.client_ids[client])  # type: ignore[attr-defined]
                )
            )


def _populate(store: Store, clock: FakeClock) -> World:
    with store.session() as session:
        apply_inventory(session, parse_inventory(TWO_CLIENTS), clock.now())
        session.commit()
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    seq = 0
    for step in range(30):  # half an hour of minutely results, the tv failing from minute 20
        batch = []
        for info in ingestor.catalog.checks.values():
            seq += 1
            failing = info.device_key == "tv" and step >= 20
            batch.append(
                Envelope(
                    "test",
                    seq,
                    Observation(
                        info.id,
                        clock.now(),
                        not failing,
                        latency_ms=None if failing else 2.0 + step % 5,
                        values={} if failing else {"connect_ms": 2.0},
                        error="connection refused" if failing else None,
                    ),
                )
            )
        ingestor.ingest(batch)
        clock.advance(60)
    personas: dict[str, Persona] = {}
    with store.session() as session:
        for name, role, client_key, assigned in (
            ("alice", Role.ADMIN, None, ()),
            ("bob", Role.TECHNICIAN, None, ("acme",)),
            ("carol", Role.CLIENT, "globex", ()),
        ):
            user = accounts.create_user(
                session,
                email=f"{name}@example.com",
                name=name.title(),
                role=role,
                now=clock.now(),
                client_key=client_key,
                client_keys=assigned,
            )
            user.password_hash = password_hash()
            # client users are read-only: a write token is refused for them
            scopes = ["read"] if role is Role.CLIENT else ["read", "write"]
            token, _ = accounts.create_token(session, user, f"{name}-test", scopes, clock.now())
            personas[name] = Persona(name, user.email, token, user.id)
        from sqlalchemy import select

        client_ids = {c.key: c.id for c in session.scalars(select(m.Client))}
        session.commit()
    world = World(store, clock, personas, client_ids)
    for client in ("acme", "globex"):  # an open incident of each client, rooted at its router
        add_incident(world, client)
    return world


def add_incident(world: World, client: str) -> int:
    """An open incident of `client`, rooted at its router (as the correlator would write it)."""
    from sqlalchemy import func, select

    with world.store.session() as session:
        cid = world.client_ids[client]
        router = session.scalar(
            select(m.Device).where(m.Device.client_id == cid, m.Device.key == "router")
        )
        assert router is not None
        next_id = (session.scalar(select(func.max(m.Incident.id))) or 0) + 1
        session.add(
            m.Incident(
                id=next_id,
                client_id=cid,
                site_id=router.site_id,
                root_device_id=router.id,
                opened_at=world.clock.now(),
                severity=router.criticality,
                members=[],
                services=[],
                title=f"{router.name} is down",
            )
        )
        session.add(
            m.IncidentEvent(
                incident_id=next_id,
                client_id=cid,
                at=world.clock.now(),
                kind="opened",
                actor="sitekeeper",
                text=f"{router.key} is down: root cause",
                detail={},
            )
        )
        session.commit()
        return next_id


@pytest.fixture
def world(store: Store) -> World:
    return _populate(store, FakeClock(start=1_800_000_000.0))


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    app = create_app(world.store, clock=world.clock)
    with TestClient(app, base_url="http://127.0.0.1:8470") as client:
        yield client
