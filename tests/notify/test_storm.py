"""The storm budget as timelines on a fake clock."""

from __future__ import annotations

import pytest

from sitekeeper.clock import FakeClock
from sitekeeper.notify.storm import StormBudget, StormPolicy

MIN = 60.0


def test_within_budget_every_message_pages() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=3, window_s=10 * MIN))
    for _ in range(3):
        assert budget.decide(1, clock.now()).page
        clock.advance(MIN)


def test_beyond_n_in_m_minutes_messages_fold_into_one_digest_per_window() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=3, window_s=10 * MIN))
    decisions = []
    for _ in range(10):  # ten incidents, 30 s apart
        decisions.append(budget.decide(1, clock.now()))
        clock.advance(30)
    assert [d.page for d in decisions] == [True] * 3 + [False] * 7
    folded = decisions[3:]
    assert {d.digest_key(5) for d in folded} == {folded[0].digest_key(5)}  # one digest
    assert folded[0].digest_at == folded[0].window_start + 10 * MIN  # sent when it closes
    with pytest.raises(ValueError):
        decisions[0].digest_key(5)


def test_a_storm_that_goes_on_gets_one_digest_per_window() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=2, window_s=5 * MIN))
    keys = []
    for _ in range(40):  # one every 30 s for 20 min
        d = budget.decide(1, clock.now())
        keys.append(None if d.page else d.digest_key(1))
        clock.advance(30)
    assert keys[:2] == [None, None]
    digests = [k for k in dict.fromkeys(keys) if k]
    assert len(digests) == 4  # 18 minutes of storm: a digest every 5 minutes, no pages
    assert None not in keys[2:]


def test_when_the_storm_is_over_pages_resume() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=2, window_s=5 * MIN))
    for _ in range(3):
        budget.decide(1, clock.now())
    clock.advance(6 * MIN)
    assert budget.decide(1, clock.now()).page


def test_clients_have_budgets_of_their_own() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=1, window_s=5 * MIN))
    assert budget.decide(1, clock.now()).page
    assert not budget.decide(1, clock.now()).page
    assert budget.decide(2, clock.now()).page


def test_a_seeded_budget_remembers_recent_pages_after_a_restart() -> None:
    clock = FakeClock()
    budget = StormBudget(StormPolicy(max_pages=2, window_s=5 * MIN))
    budget.seed(1, [clock.now() - 60, clock.now() - 30])
    assert not budget.decide(1, clock.now()).page


def test_a_budget_needs_sensible_numbers() -> None:
    with pytest.raises(ValueError):
        StormPolicy(max_pages=0)
