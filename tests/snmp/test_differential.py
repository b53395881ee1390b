"""The engine against net-snmp's agent, with net-snmp's own tools and pysnmp as oracles: the
same request must get the same answer, value for value and type for type, from all three —
for SNMPv1, v2c and every SNMPv3 security level and protocol snmpd offers.

Only objects that do not change between two requests are compared (sysUpTime.0 is left
out of walks; interface counters are not asked for at all).
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from sitekeeper.protocols.snmp import (
    AuthProtocol,
    NoValue,
    SnmpAuthError,
    SnmpClient,
    SnmpEncodeError,
    SnmpResponseError,
    SnmpTimeout,
    Target,
    UsmUser,
    VarBind,
    Version,
    parse_oid,
)
from tests.snmp import netsnmp
from tests.snmp.oracle import Oracle, pysnmp_oracle
from tests.snmp.snmpd import USERS, Snmpd, netsnmp_security

pytestmark = pytest.mark.usefixtures("netsnmp_tools")

PROFILES = ["v1", "v2c", *USERS]

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SCALARS = [
    "1.3.6.1.2.1.1.1.0",  # sysDescr: OCTET STRING
    "1.3.6.1.2.1.1.2.0",  # sysObjectID: OBJECT IDENTIFIER
    "1.3.6.1.2.1.1.4.0",  # sysContact
    "1.3.6.1.2.1.1.5.0",  # sysName
    "1.3.6.1.2.1.1.6.0",  # sysLocation
    "1.3.6.1.2.1.1.8.0",  # sysORLastChange: TimeTicks
    "1.3.6.1.6.3.10.2.1.1.0",  # snmpEngineID: binary OCTET STRING
    "1.3.6.1.6.3.10.2.1.2.0",  # snmpEngineBoots: INTEGER
    "1.3.6.1.6.3.10.2.1.4.0",  # snmpEngineMaxMessageSize: INTEGER
]
NEXT_OF = ["1.3.6.1.2.1.1.1", "1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.1.9.1.2", "1.3.6.1.6.3.15.1.2.2"]
WALK_ROOTS = {
    "system": "1.3.6.1.2.1.1",  # scalars and sysORTable: strings, OIDs, INTEGER, TimeTicks
    # ~170 rows with long indexes (engine ID + user name); walked for a few profiles only,
    # to keep the run short: the security layer is the same for every walk.
    "usmUserTable": "1.3.6.1.6.3.15.1.2.2",
}
MISSING_OBJECT = "1.3.6.1.2.1.1.99.0"
MISSING_INSTANCE = "1.3.6.1.2.1.1.1.1"  # sysDescr.1: the object exists, this instance not
PAST_THE_END = "2.0"


def target_for(agent: Snmpd, profile: str, **kw: float) -> Target:
    """Generous per-attempt timeouts: the machine may be busy with other tests."""
    timeout = kw.get("timeout", 3.0)
    retries = int(kw.get("retries", 2))
    if profile == "v1":
        return agent.target(Version.V1, timeout=timeout, retries=retries)
    if profile == "v2c":
        return agent.target(Version.V2C, timeout=timeout, retries=retries)
    return agent.target(Version.V3, profile, timeout=timeout, retries=retries)


def typed(rows: list[VarBind]) -> list[tuple[object, str, object]]:
    """Rows with each value's type name, so Counter32(5) never equals Gauge32(5)."""
    return [(oid, type(value).__name__, value) for oid, value in rows]


def without_uptime(rows: list[VarBind]) -> list[VarBind]:
    return [row for row in rows if row[0] != SYS_UPTIME]


@pytest.mark.parametrize("profile", PROFILES)
async def test_get_getnext_getbulk_and_walk_agree_with_net_snmp_and_pysnmp(
    snmpd: Snmpd, client: SnmpClient, profile: str
) -> None:
    """One pysnmp engine per profile (its start-up is most of this test's cost); each
    request goes to the three parties at once."""
    target = target_for(snmpd, profile)
    async with pysnmp_oracle(snmpd, profile) as oracle:
        ours, theirs, oracles = await asyncio.gather(
            client.get(target, SCALARS),
            netsnmp.run(snmpd, "snmpget", profile, *SCALARS),
            oracle.get(*SCALARS),
        )
        assert [oid for oid, _ in ours] == [parse_oid(o) for o in SCALARS]
        assert isinstance(ours[1][1], tuple)  # sysObjectID decoded as an OID
        assert typed(ours) == typed(theirs) == typed(oracles)

        ours, theirs, oracles = await asyncio.gather(
            client.get_next(target, NEXT_OF),
            netsnmp.run(snmpd, "snmpgetnext", profile, *NEXT_OF),
            oracle.get_next(*NEXT_OF),
        )
        assert len(ours) == len(NEXT_OF)
        assert typed(ours) == typed(theirs) == typed(oracles)

        if profile != "v1":
            oids = ["1.3.6.1.2.1.1.1", "1.3.6.1.2.1.1.9.1.2", "1.3.6.1.2.1.1.9.1.3"]
            ours, theirs, oracles = await asyncio.gather(
                client.get_bulk(target, oids, non_repeaters=1, max_repetitions=5),
                netsnmp.run(snmpd, "snmpbulkget", profile, *oids, options=("-Cn1", "-Cr5")),
                oracle.get_bulk(1, 5, *oids),
            )
            assert len(ours) == 1 + 2 * 5
            assert typed(ours) == typed(theirs) == typed(oracles)

        await check_walk(snmpd, client, oracle, profile, WALK_ROOTS["system"])


