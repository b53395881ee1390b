"""Impact through dependencies (spec §2.2): a failed device takes its dependents down with it.

I_hard(u) = min(1, Σ w over u and everything below it by hard edges); I_full(u) the same over
hard and redundant edges. An event draws I_full when failover fails (probability q), else I_hard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitekeeper.inventory.graph import find_cycles
from sitekeeper.plan.dists import FloatArray
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import Estate


@dataclass(frozen=True)
class Impacts:
    """Per device (in estate order): impact without and with failover failing."""

    hard: FloatArray
    full: FloatArray

    def blast_radius(self, q_failover_fail: float) -> FloatArray:
        """E[I(u)] = (1 − q)·I_hard + q·I_full, the number the UI shows per device."""
        return (1.0 - q_failover_fail) * self.hard + q_failover_fail * self.full


def _closure(start: str, children: dict[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in children[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def impacts(estate: Estate) -> Impacts:
    """I_hard and I_full for every device; a cycle in the graph is an input error."""
    ids = [d.id for d in estate.devices]
    all_children: dict[str, list[str]] = {i: [] for i in ids}
    hard_children: dict[str, list[str]] = {i: [] for i in ids}
    for e in estate.edges:
        all_children[e.parent].append(e.child)
        if not e.redundant:
            hard_children[e.parent].append(e.child)
    cycles = find_cycles(all_children)
    if cycles:
        raise PlanInputError(
            f"dependency graph has a cycle: {' -> '.join(cycles[0])}; remove one edge"
        )
    weight = {d.id: d.criticality for d in estate.devices}
    # summed in a fixed order: a set's order follows PYTHONHASHSEED, and float sums are not
    # associative, so the same seed would not give the same bits in another process
    hard = [min(1.0, sum(weight[v] for v in sorted(_closure(u, hard_children)))) for u in ids]
    full = [min(1.0, sum(weight[v] for v in sorted(_closure(u, all_children)))) for u in ids]
    return Impacts(np.asarray(hard, dtype=np.float64), np.asarray(full, dtype=np.float64))
