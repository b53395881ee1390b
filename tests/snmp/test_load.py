"""1,000 requests in flight at once from one client to snmpd, over the client's one socket:
none lost, and every answer is the answer to its own request (checked against a walk)."""

from __future__ import annotations

import asyncio

import pytest

from sitekeeper.protocols.snmp import SnmpClient, VarBind, Version
from tests.snmp.snmpd import Snmpd

IN_FLIGHT = 1000
# Objects whose values do not change while the test runs: sysORTable and usmUserTable.
STABLE_ROOTS = ["1.3.6.1.2.1.1.9", "1.3.6.1.6.3.15.1.2.2"]


async def _reference(
    client: SnmpClient, snmpd: Snmpd, version: Version, user: str | None
) -> list[VarBind]:
    target = snmpd.target(version, user, timeout=5.0, retries=2)
    rows = [row for root in STABLE_ROOTS for row in await client.walk(target, root)]
    assert len(rows) > 100
    return rows


@pytest.mark.parametrize(
    ("version", "user"), [(Version.V2C, None), (Version.V3, "sha-aes")], ids=["v2c", "v3-sha-aes"]
)
async def test_a_thousand_requests_in_flight_all_come_back_matched(
    snmpd: Snmpd, version: Version, user: str | None
) -> None:
    async with SnmpClient(max_per_agent=IN_FLIGHT) as client:
        rows = await _reference(client, snmpd, version, user)
        # Generous: snmpd answers one request at a time, and the machine may be busy.
        target = snmpd.target(version, user, timeout=10.0, retries=2)
        # Request i asks for row i (wrapping) and, every third time, two rows at once.
        asked = [
            [rows[i % len(rows)]] + ([rows[(i * 7) % len(rows)]] if i % 3 == 0 else [])
            for i in range(IN_FLIGHT)
        ]
        sent_before = client.stats.sent
        answers = await asyncio.gather(
            *(client.get(target, [oid for oid, _ in want]) for want in asked)
        )
        stats = client.stats
    assert len(answers) == IN_FLIGHT
    for want, got in zip(asked, answers, strict=True):
        assert got == want
        assert [type(v) for _, v in got] == [type(v) for _, v in want]
    assert stats.timeouts == 0
    # Every request was sent at least once; retransmissions (if the machine stalled) are
    # allowed but must not have produced a wrong or duplicate match.
    assert stats.sent - sent_before >= IN_FLIGHT
    assert stats.malformed == stats.auth_failures == 0
