"""The snmp probe against the lab's simulated APC UPS (src/sitekeeper/lab): mains, then a
power cut seen the way a technician reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sitekeeper.checks.specs_snmp import SnmpCheck
from sitekeeper.lab import Lab
from sitekeeper.lab.snmp_agent import LAB_COMMUNITY
from sitekeeper.probes import PROBES
from sitekeeper.probes import snmp as snmp_probe
from sitekeeper.probes.base import Target
from sitekeeper.state.classify import classify
from sitekeeper.state.model import CheckStatus
from tests.lab.labkit import start_lab
from tests.probes.conftest import MakeCtx

CREDS = {"kind": "snmp", "version": "2c", "community": LAB_COMMUNITY.decode()}


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    running = await start_lab()
    try:
        yield running
    finally:
        await snmp_probe.close_shared()
        await running.stop()


async def test_the_lab_ups_on_battery_is_critical(lab: Lab, make_ctx: MakeCtx) -> None:
    spec = SnmpCheck(tables=("system", "ups"), timeout=5)
    address, port = lab.endpoint("ups", "snmp")
    target = Target(7001, address, port, "ups", CREDS)
    mains = await PROBES["snmp"](target, spec, make_ctx(5))
    assert mains.ok is True, mains.error
    assert (mains.values["vendor"], mains.values["on_battery"]) == ("APC", 0)
    assert classify(mains, spec) == (CheckStatus.OK, "ok")
    lab.set_condition("ups", "on-battery")
    cut = await PROBES["snmp"](target, spec, make_ctx(5))
    assert cut.values["on_battery"] == 1 and cut.values["output_source"] == "battery"
    status, reason = classify(cut, spec)
    assert status is CheckStatus.CRIT
    assert reason.startswith("on battery")
