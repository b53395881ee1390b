"""The lab's SNMP agents, asked by net-snmp's own tools (snmpget, snmpwalk, snmpbulkwalk,
snmpbulkget, snmpset) and by raw datagrams: the UPS-MIB follows `on-battery`, IF-MIB follows
`port-down`, faults silence or slow the agent, and no packet stops it.

net-snmp's tools must be installed in CI (CI=1): there these tests fail rather than skip."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import socket
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labkit import start_lab

from sitekeeper.errors import LabError
from sitekeeper.lab import Lab
from sitekeeper.lab.conditions import History
from sitekeeper.lab.lab import parse_trap_to
from sitekeeper.lab.mib_core import DeviceState
from sitekeeper.lab.mib_power import battery
from sitekeeper.lab.mibs import view
from sitekeeper.lab.plan import packaged_site_text, plan_site
from sitekeeper.lab.snmp_agent import answer
from sitekeeper.protocols.snmp.ber import encode_int, tlv
from sitekeeper.protocols.snmp.message import (
    CommunityMessage,
    Version,
    decode_message,
    encode_community,
)
from sitekeeper.protocols.snmp.pdu import Pdu, PduType, encode_null_varbinds, encode_pdu

COMMUNITY = "lab-public"
TOOLS = ("snmpget", "snmpwalk", "snmpbulkwalk", "snmpbulkget", "snmpset")
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
UPS = "1.3.6.1.2.1.33.1"
UPS_BATTERY_STATUS = f"{UPS}.2.1.0"
UPS_SECONDS_ON_BATTERY = f"{UPS}.2.2.0"
UPS_CHARGE = f"{UPS}.2.4.0"
UPS_LINE_BADS = f"{UPS}.3.1.0"
UPS_OUTPUT_SOURCE = f"{UPS}.4.1.0"
UPS_ALARMS_PRESENT = f"{UPS}.6.1.0"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IFX = "1.3.6.1.2.1.31.1.1.1"


@pytest.fixture(scope="module")
def tool_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """net-snmp's tools with no MIBs to load and no state outside a temporary directory."""
    for tool in TOOLS:
        if not shutil.which(tool):
            message = f"net-snmp's {tool} is not installed; `make test` installs Debian's snmp"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    home = tmp_path_factory.mktemp("netsnmp")
    (home / "snmp.conf").write_text("mibs :\n")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SNMPCONFPATH": str(home),
        "SNMP_PERSISTENT_DIR": str(home / "persist"),
        "HOME": str(home),
    }


