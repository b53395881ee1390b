"""API tokens: created once, listed without secrets, revoked for good; never stronger than
the account or token that made them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sitekeeper.auth import accounts
from sitekeeper.db import models as m
from tests.api.conftest import World

URL = "/api/v1/tokens"


def create(api: TestClient, world: World, who: str, **body: Any) -> Any:
    return api.post(URL, json={"name": "script", **body}, headers=world.personas[who].headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_new_token_is_shown_once_and_works(api: TestClient, world: World) -> None:
    r = create(api, world, "bob", scopes=["read", "write"], expires_in_days=30)
    assert r.status_code == 201, r.text
    made = r.json()
    token = made["token"]
    assert token.startswith("skt_") and made["prefix"] in token
    assert made["expires_at"] == world.clock.now() + 30 * 86400
    assert (made["scopes"], made["active"]) == (["read", "write"], True)
    me = api.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["email"], me["token"]["id"]) == ("bob@example.com", made["id"])
    listed = api.get(URL, headers=world.personas["bob"].headers)
    assert token not in listed.text and "hash" not in listed.text
    assert [t["name"] for t in listed.json()["items"]] == ["script", "bob-test"]
    assert "token" not in listed.json()["items"][0]


def test_a_revoked_token_gets_401(api: TestClient, world: World) -> None:
    made = create(api, world, "bob").json()
    assert api.get("/api/v1/me", headers=bearer(made["token"])).status_code == 200
    r = api.delete(f"{URL}/{made['id']}", headers=world.personas["bob"].headers)
    assert r.status_code == 200
    assert (r.json()["active"], r.json()["revoked_at"]) == (False, world.clock.now())
    r = api.get("/api/v1/me", headers=bearer(made["token"]))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_an_expired_token_gets_401(api: TestClient, world: World) -> None:
    made = create(api, world, "alice", expires_in_days=1).json()
    world.clock.advance(86400 + 1)
    assert api.get("/api/v1/me", headers=bearer(made["token"])).status_code == 401
    listed = api.get(URL, headers=world.personas["alice"].headers).json()["items"]
    assert next(t for t in listed if t["id"] == made["id"])["active"] is False


def test_only_admins_revoke_other_peoples_tokens(api: TestClient, world: World) -> None:
    bobs = create(api, world, "bob").json()
    alices = create(api, world, "alice").json()
    r = api.delete(f"{URL}/{alices['id']}", headers=world.personas["bob"].headers)
    assert r.status_code == 404  # not "forbidden": other people's tokens are not revealed
    r = api.delete(f"{URL}/{bobs['id']}", headers=world.personas["alice"].headers)
    assert r.status_code == 200
    assert api.get("/api/v1/me", headers=bearer(bobs["token"])).status_code == 401


def test_a_read_token_cannot_mint_or_revoke_tokens_or_act(api: TestClient, world: World) -> None:
    read = create(api, world, "alice", scopes=["read"]).json()
    assert read["scopes"] == ["read"]
    r = api.post(URL, json={"name": "x", "scopes": ["write"]}, headers=bearer(read["token"]))
    assert r.status_code == 403
    r = api.delete(f"{URL}/{read['id']}", headers=bearer(read["token"]))
    assert r.status_code == 403
    r = api.post("/api/v1/checks/1/run", headers=bearer(read["token"]))
    assert r.status_code == 403
    assert api.get("/api/v1/devices", headers=bearer(read["token"])).status_code == 200


def test_unknown_scopes_and_bad_bodies_are_422(api: TestClient, world: World) -> None:
    for body in (
        {"name": "x", "scopes": ["admin"]},
        {"name": ""},
        {"name": "x", "expires_in_days": 0},
        {"name": "x", "extra": 1},
    ):
        r = api.post(URL, json=body, headers=world.personas["alice"].headers)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_request"


def browser(api: TestClient, world: World, who: str) -> tuple[dict[str, str], str]:
    """A signed-in browser for `who`: its cookie and CSRF token."""
    with world.store.session() as s:
        user = s.get(m.User, world.personas[who].user_id)
        assert user is not None
        sid, row = accounts.create_session(s, user, world.clock.now())
        s.commit()
        return {"sk_session": sid}, row.csrf_token


def test_a_browser_needs_the_csrf_token_and_client_users_get_read_tokens(
    api: TestClient, world: World
) -> None:
    cookies, csrf = browser(api, world, "carol")
    api.cookies.update(cookies)
    try:
        r = api.post(URL, json={"name": "portal"})
        assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf")
        r = api.post(
            URL, json={"name": "portal", "scopes": ["write"]}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 403
        r = api.post(URL, json={"name": "portal"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201, r.text
        assert r.json()["scopes"] == ["read"]
    finally:
        api.cookies.clear()
