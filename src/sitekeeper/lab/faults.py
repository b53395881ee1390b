"""Faults and how they spread through the topology (pure: no sockets, no clock).

A device has at most one fault of its own: failed, degraded (latency + loss) or flapping
(down and up in turn). What a prober sees is the device's *effect*, which also carries its
parents' trouble, because a real site works that way: when the core switch dies, the camera
behind it is unreachable although nothing is wrong with the camera itself; when the switch
is congested, everything behind it is slow too.

    down      its own fault is `failed`, or `flapping` in its down phase, or any device it
              depends on (transitively) is down - cause: the device that is really down
    degraded  latency = its own + the worst of its parents'; loss compounds the same way
    up        otherwise
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from sitekeeper.errors import LabError, NotFound

FaultMode = Literal["failed", "degraded", "flapping"]
State = Literal["up", "degraded", "down"]

MAX_LATENCY_MS = 60_000.0
MIN_FLAP_PERIOD_S = 0.2


class UnknownDevice(LabError, NotFound):
    """A fault was aimed at a device the lab does not have; the message lists the valid ids."""

    def __init__(self, device_id: str, valid: Iterable[str]) -> None:
        self.device_id = device_id
        self.valid = tuple(valid)
        super().__init__(f"the lab has no device {device_id!r}; valid ids: {', '.join(self.valid)}")


@dataclass(frozen=True, slots=True)
class Fault:
    mode: FaultMode
    latency_ms: float = 0.0
    loss_pct: float = 0.0
    period_s: float = 0.0

    def as_dict(self) -> dict[str, str | float]:
        out: dict[str, str | float] = {"mode": self.mode}
        if self.mode == "degraded":
            out |= {"latency_ms": self.latency_ms, "loss_pct": self.loss_pct}
        if self.mode == "flapping":
            out["period_s"] = self.period_s
        return out


def failed() -> Fault:
    return Fault("failed")


def degraded(latency_ms: float, loss_pct: float = 0.0) -> Fault:
    if not 0.0 <= latency_ms <= MAX_LATENCY_MS:
        raise LabError(f"latency_ms must be between 0 and {MAX_LATENCY_MS:g}, not {latency_ms:g}")
    if not 0.0 <= loss_pct <= 100.0:
        raise LabError(f"loss_pct must be between 0 and 100, not {loss_pct:g}")
    if latency_ms == 0 and loss_pct == 0:
        raise LabError("give a latency_ms or a loss_pct above 0 (or use recover)")
    return Fault("degraded", latency_ms=latency_ms, loss_pct=loss_pct)


def flapping(period_s: float) -> Fault:
    if not MIN_FLAP_PERIOD_S <= period_s <= 3600.0:
        raise LabError(
            f"period_s must be between {MIN_FLAP_PERIOD_S:g} and 3600 seconds, not {period_s:g}"
        )
    return Fault("flapping", period_s=period_s)


@dataclass(frozen=True, slots=True)
class Effect:
    """What the network shows of one device right now."""

    state: State
    cause: str | None = None  # the device whose fault this is (itself or an ancestor)
    latency_ms: float = 0.0
    loss_pct: float = 0.0


UP = Effect("up")


def effects(
    order: Iterable[str],
    parents: Mapping[str, Iterable[str]],
    faults: Mapping[str, Fault],
    flap_down: frozenset[str] | set[str],
) -> dict[str, Effect]:
    """The effect on every device; `order` lists parents before children."""
    out: dict[str, Effect] = {}
    for node in order:
        fault = faults.get(node)
        own_down = fault is not None and (
            fault.mode == "failed" or (fault.mode == "flapping" and node in flap_down)
        )
        if own_down:
            out[node] = Effect("down", cause=node)
            continue
        ups = [out[p] for p in parents.get(node, ())]
        down = next((e for e in ups if e.state == "down"), None)
        if down is not None:
            out[node] = Effect("down", cause=down.cause)
            continue
        out[node] = _degradation(node, fault, ups)
    return out


def _degradation(node: str, fault: Fault | None, parents: list[Effect]) -> Effect:
    worst = max(parents, key=lambda e: (e.latency_ms, e.loss_pct), default=UP)
    own_latency = fault.latency_ms if fault is not None else 0.0
    own_loss = fault.loss_pct if fault is not None else 0.0
    latency = min(own_latency + worst.latency_ms, MAX_LATENCY_MS)
    loss = 100.0 * (1.0 - (1.0 - own_loss / 100.0) * (1.0 - worst.loss_pct / 100.0))
    if latency == 0 and loss == 0:
        return UP
    cause = node if own_latency or own_loss else worst.cause
    return Effect("degraded", cause=cause, latency_ms=latency, loss_pct=round(loss, 3))
