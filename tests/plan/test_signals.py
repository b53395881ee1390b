"""Spec §4 switch signals: §6 tests 7 (trend calibration), 8 (Mann–Kendall) and the detector
verdict of 12, plus each signal's thresholds and the verdict rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sitekeeper.plan import PlanInputError
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
from sitekeeper.plan.trend import (
    chi2_even_cdf,
    crow_amsaa,
    laplace,
    mann_kendall,
    normal_sf,
    poisson_glm,
)

REPLICATES = 400
DEVICES = 40.0
ALPHA = 0.05


def _history(rng: np.random.Generator, months: int, per_month: float, triple: bool) -> np.ndarray:
    """Event times in (0, months]: a constant rate, or one rising linearly to 3× (same mean)."""
    n = rng.poisson(per_month * months)
    u = rng.random(n)
    # density ∝ 1 + 2x on [0, 1] triples the rate; its inverse CDF is (√(1 + 8u) − 1)/2
    x = (np.sqrt(1.0 + 8.0 * u) - 1.0) / 2.0 if triple else u
    return np.sort(np.maximum(x * months, 1e-9))


def _rejection_rates(seed: int, months: int, per_month: float, triple: bool) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = {"glm": 0, "laplace": 0, "crow_amsaa": 0, "mann_kendall": 0, "status": 0}
    for _ in range(REPLICATES):
        times = _history(rng, months, per_month, triple)
        sig = rising_frequency(times, np.full(months, DEVICES))
        hits["glm"] += sig.glm.p_value < ALPHA
        hits["laplace"] += sig.laplace.p_value < ALPHA
        hits["crow_amsaa"] += sig.crow_amsaa.p_value < ALPHA
        hits["mann_kendall"] += sig.mann_kendall.p_value < ALPHA
        hits["status"] += sig.status != "green"
    return {k: v / REPLICATES for k, v in hits.items()}


def test_trend_tests_false_alarm_near_alpha_on_a_constant_rate() -> None:
    rates = _rejection_rates(seed=7, months=12, per_month=8.0, triple=False)
    se = math.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)
    for name in ("glm", "laplace", "crow_amsaa", "mann_kendall"):
        # spec §6 test 7: 2.5–8 %; and within 3.5 binomial standard errors of α
        assert 0.025 <= rates[name] <= 0.08, (name, rates[name])
        assert abs(rates[name] - ALPHA) <= 3.5 * se, (name, rates[name])


def test_a_rate_tripling_over_12_months_at_8_a_month_is_detected() -> None:
    rates = _rejection_rates(seed=8, months=12, per_month=8.0, triple=True)
    for name in ("glm", "laplace", "crow_amsaa"):
        assert rates[name] > 0.80, (name, rates[name])
    # the spec measured 81 % for Mann–Kendall on 3,000 runs; allow 3 binomial SE below that
    assert rates["mann_kendall"] > 0.81 - 3 * math.sqrt(0.81 * 0.19 / REPLICATES)
    assert rates["status"] > 0.90


def test_laplace_power_at_4_a_month_matches_the_analytic_value() -> None:
    rates = _rejection_rates(seed=9, months=12, per_month=4.0, triple=True)
    analytic = 1.0 - normal_sf(math.sqrt(48 / 12) - 1.6448536)  # Φ(√(n/12) − 1.645) ≈ 0.64
    se = math.sqrt(analytic * (1 - analytic) / REPLICATES)
    assert abs(rates["laplace"] - analytic) <= 3.5 * se


def test_mann_kendall_on_1_to_12() -> None:
    mk = mann_kendall(np.arange(1.0, 13.0))
    assert mk.s == 66
    assert mk.variance == pytest.approx(12 * 11 * 29 / 18)
    assert mk.sen_slope == pytest.approx(1.0)
    assert not mk.hamed_rao  # a perfect line leaves no autocorrelated residual
    assert mk.p_value < 1e-4


def test_mann_kendall_is_exact_for_short_series() -> None:
    mk = mann_kendall([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mk.exact
    assert mk.p_value == pytest.approx(1 / 120)  # only the sorted permutation has S = 10
    assert mann_kendall([5.0, 4.0, 3.0, 2.0, 1.0]).p_value == pytest.approx(1.0)


def test_mann_kendall_tie_correction() -> None:
    mk = mann_kendall([1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 1.0, 4.0, 4.0, 5.0, 5.0, 6.0], hamed_rao=False)
    ties = [(3, 3), (3, 3), (2, 2), (2, 2)]  # values 1 and 2 three times, 4 and 5 twice
    tie_term = sum(t * (t - 1) * (2 * t + 5) for t, _ in ties)
    assert mk.variance == pytest.approx((12 * 11 * 29 - tie_term) / 18)


def test_hamed_rao_widens_the_variance_of_a_persistent_series() -> None:
    blocks = np.repeat([1.0, 3.0, 1.0, 3.0], 6)  # two level shifts, no steady rise
    plain = mann_kendall(blocks, hamed_rao=False)
    corrected = mann_kendall(blocks)
    assert corrected.hamed_rao
    assert corrected.variance > 1.5 * plain.variance
    assert plain.p_value < ALPHA < corrected.p_value


def test_chi_square_even_dof_matches_closed_forms() -> None:
    assert chi2_even_cdf(3.0, 2) == pytest.approx(1 - math.exp(-1.5))
    assert chi2_even_cdf(3.0, 4) == pytest.approx(1 - math.exp(-1.5) * 2.5)
    assert chi2_even_cdf(400.0, 400) == pytest.approx(0.5, abs=0.02)  # median ≈ dof


def test_crow_amsaa_beta_by_hand() -> None:
    ca = crow_amsaa([1.0, 2.0, 4.0], 4.0)
    assert ca.beta == pytest.approx(1 / math.log(2))  # 3 / (ln 4 + ln 2 + 0)
    assert ca.statistic == pytest.approx(6 * math.log(2))


def test_laplace_statistic_by_hand() -> None:
    lap = laplace([3.0, 6.0, 9.0], 12.0)
    assert lap.statistic == pytest.approx(0.0)
    assert lap.p_value == pytest.approx(0.5)


def test_poisson_glm_recovers_an_exact_exponential_trend() -> None:
    exposure = np.linspace(30, 50, 18)
    b = math.log(1.4) / 12
    counts = exposure * 0.2 * np.exp(b * (np.arange(18) - 8.5))
    fit = poisson_glm(counts, exposure)
    assert fit.slope == pytest.approx(b, rel=1e-6)
    assert fit.annual_growth == pytest.approx(0.4, rel=1e-6)
    assert fit.intercept == pytest.approx(math.log(0.2), rel=1e-6)


def test_poisson_glm_survives_every_incident_in_the_last_month() -> None:
    fit = poisson_glm([0.0] * 11 + [5.0], np.full(12, 10.0))
    assert fit.slope > 5  # the MLE runs off to +∞; the fit stops, the LR test still answers
    assert fit.slope_se == math.inf
    assert fit.p_value < 1e-3
    assert poisson_glm([0.0] * 12, np.full(12, 10.0)).p_value == 1.0


def test_poisson_glm_divides_by_overdispersion() -> None:
    counts = np.array([0, 30, 2, 25, 1, 40, 3, 35, 0, 45, 5, 50], dtype=float)
    fit = poisson_glm(counts, np.full(12, 40.0))
    assert fit.dispersion > 5
    assert fit.p_value > 0.01  # a raw Poisson LR test would call this a certain rise


def test_event_times_outside_the_window_are_rejected() -> None:
    with pytest.raises(PlanInputError, match="window"):
        rising_frequency([0.5, 13.0], np.full(12, 10.0))
    with pytest.raises(PlanInputError, match="trailing 12–24 months"):
        rising_frequency([0.5], np.full(6, 10.0))


def test_recurrence_thresholds_and_the_30_day_rule() -> None:
    base = [Incident(float(10 * i), f"dev{i}") for i in range(9)]
    assert recurrence([*base, Incident(111.0, "dev8")], 365).repeats == 0  # 31 days on
    one = recurrence([*base, Incident(110.0, "dev8")], 365)  # 30 days on: a repeat
    assert (one.repeats, one.status) == (1, "green")  # 1 of 10 is not above 10 %
    two = [*base, Incident(95.0, "dev8"), Incident(6.0, "x", "Fan  Failure")]
    two[0] = Incident(0.0, "dev0", "fan failure")
    sig = recurrence(two, 365)
    assert sig.repeats == 2
    assert sig.status == "amber"  # 2 of 11 = 18 %
    sig = recurrence([*two, Incident(200.0, "y", "FAN FAILURE"), Incident(210.0, "y")], 365)
    assert sig.status == "red"  # 3 of 13 = 23 %


def test_a_device_failing_every_fortnight_is_an_unresolved_problem() -> None:
    incidents = [Incident(float(d), "nas") for d in (100, 114, 128, 142)] + [
        Incident(float(d), f"pc{d}") for d in range(0, 360, 30)
    ]
    sig = recurrence(incidents, 365)
    assert sig.unresolved_assets == ("nas",)


def test_disruption_score_thresholds_p1_clusters_and_tolerance() -> None:
    hours = 2000.0  # a year of 40-hour weeks
    assert disruption([Outage(10, 1.0, 8.0)], hours, 24).status == "green"  # 0.4 %
    assert disruption([Outage(10, 1.0, 12.0)], hours, 24).status == "amber"  # 0.6 %
    assert disruption([Outage(10, 1.0, 21.0)], hours, 24).status == "red"  # 1.05 %
    p1s = [Outage(10, 0.4, 1.0), Outage(90, 0.4, 1.0)]
    assert disruption(p1s, hours, 24).status == "red"
    assert disruption([Outage(10, 0.3, 9.0)], hours, 8).status == "red"  # a P1 over τ_out
    # τ_out bounds P1 outages only: one seat down for 9 h is not a breach
    assert disruption([Outage(10, 0.1, 9.0)], hours, 8).status == "green"


def test_delayed_updates_rules() -> None:
    current = [PatchState(5.0) for _ in range(10)]
    assert delayed_updates(current).status == "green"
    kev = [*current, PatchState(20.0, internet_facing=True, oldest_unpatched_kev_days=15.0)]
    assert delayed_updates(kev).status == "red"
    eos = [*current, PatchState(0.0, internet_facing=True, end_of_support=True)]
    assert delayed_updates(eos).status == "red"
    behind = [PatchState(90.0)] * 3 + [PatchState(5.0)] * 7
    assert delayed_updates(behind).status == "amber"  # 30 % over 60 days
    assert delayed_updates([PatchState(90.0)] * 5 + [PatchState(5.0)] * 5).status == "red"
    assert delayed_updates([PatchState(40.0)] * 10).status == "amber"  # median 40 > 32


def test_uneven_performance_and_support_calls() -> None:
    assert uneven_performance(None, None).status == "n/a"
    assert uneven_performance(100, 10_000).status == "green"
    assert uneven_performance(600, 10_000).status == "amber"
    assert uneven_performance(1100, 10_000).status == "red"
    assert uneven_performance(100, 10_000, [0.1, 0.1, 0.1, 2.0]).status == "amber"  # CV > 1
    calls = support_calls(48, 20, 12, fleet_median=0.1)
    assert calls.value == pytest.approx(0.2)
    assert calls.status == "n/a"


def _s(status: str) -> Signal:
    return Signal("x", status, 0.0, "")  # type: ignore[arg-type]


def test_verdict_rules() -> None:
    assert switch_verdict([_s("red"), _s("red")]) == "outgrown break-fix"
    assert switch_verdict([_s("red"), _s("amber"), _s("amber")]) == "outgrown break-fix"
    assert switch_verdict([_s("red"), _s("amber")]) == "watch"
    assert switch_verdict([_s("amber"), _s("green")]) == "watch"
    assert switch_verdict([_s("green"), _s("n/a")]) == "break-fix still fits"


def _even_times(counts: list[int]) -> np.ndarray:
    """Incidents spread evenly inside each month (a history with no luck in it)."""
    return np.concatenate([(m + (np.arange(c) + 0.5) / c) for m, c in enumerate(counts) if c])


def test_office_with_incidents_up_40_percent_has_outgrown_break_fix() -> None:
    # spec §6 test 12, detector part: 40 devices, 24 months, incidents +40 % a year, the server
    # (behind 16 seats) down twice in a quarter
    counts = [round(5 * 1.4 ** ((m + 0.5) / 12)) for m in range(24)]
    trend = rising_frequency(_even_times(counts), np.full(24, 40.0))
    assert trend.status == "red"
    assert trend.glm.annual_growth == pytest.approx(0.4, abs=0.1)
    assert trend.next_year_factor == pytest.approx(1.4, abs=0.1)
    outages = [Outage(400, 0.45, 3.0), Outage(460, 0.45, 5.0), Outage(200, 0.05, 2.0)]
    dis = disruption(outages, operating_hours=4000, tolerance_h=8)
    assert dis.status == "red"
    assert switch_verdict([trend, dis]) == "outgrown break-fix"


def test_a_quiet_home_still_fits_break_fix() -> None:
    counts = [1 if m % 4 == 0 else 0 for m in range(24)]  # 6 tickets in 2 years, no trend
    trend = rising_frequency(_even_times(counts), np.full(24, 10.0))
    assert trend.status == "green"
    incidents = [Incident(30.0 * m + 15, f"d{m}") for m in range(0, 24, 4)]
    signals = [
        trend,
        recurrence(incidents, 730),
        disruption([Outage(100, 0.5, 2.0)], operating_hours=17_520, tolerance_h=24),
        delayed_updates([PatchState(10.0)] * 10),
    ]
    assert switch_verdict(signals) == "break-fix still fits"