@pytest.mark.parametrize("profile", ["v1", "v2c", "sha512", "sha-aes", "md5-des"])
async def test_a_long_table_walks_the_same_as_with_net_snmp_and_pysnmp(
    snmpd: Snmpd, client: SnmpClient, profile: str
) -> None:
    async with pysnmp_oracle(snmpd, profile) as oracle:
        await check_walk(snmpd, client, oracle, profile, WALK_ROOTS["usmUserTable"])


async def check_walk(
    snmpd: Snmpd, client: SnmpClient, oracle: Oracle, profile: str, root: str
) -> None:
    """Our GETNEXT walk against snmpwalk and pysnmp's walk (GETBULK from v2c on); then our
    GETBULK walk against snmpbulkwalk, both with a small max-repetitions so the walk takes
    several round trips."""
    target = target_for(snmpd, profile)
    bulk = profile != "v1"
    by_next, theirs, oracles = await asyncio.gather(
        client.walk(target, root, bulk=False),
        netsnmp.run(snmpd, "snmpwalk", profile, root),
        oracle.walk(root, bulk=bulk),
    )
    by_next = without_uptime(by_next)
    assert len(by_next) >= 8
    assert all(a[0] < b[0] for a, b in itertools.pairwise(by_next))
    assert typed(by_next) == typed(without_uptime(theirs)) == typed(without_uptime(oracles))
    if not bulk:
        return
    by_bulk, theirs = await asyncio.gather(
        client.walk(target, root, max_repetitions=3),
        netsnmp.run(snmpd, "snmpbulkwalk", profile, root, options=("-Cr3",)),
    )
    assert typed(without_uptime(by_bulk)) == typed(without_uptime(theirs)) == typed(by_next)


async def test_get_bulk_is_refused_for_snmpv1(snmpd: Snmpd, client: SnmpClient) -> None:
    with pytest.raises(SnmpEncodeError, match="GETBULK needs SNMPv2c"):
        await client.get_bulk(target_for(snmpd, "v1"), ["1.3.6.1.2.1.1"])


# --- the exception values and error-status -------------------------------------------------


@pytest.mark.parametrize("profile", ["v2c", "noauth", "sha-aes"])
async def test_missing_objects_give_the_same_exception_values(
    snmpd: Snmpd, client: SnmpClient, profile: str
) -> None:
    target = target_for(snmpd, profile)
    oids = [MISSING_OBJECT, MISSING_INSTANCE, "1.3.6.1.2.1.1.5.0"]
    ours = await client.get(target, oids)
    assert [value for _, value in ours[:2]] == [NoValue.NO_SUCH_OBJECT, NoValue.NO_SUCH_INSTANCE]
    assert isinstance(ours[2][1], bytes)
    async with pysnmp_oracle(snmpd, profile) as oracle:
        assert typed(ours) == typed(await oracle.get(*oids))
        past = await oracle.get_next(PAST_THE_END)
    assert typed(ours) == typed(await netsnmp.run(snmpd, "snmpget", profile, *oids))

    ours_next = await client.get_next(target, [PAST_THE_END])
    assert ours_next == [(parse_oid(PAST_THE_END), NoValue.END_OF_MIB_VIEW)]
    assert ours_next == await netsnmp.run(snmpd, "snmpgetnext", profile, PAST_THE_END)
    assert ours_next == past
    assert await client.walk(target, PAST_THE_END) == []


async def test_snmpv1_answers_no_such_name_with_the_index_of_the_culprit(
    snmpd: Snmpd, client: SnmpClient
) -> None:
    target = target_for(snmpd, "v1")
    with pytest.raises(SnmpResponseError) as caught:
        await client.get(target, ["1.3.6.1.2.1.1.1.0", MISSING_OBJECT])
    assert (caught.value.status, caught.value.name, caught.value.index) == (2, "noSuchName", 2)
    assert caught.value.oid == parse_oid(MISSING_OBJECT)

    with pytest.raises(netsnmp.ToolError) as tool:
        await netsnmp.run(snmpd, "snmpget", "v1", "1.3.6.1.2.1.1.1.0", MISSING_OBJECT)
    assert "noSuchName" in tool.value.stderr
    assert f"Failed object: .{MISSING_OBJECT}" in tool.value.stderr
    async with pysnmp_oracle(snmpd, "v1") as oracle:
        with pytest.raises(RuntimeError, match="noSuchName"):
            await oracle.get("1.3.6.1.2.1.1.1.0", MISSING_OBJECT)

    with pytest.raises(SnmpResponseError) as past:
        await client.get_next(target, [PAST_THE_END])
    assert (past.value.name, past.value.index) == ("noSuchName", 1)
    # A v1 walk ends at noSuchName: the end of the MIB, not an error.
    assert await client.walk(target, PAST_THE_END) == []


