"""The overview's SQL figures equal what the per-device views give, on SQLite and PostgreSQL.

A store with every kind of device status: a root DOWN with two devices UNREACHABLE behind it
(the incidents worker's verdict), a check failing only softly, a flapping check, a DEGRADED
device, MAINTENANCE and ASLEEP (correlation's rows), a device never heard from, a device
without checks, checks stale by age (some only by their timeout, which lives in the spec),
a stale passive check (which never goes stale), and a retired device and check. The oracle is
`device_views` over every device, tallied as the overview did before it was made of SQL.
Each comparison is made twice: with the overview computing every device's row from the state
tables, and reading them from the device summary a sweep kept (results.summary)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sitekeeper.api.app import create_app
from sitekeeper.api.scope import Scope
from sitekeeper.auth.principal import Principal, Role
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.worker import IncidentWorker
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.kinds import System
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results import summary
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.problems import ListedProblem, listed_problems
from sitekeeper.results.queries import DeviceView
from sitekeeper.results.store import Store
from sitekeeper.web import overview as ov
from sitekeeper.web import pages
from sitekeeper.web import views as v
from tests.web.conftest import sign_in
from tests.web.world import create_users

START = 1_800_000_000.0
TCP = "{type: tcp, port: 9}"
QUICK = "{type: tcp, port: 9, name: quick, timeout: 5s}"  # stale after 155 s, not 160 s
SLOW = "{type: tcp, port: 9, name: slow, timeout: 50s}"  # stale after 200 s
BEAT = "{type: heartbeat, period: 1d, grace: 1h}"

# client -> site -> [(device, depends_on, checks)]
ESTATE: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "acme": {
        "hq": [
            ("router", "", TCP),
            ("core-switch", "router", TCP),
            ("nvr", "core-switch", TCP),
        ],
        "branch": [
            ("gw", "", QUICK),
            ("ap", "gw", f"{QUICK}, {SLOW}"),
            ("nas", "gw", f"{TCP}, {{type: tcp, port: 10, name: backup}}"),
            ("alarm", "", BEAT),
        ],
    },
    "globex": {
        "house": [
            ("gateway", "", TCP),
            ("tv", "gateway", "{type: tcp, port: 9, max_attempts: 3}"),
            ("speaker", "gateway", TCP),
            ("printer", "gateway", TCP),
            ("projector", "gateway", TCP),
            ("lights", "gateway", TCP),
            ("keypad", "gateway", TCP),
            ("patch-panel", "", ""),
        ],
    },
    "initech": {
        "office": [
            ("fw", "", TCP),
            ("ups", "fw", TCP),
            ("thermostat", "fw", TCP),
            ("old-switch", "fw", TCP),
        ],
    },
    "hooli": {"studio": [("desk", "", TCP)]},  # nothing wrong
}
KINDS = {
    "router": "router",
    "core-switch": "switch",
    "nvr": "nvr",
    "gw": "router",
    "ap": "access_point",
    "nas": "nas",
    "alarm": "access_control",
    "gateway": "router",
    "tv": "display",
    "speaker": "audio_zone",
    "printer": "printer",
    "projector": "projector",
    "lights": "lighting_processor",
    "keypad": "keypad",
    "patch-panel": "other",
    "fw": "firewall",
    "ups": "ups",
    "thermostat": "thermostat",
    "old-switch": "switch",
    "desk": "other",
}
FAILING = {"router", "core-switch", "nvr", "lights", "fw"}  # hard down
NEVER_HEARD = {"keypad"}


def inventory() -> str:
    lines = ["defaults: {interval: 60s, max_attempts: 1}", "clients:"]
    for client, sites in ESTATE.items():
        lines += [f"  - id: {client}", f"    name: {client.title()} Ltd", "    sites:"]
        for site, devices in sites.items():
            lines += [f"      - id: {site}", f"        name: {site.title()}", "        devices:"]
            for key, parent, checks in devices:
                depends = f", depends_on: [{parent}]" if parent else ""
                lines.append(
                    f"          - {{id: {key}, kind: {KINDS[key]}, address: 127.0.0.1, "
                    f"profile_checks: false, checks: [{checks}]{depends}}}"
                )
    return "\n".join(lines) + "\n"


def build(store: Store, clock: FakeClock) -> float:
    """Apply, ingest ten minutes of results, correlate, then set the odd states by hand as
    the engine and correlator would have left them. Returns the time of the last result."""
    with store.session() as session:
        apply_inventory(session, parse_inventory(inventory()), clock.now())
        session.commit()
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    seq = 0
    for step in range(10):
        batch = []
        for info in ingestor.catalog.checks.values():
            if info.device_key in NEVER_HEARD:
                continue
            seq += 1
            ok = info.device_key not in FAILING
            if info.device_key == "tv" and step == 9:
                ok = False  # one failure of three allowed: soft CRIT
            batch.append(
                Envelope(
                    "test",
                    seq,
                    Observation(
                        info.id,
                        clock.now(),
                        ok,
                        latency_ms=2.0 if ok else None,
                        error=None if ok else "connection refused",
                    ),
                )
            )
        ingestor.ingest(batch)
        if step < 9:
            clock.advance(60)
    worker = IncidentWorker(store, Policy(hold_down_s=0, clear_s=60))
    worker.reload()
    worker.tick(clock.now())
    worker.tick(clock.now() + 1)
    now = clock.now()
    with store.session() as session:
        ids = {
            (c, d): i
            for i, c, d in session.execute(
                select(m.Device.id, m.Client.key, m.Device.key).join(
                    m.Client, m.Client.id == m.Device.client_id
                )
            )
        }
        checks = {
            (d, name): i
            for i, d, name in session.execute(select(m.Check.id, m.Check.device_id, m.Check.name))
        }

        def check(client: str, device: str, name: str = "tcp") -> int:
            return checks[(ids[(client, device)], name)]

        def last(check_id: int, age: float) -> None:
            session.execute(
                update(m.CheckState)
                .where(m.CheckState.check_id == check_id)
                .values(last_result_at=now - age)
            )

        def effective(client: str, device: str, status: str, raw: str) -> None:
            session.merge(
                m.DeviceEffective(
                    device_id=ids[(client, device)],
                    client_id=session.scalar(select(m.Client.id).where(m.Client.key == client)),
                    status=status,
                    reason=f"{status.lower()} (test)",
                    raw_status=raw,
                    updated_at=now,
                )
            )

        last(check("acme", "gw", "quick"), 160)  # past 155 s: stale, so gw is UNKNOWN
        last(check("acme", "ap", "quick"), 152)  # within 155 s: fresh
        last(check("acme", "ap", "slow"), 190)  # within 200 s: fresh
        last(check("acme", "nas", "backup"), 1000)  # one stale check of two
        last(check("acme", "alarm", "heartbeat"), 10 * 86400)  # passive: never stale
        session.execute(
            update(m.CheckState)
            .where(m.CheckState.check_id == check("acme", "alarm", "heartbeat"))
            .values(status="OK", hard_status="OK")
        )  # the heartbeat came in time, ten days ago
        session.execute(
            update(m.DeviceState)
            .where(m.DeviceState.device_id == ids[("acme", "alarm")])
            .values(status="UP", reason="")
        )
        session.execute(
            update(m.CheckState)
            .where(m.CheckState.check_id == check("globex", "speaker"))
            .values(flapping=True)
        )
        session.execute(
            update(m.CheckState)
            .where(m.CheckState.check_id == check("globex", "printer"))
            .values(status="WARN", hard_status="WARN")
        )
        session.execute(
            update(m.DeviceState)
            .where(m.DeviceState.device_id == ids[("globex", "printer")])
            .values(status="DEGRADED", reason="slow answers")
        )
        effective("globex", "projector", "MAINTENANCE", "UP")
        effective("globex", "lights", "ASLEEP", "DOWN")
        effective("globex", "gateway", "DOWN", "DEGRADED")  # out of date: its own status shows
        session.execute(
            update(m.Device)
            .where(m.Device.id == ids[("initech", "old-switch")])
            .values(retired_at=now)
        )
        session.execute(
            update(m.Check).where(m.Check.id == check("initech", "fw")).values(retired_at=now)
        )
        session.execute(
            update(m.DeviceState)
            .where(m.DeviceState.device_id == ids[("initech", "fw")])
            .values(status="UP", reason="")
        )  # its only check retired: nothing failing left
        session.commit()
    create_users(
        store,
        now,
        (
            ("alice", Role.ADMIN, None, ()),
            ("bob", Role.TECHNICIAN, None, ("acme", "initech")),
            ("carol", Role.CLIENT, "globex", ()),
        ),
    )
    return now


@pytest.fixture
def estate(store: Store) -> tuple[Store, float]:
    return store, build(store, FakeClock(start=START))


def principal(store: Store, clients: tuple[str, ...] | None) -> Principal:
    with store.session() as session:
        ids = (
            None
            if clients is None
            else frozenset(session.scalars(select(m.Client.id).where(m.Client.key.in_(clients))))
        )
    return Principal(
        user_id=1,
        email="x@example.com",
        name="X",
        role=Role.ADMIN if clients is None else Role.TECHNICIAN,
        client_ids=ids,
        can_write=False,
        via="session",
    )


def oracle(scope: Scope, now: float, limit: int) -> dict[str, Any]:
    """The overview as it was built from every device's view."""
    views = v.visible_devices(scope, now)
    problems = [d for d in views if d.is_problem and d.status != "UNREACHABLE"]
    by_system: dict[str, list[DeviceView]] = {s.value: [] for s in System}
    by_client: dict[str, list[DeviceView]] = {}
    for d in views:
        by_system.setdefault(d.system, []).append(d)
        by_client.setdefault(d.client, []).append(d)
    clients = sorted(
        (
            v.Place(c.id, c.key, c.name, v.Tally.of(by_client.get(c.key, [])))
            for c in scope.session.scalars(
                scope.where(select(m.Client).order_by(m.Client.name), m.Client.id)
            )
        ),
        key=v.problems_first,
    )
    return {
        "tally": v.Tally.of(views),
        "unreachable": sum(1 for d in views if d.status == "UNREACHABLE"),
        "problems": [listed(d) for d in problems[:limit]],
        "problems_hidden": max(0, len(problems) - limit),
        "systems": [(s, v.Tally.of(ds)) for s, ds in by_system.items()],
        "clients": clients,
        "last_result": v.last_result(views),
    }


