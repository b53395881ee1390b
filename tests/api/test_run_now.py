"""POST /checks/{id}/run: run a probe now against a real listener on loopback and return
what it saw, step by step; nothing is stored."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sitekeeper.db import models as m
from tests.api.conftest import World


@pytest.fixture
def greeter() -> Iterator[int]:
    """A TCP service on 127.0.0.1 that greets each connection with a banner."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"HELLO sitekeeper\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


def add_device(api: TestClient, world: World, port: int) -> dict[str, int]:
    """acme gets a device with a tcp check on `port`; returns its checks' ids by name."""
    checks = [
        {"type": "tcp", "name": "banner", "port": port, "expect": "^HELLO"},
        {"type": "tcp", "name": "closed", "port": closed_port(), "timeout": "2s"},
    ]
    device = {"id": "panel", "kind": "keypad", "address": "127.0.0.1", "checks": checks}
    data = {
        "defaults": {"disable_checks": ["icmp"]},
        "clients": [
            {"id": "acme", "sites": [{"id": "hq", "name": "Head office", "devices": [device]}]}
        ],
    }
    headers = {**world.personas["alice"].headers, "Content-Type": "application/yaml"}
    r = api.post("/api/v1/inventory/apply", content=yaml.safe_dump(data), headers=headers)
    assert r.status_code == 200, r.text
    with world.store.session() as s:
        rows = s.execute(
            select(m.Check.name, m.Check.id)
            .join(m.Device, m.Device.id == m.Check.device_id)
            .where(m.Device.key == "panel", m.Check.retired_at.is_(None))
        )
        return {str(name): int(cid) for name, cid in rows}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(api: TestClient, world: World, who: str, check_id: int) -> Any:
    return api.post(f"/api/v1/checks/{check_id}/run", headers=world.personas[who].headers)


def result_count(world: World) -> int:
    with world.store.session() as s:
        return int(s.scalar(select(func.count()).select_from(m.Result)) or 0)


def test_run_now_returns_what_the_probe_saw(api: TestClient, world: World, greeter: int) -> None:
    checks = add_device(api, world, greeter)
    stored = result_count(world)
    r = run(api, world, "bob", checks["banner"])
    assert r.status_code == 200, r.text
    seen = r.json()
    assert (seen["ok"], seen["status"], seen["reason"]) == (True, "OK", "ok")
    assert (seen["device"], seen["check"], seen["type"]) == ("panel", "banner", "tcp")
    assert seen["target"] == f"127.0.0.1:{greeter}"
    assert seen["values"]["banner"].startswith("HELLO")
    assert seen["latency_ms"] is not None and seen["error"] is None
    assert any(f"127.0.0.1:{greeter}" in line for line in seen["log"])
    assert result_count(world) == stored  # run-now is not a result


def test_run_now_of_a_closed_port_is_crit_with_the_reason(
    api: TestClient, world: World, greeter: int
) -> None:
    checks = add_device(api, world, greeter)
    seen = run(api, world, "alice", checks["closed"]).json()
    assert (seen["ok"], seen["status"]) == (False, "CRIT")
    assert "refused" in seen["error"] and seen["reason"] == seen["error"]
    assert seen["log"][-1].startswith("error:")


def test_run_now_is_for_those_who_may_act_on_the_client(
    api: TestClient, world: World, greeter: int
) -> None:
    checks = add_device(api, world, greeter)
    assert run(api, world, "carol", checks["banner"]).status_code == 403
    with world.store.session() as s:
        tv_check = s.scalar(
            select(m.Check.id)
            .join(m.Device, m.Device.id == m.Check.device_id)
            .where(m.Device.key == "tv")
        )
    assert tv_check is not None
    assert run(api, world, "bob", tv_check).status_code == 404
    assert run(api, world, "bob", 999_999).status_code == 404
