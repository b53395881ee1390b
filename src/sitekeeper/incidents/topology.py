"""The dependency graph of one store's devices, for correlation (pure).

A device's `depends_on` lists what it needs (uplink, power, control path). With mode "all"
(the default) it is unreachable when any of them is down or unreachable; with mode "any"
(redundant uplinks) only when all of them are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    client_id: int
    site_id: int
    parents: tuple[int, ...] = ()
    mode: str = "all"  # "all": needs every parent; "any": needs one of them
    criticality: int = 3
    recheck_s: float = 15.0  # how long its checks take to notice a change (interval + retries)


@dataclass(frozen=True)
class Service:
    """A user-facing capability: it is impacted when any device it needs is down or
    unreachable."""

    id: int
    client_id: int
    key: str
    name: str
    criticality: int
    devices: frozenset[int]


@dataclass
class Topology:
    nodes: dict[int, Node]
    services: list[Service] = field(default_factory=list)
    _children: dict[int, list[int]] = field(default_factory=dict, init=False)
    _services_of: dict[int, list[Service]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for node in self.nodes.values():
            for parent in node.parents:
                self._children.setdefault(parent, []).append(node.id)
        for service in self.services:
            for device_id in service.devices:
                self._services_of.setdefault(device_id, []).append(service)

    def children(self, device_id: int) -> list[int]:
        return self._children.get(device_id, [])

    def blocked(self, failed: Iterable[int]) -> set[int]:
        """Devices cut off by failed ancestors: every device whose needs (per its mode) are
        failed or themselves cut off. Devices on a dependency cycle (rejected at inventory
        validation), and those behind one, are treated as not blocked."""
        blocked: set[int] = set()
        self._settle(set(self.nodes), set(failed), blocked)
        return blocked

    def reblock(
        self, blocked: set[int], failed: AbstractSet[int], flipped: Iterable[int]
    ) -> set[int]:
        """Bring `blocked` (as `blocked()` made it) up to date after the devices in `flipped`
        entered or left `failed`. Only their descendants can change, so only those are looked
        at: the cost follows the failures, not the size of the graph. Mutates `blocked`;
        returns the descendants (whose cut-off state or root causes may have changed)."""
        region: set[int] = set()
        todo = [c for f in flipped for c in self.children(f)]
        while todo:
            current = todo.pop()
            if current not in region:
                region.add(current)
                todo.extend(self.children(current))
        self._settle(region, failed, blocked)
        return region

    def _settle(self, region: set[int], failed: AbstractSet[int], blocked: set[int]) -> None:
        """Decide afresh whether each device in `region` is cut off, parents before children
        (devices outside `region` keep what `blocked` says of them)."""
        blocked -= region
        waiting = dict.fromkeys(region, 0)  # parents inside the region not yet decided
        for device_id in region:
            node = self.nodes.get(device_id)
            if node is not None:
                waiting[device_id] = sum(1 for p in node.parents if p in waiting)
        ready = [d for d, n in waiting.items() if n == 0]
        while ready:
            device_id = ready.pop()
            node = self.nodes.get(device_id)
            if node is not None and node.parents:
                gone = [p in failed or p in blocked for p in node.parents if p in self.nodes]
                if gone and (all(gone) if node.mode == "any" else any(gone)):
                    blocked.add(device_id)
            for child in self.children(device_id):
                if child in waiting:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        ready.append(child)

    def roots_of(self, device_id: int, failed: set[int], blocked: set[int]) -> set[int]:
        """The failed, not-blocked ancestors that cut `device_id` off."""
        out: set[int] = set()
        seen: set[int] = set()
        todo = list(self.nodes[device_id].parents) if device_id in self.nodes else []
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in failed and current not in blocked:
                out.add(current)
            elif current in blocked and current in self.nodes:
                todo.extend(self.nodes[current].parents)
        return out

    def impacted_services(self, devices: Iterable[int]) -> list[Service]:
        hit = {id(s): s for d in devices for s in self._services_of.get(d, ())}
        return sorted(hit.values(), key=lambda s: (-s.criticality, s.key))


def from_rows(nodes: Iterable[Node], services: Iterable[Service] = ()) -> Topology:
    return Topology({n.id: n for n in nodes}, list(services))


def parents_by_key(
    devices: Mapping[str, tuple[str, ...]], ids: Mapping[str, int]
) -> dict[int, tuple[int, ...]]:
    """`depends_on` by device key -> parents by id (unknown keys dropped)."""
    return {
        ids[k]: tuple(ids[p] for p in deps if p in ids) for k, deps in devices.items() if k in ids
    }
