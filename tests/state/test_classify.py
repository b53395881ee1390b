"""Judging one observation: each threshold rule, implicit thresholds, and the retry schedule."""

from __future__ import annotations

import pytest

from sitekeeper.checks.specs import BaseCheck, HttpCheck, IcmpCheck, Threshold, TlsCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.state import CheckStatus, classify, next_delay, thresholds_for

OK, WARN, CRIT, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.CRIT, CheckStatus.UNKNOWN


def seen(ok: bool | None = True, error: str | None = None, **values: Value) -> Observation:
    return Observation(check_id=1, at=0.0, ok=ok, values=dict(values), error=error)


def icmp(*thresholds: Threshold) -> IcmpCheck:
    return IcmpCheck(thresholds=thresholds)


RTT = Threshold(value="rtt_ms", warn_above=250, crit_above=1000)
LOSS = Threshold(value="loss_pct", warn_above=10, crit_above=50)
CHARGE = Threshold(value="battery_charge_pct", warn_below=50, crit_below=20)


def test_a_probe_that_could_not_tell_is_unknown() -> None:
    assert classify(seen(ok=None, error="not permitted"), icmp(RTT)) == (UNKNOWN, "not permitted")
    assert classify(seen(ok=None), icmp()) == (UNKNOWN, "the probe could not tell")


def test_a_failed_probe_is_crit_with_its_error() -> None:
    assert classify(seen(ok=False, error="connection refused"), icmp()) == (
        CRIT,
        "connection refused",
    )
    assert classify(seen(ok=False), icmp()) == (CRIT, "check failed")


@pytest.mark.parametrize(
    ("spec", "values", "expected"),
    [
        # no thresholds: ok is OK
        (icmp(), {}, (OK, "ok")),
        # above
        (icmp(RTT), {"rtt_ms": 12.0}, (OK, "ok")),
        (icmp(RTT), {"rtt_ms": 250}, (OK, "ok")),  # bounds are strict
        (icmp(RTT), {"rtt_ms": 412.0}, (WARN, "rtt_ms 412.0 > 250 (warn)")),
        (icmp(RTT), {"rtt_ms": 1500}, (CRIT, "rtt_ms 1500.0 > 1000 (crit)")),
        # below
        (icmp(CHARGE), {"battery_charge_pct": 80}, (OK, "ok")),
        (icmp(CHARGE), {"battery_charge_pct": 50}, (OK, "ok")),
        (icmp(CHARGE), {"battery_charge_pct": 35}, (WARN, "battery_charge_pct 35.0 < 50 (warn)")),
        (icmp(CHARGE), {"battery_charge_pct": 5}, (CRIT, "battery_charge_pct 5.0 < 20 (crit)")),
        # a band: warn outside 10..90
        (
            icmp(Threshold(value="temp_c", warn_below=10, warn_above=90)),
            {"temp_c": 95},
            (WARN, "temp_c 95.0 > 90 (warn)"),
        ),
        # only one bound given
        (icmp(Threshold(value="rtt_ms", crit_above=5)), {"rtt_ms": 4.9}, (OK, "ok")),
        (
            icmp(Threshold(value="rtt_ms", crit_above=5)),
            {"rtt_ms": 6},
            (CRIT, "rtt_ms 6.0 > 5 (crit)"),
        ),
        # several thresholds: the worst wins; its reasons are joined
        (
            icmp(RTT, LOSS),
            {"rtt_ms": 412.0, "loss_pct": 60},
            (CRIT, "loss_pct 60.0 > 50 (crit)"),
        ),
        (
            icmp(RTT, LOSS),
            {"rtt_ms": 412.0, "loss_pct": 20},
            (WARN, "rtt_ms 412.0 > 250 (warn); loss_pct 20.0 > 10 (warn)"),
        ),
        # a value the observation lacks is UNKNOWN: worse than WARN, better than CRIT
        (icmp(RTT), {}, (UNKNOWN, "rtt_ms missing from the result")),
        (icmp(RTT, LOSS), {"loss_pct": 20}, (UNKNOWN, "rtt_ms missing from the result")),
        (icmp(RTT, LOSS), {"loss_pct": 60}, (CRIT, "loss_pct 60.0 > 50 (crit)")),
        # values come as numbers, bools or strings
        (icmp(RTT), {"rtt_ms": "412.5"}, (WARN, "rtt_ms 412.5 > 250 (warn)")),
        (icmp(RTT), {"rtt_ms": "fast"}, (UNKNOWN, "rtt_ms is not a number ('fast')")),
        (
            icmp(Threshold(value="verified", crit_below=1)),
            {"verified": False},
            (CRIT, "verified 0.0 < 1 (crit)"),
        ),
    ],
)
def test_thresholds(
    spec: BaseCheck, values: dict[str, Value], expected: tuple[CheckStatus, str]
) -> None:
    obs = Observation(check_id=1, at=0.0, ok=True, values=values)
    assert classify(obs, spec) == expected


