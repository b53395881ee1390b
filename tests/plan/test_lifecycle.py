"""The replacement plan (sitekeeper.plan.lifecycle): known answers for each rule and the budget."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.plan import DEFAULT_PROFILES, ClassProfile, PlanInputError
from sitekeeper.plan.from_inventory import KIND_CLASS
from sitekeeper.plan.lifecycle import LifecycleDevice, Plan, Rules, assess, replacement_plan
from sitekeeper.plan.lifetimes import age_at_risk, b_life, median_remaining_life, p_fail_within

TODAY = date(2026, 1, 1)
LN_08 = -math.log(0.8)  # cumulative hazard of a 20% probability


def years_ago(y: float) -> date:
    return TODAY - timedelta(days=round(y * 365.25))


def near(got: date | None, start: date, years: float) -> bool:
    """`got` is `years` after `start`, to the day (calendar years vary by a leap day)."""
    return got is not None and abs((got - start).days - years * 365.25) <= 1.0


def one(*devices: LifecycleDevice, years: int = 5, rules: Rules | None = None) -> Plan:
    return replacement_plan(devices, TODAY, years, rules)


def _arr(*x: float) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def _median_by_bisection(beta: float, eta: float, age: float) -> float:
    """m with S(a + m) / S(a) = 1/2, found numerically from the survival function alone."""

    def ratio(m: float) -> float:
        return math.exp(-(((age + m) / eta) ** beta) + (age / eta) ** beta)

    lo, hi = 0.0, 1.0
    while ratio(hi) > 0.5:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ratio(mid) > 0.5 else (lo, mid)
    return (lo + hi) / 2


# -- the Weibull quantities ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beta", "eta", "age"),
    [(1.5, 22.0, 6.0), (1.36, 8.9, 3.5), (3.0, 5.0, 2.0), (1.2, 40.0, 0.0), (3.0, 2.0, 4.0)],
)
def test_median_remaining_life_halves_the_conditional_survival(
    beta: float, eta: float, age: float
) -> None:
    [m] = median_remaining_life(_arr(age), _arr(beta), _arr(eta))
    assert m == pytest.approx(_median_by_bisection(beta, eta, age), rel=1e-9)


def test_median_remaining_life_known_values() -> None:
    # exponential life has no memory: η ln 2 at any age
    ages = _arr(0.0, 5.0, 50.0)
    got = median_remaining_life(ages, np.ones(3), np.full(3, 10.0))
    assert got == pytest.approx(np.full(3, 10 * math.log(2)))
    # a new unit's median life is η (ln 2)^{1/β}; no wear-out means no end
    [new, endless] = median_remaining_life(_arr(0.0, 3.0), _arr(2.0, 1.5), _arr(10.0, math.inf))
    assert new == pytest.approx(10 * math.sqrt(math.log(2)))
    assert endless == math.inf


def test_p_fail_within_a_year_is_the_spec_formula() -> None:
    # spec §6 test 4: a server aged 6 y
    [p] = p_fail_within(_arr(6.0), _arr(1.5), _arr(22.0))
    assert p == pytest.approx(1 - math.exp(-((7 / 22) ** 1.5) + (6 / 22) ** 1.5), rel=1e-12)
    [none] = p_fail_within(_arr(6.0), _arr(1.5), _arr(math.inf))
    assert none == 0.0


def test_age_at_risk_solves_the_quadratic_for_beta_3() -> None:
    # ((a+1)/η)^3 − (a/η)^3 = −ln 0.8  ⇔  3a² + 3a + 1 − η³·(−ln 0.8) = 0
    eta = 6.0
    c = 1 - eta**3 * LN_08
    expected = (-3 + math.sqrt(9 - 12 * c)) / 6
    [a] = age_at_risk(_arr(3.0), _arr(eta), 0.2, _arr(100.0))
    assert a == pytest.approx(expected, rel=1e-9)
    [p_at] = p_fail_within(_arr(a), _arr(3.0), _arr(eta))
    assert p_at == pytest.approx(0.2, rel=1e-9)


def test_age_at_risk_is_infinite_when_not_reached_and_zero_when_at_risk_from_new() -> None:
    got = age_at_risk(
        _arr(1.5, 1.0, 1.0, 2.0), _arr(22.0, 10.0, 2.0, math.inf), 0.2, _arr(20.0, 20, 20, 20)
    )
    # server: not by age 20; exponential η 10: 9.5% a year, never; η 2: 39% from new
    assert list(got) == [math.inf, math.inf, 0.0, math.inf]


def test_b20_life_is_when_a_fifth_have_failed() -> None:
    [b] = b_life(_arr(3.0), _arr(5.0), 0.2)
    assert 1 - math.exp(-((b / 5.0) ** 3)) == pytest.approx(0.2)
    assert b == pytest.approx(5.0 * LN_08 ** (1 / 3))  # ≈ 3.03 y: inside APC's 3–5 y


# -- which year, and why ----------------------------------------------------------------------


def test_end_of_support_before_planned_age_wins() -> None:
    srv = LifecycleDevice(
        "srv", "server", installed=date(2022, 6, 1), end_of_support=date(2027, 3, 15)
    )
    plan = one(srv)
    [a] = plan.devices
    assert (a.action, a.suggested_year, a.due) == ("replace", 2027, date(2027, 3, 15))
    assert a.reason == "end of support 2027-03"
    assert [(x.year, x.why) for x in plan.lines] == [(2027, "end of support 2027-03")]


def test_planned_age_before_end_of_support_wins() -> None:
    srv = LifecycleDevice(
        "srv", "server", installed=date(2022, 6, 1), end_of_support=date(2030, 1, 1)
    )
    [a] = one(srv).devices
    assert a.suggested_year == 2028
    assert a.reason == "reaches planned age 6 y for servers in 2028-06"


def test_an_overdue_device_is_planned_now_with_every_reason_of_the_year() -> None:
    srv = LifecycleDevice(
        "srv", "server", installed=years_ago(7.5), end_of_support=date(2025, 9, 30)
    )
    plan = one(srv)
    [line] = plan.lines
    assert (line.year, line.due) == (2026, TODAY)
    assert line.why == "past planned age 6 y for servers; end of support 2025-09"
    assert plan.devices[0].support == "ended"


def test_replace_by_overrides_everything() -> None:
    srv = LifecycleDevice(
        "srv",
        "server",
        installed=years_ago(9),
        end_of_support=date(2024, 1, 1),
        replace_by=date(2029, 6, 30),
        note="with the office move",
    )
    plan = one(srv)
    assert [(x.year, x.why) for x in plan.lines] == [
        (2029, "replace_by 2029-06 set by planner: with the office move")
    ]
    later = one(replace(srv, replace_by=date(2033, 1, 1)))
    [a] = later.devices
    assert (a.action, a.suggested_year, later.lines) == ("keep", None, ())
    assert a.reason == "nothing due by 2030; next due in 2033"


def test_the_risk_rule_uses_the_twelve_month_probability() -> None:
    eta = 6.0
    profiles = dict(
        DEFAULT_PROFILES, workstation=ClassProfile(3.0, eta, 0.5, 1.5, 60.0)
    )  # wear-out only: no planned age
    rules = Rules(profiles=profiles)
    expected_age = (-3 + math.sqrt(9 - 12 * (1 - eta**3 * LN_08))) / 6  # ≈ 3.5 y
    installed = date(2025, 1, 1)
    [a] = one(LifecycleDevice("ws", "workstation", installed=installed), rules=rules).devices
    assert near(a.due, installed, expected_age)
    assert a.reason == f"P(fail in 12 months) passes 20% in {a.due:%Y-%m}"
    # past that age: planned now, with today's probability in words
    old = LifecycleDevice("ws", "workstation", installed=years_ago(4))
    [b] = one(old, rules=rules).devices
    p_now = 1 - math.exp(-((5 / eta) ** 3) + (4 / eta) ** 3)
    assert b.suggested_year == 2026 and b.reason == f"P(fail in 12 months) {p_now:.0%}"


def test_a_replaced_device_comes_round_again_at_its_planned_age() -> None:
    ws = LifecycleDevice("ws", "workstation", installed=date(2022, 3, 1))
    plan = one(ws, years=10)
    assert [(x.due, x.why) for x in plan.lines] == [
        (date(2027, 3, 1), "reaches planned age 5 y for workstations in 2027-03"),
        (date(2032, 3, 1), "planned age 5 y for workstations after the 2027 replacement"),
    ]


def test_a_device_without_an_install_date_is_taken_as_three_years_old() -> None:
    plan = one(LifecycleDevice("ap", "access_point"))
    [a] = plan.devices
    assert a.age_assumed and a.age_y == 3.0
    assert a.reason.endswith("(age assumed: add installed)") and a.suggested_year == 2030
    assert "1 device(s) without an install date are taken as 3 y old" in plan.assumptions


# -- batteries and lamps --------------------------------------------------------------------


def _battery_lines(plan: Plan) -> list[date]:
    return [x.due for x in plan.lines if x.what == "replace UPS battery"]


def test_a_ups_battery_at_33_c_gets_half_the_life() -> None:
    cool = LifecycleDevice("ups", "ups", installed=TODAY, ambient_c=25.0)
    warm = replace(cool, ambient_c=33.0)
    [a25], [a33] = one(cool).devices, one(warm).devices
    assert a25.life_of == a33.life_of == "battery"
    assert a33.remaining_life_y == pytest.approx(a25.remaining_life_y / 2)
    assert a25.remaining_life_y == pytest.approx(5.0 * math.log(2) ** (1 / 3))
    b25 = 5.0 * LN_08 ** (1 / 3)  # B20 of β=3, η=5 y: ≈ 3.03 y
    [swap] = _battery_lines(one(cool))
    assert near(swap, TODAY, b25)
    swaps = _battery_lines(one(warm))
    assert len(swaps) == 3  # every ≈ 1.52 y within five calendar years
    assert all(near(b, a, b25 / 2) for a, b in zip([TODAY, *swaps], swaps, strict=False))
    assert "battery reaches its 1.5 y life at 33 °C" in one(warm).devices[0].reason


def test_a_battery_line_is_a_battery_not_the_ups() -> None:
    ups = LifecycleDevice("ups", "ups", installed=years_ago(4), replacement_cost=1800.0)
    plan = one(ups)
    assert all(x.what == "replace UPS battery" for x in plan.lines)
    first = plan.lines[0]
    assert (first.year, first.cost, first.cost_assumed) == (2026, 150.0, True)
    assert first.why == "battery past 3.0 y at 25 °C (4.0 y old)"
    # the UPS itself wears slowly: it is not on the plan
    assert plan.devices[0].action == "battery"


def test_no_battery_swap_just_before_the_ups_itself_is_replaced() -> None:
    ups = LifecycleDevice(
        "ups", "ups", installed=years_ago(2.9), replace_by=date(2026, 9, 1), ambient_c=25.0
    )
    plan = one(ups)
    b25 = 5.0 * LN_08 ** (1 / 3)
    # the battery would be due in early 2026, the UPS goes in September: no battery that year;
    # the new UPS's battery is then due B20 after the replacement
    assert [(x.year, x.what) for x in plan.lines] == [
        (2026, "replace UPS"),
        (2029, "replace UPS battery"),
    ]
    assert near(plan.lines[1].due, date(2026, 9, 1), b25)


def test_a_projector_lamp_at_2000_hours_a_year() -> None:
    proj = LifecycleDevice(
        "proj", "projector", installed=years_ago(1), usage_hours_per_year=2000.0, lamp_hours=0.0
    )
    plan = one(proj)
    [a] = plan.devices
    # η = 2,000 rated h ÷ 2,000 h/y = 1 y; a new lamp's median life is (ln 2)^{1/3} y
    assert a.life_of == "lamp"
    assert a.remaining_life_y == pytest.approx(math.log(2) ** (1 / 3))
    assert a.p_fail_12m == pytest.approx(1 - math.exp(-1))
    interval_days = round(LN_08 ** (1 / 3) * 365.25)  # B20: ≈ 0.61 y, 1,213 h
    due = [x.due for x in plan.lines]
    assert due == [TODAY + timedelta(days=interval_days * k) for k in range(1, 9)]
    assert {x.why for x in plan.lines} == {"lamp reaches its 1,213 h life at 2,000 h/y"}
    assert {x.cost for x in plan.lines} == {300.0}


def test_an_observed_lamp_past_its_life_is_swapped_now() -> None:
    proj = LifecycleDevice("proj", "projector", installed=years_ago(3), lamp_hours=1500.0)
    [first, *_] = one(proj).lines
    assert (first.due, first.what) == (TODAY, "replace lamp")
    assert first.why == "lamp past 1,213 h at 1,000 h/y (1,500 h)"


# -- the budget -----------------------------------------------------------------------------


def _estate() -> list[LifecycleDevice]:
    return [
        LifecycleDevice("srv", "server", installed=years_ago(6.5), replacement_cost=9500.0),
        LifecycleDevice("sw", "switch", installed=years_ago(2), end_of_support=date(2028, 5, 1)),
        LifecycleDevice("ups", "ups", installed=years_ago(1), ambient_c=30.0),
        LifecycleDevice("proj", "projector", installed=years_ago(2)),
        LifecycleDevice("ws", "workstation", installed=years_ago(1)),
        LifecycleDevice("cam", "camera", installed=TODAY),
    ]


def test_totals_are_the_sum_of_the_lines_for_every_year() -> None:
    plan = replacement_plan(_estate(), TODAY, 5)
    totals = plan.totals()
    assert list(totals) == [2026, 2027, 2028, 2029, 2030]
    for year, total in totals.items():
        assert total == pytest.approx(sum(x.cost for x in plan.lines if x.year == year))
    assert plan.total == pytest.approx(sum(totals.values()))
    assumed = plan.assumed_totals()
    assert assumed[2026] == pytest.approx(totals[2026] - 9500.0)  # the server's price is stated


def test_the_horizon_is_respected() -> None:
    for years in (1, 3, 5, 8):
        plan = replacement_plan(_estate(), TODAY, years)
        assert plan.lines and all(2026 <= x.year < 2026 + years for x in plan.lines)
        assert all(x.year == x.due.year and x.due >= TODAY for x in plan.lines)
    one_year = replacement_plan(_estate(), TODAY, 1)
    cam = next(a for a in one_year.devices if a.key == "cam")
    assert cam.action == "keep" and cam.reason == "nothing due by 2026; next due in 2033"


def test_costs_come_from_the_inventory_or_the_kind() -> None:
    plan = replacement_plan(_estate(), TODAY, 5)
    srv = next(x for x in plan.lines if x.device == "srv")
    sw = next(x for x in plan.lines if x.device == "sw")
    assert (srv.cost, srv.cost_assumed, srv.what) == (9500.0, False, "replace server")
    assert (sw.cost, sw.cost_assumed) == (KIND_CLASS[DeviceKind(sw.kind)].replacement_cost, True)
    named = LifecycleDevice("sw", "switch", vendor="Cisco", model="CBS350", installed=years_ago(9))
    assert one(named).lines[0].what == "replace Cisco CBS350"


def test_warranty_support_and_health_statuses() -> None:
    devs = [
        LifecycleDevice("a", "switch", warranty_end=date(2025, 6, 1), incidents_12m=0),
        LifecycleDevice(
            "b",
            "switch",
            warranty_end=date(2026, 3, 1),
            end_of_support=date(2026, 10, 1),
            incidents_12m=1,
        ),
        LifecycleDevice(
            "c",
            "switch",
            warranty_end=date(2027, 6, 1),
            end_of_support=date(2028, 1, 1),
            incidents_12m=3,
        ),
        LifecycleDevice("d", "switch"),
    ]
    got = {a.key: (a.warranty, a.support, a.health) for a in assess(devs, TODAY)}
    assert got == {
        "a": ("expired", "unknown", "ok"),
        "b": ("expiring", "ending", "watch"),
        "c": ("active", "supported", "poor"),
        "d": ("unknown", "unknown", "ok"),
    }


def test_bad_input_names_the_device_and_the_fix() -> None:
    with pytest.raises(PlanInputError, match="device 'x': unknown kind 'toaster'; use one of"):
        one(LifecycleDevice("x", "toaster"))
    with pytest.raises(PlanInputError, match="between 1 and 50 years"):
        one(LifecycleDevice("x", "switch"), years=0)
    with pytest.raises(PlanInputError, match=r"lifecycle\.replacement_cost must be >= 0"):
        LifecycleDevice("x", "switch", replacement_cost=-1.0)
    with pytest.raises(PlanInputError, match="unique"):
        one(LifecycleDevice("x", "switch"), LifecycleDevice("x", "router"))
    with pytest.raises(PlanInputError, match="risk_threshold"):
        Rules(risk_threshold=1.5)


def test_an_empty_estate_is_an_empty_plan() -> None:
    plan = replacement_plan([], TODAY, 3)
    assert plan.lines == () and plan.totals() == {2026: 0.0, 2027: 0.0, 2028: 0.0}
