"""The advisor's report from a store, on SQLite and PostgreSQL: the lab's two demo clients
reach the issue's verdicts, history comes from imported tickets and recorded incidents, and
the same seed gives the same document."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from sitekeeper.advisor.history import load_history
from sitekeeper.advisor.report import advise
from sitekeeper.advisor.settings import Overrides
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound
from sitekeeper.lab.setup import install_advisor_demo
from sitekeeper.plan import PlanInputError
from sitekeeper.results.store import Store

TRIALS = 3000


@pytest.fixture
def demo(store: Store) -> Store:
    with store.session() as session:
        install_advisor_demo(session, time.time())
        session.commit()
    return store


NOW = time.time()  # one moment for every report, so exposures (device-years) are the same


def _advise(store: Store, client: str, **over: Any) -> dict[str, Any]:
    with store.session() as session:
        return advise(session, client, Overrides(**over), trials=TRIALS, seed=5, now=NOW)


def test_the_demo_home_stays_break_fix_and_the_office_has_outgrown_it(demo: Store) -> None:
    home = _advise(demo, "home")
    assert home["plan"] == "break-fix"
    assert home["verdict"] == "break-fix", home["reason"]
    assert home["switch_verdict"] == "break-fix still fits"
    assert home["delta"]["mean"] < 0 and home["delta"]["p_managed_cheaper"] <= 0.4
    assert home["inputs"]["downtime_cost_per_hour"] == 25.0
    assert home["inputs"]["downtime_cost_source"] == "inventory"
    assert home["history"]["events"] == 4
    # four tickets where the fleet prior expects more: the client's rates shrink
    assert home["calibration"]["frailty_mean"] < 1.0
    assert 0 < home["calibration"]["frailty_credibility"] < 1

    office = _advise(demo, "office")
    assert office["verdict"] == "managed", office["reason"]
    assert office["switch_verdict"] == "outgrown break-fix"
    reds = {s["name"] for s in office["signals"] if s["status"] == "red"}
    assert {"rising incident frequency", "recurrence", "disruption score"} <= reds
    # the rise carries forward into next year's rates
    assert office["calibration"]["trend_factor"] > 1.0
    assert office["delta"]["mean"] > 10 * office["delta"]["se"]
    assert office["delta"]["p_managed_cheaper"] >= 0.9
    bf, ms = office["break_fix"], office["managed"]
    assert bf["p_longest_outage_over_tolerance"] > 0.1 >= ms["p_longest_outage_over_tolerance"]
    # the bottom-up downtime cost: 25 staff × 35.27 × 75 % + 2,000 × 30 %
    assert office["inputs"]["downtime_cost_per_hour"] == pytest.approx(
        25 * 35.27 * 0.75 + 600, abs=0.01
    )
    assert office["inputs"]["downtime_cost_source"] == "estimated"
    assert any("bottom-up" in a for a in office["assumptions"])
    assert office["calibration"]["frailty_mean"] > 1.0
    assert office["history"]["window_months"] == 24
    assert len(office["history"]["monthly_counts"]) == 24 == len(office["history"]["months"])


def test_the_same_seed_gives_the_same_document_and_overrides_apply(demo: Store) -> None:
    first = _advise(demo, "office")
    assert _advise(demo, "office") == first
    cheaper = _advise(demo, "office", downtime_cost=100.0, tolerance_h=48.0)
    assert cheaper["inputs"]["downtime_cost_source"] == "command line"
    assert cheaper["inputs"]["tolerance_hours"] == 48.0
    assert (
        cheaper["break_fix"]["components"]["downtime"]
        < first["break_fix"]["components"]["downtime"]
    )
    # the plotted Δ line is exact: at the client's own cost it is the paired mean difference
    line = first["plots"]["delta_vs_cost"]
    cost = first["inputs"]["downtime_cost_per_hour"]
    at_cost = line["fixed_difference"] + line["hours_difference"] * cost
    assert at_cost == pytest.approx(first["delta"]["mean"], abs=1.0)
    hist = first["plots"]["histogram"]
    assert sum(hist["break_fix"]) == sum(hist["managed"]) == TRIALS


def test_recorded_incidents_join_the_imported_tickets(demo: Store) -> None:
    with demo.session() as session:
        cid = session.scalar(select(m.Client.id).where(m.Client.key == "office"))
        server = session.scalar(
            select(m.Device).where(m.Device.client_id == cid, m.Device.key == "server")
        )
        ws = session.scalar(
            select(m.Device).where(m.Device.client_id == cid, m.Device.key == "ws-01")
        )
        assert cid is not None and server is not None and ws is not None
        before = len(load_history(session, cid, 0.0))
        now = time.time()
        next_id = (session.scalar(select(func.max(m.Incident.id))) or 0) + 1
        session.add(
            m.Incident(
                id=next_id,
                client_id=cid,
                site_id=server.site_id,
                root_device_id=server.id,
                opened_at=now - 7200,
                resolved_at=now - 3600,
                severity=5,
                members=[ws.id],
                services=[],
                title="server is down",
            )
        )
        session.commit()
        events = load_history(session, cid, 0.0)
    assert len(events) == before + 1
    last = events[-1]
    assert (last.source, last.device, last.ref) == ("incident", "server", f"incident {next_id}")
    # criticality 5 (1.0) plus the cut-off workstation: capped at the whole business
    assert last.impact == 1.0
    assert last.restored_at == pytest.approx(now - 3600)


def test_unknown_clients_and_missing_costs_are_clear_errors(demo: Store, store: Store) -> None:
    with store.session() as session:
        with pytest.raises(NotFound, match=r"no client 'nobody' \(known: home, office\)"):
            advise(session, "nobody", Overrides(), trials=100)
        office_id = session.scalar(select(m.Client.id).where(m.Client.key == "office"))
        assert office_id is not None
        # outside the caller's scope, the client does not exist and others are not listed
        with pytest.raises(NotFound, match=r"no client 'office'$"):
            advise(session, "office", Overrides(), trials=100, client_ids=[office_id + 1000])
        row = session.scalar(select(m.Client).where(m.Client.key == "home"))
        assert row is not None
        row.service = {"plan": "break-fix"}
        session.commit()
        with pytest.raises(PlanInputError, match="no downtime cost"):
            advise(session, "home", Overrides(), trials=100)


def test_the_portfolio_lists_break_fix_clients_worst_first(demo: Store) -> None:
    from sitekeeper.advisor.portfolio import portfolio

    with demo.session() as session:
        rows = portfolio(session)
        assert [(r.client, r.verdict) for r in rows] == [
            ("office", "outgrown break-fix"),
            ("home", "break-fix still fits"),
        ]
        assert "recurrence" in rows[0].red and rows[1].red == ()
        assert rows[0].devices == 40 and rows[1].events == 4
        # a managed client is left out unless every plan is asked for
        home = session.scalar(select(m.Client).where(m.Client.key == "home"))
        assert home is not None
        home.service = {**home.service, "plan": "managed"}
        session.commit()
        assert [r.client for r in portfolio(session)] == ["office"]
        assert {r.client for r in portfolio(session, plans=())} == {"home", "office"}
        # scoped: only the clients the caller may see
        assert portfolio(session, client_ids=[home.id], plans=()) == [
            r for r in portfolio(session, plans=()) if r.client == "home"
        ]


def test_rate_card_classes_are_the_models_and_bad_numbers_are_refused() -> None:
    import typing

    from pydantic import ValidationError

    from sitekeeper.inventory.models import AdvisorClass, Lifecycle, ServicePlan
    from sitekeeper.plan import DEFAULT_PROFILES

    assert set(typing.get_args(AdvisorClass)) == set(DEFAULT_PROFILES)
    with pytest.raises(ValidationError, match="device_fees"):
        ServicePlan.model_validate({"rate_card": {"device_fees": {"laptop": 50}}})
    for bad in ({"downtime_cost": float("inf")}, {"rate_card": {"bf_rate": float("nan")}}):
        with pytest.raises(ValidationError):
            ServicePlan.model_validate(bad)
    with pytest.raises(ValidationError):
        Lifecycle.model_validate({"replacement_cost": float("inf")})


def test_a_stated_zero_is_a_value_not_a_default() -> None:
    from sitekeeper.advisor.settings import downtime_cost, tolerance_hours

    stated = downtime_cost(
        {"employees": 10, "loaded_cost": 0, "revenue_per_hour": 100, "revenue_lost_share": 0.5},
        None,
    )
    assert stated.value == 50.0 and stated.source == "estimated"
    assert downtime_cost({"employees": 10, "productivity_loss": 0}, None).value == 0.0
    assert tolerance_hours({"tolerance_hours": 0}) == 0.0
    assert tolerance_hours({}) == 8.0
