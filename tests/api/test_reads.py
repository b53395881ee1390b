"""Reading the world through the API: who am I, clients, sites, devices, checks, the
overview and flips; pagination and filters.

The world: acme (router -> core-switch -> nvr, all UP) and globex (router, tv); the tv's
check fails from minute 20 of 30, so the tv is DOWN and the only problem.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World

V1 = "/api/v1"


def get(api: TestClient, world: World, who: str, path: str, **params: Any) -> Any:
    r = api.get(V1 + path, params=params, headers=world.personas[who].headers)
    assert r.status_code == 200, r.text
    return r.json()


def keys(page: dict[str, Any]) -> list[str]:
    return [f"{i['client']}/{i['key']}" for i in page["items"]]


def device_id(api: TestClient, world: World, client: str, key: str) -> int:
    items = get(api, world, "alice", "/devices", client_id=world.client_ids[client])["items"]
    return next(int(d["id"]) for d in items if d["key"] == key)


def test_me_says_who_is_asking_and_which_clients_they_see(api: TestClient, world: World) -> None:
    alice = get(api, world, "alice", "/me")
    assert alice["role"] == "admin" and alice["all_clients"] is True
    assert [c["key"] for c in alice["clients"]] == ["acme", "globex"]
    assert alice["via"] == "token"
    assert alice["token"]["scopes"] == ["read", "write"]
    assert alice["token"]["prefix"] in world.personas["alice"].token
    assert world.personas["alice"].token not in str(alice)
    bob = get(api, world, "bob", "/me")
    assert (bob["role"], [c["key"] for c in bob["clients"]]) == ("technician", ["acme"])
    carol = get(api, world, "carol", "/me")
    assert (carol["role"], carol["can_write"]) == ("client", False)
    assert [c["key"] for c in carol["clients"]] == ["globex"]


def test_pages_add_up_to_the_whole_list(api: TestClient, world: World) -> None:
    whole = get(api, world, "alice", "/devices", limit=500)
    assert whole["total"] == 5 and len(whole["items"]) == 5
    pages = [get(api, world, "alice", "/devices", limit=2, offset=o) for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [k for p in pages for k in keys(p)] == keys(whole)
    past = get(api, world, "alice", "/devices", offset=10)
    assert (past["items"], past["total"], past["offset"]) == ([], 5, 10)


def test_a_limit_over_500_is_refused_with_the_common_error_body(
    api: TestClient, world: World
) -> None:
    r = api.get(f"{V1}/devices?limit=501", headers=world.personas["alice"].headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert "limit" in r.json()["error"]["message"]


def test_devices_list_problems_first_and_filters_narrow_it(api: TestClient, world: World) -> None:
    def devices(**params: Any) -> list[str]:
        return keys(get(api, world, "alice", "/devices", **params))

    assert devices()[0] == "globex/tv"
    acme = world.client_ids["acme"]
    assert sorted(devices(client_id=acme)) == ["acme/core-switch", "acme/nvr", "acme/router"]
    assert devices(status="DOWN") == ["globex/tv"]
    assert devices(problem="true") == ["globex/tv"]
    assert len(devices(problem="false")) == 4
    assert devices(system="av") == ["globex/tv"]
    assert devices(kind="nvr") == ["acme/nvr"]
    assert devices(q="SWIT") == ["acme/core-switch"]
    assert devices(q="%") == []  # LIKE wildcards are matched literally
    site = get(api, world, "alice", "/sites", client_id=world.client_ids["globex"])["items"][0]
    assert sorted(devices(site_id=site["id"])) == ["globex/router", "globex/tv"]
    r = api.get(f"{V1}/devices?status=BROKEN", headers=world.personas["alice"].headers)
    assert r.status_code == 422


def test_a_device_shows_its_checks_and_its_place_in_the_graph(
    api: TestClient, world: World
) -> None:
    switch = get(api, world, "bob", f"/devices/{device_id(api, world, 'acme', 'core-switch')}")
    assert (switch["client"], switch["site"], switch["status"]) == ("acme", "hq", "UP")
    assert [p["key"] for p in switch["parents"]] == ["router"]
    assert [d["key"] for d in switch["dependents"]] == ["nvr"]
    assert switch["depends_on"] == ["router"]
    [web] = switch["checks"]
    assert (web["name"], web["type"], web["target"]) == ("web", "http", "127.0.0.1:80")
    assert (web["status"], web["values"]) == ("OK", {"connect_ms": 2.0})
    router = get(api, world, "bob", f"/devices/{device_id(api, world, 'acme', 'router')}")
    assert router["has_credentials"] is True
    tv = get(api, world, "carol", f"/devices/{device_id(api, world, 'globex', 'tv')}")
    assert (tv["status"], tv["problem"], tv["checks"][0]["status"]) == ("DOWN", True, "CRIT")
    assert tv["checks"][0]["reason"] == "connection refused"


def test_checks_filter_by_device_client_and_status(api: TestClient, world: World) -> None:
    def checks(**params: Any) -> list[str]:
        page = get(api, world, "alice", "/checks", **params)
        return [f"{c['device']}/{c['name']}" for c in page["items"]]

    assert checks()[0] == "tv/tcp"
    assert checks(status="CRIT") == ["tv/tcp"]
    assert sorted(checks(device_id=device_id(api, world, "acme", "nvr"))) == ["nvr/rtsp", "nvr/web"]
    # one of them the router's snmp check: a router with `credentials:` gets one
    assert len(checks(client_id=world.client_ids["acme"])) == 5
    tv_check = get(api, world, "carol", "/checks", status="CRIT")["items"][0]
    detail = get(api, world, "carol", f"/checks/{tv_check['id']}")
    assert (detail["hard_status"], detail["state_type"], detail["max_attempts"]) == (
        "CRIT",
        "HARD",
        1,
    )
    assert detail["recent"].endswith("C" * 10)
    assert detail["timeout"] == 10.0


def test_clients_and_sites_count_their_active_things(api: TestClient, world: World) -> None:
    clients = get(api, world, "alice", "/clients")["items"]
    assert [(c["key"], c["site_count"], c["device_count"]) for c in clients] == [
        ("acme", 1, 3),
        ("globex", 1, 2),
    ]
    globex = get(api, world, "carol", f"/clients/{world.client_ids['globex']}")
    assert globex["devices_by_status"] == {"DOWN": 1, "UP": 1}
    assert [s["key"] for s in globex["sites"]] == ["house"]
    sites = get(api, world, "bob", "/sites")["items"]
    assert [(s["client"], s["key"], s["name"]) for s in sites] == [("acme", "hq", "Head office")]
    hq = get(api, world, "bob", f"/sites/{sites[0]['id']}")
    assert hq["devices_by_status"] == {"UP": 3}


def test_the_overview_puts_problems_first_for_the_callers_clients(
    api: TestClient, world: World
) -> None:
    alice = get(api, world, "alice", "/overview")
    # 7 checks: the acme router has `credentials:`, so its profile adds an snmp check
    assert (alice["clients"], alice["sites"], alice["devices"], alice["checks"]) == (2, 2, 5, 7)
    assert alice["devices_by_status"]["DOWN"] == 1 and alice["devices_by_status"]["UP"] == 4
    systems = {s["system"]: s for s in alice["systems"]}
    assert list(systems) == ["network", "av", "control", "security", "power", "it"]
    assert (systems["av"]["total"], systems["av"]["by_status"]["DOWN"]) == (1, 1)
    assert systems["network"]["by_status"]["UP"] == 3
    [tv] = alice["problems"]
    assert (tv["key"], tv["status"], alice["problems_total"]) == ("tv", "DOWN", 1)
    assert [c["name"] for c in tv["failing_checks"]] == ["tcp"]
    assert alice["last_result_at"] == world.clock.now() - 60
    bob = get(api, world, "bob", "/overview")
    assert (bob["devices"], bob["problems"], bob["devices_by_status"]["UP"]) == (3, [], 3)
    carol = get(api, world, "carol", "/overview")
    assert (carol["devices"], [p["key"] for p in carol["problems"]]) == (2, ["tv"])


def test_flips_say_what_changed_when_newest_first(api: TestClient, world: World) -> None:
    flips = get(api, world, "carol", "/flips")["items"]
    assert {f["client"] for f in flips} == {"globex"}
    assert [f["at"] for f in flips] == sorted((f["at"] for f in flips), reverse=True)
    tv = device_id(api, world, "globex", "tv")
    newest = get(api, world, "carol", "/flips", device_id=tv)["items"]
    assert [(f["subject"], f["device"], f["check"], f["old"], f["new"]) for f in newest[:2]] == [
        ("device", "tv", None, "UP", "DOWN"),
        ("check", "tv", "tcp", "OK", "CRIT"),
    ]
    check_id = newest[1]["check_id"]
    only_check = get(api, world, "carol", "/flips", check_id=check_id)["items"]
    assert {f["check_id"] for f in only_check} == {check_id}
    recent = get(api, world, "alice", "/flips", since=world.clock.now() - 900)["items"]
    assert [(f["subject"], f["new"]) for f in recent] == [("device", "DOWN"), ("check", "CRIT")]
    devices_only = get(api, world, "alice", "/flips", subject="device", hard="true")
    assert {f["subject"] for f in devices_only["items"]} == {"device"}
    assert devices_only["total"] == len(devices_only["items"])
