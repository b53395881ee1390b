"""Security incidents (spec §2.3.4), both models on the same draws.

A major incident happens under break-fix when u < p_major and under managed when
u < p_major·M (so managed's incidents are a subset); its duration shares one normal draw.
Minor incidents are Poisson under break-fix, thinned by half under managed.
A hybrid ledger, when given, books the same draws as break-fix, or as managed when
`hybrid_managed` (a plan that covers every device is the full managed plan).
"""

from __future__ import annotations

import numpy as np

from sitekeeper.plan.dists import FloatArray, lognormal
from sitekeeper.plan.inputs import RateCard, Security
from sitekeeper.plan.ledger import Ledger
from sitekeeper.plan.schedule import YEAR_H, Schedule


def book_security(
    sec: Security,
    rates: RateCard,
    schedule: Schedule,
    seat_impact: float,
    p_major: FloatArray,
    rng: np.random.Generator,
    bf: Ledger,
    ms: Ledger,
    hybrid: Ledger | None = None,
    hybrid_managed: bool = False,
) -> None:
    n = len(p_major)
    u = rng.random(n)
    z = rng.standard_normal(n)
    u_restore = rng.random(n)
    t0 = rng.random(n) * YEAR_H
    trials = np.arange(n)
    major = [
        (bf, u < p_major, sec.major_median_h_bf, sec.restore_fail_bf, sec.response_h_bf),
        (
            ms,
            u < p_major * sec.ms_multiplier(),
            sec.major_median_h_ms,
            sec.restore_fail_ms,
            sec.response_h_ms,
        ),
    ]
    if hybrid is not None:
        major.append((hybrid, *major[1 if hybrid_managed else 0][1:]))
    for ledger, hit, median, p_fail, response_h in major:
        duration = lognormal(median, sec.major_sigma, z)
        duration = np.where(u_restore < p_fail, sec.restore_fail_factor * duration, duration)
        lost = schedule.operating_hours(t0 + duration) - schedule.operating_hours(t0)
        ledger.security_hours += np.where(hit, sec.impact * lost, 0.0)
        ledger.security_labour += np.where(hit, response_h * rates.incident_response_rate, 0.0)
        impact = np.full(n, sec.impact)
        ledger.longest(trials[hit], impact[hit], lost[hit])

    counts = rng.poisson(sec.minor_rate, n)
    trial = np.repeat(trials, counts)
    t_minor = rng.random(len(trial)) * YEAR_H
    keep = rng.random(len(trial)) < sec.minor_ms_keep
    labour = sec.minor_labour_h * rates.incident_response_rate
    minor = [
        (bf, np.ones(len(trial), dtype=np.bool_), sec.minor_seat_h_bf),
        (ms, keep, sec.minor_seat_h_ms),
    ]
    if hybrid is not None:
        minor.append((hybrid, *minor[1 if hybrid_managed else 0][1:]))
    for ledger, mask, seat_h in minor:
        tt = t_minor[mask]
        lost = schedule.operating_hours(tt + seat_h) - schedule.operating_hours(tt)
        ledger.add(ledger.security_hours, trial[mask], seat_impact * lost)
        ledger.add(ledger.security_labour, trial[mask], np.full(len(tt), labour))
