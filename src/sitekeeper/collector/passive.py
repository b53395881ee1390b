"""The passive hub: syslog and SNMP trap receivers and a heartbeat ticker, feeding the same
results sink as the probes (so: state engine -> flips -> incidents -> dashboard).

    hub = PassiveHub(store, sink, clock, PassiveOptions(syslog_listen="0.0.0.0:1514"))
    await hub.reload(catalog)      after every inventory change (the runtime does this)
    await hub.start(); await hub.run(stop); await hub.close()

A message or trap is matched to devices by its source address (a device's `address`, host
names resolved at reload). Each of those devices' syslog or snmp_trap checks judges it
(sitekeeper.state.passive) and, when its status or reason changes, an Observation goes to
the sink. Messages from addresses of no device are counted and logged once per address,
not stored. Every few seconds the ticker judges heartbeats (pings are stored by the
/hb/{token} routes), clears conditions whose time is up, and writes the devices' latest
messages and traps to a bounded table for their pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.checks.specs_passive import (
    TRAP_NAMES,
    HeartbeatCheck,
    PassiveCheck,
    SnmpTrapCheck,
    SyslogCheck,
)
from sitekeeper.clock import Clock
from sitekeeper.collector.sink import ResultSink
from sitekeeper.collector.syslog import SyslogMessage, SyslogReceiver
from sitekeeper.db import models as m
from sitekeeper.errors import ConfigError
from sitekeeper.observation import Observation
from sitekeeper.protocols.snmp.traps import Notification, Source, TrapReceiver
from sitekeeper.results.catalog import Catalog, CheckInfo
from sitekeeper.results.passive import (
    RECENT_EVENTS,
    Event,
    HeartbeatRow,
    heartbeat_rows,
    store_events,
)
from sitekeeper.state.passive import (
    Conditions,
    Outcome,
    decode,
    expire,
    judge_heartbeat,
    judge_syslog,
    judge_trap,
    observation,
)

if TYPE_CHECKING:
    from sitekeeper.results.store import Store

log = logging.getLogger(__name__)

SYSLOG_PORT = 1514  # unprivileged; devices default to 514 (see docs/passive.md)
TRAP_PORT = 1162  # unprivileged; devices default to 162
MAX_UNKNOWN_LOGGED = 256  # addresses of no device we log about (each once)
MAX_RESOLVE = 256  # device host names resolved per reload
RESOLVE_TIMEOUT = 2.0


def parse_listen(value: str, what: str, default_port: int) -> tuple[str, int] | None:
    """`HOST:PORT`, `[v6]:PORT`, `:PORT` (all IPv4 interfaces), `HOST`, or `off` (None)."""
    value = value.strip()
    if value.lower() in ("off", "none", ""):
        return None
    host, sep, port_text = value.rpartition(":")
    if not sep or (host and not host.endswith("]") and ":" in host):
        host, port_text = value, str(default_port)  # a bare host (or a bare IPv6 address)
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ConfigError(
            f"{what} address {value!r} must look like 0.0.0.0:{default_port}, [::]:{default_port} "
            "or `off`"
        )
    return host.strip("[]") or "0.0.0.0", int(port_text)  # noqa: S104 - devices send from the LAN


def normalize(address: str) -> str:
    """The canonical text of an IP address (IPv4-mapped IPv6 as IPv4); others unchanged."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


@dataclass
class PassiveOptions:
    syslog_listen: str | None = None  # e.g. "0.0.0.0:1514"; None: no syslog receiver
    trap_listen: str | None = None  # e.g. "0.0.0.0:1162"; None: no trap receiver
    trap_communities: tuple[str, ...] | None = None  # None: any community
    tick_every_s: float = 2.0
    keep_events: int = RECENT_EVENTS
    max_queued: int = 10_000  # observations and events waiting to be written


