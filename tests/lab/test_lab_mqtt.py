"""The lab's MQTT devices against the real Mosquitto on 127.0.0.1:1883, seen through the
product's own mqtt probe and judgement: online in each ecosystem's dialect, offline when
failed (and by last will when the lab dies), a low battery in words, and every lab on its
own topic prefix."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import sys
from collections.abc import AsyncIterator

import aiomqtt
import pytest
import yaml
from labkit import mosquitto, probe_judged, resolve_checks, run_check, start_lab

from sitekeeper.checks.specs import CheckSpec
from sitekeeper.checks.specs_devices import MqttCheck
from sitekeeper.errors import LabError
from sitekeeper.inventory.models import Defaults, Device, Inventory
from sitekeeper.lab import Lab
from sitekeeper.lab.mqtt_devices import choose_broker, parse_broker
from sitekeeper.lab.plan import mqtt_dialect
from sitekeeper.state.model import CheckStatus

MQTT_DEVICES = {"zigbee-bridge", "fridge-sensor", "fridge-plug", "sign-relay"}
WAIT_S = 5.0


@pytest.fixture
async def mqtt_lab() -> AsyncIterator[Lab]:
    running = await start_lab(mqtt=mosquitto())
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def closed_port() -> int:
    """A port that was just free: bound, then closed, so connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mqtt_devices(lab: Lab) -> tuple[Defaults, dict[str, Device]]:
    inventory = Inventory.model_validate(yaml.safe_load(lab.inventory_text()))
    devices = inventory.clients[0].sites[0].devices
    return inventory.defaults, {d.id: d for d in devices if mqtt_dialect(d.tags)}


def check(lab: Lab, device_id: str, name: str) -> tuple[str, CheckSpec, int | None]:
    inventory = Inventory.model_validate(yaml.safe_load(lab.inventory_text()))
    device = next(d for d in inventory.clients[0].sites[0].devices if d.id == device_id)
    spec, port = next(
        (s, p) for s, p in resolve_checks(device, inventory.defaults) if s.check_name == name
    )
    return device.address, spec, port


async def judged(lab: Lab, device_id: str, name: str) -> tuple[CheckStatus, str]:
    return await probe_judged(*check(lab, device_id, name))


async def retained(prefix: str) -> dict[str, bytes]:
    """Every retained message under `prefix`: those the broker sends on subscribing, which
    all arrive before a marker published after the subscription."""
    marker = f"{prefix}/marker-{os.getpid()}"
    found: dict[str, bytes] = {}
    async with aiomqtt.Client("127.0.0.1", 1883, timeout=WAIT_S) as client:
        await client.subscribe(f"{prefix}/#", qos=1)
        await client.publish(marker, b"end", qos=1)
        async with asyncio.timeout(WAIT_S):
            async for message in client.messages:
                if message.topic.value == marker:
                    return found
                if message.retain and isinstance(message.payload, bytes):
                    found[message.topic.value.removeprefix(prefix + "/")] = message.payload
    raise AssertionError("unreachable: the marker ends the loop or the timeout fires")


async def test_every_check_of_every_mqtt_device_is_ok(mqtt_lab: Lab) -> None:
    defaults, devices = mqtt_devices(mqtt_lab)
    assert set(devices) == MQTT_DEVICES
    assert mqtt_lab.mqtt is not None
    prefix = mqtt_lab.mqtt.place.prefix
    jobs, names = [], []
    for device in devices.values():
        for spec, port in resolve_checks(device, defaults):
            assert isinstance(spec, MqttCheck)
            assert spec.topic.startswith(f"{prefix}/") and spec.broker == "127.0.0.1"
            jobs.append(run_check(device.address, spec, port))
            names.append(f"{device.id}/{spec.check_name}")
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failures = [f"{n}: {r!r}" for n, r in zip(names, results, strict=True) if r is not None]
    assert not failures
    assert len(names) == 6


@pytest.mark.parametrize(
    ("device_id", "words"),
    [
        ("fridge-plug", 'tele/fridge-plug/LWT says "Offline" (offline)'),
        ("sign-relay", 'shellies/sign-relay/online says "false" (offline)'),
        ("zigbee-bridge", 'zigbee2mqtt/bridge/state says "{"state": "offline"}" (offline)'),
    ],
)
async def test_fail_says_offline_in_the_device_dialect_and_recover_online(
    mqtt_lab: Lab, device_id: str, words: str
) -> None:
    await mqtt_lab.fail(device_id)
    status, reason = await judged(mqtt_lab, device_id, "availability")
    assert status is CheckStatus.CRIT
    assert reason.endswith(words), reason
    await mqtt_lab.recover(device_id)
    assert await judged(mqtt_lab, device_id, "availability") == (CheckStatus.OK, "ok")


