"""Spec §6 test 1: the operating-hours counter B(t) and next_open."""

from __future__ import annotations

import numpy as np
import pytest

from sitekeeper.plan import PlanInputError, Schedule

FRIDAY_17 = 4 * 24 + 17.0
MONDAY_09 = 7 * 24 + 9.0


def test_a_business_week_has_40_operating_hours() -> None:
    s = Schedule.weekdays(9, 17)
    assert s.hours_per_week == 40
    assert s.operating_hours(np.array([168.0]))[0] == 40
    assert s.operating_hours(np.array([10 * 168.0]))[0] == 400


def test_a_friday_evening_failure_loses_nothing_over_the_weekend() -> None:
    s = Schedule.weekdays(9, 17)
    t0 = np.array([FRIDAY_17])
    lost = s.operating_hours(t0 + 64.0) - s.operating_hours(t0)
    assert lost[0] == 0.0


def test_next_open_after_friday_close_is_monday_morning() -> None:
    s = Schedule.weekdays(9, 17)
    assert s.next_open(np.array([FRIDAY_17]))[0] == MONDAY_09
    assert s.next_open(np.array([10.0]))[0] == 10.0  # Monday 10:00 is open
    assert s.next_open(np.array([3.0]))[0] == 9.0


def test_always_open_counts_every_hour() -> None:
    s = Schedule.always()
    t = np.array([0.0, 5.5, 1000.25])
    assert np.array_equal(s.operating_hours(t), t)
    assert np.array_equal(s.next_open(t), t)


def test_overlapping_intervals_are_rejected_with_the_place() -> None:
    with pytest.raises(PlanInputError, match=r"intervals\[1\]"):
        Schedule(((9.0, 17.0), (16.0, 20.0)))
