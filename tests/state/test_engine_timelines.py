"""Nagios soft/hard semantics, one timeline per rule (default policy: max_attempts=3)."""

from __future__ import annotations

from sitekeeper.state import CheckStatus, Policy, StateType, evaluate, initial_state

from .timeline import run_timeline


def test_a_problem_turns_hard_at_max_attempts_and_recovers_hard() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   CRIT    CRIT    SOFT  1        OK    soft:OK>CRIT
        90   CRIT    CRIT    SOFT  2        OK    -
        120  CRIT    CRIT    HARD  3        CRIT  hard:OK>CRIT
        180  CRIT    CRIT    HARD  3        CRIT  -
        240  OK      OK      HARD  1        OK    hard:CRIT>OK
        300  OK      OK      HARD  1        OK    -
    """)


def test_max_attempts_1_makes_every_change_hard_at_once() -> None:
    run_timeline(
        """
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   CRIT    CRIT    HARD  1        CRIT  hard:OK>CRIT
        120  WARN    WARN    HARD  1        WARN  hard:CRIT>WARN
        180  OK      OK      HARD  1        OK    hard:WARN>OK
        """,
        Policy(max_attempts=1),
    )


def test_ok_before_max_attempts_is_a_soft_recovery_and_attempts_start_over() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   WARN    WARN    SOFT  1        OK    soft:OK>WARN
        90   WARN    WARN    SOFT  2        OK    -
        120  OK      OK      HARD  1        OK    soft:WARN>OK
        180  CRIT    CRIT    SOFT  1        OK    soft:OK>CRIT
        210  CRIT    CRIT    SOFT  2        OK    -
        240  CRIT    CRIT    HARD  3        CRIT  hard:OK>CRIT
    """)


def test_warn_to_crit_while_soft_is_a_soft_flip_and_keeps_counting() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   WARN    WARN    SOFT  1        OK    soft:OK>WARN
        90   CRIT    CRIT    SOFT  2        OK    soft:WARN>CRIT
        120  CRIT    CRIT    HARD  3        CRIT  hard:OK>CRIT
    """)


def test_a_change_on_the_last_attempt_is_one_hard_flip_from_ok() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   WARN    WARN    SOFT  1        OK    soft:OK>WARN
        90   WARN    WARN    SOFT  2        OK    -
        120  CRIT    CRIT    HARD  3        CRIT  hard:OK>CRIT
    """)


def test_warn_to_crit_while_hard_is_a_hard_flip_at_once() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    OK      OK      HARD  1        OK    -
        60   WARN    WARN    SOFT  1        OK    soft:OK>WARN
        90   WARN    WARN    SOFT  2        OK    -
        120  WARN    WARN    HARD  3        WARN  hard:OK>WARN
        180  CRIT    CRIT    HARD  3        CRIT  hard:WARN>CRIT
        240  WARN    WARN    HARD  3        WARN  hard:CRIT>WARN
        300  OK      OK      HARD  1        OK    hard:OK>FLAPPING,hard:WARN>OK
    """)
    # Four hard changes in a row is flapping by Nagios' measure (24.2% >= 20%).


def test_unknown_is_a_problem_state_like_any_other() -> None:
    run_timeline("""
        t    result   status   type  attempt  hard     flips
        0    OK       OK       HARD  1        OK       -
        60   UNKNOWN  UNKNOWN  SOFT  1        OK       soft:OK>UNKNOWN
        90   CRIT     CRIT     SOFT  2        OK       soft:UNKNOWN>CRIT
        120  UNKNOWN  UNKNOWN  HARD  3        UNKNOWN  hard:OK>UNKNOWN
        180  CRIT     CRIT     HARD  3        CRIT     hard:UNKNOWN>CRIT
        240  UNKNOWN  UNKNOWN  HARD  3        UNKNOWN  hard:CRIT>UNKNOWN
        300  OK       OK       HARD  1        OK       hard:OK>FLAPPING,hard:UNKNOWN>OK
    """)


def test_a_check_never_seen_starts_hard_ok_so_a_first_problem_is_soft() -> None:
    run_timeline("""
        t    result  status  type  attempt  hard  flips
        0    CRIT    CRIT    SOFT  1        OK    soft:OK>CRIT
        30   CRIT    CRIT    SOFT  2        OK    -
        60   CRIT    CRIT    HARD  3        CRIT  hard:OK>CRIT
    """)


def test_a_first_ok_says_nothing() -> None:
    state, flips = evaluate(None, CheckStatus.OK, "ok", Policy(), 100.0, 1)
    assert flips == []
    assert (state.status, state.state_type, state.attempt, state.hard_status) == (
        CheckStatus.OK,
        StateType.HARD,
        1,
        CheckStatus.OK,
    )
    assert (state.since, state.hard_since, state.last_result_at) == (100.0, 100.0, 100.0)


def test_it_keeps_since_hard_since_and_last_result_at() -> None:
    rows = run_timeline("""
        t    result  status  type
        0    OK      OK      HARD
        60   CRIT    CRIT    SOFT
        90   CRIT    CRIT    SOFT
        120  CRIT    CRIT    HARD
        180  CRIT    CRIT    HARD
        240  OK      OK      HARD
    """)
    got = [(s.since, s.hard_since, s.last_result_at) for s, _ in rows]
    assert got == [
        (0, 0, 0),
        (60, 0, 60),
        (60, 0, 90),
        (60, 120, 120),
        (60, 120, 180),
        (240, 240, 240),
    ]


def test_flips_carry_the_reason_and_time_they_were_given() -> None:
    prev = initial_state(0.0)
    _, flips = evaluate(prev, CheckStatus.CRIT, "connection refused", Policy(), 60.0, 42)
    assert [(f.subject, f.subject_id, f.reason, f.at) for f in flips] == [
        ("check", 42, "connection refused", 60.0)
    ]


def test_a_hard_problem_stays_hard_when_max_attempts_is_raised() -> None:
    rows = run_timeline(
        """
        t    result  status  type  attempt  hard
        0    CRIT    CRIT    HARD  1        CRIT
        """,
        Policy(max_attempts=1),
    )
    state, flips = evaluate(rows[-1][0], CheckStatus.CRIT, "x", Policy(max_attempts=5), 60.0, 1)
    assert (state.state_type, state.attempt, flips) == (StateType.HARD, 5, [])
