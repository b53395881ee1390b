"""Where each simulated device listens, and the inventory YAML that describes it.

The packaged `site.yaml` is written for one address per device (127.77.0.N). A lab may move
it: to another /24 in 127.0.0.0/8 (tests use 127.78.x.0/24 so they never meet a running
demo), or - where the OS only answers on 127.0.0.1, as macOS does by default - to
127.0.0.1 with a distinct port per service (`base + index*10 + offset`). Whatever the lab
serves, `SitePlan.inventory_text` describes it, so monitoring the lab means monitoring what
is really there. Devices tagged `mqtt:<dialect>` live on an MQTT broker instead of ports
(lab.mqtt_devices): given a broker, their checks get its address and the lab's own topic
prefix; without one they are left out. Pure: no sockets here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

try:  # libyaml's safe loader parses the site ~10x faster than the pure-Python one
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from sitekeeper.errors import LabError
from sitekeeper.inventory.kinds import DeviceKind

SITE_FILE = "site.yaml"
DEFAULT_NETWORK = "127.77.0.0/24"
DEFAULT_FALLBACK_BASE_PORT = 18000
FALLBACK_HOST = "127.0.0.1"

# Fallback port = base + device index * PORTS_PER_DEVICE + offset of the service.
PORTS_PER_DEVICE = 10
SERVICE_OFFSETS: dict[str, int] = {
    "http": 0,
    "https": 1,
    "rtsp": 2,
    "pjlink": 3,
    "dns": 4,
    "smb": 5,
    "ipp": 6,
    "control": 7,
    "snmp": 8,  # UDP only (lab.snmp_agent)
    "sonos": 9,  # a Sonos player's description (HTTP, port 1400 on a real one)
}

Mode = Literal["addresses", "fallback"]

MQTT_TAG = "mqtt:"  # `mqtt:shelly`: the device publishes to a broker in that dialect
MQTT_PREFIX_PLACEHOLDER = "{mqtt_prefix}"  # in the site's mqtt check topics


@dataclass(frozen=True, slots=True)
class MqttPlace:
    """Where the lab's MQTT devices publish: a broker, and the topic prefix of this lab."""

    host: str
    port: int
    prefix: str  # e.g. sitekeeper-lab/3f9a61c2: parallel labs never share a topic


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """One simulated device: what it is (for banners and pages) and where it listens."""

    id: str
    kind: DeviceKind
    name: str
    vendor: str
    model: str
    firmware: str
    address: str
    ports: dict[str, int]
    depends_on: tuple[str, ...]
    tags: tuple[str, ...] = ()

    @property
    def mqtt_dialect(self) -> str | None:
        """`shelly` for a device tagged `mqtt:shelly`; None for a device with ports."""
        return mqtt_dialect(self.tags)


@dataclass(frozen=True, slots=True)
class SitePlan:
    site_name: str
    mode: Mode
    network: str  # the block in use ("127.0.0.1/32" in fallback)
    devices: tuple[DevicePlan, ...]
    order: tuple[str, ...]  # parents before children
    inventory_text: str
    zone: dict[str, str] = field(default_factory=dict)  # DNS name -> address
    contact: str = ""  # the client's contact (SNMP sysContact)
    location: str = ""  # the site's name and address (SNMP sysLocation)

    def device(self, device_id: str) -> DevicePlan:
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(device_id)


def site_inventory_path() -> Path:
    """The packaged lab inventory (addresses 127.77.0.N). A running lab may serve a moved
    copy: ask it (`Lab.inventory_text()`, `GET /inventory`) for the one in use."""
    return Path(str(resources.files("sitekeeper.lab").joinpath(SITE_FILE)))


def packaged_site_text() -> str:
    return resources.files("sitekeeper.lab").joinpath(SITE_FILE).read_text(encoding="utf-8")


