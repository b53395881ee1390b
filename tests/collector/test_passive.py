"""Passive inputs end to end, on SQLite and PostgreSQL: real `logger` syslog over UDP and TCP,
net-snmp's `snmptrap`, and heartbeat pings over HTTP to the running server, each turning a
device's check CRIT and back through the same pipeline as probe results.

Time for heartbeats comes from a FakeClock; everything else waits on conditions with a
bounded timeout.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import func, select

from sitekeeper.api.app import create_app
from sitekeeper.api.server import bind, serve
from sitekeeper.clock import FakeClock
from sitekeeper.collector.passive import PassiveOptions
from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.results.store import Store
from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions

pytestmark = pytest.mark.asyncio

INVENTORY = """
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - id: fw
            kind: firewall
            address: 127.0.0.1
            profile_checks: false
            checks:
              - type: syslog
                rules: [{message: 'changed state to down', status: CRIT}]
                clear: 'changed state to up'
              - type: snmp_trap
              - type: heartbeat
                name: backup
                period: 1h
                grace: 10m
          - id: ap
            kind: access_point
            address: 127.0.0.2
            profile_checks: false
            checks:
              - type: syslog
"""
TIMEOUT = 15.0
IN_CI = bool(os.environ.get("CI"))


def apply(store: Store, now: float) -> None:
    with store.session() as session:
        apply_inventory(session, parse_inventory(INVENTORY), now)
        session.commit()


def check_id(store: Store, device: str, name: str) -> int:
    with store.session() as session:
        found = session.scalar(
            select(m.Check.id)
            .join(m.Device, m.Device.id == m.Check.device_id)
            .where(m.Device.key == device, m.Check.name == name)
        )
        assert found is not None
        return int(found)


def state(store: Store, cid: int) -> tuple[str, str]:
    with store.session() as session:
        row = session.get(m.CheckState, cid)
        return (row.status, row.reason or "") if row else ("", "")


async def until(what: Callable[[], bool], label: str) -> None:
    """Wait for a condition, checking every 50 ms, at most TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not await asyncio.to_thread(what):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {label}")
        await asyncio.sleep(0.05)


async def status_becomes(store: Store, cid: int, status: str, words: str = "") -> str:
    """Wait until the check has `status` with `words` in its reason; return the reason."""
    await until(
        lambda: state(store, cid)[0] == status and words in state(store, cid)[1],
        f"check {cid} {status} ({words}); now {state(store, cid)}",
    )
    return state(store, cid)[1]


@dataclass
class Running:
    store: Store
    runtime: EmbeddedRuntime
    clock: FakeClock
    base_url: str


@pytest.fixture
async def running(store: Store) -> AsyncIterator[Running]:
    clock = FakeClock(start=time.time())
    apply(store, clock.now())
    options = RuntimeOptions(
        passive=PassiveOptions(
            syslog_listen="127.0.0.1:0", trap_listen="127.0.0.1:0", tick_every_s=0.2
        ),
        retention_every_s=3600.0,
    )
    runtime = EmbeddedRuntime(store, options, clock=clock)
    app = create_app(store, runtime=runtime, clock=clock)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runtime.run(stop)), asyncio.create_task(serve(app, sock, stop))]
    await until(lambda: runtime.running and runtime.passive.traps is not None, "the runtime")
    try:
        yield Running(store, runtime, clock, f"http://127.0.0.1:{port}")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)


async def run(*argv: str) -> None:
    env = {**os.environ, "MIBS": ""}
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, (argv, out, err)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if IN_CI:
            pytest.fail(f"{tool} is missing (Debian: bsdutils for logger, snmp for snmptrap)")
        pytest.skip(f"{tool} is not installed")
    return path


async def logger(hub_port: int, transport: str, priority: str, text: str) -> None:
    await run(
        need("logger"),
        f"--{transport}",
        "--server",
        "127.0.0.1",
        "--port",
        str(hub_port),
        "--rfc3164",
        "-p",
        priority,
        "-t",
        "ifmgr",
        text,
    )


def events(store: Store, kind: str) -> list[str]:
    with store.session() as session:
        return list(
            session.scalars(
                select(m.PassiveEvent.text)
                .where(m.PassiveEvent.kind == kind)
                .order_by(m.PassiveEvent.id)
            )
        )


