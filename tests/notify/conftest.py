"""Notification fixtures: a store with two clients, a secret box, a fake clock, real
receivers on loopback (an aiohttp webhook receiver, an SMTP sink) and a worker.

The `channels` and `outbox` tables come from the shared migrations once they include them;
until then `notify_store` creates just those two tables (create_all skips existing ones).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope

from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.db.base import Base
from sitekeeper.notify import NOTIFIERS
from sitekeeper.notify.channels import create_channel
from sitekeeper.notify.worker import OutboxWorker, WorkerOptions
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox, generate_key

LOOPBACK = "127.0.0.1"


@pytest.fixture
def notify_store(store: Store) -> Store:
    Base.metadata.create_all(store.engine, tables=[m.Channel.__table__, m.OutboxItem.__table__])
    with store.session() as session, session.begin():
        for key, name in (("acme", "Acme Dental"), ("globex", "Globex Home")):
            session.add(m.Client(key=key, name=name, created_at=0.0, updated_at=0.0))
    return store


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(generate_key())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http() -> AsyncIterator[HttpSessions]:
    sessions = HttpSessions()
    yield sessions
    await sessions.close()


@pytest.fixture
def add_channel(notify_store: Store, box: SecretBox, clock: FakeClock) -> Callable[..., int]:
    def add(
        name: str,
        target: str,
        *,
        kind: str = "webhook",
        client: str | None = "acme",
        secret: str | None = "s3cret-signing-key",
    ) -> int:
        with notify_store.session() as session, session.begin():
            channel, _ = create_channel(
                session,
                box,
                NOTIFIERS,
                client_key=client,
                name=name,
                kind=kind,
                target=target,
                secret=secret if kind == "webhook" else None,
                now=clock.now(),
            )
            return channel.id

    return add


@pytest.fixture
def make_worker(
    notify_store: Store, box: SecretBox, clock: FakeClock, http: HttpSessions
) -> Callable[..., OutboxWorker]:
    import random

    def make(**options: Any) -> OutboxWorker:
        return OutboxWorker(
            notify_store,
            box,
            http=http,
            clock=clock,
            options=WorkerOptions(**options),
            rng=random.Random(7),
        )

    return make


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signature_ok(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("X-Sitekeeper-Signature", ""))


@dataclass
class Receiver:
    """A webhook receiver: answers from `script` (status, headers) in turn, then 200."""

    url: str = ""
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    calls: list[Received] = field(default_factory=list)
    delivered: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        got = Received(dict(request.headers), await request.read())
        self.calls.append(got)
        status, headers = self.script.pop(0) if self.script else (200, {})
        if status < 300:
            self.delivered.append(got)
        return web.Response(status=status, headers=headers, text="nope" if status >= 300 else "ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rx = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/{token}", rx.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    port = runner.addresses[0][1]
    rx.url = f"http://{LOOPBACK}:{port}/hooks/tok-9f8e7d6c5b4a"
    yield rx
    await runner.cleanup()


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[Envelope] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Any, envelope: Envelope, mechanism: str, auth: Any
    ) -> AuthResult:
        self.logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"mail-pw-123", handled=False)


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """An SMTP server on loopback (no TLS; AUTH allowed in clear, as on a local relay)."""
    sink = SmtpSink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, authenticator=sink.authenticate, auth_require_tls=False),
        LOOPBACK,
        0,
    )
    sink.port = server.sockets[0].getsockname()[1]
    yield sink
    server.close()
    await server.wait_closed()


def incident_payload(event: str = "opened", incident_id: int = 12) -> dict[str, Any]:
    return {
        "event": event,
        "incident": {
            "id": incident_id,
            "client": "Harbour View Dental",
            "site": "Main office",
            "root": {"id": 3, "key": "core-switch", "name": "core switch", "kind": "switch"},
            "unreachable": [f"cam-{i}" for i in range(23)],
            "services": [
                {"key": "cams", "name": "Perimeter cameras", "criticality": 4},
                {"key": "vc", "name": "Boardroom video calls", "criticality": 5},
            ],
            "severity": 4,
            "opened_at": 1_800_000_000.0,
            "resolved_at": 1_800_000_720.0 if event == "resolved" else None,
            "url": "http://127.0.0.1:8470/incidents/12",
        },
    }