# --- credentials that do not work --------------------------------------------------------


async def test_a_wrong_community_times_out_as_with_snmpget(
    snmpd: Snmpd, client: SnmpClient
) -> None:
    target = Target(snmpd.host, snmpd.port, community="not-public", timeout=0.5, retries=1)
    ours, theirs = await asyncio.gather(
        client.get(target, ["1.3.6.1.2.1.1.5.0"]),
        netsnmp.run(snmpd, "snmpget", "v2c", "1.3.6.1.2.1.1.5.0",
                    options=("-c", "not-public", "-t", "0.5", "-r", "1")),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(ours, SnmpTimeout)
    assert "after 2 attempts" in str(ours)
    assert isinstance(theirs, netsnmp.ToolError)
    assert "Timeout" in theirs.stderr
    assert (client.stats.timeouts, client.stats.retransmits) == (1, 1)


def _v3_target(agent: Snmpd, user: UsmUser) -> Target:
    return Target(agent.host, agent.port, version=Version.V3, user=user, timeout=3.0, retries=2)


@pytest.mark.parametrize("profile", ["md5", "sha", "sha512", "sha256-aes", "md5-des"])
async def test_a_wrong_authentication_password_is_a_typed_auth_error(
    snmpd: Snmpd, client: SnmpClient, profile: str
) -> None:
    real = USERS[profile]
    wrong = UsmUser(
        real.name, real.auth_protocol, "not-the-password", real.priv_protocol, real.priv_password
    )
    with pytest.raises(SnmpAuthError, match="wrong digest"):
        await client.get(_v3_target(snmpd, wrong), ["1.3.6.1.2.1.1.5.0"])
    # net-snmp's own tool says the same.
    args = netsnmp_security(wrong)
    with pytest.raises(netsnmp.ToolError, match="Authentication failure"):
        await netsnmp.run(snmpd, "snmpget", "v2c", "1.3.6.1.2.1.1.5.0", options=tuple(args))
    # The right password still works on the same client (the engine ID was kept).
    assert (await client.get(_v3_target(snmpd, real), ["1.3.6.1.2.1.1.5.0"]))[0][1]


async def test_an_unknown_user_is_a_typed_auth_error(snmpd: Snmpd, client: SnmpClient) -> None:
    nobody = UsmUser("nobody-here")
    with pytest.raises(SnmpAuthError, match="unknown user name"):
        await client.get(_v3_target(snmpd, nobody), ["1.3.6.1.2.1.1.5.0"])
    with pytest.raises(netsnmp.ToolError, match="Unknown user name"):
        await netsnmp.run(snmpd, "snmpget", "v2c", "1.3.6.1.2.1.1.5.0",
                          options=tuple(netsnmp_security(nobody)))  # fmt: skip


async def test_a_higher_level_than_the_user_has_is_a_typed_auth_error(
    snmpd: Snmpd, client: SnmpClient
) -> None:
    pretender = UsmUser(USERS["noauth"].name, AuthProtocol.SHA, "some-auth-pass")
    with pytest.raises(SnmpAuthError, match="unsupported security level"):
        await client.get(_v3_target(snmpd, pretender), ["1.3.6.1.2.1.1.5.0"])


async def test_a_wrong_privacy_password_times_out_as_with_snmpget(
    snmpd: Snmpd, client: SnmpClient
) -> None:
    """snmpd cannot parse what it decrypted with the wrong key and drops it silently."""
    real = USERS["sha-aes"]
    wrong = UsmUser(
        real.name, real.auth_protocol, real.auth_password, real.priv_protocol, "not-the-password"
    )
    target = Target(snmpd.host, snmpd.port, version=Version.V3, user=wrong, timeout=0.5)
    options = (*netsnmp_security(wrong), "-t", "0.5", "-r", "1")
    ours, theirs = await asyncio.gather(
        client.get(target, ["1.3.6.1.2.1.1.5.0"]),
        netsnmp.run(snmpd, "snmpget", "v2c", "1.3.6.1.2.1.1.5.0", options=options),
        return_exceptions=True,
    )
    assert isinstance(ours, SnmpTimeout)
    assert isinstance(theirs, netsnmp.ToolError)
    assert "Timeout" in theirs.stderr