def plan_site(
    text: str,
    *,
    network: str = DEFAULT_NETWORK,
    fallback: bool = False,
    fallback_base_port: int = DEFAULT_FALLBACK_BASE_PORT,
    mqtt: MqttPlace | None = None,
) -> SitePlan:
    """Place every device of the lab inventory `text`; raise LabError if it cannot be.
    Without `mqtt` the devices that publish to a broker are left out."""
    raw = yaml.load(text, Loader=_Loader)
    try:
        client = raw["clients"][0]
        site = client["sites"][0]
        devices: list[dict[str, Any]] = site["devices"]
    except (TypeError, KeyError, IndexError) as err:
        raise LabError("the lab inventory needs clients[0].sites[0].devices") from err
    left_out = _place_mqtt(site, mqtt)
    devices = site["devices"]
    net = _loopback_network(network)
    last_port = fallback_base_port + len(devices) * PORTS_PER_DEVICE
    if fallback and not (fallback_base_port > 1024 and last_port <= 65535):
        raise LabError(f"fallback ports {fallback_base_port}..{last_port} are out of range")

    moved: dict[str, str] = {}  # original address -> address in use
    for index, dev in enumerate(devices):
        original = str(dev["address"])
        new = FALLBACK_HOST if fallback else _move(original, net)
        moved[original] = new
        dev["address"] = new
        if fallback:
            dev["ports"] = {
                name: fallback_base_port + index * PORTS_PER_DEVICE + _offset(dev["id"], name)
                for name in dev.get("ports", {})
            }
        for name in dev.get("ports", {}):
            _offset(dev["id"], name)  # every port must be a service the lab can serve
    for dev in devices:
        dev["checks"] = [_replace_strings(c, moved) for c in dev.get("checks", [])]

    plans = tuple(_device_plan(d) for d in devices)
    order = _order(plans)
    changed = fallback or net != ipaddress.ip_network(DEFAULT_NETWORK)
    reasons = [_moved_reason(fallback, str(net))] if changed else []
    if mqtt is not None:
        reasons.append(f"the MQTT devices publish to {mqtt.host}:{mqtt.port} under {mqtt.prefix}/")
    elif left_out:
        reasons.append(f"no MQTT broker was given, so {', '.join(left_out)} are left out")
    inventory_text = _rewritten(raw, reasons) if reasons else text
    zone = {f"{d.id}.lab.example.": d.address for d in plans}
    gateway = next((d.address for d in plans if d.kind == DeviceKind.ROUTER), plans[0].address)
    zone["lab.example."] = gateway
    return SitePlan(
        site_name=str(client.get("name") or client["id"]),
        mode="fallback" if fallback else "addresses",
        network=f"{FALLBACK_HOST}/32" if fallback else str(net),
        devices=plans,
        order=order,
        inventory_text=inventory_text,
        zone=zone,
        contact=str(client.get("contact") or ""),
        location=", ".join(str(site[k]) for k in ("name", "address") if site.get(k)),
    )


def _loopback_network(network: str) -> ipaddress.IPv4Network:
    """Only loopback: the lab must never answer (or be probed) anywhere else."""
    try:
        net = ipaddress.IPv4Network(network, strict=False)
    except ValueError as err:
        raise LabError(f"{network!r} is not an IPv4 network like 127.77.0.0/24") from err
    if not net.subnet_of(ipaddress.IPv4Network("127.0.0.0/8")) or net.prefixlen > 24:
        raise LabError(f"the lab network must be a /24 (or larger) inside 127.0.0.0/8, not {net}")
    return net


def _move(address: str, net: ipaddress.IPv4Network) -> str:
    """Keep the host part (the .N), swap the network."""
    host = int(ipaddress.IPv4Address(address)) & 0xFF
    return str(net.network_address + host)


def _offset(device_id: str, service: str) -> int:
    if service not in SERVICE_OFFSETS:
        raise LabError(
            f"lab device {device_id!r} has a port named {service!r}, which the lab cannot "
            f"serve; use one of: {', '.join(SERVICE_OFFSETS)}"
        )
    return SERVICE_OFFSETS[service]


