"""The snmp probe against Debian's snmpd on loopback (tests/snmp/snmpd.py): system,
interfaces and host tables over v1, v2c and v3; rates from a second sample; what a
technician reads when credentials are missing or wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sitekeeper.checks.snmp import Previous, Raw
from sitekeeper.checks.specs_snmp import SnmpCheck
from sitekeeper.observation import Observation
from sitekeeper.probes import PROBES
from sitekeeper.probes import snmp as snmp_probe
from sitekeeper.probes.base import Target
from sitekeeper.state.classify import classify
from sitekeeper.state.model import CheckStatus
from tests.probes.conftest import MakeCtx
from tests.snmp.conftest import snmpd  # noqa: F401 - the session's snmpd fixture
from tests.snmp.snmpd import COMMUNITY, LOCATION, Snmpd

V2C = {"kind": "snmp", "version": "2c", "community": COMMUNITY}
V3_SHA256_AES = {
    "kind": "snmp",
    "version": "3",
    "user": "sha256aes",
    "auth_protocol": "sha256",
    "auth_key": "sha256-auth-pass",
    "priv_protocol": "aes128",
    "priv_key": "aes256-priv-pass",
}
V3_MD5_DES = {
    "kind": "snmp",
    "version": "3",
    "user": "md5des",
    "auth_protocol": "md5",
    "auth_key": "md5-auth-pass",
    "priv_protocol": "des",
    "priv_key": "des-priv-pass",
}


@pytest.fixture(autouse=True)
async def fresh_probe_state() -> AsyncIterator[None]:
    """Each test starts without previous samples, and the shared client is closed after."""
    snmp_probe.forget_samples()
    yield
    await snmp_probe.close_shared()
    snmp_probe.forget_samples()


@pytest.fixture
def agent(snmpd: Snmpd) -> Snmpd:  # noqa: F811 - the imported fixture
    return snmpd


def check(**fields: Any) -> SnmpCheck:
    return SnmpCheck.model_validate({"type": "snmp", "timeout": 5, **fields})


async def run(
    agent: Snmpd,
    make_ctx: MakeCtx,
    spec: SnmpCheck,
    creds: dict[str, str] | None,
    check_id: int = 1,
) -> Observation:
    target = Target(check_id, agent.host, agent.port, "server-1", creds)
    return await PROBES["snmp"](target, spec, make_ctx(spec.timeout))


@pytest.mark.parametrize("creds", [V2C, V3_SHA256_AES, V3_MD5_DES], ids=["v2c", "v3-aes", "v3-des"])
async def test_it_reads_system_interfaces_and_host(
    agent: Snmpd, make_ctx: MakeCtx, creds: dict[str, str]
) -> None:
    spec = check(tables=["system", "interfaces", "host"], interfaces={"expect_up": ["lo"]})
    obs = await run(agent, make_ctx, spec, creds)
    assert obs.ok is True, obs.error
    v = obs.values
    assert v["vendor"] == "Linux" and str(v["sys_descr"]).startswith("Linux ")
    assert v["sys_location"] == LOCATION and v["sys_object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert isinstance(v["uptime_s"], int) and v["uptime_s"] >= 0
    assert v["if_name.1"] == "lo" and v["if_oper.1"] == 1 and v["port_lo_down"] == 0
    assert 0 <= float(v["memory_used_pct"]) <= 100 and int(v["memory_total_mb"]) > 0
    assert 0 <= float(v["storage_max_used_pct"]) <= 100
    assert classify(obs, spec) == (CheckStatus.OK, "ok")
    assert any(line.startswith("walked ") for line in obs.log)


async def test_the_second_sample_has_rates(agent: Snmpd, make_ctx: MakeCtx) -> None:
    spec = check(tables=["system", "interfaces"], interfaces={"util_warn_pct": 90})
    first = await run(agent, make_ctx, spec, V2C)
    assert "if_in_bps.1" not in first.values
    assert "if_in_bps.1" in str(first.details["not_measured"])
    assert classify(first, spec) == (CheckStatus.OK, "ok")  # no rate yet is not UNKNOWN
    second = await run(agent, make_ctx, spec, V2C)
    # snmpd caches interface counters for a few seconds, so the rate may well be 0 here;
    # the arithmetic itself is tested on recorded walks (tests/checks/test_snmp_tables.py)
    assert float(second.values["if_in_bps.1"]) >= 0
    assert float(second.values["if_out_bps.1"]) >= 0
    assert "if_in_bps.1" not in str(second.details.get("not_measured", ""))
    assert second.values["if_errors_ps.1"] == 0
    assert second.values["rebooted"] == 0
    assert any(line.startswith("previous sample") for line in second.log)


async def test_snmpv1_reads_the_32_bit_counters(agent: Snmpd, make_ctx: MakeCtx) -> None:
    creds = {"kind": "snmp", "version": "1", "community": COMMUNITY}
    spec = check(tables=["system", "interfaces"], oids=[{"name": "nothing", "oid": "1.3.6.1.4.1.99999.1.0"}])  # fmt: skip
    await run(agent, make_ctx, spec, creds)
    obs = await run(agent, make_ctx, spec, creds)
    assert obs.ok is True, obs.error
    assert obs.values["sys_location"] == LOCATION
    assert float(obs.values["if_in_bps.1"]) >= 0  # from ifInOctets: v1 has no Counter64
    assert "nothing" not in obs.values  # noSuchName for one OID does not sink the GET


async def test_a_port_that_is_not_there_is_down(agent: Snmpd, make_ctx: MakeCtx) -> None:
    spec = check(tables=["interfaces"], interfaces={"expect_up": [1, "eth99"]})
    obs = await run(agent, make_ctx, spec, V2C)
    assert obs.values["port_1_down"] == 0 and obs.values["ports_missing"] == "eth99"
    assert classify(obs, spec) == (CheckStatus.CRIT, "port eth99 down (port_eth99_down 1)")


async def test_without_credentials_it_says_how_to_set_them(agent: Snmpd, make_ctx: MakeCtx) -> None:
    obs = await run(agent, make_ctx, check(), None)
    assert obs.ok is None
    assert obs.error is not None
    assert "sitekeeper credentials set NAME --kind snmp" in obs.error
    assert "`credentials: NAME` to the device" in obs.error
    assert classify(obs, check())[0] is CheckStatus.UNKNOWN
    named = await run(agent, make_ctx, check(credentials="site/switches"), None)
    assert named.error is not None
    assert "`sitekeeper credentials set site/switches --kind snmp`" in named.error


async def test_credentials_of_another_kind_are_refused(agent: Snmpd, make_ctx: MakeCtx) -> None:
    creds = {"kind": "password", "password": "hunter22"}
    obs = await run(agent, make_ctx, check(), creds)
    assert obs.ok is None and obs.error is not None and "needs kind snmp" in obs.error


async def test_a_wrong_community_gets_no_answer_and_says_so(
    agent: Snmpd, make_ctx: MakeCtx
) -> None:
    creds = {"kind": "snmp", "version": "2c", "community": "not-the-community"}
    obs = await run(agent, make_ctx, check(timeout=1, retries=0), creds)
    assert obs.ok is False
    assert obs.error == (
        f"no SNMP answer from {agent.host}:{agent.port}: SNMP is off, a firewall drops it, or "
        "the community is wrong (agents stay silent on a wrong community)"
    )
    assert "not-the-community" not in " ".join(obs.log)


async def test_a_wrong_v3_password_is_an_auth_error(agent: Snmpd, make_ctx: MakeCtx) -> None:
    creds = {**V3_SHA256_AES, "auth_key": "not-the-password"}
    obs = await run(agent, make_ctx, check(timeout=2, retries=0), creds)
    assert obs.ok is False and obs.error is not None
    assert obs.error.startswith(f"SNMPv3 refused by {agent.host}:{agent.port}: ")


async def test_a_table_the_agent_lacks_is_unknown_with_the_fix(
    agent: Snmpd, make_ctx: MakeCtx
) -> None:
    spec = check(tables=["system", "ups", "entity_sensor"])
    obs = await run(agent, make_ctx, spec, V2C)
    assert obs.ok is None
    assert obs.error == (
        "the agent has no UPS-MIB (RFC 1628) data: it does not support it, or its SNMP view "
        "hides it; take the table out of the check's `tables:`"
    )
    assert obs.values["vendor"] == "Linux"  # what was there is still reported
    assert "temp_max_c" not in obs.values  # ENTITY-SENSOR absent: skipped silently


async def test_all_checks_share_one_client(agent: Snmpd, make_ctx: MakeCtx) -> None:
    spec = check(tables=["system"])
    await run(agent, make_ctx, spec, V2C, check_id=1)
    client = snmp_probe.shared_client()
    await run(agent, make_ctx, spec, V3_SHA256_AES, check_id=2)
    assert snmp_probe.shared_client() is client
    assert client.stats.sent >= 2


def test_previous_samples_are_bounded_and_forgotten_when_stale() -> None:
    raws: dict[str, Raw] = {}
    snmp_probe._remember(1, snmp_probe.Sample(100.0, 5000, raws))
    assert snmp_probe._previous(1, 160.0, 11000) == Previous(raws, 60.0, False)
    assert snmp_probe._previous(1, 160.0, 200) == Previous(raws, 60.0, True)  # restarted
    assert snmp_probe._previous(1, 100.0 + snmp_probe.STALE_S + 1, 11000) is None
    snmp_probe._remember(2, snmp_probe.Sample(100.0 + snmp_probe.STALE_S + 1, None, raws))
    assert 1 not in snmp_probe._SAMPLES and 2 in snmp_probe._SAMPLES  # the stale one went
