"""MQTT: subscribe and take messages, and the availability conventions of device ecosystems.

The client is aiomqtt (over paho-mqtt). Two of its habits matter under a deadline: paho
connects in a worker thread that an asyncio timeout cannot interrupt, bounded only by paho's
own `connect_timeout` (5 s by default), and aiomqtt waits `timeout` for every broker
acknowledgement. Both are set to the caller's budget, so the deadline holds.

Availability payloads differ by ecosystem; `availability()` reads them all:
Home Assistant (`online`/`offline`, a state of `unavailable`), Zigbee2MQTT (`online`, or
JSON `{"state": "online"}`), Shelly (`true`/`false`), Tasmota LWT (`Online`/`Offline`).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiomqtt

QUEUE_CAP = 256  # messages held while the caller judges; a busy `#` must not fill memory
_LOG = logging.getLogger("sitekeeper.protocols.mqtt")

ONLINE = frozenset({"online", "true", "connected", "available", "alive"})
OFFLINE = frozenset({"offline", "false", "disconnected", "unavailable", "not_available", "dead"})
# Last topic levels that carry availability by convention (compared case-insensitively).
AVAILABILITY_LEVELS = frozenset({"availability", "lwt", "online", "status"})
_JSON_STATE_KEYS = ("state", "status", "online", "available", "value")
_ERRNO_PREFIX = re.compile(r"^\[Errno -?\d+\]\s*")
_CODE_PREFIX = re.compile(r"^\[code:\d+\]\s*")


class MqttError(Exception):
    """Could not connect, subscribe or stay connected; the text is for people."""


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class MqttMessage:
    topic: str
    payload: bytes
    retained: bool


def _describe(err: aiomqtt.MqttError) -> str:
    text = _ERRNO_PREFIX.sub("", str(err)).strip()
    if isinstance(err, aiomqtt.MqttCodeError):
        return f"broker refused: {_CODE_PREFIX.sub('', text)}"
    if text == "Operation timed out":
        return "the broker did not answer in time"
    return text[:1].lower() + text[1:] if text else "MQTT error"


class Subscription:
    """Messages on one subscription, one `receive()` at a time."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._messages = client.messages

    async def receive(self) -> MqttMessage:
        try:
            message = await anext(self._messages)
        except aiomqtt.MqttError as err:
            raise MqttError(_describe(err)) from err
        payload = message.payload
        return MqttMessage(
            topic=message.topic.value,
            payload=bytes(payload) if isinstance(payload, bytes | bytearray) else b"",
            retained=bool(message.retain),
        )


@asynccontextmanager
async def subscription(broker: Broker, topic: str, *, wait: float) -> AsyncIterator[Subscription]:
    """Connect, subscribe to `topic` (QoS 0), and yield the subscription. `wait` bounds
    the connect and each acknowledgement; the caller's own timeout bounds the whole.

    Raises MqttError when the broker cannot be reached, refuses us, or drops the connection.
    """
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        username=broker.username,
        password=broker.password,
        identifier=broker.client_id or f"sitekeeper-{secrets.token_hex(5)}",
        timeout=max(wait, 0.05),
        clean_session=True,
        max_queued_incoming_messages=QUEUE_CAP,
        logger=_LOG,
    )
    # No public seam for this: paho's blocking connect runs in a thread (see the docstring).
    client._client.connect_timeout = max(wait, 0.05)
    try:
        async with client:
            await client.subscribe(topic, qos=0)
            yield Subscription(client)
    except aiomqtt.MqttError as err:
        raise MqttError(_describe(err)) from err


def is_availability_topic(topic: str) -> bool:
    """Topics that carry online/offline by convention: `…/availability` (Zigbee2MQTT, HA),
    `…/LWT` (Tasmota), `…/online` (Shelly), `…/status` (ESPHome, HA), `…/bridge/state`."""
    levels = topic.lower().split("/")
    return levels[-1] in AVAILABILITY_LEVELS or levels[-2:] == ["bridge", "state"]


def parse_json(text: str) -> Any:
    """The JSON document, or None for text that is not JSON (or hostile nesting)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def availability(payload: bytes) -> bool | None:
    """True for online, False for offline, None for a payload that says neither."""
    text = payload.decode("utf-8", errors="replace").strip()
    if text[:1] in ("{", '"'):
        document = parse_json(text)
        if isinstance(document, dict):
            found = next((document[k] for k in _JSON_STATE_KEYS if k in document), None)
            document = found
        if isinstance(document, bool):
            return document
        text = str(document) if isinstance(document, str) else ""
    word = text.strip().lower()
    if word in ONLINE:
        return True
    if word in OFFLINE:
        return False
    return None


def state_available(payload: bytes) -> bool | None:
    """A Home Assistant state topic: any state but `unavailable`/`unknown` means available."""
    word = payload.decode("utf-8", errors="replace").strip().lower()
    if word == "unknown" or not word:
        return None
    known = availability(payload)
    return known if known is not None else True


def parse_timestamp(raw: Any) -> float | None:
    """Epoch seconds from ISO 8601 text or an epoch number (seconds, or milliseconds as
    Zigbee2MQTT's `last_seen: epoch` sends). Text without an offset is read as UTC."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) / 1000.0 if raw > 1e11 else float(raw)
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None
