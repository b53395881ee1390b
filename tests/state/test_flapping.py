"""Flap detection: hand-written timelines, and the engine against a literal Nagios transcription."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekeeper.state import (
    FLAPPING,
    CheckState,
    CheckStatus,
    Flip,
    Policy,
    evaluate,
    is_flapping_flip,
    percent_state_change,
)

from .nagios_reference import NagiosService
from .timeline import run_timeline

OK, WARN, CRIT, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.CRIT, CheckStatus.UNKNOWN
NAGIOS_CODE = {OK: 0, WARN: 1, CRIT: 2, UNKNOWN: 3}
HARD_EVERY_TIME = Policy(max_attempts=1)


def test_flapping_starts_at_the_high_threshold_and_stops_at_the_low_one() -> None:
    # Every result is hard (max_attempts=1), so every result is recorded.
    run_timeline(
        """
        t     result  status  flapping  pct   flips
        0     OK      OK      no        0.0   -
        60    CRIT    CRIT    no        6.2   hard:OK>CRIT
        120   OK      OK      no        12.4  hard:CRIT>OK
        180   CRIT    CRIT    no        18.4  hard:OK>CRIT
        240   OK      OK      yes       24.2  hard:OK>FLAPPING,hard:CRIT>OK
        300   CRIT    CRIT    yes       29.9  hard:OK>CRIT
        360   OK      OK      yes       35.5  hard:CRIT>OK
        420   OK      OK      yes       34.7  -
        480   OK      OK      yes       33.9  -
        540   OK      OK      yes       33.2  -
        600   OK      OK      yes       32.4  -
        660   OK      OK      yes       31.6  -
        720   OK      OK      yes       30.8  -
        780   OK      OK      yes       30.0  -
        840   OK      OK      yes       29.2  -
        900   OK      OK      yes       28.4  -
        960   OK      OK      yes       27.6  -
        1020  OK      OK      yes       26.8  -
        1080  OK      OK      yes       26.1  -
        1140  OK      OK      yes       25.3  -
        1200  OK      OK      yes       24.5  -
        1260  OK      OK      yes       20.1  -
        1320  OK      OK      yes       15.8  -
        1380  OK      OK      yes       11.6  -
        1440  OK      OK      yes       7.6   -
        1500  OK      OK      no        3.8   hard:FLAPPING>OK
        1560  OK      OK      no        0.0   -
        """,
        HARD_EVERY_TIME,
    )
    # 18.4% (t=180) and 7.6% (t=1440) are in the undecided band: the flag keeps its value.


def test_soft_problems_are_not_recorded_so_retries_that_recover_never_flap() -> None:
    run_timeline("""
        t    result  status  type  flapping  pct  flips
        0    OK      OK      HARD  no        0.0  -
        30   CRIT    CRIT    SOFT  no        0.0  soft:OK>CRIT
        60   OK      OK      HARD  no        0.0  soft:CRIT>OK
        90   CRIT    CRIT    SOFT  no        0.0  soft:OK>CRIT
        120  OK      OK      HARD  no        0.0  soft:CRIT>OK
        150  WARN    WARN    SOFT  no        0.0  soft:OK>WARN
        180  OK      OK      HARD  no        0.0  soft:WARN>OK
        210  CRIT    CRIT    SOFT  no        0.0  soft:OK>CRIT
        240  CRIT    CRIT    SOFT  no        0.0  -
        270  CRIT    CRIT    HARD  no        6.2  hard:OK>CRIT
    """)


def test_flap_flips_say_why_and_are_recognisable() -> None:
    state: CheckState | None = None
    flips: list[Flip] = []
    for t, status in enumerate([OK, CRIT, OK, CRIT, OK]):
        state, step = evaluate(state, status, "r", HARD_EVERY_TIME, float(t), 9)
        flips += step
    start = [f for f in flips if is_flapping_flip(f)]
    assert start == [
        Flip(
            subject="check",
            subject_id=9,
            old="OK",
            new=FLAPPING,
            hard=True,
            reason="flapping started (24.2% state change >= 20.0% threshold)",
            at=4.0,
        )
    ]
    assert not any(is_flapping_flip(f) for f in flips if f not in start)


def test_disabling_flap_detection_clears_flapping_and_says_so() -> None:
    state: CheckState | None = None
    for t, status in enumerate([OK, CRIT, OK, CRIT, OK]):
        state, _ = evaluate(state, status, "r", HARD_EVERY_TIME, float(t), 9)
    assert state is not None
    assert state.flapping
    off = Policy(max_attempts=1, flap_detection=False)
    state, flips = evaluate(state, CRIT, "r", off, 10.0, 9)
    assert not state.flapping
    assert state.percent_change == pytest.approx(29.9, abs=0.05)  # still kept up to date
    assert [(f.old, f.new, f.reason) for f in flips if is_flapping_flip(f)] == [
        (FLAPPING, "CRIT", "flapping stopped (flap detection disabled)")
    ]


@pytest.mark.parametrize(
    ("history", "percent"),
    [
        ((), 0.0),
        ((CRIT,), 6.25),  # newest change weighs 1.25: 1.25 * 100 / 20
        ((CRIT,) + (OK,) * 20, 3.75),  # oldest change weighs 0.75
        ((OK, CRIT) * 10 + (OK,), 100.0),  # 20 changes, mean weight 1.0
        ((WARN,) * 30, 0.0),  # only the last 21 count
    ],
)
def test_percent_state_change_weights_recent_changes_more(
    history: tuple[CheckStatus, ...], percent: float
) -> None:
    assert percent_state_change(history) == pytest.approx(percent, abs=1e-9)


statuses = st.lists(st.sampled_from([OK, WARN, CRIT, UNKNOWN]), max_size=120)
thresholds = st.one_of(
    st.floats(0.0, 60.0),
    st.sampled_from([0.0, 3.75, 5.0, 6.25, 12.368421052631579, 20.0, 25.0]),
)


@settings(max_examples=400, deadline=None)
@given(
    results=statuses,
    max_attempts=st.integers(1, 5),
    low=thresholds,
    high=thresholds,
    enabled=st.booleans(),
)
def test_it_matches_nagios_on_every_step(
    results: list[CheckStatus], max_attempts: int, low: float, high: float, enabled: bool
) -> None:
    low, high = min(low, high), max(low, high)
    policy = Policy(max_attempts=max_attempts, flap_detection=enabled, flap_low=low, flap_high=high)
    nagios = NagiosService(max_attempts, low, high, enabled)
    state: CheckState | None = None
    hard_chain = [OK.value]
    for t, status in enumerate(results):
        state, flips = evaluate(state, status, "r", policy, float(t), 1)
        nagios.handle_async_service_check_result(NAGIOS_CODE[status])
        step = f"step {t} of {results}"
        assert state.flapping == nagios.is_flapping, step
        assert state.percent_change == pytest.approx(nagios.percent_state_change, abs=1e-9), step
        assert NAGIOS_CODE[state.status] == nagios.current_state, step
        assert state.state_type.value == ("HARD" if nagios.state_type else "SOFT"), step
        assert state.attempt == nagios.current_attempt, step
        status_flips = [f for f in flips if not is_flapping_flip(f)]
        assert [f.hard for f in status_flips] == (
            [True] if nagios.hard_state_change else [False] if nagios.state_change else []
        ), step
        for flip in status_flips:
            if flip.hard:
                assert flip.old == hard_chain[-1], step  # hard flips chain without gaps
                hard_chain.append(flip.new)
        assert hard_chain[-1] == state.hard_status.value, step
