"""The incremental paths ingest takes are the general rules, answer for answer: a `Window`
judges as `judge` and remembers as `remember`; `evaluate`'s shortcut for a check that stays
hard OK gives the state and flips the general path gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sitekeeper.state import engine
from sitekeeper.state.baseline import Window, judge, remember
from sitekeeper.state.model import CheckState, CheckStatus, Policy

latencies = st.floats(min_value=0.0, max_value=5000.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(latencies, max_size=150))
def test_a_window_judges_and_remembers_as_the_plain_rules_do(stream: list[float]) -> None:
    history: tuple[float, ...] = ()
    window = Window()
    for latency in stream:
        verdict = judge(history, latency)
        unusual = window.unusual(latency)
        if verdict is None or not verdict.unusual:
            assert unusual is None
        else:
            assert unusual == verdict
        history = remember(history, latency)
        window.add(latency)
        assert window.latencies() == history
        assert len(window) == len(history)
    assert Window(history).latencies() == history


statuses = st.sampled_from(list(CheckStatus))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(statuses, max_size=60),
    st.integers(min_value=1, max_value=5),
    st.booleans(),
    st.floats(min_value=-5.0, max_value=30.0),
)
def test_the_steady_ok_shortcut_equals_the_general_path(
    seq: list[CheckStatus], attempts: int, detect: bool, low: float
) -> None:
    policy = Policy(max_attempts=attempts, flap_detection=detect, flap_low=low, flap_high=40.0)
    state: CheckState | None = None
    for i, status in enumerate([*seq, *[CheckStatus.OK] * 25]):
        now = 1000.0 + 60 * i
        fast = engine.evaluate(state, status, "r", policy, now, 1)
        if state is not None and status is CheckStatus.OK and engine.steady_ok(state, policy):
            slow = general(state, status, policy, now)
            assert fast == slow
        state = fast[0]


def general(state: CheckState, status: CheckStatus, policy: Policy, now: float) -> object:
    """`evaluate` with its shortcut taken away."""
    steady = engine.steady_ok
    engine.steady_ok = lambda prev, policy: False  # type: ignore[assignment]
    try:
        return engine.evaluate(state, status, "r", policy, now, 1)
    finally:
        engine.steady_ok = steady
