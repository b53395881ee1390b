"""POST /inventory/apply: the CLI's validation over HTTP, who may apply what, dry runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.api.conftest import TWO_CLIENTS, World

URL = "/api/v1/inventory/apply"
YAML = "application/yaml"


def inventory(client: str, extra_devices: Sequence[dict[str, Any]] = (), drop: str = "") -> str:
    """The world's inventory for one client, with devices added or one dropped."""
    data = yaml.safe_load(TWO_CLIENTS)
    data["clients"] = [c for c in data["clients"] if c["id"] == client]
    site = data["clients"][0]["sites"][0]
    site["devices"] = [d for d in site["devices"] if d["id"] != drop] + list(extra_devices)
    return yaml.safe_dump(data, sort_keys=False)


PRINTER = {"id": "printer", "kind": "printer", "address": "127.0.0.1"}


def post(
    api: TestClient, world: World, who: str, body: str, content_type: str = YAML, **params: Any
) -> Any:
    headers = {**world.personas[who].headers, "Content-Type": content_type}
    return api.post(URL, content=body.encode(), headers=headers, params=params)


def device_keys(api: TestClient, world: World) -> list[str]:
    r = api.get("/api/v1/devices", headers=world.personas["alice"].headers)
    return sorted(f"{d['client']}/{d['key']}" for d in r.json()["items"])


def test_applying_the_same_file_changes_nothing(api: TestClient, world: World) -> None:
    r = post(api, world, "alice", TWO_CLIENTS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["changed_anything"], body["unchanged"], body["added"]) == (False, 5, [])
    assert body["dry_run"] is False


def test_a_valid_file_is_applied_and_reported(api: TestClient, world: World) -> None:
    r = post(api, world, "alice", inventory("acme", [PRINTER]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == ["acme/printer"]
    assert body["checks"]["added"] >= 1
    assert "acme/printer" in device_keys(api, world)


def test_json_of_the_same_shape_is_accepted(api: TestClient, world: World) -> None:
    data = yaml.safe_load(inventory("acme", [PRINTER]))
    r = post(api, world, "alice", json.dumps(data, indent="\t"), "application/json")
    assert r.status_code == 200, r.text
    assert r.json()["added"] == ["acme/printer"]


def test_a_dry_run_reports_and_changes_nothing(api: TestClient, world: World) -> None:
    r = post(api, world, "alice", inventory("acme", [PRINTER]), dry_run="true")
    assert r.status_code == 200, r.text
    assert (r.json()["dry_run"], r.json()["added"]) == (True, ["acme/printer"])
    assert "acme/printer" not in device_keys(api, world)


def test_an_invalid_file_is_a_422_with_every_problem_and_its_line(
    api: TestClient, world: World
) -> None:
    body = inventory(
        "acme",
        [
            {"id": "toaster", "kind": "toaster", "address": "127.0.0.1"},
            {"id": "cam", "kind": "camera", "address": "nope nope", "depends_on": ["ghost"]},
        ],
    )
    r = post(api, world, "alice", body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_inventory"
    lines = body.splitlines()
    problems = error["details"]
    assert len(problems) >= 3
    for p in problems:
        assert set(p) == {"file", "line", "path", "message"}
        assert p["file"] == "<request>"
    toaster = next(p for p in problems if "toaster" in p["message"])
    assert "kind: toaster" in lines[toaster["line"] - 1]
    ghost = next(p for p in problems if "ghost" in p["message"])
    assert "ghost" in lines[ghost["line"] - 1]
    assert device_keys(api, world) == [
        "acme/core-switch",
        "acme/nvr",
        "acme/router",
        "globex/router",
        "globex/tv",
    ]


def test_broken_json_says_where(api: TestClient, world: World) -> None:
    r = post(api, world, "alice", '{"clients": [\n  {"id": "acme",,}\n]}', "application/json")
    assert r.status_code == 422
    [problem] = r.json()["error"]["details"]
    assert problem["line"] == 2 and "JSON" in problem["message"]


def test_other_media_types_are_refused(api: TestClient, world: World) -> None:
    r = post(api, world, "alice", TWO_CLIENTS, "application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert "application/yaml" in r.json()["error"]["message"]


def test_a_technician_applies_only_their_own_clients(api: TestClient, world: World) -> None:
    r = post(api, world, "bob", inventory("acme", [PRINTER]))
    assert r.status_code == 200, r.text
    for body, named in (
        (inventory("globex", [PRINTER]), "globex"),
        (inventory("acme").replace("id: acme", "id: initech"), "initech"),  # a new client
        (TWO_CLIENTS, "globex"),
    ):
        r = post(api, world, "bob", body)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
        assert repr(named) in r.json()["error"]["message"]
    assert "globex/printer" not in device_keys(api, world)


def test_client_users_never_apply(api: TestClient, world: World) -> None:
    r = post(api, world, "carol", inventory("globex"))
    assert r.status_code == 403


def test_a_device_dropped_from_the_file_is_retired_and_gone_from_the_api(
    api: TestClient, world: World
) -> None:
    before = api.get("/api/v1/devices?q=nvr", headers=world.personas["alice"].headers).json()
    nvr = before["items"][0]["id"]
    r = post(api, world, "alice", inventory("acme", drop="nvr"))
    assert r.json()["retired"] == ["acme/nvr"]
    assert "acme/nvr" not in device_keys(api, world)
    gone = api.get(f"/api/v1/devices/{nvr}", headers=world.personas["alice"].headers)
    assert gone.status_code == 404
    assert "retired" in gone.json()["error"]["message"]


def test_a_nul_character_is_a_problem_not_a_database_error(api: TestClient, world: World) -> None:
    body = inventory("acme").replace("name: Acme Dental", 'name: "Acme\\0Dental"')
    r = post(api, world, "alice", body)
    assert r.status_code == 422, r.text
    [problem] = r.json()["error"]["details"]
    assert problem["path"] == "clients[acme].name"
    assert "Acme\\0Dental" in body.splitlines()[problem["line"] - 1]
    assert "NUL" in problem["message"]
