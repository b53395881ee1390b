"""/metrics: Prometheus exposition, scoped to the caller like every other route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World


def test_metrics_need_a_token(api: TestClient) -> None:
    r = api.get("/metrics")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_an_admin_sees_every_clients_devices_in_prometheus_format(
    api: TestClient, world: World
) -> None:
    r = api.get("/metrics", headers=world.personas["alice"].headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = r.text
    assert "# TYPE sitekeeper_device_status gauge" in body
    assert (
        'sitekeeper_device_status{client="acme",device="nvr",kind="nvr",site="hq",status="UP",system="security"} 1.0'
        in body
    )
    assert 'client="globex",device="tv"' in body
    assert (
        'sitekeeper_check_status{check="tcp",client="globex",device="tv",status="CRIT",type="tcp"} 1.0'
        in body
    )
    assert "sitekeeper_check_latency_seconds" in body
    assert "vault/acme-router" not in body


def test_a_technician_sees_only_their_clients(api: TestClient, world: World) -> None:
    body = api.get("/metrics", headers=world.personas["bob"].headers).text
    assert 'client="acme"' in body
    assert 'client="globex"' not in body


def test_a_client_user_sees_only_their_own(api: TestClient, world: World) -> None:
    body = api.get("/metrics", headers=world.personas["carol"].headers).text
    assert 'client="globex"' in body
    assert 'client="acme"' not in body
