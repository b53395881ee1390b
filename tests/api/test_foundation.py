"""The server's foundation: health, error bodies, authentication, headers, body limits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World


def test_health_answers_without_signing_in(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}


def test_the_openapi_document_is_served(api: TestClient) -> None:
    doc = api.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "sitekeeper"


def test_every_response_carries_security_headers(api: TestClient) -> None:
    r = api.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_an_unknown_path_has_the_common_error_body(api: TestClient) -> None:
    r = api.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_a_bad_token_is_401_with_a_clear_message(api: TestClient, world: World) -> None:
    r = api.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 200  # the document itself is public
    r = api.post("/api/v1/nope", content=b"x" * (3 * 1024 * 1024))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
