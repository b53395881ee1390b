"""The lab: a simulated integrated site on loopback, with topology-aware fault injection.

    async with Lab(control_port=8479) as lab:     # or: await lab.start() ... await lab.stop()
        lab.inventory_text()                      # the inventory YAML that matches what is served
        await lab.fail("core-switch")             # 23 devices behind it stop answering
        await lab.recover("core-switch")

`run_lab()` is the foreground entry point for `sitekeeper lab up`; the control API
(lab.control) lets another process inject faults; `LabClient` is that process's side.
Every fault change recomputes the effect on every device (lab.faults, pure) and then opens
or closes listeners to match, one change at a time under a lock.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sitekeeper.errors import LabError
from sitekeeper.lab import conditions, faults
from sitekeeper.lab.certs import server_context
from sitekeeper.lab.control import ControlServer
from sitekeeper.lab.device import Shared, SimDevice
from sitekeeper.lab.mqtt_devices import MQTT_ENV, MqttSite, new_place, parse_broker
from sitekeeper.lab.plan import (
    DEFAULT_FALLBACK_BASE_PORT,
    DEFAULT_NETWORK,
    FALLBACK_HOST,
    SitePlan,
    packaged_site_text,
    plan_site,
)

DEFAULT_CONTROL_PORT = 8479
DEFAULT_CONTROL_HOST = "127.0.0.1"
TRAP_TO_ENV = "SITEKEEPER_LAB_TRAP_TO"  # host:port where the devices send SNMP traps

log = logging.getLogger(__name__)


class Lab:
    """The simulated site. `fallback=None` detects whether this OS can listen on
    127.x.y.z beyond 127.0.0.1; True forces the single-address layout, False forbids it.
    `control_port=None` runs no control API (in-process use); 0 picks a free port.
    `trap_to="127.0.0.1:1162"` (or $SITEKEEPER_LAB_TRAP_TO) makes the SNMP devices send a
    v2c trap there when a condition changes (loopback only).
    `mqtt_broker="127.0.0.1:1883"` (or $SITEKEEPER_LAB_MQTT; "" for none) adds the devices
    that publish to a broker (lab.mqtt_devices); without one they are left out."""

    def __init__(
        self,
        *,
        control_port: int | None = DEFAULT_CONTROL_PORT,
        control_host: str = DEFAULT_CONTROL_HOST,
        network: str = DEFAULT_NETWORK,
        fallback: bool | None = None,
        fallback_base_port: int = DEFAULT_FALLBACK_BASE_PORT,
        site_text: str | None = None,
        trap_to: str | None = None,
        mqtt_broker: str | None = None,
    ) -> None:
        self._control_port = control_port
        self._control_host = control_host
        self._network = network
        self._fallback = fallback
        self._fallback_base_port = fallback_base_port
        self._site_text = site_text
        self._trap_to = parse_trap_to(
            trap_to if trap_to is not None else os.environ.get(TRAP_TO_ENV)
        )
        self._broker = parse_broker(
            mqtt_broker if mqtt_broker is not None else os.environ.get(MQTT_ENV)
        )
        self._mqtt: MqttSite | None = None
        self._plan: SitePlan | None = None
        self._devices: dict[str, SimDevice] = {}
        self._faults: dict[str, faults.Fault] = {}
        self._flap_down: set[str] = set()
        self._flappers: dict[str, asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()
        self._stopping = False
        self._control: ControlServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._inventory_path: Path | None = None
        self.started_at: datetime | None = None
        self.startup_s: float | None = None  # how long start() took

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._plan is not None:
            raise LabError("this lab is already running")
        self._stopping = False
        began = time.perf_counter()
        text = self._site_text if self._site_text is not None else packaged_site_text()
        place = new_place(self._broker) if self._broker is not None else None
        self._mqtt = MqttSite(place) if place is not None else None
        plan = plan_site(text, network=self._network, mqtt=place)
        fallback = self._fallback
        if fallback is None:
            fallback = not can_listen_on(_alias_address(plan))
        if fallback:
            plan = plan_site(
                text, fallback=True, fallback_base_port=self._fallback_base_port, mqtt=place
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="sitekeeper-lab-")
        try:
            await self._start(plan, Path(self._tmp.name))
        except BaseException:
            await self.stop()
            raise
        self.startup_s = time.perf_counter() - began
        log.info("lab up: %d devices in %.0f ms", len(self._devices), self.startup_s * 1000)

    async def _start(self, plan: SitePlan, tmp: Path) -> None:
        addresses = {d.address for d in plan.devices} | {FALLBACK_HOST}
        needs_tls = any("https" in d.ports for d in plan.devices)
        downstream = {
            d.id: tuple((c.id, c.name) for c in plan.devices if d.id in c.depends_on)
            for d in plan.devices
        }
        shared = Shared(
            server_context(addresses, tmp) if needs_tls else None,
            plan.zone,
            contact=plan.contact,
            location=plan.location,
            downstream=downstream,
            trap_to=self._trap_to,
            mqtt=self._mqtt,
        )
        self._plan = plan
        self._devices = {d.id: SimDevice(d, shared) for d in plan.devices}
        results = await asyncio.gather(
            *(d.open() for d in self._devices.values()), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        self._inventory_path = tmp / "lab-inventory.yaml"
        self._inventory_path.write_text(plan.inventory_text, encoding="utf-8")
        if self._control_port is not None:
            self._control = ControlServer(self)
            await self._control.start(self._control_host, self._control_port)
        self.started_at = datetime.now(UTC)

    async def stop(self) -> None:
        """Close every listener and connection; safe to call twice or after a failed start."""
        for task in self._flappers.values():
            task.cancel()
        if self._flappers:
            await asyncio.wait(self._flappers.values())
        self._flappers.clear()
        if self._control is not None:
            await self._control.stop()
            self._control = None
        async with self._lock:  # let a fault change in flight finish first
            self._stopping = True
            await asyncio.gather(*(d.close() for d in self._devices.values()))
            self._devices.clear()
        if self._mqtt is not None:
            await self._mqtt.clear()
            self._mqtt = None
        self._plan = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what is served ----------------------------------------------------------------

    @property
    def plan(self) -> SitePlan:
        if self._plan is None:
            raise LabError("the lab is not running; call start() first")
        return self._plan

    @property
    def mode(self) -> str:
        """`addresses` (one loopback address per device) or `fallback` (127.0.0.1 + ports)."""
        return self.plan.mode

    @property
    def control_url(self) -> str | None:
        return self._control.url if self._control is not None else None

    @property
    def device_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.plan.devices)

    @property
    def mqtt(self) -> MqttSite | None:
        """Where the MQTT devices publish (broker and topic prefix); None without a broker."""
        return self._mqtt

    def inventory_text(self) -> str:
        """The inventory YAML describing the devices as they are served right now."""
        return self.plan.inventory_text

    def inventory_path(self) -> Path:
        """A file holding `inventory_text()`; it lives as long as the lab runs."""
        if self._inventory_path is None:
            raise LabError("the lab is not running; call start() first")
        return self._inventory_path

    def endpoint(self, device_id: str, service: str) -> tuple[str, int]:
        """(address, port) where `device_id` serves `service` (e.g. "http", "rtsp")."""
        device = self._device(device_id).plan
        if service not in device.ports:
            raise LabError(
                f"{device_id} has no {service!r} port; it has: {', '.join(device.ports)}"
            )
        return device.address, device.ports[service]

    # -- faults ------------------------------------------------------------------------

    async def fail(self, device_id: str) -> dict[str, Any]:
        """The device stops answering: connections refused, DNS silent, children too."""
        return await self._set(device_id, faults.failed())

    async def recover(self, device_id: str) -> dict[str, Any]:
        """Clear the device's own fault and conditions (it stays down if a parent is down)."""
        self._device(device_id).clear_conditions()
        return await self._set(device_id, None)

    def set_condition(
        self, device_id: str, name: str, *, port: int | None = None, on: bool = True
    ) -> dict[str, Any]:
        """A fault inside a device that still answers (see lab.conditions)."""
        device = self._device(device_id)
        conditions.check(name, device.plan.kind, device_id, port)
        device.set_condition(conditions.key(name, port), on)
        return self.device_status(device_id)

    async def recover_all(self) -> dict[str, Any]:
        for device_id in list(self._faults):
            await self._stop_flapping(device_id)
        self._faults.clear()
        await self._apply()
        return self.status()

    async def degrade(
        self, device_id: str, latency_ms: float, loss_pct: float = 0.0
    ) -> dict[str, Any]:
        """Replies wait `latency_ms`; `loss_pct` of connections/queries get no reply."""
        return await self._set(device_id, faults.degraded(latency_ms, loss_pct))

    async def flap(self, device_id: str, period_s: float) -> dict[str, Any]:
        """Down now, up after `period_s`, down again... until recovered or given another fault."""
        return await self._set(device_id, faults.flapping(period_s))

    async def _set(self, device_id: str, fault: faults.Fault | None) -> dict[str, Any]:
        self._device(device_id)
        await self._stop_flapping(device_id)
        if fault is None:
            self._faults.pop(device_id, None)
        else:
            self._faults[device_id] = fault
        if fault is not None and fault.mode == "flapping":
            self._flap_down.add(device_id)
            task = asyncio.create_task(self._flapper(device_id, fault.period_s))
            self._flappers[device_id] = task
        await self._apply()
        return self.device_status(device_id)

    async def _stop_flapping(self, device_id: str) -> None:
        task = self._flappers.pop(device_id, None)
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        self._flap_down.discard(device_id)

    async def _flapper(self, device_id: str, period_s: float) -> None:
        while True:
            await asyncio.sleep(period_s)
            self._flap_down ^= {device_id}
            # shielded: cancelling the flapper (recover) must not leave a device half-open
            await asyncio.shield(self._apply_quietly())

    async def _apply_quietly(self) -> None:
        try:
            await self._apply()
        except LabError as err:  # a port taken meanwhile: say so, keep going
            log.warning("lab: %s", err)

    async def _apply(self) -> None:
        """Make the listeners match the faults: close what is down, reopen what came back."""
        async with self._lock:
            if self._stopping:
                return
            plan = self.plan
            parents = {d.id: d.depends_on for d in plan.devices}
            now = faults.effects(plan.order, parents, self._faults, self._flap_down)
            reopen: list[SimDevice] = []
            closing: list[Awaitable[None]] = []
            for device_id, effect in now.items():
                device = self._devices[device_id]
                device.set_effect(effect)
                if effect.state == "down" and device.listening:
                    closing.append(device.close())
                elif effect.state != "down" and not device.listening:
                    reopen.append(device)
            await asyncio.gather(*closing)
            results = await asyncio.gather(*(d.open() for d in reopen), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    # -- status ------------------------------------------------------------------------

    def device_status(self, device_id: str) -> dict[str, Any]:
        device = self._device(device_id)
        fault = self._faults.get(device_id)
        effect = device.effect
        return {
            "id": device.plan.id,
            "name": device.plan.name,
            "kind": device.plan.kind.value,
            "address": device.plan.address,
            "ports": dict(device.plan.ports),
            "mqtt": device.plan.mqtt_dialect,  # the dialect it publishes in, on the broker
            "depends_on": list(device.plan.depends_on),
            "fault": fault.as_dict() if fault is not None else None,
            "state": effect.state,
            "cause": effect.cause,
            "latency_ms": effect.latency_ms,
            "loss_pct": effect.loss_pct,
            "since": datetime.fromtimestamp(device.changed_at, UTC).isoformat(),
            "conditions": sorted(device.conditions),
        }

    def status(self) -> dict[str, Any]:
        """Every device with its own fault and what the network shows of it (JSON-ready)."""
        plan = self.plan
        devices = [self.device_status(d.id) for d in plan.devices]
        counts = {s: sum(1 for d in devices if d["state"] == s) for s in ("up", "degraded", "down")}
        return {
            "site": plan.site_name,
            "mode": plan.mode,
            "network": plan.network,
            "control_url": self.control_url,
            "inventory_path": str(self._inventory_path) if self._inventory_path else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "mqtt": (
                {"broker": self._mqtt.where, "prefix": self._mqtt.place.prefix}
                if self._mqtt is not None
                else None
            ),
            "counts": counts,
            "devices": devices,
        }

    def _device(self, device_id: str) -> SimDevice:
        device = self._devices.get(device_id)
        if device is None:
            raise faults.UnknownDevice(device_id, self.device_ids)
        return device


async def run_lab(
    control_port: int | None = DEFAULT_CONTROL_PORT,
    stop_event: asyncio.Event | None = None,
    *,
    on_ready: Callable[[Lab], None] | None = None,
    control_host: str = DEFAULT_CONTROL_HOST,
    network: str = DEFAULT_NETWORK,
    fallback: bool | None = None,
    fallback_base_port: int = DEFAULT_FALLBACK_BASE_PORT,
    mqtt_broker: str | None = None,
) -> None:
    """Run the lab until `stop_event` is set (or the task is cancelled, e.g. by Ctrl-C in
    `asyncio.run`). `on_ready(lab)` is called once everything listens."""
    lab = Lab(
        control_port=control_port,
        control_host=control_host,
        network=network,
        fallback=fallback,
        fallback_base_port=fallback_base_port,
        mqtt_broker=mqtt_broker,
    )
    await lab.start()
    try:
        if on_ready is not None:
            on_ready(lab)
        await (stop_event or asyncio.Event()).wait()
    finally:
        await lab.stop()


def parse_trap_to(text: str | None) -> tuple[str, int] | None:
    """`127.0.0.1:1162` -> ("127.0.0.1", 1162); the lab sends traps only on loopback."""
    if not text:
        return None
    host, sep, port = text.strip().rpartition(":")
    host = "127.0.0.1" if host == "localhost" else host
    try:
        address = ipaddress.IPv4Address(host)
        number = int(port)
    except ValueError:
        address, number = None, 0
    if not sep or address is None or not address.is_loopback or not 1 <= number <= 65535:
        raise LabError(
            f"trap destination {text!r} must be a loopback IPv4 host:port, e.g. 127.0.0.1:1162 "
            f"(the lab is on loopback; set it with trap_to= or ${TRAP_TO_ENV})"
        )
    return str(address), number


def can_listen_on(address: str) -> bool:
    """False when the OS has no such local address (macOS: only 127.0.0.1 by default)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as err:
            return err.errno != errno.EADDRNOTAVAIL
    return True


def _alias_address(plan: SitePlan) -> str:
    """A device address other than 127.0.0.1, to test whether aliases work."""
    return next((d.address for d in plan.devices if d.address != FALLBACK_HOST), FALLBACK_HOST)