class Tools:
    """Runs a net-snmp tool against one lab device; numeric OIDs, numeric enums, bare ticks."""

    def __init__(self, env: dict[str, str], lab: Lab) -> None:
        self.env = env
        self.lab = lab

    async def run(
        self,
        tool: str,
        device: str,
        *args: str,
        version: str = "2c",
        community: str = COMMUNITY,
        timeout_s: float = 2.0,
    ) -> tuple[int, str, str]:
        address, port = self.lab.endpoint(device, "snmp")
        proc = await asyncio.create_subprocess_exec(
            tool,
            "-On",
            "-Oe",
            "-Ot",
            f"-v{version}",
            "-c",
            community,
            "-t",
            str(timeout_s),
            "-r",
            "0",
            f"udp:{address}:{port}",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    async def values(
        self, tool: str, device: str, *args: str, version: str = "2c"
    ) -> list[tuple[str, str]]:
        code, out, err = await self.run(tool, device, *args, version=version)
        assert code == 0, f"{tool} {device} {args}: exit {code}: {err.strip()}"
        return parse(out)

    async def get(self, device: str, oid: str, version: str = "2c") -> str:
        (found,) = await self.values("snmpget", device, oid, version=version)
        assert found[0] == f".{oid}"
        return found[1]

    async def until(self, device: str, oid: str, ok: object, within_s: float = 5.0) -> str:
        """Ask again (bounded) until `ok(value)` holds; the value it held for."""
        assert callable(ok)
        deadline = time.monotonic() + within_s
        while True:
            value = await self.get(device, oid)
            if ok(value):
                return value
            assert time.monotonic() < deadline, f"{device} {oid} stayed {value!r}"
            await asyncio.sleep(0.2)


def parse(text: str) -> list[tuple[str, str]]:
    """`.1.3.6... = TYPE: value` lines -> (oid, value text without the type or quotes)."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.startswith("."):
            continue
        oid, _, rest = line.partition(" = ")
        kind, sep, value = rest.partition(": ")
        value = value if sep else kind
        out.append((oid, value.strip().strip('"')))
    return out


@pytest.fixture
async def tools(tool_env: dict[str, str], lab: Lab) -> Tools:
    return Tools(tool_env, lab)


# --- the UPS ---------------------------------------------------------------------------


async def test_the_ups_answers_with_its_system_group_and_ups_mib(tools: Tools) -> None:
    assert "APC Web/SNMP Management Card" in await tools.get("ups", SYS_DESCR)
    assert await tools.get("ups", SYS_OBJECT_ID) == ".1.3.6.1.4.1.318.1.3.27"
    assert await tools.get("ups", SYS_NAME) == "ups"
    assert int(await tools.get("ups", SYS_UPTIME)) >= 0
    assert await tools.get("ups", UPS_OUTPUT_SOURCE) == "3"  # normal
    assert await tools.get("ups", UPS_BATTERY_STATUS) == "2"  # batteryNormal
    assert await tools.get("ups", UPS_CHARGE) == "100"
    assert await tools.get("ups", f"{UPS}.1.1.0") == "APC"  # upsIdentManufacturer
    assert await tools.get("ups", SYS_NAME, version="1") == "ups"  # SNMPv1 too


async def test_on_battery_shows_in_the_ups_mib_and_seconds_on_battery_grow(tools: Tools) -> None:
    tools.lab.set_condition("ups", "on-battery")
    assert await tools.get("ups", UPS_OUTPUT_SOURCE) == "5"  # battery
    assert await tools.get("ups", UPS_ALARMS_PRESENT) == "1"
    assert await tools.get("ups", f"{UPS}.6.2.1.2.1") == ".1.3.6.1.2.1.33.1.6.3.2"  # onBattery
    assert await tools.get("ups", f"{UPS}.3.3.1.3.1") == "0"  # no input voltage
    await tools.until("ups", UPS_SECONDS_ON_BATTERY, lambda v: int(v) >= 1)
    tools.lab.set_condition("ups", "on-battery", on=False)
    assert await tools.get("ups", UPS_OUTPUT_SOURCE) == "3"
    assert await tools.get("ups", UPS_SECONDS_ON_BATTERY) == "0"
    assert await tools.get("ups", UPS_ALARMS_PRESENT) == "0"
    assert await tools.get("ups", UPS_LINE_BADS) == "1"  # one outage since boot


def test_the_battery_drains_on_battery_and_recharges_slower_on_mains() -> None:
    history = History()
    history.set("on-battery", True, 0.0)
    first = battery(DeviceState(3600.0, history.seen(60.0)))
    later = battery(DeviceState(3600.0, history.seen(20 * 60.0)))
    assert first.on_battery and first.seconds_on_battery == 60
    assert later.charge_pct < first.charge_pct < 100
    assert later.minutes_left < first.minutes_left < 47
    assert later.status == 2
    nearly_flat = battery(DeviceState(3600.0, history.seen(46 * 60.0)))
    assert nearly_flat.status == 3 and nearly_flat.minutes_left <= 2  # batteryLow
    history.set("on-battery", False, 20 * 60.0)
    after = battery(DeviceState(3600.0, history.seen(21 * 60.0)))
    assert not after.on_battery and after.seconds_on_battery == 0
    assert later.charge_pct <= after.charge_pct < 100


# --- the switches ----------------------------------------------------------------------


async def test_port_down_takes_the_port_oper_status_down_and_leaves_admin_up(
    tools: Tools,
) -> None:
    assert await tools.get("core-switch", f"{IF_OPER}.7") == "1"
    tools.lab.set_condition("core-switch", "port-down", port=7)
    assert await tools.get("core-switch", f"{IF_OPER}.7") == "2"
    assert await tools.get("core-switch", f"{IF_ADMIN}.7") == "1"
    assert await tools.get("core-switch", f"{IF_OPER}.8") == "1"
    assert await tools.get("poe-switch-1", f"{IF_OPER}.7") == "1"  # another switch
    await tools.lab.recover("core-switch")
    assert await tools.get("core-switch", f"{IF_OPER}.7") == "1"


async def test_a_walk_is_strictly_increasing_ends_and_bulk_agrees(tools: Tools) -> None:
    walked = await tools.values("snmpwalk", "core-switch", ".1")
    # walking the whole tree, net-snmp shows where the view ended: on the last instance
    end = "No more variables left in this MIB View (It is past the end of the MIB tree)"
    assert walked[-1][1] == end and walked[-1][0] == walked[-2][0]
    walked = walked[:-1]
    oids = [tuple(int(a) for a in oid[1:].split(".")) for oid, _ in walked]
    bad = [(a, b) for a, b in itertools.pairwise(oids) if not a < b]
    assert not bad, [".".join(map(str, o)) for pair in bad for o in pair]
    ports = int(dict(walked)[".1.3.6.1.2.1.2.1.0"])
    assert ports == 28  # 24 ports and 4 uplinks
    assert sum(oid.startswith(f".{IF_OPER}.") for oid, _ in walked) == ports
    bulk = [vb for vb in await tools.values("snmpbulkwalk", "core-switch", ".1") if vb[1] != end]
    assert [oid for oid, _ in bulk] == [oid for oid, _ in walked]
    names = dict(walked)
    assert names[f".{IFX}.1.1"] == "gi1/0/1"  # ifName as the product names it
    assert names[f".{IFX}.18.25"] == "Uplink to router"  # ifAlias


async def test_64_bit_counters_grow_and_snmpv1_never_sees_them(tools: Tools) -> None:
    first = int(await tools.get("core-switch", f"{IF_HC_IN}.25"))
    await tools.until("core-switch", f"{IF_HC_IN}.25", lambda v: int(v) > first)
    v1 = await tools.values("snmpwalk", "core-switch", IFX, version="1")
    assert v1, "SNMPv1 walks the rest of ifXTable"
    assert not [oid for oid, _ in v1 if oid.startswith(f".{IF_HC_IN}.")]
    code, _, err = await tools.run("snmpget", "core-switch", f"{IF_HC_IN}.1", version="1")
    assert code != 0 and "noSuchName" in err


async def test_get_next_and_bulk_report_the_end_and_missing_objects(tools: Tools) -> None:
    found = await tools.values(
        "snmpget", "ups", "1.3.6.1.2.1.1.9.0", "1.3.6.1.2.1.1.3.1", "1.3.6.1.2.1.33.1.4.1.0"
    )
    assert found[0][1].startswith("No Such Object")
    assert found[1][1].startswith("No Such Instance")
    assert found[2][1] == "3"
    bulk = await tools.values(
        "snmpbulkget", "ups", "-Cn1", "-Cr3", "1.3.6.1.2.1.1.3", "1.3.6.1.2.1.33.1.9.7.0"
    )
    assert bulk[0][0] == f".{SYS_UPTIME}"
    assert [value for _, value in bulk[1:]] == [
        "No more variables left in this MIB View (It is past the end of the MIB tree)"
    ]
    code, _, err = await tools.run("snmpget", "ups", "1.3.6.1.2.1.1.9.0", version="1")
    assert code != 0 and "noSuchName" in err
    code, _, err = await tools.run("snmpset", "ups", SYS_NAME, "s", "pwned")
    assert code != 0 and "noAccess" in err
    assert await tools.get("ups", SYS_NAME) == "ups"


async def test_printer_pdu_and_nas_show_their_own_mibs(tools: Tools) -> None:
    supplies = dict(await tools.values("snmpwalk", "printer", "1.3.6.1.2.1.43.11.1.1.6"))
    assert supplies[".1.3.6.1.2.1.43.11.1.1.6.1.1"] == "Black Toner Cartridge"
    levels = await tools.values("snmpwalk", "printer", "1.3.6.1.2.1.43.11.1.1.9")
    assert levels[-1][1].startswith("No more variables")  # the printer's last column
    levels = levels[:-1]
    assert all(-3 <= int(v) <= 100 for _, v in levels) and len(levels) == len(supplies)
    assert await tools.get("printer", "1.3.6.1.2.1.25.3.5.1.1.1") == "3"  # hrPrinterStatus idle
    outlets = dict(await tools.values("snmpwalk", "pdu", "1.3.6.1.4.1.318.1.1.12.3.5.1.1.2"))
    assert len(outlets) == 16 and "poe-switch-2" in outlets.values()
    assert (await tools.get("nas", SYS_DESCR)).startswith("Linux ")
    assert await tools.get("nas", "1.3.6.1.4.1.6574.1.5.3.0") == "DSM 7.2.1-69057 Update 5"


# --- faults and bad input --------------------------------------------------------------


async def test_a_failed_device_is_silent_and_comes_back_rebooted(tools: Tools) -> None:
    await tools.lab.fail("ups")
    code, _, err = await tools.run("snmpget", "ups", SYS_UPTIME, timeout_s=0.5)
    assert code != 0 and "Timeout" in err
    code, _, err = await tools.run("snmpget", "core-switch", SYS_UPTIME, timeout_s=0.5)
    assert code != 0 and "Timeout" in err  # everything the UPS powers went dark too
    await tools.lab.recover("ups")
    recovered = time.monotonic()
    uptime = int(await tools.get("ups", SYS_UPTIME))
    assert uptime <= (time.monotonic() - recovered) * 100 + 5  # counting from the reboot


async def test_a_degraded_device_answers_late(tools: Tools) -> None:
    await tools.lab.degrade("ups", latency_ms=600)
    code, _, err = await tools.run("snmpget", "ups", SYS_NAME, timeout_s=0.1)
    assert code != 0 and "Timeout" in err
    code, out, _ = await tools.run("snmpget", "ups", SYS_NAME, timeout_s=3.0)
    assert code == 0 and parse(out) == [(f".{SYS_NAME}", "ups")]


def _request(
    community: str, pdu_type: PduType, oid: tuple[int, ...], version: Version = Version.V2C
) -> bytes:
    pdu = tlv(
        pdu_type, encode_int(7) + encode_int(0) + encode_int(0) + encode_null_varbinds((oid,))
    )
    return encode_community(version, community.encode(), pdu)


async def _exchange(address: str, port: int, data: bytes, wait_s: float = 0.3) -> bytes | None:
    """One datagram out; the reply, or None when none came within `wait_s`."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect((address, port))
        await loop.sock_sendall(sock, data)
        try:
            async with asyncio.timeout(wait_s):
                return await loop.sock_recv(sock, 65535)
        except TimeoutError:
            return None


async def test_garbage_and_wrong_communities_get_no_answer_and_do_not_stop_the_agent(
    tools: Tools,
) -> None:
    address, port = tools.lab.endpoint("ups", "snmp")
    good = _request(COMMUNITY, PduType.GET, (1, 3, 6, 1, 2, 1, 1, 5, 0))
    rng = random.Random(1628)
    garbage = [
        b"",
        b"\x30",
        b"\x30\x84\xff\xff\xff\xff",
        good[:-3],
        good + b"\x00",
        _request("public", PduType.GET, (1, 3, 6, 1, 2, 1, 1, 5, 0)),  # not the lab's community
        _request(COMMUNITY, PduType.RESPONSE, (1, 3, 6, 1, 2, 1, 1, 5, 0)),
        _request(COMMUNITY, PduType.GET_BULK, (1, 3, 6, 1), Version.V1),  # no GETBULK in v1
        *(rng.randbytes(rng.randrange(1, 200)) for _ in range(30)),
        *(
            bytes(b ^ rng.randrange(256) if rng.random() < 0.1 else b for b in good)
            for _ in range(30)
        ),
    ]
    for data in garbage[:8]:
        assert await _exchange(address, port, data) is None, data
    for data in garbage[8:]:
        await _exchange(address, port, data, wait_s=0.01)
    reply = await _exchange(address, port, good, wait_s=2.0)
    assert reply is not None
    message = decode_message(reply)
    assert isinstance(message, CommunityMessage) and isinstance(message.pdu, Pdu)
    assert message.pdu.request_id == 7
    assert message.pdu.varbinds == [((1, 3, 6, 1, 2, 1, 1, 5, 0), b"ups")]
    assert await tools.get("ups", SYS_NAME) == "ups"


_PLAN = plan_site(packaged_site_text())
_SWITCH_VIEW = view(_PLAN.device("core-switch"), DeviceState(100.0))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([PduType.GET, PduType.GET_NEXT, PduType.GET_BULK]))
def test_answer_never_raises_whatever_arrives(data: bytes, kind: PduType) -> None:
    answer(data, lambda: _SWITCH_VIEW)
    # a well-formed frame around arbitrary varbind bytes too
    pdu = tlv(kind, encode_int(1) + encode_int(0) + encode_int(5) + tlv(0x30, data))
    answer(encode_community(Version.V2C, COMMUNITY.encode(), pdu), lambda: _SWITCH_VIEW)


