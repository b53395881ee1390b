"""`TrapReceiver` against net-snmp's `snmptrap` and `snmpinform`: SNMPv1 traps, v2c traps
and informs, and v3 traps and informs from a configured user, on 127.0.0.1:<free port>."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from sitekeeper.protocols.snmp import (
    AuthProtocol,
    Notification,
    PrivProtocol,
    TrapReceiver,
    UsmUser,
    Version,
)
from sitekeeper.protocols.snmp.traps import DEFAULT_PORT, SNMP_TRAP_ENTERPRISE_0, Source
from tests.snmp.agents import eventually
from tests.snmp.conftest import require
from tests.snmp.snmpd import netsnmp_security

LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
IF_INDEX_7 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7)
IF_DESCR_7 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7)
LINK_DOWN_VARBINDS = ["1.3.6.1.2.1.2.2.1.1.7", "i", "7", "1.3.6.1.2.1.2.2.1.2.7", "s", "eth7"]
NET_SNMP_AGENT = (1, 3, 6, 1, 4, 1, 8072, 2, 3)
SENDER_ENGINE = "0x80001f888073656e64657231"  # the engine ID snmptrap uses for v3 traps

TRAP_USER = UsmUser(
    "trapper", AuthProtocol.SHA, "trap-auth-pass", PrivProtocol.AES, "trap-priv-pass"
)
INFORM_USER = UsmUser(
    "informer", AuthProtocol.SHA256, "inform-auth-pass", PrivProtocol.AES, "inform-priv-pass"
)
INFORM_MD5_DES = UsmUser(
    "oldbox", AuthProtocol.MD5, "oldbox-auth-pass", PrivProtocol.DES, "oldbox-priv-pass"
)


class Inbox:
    """What the receiver delivered, with a way to wait for the n-th notification."""

    def __init__(self) -> None:
        self.items: list[tuple[Source, Notification]] = []
        self.arrived = asyncio.Event()

    def __call__(self, source: Source, notification: Notification) -> None:
        self.items.append((source, notification))
        self.arrived.set()

    async def wait_for(self, count: int, within: float = 15.0) -> list[Notification]:
        async with asyncio.timeout(within):
            while len(self.items) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return [n for _, n in self.items]


@pytest.fixture
def tool_env(tmp_path: Path) -> dict[str, str]:
    for tool in ("snmptrap", "snmpinform"):
        require(tool, "net-snmp's command-line tools")
    (tmp_path / "snmp.conf").write_text("mibs :\n")
    return {"PATH": "/usr/bin:/bin", "SNMPCONFPATH": str(tmp_path), "HOME": str(tmp_path),
            "SNMP_PERSISTENT_DIR": str(tmp_path / "persist")}  # fmt: skip


@pytest.fixture
async def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def receiver(inbox: Inbox) -> AsyncIterator[TrapReceiver]:
    users = [TRAP_USER, INFORM_USER, INFORM_MD5_DES]
    async with TrapReceiver(inbox, host="127.0.0.1", port=0, communities=["public"],
                            users=users) as trap_receiver:  # fmt: skip
        yield trap_receiver


async def send(env: dict[str, str], receiver: TrapReceiver, tool: str, *args: str) -> int:
    """Run `tool args... udp:127.0.0.1:PORT` style: the address goes where args has "@"."""
    host, port = receiver.address
    argv = [a if a != "@" else f"udp:{host}:{port}" for a in args]
    proc = await asyncio.create_subprocess_exec(
        tool, "-t", "3", "-r", "2", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    assert proc.returncode is not None
    if proc.returncode:
        sys.stderr.write(err.decode())  # shown by pytest when the test fails
    return proc.returncode


def test_the_default_port_is_unprivileged() -> None:
    assert DEFAULT_PORT == 1162
    assert TrapReceiver(lambda s, n: None).port == 1162


async def test_a_v1_link_down_trap_is_translated_to_its_v2_trap_oid(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    code = await send(tool_env, receiver, "snmptrap", "-v1", "-c", "public", "@",
                      "1.3.6.1.4.1.8072.2.3", "192.0.2.7", "2", "0", "", *LINK_DOWN_VARBINDS)  # fmt: skip
    assert code == 0
    [note] = await inbox.wait_for(1)
    source = inbox.items[0][0]
    assert source[0] == "127.0.0.1" and source[1] > 0
    assert note.version is Version.V1
    assert note.trap_oid == LINK_DOWN
    assert note.agent_address == IPv4Address("192.0.2.7")
    assert note.varbinds == (
        (IF_INDEX_7, 7),
        (IF_DESCR_7, b"eth7"),
        (SNMP_TRAP_ENTERPRISE_0, NET_SNMP_AGENT),
    )
    assert not note.inform


async def test_a_v1_enterprise_specific_trap_gets_enterprise_0_specific(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    assert await send(tool_env, receiver, "snmptrap", "-v1", "-c", "public", "@",
                      "1.3.6.1.4.1.99999", "192.0.2.8", "6", "42", "12345") == 0  # fmt: skip
    [note] = await inbox.wait_for(1)
    assert note.trap_oid == (1, 3, 6, 1, 4, 1, 99999, 0, 42)
    assert note.uptime == 12345


async def test_a_v2c_trap_carries_its_oid_uptime_and_varbinds(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    assert await send(tool_env, receiver, "snmptrap", "-v2c", "-c", "public", "@",
                      "4242", "1.3.6.1.6.3.1.1.5.3", *LINK_DOWN_VARBINDS) == 0  # fmt: skip
    [note] = await inbox.wait_for(1)
    assert (note.version, note.trap_oid, note.uptime, note.inform) == (
        Version.V2C, LINK_DOWN, 4242, False)  # fmt: skip
    assert note.varbinds == ((IF_INDEX_7, 7), (IF_DESCR_7, b"eth7"))
    assert inbox.items[0][0][0] == "127.0.0.1"


async def test_a_v2c_inform_is_acknowledged_and_delivered_once(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    code = await send(tool_env, receiver, "snmpinform", "-v2c", "-c", "public", "@",
                      "", "1.3.6.1.6.3.1.1.5.1")  # fmt: skip
    assert code == 0  # snmpinform exits 0 only when our Response came back
    [note] = await inbox.wait_for(1)
    assert (note.version, note.trap_oid, note.inform) == (Version.V2C, COLD_START, True)
    assert receiver.stats.informs_answered == 1
    assert receiver.stats.delivered == 1


async def test_a_wrong_community_is_dropped_and_an_inform_not_answered(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    assert await send(tool_env, receiver, "snmptrap", "-v2c", "-c", "private", "@",
                      "", "1.3.6.1.6.3.1.1.5.1") == 0  # fmt: skip
    code = await send(tool_env, receiver, "snmpinform", "-v2c", "-c", "private", "-t", "0.3",
                      "-r", "0", "@", "", "1.3.6.1.6.3.1.1.5.1")  # fmt: skip
    assert code != 0  # no acknowledgement: it timed out
    await eventually(lambda: receiver.stats.dropped == 2)
    assert inbox.items == []


async def test_a_v3_trap_from_a_known_user_is_verified_decrypted_and_delivered(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    code = await send(tool_env, receiver, "snmptrap", "-e", SENDER_ENGINE,
                      *netsnmp_security(TRAP_USER), "@", "", "1.3.6.1.6.3.1.1.5.3",
                      *LINK_DOWN_VARBINDS)  # fmt: skip
    assert code == 0
    [note] = await inbox.wait_for(1)
    assert (note.version, note.user, note.trap_oid) == (Version.V3, "trapper", LINK_DOWN)
    assert note.varbinds == ((IF_INDEX_7, 7), (IF_DESCR_7, b"eth7"))


async def test_a_v3_trap_with_a_wrong_password_or_unknown_user_is_dropped(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox
) -> None:
    wrong = UsmUser(TRAP_USER.name, AuthProtocol.SHA, "not-the-password", PrivProtocol.AES,
                    "trap-priv-pass")  # fmt: skip
    stranger = UsmUser("stranger", AuthProtocol.SHA, "stranger-pass")
    for user in (wrong, stranger):
        assert await send(tool_env, receiver, "snmptrap", "-e", SENDER_ENGINE,
                          *netsnmp_security(user), "@", "", "1.3.6.1.6.3.1.1.5.1") == 0  # fmt: skip
    await eventually(lambda: receiver.stats.dropped == 2)
    assert inbox.items == []


@pytest.mark.parametrize("user", [INFORM_USER, INFORM_MD5_DES], ids=["sha256-aes", "md5-des"])
async def test_a_v3_inform_discovers_our_engine_and_is_acknowledged(
    tool_env: dict[str, str], receiver: TrapReceiver, inbox: Inbox, user: UsmUser
) -> None:
    code = await send(tool_env, receiver, "snmpinform", *netsnmp_security(user), "@",
                      "", "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.2.1.1.5.0", "s", "ups-1")  # fmt: skip
    assert code == 0
    [note] = await inbox.wait_for(1)
    assert (note.version, note.user, note.inform) == (Version.V3, user.name, True)
    assert note.trap_oid == COLD_START
    assert note.varbinds == (((1, 3, 6, 1, 2, 1, 1, 5, 0), b"ups-1"),)
    assert receiver.stats.reports_sent >= 1  # the sender discovered our engine ID first
    assert receiver.stats.informs_answered == 1
