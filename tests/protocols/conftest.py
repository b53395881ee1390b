"""Fixtures for protocol clients and device probes: a probe context, a refused port, and
Mosquitto (running on the development and CI machines; skipped with the reason elsewhere,
failed under CI=1)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import aiomqtt
import pytest

from .servers import Servers

LOOPBACK = "127.0.0.1"
MOSQUITTO_PORT = 1883
SLACK = 0.5  # how far past its deadline a probe may return (scheduling, polite close)

# the probe context fixtures are the probes' own (one definition for both folders)
from tests.probes.conftest import MakeCtx, http_sessions, make_ctx  # noqa: E402, F401


@pytest.fixture
def closed_port() -> int:
    """A port that was just free: bound, then closed, so connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Retained:
    """Publishes retained messages under this test's own topic prefix and clears every one
    of them afterwards (an empty retained payload deletes it at the broker)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.topics: set[str] = set()

    def topic(self, suffix: str) -> str:
        return f"{self.prefix}/{suffix}"

    async def publish(self, suffix: str, payload: str | bytes, *, retain: bool = True) -> str:
        topic = self.topic(suffix)
        async with aiomqtt.Client(LOOPBACK, MOSQUITTO_PORT, timeout=5) as client:
            await client.publish(topic, payload, qos=1, retain=retain)
        if retain:
            self.topics.add(topic)
        return topic

    async def clear(self) -> None:
        if not self.topics:
            return
        async with aiomqtt.Client(LOOPBACK, MOSQUITTO_PORT, timeout=5) as client:
            for topic in sorted(self.topics):
                await client.publish(topic, b"", qos=1, retain=True)
        self.topics.clear()


def _mosquitto_down() -> str | None:
    try:
        with socket.create_connection((LOOPBACK, MOSQUITTO_PORT), timeout=1.0):
            return None
    except OSError as err:
        return err.strerror or str(err)


@pytest.fixture
async def broker() -> AsyncIterator[Retained]:
    problem = _mosquitto_down()
    if problem is not None:
        message = (
            f"Mosquitto is not reachable at {LOOPBACK}:{MOSQUITTO_PORT} ({problem}); start it "
            "with `mosquitto -d -c /etc/mosquitto/mosquitto.conf`"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    retained = Retained(f"sitekeeper-test/{uuid.uuid4().hex}")
    yield retained
    await retained.clear()


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    harness = Servers()
    yield harness
    await harness.close()
