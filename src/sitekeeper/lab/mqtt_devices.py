"""Lab devices that live on an MQTT broker: a Zigbee2MQTT bridge and a Zigbee sensor behind
it, a Shelly relay and a Tasmota plug, each speaking its own ecosystem's dialect.

While a device is up it holds a connection to the broker (with its offline message as the
broker's last will where the real device sets one, so a lab that dies still reads offline),
has said online on its availability topic (retained), and reports telemetry every few
seconds and at once when a condition changes. Down (`fail`, a parent down, a flap) it says
offline as its last will would, and stops reporting. Every topic sits under the lab's own
prefix (`sitekeeper-lab/<random>/...`), so parallel labs, test runs and a real Home Assistant
on the same broker never see each other's messages; the lab clears its retained messages
when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiomqtt

from sitekeeper.errors import LabError
from sitekeeper.lab.plan import DevicePlan, MqttPlace

MQTT_ENV = "SITEKEEPER_LAB_MQTT"  # host:port of the broker the lab's MQTT devices use
DEFAULT_BROKER = ("127.0.0.1", 1883)
PREFIX_ROOT = "sitekeeper-lab"
TELEMETRY_S = 5.0  # how often a device reports (real ones: seconds to minutes)
CONNECT_S = 5.0  # connect and each acknowledgement from the broker
OFF = frozenset({"", "off", "none", "no"})

log = logging.getLogger(__name__)

Conditions = Callable[[], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Report:
    """One message a device publishes; `topic` is below the lab's prefix."""

    topic: str
    payload: str
    retain: bool = False


Telemetry = Callable[[str, datetime, frozenset[str], float], list[Report]]


def _quiet(device_id: str, now: datetime, conditions: frozenset[str], up_s: float) -> list[Report]:
    return []


def _zigbee_sensor(
    device_id: str, now: datetime, conditions: frozenset[str], up_s: float
) -> list[Report]:
    """A battery temperature sensor as Zigbee2MQTT publishes it, with `last_seen` (ISO 8601)
    and retained, as Home Assistant setups configure it."""
    low = "battery-low" in conditions
    state = {
        "battery": 7 if low else 86,
        "voltage": 2615 if low else 3005,
        "temperature": 4.6,
        "humidity": 41.2,
        "linkquality": 102,
        "last_seen": now.isoformat(timespec="seconds"),
    }
    return [Report(f"zigbee2mqtt/{device_id}", json.dumps(state), retain=True)]


def _shelly(device_id: str, now: datetime, conditions: frozenset[str], up_s: float) -> list[Report]:
    base = f"shellies/{device_id}/relay/0"
    return [Report(base, "on"), Report(f"{base}/power", "38.20")]