async def test_syslog_over_udp_and_tcp_turns_the_check_crit_and_the_clear_message_ok(
    running: Running,
) -> None:
    store, hub = running.store, running.runtime.passive
    cid = check_id(store, "fw", "syslog")
    await status_becomes(store, cid, "OK", "no problem reported")  # a new check is OK, not pending
    assert hub.syslog is not None and hub.syslog.udp_port and hub.syslog.tcp_port
    for transport, port in (("udp", hub.syslog.udp_port), ("tcp", hub.syslog.tcp_port)):
        down = f"%LINK-3-UPDOWN: Interface Gi0/1, changed state to down ({transport})"
        await logger(port, transport, "local7.err", down)
        reason = await status_becomes(store, cid, "CRIT", f"changed state to down ({transport})")
        assert reason.startswith("ifmgr: %LINK-3-UPDOWN")
        await logger(port, transport, "local7.notice", "%LINK-3-UPDOWN: Gi0/1 changed state to up")
        reason = await status_becomes(store, cid, "OK", "cleared")
        assert "changed state to up" in reason
    with store.session() as session:
        device = session.scalar(select(m.DeviceState).join(m.Device).where(m.Device.key == "fw"))
        flips = session.scalars(
            select(m.Flip)
            .where(m.Flip.subject == "check", m.Flip.subject_id == cid)
            .order_by(m.Flip.id)  # without it, PostgreSQL may return rows in any order
        )
        got = [(f.old, f.new, f.hard) for f in flips]
        statuses = [(o, n) for o, n, _ in got if "FLAPPING" not in (o, n)]  # 4 changes: flapping
        assert statuses == [
            ("OK", "CRIT"),
            ("CRIT", "OK"),
            ("OK", "CRIT"),
            ("CRIT", "OK"),
        ]
    assert device is not None and all(hard for _, _, hard in got), got  # max_attempts 1
    shown = await asyncio.to_thread(events, store, "syslog")
    assert len(shown) == 4 and "changed state to down (udp)" in shown[0]


async def test_a_message_from_no_devices_address_is_counted_not_stored(running: Running) -> None:
    store, hub = running.store, running.runtime.passive
    assert hub.syslog is not None and hub.syslog.udp_port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.9", 0))
        sock.sendto(
            b"<10>Mar  1 00:00:00 host kernel: stranger", ("127.0.0.1", hub.syslog.udp_port)
        )
    await until(lambda: hub.stats.unknown_sources == 1, "the unknown source counted")
    await running.runtime.passive.tick()
    assert await asyncio.to_thread(events, store, "syslog") == []


async def test_snmptrap_linkdown_then_linkup_flips_the_trap_check(running: Running) -> None:
    store, hub = running.store, running.runtime.passive
    cid = check_id(store, "fw", "snmp_trap")
    assert hub.traps is not None
    target = f"127.0.0.1:{hub.traps.address[1]}"
    port3 = ["1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.2.2.1.2.3", "s", "Gi0/3"]
    snmptrap = need("snmptrap")
    await status_becomes(store, cid, "OK")
    await run(snmptrap, "-v", "2c", "-c", "public", target, "", "1.3.6.1.6.3.1.1.5.3", *port3)
    assert await status_becomes(store, cid, "CRIT") == "port 3 down (Gi0/3)"
    await run(snmptrap, "-v", "2c", "-c", "public", target, "", "1.3.6.1.6.3.1.1.5.4", *port3)
    assert await status_becomes(store, cid, "OK") == "port 3 up (Gi0/3)"
    await hub.tick()
    shown = await asyncio.to_thread(events, store, "trap")
    assert [s.split()[0] for s in shown] == ["linkDown", "linkUp"]


async def test_heartbeat_pings_keep_it_up_and_a_missed_deadline_makes_it_crit(
    running: Running,
) -> None:
    store, clock = running.store, running.clock
    cid = check_id(store, "fw", "backup")
    with store.session() as session:
        token = session.get(m.HeartbeatToken, cid)
        assert token is not None
        url = f"{running.base_url}/hb/{token.token}"
    await status_becomes(store, cid, "OK", "waiting for the first ping")
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # each ping, 50 minutes apart, keeps it up past the first deadline
            clock.advance(50 * 60)
            async with http.get(url) as response:
                assert response.status == 200
            await status_becomes(store, cid, "OK", "last ping")
        clock.advance(60 * 60 + 10 * 60 + 1)  # period + grace, and a second
        reason = await status_becomes(store, cid, "CRIT", "no heartbeat since")
        assert "(due " in reason
        async with http.get(url) as response:
            assert response.status == 200
        await status_becomes(store, cid, "OK", "last ping")
        async with http.post(f"{url}/fail", data=b"rsync: error 23") as response:
            assert response.status == 200
        await status_becomes(store, cid, "CRIT", "the job reported failure")
        with store.session() as session:
            row = session.get(m.HeartbeatToken, cid)
            assert row is not None and row.pings == 4 and row.last_ping_body == "rsync: error 23"
        async with http.get(f"{running.base_url}/hb/{'x' * 22}") as response:
            assert response.status == 404
    with store.session() as session:
        assert session.scalar(select(func.sum(m.HeartbeatToken.pings))) == 4


async def test_a_ping_url_is_stable_across_reapply_and_restart(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        apply(store, 1_800_000_000.0)
        cid = check_id(store, "fw", "backup")
        with store.session() as session:
            first = session.get(m.HeartbeatToken, cid)
            assert first is not None
            token = first.token
        apply(store, 1_800_000_100.0)
    finally:
        store.close()
    store = Store.from_url(db_url)  # a restart: a new engine on the same database
    try:
        apply(store, 1_800_000_200.0)
        with store.session() as session:
            assert session.scalars(select(m.HeartbeatToken.token)).all() == [token]
        app = create_app(store, clock=FakeClock())
        from fastapi.testclient import TestClient

        with TestClient(app) as client:
            assert client.get(f"/hb/{token}").status_code == 200
    finally:
        store.close()
