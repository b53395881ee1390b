"""Top drivers (spec §5): what makes up the expected saving Δ = E[BF − MS], in plain words.

Δ splits exactly into paired component differences: downtime (itself split by the device
whose failure started each outage, with utility power for site-wide cuts), the fee, security,
labour and hardware. The parts add up to `Comparison.delta_mean`; the list is ranked by the
size of each part, so the first entries are what the answer hangs on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sitekeeper.plan.impact import Impacts, impacts
from sitekeeper.plan.inputs import ClientParams, Estate
from sitekeeper.plan.simulate import Simulation

Component = Literal["downtime", "fee", "security", "labour", "hardware"]
UTILITY = "utility power"


@dataclass(frozen=True)
class Driver:
    """One part of Δ. `delta` > 0 means managed saves that much a year on this part."""

    component: Component
    name: str  # root device id, device class, "utility power", or the component's name
    delta: float  # E[BF − MS] of this part, per year
    bf: float  # this part's mean annual cost under break-fix
    ms: float  # ... and under managed
    share: float | None  # downtime only: share of break-fix impact-weighted downtime
    devices: tuple[str, ...]  # the root devices a downtime part covers (empty otherwise)
    explanation: str


def drivers(
    sim: Simulation,
    estate: Estate,
    client: ClientParams,
    by: Literal["device", "class"] = "device",
) -> list[Driver]:
    """Ranked parts of Δ: downtime by root device (or by class of root device), then the fee,
    security, labour and hardware, each with one sentence that explains it."""
    out = _downtime(sim, estate, client, by) + _components(sim, estate, client)
    return sorted(out, key=lambda d: (-abs(d.delta), d.component, d.name))


def _downtime(
    sim: Simulation, estate: Estate, client: ClientParams, by: Literal["device", "class"]
) -> list[Driver]:
    per_year = client.cost_per_hour / sim.n_trials
    total_bf = sim.bf_roots.total()
    imp = impacts(estate)
    groups: dict[str, list[int]] = {}
    for j, d in enumerate(estate.devices):
        groups.setdefault(d.id if by == "device" else d.device_class, []).append(j)
    out: list[Driver] = []
    for name, idx in groups.items():
        hb = float(sim.bf_roots.device[idx].sum())
        hm = float(sim.ms_roots.device[idx].sum())
        if hb == 0.0 and hm == 0.0:
            continue
        share = hb / total_bf if total_bf > 0 else 0.0
        bf, ms = hb * per_year, hm * per_year
        ids = tuple(estate.devices[j].id for j in idx)
        text = _device_sentence(estate, imp, name, idx, share, bf - ms)
        out.append(Driver("downtime", name, bf - ms, bf, ms, share, ids, text))
    hb, hm = sim.bf_roots.utility, sim.ms_roots.utility
    if hb > 0.0 or hm > 0.0:
        share = hb / total_bf if total_bf > 0 else 0.0
        has_ups = any(estate.profiles[d.device_class].battery for d in estate.devices)
        cause = "Power cuts that outlast the UPS" if has_ups else "Power cuts (there is no UPS)"
        text = (
            f"{cause} take the whole site down: {share:.0%} of break-fix "
            "downtime, the same under either model."
        )
        bf, ms = hb * per_year, hm * per_year
        out.append(Driver("downtime", UTILITY, bf - ms, bf, ms, share, (), text))
    return out


def _device_sentence(
    estate: Estate, imp: Impacts, name: str, idx: list[int], share: float, delta: float
) -> str:
    hard, full = float(imp.hard[idx].max()), float(imp.full[idx].max())
    if full > hard == 0.0:
        reach = f"failure takes down {full:.0%} of the business when failover fails too"
    elif full > hard:
        reach = f"failure takes down {hard:.0%} of the business, {full:.0%} when failover fails"
    else:
        reach = f"failure takes down {hard:.0%} of the business"
    first = estate.devices[idx[0]]
    cls = first.device_class
    dead = ", counting power cuts that find a dead battery" if estate.profiles[cls].battery else ""
    effect = "saves" if delta >= 0 else "adds"
    if len(idx) == 1:
        head = f"{first.id} ({cls}): a {reach}; it causes"
    else:
        head = f"The {len(idx)} {name} devices: each {reach}; together they cause"
    return (
        f"{head} {share:.0%} of break-fix downtime{dead}, and managed support {effect} "
        f"{abs(delta):,.0f} a year of it."
    )


def _components(sim: Simulation, estate: Estate, client: ClientParams) -> list[Driver]:
    bf = {k: float(v.mean()) for k, v in sim.bf.components(client.cost_per_hour).items()}
    ms = {k: float(v.mean()) for k, v in sim.ms.components(client.cost_per_hour).items()}
    device_fees = 12.0 * float(
        np.sum([estate.profiles[d.device_class].monthly_fee for d in estate.devices])
    )
    texts: dict[Component, Callable[[float, float], str]] = {
        "fee": lambda b, m: (
            f"Managed costs {m:,.0f} a year in fees ({device_fees:,.0f} for the devices and "
            f"{m - device_fees:,.0f} for the site); break-fix has no fee."
        ),
        "security": lambda b, m: (
            "Managed patching, MFA and e-mail filtering make major incidents rarer and "
            f"restores faster: security incidents cost {b:,.0f} a year under break-fix and "
            f"{m:,.0f} under managed."
        ),
        "labour": lambda b, m: (
            f"Break-fix pays for every call-out ({b:,.0f} a year); managed includes incident "
            f"work in the fee and bills only planned replacements ({m:,.0f})."
        ),
        "hardware": lambda b, m: (
            f"Hardware, as depreciation: {b:,.0f} a year under break-fix, which runs devices "
            f"to failure, and {m:,.0f} under managed, which replaces them at the end of their "
            "life and catches some failures early."
        ),
    }
    return [
        Driver(k, k, bf[k] - ms[k], bf[k], ms[k], None, (), text(bf[k], ms[k]))
        for k, text in texts.items()
    ]
