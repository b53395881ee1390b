"""The control API through LabClient, the way `sitekeeper lab fail ...` will use it.

LabClient is synchronous (the CLI is); here the lab shares the test's event loop, so every
call goes through a thread."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import urllib.error
import urllib.request

import pytest
import yaml
from labkit import refused, start_lab

from sitekeeper.errors import LabError, NotFound
from sitekeeper.inventory.models import Inventory
from sitekeeper.lab import Lab, LabClient, UnknownDevice, run_lab


@pytest.fixture
def client(lab: Lab) -> LabClient:
    assert lab.control_url is not None
    return LabClient(lab.control_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_status_lists_every_device_with_address_ports_fault_and_state(
    lab: Lab, client: LabClient
) -> None:
    status = await asyncio.to_thread(client.status)
    assert status["site"] == "Harbour View Dental"
    assert status["mode"] == "addresses"
    assert len(status["devices"]) == 26
    router = status["devices"][0]
    assert router["id"] == "router"
    assert router["address"] == lab.endpoint("router", "dns")[0]
    assert router["ports"] == {"https": 8443, "dns": 8053}
    assert router["fault"] is None
    assert router["state"] == "up"


async def test_fail_and_recover_through_the_api(lab: Lab, client: LabClient) -> None:
    result = await asyncio.to_thread(client.fail, "poe-switch-1")
    assert result["state"] == "down"
    assert await refused(*lab.endpoint("cam-1", "rtsp"))
    cam = await asyncio.to_thread(client.device, "cam-1")
    assert (cam["state"], cam["cause"]) == ("down", "poe-switch-1")
    await asyncio.to_thread(client.recover, "poe-switch-1")
    assert not await refused(*lab.endpoint("cam-1", "rtsp"))


async def test_degrade_flap_and_recover_all_through_the_api(client: LabClient) -> None:
    degraded = await asyncio.to_thread(client.degrade, "nas", 120, 10)
    assert degraded["fault"] == {"mode": "degraded", "latency_ms": 120.0, "loss_pct": 10.0}
    flapping = await asyncio.to_thread(client.flap, "cam-2", 5)
    assert flapping["fault"] == {"mode": "flapping", "period_s": 5.0}
    assert flapping["state"] == "down"
    status = await asyncio.to_thread(client.recover_all)
    assert status["counts"]["up"] == 26


async def test_the_inventory_in_use_comes_back_as_yaml(lab: Lab, client: LabClient) -> None:
    text = await asyncio.to_thread(client.inventory_text)
    assert text == lab.inventory_text()
    assert lab.inventory_path().read_text() == text
    Inventory.model_validate(yaml.safe_load(text))


async def test_an_unknown_device_error_lists_the_valid_ids(client: LabClient) -> None:
    with pytest.raises(UnknownDevice) as caught:
        await asyncio.to_thread(client.fail, "cam-9")
    assert isinstance(caught.value, NotFound)
    assert caught.value.device_id == "cam-9"
    assert "valid ids: router, ups, pdu, core-switch" in str(caught.value)


async def test_bad_fault_parameters_are_explained(client: LabClient) -> None:
    with pytest.raises(LabError, match="loss_pct must be between 0 and 100"):
        await asyncio.to_thread(client.degrade, "nas", 10, 150)
    with pytest.raises(LabError, match="period_s"):
        await asyncio.to_thread(client.flap, "nas", 0)


async def test_a_body_that_is_not_json_is_a_400(lab: Lab) -> None:
    request = urllib.request.Request(
        f"{lab.control_url}/devices/nas/flap",
        data=b"{nope",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as caught:
        await asyncio.to_thread(opener.open, request, None, 5)
    assert caught.value.code == 400
    assert "not JSON" in json.loads(caught.value.read())["error"]
    caught.value.close()


async def test_it_refuses_what_a_web_page_could_send(lab: Lab) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    form = urllib.request.Request(
        f"{lab.control_url}/devices/nas/fail",
        data=b"x=1",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    rebound = urllib.request.Request(f"{lab.control_url}/status", headers={"Host": "evil.example"})
    for request, code in ((form, 415), (rebound, 403)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            await asyncio.to_thread(opener.open, request, None, 5)
        assert caught.value.code == code
        caught.value.close()
    assert lab.device_status("nas")["fault"] is None


def test_no_lab_running_is_a_clear_error() -> None:
    port = free_port()
    with pytest.raises(LabError, match=rf"no lab is running at 127.0.0.1:{port}; start it with"):
        LabClient(f"http://127.0.0.1:{port}").status()


async def test_a_port_in_use_is_named_with_what_to_do(lab: Lab) -> None:
    second = Lab(control_port=0, network=lab.plan.network)
    with pytest.raises(LabError, match=r"127\.78\.\d+\.\d+:\d+ \(.+\) is already in use"):
        await second.start()
    assert not await refused(*lab.endpoint("router", "dns"))  # the first lab is unharmed


async def test_a_control_port_in_use_is_named(lab: Lab) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = Lab(control_port=port, network=f"127.79.{random.randint(1, 254)}.0/24")
        with pytest.raises(LabError, match=rf"127.0.0.1:{port} \(lab control API\) is already"):
            await other.start()


async def test_run_lab_serves_until_stopped() -> None:
    stop = asyncio.Event()
    ready: list[Lab] = []
    is_ready = asyncio.Event()

    def on_ready(running: Lab) -> None:
        ready.append(running)
        is_ready.set()

    probe = await start_lab()  # find a free block, then hand it to run_lab
    network = probe.plan.network
    await probe.stop()
    task = asyncio.create_task(run_lab(0, stop, on_ready=on_ready, network=network, fallback=False))
    await asyncio.wait_for(is_ready.wait(), 5)
    (lab,) = ready
    assert not await refused(*lab.endpoint("nvr", "http"))
    address, port = lab.endpoint("nvr", "http")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert await refused(address, port)