def test_a_bulk_reply_is_trimmed_to_fit_a_datagram() -> None:
    pdu = Pdu(PduType.GET_BULK, 9, 0, 10_000, [((1, 3), None)] * 4)
    reply = answer(
        encode_community(Version.V2C, COMMUNITY.encode(), encode_pdu(pdu)), lambda: _SWITCH_VIEW
    )
    assert reply is not None
    message = decode_message(reply)
    assert isinstance(message, CommunityMessage) and isinstance(message.pdu, Pdu)
    assert message.pdu.error_status == 0 and 4 <= len(message.pdu.varbinds) <= 256
    assert len(reply) <= 8192


# --- traps and layouts -----------------------------------------------------------------


class _Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.got.put_nowait((data, addr))


@pytest.fixture
async def trap_sink() -> AsyncIterator[tuple[_Collector, str]]:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(_Collector, local_addr=("127.0.0.1", 0))
    try:
        host, port = transport.get_extra_info("sockname")[:2]
        yield sink, f"{host}:{port}"
    finally:
        transport.close()


async def _trap(
    sink: _Collector,
) -> tuple[tuple[int, ...], list[tuple[tuple[int, ...], object]], str]:
    async with asyncio.timeout(5):
        data, (host, _) = await sink.got.get()
    message = decode_message(data)
    assert isinstance(message, CommunityMessage) and isinstance(message.pdu, Pdu)
    assert message.pdu.type == PduType.TRAP_V2 and message.community == COMMUNITY.encode()
    binds = message.pdu.varbinds
    assert binds[0][0] == (1, 3, 6, 1, 2, 1, 1, 3, 0) and binds[1][0] == (
        1,
        3,
        6,
        1,
        6,
        3,
        1,
        1,
        4,
        1,
        0,
    )
    trap_oid = binds[1][1]
    assert isinstance(trap_oid, tuple)
    return trap_oid, list(binds[2:]), host


