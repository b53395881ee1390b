"""Baselines: online but uneven — slow is WARN before it is down, with the usual latency."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.state.baseline import MIN_SAMPLES, WINDOW, judge, remember


def steady(ms: float = 2.0, n: int = 40) -> tuple[float, ...]:
    history: tuple[float, ...] = ()
    for i in range(n):
        history = remember(history, ms + (i % 3) * 0.1)
    return history


def test_it_learns_before_it_judges() -> None:
    assert judge(steady(n=MIN_SAMPLES - 1), 900.0) is None


def test_far_slower_than_usual_is_unusual_and_says_what_is_usual() -> None:
    verdict = judge(steady(), 800.0)
    assert verdict is not None and verdict.unusual
    assert "usually 2 ms" in verdict.reason(800.0)


def test_jitter_on_a_fast_link_is_not_unusual() -> None:
    verdict = judge(steady(), 30.0)  # 15x the usual, but only 28 ms above it: under the floor
    assert verdict is not None and not verdict.unusual


def test_a_noisy_check_needs_a_bigger_excursion() -> None:
    noisy: tuple[float, ...] = ()
    for i in range(60):
        noisy = remember(noisy, 100.0 + (i % 10) * 20)  # 100..280 ms
    assert not judge(noisy, 300.0).unusual  # type: ignore[union-attr]
    assert judge(noisy, 2000.0).unusual  # type: ignore[union-attr]


def test_a_lasting_shift_becomes_the_new_normal() -> None:
    history = steady()
    for _ in range(WINDOW // 2 + 1):
        history = remember(history, 400.0)
    assert not judge(history, 400.0).unusual  # type: ignore[union-attr]


@given(st.lists(st.floats(min_value=0.1, max_value=10_000), min_size=1, max_size=200))
def test_the_window_is_bounded(values: list[float]) -> None:
    history: tuple[float, ...] = ()
    for v in values:
        history = remember(history, v)
    assert len(history) == min(len(values), WINDOW)
