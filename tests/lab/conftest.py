"""Fixtures for the lab tests: a running lab on a random 127.78.x.0/24 with a free control
port, so tests never meet a running demo (127.77.0.0/24, :8479) or a parallel test run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from labkit import start_lab

from sitekeeper.lab import Lab
from sitekeeper.probes import icmp as icmp_probe
from sitekeeper.probes import snmp as snmp_probe


@pytest.fixture(autouse=True)
async def _close_the_shared_sockets() -> AsyncIterator[None]:
    """The snmp and icmp probes share one client (one socket) per event loop; the runtime
    closes them at shutdown, and here each test does, once its checks are done."""
    yield
    await snmp_probe.close_shared()
    await icmp_probe.close_shared()


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    running = await start_lab()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def fallback_lab() -> AsyncIterator[Lab]:
    running = await start_lab(fallback=True)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(params=["addresses", "fallback"])
async def any_lab(request: pytest.FixtureRequest) -> AsyncIterator[Lab]:
    """Each layout in turn: one address per device, and the 127.0.0.1 fallback."""
    running = await start_lab(fallback=request.param == "fallback")
    try:
        yield running
    finally:
        await running.stop()
