"""Map a client's inventory to the advisor model's Estate (pure: no store, no clock).

The inventory says what a device is (its kind), how much it matters (criticality 1–5), when
it was installed and what it depends on. The model wants a device class with a reliability
profile, a share of the business `w` carried by the device itself, an age, a replacement
cost and the dependency edges. Where the inventory says nothing, the tables below fill in;
every such fill-in is an assumption, and `assumptions()` lists the ones a run relied on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import Device, Edge, Estate
from sitekeeper.plan.profiles import DEFAULT_PROFILES

DEFAULT_AGE_Y = 3.0  # A: age of a device whose install date the inventory does not give


class ClassFor(NamedTuple):
    """The model class for one inventory kind, its replacement cost, and whether it is a guess."""

    device_class: str
    replacement_cost: float  # A: a typical small-business price, in the model's currency
    assumed: bool  # True: the kind has no profile of its own; the nearest class stands in


# Every DeviceKind maps to one of DEFAULT_PROFILES. `assumed=True` marks a kind borrowed from
# the nearest class (no field data of its own); replacement costs are all assumptions.
KIND_CLASS: dict[DeviceKind, ClassFor] = {
    DeviceKind.ROUTER: ClassFor("router", 600.0, False),
    DeviceKind.FIREWALL: ClassFor("router", 1200.0, True),
    DeviceKind.SWITCH: ClassFor("switch", 1000.0, False),
    DeviceKind.ACCESS_POINT: ClassFor("ap", 300.0, False),
    DeviceKind.MODEM: ClassFor("router", 200.0, True),
    DeviceKind.SERVER: ClassFor("server", 8000.0, False),
    DeviceKind.NAS: ClassFor("nas", 2000.0, False),
    DeviceKind.WORKSTATION: ClassFor("workstation", 1200.0, False),
    DeviceKind.PRINTER: ClassFor("display", 600.0, True),
    DeviceKind.CAMERA: ClassFor("camera", 250.0, False),
    DeviceKind.NVR: ClassFor("nvr", 1500.0, False),
    DeviceKind.ACCESS_CONTROL: ClassFor("camera", 500.0, True),
    DeviceKind.DISPLAY: ClassFor("display", 1500.0, False),
    DeviceKind.PROJECTOR: ClassFor("projector", 2000.0, False),
    DeviceKind.AV_RECEIVER: ClassFor("audio", 1000.0, True),
    DeviceKind.MATRIX: ClassFor("av_control", 3000.0, True),
    DeviceKind.CONFERENCING_CODEC: ClassFor("av_control", 3000.0, True),
    DeviceKind.STREAMING_DEVICE: ClassFor("av_control", 200.0, True),
    DeviceKind.AUDIO_ZONE: ClassFor("audio", 800.0, False),
    DeviceKind.LIGHTING_PROCESSOR: ClassFor("lighting", 2000.0, False),
    DeviceKind.SHADE_CONTROLLER: ClassFor("lighting", 800.0, True),
    DeviceKind.CONTROL_PROCESSOR: ClassFor("av_control", 2500.0, False),
    DeviceKind.KEYPAD: ClassFor("av_control", 400.0, True),
    DeviceKind.THERMOSTAT: ClassFor("lighting", 300.0, True),
    DeviceKind.VOICE_ASSISTANT: ClassFor("audio", 100.0, True),
    DeviceKind.UPS: ClassFor("ups", 1500.0, False),
    DeviceKind.PDU: ClassFor("lighting", 400.0, True),
    DeviceKind.OTHER: ClassFor("av_control", 500.0, True),
}

# A: criticality 1 (low) .. 5 (the site stops without it) → w, the share of the business the
# device carries by itself. Devices behind it add their own w through the dependency edges.
CRITICALITY_SHARE: dict[int, float] = {1: 0.01, 2: 0.03, 3: 0.1, 4: 0.3, 5: 1.0}


@dataclass(frozen=True)
class InventoryDevice:
    """What the advisor reads of one inventory device (a store row, or an inventory entry)."""

    key: str
    kind: str
    criticality: int = 3
    installed: date | None = None
    depends_on: tuple[str, ...] = ()
    depends_mode: str = "all"  # "any": one parent is enough (redundant uplinks)


def _class_for(dev: InventoryDevice) -> ClassFor:
    try:
        return KIND_CLASS[DeviceKind(dev.kind)]
    except ValueError:
        raise PlanInputError(
            f"device {dev.key!r}: unknown kind {dev.kind!r}; use one of "
            f"{', '.join(k.value for k in DeviceKind)}"
        ) from None


def _age_y(dev: InventoryDevice, today: date) -> float:
    if dev.installed is None:
        return DEFAULT_AGE_Y
    return max(0.0, (today - dev.installed).days / 365.25)


def _share(dev: InventoryDevice) -> float:
    if dev.criticality not in CRITICALITY_SHARE:
        raise PlanInputError(
            f"device {dev.key!r}: criticality {dev.criticality} must be 1..5 "
            "(fix it in the inventory file and apply it again)"
        )
    return CRITICALITY_SHARE[dev.criticality]


def estate_from_inventory(devices: Iterable[InventoryDevice], today: date) -> Estate:
    """The model's Estate for these devices; `depends_on` becomes parent → child edges.

    An edge is redundant when the device needs only one of several parents (`depends_mode:
    any`); a parent outside the given devices (another client's, a retired one) is dropped.
    """
    devs = sorted(devices, key=lambda d: d.key)
    if not devs:
        raise PlanInputError("the client has no devices; add some to its inventory first")
    keys = {d.key for d in devs}
    model_devices: list[Device] = []
    edges: list[Edge] = []
    for dev in devs:
        cls = _class_for(dev)
        model_devices.append(
            Device(dev.key, cls.device_class, _age_y(dev, today), _share(dev), cls.replacement_cost)
        )
        parents = [p for p in dev.depends_on if p in keys]
        redundant = dev.depends_mode == "any" and len(parents) > 1
        edges += [Edge(p, dev.key, redundant=redundant) for p in parents]
    return Estate(tuple(model_devices), tuple(edges), DEFAULT_PROFILES)


def assumptions(devices: Iterable[InventoryDevice]) -> list[str]:
    """The fill-ins a run on these devices relied on, one sentence each (for the explanation)."""
    devs = list(devices)
    out = []
    undated = sum(1 for d in devs if d.installed is None)
    if undated:
        out.append(
            f"{undated} device(s) without an install date are taken as {DEFAULT_AGE_Y:g} y old"
        )
    borrowed: dict[str, set[str]] = {}
    for d in devs:
        cls = _class_for(d)
        if cls.assumed:
            borrowed.setdefault(cls.device_class, set()).add(d.kind)
    for cls_name, kinds in sorted(borrowed.items()):
        out.append(f"kinds {', '.join(sorted(kinds))}: the {cls_name!r} reliability profile")
    out.append(
        "criticality 1..5 is read as the share of the business a device carries by itself: "
        + ", ".join(f"{k} → {v:g}" for k, v in CRITICALITY_SHARE.items())
    )
    out.append("replacement costs are typical prices per kind, not the client's")
    return out


def class_counts(estate: Estate) -> Mapping[str, int]:
    """How many devices of each model class the estate has (for the report)."""
    counts: dict[str, int] = {}
    for d in estate.devices:
        counts[d.device_class] = counts.get(d.device_class, 0) + 1
    return dict(sorted(counts.items()))