def listed(d: DeviceView | ListedProblem) -> dict[str, Any]:
    """What the list of problems shows of a device: the same from a full view (the oracle)
    and from the overview's listed problem, whose checks carry no values."""
    keys = ("id", "client", "site", "key", "name", "criticality", "status", "since", "reason")
    out = {k: getattr(d, k) for k in keys}
    out["failing"] = [{**c.as_dict(), "values": None} for c in d.failing]
    return out


def figures(page: ov.Overview) -> dict[str, Any]:
    return {
        "tally": page.tally,
        "unreachable": page.unreachable,
        "problems": [listed(d) for d in page.problems],
        "problems_hidden": page.problems_hidden,
        "systems": page.systems,
        "clients": page.clients,
        "last_result": page.last_result,
    }


SCOPES = [None, ("acme", "initech"), ("globex",), ("initech",)]


@pytest.fixture
def scopes(estate: tuple[Store, float]) -> Iterator[list[tuple[Scope, Any]]]:
    store, _ = estate
    with store.session() as session:
        yield [(Scope(session, principal(store, clients)), clients) for clients in SCOPES]


def keep_summary(store: Store, now: float, kept: bool) -> None:
    """With `kept`, sweep the device summary at `now` as a running server does, so that the
    overview reads it; else the overview computes the same rows from the state tables."""
    if kept:
        IncidentWorker(store).sweep(now)
    with store.session() as session:
        assert summary.usable(session, now) is kept


