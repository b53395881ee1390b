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
    # the Zigbee sensor on the MQTT broker (lab.mqtt_devices) reports 7 % instead of 86 %
    "battery-low": Condition(frozenset({DeviceKind.OTHER}), "the sensor's battery is nearly flat"),
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


@dataclass(frozen=True, slots=True)
class Seen:
    """How long a condition has been on, as a device's counters need it (times in seconds,
    counted since the device last booted): a port that was down for 40 s of the last hour
    moved no traffic for those 40 s."""

    on: bool
    on_for_s: float  # this time round; 0 when off
    on_total_s: float  # all the time it was on since boot
    times: int  # how often it came on since boot
    changed_ago_s: float | None  # None: unchanged since boot


class History:
    """When each condition of one device came on and went off (monotonic seconds). The lab
    records every change; the MIB views read a `Seen` per condition at request time."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}  # key -> when it came on (while on)
        self._total: dict[str, float] = {}  # key -> seconds on before `since`
        self._times: dict[str, int] = {}
        self._changed: dict[str, float] = {}
        self.version = 0  # bumped on every change, so a cached view knows it is stale

    def set(self, key: str, on: bool, now: float) -> bool:
        """Record a change; False when the condition already was in that state."""
        if on == (key in self._since):
            return False
        if on:
            self._since[key] = now
            self._times[key] = self._times.get(key, 0) + 1
        else:
            self._total[key] = self._total.get(key, 0.0) + now - self._since.pop(key)
        self._changed[key] = now
        self.version += 1
        return True

    def clear(self, now: float) -> list[str]:
        """Turn every condition off; the keys that were on."""
        keys = sorted(self._since)
        for key in keys:
            self.set(key, False, now)
        return keys

    def reboot(self, now: float) -> None:
        """The device restarted: its counters start again from zero."""
        self._since = dict.fromkeys(self._since, now)
        self._total.clear()
        self._times = dict.fromkeys(self._since, 1)
        self._changed.clear()
        self.version += 1

    def seen(self, now: float) -> dict[str, Seen]:
        out: dict[str, Seen] = {}
        for key in self._since.keys() | self._total.keys() | self._changed.keys():
            since = self._since.get(key)
            current = now - since if since is not None else 0.0
            changed = self._changed.get(key)
            out[key] = Seen(
                on=since is not None,
                on_for_s=current,
                on_total_s=self._total.get(key, 0.0) + current,
                times=self._times.get(key, 0),
                changed_ago_s=now - changed if changed is not None else None,
            )
        return out