def _replace_strings(value: Any, mapping: dict[str, str]) -> Any:
    """Addresses inside checks (e.g. a DNS check's `expect`) follow their devices."""
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_replace_strings(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _replace_strings(v, mapping) for k, v in value.items()}
    return value


def _device_plan(d: dict[str, Any]) -> DevicePlan:
    try:
        kind = DeviceKind(d["kind"])
    except (KeyError, ValueError) as err:
        raise LabError(f"lab device {d.get('id')!r} has no valid kind") from err
    return DevicePlan(
        id=str(d["id"]),
        kind=kind,
        name=str(d.get("name") or d["id"]),
        vendor=str(d.get("vendor") or "Generic"),
        model=str(d.get("model") or kind.value),
        firmware=str(d.get("firmware") or "1.0"),
        address=str(d["address"]),
        ports={str(k): int(v) for k, v in (d.get("ports") or {}).items()},
        depends_on=tuple(str(p) for p in d.get("depends_on") or ()),
        tags=tuple(str(t) for t in d.get("tags") or ()),
    )


def _order(plans: tuple[DevicePlan, ...]) -> tuple[str, ...]:
    edges = {d.id: d.depends_on for d in plans}
    if len(edges) != len(plans):
        raise LabError("the lab inventory has duplicate device ids")
    for d in plans:
        missing = [p for p in d.depends_on if p not in edges]
        if missing:
            raise LabError(f"lab device {d.id!r} depends on unknown {', '.join(missing)}")
    # Kahn's algorithm: parents before children; whatever is left over sits on a cycle.
    children: dict[str, list[str]] = {d.id: [] for d in plans}
    waiting = {d.id: len(set(d.depends_on)) for d in plans}
    for d in plans:
        for parent in set(d.depends_on):
            children[parent].append(d.id)
    ready = [d.id for d in plans if waiting[d.id] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(order) != len(plans):
        stuck = sorted(set(edges) - set(order))
        raise LabError(f"the lab topology has a cycle among: {', '.join(stuck)}")
    return tuple(order)


def mqtt_dialect(tags: tuple[str, ...]) -> str | None:
    return next((t.removeprefix(MQTT_TAG) for t in tags if t.startswith(MQTT_TAG)), None)


def _place_mqtt(site: dict[str, Any], mqtt: MqttPlace | None) -> list[str]:
    """Point the MQTT devices' mqtt checks at the broker and this lab's prefix, or (without
    a broker) leave those devices out, and out of the services; the ids left out."""
    devices: list[dict[str, Any]] = site["devices"]
    on_broker = [d for d in devices if mqtt_dialect(tuple(d.get("tags") or ())) is not None]
    if mqtt is None:
        gone = {str(d["id"]) for d in on_broker}
        site["devices"] = [d for d in devices if str(d["id"]) not in gone]
        services = []
        for service in site.get("services") or []:
            needs = [n for n in service.get("needs") or [] if n not in gone]
            if needs:
                services.append({**service, "needs": needs})
        if "services" in site:
            site["services"] = services
        return sorted(gone)
    for dev in on_broker:
        for check in dev.get("checks") or []:
            if check.get("type") == "mqtt":
                topic = str(check.get("topic", ""))
                check["topic"] = topic.replace(MQTT_PREFIX_PLACEHOLDER, mqtt.prefix)
                check["broker"] = mqtt.host
                check["port"] = mqtt.port
    return []


def _moved_reason(fallback: bool, network: str) -> str:
    if fallback:
        return (
            "this system only answers on 127.0.0.1, so every device listens there on its own ports"
        )
    return f"the devices were moved to {network}"


def _rewritten(raw: dict[str, Any], reasons: list[str]) -> str:
    header = f"# The sitekeeper lab inventory, as served: {'; '.join(reasons)}.\n"
    return header + yaml.dump(raw, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