async def test_a_failed_bridge_takes_its_zigbee_sensor_offline(
    mqtt_lab: Lab,
) -> None:
    assert mqtt_lab.mqtt is not None
    prefix = mqtt_lab.mqtt.place.prefix
    await mqtt_lab.fail("zigbee-bridge")
    assert mqtt_lab.device_status("fridge-sensor")["cause"] == "zigbee-bridge"
    status, reason = await judged(mqtt_lab, "fridge-sensor", "availability")
    assert status is CheckStatus.CRIT and "fridge-sensor/availability says" in reason
    # its last report stays (retained), fresh enough until max_age passes
    assert "last_seen" in json.loads((await retained(prefix))["zigbee2mqtt/fridge-sensor"])
    await mqtt_lab.recover("zigbee-bridge")
    assert await judged(mqtt_lab, "fridge-sensor", "availability") == (CheckStatus.OK, "ok")
    assert await judged(mqtt_lab, "fridge-sensor", "reporting") == (CheckStatus.OK, "ok")


async def test_a_low_battery_is_reported_in_the_threshold_words(mqtt_lab: Lab) -> None:
    assert mqtt_lab.mqtt is not None
    topic = f"{mqtt_lab.mqtt.place.prefix}/zigbee2mqtt/fridge-sensor"
    async with aiomqtt.Client("127.0.0.1", 1883, timeout=WAIT_S) as client:
        await client.subscribe(topic, qos=1)
        mqtt_lab.set_condition("fridge-sensor", "battery-low")
        async with asyncio.timeout(WAIT_S):  # the report the condition triggers
            async for message in client.messages:
                if (
                    isinstance(message.payload, bytes)
                    and json.loads(message.payload)["battery"] < 10
                ):
                    break
    assert await judged(mqtt_lab, "fridge-sensor", "battery") == (
        CheckStatus.CRIT,
        "battery low (json_value 7)",
    )
    assert await judged(mqtt_lab, "fridge-sensor", "availability") == (CheckStatus.OK, "ok")
    with pytest.raises(LabError, match="battery-low applies to other, and ups is a ups"):
        mqtt_lab.set_condition("ups", "battery-low")
    await mqtt_lab.recover("fridge-sensor")  # clears the condition: it reports at once
    assert (await judged(mqtt_lab, "fridge-sensor", "battery"))[0] is CheckStatus.OK


async def test_two_labs_on_one_broker_never_see_each_other(mqtt_lab: Lab) -> None:
    other = await start_lab(mqtt=mosquitto())
    try:
        assert mqtt_lab.mqtt is not None and other.mqtt is not None
        assert mqtt_lab.mqtt.place.prefix != other.mqtt.place.prefix
        await mqtt_lab.fail("sign-relay")
        assert (await judged(mqtt_lab, "sign-relay", "availability"))[0] is CheckStatus.CRIT
        assert await judged(other, "sign-relay", "availability") == (CheckStatus.OK, "ok")
        mine = await retained(mqtt_lab.mqtt.place.prefix)
        theirs = await retained(other.mqtt.place.prefix)
        assert mine["shellies/sign-relay/online"] == b"false"
        assert theirs["shellies/sign-relay/online"] == b"true"
    finally:
        await other.stop()


async def test_stopping_clears_every_retained_message() -> None:
    lab = await start_lab(mqtt=mosquitto())
    try:
        assert lab.mqtt is not None
        prefix = lab.mqtt.place.prefix
        assert set(await retained(prefix)) == {
            "zigbee2mqtt/bridge/state",
            "zigbee2mqtt/fridge-sensor/availability",
            "zigbee2mqtt/fridge-sensor",
            "tele/fridge-plug/LWT",
            "shellies/sign-relay/online",
        }
    finally:
        await lab.stop()
    assert await retained(prefix) == {}


