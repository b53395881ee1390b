"""GET /clients/{id}/advice: the advisor's report over HTTP, scoped like every client read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World

V1 = "/api/v1"


def _url(world: World, client: str) -> str:
    return f"{V1}/clients/{world.client_ids[client]}/advice"


def test_the_report_for_a_client_with_a_stated_cost(api: TestClient, world: World) -> None:
    headers = world.personas["bob"].headers  # a technician assigned to acme
    r = api.get(_url(world, "acme"), params={"cost": 800, "trials": 500}, headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["client"] == "acme" and doc["client_id"] == world.client_ids["acme"]
    assert doc["verdict"] in {"managed", "break-fix", "borderline"}
    assert doc["inputs"]["downtime_cost_per_hour"] == 800
    assert doc["inputs"]["downtime_cost_source"] == "request"
    assert doc["inputs"]["trials"] == 500 and doc["inputs"]["devices"] == 3
    same = api.get(_url(world, "acme"), params={"cost": 800, "trials": 500}, headers=headers)
    assert same.json() == doc  # the same seed, the same numbers


def test_errors_say_what_to_fix(api: TestClient, world: World) -> None:
    headers = world.personas["alice"].headers
    missing = api.get(_url(world, "acme"), headers=headers)
    assert missing.status_code == 409
    assert missing.json()["error"]["code"] == "cannot_advise"
    assert "no downtime cost" in missing.json()["error"]["message"]
    bad = api.get(_url(world, "acme"), params={"cost": 100, "hours": "weekends"}, headers=headers)
    assert bad.status_code == 422 and "hours" in bad.json()["error"]["message"]
    many = api.get(_url(world, "acme"), params={"cost": 100, "trials": 10**6}, headers=headers)
    assert many.status_code == 422 and "trials" in many.json()["error"]["message"]


def test_another_clients_report_is_not_found(api: TestClient, world: World) -> None:
    r = api.get(_url(world, "acme"), params={"cost": 100}, headers=world.personas["carol"].headers)
    assert r.status_code == 404


def test_the_portfolio_of_signs_is_scoped(api: TestClient, world: World) -> None:
    everyone = api.get(
        f"{V1}/advice/signs", params={"plan": "all"}, headers=world.personas["alice"].headers
    )
    assert everyone.status_code == 200, everyone.text
    items = everyone.json()["items"]
    assert {i["client"] for i in items} == {"acme", "globex"}
    # the world's clients have no history yet: the signs need 12 months
    assert all(i["verdict"].startswith("not enough history") for i in items)
    # no client of the world is on break-fix, so the default view is empty
    assert api.get(f"{V1}/advice/signs", headers=world.personas["alice"].headers).json() == {
        "items": []
    }
    carol = api.get(
        f"{V1}/advice/signs", params={"plan": "all"}, headers=world.personas["carol"].headers
    )
    assert [i["client"] for i in carol.json()["items"]] == ["globex"]
