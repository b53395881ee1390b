"""A heartbeat check's ping URL is in GET /checks/{check_id}, for those who may see the
device only; other checks have none."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sitekeeper.checks.specs_passive import HeartbeatCheck
from sitekeeper.db import models as m
from sitekeeper.results.passive import ensure_tokens
from tests.api.conftest import World


def add_heartbeat(world: World, client: str) -> tuple[int, str]:
    """A heartbeat check on `client`'s router, with its token (as an inventory apply makes)."""
    with world.store.session() as session:
        router = session.scalar(
            select(m.Device).where(
                m.Device.client_id == world.client_ids[client], m.Device.key == "router"
            )
        )
        assert router is not None
        spec = HeartbeatCheck(name="backup", period="1d")
        now = world.clock.now()
        check = m.Check(
            client_id=router.client_id,
            device_id=router.id,
            name="backup",
            type="heartbeat",
            spec=spec.model_dump(mode="json"),
            interval=spec.interval,
            created_at=now,
            updated_at=now,
        )
        session.add(check)
        session.flush()
        assert ensure_tokens(session, now) == 1
        token = session.get(m.HeartbeatToken, check.id)
        assert token is not None
        session.commit()
        return check.id, token.token


def test_the_ping_url_is_shown_to_those_who_see_the_device(api: TestClient, world: World) -> None:
    check_id, token = add_heartbeat(world, "acme")
    for persona in ("alice", "bob"):
        got = api.get(f"/api/v1/checks/{check_id}", headers=world.personas[persona].headers)
        assert got.status_code == 200, got.text
        assert got.json()["ping_url"] == f"http://127.0.0.1:8470/hb/{token}"
    carol = api.get(f"/api/v1/checks/{check_id}", headers=world.personas["carol"].headers)
    assert carol.status_code == 404 and token not in carol.text
    other = world.ids(m.Check, "acme")[0]
    plain = api.get(f"/api/v1/checks/{other}", headers=world.personas["alice"].headers)
    assert plain.status_code == 200 and plain.json()["ping_url"] is None
    assert api.get(f"/hb/{token}").status_code == 200  # the URL works, without an account
