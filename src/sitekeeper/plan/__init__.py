"""Planning (pure, numpy): the managed-vs-break-fix advisor model and its calibration.

`simulate(estate, client, params, n_trials, seed)` runs both support models on common random
numbers; `compare(simulation, client)` gives the outputs, break-evens and verdict.
"""

from __future__ import annotations

from sitekeeper.plan.calibrate import Posterior, class_posteriors, frailty_posterior, gamma_poisson
from sitekeeper.plan.dists import BetaDist, Fixed, GammaDist
from sitekeeper.plan.errors import PlanInputError
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
from sitekeeper.plan.simulate import ModelParams, Simulation, simulate
from sitekeeper.plan.summary import Comparison, ModelSummary, compare

__all__ = [
    "DEFAULT_PROFILES",
    "BetaDist",
    "ClassProfile",
    "ClientParams",
    "Comparison",
    "Device",
    "Edge",
    "Estate",
    "Fixed",
    "GammaDist",
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
    "class_posteriors",
    "compare",
    "delayed_updates",
    "disruption",
    "frailty_posterior",
    "gamma_poisson",
    "recurrence",
    "rising_frequency",
    "simulate",
    "support_calls",
    "switch_verdict",
    "uneven_performance",
]