def _tasmota(
    device_id: str, now: datetime, conditions: frozenset[str], up_s: float
) -> list[Report]:
    """TelePeriod messages; `Time` is the plug's local time without an offset (here UTC)."""
    stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    days, rest = divmod(int(up_s), 86400)
    uptime = f"{days}T{time.strftime('%H:%M:%S', time.gmtime(rest))}"
    state = {
        "Time": stamp,
        "Uptime": uptime,
        "UptimeSec": int(up_s),
        "POWER": "ON",
        "Wifi": {"AP": 1, "SSId": "harbourview-iot", "RSSI": 74, "Signal": -63},
    }
    sensor = {"Time": stamp, "ENERGY": {"Power": 92, "Voltage": 238, "Current": 0.41}}
    return [
        Report(f"tele/{device_id}/STATE", json.dumps(state)),
        Report(f"tele/{device_id}/SENSOR", json.dumps(sensor)),
    ]


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one ecosystem says a device is there, and what the device reports meanwhile."""

    availability: Callable[[str], str]  # device id -> its availability topic
    online: str
    offline: str
    will: bool  # the real device leaves its offline message with the broker as last will
    telemetry: Telemetry = _quiet


_Z2M_ONLINE, _Z2M_OFFLINE = '{"state": "online"}', '{"state": "offline"}'

# A device tagged `mqtt:<name>` in the site speaks DIALECTS[name].
DIALECTS: dict[str, Dialect] = {
    "zigbee2mqtt-bridge": Dialect(
        lambda _: "zigbee2mqtt/bridge/state", _Z2M_ONLINE, _Z2M_OFFLINE, will=True
    ),
    # a Zigbee device has no connection of its own: its bridge reports its availability
    "zigbee2mqtt": Dialect(
        lambda d: f"zigbee2mqtt/{d}/availability",
        _Z2M_ONLINE,
        _Z2M_OFFLINE,
        will=False,
        telemetry=_zigbee_sensor,
    ),
    "shelly": Dialect(lambda d: f"shellies/{d}/online", "true", "false", True, _shelly),
    "tasmota": Dialect(lambda d: f"tele/{d}/LWT", "Online", "Offline", True, _tasmota),
}


def parse_broker(text: str | None) -> tuple[str, int] | None:
    """`127.0.0.1:1883` (or `localhost`, port 1883 when left out) -> ("127.0.0.1", 1883);
    None for no broker (None, "" or `off`). The lab publishes only on loopback."""
    if text is None or text.strip().lower() in OFF:
        return None
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = port, str(DEFAULT_BROKER[1])
    host = "127.0.0.1" if host == "localhost" else host
    try:
        address = ipaddress.IPv4Address(host)
        number = int(port)
    except ValueError:
        address, number = None, 0
    if address is None or not address.is_loopback or not 1 <= number <= 65535:
        raise LabError(
            f"MQTT broker {text!r} must be a loopback IPv4 host:port, e.g. 127.0.0.1:1883 "
            f"(the lab is on loopback; set it with --mqtt or ${MQTT_ENV})"
        )
    return str(address), number


def new_place(broker: tuple[str, int]) -> MqttPlace:
    """The broker with a topic prefix no other lab uses."""
    return MqttPlace(broker[0], broker[1], f"{PREFIX_ROOT}/{secrets.token_hex(4)}")


async def broker_answers(host: str, port: int, wait: float = 1.0) -> bool:
    """Whether an MQTT broker accepts a connection at host:port within `wait` seconds."""
    client = aiomqtt.Client(host, port, identifier=_client_id(), timeout=wait, logger=log)
    try:
        async with asyncio.timeout(wait * 2), client:
            return True
    except (aiomqtt.MqttError, TimeoutError, OSError):
        return False


async def choose_broker(option: str | None) -> tuple[str | None, str | None]:
    """(broker for `Lab(mqtt_broker=...)`, a line to show) for the demo: the one asked for
    (`--mqtt`, or $SITEKEEPER_LAB_MQTT when None), else 127.0.0.1:1883 when a broker
    answers there, else none, and the line says how to add one."""
    if option is not None or os.environ.get(MQTT_ENV):
        return option, None
    host, port = DEFAULT_BROKER
    if await broker_answers(host, port):
        return f"{host}:{port}", f"MQTT devices on: publishing to the broker at {host}:{port}"
    return "", (
        f"MQTT devices off: no broker answers at {host}:{port} (start Mosquitto, or pass "
        "--mqtt HOST:PORT)"
    )


def _client_id() -> str:
    return f"sk-lab-{secrets.token_hex(6)}"  # 19 characters: fine for any MQTT 3.1.1 broker


class MqttSite:
    """The broker side of one lab: where its devices publish, under which prefix, and the
    retained topics to clear when the lab stops."""

    def __init__(self, place: MqttPlace, *, period_s: float = TELEMETRY_S) -> None:
        self.place = place
        self.period_s = period_s
        self._retained: set[str] = set()

    @property
    def where(self) -> str:
        return f"{self.place.host}:{self.place.port}"

    def topic(self, suffix: str) -> str:
        return f"{self.place.prefix}/{suffix}"

    def client(self, will: aiomqtt.Will | None = None) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.place.host,
            self.place.port,
            identifier=_client_id(),
            will=will,
            timeout=CONNECT_S,
            clean_session=True,
            logger=log,
        )

    async def publish(self, client: aiomqtt.Client, report: Report) -> None:
        topic = self.topic(report.topic)
        if report.retain:
            self._retained.add(topic)
        await client.publish(topic, report.payload, qos=1, retain=report.retain)

    async def start_device(self, plan: DevicePlan, conditions: Conditions) -> MqttDevice | None:
        """Bring `plan`'s device onto the broker (None: it is not an MQTT device)."""
        name = plan.mqtt_dialect
        if name is None:
            return None
        dialect = DIALECTS.get(name)
        if dialect is None:
            raise LabError(
                f"lab device {plan.id!r} is tagged mqtt:{name}, a dialect the lab does not "
                f"speak; use one of: {', '.join(f'mqtt:{d}' for d in DIALECTS)}"
            )
        device = MqttDevice(self, plan.id, dialect, conditions)
        await device.start()
        return device

    async def clear(self) -> None:
        """Delete every retained message the lab's devices left (an empty retained payload
        deletes one at the broker)."""
        topics, self._retained = sorted(self._retained), set()
        if not topics:
            return
        try:
            async with self.client() as client:
                for topic in topics:
                    await client.publish(topic, b"", qos=1, retain=True)
        except aiomqtt.MqttError as err:
            log.warning(
                "lab: could not clear the retained messages under %s/: %s", self.place.prefix, err
            )

    def unreachable(self, device_id: str, err: aiomqtt.MqttError) -> str:
        return (
            f"{device_id} cannot publish to the MQTT broker at {self.where}: {err}. Start the "
            "broker (e.g. Mosquitto), or run the lab without one (its MQTT devices are then "
            "left out)"
        )


