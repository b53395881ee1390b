"""Planning (pure, numpy): the managed-vs-break-fix advisor model and its calibration.

`simulate(estate, client, params, n_trials, seed)` runs both support models on common random
numbers; `compare(simulation, client)` gives the outputs, break-evens and verdict.
The explanations: `drivers` (what Δ is made of), `tornado` (which inputs move it),
`hybrid_plan` / `compare_hybrid` (managed for the critical devices only) and `three_year`
(the contract view).
"""

from __future__ import annotations

from sitekeeper.plan.calibrate import Posterior, class_posteriors, frailty_posterior, gamma_poisson
from sitekeeper.plan.dists import BetaDist, Fixed, GammaDist
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.explain import Driver, drivers
from sitekeeper.plan.horizon import ContractView, YearView, three_year
from sitekeeper.plan.hybrid import (
    HybridComparison,
    compare_hybrid,
    critical_devices,
    device_savings,
    hybrid_plan,
)
from sitekeeper.plan.inputs import (
    ClassProfile,
    ClientParams,
    Device,
    Edge,
    Estate,
    Power,
    Priors,
    RateCard,
    Security,
)
from sitekeeper.plan.profiles import DEFAULT_PROFILES
from sitekeeper.plan.schedule import Schedule
from sitekeeper.plan.signals import (
    Incident,
    Outage,
    PatchState,
    Signal,
    delayed_updates,
    disruption,
    recurrence,
    rising_frequency,
    support_calls,
    switch_verdict,
    uneven_performance,
)
from sitekeeper.plan.simulate import HybridRun, ModelParams, Simulation, simulate
from sitekeeper.plan.summary import Comparison, ModelSummary, compare
from sitekeeper.plan.tornado import TornadoBar, TornadoInput, tornado

__all__ = [
    "DEFAULT_PROFILES",
    "BetaDist",
    "ClassProfile",
    "ClientParams",
    "Comparison",
    "ContractView",
    "Device",
    "Driver",
    "Edge",
    "Estate",
    "Fixed",
    "GammaDist",
    "HybridComparison",
    "HybridRun",
    "Incident",
    "ModelParams",
    "ModelSummary",
    "Outage",
    "PatchState",
    "PlanInputError",
    "Posterior",
    "Power",
    "Priors",
    "RateCard",
    "Schedule",
    "Security",
    "Signal",
    "Simulation",
    "TornadoBar",
    "TornadoInput",
    "YearView",
    "class_posteriors",
    "compare",
    "compare_hybrid",
    "critical_devices",
    "delayed_updates",
    "device_savings",
    "disruption",
    "drivers",
    "frailty_posterior",
    "gamma_poisson",
    "hybrid_plan",
    "recurrence",
    "rising_frequency",
    "simulate",
    "support_calls",
    "switch_verdict",
    "three_year",
    "tornado",
    "uneven_performance",
]
