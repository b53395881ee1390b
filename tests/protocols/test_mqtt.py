"""MQTT probe against the real Mosquitto on loopback, and the availability conventions."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sitekeeper.checks.specs_devices import MqttCheck
from sitekeeper.probes import mqtt as mqtt_probe
from sitekeeper.probes.base import Target
from sitekeeper.protocols import mqtt

from .conftest import LOOPBACK, MOSQUITTO_PORT, SLACK, MakeCtx, Retained

TARGET = Target(check_id=1, address=LOOPBACK, port=MOSQUITTO_PORT, name="lamp")


def check(topic: str, **kw: object) -> MqttCheck:
    return MqttCheck.model_validate({"topic": topic, **kw})


class Lines(list[str]):
    """A probe's debug log that tells a waiting test when the subscription stands."""

    def __init__(self) -> None:
        super().__init__()
        self.subscribed = asyncio.Event()

    def append(self, line: str) -> None:
        super().append(line)
        if line.startswith("subscribed to"):
            self.subscribed.set()


# --- availability topics ------------------------------------------------------------------


async def test_it_reads_a_retained_online_as_available(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("hass/availability", "online")
    obs = await mqtt_probe.probe(TARGET, check(topic), make_ctx(3))
    assert obs.ok is True, obs.error
    assert obs.values["available"] is True
    assert obs.values["retained"] is True
    assert obs.values["payload"] == "online"
    assert obs.latency_ms is not None


async def test_it_fails_a_retained_offline(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("hass/availability", "offline")
    obs = await mqtt_probe.probe(TARGET, check(topic), make_ctx(3))
    assert obs.ok is False
    assert obs.values["available"] is False
    assert obs.error == f'{topic} says "offline" (offline)'


async def test_it_reads_zigbee2mqtt_json_availability(broker: Retained, make_ctx: MakeCtx) -> None:
    online = await broker.publish("zigbee2mqtt/desk lamp/availability", '{"state":"online"}')
    offline = await broker.publish("zigbee2mqtt/bridge/state", json.dumps({"state": "offline"}))
    assert (await mqtt_probe.probe(TARGET, check(online), make_ctx(3))).ok is True
    obs = await mqtt_probe.probe(TARGET, check(offline), make_ctx(3))
    assert obs.ok is False
    assert "offline" in (obs.error or "")


async def test_it_reads_a_tasmota_lwt(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("tele/plug-1/LWT", "Offline")
    obs = await mqtt_probe.probe(TARGET, check(topic), make_ctx(3))
    assert obs.ok is False
    await broker.publish("tele/plug-1/LWT", "Online")
    assert (await mqtt_probe.probe(TARGET, check(topic), make_ctx(3))).ok is True


async def test_it_reads_a_shelly_online_flag_through_a_wildcard(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    await broker.publish("shellies/shelly1-a4cf12/online", "true")
    obs = await mqtt_probe.probe(TARGET, check(broker.topic("shellies/+/online")), make_ctx(3))
    assert obs.ok is True
    assert obs.values["topic"] == broker.topic("shellies/shelly1-a4cf12/online")


async def test_it_fills_in_the_device_id(broker: Retained, make_ctx: MakeCtx) -> None:
    await broker.publish("zigbee2mqtt/lamp/availability", "online")
    spec = check(broker.topic("zigbee2mqtt/{device}/availability"))
    assert (await mqtt_probe.probe(TARGET, spec, make_ctx(3))).ok is True


async def test_a_home_assistant_state_topic_is_unavailable_or_not(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    topic = await broker.publish("homeassistant/light/porch/state", "unavailable")
    obs = await mqtt_probe.probe(TARGET, check(topic, availability=True), make_ctx(3))
    assert obs.ok is False
    await broker.publish("homeassistant/light/porch/state", "on")
    obs = await mqtt_probe.probe(TARGET, check(topic, availability=True), make_ctx(3))
    assert obs.ok is True
    assert obs.values["available"] is True


async def test_an_availability_payload_it_cannot_read_is_unknown(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    topic = await broker.publish("node/status", "rebooting")
    obs = await mqtt_probe.probe(TARGET, check(topic), make_ctx(3))
    assert obs.ok is None
    assert "cannot tell availability" in (obs.error or "")


# --- generic payload conditions -------------------------------------------------------------


async def test_it_compares_a_json_field(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("tele/plug-1/STATE", '{"POWER": "ON", "Wifi": {"RSSI": 62}}')
    obs = await mqtt_probe.probe(
        TARGET, check(topic, json_field="POWER", json_equals="ON"), make_ctx(3)
    )
    assert obs.ok is True
    assert obs.values["json_value"] == "ON"
    assert "available" not in obs.values  # STATE is telemetry, not availability
    obs = await mqtt_probe.probe(
        TARGET, check(topic, json_field="Wifi.RSSI", json_equals=80), make_ctx(3)
    )
    assert obs.ok is False
    assert obs.error == "payload: expected Wifi.RSSI = 80, got 62"


async def test_it_matches_a_payload_regex(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("ups/status", "OB LB")
    obs = await mqtt_probe.probe(
        TARGET, check(topic, availability=False, payload_regex=r"^OL\b"), make_ctx(3)
    )
    assert obs.ok is False
    assert obs.error == 'payload does not match "^OL\\b"'
    assert obs.values["payload"] == "OB LB"


# --- silence, staleness, refusal ------------------------------------------------------------


async def test_a_topic_never_published_times_out_at_the_deadline(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    topic = broker.topic("never/published")
    t0 = time.monotonic()
    obs = await mqtt_probe.probe(TARGET, check(topic), make_ctx(1.0))
    elapsed = time.monotonic() - t0
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith(f"no message on {topic} within ")
    assert 0.6 <= elapsed <= 1.0 + SLACK


async def test_silence_can_be_unknown_rather_than_critical(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    spec = check(broker.topic("never/published"), on_stale="unknown")
    obs = await mqtt_probe.probe(TARGET, spec, make_ctx(0.5))
    assert obs.ok is None


async def test_a_live_message_counts_when_the_retained_one_has_no_age(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    topic = await broker.publish("sensor/temp", "21.5")
    ctx = make_ctx(4)
    ctx.lines = lines = Lines()
    running = asyncio.create_task(mqtt_probe.probe(TARGET, check(topic, max_age=3), ctx))
    async with asyncio.timeout(5):
        await lines.subscribed.wait()
    await broker.publish("sensor/temp", "21.7", retain=False)
    obs = await running
    assert obs.ok is True, obs.error
    assert obs.values["payload"] == "21.7"
    assert obs.values["retained"] is False
    assert obs.values["age_s"] == 0.0


async def test_a_stale_topic_fails_after_max_age(broker: Retained, make_ctx: MakeCtx) -> None:
    topic = await broker.publish("sensor/temp", "21.5")
    t0 = time.monotonic()
    obs = await mqtt_probe.probe(TARGET, check(topic, max_age=0.5, timeout=3), make_ctx(3))
    assert obs.ok is False
    assert (
        obs.error
        == f"stale: no message on {topic} for 0.5s (only a retained message of unknown age)"
    )
    assert time.monotonic() - t0 < 0.5 + SLACK  # it stopped at max_age, not at the deadline


async def test_a_retained_timestamp_tells_the_age(broker: Retained, make_ctx: MakeCtx) -> None:
    old = datetime.fromtimestamp(time.time() - 600, UTC).isoformat()
    topic = await broker.publish("zigbee2mqtt/plug", json.dumps({"state": "ON", "last_seen": old}))
    obs = await mqtt_probe.probe(TARGET, check(topic, max_age=300, timeout=3), make_ctx(3))
    assert obs.ok is False
    assert obs.error == f"stale: the last message on {topic} is 600s old (max_age 300s)"
    assert 599 <= float(obs.values["age_s"]) <= 605
    fresh_ms = int(time.time() * 1000)  # Zigbee2MQTT's `last_seen: epoch` is milliseconds
    await broker.publish("zigbee2mqtt/plug", json.dumps({"state": "ON", "last_seen": fresh_ms}))
    obs = await mqtt_probe.probe(TARGET, check(topic, max_age=300, timeout=3), make_ctx(3))
    assert obs.ok is True
    assert float(obs.values["age_s"]) < 5


async def test_silence_shorter_than_max_age_cannot_tell(
    broker: Retained, make_ctx: MakeCtx
) -> None:
    spec = check(broker.topic("never/published"), max_age=60, interval=60, timeout=1)
    obs = await mqtt_probe.probe(TARGET, spec, make_ctx(0.5))
    assert obs.ok is None
    assert "cannot tell whether" in (obs.error or "")


async def test_a_wrong_broker_port_is_refused(closed_port: int, make_ctx: MakeCtx) -> None:
    spec = check("any/topic", broker=LOOPBACK, port=closed_port)
    obs = await mqtt_probe.probe(TARGET, spec, make_ctx(2))
    assert obs.ok is False
    assert obs.error == f"connection refused ({LOOPBACK}:{closed_port})"


# --- conventions and validation (pure) ------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"online", True),
        (b"Online", True),
        (b"offline", False),
        (b"Offline", False),
        (b"true", True),
        (b"false", False),
        (b'{"state":"online"}', True),
        (b'{"state": "offline"}', False),
        (b'{"value": true, "status": "Alive"}', True),
        (b'"online"', True),
        (b"true\n", True),
        (b"", None),
        (b"42", None),
        (b"{not json", None),
        (b"\xff\xfe", None),
        (b"[" * 5000, None),
    ],
)
def test_availability_payloads(payload: bytes, expected: bool | None) -> None:
    assert mqtt.availability(payload) is expected


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("zigbee2mqtt/lamp/availability", True),
        ("zigbee2mqtt/bridge/state", True),
        ("tele/plug/LWT", True),
        ("shellies/shelly1-a4cf12/online", True),
        ("homeassistant/status", True),
        ("tele/plug/STATE", False),
        ("zigbee2mqtt/lamp", False),
    ],
)
def test_known_availability_topics(topic: str, expected: bool) -> None:
    assert mqtt.is_availability_topic(topic) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-02T03:04:05Z", 1767323045.0),
        ("2026-01-02T04:04:05+01:00", 1767323045.0),
        ("2026-01-02T03:04:05", 1767323045.0),
        (1767323045, 1767323045.0),
        (1767323045000, 1767323045.0),
        ("yesterday", None),
        (True, None),
        (None, None),
    ],
)
def test_payload_timestamps(raw: object, expected: float | None) -> None:
    assert mqtt.parse_timestamp(raw) == expected


@pytest.mark.parametrize("topic", ["", "a/#/b", "a/b#", "a/+b/c", "a\0b"])
def test_it_rejects_a_malformed_topic_filter(topic: str) -> None:
    with pytest.raises(ValidationError):
        check(topic)


def test_it_rejects_json_equals_without_a_field() -> None:
    with pytest.raises(ValidationError, match="json_equals needs json_field"):
        check("a/b", json_equals="ON")