class MqttDevice:
    """One lab device while it is up: connected, online, reporting."""

    def __init__(self, site: MqttSite, device_id: str, dialect: Dialect, conditions: Conditions):
        self._site = site
        self._id = device_id
        self._dialect = dialect
        self._conditions = conditions
        self._availability = Report(dialect.availability(device_id), dialect.online, retain=True)
        self._stack = contextlib.AsyncExitStack()
        self._client: aiomqtt.Client | None = None
        self._wake = asyncio.Event()  # a condition changed, or the device is stopping
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._since = time.monotonic()

    async def start(self) -> None:
        """Connect, say online, report once; LabError when the broker is not there."""
        d = self._dialect
        will = None
        if d.will:
            will = aiomqtt.Will(self._site.topic(self._availability.topic), d.offline, 1, True)
        client = self._site.client(will)
        try:
            await self._stack.enter_async_context(client)
            self._client = client
            await self._site.publish(client, self._availability)
            await self._report()
        except aiomqtt.MqttError as err:
            await self._disconnect()
            raise LabError(self._site.unreachable(self._id, err)) from err
        self._task = asyncio.create_task(self._reporting())

    def poke(self) -> None:
        """A condition changed: report now rather than at the next period."""
        self._wake.set()

    async def stop(self) -> None:
        """Say offline, as the device's last will (or its bridge) would, and disconnect."""
        if self._task is not None:
            # Asked to end rather than cancelled: on Python 3.11 a cancel that arrives as a
            # publish completes is lost in asyncio.wait_for (aiomqtt waits with it), and
            # the loop would go on reporting.
            self._stopping = True
            self._wake.set()
            await asyncio.wait([self._task], timeout=CONNECT_S)
            self._task.cancel()  # only if a report hung past the broker's own timeout
            await asyncio.wait([self._task], timeout=CONNECT_S)
            self._task = None
        client = self._client
        if client is not None:
            offline = Report(self._availability.topic, self._dialect.offline, retain=True)
            try:
                await self._site.publish(client, offline)
            except aiomqtt.MqttError as err:
                log.warning("lab: %s could not say offline on the broker: %s", self._id, err)
        await self._disconnect()

    async def _disconnect(self) -> None:
        self._client = None
        with contextlib.suppress(aiomqtt.MqttError):
            await self._stack.aclose()

    async def _report(self) -> None:
        assert self._client is not None
        reports = self._dialect.telemetry(
            self._id, datetime.now(UTC), self._conditions(), time.monotonic() - self._since
        )
        for report in reports:
            await self._site.publish(self._client, report)

    async def _reporting(self) -> None:
        """Report every period, and when poked; ends when stopped, or (saying why) if the
        broker goes away."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._site.period_s):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self._report()
            except aiomqtt.MqttError as err:
                log.warning("lab: %s stopped reporting, the broker went away: %s", self._id, err)
                return
