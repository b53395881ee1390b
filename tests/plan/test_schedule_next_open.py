"""`Schedule.next_open` on weeks of few and of many intervals (the two ways it counts them)."""

from __future__ import annotations

import numpy as np
import pytest

from sitekeeper.plan.schedule import WEEK_H, YEAR_H, Schedule


@pytest.mark.parametrize("per_day", [2, 4])  # 14 intervals: linear count; 28: binary search
def test_next_open_is_the_first_open_instant_for_short_and_long_weeks(per_day: int) -> None:
    slot = 24.0 / (2 * per_day)
    sched = Schedule(
        tuple(
            (24.0 * d + 2 * k * slot + 1.0, 24.0 * d + (2 * k + 1) * slot + 1.0)
            for d in range(7)
            for k in range(per_day)
        )
    )
    starts = np.asarray([s for s, _ in sched.intervals])
    t = np.random.default_rng(per_day).random(5000) * YEAR_H
    out = sched.next_open(t)
    week = np.floor(out / WEEK_H) * WEEK_H
    x = t - np.floor(t / WEEK_H) * WEEK_H
    open_now = np.any([(s <= x) & (x < e) for s, e in sched.intervals], axis=0)
    assert np.array_equal(sched.is_open(t) == 1.0, open_now)
    assert np.all(out[open_now] == t[open_now])
    closed = ~open_now
    # a closed instant opens at the next interval start, less than one slot away
    assert np.all(np.isin(out[closed] - week[closed], starts))
    assert np.all((out[closed] > t[closed]) & (out[closed] - t[closed] <= slot))
