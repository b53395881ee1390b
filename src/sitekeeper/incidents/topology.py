"""The dependency graph of one store's devices, for correlation (pure).

A device's `depends_on` lists what it needs (uplink, power, control path). With mode "all"
(the default) it is unreachable when any of them is down or unreachable; with mode "any"
(redundant uplinks) only when all of them are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

    def __post_init__(self) -> None:
        for node in self.nodes.values():
            for parent in node.parents:
                self._children.setdefault(parent, []).append(node.id)

    def children(self, device_id: int) -> list[int]:
        return self._children.get(device_id, [])

    def blocked(self, failed: Iterable[int]) -> set[int]:
        """Devices cut off by failed ancestors: every device whose needs (per its mode) are
        failed or themselves cut off. Iterative, memoised; cycles (rejected at inventory
        validation) are treated as not blocking."""
        down = set(failed)
        memo: dict[int, bool] = {}
        visiting: set[int] = set()

        def is_blocked(device_id: int) -> bool:
            if device_id in memo:
                return memo[device_id]
            node = self.nodes.get(device_id)
            if node is None or not node.parents:
                memo[device_id] = False
                return False
            if device_id in visiting:
                return False
            visiting.add(device_id)
            gone = [p in down or is_blocked(p) for p in node.parents if p in self.nodes]
            visiting.discard(device_id)
            if not gone:
                result = False
            elif node.mode == "any":
                result = all(gone)
            else:
                result = any(gone)
            memo[device_id] = result
            return result

        return {d for d in self.nodes if is_blocked(d)}

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
        hit = set(devices)
        return sorted(
            (s for s in self.services if s.devices & hit), key=lambda s: (-s.criticality, s.key)
        )


def from_rows(nodes: Iterable[Node], services: Iterable[Service] = ()) -> Topology:
    return Topology({n.id: n for n in nodes}, list(services))


def parents_by_key(
    devices: Mapping[str, tuple[str, ...]], ids: Mapping[str, int]
) -> dict[int, tuple[int, ...]]:
    """`depends_on` by device key -> parents by id (unknown keys dropped)."""
    return {
        ids[k]: tuple(ids[p] for p in deps if p in ids) for k, deps in devices.items() if k in ids
    }
