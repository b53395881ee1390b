"""Incident pages over HTTP, on SQLite and PostgreSQL: the correlator's incident is shown on
the overview and its own page, scoped like every page, and acted on with CSRF-checked forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.worker import IncidentWorker
from tests.web.conftest import sign_in
from tests.web.world import World


def correlate(world: World) -> int:
    """Run the incidents worker over the world: globex's tv has been failing for 10 min."""
    worker = IncidentWorker(world.store, Policy(hold_down_s=0, clear_s=60))
    worker.reload()
    worker.tick(world.clock.now())
    worker.tick(world.clock.now() + 1)
    with world.store.session() as session:
        incident = session.scalar(select(m.Incident))
        assert incident is not None
        return incident.id


def test_the_overview_leads_with_the_open_incident(web: TestClient, world: World) -> None:
    correlate(world)
    sign_in(web, "alice@example.com")
    html = web.get("/").text
    assert "Open incidents (1)" in html
    assert 'data-incident="' in html and "tv" in html


def test_an_incident_page_shows_root_and_timeline(web: TestClient, world: World) -> None:
    incident_id = correlate(world)
    sign_in(web, "carol@example.com")  # globex's client user may read it
    html = web.get(f"/incidents/{incident_id}").text
    assert "Root cause" in html and "Timeline" in html
    assert "root cause" in html  # the "opened" event's text
    assert "Acknowledge" not in html  # read-only: no actions offered


def test_another_clients_incident_is_not_found(web: TestClient, world: World) -> None:
    incident_id = correlate(world)
    sign_in(web, "bob@example.com")  # assigned to acme only
    assert web.get(f"/incidents/{incident_id}").status_code == 404
    assert web.get(f"/live/incidents/{incident_id}").status_code == 404
    assert 'data-incident="' not in web.get("/incidents").text


def test_acknowledge_and_comment_from_the_page(web: TestClient, world: World) -> None:
    incident_id = correlate(world)
    sign_in(web, "alice@example.com")
    page = web.get(f"/incidents/{incident_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    r = web.post(
        f"/incidents/{incident_id}/ack", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303
    web.post(
        f"/incidents/{incident_id}/comment",
        data={"csrf_token": token.group(1), "text": "TV unplugged by cleaner"},
    )
    html = web.get(f"/incidents/{incident_id}").text
    assert "acknowledged by Alice" in html and "TV unplugged by cleaner" in html


def test_a_form_post_without_the_csrf_token_changes_nothing(web: TestClient, world: World) -> None:
    incident_id = correlate(world)
    sign_in(web, "alice@example.com")
    r = web.post(f"/incidents/{incident_id}/resolve", data={"csrf_token": "forged"})
    assert r.status_code == 403
    with world.store.session() as session:
        assert session.get(m.Incident, incident_id).resolved_at is None  # type: ignore[union-attr]


def test_tables_count_the_devices_cut_off_and_the_page_and_api_list_them(
    web: TestClient, world: World
) -> None:
    incident_id = correlate(world)
    with world.store.session() as session:
        inc = session.get(m.Incident, incident_id)
        assert inc is not None
        others = session.scalars(
            select(m.Device)
            .where(m.Device.client_id == inc.client_id, m.Device.id != inc.root_device_id)
            .order_by(m.Device.id)
            .limit(2)
        ).all()
        inc.members = [d.id for d in others]
        session.commit()
        keys = {d.key for d in others}
    assert keys  # globex has devices besides the failed one
    words = f"{len(keys)} device{'s' if len(keys) != 1 else ''} <span"
    sign_in(web, "alice@example.com")
    for path in ("/", "/incidents"):
        row = re.search(
            rf'<tr role="row" data-incident="{incident_id}">.*?</tr>', web.get(path).text, re.S
        )
        assert row is not None, path
        cell = row[0][row[0].index("Cut off behind it") :]
        assert f'Cut off behind it">{words}' in cell and "UNREACHABLE" in cell, (path, cell[:300])
    page = web.get(f"/incidents/{incident_id}").text
    assert f"Unreachable behind it ({len(keys)})" in page
    assert all(f'<span class="key">{k}</span>' in page for k in keys)
    listed = web.get("/api/v1/incidents").json()["items"]
    (item,) = [i for i in listed if i["id"] == incident_id]
    assert item["unreachable_count"] == len(keys)
    assert {d["key"] for d in item["unreachable"]} == keys