@dataclass
class PassiveStats:
    syslog_messages: int = 0
    traps: int = 0
    unknown_sources: int = 0  # messages and traps from addresses of no device
    observations: int = 0
    dropped: int = 0  # beyond max_queued (a flood): counted, not kept
    problems: list[str] = field(default_factory=list)  # receivers that could not start


@dataclass
class _Device:
    client_id: int
    syslog: list[CheckInfo] = field(default_factory=list)
    traps: list[CheckInfo] = field(default_factory=list)


class PassiveHub:
    def __init__(
        self,
        store: Store,
        sink: ResultSink,
        clock: Clock,
        options: PassiveOptions | None = None,
    ) -> None:
        self.store, self.sink, self.clock = store, sink, clock
        self.options = options or PassiveOptions()
        self.stats = PassiveStats()
        self.syslog: SyslogReceiver | None = None
        self.traps: TrapReceiver | None = None
        self._devices: dict[int, _Device] = {}
        self._index: dict[str, list[int]] = {}  # normalized address -> device ids
        self._heartbeats: dict[int, CheckInfo] = {}
        self._conditions: dict[int, Conditions] = {}  # syslog and trap checks
        self._said: dict[int, tuple[str, str]] = {}  # check -> last (status, reason) sent
        self._outbox: deque[Observation] = deque()
        self._events: deque[Event] = deque()
        self._unknown: set[str] = set()
        self._wake = asyncio.Event()
        self._sent = asyncio.Event()

    # --- the catalog ------------------------------------------------------------------------

    async def reload(self, catalog: Catalog) -> None:
        """Follow the inventory: which devices have which passive checks, by address."""
        devices: dict[int, _Device] = {}
        heartbeats: dict[int, CheckInfo] = {}
        addresses: dict[int, str] = {}
        for info in catalog.checks.values():
            if not isinstance(info.spec, PassiveCheck) or not info.spec.enabled:
                continue
            if isinstance(info.spec, HeartbeatCheck):
                heartbeats[info.id] = info
                continue
            device = devices.setdefault(info.device_id, _Device(info.client_id))
            addresses[info.device_id] = info.address
            (device.syslog if isinstance(info.spec, SyslogCheck) else device.traps).append(info)
        index: dict[str, list[int]] = {}
        for device_id, address in sorted(addresses.items()):
            for resolved in await self._addresses(address):
                index.setdefault(resolved, []).append(device_id)
        wanted = [c.id for d in devices.values() for c in (*d.syslog, *d.traps)]
        stored = await asyncio.to_thread(self._stored_states, [*wanted, *heartbeats])
        for check_id in wanted:
            if check_id in self._conditions:
                continue
            if check_id in stored:
                self._conditions[check_id] = decode(stored[check_id][2])
                self._said[check_id] = stored[check_id][:2]
            else:  # a new check: OK until something arrives, so its device is not waiting
                self._emit(check_id, self.clock.now(), Outcome({}))
        for check_id in heartbeats:
            if check_id in stored and check_id not in self._said:
                self._said[check_id] = stored[check_id][:2]
        keep = {*wanted, *heartbeats}
        self._conditions = {k: v for k, v in self._conditions.items() if k in keep}
        self._said = {k: v for k, v in self._said.items() if k in keep}
        self._devices, self._index, self._heartbeats = devices, index, heartbeats
        self._wake.set()  # judge new heartbeats now

    async def _addresses(self, address: str) -> list[str]:
        try:
            return [normalize(str(ipaddress.ip_address(address)))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(address, None), RESOLVE_TIMEOUT)
        except (OSError, TimeoutError) as err:
            log.warning("cannot resolve %s for syslog and traps: %s", address, err)
            return []
        return sorted({normalize(str(info[4][0])) for info in infos})

    def _stored_states(self, check_ids: list[int]) -> dict[int, tuple[str, str, object]]:
        if not check_ids:
            return {}
        with Session(self.store.engine) as session:
            rows = session.execute(
                select(
                    m.CheckState.check_id,
                    m.CheckState.status,
                    m.CheckState.reason,
                    m.CheckState.values,
                ).where(m.CheckState.check_id.in_(check_ids))
            )
            return {
                cid: (status, reason or "", (values or {}).get("conditions"))
                for cid, status, reason, values in rows
            }

    # --- receiving --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the receivers that are configured. One that cannot listen (port taken, no
        privilege) is reported in `stats.problems` and the log; monitoring goes on."""
        opts = self.options
        syslog = (
            parse_listen(opts.syslog_listen, "syslog", SYSLOG_PORT) if opts.syslog_listen else None
        )
        trap = parse_listen(opts.trap_listen, "trap", TRAP_PORT) if opts.trap_listen else None
        if syslog is not None:
            receiver = SyslogReceiver(
                self.on_syslog,
                host=syslog[0],
                udp_port=syslog[1],
                tcp_port=syslog[1],
                now=self.clock.now,
            )
            if await self._listen(receiver.start(), "syslog", syslog):
                self.syslog = receiver
        if trap is not None:
            traps = TrapReceiver(
                self.on_trap, host=trap[0], port=trap[1], communities=opts.trap_communities
            )
            if await self._listen(traps.start(), "SNMP traps", trap):
                self.traps = traps

    async def _listen(self, starting: Awaitable[None], what: str, where: tuple[str, int]) -> bool:
        try:
            await starting
        except OSError as err:
            hint = ""
            if err.errno in (errno.EACCES, errno.EPERM):
                hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE; see docs/passive.md)"
            elif err.errno == errno.EADDRINUSE:
                hint = " (in use: another sitekeeper or syslog daemon?)"
            problem = f"cannot listen for {what} on {where[0]}:{where[1]}: {err.strerror}{hint}"
            self.stats.problems.append(problem)
            log.error("%s", problem)
            return False
        return True

    def _devices_of(self, address: str) -> list[int]:
        found = self._index.get(normalize(address), [])
        if not found:
            self.stats.unknown_sources += 1
            if address not in self._unknown and len(self._unknown) < MAX_UNKNOWN_LOGGED:
                self._unknown.add(address)
                log.warning(
                    "syslog or trap from %s, which is no device's address: ignored", address
                )
        return found

    def on_syslog(self, source: str, message: SyslogMessage) -> None:
        self.stats.syslog_messages += 1
        now = self.clock.now()
        for device_id in self._devices_of(source):
            device = self._devices[device_id]
            self._event(
                Event(
                    device.client_id,
                    device_id,
                    now,
                    "syslog",
                    source,
                    message.line,
                    message.severity,
                    message.app,
                )
            )
            for info in device.syslog:
                assert isinstance(info.spec, SyslogCheck)
                outcome = judge_syslog(
                    info.spec,
                    self._conditions.get(info.id, {}),
                    message.severity,
                    message.app,
                    message.line,
                    now,
                )
                if outcome is not None:
                    self._emit(info.id, now, outcome)

    def on_trap(self, source: Source, notification: Notification) -> None:
        self.stats.traps += 1
        now = self.clock.now()
        address = source[0]
        if not self._index.get(normalize(address)) and notification.agent_address is not None:
            address = str(notification.agent_address)  # a v1 trap relayed for its agent
        dotted = ".".join(str(part) for part in notification.trap_oid)
        name = TRAP_NAMES.get(dotted, dotted)
        shown = " ".join(
            f"{'.'.join(map(str, oid))}={_shown(value)}" for oid, value in notification.varbinds[:8]
        )
        for device_id in self._devices_of(address):
            device = self._devices[device_id]
            self._event(
                Event(
                    device.client_id,
                    device_id,
                    now,
                    "trap",
                    source[0],
                    f"{name} {shown}".strip(),
                    None,
                    name,
                )
            )
            for info in device.traps:
                assert isinstance(info.spec, SnmpTrapCheck)
                outcome = judge_trap(
                    info.spec,
                    self._conditions.get(info.id, {}),
                    notification.trap_oid,
                    notification.varbinds,
                    now,
                )
                if outcome is not None:
                    self._emit(info.id, now, outcome)

    # --- out to the sink --------------------------------------------------------------------

    def _emit(self, check_id: int, now: float, outcome: Outcome) -> None:
        self._conditions[check_id] = outcome.conditions
        self._send(observation(check_id, now, outcome))

    def _send(self, obs: Observation) -> None:
        self._said[obs.check_id] = (str(obs.values.get("status")), str(obs.values.get("reason")))
        if len(self._outbox) >= self.options.max_queued:
            self.stats.dropped += 1
            return
        self._outbox.append(obs)
        self._sent.set()

    def _event(self, event: Event) -> None:
        if len(self._events) >= self.options.max_queued:
            self.stats.dropped += 1
            return
        self._events.append(event)

    def poke(self) -> None:
        """Judge heartbeats now (a ping just arrived)."""
        self._wake.set()

    async def _forward(self) -> None:
        while self._outbox:
            obs = self._outbox.popleft()
            await self.sink.submit(obs)
            self.stats.observations += 1

    # --- the ticker -------------------------------------------------------------------------

    async def tick(self) -> None:
        """Heartbeats, expiring conditions, recent events to the store, observations out."""
        now = self.clock.now()
        for check_id, conditions in list(self._conditions.items()):
            outcome = expire(conditions, now)
            if outcome is not None:
                self._emit(check_id, now, outcome)
        if self._heartbeats:
            await self._judge_heartbeats(now)
        if self._events:
            batch = list(self._events)
            self._events.clear()
            await asyncio.to_thread(self._store_events, batch)
        await self._forward()

    async def _judge_heartbeats(self, now: float) -> None:
        rows = await asyncio.to_thread(self._heartbeat_rows)
        for row in rows:
            if row.check_id not in self._heartbeats:
                continue
            status, reason = judge_heartbeat(
                row.spec, row.heartbeat, row.last_ping, row.created_at, now
            )
            if self._said.get(row.check_id) == (status.value, reason):
                continue
            values: dict[str, float | int | str | bool] = {"status": status.value, "reason": reason}
            if row.last_ping is not None:
                values["last_ping_at"] = row.last_ping.at
            ok = status.value == "OK"
            self._send(
                Observation(row.check_id, now, ok, values=values, error=None if ok else reason)
            )

    def _heartbeat_rows(self) -> list[HeartbeatRow]:
        with Session(self.store.engine) as session:
            return heartbeat_rows(session)

    def _store_events(self, events: list[Event]) -> None:
        with Session(self.store.engine) as session, session.begin():
            store_events(session, events, self.options.keep_events)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop`, sooner when a ping or message asks for it."""
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:  # a database hiccup must not stop passive checks for good
                    log.exception("passive inputs: tick failed; retrying")
                self._wake.clear()
                self._sent.clear()
                waiters = {stopper, asyncio.ensure_future(self._wake.wait())}
                waiters.add(asyncio.ensure_future(self._sent.wait()))
                await asyncio.wait(
                    waiters, timeout=self.options.tick_every_s, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters - {stopper}:
                    waiter.cancel()
        finally:
            stopper.cancel()

    async def close(self) -> None:
        """Stop listening; hand what was judged to the sink and store the last events."""
        if self.syslog is not None:
            await self.syslog.close()
        if self.traps is not None:
            await self.traps.close()
        with contextlib.suppress(Exception):
            if self._events:
                batch = list(self._events)
                self._events.clear()
                await asyncio.to_thread(self._store_events, batch)
        await self._forward()


def _shown(value: object) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
        return text if text.isprintable() else value.hex()
    if isinstance(value, tuple):
        return ".".join(map(str, value))
    return str(value)