def test_http_latency_bounds_are_thresholds_on_latency_ms() -> None:
    spec = HttpCheck(warn_latency_ms=200, crit_latency_ms=800)
    assert thresholds_for(spec) == (Threshold(value="latency_ms", warn_above=200, crit_above=800),)
    assert classify(seen(latency_ms=350), spec) == (WARN, "latency_ms 350.0 > 200 (warn)")


def test_latency_ms_falls_back_to_the_observation_field() -> None:
    spec = HttpCheck(crit_latency_ms=800)
    obs = Observation(check_id=1, at=0.0, ok=True, latency_ms=900.0)
    assert classify(obs, spec) == (CRIT, "latency_ms 900.0 > 800 (crit)")


def test_http_without_latency_bounds_has_no_implicit_threshold() -> None:
    assert thresholds_for(HttpCheck()) == ()
    assert classify(seen(), HttpCheck()) == (OK, "ok")


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (90, (OK, "ok")),
        (21, (OK, "ok")),
        (12.5, (WARN, "days_to_expiry 12.5 < 21 (warn)")),
        (3, (CRIT, "days_to_expiry 3.0 < 7 (crit)")),
        (-2, (CRIT, "days_to_expiry -2.0 < 7 (crit)")),
    ],
)
def test_tls_days_are_thresholds_on_days_to_expiry(
    days: float, expected: tuple[CheckStatus, str]
) -> None:
    assert classify(seen(days_to_expiry=days), TlsCheck()) == expected


def test_implicit_thresholds_come_before_the_specs_own() -> None:
    own = Threshold(value="verified", crit_below=1)
    spec = TlsCheck(warn_days=30, crit_days=10, thresholds=(own,))
    assert thresholds_for(spec) == (
        Threshold(value="days_to_expiry", warn_below=30, crit_below=10),
        own,
    )
    assert classify(seen(days_to_expiry=20, verified=0), spec) == (
        CRIT,
        "verified 0.0 < 1 (crit)",
    )


@pytest.mark.parametrize(
    ("status", "consecutive_non_ok", "delay"),
    [
        (OK, 0, 60.0),  # healthy: the normal interval
        (CRIT, 1, 30.0),  # soft: retry sooner (default retry = min(interval, 30s))
        (WARN, 2, 30.0),
        (UNKNOWN, 2, 30.0),
        (CRIT, 3, 60.0),  # hard at max_attempts: back to the normal interval
        (CRIT, 9, 60.0),
    ],
)
def test_next_delay_retries_while_soft(
    status: CheckStatus, consecutive_non_ok: int, delay: float
) -> None:
    assert next_delay(IcmpCheck(interval=60), status, consecutive_non_ok) == delay


def test_next_delay_honours_an_explicit_retry_interval() -> None:
    spec = IcmpCheck(interval=300, retry_interval=10, max_attempts=1)
    assert next_delay(spec, CRIT, 1) == 300.0  # max_attempts=1: hard at once, no retries
    assert next_delay(IcmpCheck(interval=300, retry_interval=10), CRIT, 1) == 10.0
