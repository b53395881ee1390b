"""The device page shows a heartbeat check's ping URL and the device's latest syslog
messages and traps (escaped); another client's user sees neither."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sitekeeper.checks.specs_passive import HeartbeatCheck
from sitekeeper.db import models as m
from sitekeeper.results.passive import Event, ensure_tokens, store_events
from tests.web.conftest import sign_in
from tests.web.world import World


def add_passive(world: World) -> tuple[int, str]:
    """acme's router: a heartbeat check with its token, and 60 syslog messages (the table
    keeps the newest 50)."""
    now = world.clock.now()
    with world.store.session() as session:
        router = session.get(m.Device, world.id_of(m.Device, "router", "acme"))
        assert router is not None
        spec = HeartbeatCheck(name="backup", period="1d")
        session.add(
            m.Check(
                client_id=router.client_id,
                device_id=router.id,
                name="backup",
                type="heartbeat",
                spec=spec.model_dump(mode="json"),
                interval=spec.interval,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        ensure_tokens(session, now)
        events = [
            Event(
                router.client_id,
                router.id,
                now + i,
                "syslog",
                "192.0.2.1",
                f"sshd: <b>#{i}</b>",
                4,
                "sshd",
            )
            for i in range(60)
        ]
        store_events(session, events[:30])
        store_events(session, events[30:])
        token = session.scalar(select(m.HeartbeatToken.token))
        assert token is not None
        kept = session.scalars(
            select(m.PassiveEvent.text).where(m.PassiveEvent.device_id == router.id)
        )
        assert sorted(kept) == sorted(e.text for e in events[10:])
        session.commit()
        return router.id, token


def test_the_device_page_shows_the_ping_url_and_recent_messages(
    web: TestClient, world: World
) -> None:
    device_id, token = add_passive(world)
    sign_in(web, world.email("bob"))
    page = web.get(f"/devices/{device_id}")
    assert page.status_code == 200
    assert f"http://127.0.0.1:8470/hb/{token}" in page.text
    assert "sshd: &lt;b&gt;#59&lt;/b&gt;" in page.text and "#9&lt;" not in page.text
    assert page.text.index("#59") < page.text.index("#58")  # newest first
    assert "<b>#" not in page.text


def test_another_clients_user_sees_neither(web: TestClient, world: World) -> None:
    device_id, token = add_passive(world)
    sign_in(web, world.email("carol"))
    page = web.get(f"/devices/{device_id}")
    assert page.status_code == 404 and token not in page.text and "sshd" not in page.text