LAB_SCRIPT = """
import asyncio, sys
from sitekeeper.lab import Lab
async def main():
    lab = Lab(control_port=None, network=sys.argv[1], mqtt_broker="127.0.0.1:1883")
    await lab.start()
    print(lab.mqtt.place.prefix, flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


async def test_a_lab_that_dies_is_reported_offline_by_the_last_wills() -> None:
    mosquitto()
    network = f"127.78.{random.randint(1, 254)}.0/24"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAB_SCRIPT, network, stdout=asyncio.subprocess.PIPE
    )
    prefix = ""
    wanted = {
        "tele/fridge-plug/LWT": b"Offline",
        "shellies/sign-relay/online": b"false",
        "zigbee2mqtt/bridge/state": b'{"state": "offline"}',
    }
    try:
        assert proc.stdout is not None
        prefix = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert prefix.startswith("sitekeeper-lab/"), f"the lab did not start: {prefix!r}"
        assert (await retained(prefix))["tele/fridge-plug/LWT"] == b"Online"
        async with aiomqtt.Client("127.0.0.1", 1883, timeout=WAIT_S) as client:
            await client.subscribe(f"{prefix}/#", qos=1)
            proc.kill()  # no DISCONNECT: the broker publishes each connection's will
            seen: dict[str, bytes] = {}
            async with asyncio.timeout(WAIT_S):
                async for message in client.messages:
                    topic = message.topic.value.removeprefix(prefix + "/")
                    if not message.retain and isinstance(message.payload, bytes):
                        seen[topic] = message.payload
                    if all(seen.get(k) == v for k, v in wanted.items()):
                        break
        left = await retained(prefix)
        assert {k: left[k] for k in wanted} == wanted
        # a Zigbee device has no will of its own: its bridge's last word about it stays
        assert left["zigbee2mqtt/fridge-sensor/availability"] == b'{"state": "online"}'
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone
            proc.kill()
        await asyncio.wait_for(proc.wait(), 10)
        if prefix:
            async with aiomqtt.Client("127.0.0.1", 1883, timeout=WAIT_S) as client:
                for topic in await retained(prefix):
                    await client.publish(f"{prefix}/{topic}", b"", qos=1, retain=True)


async def test_without_a_broker_the_mqtt_devices_are_left_out() -> None:
    lab = await start_lab()
    try:
        assert lab.mqtt is None
        assert not MQTT_DEVICES & set(lab.device_ids)
        assert lab.status()["mqtt"] is None
    finally:
        await lab.stop()


async def test_a_broker_that_does_not_answer_is_named_with_what_to_do(closed_port: int) -> None:
    lab = Lab(
        control_port=None,
        network=f"127.78.{random.randint(1, 254)}.0/24",
        fallback=False,
        mqtt_broker=f"127.0.0.1:{closed_port}",
    )
    with pytest.raises(
        LabError, match=rf"MQTT broker at 127.0.0.1:{closed_port}.*Start the broker"
    ):
        await lab.start()


def test_the_broker_must_be_on_loopback() -> None:
    assert parse_broker("localhost") == ("127.0.0.1", 1883)
    assert parse_broker("127.0.0.1:11883") == ("127.0.0.1", 11883)
    assert parse_broker("off") is None
    with pytest.raises(LabError, match="loopback IPv4 host:port"):
        parse_broker("192.0.2.10:1883")


async def test_the_demo_uses_the_local_broker_when_one_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = mosquitto()
    monkeypatch.delenv("SITEKEEPER_LAB_MQTT", raising=False)
    broker, note = await choose_broker(None)
    assert broker == where and note is not None and "MQTT devices on" in note
    assert await choose_broker("off") == ("off", None)


async def test_battery_low_through_the_cli(mqtt_lab: Lab) -> None:
    from typer.testing import CliRunner

    from sitekeeper.cli.app import app

    assert mqtt_lab.control_url is not None
    where = mqtt_lab.control_url.removeprefix("http://")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["lab", *args, "--lab", where])
        return result.exit_code, result.output

    code, out = await asyncio.to_thread(run, "battery-low", "fridge-sensor")
    assert code == 0 and "battery-low" in out
    code, out = await asyncio.to_thread(run, "battery-low", "fridge-plug")
    assert code == 1 and "applies to other" in out
    code, _ = await asyncio.to_thread(run, "battery-low", "fridge-sensor", "--off")
    assert code == 0 and mqtt_lab.device_status("fridge-sensor")["conditions"] == []