@pytest.mark.parametrize("kept", [False, True], ids=["computed", "summary"])
@pytest.mark.parametrize("later", [0.0, 3.0, 60.0, 3600.0])
def test_the_overview_figures_equal_the_device_views(
    estate: tuple[Store, float], scopes: list[tuple[Scope, Any]], later: float, kept: bool
) -> None:
    store, now = estate
    keep_summary(store, now + later, kept)
    for scope, clients in scopes:
        expected = oracle(scope, now + later, ov.MAX_PROBLEMS_SHOWN)
        assert figures(ov.portfolio_overview(scope, now + later)) == expected, clients


def test_the_store_holds_every_status_the_overview_counts(
    estate: tuple[Store, float], scopes: list[tuple[Scope, Any]]
) -> None:
    _, now = estate
    admin = scopes[0][0]
    page = ov.portfolio_overview(admin, now)
    statuses = dict(page.tally.counts)
    for status in ("DOWN", "UNREACHABLE", "DEGRADED", "UNKNOWN", "MAINTENANCE", "ASLEEP", "UP"):
        assert statuses.get(status), (status, statuses)
    shown = {d.key: d for d in page.problems}
    assert shown["gw"].status == "UNKNOWN" and shown["gw"].failing[0].stale
    assert "ap" not in shown  # its checks are late, but within their timeouts
    assert shown["nas"].status == "UP"
    # its tcp check is fresh and OK, so not listed: only the stale one is
    assert {c.name: c.stale for c in shown["nas"].failing} == {"backup": True}
    assert "alarm" not in shown  # a heartbeat is never stale
    assert shown["tv"].failing[0].state_type == "SOFT"
    assert shown["speaker"].failing[0].flapping
    assert shown["keypad"].reason == "no results yet"
    assert "gateway" not in shown  # correlation judged another raw status: its own shows
    assert "fw" not in shown and "old-switch" not in shown


