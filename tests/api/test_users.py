"""Users, for admins: list, create, change role, clients and access. No password hash is
ever returned, and an admin cannot lock themselves (and so everyone) out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, World

URL = "/api/v1/users"


def as_alice(api: TestClient, world: World, method: str, path: str = "", **kwargs: Any) -> Any:
    return api.request(method, URL + path, headers=world.personas["alice"].headers, **kwargs)


def test_admins_list_users_without_their_password_hashes(api: TestClient, world: World) -> None:
    r = as_alice(api, world, "GET")
    assert r.status_code == 200
    users = {u["email"]: u for u in r.json()["items"]}
    assert list(users) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert users["bob@example.com"]["clients"] == ["acme"]
    assert users["carol@example.com"]["client"] == "globex"
    assert users["alice@example.com"]["has_password"] is True
    assert "argon2" not in r.text and "password_hash" not in r.text
    r = as_alice(api, world, "GET", params={"role": "client"})
    assert [u["email"] for u in r.json()["items"]] == ["carol@example.com"]


def test_others_may_not_manage_users(api: TestClient, world: World) -> None:
    for who in ("bob", "carol"):
        r = api.get(URL, headers=world.personas[who].headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")


def test_an_admin_creates_technicians_and_client_users(api: TestClient, world: World) -> None:
    r = as_alice(
        api,
        world,
        "POST",
        json={
            "email": "Dave@Example.com",
            "name": "Dave",
            "role": "technician",
            "clients": ["acme", "globex"],
        },
    )
    assert r.status_code == 201, r.text
    dave = r.json()
    assert (dave["email"], dave["clients"], dave["has_password"]) == (
        "dave@example.com",
        ["acme", "globex"],
        False,
    )
    r = as_alice(
        api,
        world,
        "POST",
        json={
            "email": "erin@example.com",
            "role": "client",
            "client": "acme",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 201, r.text
    assert (r.json()["client"], r.json()["has_password"], r.json()["name"]) == (
        "acme",
        True,
        "erin@example.com",
    )
    assert "argon2" not in r.text


def test_bad_users_are_refused_with_a_reason(api: TestClient, world: World) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"email": "bob@example.com", "role": "admin"}, 409, "already exists"),
        ({"email": "x@example.com", "role": "client"}, 422, "client"),
        ({"email": "x@example.com", "role": "client", "client": "initech"}, 422, "initech"),
        ({"email": "x@example.com", "role": "admin", "clients": ["acme"]}, 422, "technicians"),
        ({"email": "not an address", "role": "admin"}, 422, "e-mail"),
        ({"email": "x@example.com", "role": "admin", "password": "short"}, 422, "password"),
        ({"email": "x@example.com", "role": "owner"}, 422, "role"),
    ]
    for body, status, words in cases:
        r = as_alice(api, world, "POST", json=body)
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["error"]["message"], (body, r.text)


def test_an_admin_changes_role_clients_and_access(api: TestClient, world: World) -> None:
    bob = world.personas["bob"]
    r = as_alice(api, world, "PATCH", f"/{bob.user_id}", json={"clients": ["globex"]})
    assert r.status_code == 200 and r.json()["clients"] == ["globex"]
    me = api.get("/api/v1/me", headers=bob.headers).json()
    assert [c["key"] for c in me["clients"]] == ["globex"]
    r = as_alice(api, world, "PATCH", f"/{bob.user_id}", json={"role": "client", "client": "acme"})
    assert (r.json()["role"], r.json()["client"], r.json()["clients"]) == ("client", "acme", [])
    assert api.post("/api/v1/checks/1/run", headers=bob.headers).status_code == 403
    r = as_alice(api, world, "PATCH", f"/{bob.user_id}", json={"disabled": True})
    assert r.json()["disabled"] is True
    assert api.get("/api/v1/me", headers=bob.headers).status_code == 401
    r = as_alice(api, world, "PATCH", f"/{bob.user_id}", json={"disabled": False, "name": "Robert"})
    assert (r.json()["disabled"], r.json()["name"]) == (False, "Robert")
    assert api.get("/api/v1/me", headers=bob.headers).status_code == 200


def test_role_changes_keep_clients_consistent(api: TestClient, world: World) -> None:
    carol = world.personas["carol"].user_id
    r = as_alice(api, world, "PATCH", f"/{carol}", json={"role": "technician"})
    assert (r.json()["client"], r.json()["clients"]) == (None, [])
    r = as_alice(api, world, "PATCH", f"/{carol}", json={"role": "client"})
    assert r.status_code == 422 and "client" in r.json()["error"]["message"]
    r = as_alice(api, world, "PATCH", f"/{carol}", json={"clients": ["nope"]})
    assert r.status_code == 422
    assert as_alice(api, world, "PATCH", "/999999", json={"name": "x"}).status_code == 404


def test_an_admin_cannot_demote_or_disable_themselves(api: TestClient, world: World) -> None:
    alice = world.personas["alice"].user_id
    for body in ({"role": "technician"}, {"disabled": True}):
        r = as_alice(api, world, "PATCH", f"/{alice}", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    r = as_alice(api, world, "PATCH", f"/{alice}", json={"name": "Alice A."})
    assert r.status_code == 200
