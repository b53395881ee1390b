"""Incidents through the API: list, detail with timeline, ack, comment, resolve by hand."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World

V1 = "/api/v1"


def test_open_incidents_are_listed_with_root_and_scope(api: TestClient, world: World) -> None:
    alice = world.personas["alice"].headers
    items = api.get(f"{V1}/incidents", headers=alice).json()["items"]
    assert {(i["client"], i["root"]["key"], i["state"]) for i in items} == {
        ("acme", "router", "open"),
        ("globex", "router", "open"),
    }
    bob = api.get(f"{V1}/incidents", headers=world.personas["bob"].headers).json()["items"]
    assert [i["client"] for i in bob] == ["acme"]


def test_an_incident_shows_its_timeline(api: TestClient, world: World) -> None:
    alice = world.personas["alice"].headers
    first = api.get(f"{V1}/incidents", headers=alice).json()["items"][0]
    detail = api.get(f"{V1}/incidents/{first['id']}", headers=alice).json()
    assert [e["kind"] for e in detail["timeline"]] == ["opened"]
    assert "root cause" in detail["timeline"][0]["text"]


def test_ack_comment_and_resolve_are_recorded_in_the_timeline(
    api: TestClient, world: World
) -> None:
    bob = world.personas["bob"].headers
    [mine] = api.get(f"{V1}/incidents", headers=bob).json()["items"]
    url = f"{V1}/incidents/{mine['id']}"
    acked = api.post(f"{url}/ack", headers=bob).json()
    assert acked["acked_by"] == "Bob" and acked["acked_at"] is not None
    api.post(f"{url}/comments", headers=bob, json={"text": "power-cycling the router"})
    resolved = api.post(f"{url}/resolve", headers=bob).json()
    assert resolved["state"] == "resolved"
    kinds = [e["kind"] for e in resolved["timeline"]]
    assert kinds == ["opened", "acked", "comment", "resolved"]
    assert api.post(f"{url}/ack", headers=bob).status_code == 409
    assert api.get(f"{V1}/incidents", headers=bob).json()["items"] == []
    assert len(api.get(f"{V1}/incidents?state=resolved", headers=bob).json()["items"]) == 1


def test_a_client_user_may_read_but_not_act(api: TestClient, world: World) -> None:
    carol = world.personas["carol"].headers
    [theirs] = api.get(f"{V1}/incidents", headers=carol).json()["items"]
    assert theirs["client"] == "globex"
    r = api.post(f"{V1}/incidents/{theirs['id']}/ack", headers=carol)
    assert r.status_code == 403
