"""Device conditions: faults inside a device that still answers on the network — a UPS on
battery, a projector's lamp error, a camera whose port is open but whose stream is dead, a
switch port down. They are what monitoring that only pings cannot see.

One registry: the condition's name, the kinds it applies to, whether it takes an argument.
The device's handlers read `Conn.conditions()` and answer accordingly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitekeeper.errors import LabError
from sitekeeper.inventory.kinds import DeviceKind


@dataclass(frozen=True, slots=True)
class Condition:
    kinds: frozenset[DeviceKind]
    what: str
    takes_port: bool = False


CONDITIONS: dict[str, Condition] = {
    "on-battery": Condition(frozenset({DeviceKind.UPS}), "mains power lost: running on battery"),
    "lamp-error": Condition(frozenset({DeviceKind.PROJECTOR}), "the lamp has failed"),
    "stream-dead": Condition(
        frozenset({DeviceKind.CAMERA, DeviceKind.NVR}),
        "the RTSP port answers but there is no stream",
    ),
    "port-down": Condition(
        frozenset({DeviceKind.SWITCH}), "a switch port is down", takes_port=True
    ),
}


def key(name: str, port: int | None) -> str:
    """How a condition is kept on a device: `on-battery`, `port-down:7`."""
    return f"{name}:{port}" if port is not None else name


def check(name: str, kind: DeviceKind, device_id: str, port: int | None) -> None:
    condition = CONDITIONS.get(name)
    if condition is None:
        raise LabError(f"no condition {name!r}; conditions are: {', '.join(CONDITIONS)}")
    if kind not in condition.kinds:
        kinds = ", ".join(sorted(k.value for k in condition.kinds))
        raise LabError(f"{name} applies to {kinds}, and {device_id} is a {kind.value}")
    if condition.takes_port and (port is None or not 1 <= port <= 48):
        raise LabError(f"{name} needs a port number (1-48)")
    if not condition.takes_port and port is not None:
        raise LabError(f"{name} takes no port")
