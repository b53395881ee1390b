"""Bad input names the place and the fix; summary statistics behave as defined."""

from __future__ import annotations

import numpy as np
import pytest

from sitekeeper.plan import ClientParams, Device, Edge, Estate, PlanInputError, simulate
from sitekeeper.plan.profiles import DEFAULT_PROFILES
from sitekeeper.plan.simulate import ModelParams
from sitekeeper.plan.summary import cvar


def test_a_device_of_an_unknown_class_names_the_device_and_the_fix() -> None:
    with pytest.raises(PlanInputError, match=r"'kiosk'.*Estate.profiles"):
        Estate((Device("k1", "kiosk", 1.0, 0.1, 100.0),), (), DEFAULT_PROFILES)


def test_an_edge_to_an_unknown_device_is_rejected() -> None:
    devs = (Device("a", "switch", 1.0, 0.1, 100.0),)
    with pytest.raises(PlanInputError, match="unknown device 'b'"):
        Estate(devs, (Edge("a", "b"),), DEFAULT_PROFILES)


def test_criticality_outside_zero_one_is_rejected() -> None:
    with pytest.raises(PlanInputError, match="criticality"):
        Device("a", "switch", 1.0, 1.5, 100.0)


def test_one_trial_is_too_few() -> None:
    estate = Estate((Device("a", "switch", 1.0, 0.1, 100.0),), (), DEFAULT_PROFILES)
    with pytest.raises(PlanInputError, match="n_trials"):
        simulate(estate, ClientParams(10.0), ModelParams(), 1, seed=0)


def test_cvar95_is_the_mean_of_the_worst_five_percent() -> None:
    assert cvar(np.arange(1.0, 101.0)) == pytest.approx(98.0)