async def test_condition_changes_send_v2c_traps(trap_sink: tuple[_Collector, str]) -> None:
    sink, where = trap_sink
    lab = Lab(
        control_port=None,
        network=f"127.78.{random.randint(1, 254)}.0/24",
        fallback=False,
        trap_to=where,
    )
    try:
        await lab.start()
    except LabError as err:
        pytest.fail(f"could not start a lab: {err}")
    try:
        lab.set_condition("ups", "on-battery")
        oid, _, host = await _trap(sink)
        assert oid == (1, 3, 6, 1, 2, 1, 33, 2, 0, 1) and host == lab.endpoint("ups", "snmp")[0]
        lab.set_condition("core-switch", "port-down", port=7)
        oid, binds, _ = await _trap(sink)
        assert oid == (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)  # linkDown
        assert binds == [
            ((1, 3, 6, 1, 2, 1, 2, 2, 1, k, 7), v) for k, v in ((1, 7), (7, 1), (8, 2))
        ]
        lab.set_condition("core-switch", "port-down", port=7, on=False)
        assert (await _trap(sink))[0] == (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)  # linkUp
    finally:
        await lab.stop()


def test_a_trap_destination_must_be_loopback() -> None:
    assert parse_trap_to("127.0.0.1:1162") == ("127.0.0.1", 1162)
    assert parse_trap_to("localhost:9162") == ("127.0.0.1", 9162)
    assert parse_trap_to(None) is None
    for bad in ("192.0.2.1:162", "127.0.0.1", "127.0.0.1:0", "example.com:162"):
        with pytest.raises(LabError, match="loopback"):
            parse_trap_to(bad)


async def test_the_fallback_layout_serves_snmp_on_its_own_port(tool_env: dict[str, str]) -> None:
    lab = await start_lab(fallback=True)
    try:
        address, port = lab.endpoint("core-switch", "snmp")
        assert address == "127.0.0.1" and port != 1161
        assert await Tools(tool_env, lab).get("core-switch", SYS_NAME) == "core-switch"
    finally:
        await lab.stop()
