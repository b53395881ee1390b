"""Where only 127.0.0.1 can be bound (macOS by default) the lab moves every device there,
on its own ports, and serves an inventory that says so."""

from __future__ import annotations

import random

import pytest
import yaml
from labkit import converse, dns_query, http_get, refused

from sitekeeper.inventory.models import Inventory
from sitekeeper.lab import Lab, can_listen_on
from sitekeeper.lab import lab as lab_module


async def test_fallback_serves_every_device_on_127_0_0_1(fallback_lab: Lab) -> None:
    status = fallback_lab.status()
    assert status["mode"] == "fallback"
    assert {d["address"] for d in status["devices"]} == {"127.0.0.1"}
    ports = [p for d in status["devices"] for p in d["ports"].values()]
    assert len(ports) == len(set(ports))
    inventory = Inventory.model_validate(yaml.safe_load(fallback_lab.inventory_text()))
    devices = {d.id: d for d in inventory.clients[0].sites[0].devices}
    assert devices["nvr"].ports == fallback_lab.plan.device("nvr").ports
    assert "127.77." not in fallback_lab.inventory_text()


async def test_fallback_devices_answer_and_fail_like_the_real_layout(fallback_lab: Lab) -> None:
    address, port = fallback_lab.endpoint("cam-1", "rtsp")
    assert address == "127.0.0.1"
    await converse(address, port, b"OPTIONS rtsp://c/ RTSP/1.0\r\nCSeq: 3\r\n\r\n", "CSeq: 3")
    assert await dns_query(*fallback_lab.endpoint("router", "dns"), "cam-1.lab.example") == [
        "127.0.0.1"
    ]
    await fallback_lab.fail("core-switch")
    assert await refused(address, port)
    status, _, _ = await http_get(*fallback_lab.endpoint("router", "https"), scheme="https")
    assert status == 200


async def test_it_falls_back_by_itself_when_aliases_cannot_be_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def no_aliases(address: str) -> bool:
        asked.append(address)
        return False

    monkeypatch.setattr(lab_module, "can_listen_on", no_aliases)
    lab = Lab(control_port=None, fallback_base_port=random.randrange(30300, 32000, 10))
    await lab.start()
    try:
        assert lab.mode == "fallback"
        assert asked == ["127.77.0.1"]
        assert lab.control_url is None
    finally:
        await lab.stop()


def test_can_listen_on_tells_a_local_address_from_a_foreign_one() -> None:
    assert can_listen_on("127.0.0.1")
    assert not can_listen_on("192.0.2.1")  # TEST-NET-1: bound only, no packet is sent
