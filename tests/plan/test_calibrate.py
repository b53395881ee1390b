"""Spec §6 test 6 (Gamma–Poisson) and the posterior-weighting test of §3."""

from __future__ import annotations

import pytest

from sitekeeper.plan import GammaDist, PlanInputError, frailty_posterior, gamma_poisson
from sitekeeper.plan.calibrate import class_posteriors


def test_gamma_2_10_with_5_events_in_20_device_years() -> None:
    post = gamma_poisson(GammaDist(2.0, 10.0), 5, 20.0)
    assert post.mean == pytest.approx(7 / 30)
    assert post.credibility == pytest.approx(2 / 3)
    # the credibility blend Z·k/E + (1 − Z)·prior mean
    assert post.mean == pytest.approx(2 / 3 * 5 / 20 + 1 / 3 * 0.2)


def test_much_exposure_makes_the_clients_own_rate_dominate() -> None:
    post = gamma_poisson(GammaDist(2.0, 10.0), 5000, 10_000.0)
    assert post.mean == pytest.approx(0.5, rel=0.05)
    assert post.credibility > 0.99


def test_a_clean_history_shrinks_the_frailty() -> None:
    post = frailty_posterior(4.0, incidents=0, expected=6.0)
    assert post.mean == pytest.approx(0.4)
    assert post.credibility == pytest.approx(0.6)


def test_class_posteriors_start_from_the_fleet_mean_worth_10_device_years() -> None:
    post = class_posteriors({"camera": 0.3, "router": 0.5}, {"router": 4}, {"router": 2.0})
    assert post["camera"].mean == pytest.approx(0.3)
    assert post["camera"].credibility == 0.0
    assert post["router"].mean == pytest.approx((5 + 4) / 12)


def test_negative_exposure_is_rejected() -> None:
    with pytest.raises(PlanInputError, match="exposure"):
        gamma_poisson(GammaDist(1.0, 1.0), 1, -1.0)
