"""The overview's device summary (results.summary): a sweep makes it equal the state tables
and writes only what differs; a correlation tick rewrites the devices it touched; the
overview trusts it only while a sweep keeps it. On SQLite and PostgreSQL, over the estate of
tests/web/test_overview_counts.py (every device status, stale checks, a retired device)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update

from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.worker import IncidentWorker
from sitekeeper.inventory.apply import bump_inventory_version
from sitekeeper.observation import Observation
from sitekeeper.results import summary
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.shown import device_rows
from sitekeeper.results.store import Store
from tests.web.test_overview_counts import START, build

Row = tuple[int, str, int, str, str, bool]


@pytest.fixture
def estate(store: Store) -> tuple[Store, float]:
    return store, build(store, FakeClock(start=START))


def kept(store: Store) -> dict[int, Row]:
    s = m.DeviceSummary
    with store.session() as session:
        return {
            r[0]: (r[1], r[2], r[3], r[4], r[5], bool(r[6]))
            for r in session.execute(
                select(
                    s.device_id, s.client_id, s.system, s.criticality, s.key, s.status, s.problem
                )
            )
        }


def computed(store: Store, now: float) -> dict[int, Row]:
    with store.session() as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        rows = session.execute(device_rows(now, lambda stmt, _col: stmt, postgresql=postgresql))
        return {
            r.id: (r.client_id, r.system, r.criticality, r.key, r.status, bool(r.problem))
            for r in rows
        }


def counts(store: Store) -> dict[tuple[int, str, str], tuple[int, int]]:
    """The kept counts: (client, system, status) -> (devices, problems)."""
    c = m.SummaryCount
    with store.session() as session:
        rows = session.execute(select(c.client_id, c.system, c.status, c.devices, c.problems))
        return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def counted(rows: dict[int, Row]) -> dict[tuple[int, str, str], tuple[int, int]]:
    """Summary rows counted the way the kept counts should have them."""
    out: dict[tuple[int, str, str], tuple[int, int]] = {}
    for client, system, _crit, _key, status, problem in rows.values():
        devices, problems = out.get((client, system, status), (0, 0))
        out[(client, system, status)] = (devices + 1, problems + int(problem))
    return out


def device_id(store: Store, key: str) -> int:
    with store.session() as session:
        found = session.scalar(select(m.Device.id).where(m.Device.key == key))
        assert found is not None
        return found


def test_a_sweep_makes_the_summary_equal_the_state_tables_and_writes_only_what_differs(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    worker = IncidentWorker(store)
    assert worker.sweep(now) > 0
    assert kept(store) == computed(store, now)
    assert device_id(store, "old-switch") not in kept(store)  # retired: no row
    assert {row[4] for row in kept(store).values()} >= {"DOWN", "UNREACHABLE", "UNKNOWN", "UP"}
    assert counts(store) == counted(computed(store, now))
    assert worker.sweep(now) == 0  # nothing changed: nothing written
    # an hour on, every check is stale: the sweep rewrites what that changes
    assert worker.sweep(now + 3600) > 0
    assert kept(store) == computed(store, now + 3600)
    assert counts(store) == counted(computed(store, now + 3600))


def test_the_overview_trusts_the_summary_only_while_a_sweep_keeps_it(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    with store.session() as session:
        assert not summary.usable(session, now)  # never swept: compute instead
    IncidentWorker(store).sweep(now)
    with store.session() as session:
        assert summary.usable(session, now)
        assert summary.usable(session, now + summary.MAX_AGE_S)
        assert not summary.usable(session, now + summary.MAX_AGE_S + 1)  # no sweeper runs
        bump_inventory_version(session)  # devices or checks changed since the sweep
        session.commit()
        assert not summary.usable(session, now)


def test_a_correlation_tick_rewrites_the_summary_of_the_devices_it_touched(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    worker = IncidentWorker(store, Policy(hold_down_s=0, clear_s=60))
    worker.reload()
    worker.sweep(now)
    router = device_id(store, "router")
    assert kept(store)[router][4:] == ("DOWN", True)
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    with store.session() as session:
        check_id = session.scalar(select(m.Check.id).where(m.Check.device_id == router))
    assert check_id is not None
    back = Observation(check_id, now + 1, True, latency_ms=2.0)
    ingestor.ingest([Envelope("summary-test", 10_000, back)])
    assert kept(store)[router][4:] == ("DOWN", True)  # no tick yet: as swept
    worker.tick(now + 2)
    after: dict[int, Any] = kept(store)
    assert after[router][4] == "UP"
    assert after == computed(store, now + 2)
    assert counts(store) == counted(after)  # the router's client counted again


def test_a_refresh_of_named_devices_drops_those_retired_and_a_long_list_is_a_sweep(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    router = device_id(store, "router")
    with store.session() as session:
        assert summary.refresh(session, now, {router}) == 0  # the tick wrote it already
        session.execute(update(m.Device).where(m.Device.id == router).values(retired_at=now))
        assert summary.refresh(session, now, {router}) == 1
        session.commit()
    assert router not in kept(store)
    assert counts(store) == counted(kept(store))  # its client counted without it
    with store.session() as session:
        assert not summary.usable(session, now)
        many = set(range(1, summary.MAX_LISTED + 2))  # more ids than one statement should bind
        summary.refresh(session, now, many)
        session.commit()
        assert summary.usable(session, now)  # it was a sweep
    assert kept(store) == computed(store, now)


def test_a_sweep_mends_counts_that_drifted_from_the_summary(
    estate: tuple[Store, float],
) -> None:
    store, now = estate
    worker = IncidentWorker(store)
    worker.sweep(now)
    (client, system, status), _ = next(iter(counts(store).items()))
    c = m.SummaryCount
    with store.session() as session:  # one count wrong, one group that has no device
        session.execute(
            update(c)
            .where(c.client_id == client, c.system == system, c.status == status)
            .values(devices=999)
        )
        session.add(
            m.SummaryCount(client_id=client, system=system, status="ASLEEP", devices=3, problems=0)
        )
        session.commit()
    assert counts(store) != counted(kept(store))
    assert worker.sweep(now) == 0  # the summary itself is right
    assert counts(store) == counted(kept(store))


def test_a_sweep_that_writes_many_rows_has_postgresql_analyze_the_summary(
    estate: tuple[Store, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first sweep fills the summary: on PostgreSQL it then analyzes it, so that the
    overview is planned on its figures (the problem devices by their partial index), not on
    those of an empty table until autovacuum comes by. A sweep writing little does not."""
    store, now = estate
    monkeypatch.setattr(summary, "ANALYZE_AFTER_ROWS", 3)
    worker = IncidentWorker(store)
    if store.dialect == "sqlite":  # its planner did worse with statistics: none are made
        assert worker.sweep(now) >= 3
        with store.session() as session:
            made = session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
            )
        assert made == 0
        return

    def analyzed() -> int:
        with store.session() as session:
            found = session.scalar(
                text(
                    "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'device_summary'"
                )
            )
            return int(found or 0)

    before = analyzed()
    assert worker.sweep(now) >= 3
    assert _eventually(lambda: analyzed() == before + 1)
    with store.session() as session:
        tuples = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'device_summary'")
        )
    assert tuples == len(kept(store))
    assert worker.sweep(now) == 0  # nothing written: no analyze
    assert not _eventually(lambda: analyzed() > before + 1, seconds=1.0)


def _eventually(ok: Any, seconds: float = 5.0) -> bool:
    """pg_stat_user_tables is updated by the statistics collector a moment after the fact."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ok():
            return True
        time.sleep(0.05)
    return bool(ok())