@pytest.mark.parametrize("kept", [False, True], ids=["computed", "summary"])
@pytest.mark.parametrize("limit", [1, 3, 5])
def test_only_the_first_problems_get_views_and_the_rest_are_counted(
    estate: tuple[Store, float],
    scopes: list[tuple[Scope, Any]],
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
    kept: bool,
) -> None:
    store, now = estate
    keep_summary(store, now, kept)
    monkeypatch.setattr(ov, "MAX_PROBLEMS_SHOWN", limit)
    for scope, clients in scopes:
        expected = oracle(scope, now, limit)
        assert figures(ov.portfolio_overview(scope, now)) == expected, clients


def test_a_scoped_users_overview_counts_only_their_clients_devices(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    app = create_app(store, clock=FakeClock(start=now))
    with TestClient(app, base_url="http://127.0.0.1:8470") as web:
        sign_in(web, "bob@example.com")  # acme and initech: 7 + 3 active devices
        page = web.get("/").text
        live = web.get("/live/overview").text
    for html in (page, live):
        assert 'data-summary="10 devices: ' in html
        assert 'data-client="acme"' in html and 'data-client="initech"' in html
        assert 'data-client="globex"' not in html
        assert 'data-device="keypad"' not in html and 'data-device="gw"' in html


@pytest.mark.parametrize("fold_over", [2, 10])
def test_many_clients_fold_those_with_nothing_wrong_into_a_list_of_links(
    estate: tuple[Store, float], monkeypatch: pytest.MonkeyPatch, fold_over: int
) -> None:
    store, now = estate
    monkeypatch.setattr(pages, "FOLD_CLIENTS_OVER", fold_over)
    app = create_app(store, clock=FakeClock(start=now))
    with TestClient(app, base_url="http://127.0.0.1:8470") as web:
        sign_in(web, "alice@example.com")
        html = web.get("/live/overview").text
    with store.session() as session:
        ids = dict(session.execute(select(m.Client.key, m.Client.id)).all())
    clients_part = html[html.index('id="clients-h"') :]
    for key in ("acme", "globex"):  # with problems: always rows of the table
        assert f'<tr role="row" data-client="{key}">' in clients_part
    for key, name in (("initech", "Initech Ltd"), ("hooli", "Hooli Ltd")):  # nothing wrong
        row = f'<tr role="row" data-client="{key}">'
        link = f'<li data-client="{key}"><a href="/clients/{ids[key]}">{name}</a>'
        if fold_over == 2:  # four clients: those with nothing wrong are folded away
            assert row not in clients_part and link in clients_part
        else:
            assert row in clients_part and link not in clients_part
    folded = "2 clients with nothing wrong</summary>" in clients_part
    assert folded is (fold_over == 2)


def test_listed_problems_keep_to_the_scope_and_drop_devices_no_longer_a_problem(
    estate: tuple[Store, float], scopes: list[tuple[Scope, Any]]
) -> None:
    """The ids come from the counts' statement; the list narrows them again by the scope, and
    lists only what is still a problem when it reads them (a device may recover between)."""
    _, now = estate
    admin = scopes[0][0]
    everyone = ov.portfolio_overview(admin, now).problems
    session = admin.session
    ids = [p.id for p in everyone]
    up = next(d.id for d in v.visible_devices(admin, now) if not d.is_problem)
    globex_only = scopes[2][0]
    listed = listed_problems(
        session, now, [*ids, up], lambda stmt: globex_only.where(stmt, m.Device.client_id)
    )
    assert listed and {p.client for p in listed} == {"globex"}
    assert [p.id for p in listed] == [p.id for p in everyone if p.client == "globex"]
    assert up not in {p.id for p in listed_problems(session, now, [up], lambda stmt: stmt)}
    for p in listed:  # each carries its client's and site's ids and names, for links
        assert session.get(m.Client, p.client_id).key == p.client  # type: ignore[union-attr]
        site = session.get(m.Site, p.site_id)
        assert site is not None and (site.key, site.name) == (p.site, p.site_name)
