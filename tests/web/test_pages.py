"""The dashboard's pages over HTTP (no browser), on SQLite and PostgreSQL: sign-in, CSRF,
the rate limit, first-start setup, tenant scoping, and what pages must never contain."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sitekeeper.api.app import create_app
from sitekeeper.auth import accounts
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.results.store import Store
from tests.web.conftest import START, form_token, sign_in
from tests.web.world import PASSWORD, SECRET_REF, World


def pages_of(world: World, client: str) -> list[str]:
    devices = {"acme": ("router", "nvr"), "globex": ("gateway", "tv")}[client]
    site = {"acme": "hq", "globex": "house"}[client]
    paths = [
        f"/clients/{world.id_of(m.Client, client, client)}",
        f"/sites/{world.id_of(m.Site, site, client)}",
        *(f"/devices/{world.id_of(m.Device, d, client)}" for d in devices),
    ]
    return paths + [f"/live{p}" for p in paths]


def test_a_page_without_a_session_redirects_to_sign_in_and_back(
    web: TestClient, world: World
) -> None:
    path = f"/sites/{world.id_of(m.Site, 'hq', 'acme')}"
    r = web.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={path}"
    assert web.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_live_poll_after_the_session_ended_sends_the_page_to_sign_in(web: TestClient) -> None:
    r = web.get(
        "/live/overview",
        headers={"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1:8470/sites/3"},
    )
    assert r.status_code == 200
    assert r.headers["HX-Redirect"] == "/login?next=/sites/3"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_signing_in_only_returns_to_local_pages(web: TestClient, target: str) -> None:
    token = form_token(web.get("/login").text)
    r = web.post(
        "/login",
        data={
            "email": "alice@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(world: World) -> None:
    app = create_app(world.store, clock=world.clock)
    for base, secure in (("http://127.0.0.1:8470", False), ("https://sk.example", True)):
        with TestClient(app, base_url=base) as client:
            token = form_token(client.get("/login").text)
            r = client.post(
                "/login",
                data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            cookie = next(
                c for c in r.headers.get_list("set-cookie") if c.startswith("sk_session=")
            )
            attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
            assert {"httponly", "path", "samesite"} <= attrs
            assert "samesite=lax" in cookie.lower()
            assert ("secure" in attrs) is secure


def test_a_sign_in_posted_without_the_form_cookie_is_refused(world: World, web: TestClient) -> None:
    token = form_token(web.get("/login").text)
    web.cookies.clear()  # as if another site posted the form
    r = web.post(
        "/login",
        data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert "expired" in r.text
    assert "sk_session" not in r.headers.get("set-cookie", "")


def test_a_wrong_password_is_refused_and_the_sixth_try_waits(web: TestClient) -> None:
    for _ in range(5):
        token = form_token(web.get("/login").text)
        r = web.post(
            "/login",
            data={"email": "Alice@Example.com", "password": "wrong", "csrf_token": token},
        )
        assert r.status_code == 401
        assert "Wrong e-mail address or password." in r.text
    token = form_token(web.get("/login").text)
    r = web.post(
        "/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429
    assert "Try again in 5 minutes." in r.text
    assert 0 < int(r.headers["retry-after"]) <= 300


def test_an_unknown_account_is_limited_like_a_known_one(web: TestClient) -> None:
    statuses = []
    for _ in range(6):
        token = form_token(web.get("/login").text)
        r = web.post(
            "/login", data={"email": "nobody@example.com", "password": "x", "csrf_token": token}
        )
        statuses.append(r.status_code)
    assert statuses == [401] * 5 + [429]


def test_signing_out_needs_the_csrf_token_and_ends_the_session(web: TestClient) -> None:
    sign_in(web, "alice@example.com")
    page = web.get("/")
    assert page.status_code == 200
    r = web.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in
    sid = web.cookies["sk_session"]
    r = web.post("/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    web.cookies.set("sk_session", sid)  # the old cookie is worth nothing now
    assert web.get("/", follow_redirects=False).headers["location"] == "/login"


def test_signing_out_also_takes_the_csrf_header(web: TestClient) -> None:
    sign_in(web, "alice@example.com")
    token = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/").text)
    assert token
    r = web.post("/logout", headers={"X-CSRF-Token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303


def test_the_setup_link_creates_the_first_admin_once(store: Store) -> None:
    clock = FakeClock(start=START)
    with store.session() as session:
        token = accounts.issue_setup_token(session)
        session.commit()
    assert token
    with TestClient(create_app(store, clock=clock), base_url="http://127.0.0.1:8470") as web:
        assert web.get("/setup?token=wrong").status_code == 403
        page = web.get(f"/setup?token={token}")
        assert page.status_code == 200
        form = {
            "token": token,
            "name": "Alice Admin",
            "email": "alice@example.com",
            "password": "short",
            "password_again": "short",
            "csrf_token": form_token(page.text),
        }
        r = web.post("/setup", data=form)
        assert r.status_code == 400
        assert "at least 12 characters" in r.text
        form.update(password=PASSWORD, password_again=PASSWORD, csrf_token=form_token(r.text))
        r = web.post("/setup", data=form, follow_redirects=False)
        assert r.status_code == 303
        assert "Alice Admin" in web.get("/").text
        again = web.get(f"/setup?token={token}")
        assert again.status_code == 410
        assert web.post("/setup", data=form).status_code == 410


@pytest.mark.parametrize(
    ("persona", "mine", "theirs"),
    [("bob", "acme", "globex"), ("carol", "globex", "acme")],
)
def test_a_user_sees_their_clients_and_another_clients_pages_are_not_found(
    web: TestClient, world: World, persona: str, mine: str, theirs: str
) -> None:
    sign_in(web, world.email(persona))
    for path in pages_of(world, mine):
        assert web.get(path).status_code == 200, path
    for path in pages_of(world, theirs):
        r = web.get(path)
        assert r.status_code == 404, path
        assert "Not found" in r.text
    overview = web.get("/").text
    other_names = {"acme": ("Acme Dental", "nvr"), "globex": ("Globex Home", "gateway")}[theirs]
    for name in other_names:
        assert name not in overview


def test_an_admin_sees_every_client(web: TestClient, world: World) -> None:
    sign_in(web, world.email("alice"))
    overview = web.get("/").text
    assert "Acme Dental" in overview and "Globex Home" in overview
    for path in pages_of(world, "acme") + pages_of(world, "globex"):
        assert web.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "path", ["/devices/abc", "/devices/99999999999999999999", "/sites/0", "/clients/<b>x"]
)
def test_a_junk_id_gets_the_same_not_found_page(web: TestClient, path: str) -> None:
    sign_in(web, "alice@example.com")
    r = web.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<b>" not in r.text


def test_no_page_shows_a_credentials_reference(web: TestClient, world: World) -> None:
    sign_in(web, world.email("alice"))
    for path in ["/", *pages_of(world, "acme")]:
        assert SECRET_REF not in web.get(path).text, path


def test_pages_are_not_cached_and_have_no_inline_scripts_or_styles(web: TestClient) -> None:
    sign_in(web, "alice@example.com")
    r = web.get("/")
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)
    assert "<style" not in r.text
    assert not re.search(r"\sstyle=", r.text)
    assert not re.search(r"\son[a-z]+=", r.text)


def test_the_overview_puts_problems_first_and_counts_every_system(
    web: TestClient, world: World
) -> None:
    sign_in(web, "alice@example.com")
    html = web.get("/").text
    assert html.index('id="problems-h"') < html.index('id="systems-h"')
    problems = html[html.index('id="problems-h"') : html.index('id="systems-h"')]
    assert 'data-device="tv"' in problems and "CRIT" in problems
    assert 'data-device="router"' not in problems
    for system in ("network", "av", "control", "security", "power", "it"):
        assert f'data-system="{system}"' in html


def test_the_site_groups_devices_by_system_with_parents_first(
    web: TestClient, world: World
) -> None:
    sign_in(web, "alice@example.com")
    html = web.get(f"/sites/{world.id_of(m.Site, 'hq', 'acme')}").text
    network = html[html.index('data-system="network"') :]
    assert network.index('data-device="router"') < network.index('data-device="core-switch"')
    assert 'data-system="security"' in html


def test_stale_data_is_flagged_when_results_stop(web: TestClient, world: World) -> None:
    sign_in(web, "alice@example.com")
    assert "No new results" not in web.get("/").text
    world.clock.advance(3600)
    html = web.get("/").text
    assert "No new results for 60 min" in html
    assert "UNKNOWN" in html


def test_the_vendored_scripts_are_served_from_here(web: TestClient) -> None:
    for path in ("/static/vendor/htmx.min.js", "/static/vendor/uPlot.iife.min.js"):
        r = web.get(path)
        assert r.status_code == 200
        assert "javascript" in r.headers["content-type"]
