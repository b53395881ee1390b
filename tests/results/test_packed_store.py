"""Packed raw results on SQLite and PostgreSQL: packing an hour changes nothing a reader
sees; a late result joins its packed hour; retention deletes exactly the whole hours older
than the raw retention; ingest keeps the check's state row as the latest result says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results import raw
from sitekeeper.results.history import history
from sitekeeper.results.ingest import SAVE_BASELINE_EVERY, Envelope, Ingestor
from sitekeeper.results.retention import maintain, roll_up
from sitekeeper.results.store import Store

HOUR = 3600.0
DAY = 86400.0
T0 = 1_800_000_000.0 - (1_800_000_000.0 % HOUR)

SITE = """
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - {id: tv, kind: display, address: 192.0.2.5, profile_checks: false,
             checks: [{type: tcp, port: 22}]}
"""


def _setup(store: Store) -> tuple[Ingestor, int]:
    with store.session() as session:
        apply_inventory(session, parse_inventory(SITE), T0 - DAY)
        session.commit()
        check_id = session.scalar(select(m.Check.id))
    assert check_id is not None
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    return ingestor, check_id


def _three_hours(check_id: int) -> list[Observation]:
    """A result a minute for three hours: answers with varied latency, some refusals."""
    out = []
    for i in range(180):
        at = T0 + 60 * i + (i % 7) * 0.37
        if i % 23 == 5:
            out.append(Observation(check_id, at, False, error="connection refused"))
        else:
            ms = round(2.0 + (i % 11) * 0.731, 3)
            out.append(Observation(check_id, at, True, ms, {"connect_ms": ms, "n": i}))
    return out


def _charts(store: Store, check_id: int) -> list[list[tuple[Any, ...]]]:
    spans = [(T0 - HOUR, T0 + 4 * HOUR, 60), (T0, T0 + 3 * HOUR, 300), (T0, T0 + DAY, 900)]
    spans += [(T0 + 1234.5, T0 + 2 * HOUR + 17, 60), (T0 - DAY, T0 + DAY, 3600)]
    with store.session() as session:
        return [
            [
                (
                    *(b.t, b.count, b.ok, b.warn, b.crit, b.unknown, b.latency_count),
                    *(b.latency_min, b.latency_max, round(b.latency_sum, 9)),
                )
                for b in history(session, [check_id], since, until, bucket)
            ]
            for since, until, bucket in spans
        ]


def _raw(store: Store, check_id: int) -> list[tuple[Any, ...]]:
    with store.session() as session:
        found = raw.read(session.connection(), [check_id], 0.0, T0 + DAY)
    return [(r.at, r.status, r.latency_ms, dict(r.values or {}), r.error) for _, r in found]


def test_packing_an_hour_changes_no_chart_and_no_raw_result(store: Store) -> None:
    ingestor, cid = _setup(store)
    observations = _three_hours(cid)
    ingestor.ingest([Envelope("c", i + 1, o) for i, o in enumerate(observations)])
    before_charts, before_raw = _charts(store, cid), _raw(store, cid)
    assert len(before_raw) == 180
    with store.session() as session, session.begin():
        report = maintain(session, T0 + 3 * HOUR + 30, 14.0, 400.0)
    assert (report.hours_rolled, report.rollup_rows, report.raw_deleted) == (3, 3, 0)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(m.Result)) == 0
        assert session.scalar(select(func.sum(m.PackedResults.count))) == 180
    assert _raw(store, cid) == before_raw
    assert _charts(store, cid) == before_charts


def test_a_result_that_arrives_after_its_hour_was_packed_joins_it(store: Store) -> None:
    ingestor, cid = _setup(store)
    ingestor.ingest([Envelope("c", i + 1, o) for i, o in enumerate(_three_hours(cid)[:60])])
    with store.session() as session, session.begin():
        assert roll_up(session, T0 + HOUR + 1) == (1, 1)
    late = Observation(cid, T0 + 30.5, True, 99.0, {"connect_ms": 99.0})
    ingestor.ingest([Envelope("late", 1, late)])
    with store.session() as session:  # seen at once, from the plain table
        assert len(raw.read(session.connection(), [cid], T0, T0 + HOUR)) == 61
    with store.session() as session, session.begin():
        assert roll_up(session, T0 + 2 * HOUR + 1) == (1, 1)  # the late one's hour
    with store.session() as session:
        packed = raw.packed_results(session.connection(), cid, T0)
        assert len(packed) == 61 and packed[1].latency_ms == 99.0
        rollup = session.get(m.Rollup, (cid, T0))
        assert rollup is not None and (rollup.count, rollup.latency_max) == (61, 99.0)
        assert session.scalar(select(func.count()).select_from(m.Result)) == 0


def _plain(store: Store, rows: list[tuple[int, float]]) -> None:
    with store.session() as session, session.begin():
        session.execute(
            insert(m.Result),
            [
                {"client_id": 1, "check_id": c, "at": at, "status": "OK", "latency_ms": 1.0}
                for c, at in rows
            ],
        )


def test_retention_deletes_exactly_the_whole_hours_older_than_the_cutoff(store: Store) -> None:
    # two checks, a result every 20 minutes for ten hours
    _plain(store, [(c, T0 + 1200 * i) for c in (1, 2) for i in range(30)])
    with store.session() as session, session.begin():
        assert maintain(session, T0 + 10 * HOUR, 400.0, 400.0).hours_rolled == 10
    # now - 1 day = T0 + 4.5 h: hours 0..3 are wholly older, hour 4 is not
    with store.session() as session, session.begin():
        report = maintain(session, T0 + 4.5 * HOUR + DAY, 1.0, 400.0)
    assert (report.raw_deleted, report.rollups_deleted) == (2 * 4 * 3, 0)
    with store.session() as session:
        left = raw.read(session.connection(), [1, 2], 0.0, T0 + DAY)
        assert len(left) == 2 * 6 * 3
        assert min(r.at for _, r in left) == T0 + 4 * HOUR
        assert session.scalar(select(func.count()).select_from(m.PackedResults)) == 2 * 6
    # a late plain row older than the retention goes too, and is counted
    _plain(store, [(1, T0 + 100.0)])
    with store.session() as session, session.begin():
        again = maintain(session, T0 + 4.5 * HOUR + DAY, 1.0, 400.0)
    assert (again.hours_rolled, again.raw_deleted) == (0, 1)


def test_an_hour_is_never_deleted_before_it_is_packed(store: Store) -> None:
    _plain(store, [(1, T0 + 10.0), (1, T0 + HOUR + 10.0)])
    with store.session() as session, session.begin():
        # a year later: both hours are rolled up and packed first, then deleted
        report = maintain(session, T0 + 365 * DAY, 1.0, 400.0)
    assert report.raw_deleted == 2 and report.hours_rolled >= 2
    with store.session() as session:
        assert session.scalar(select(func.sum(m.Rollup.count))) == 2


def test_a_steady_check_updates_its_latest_result_and_saves_its_baseline(store: Store) -> None:
    ingestor, cid = _setup(store)
    n = 21 + 2 * SAVE_BASELINE_EVERY  # past the 21-result flap history: the state is steady
    for i in range(n):
        ms = 3.0 + i / 100
        o = Observation(cid, T0 + 60 * i, True, ms, {"connect_ms": ms})
        ingestor.ingest([Envelope("c", i + 1, o)])
    with store.session() as session:
        state = session.get(m.CheckState, cid)
        assert state is not None
        assert (state.last_result_at, state.latency_ms) == (T0 + 60 * (n - 1), 3.0 + (n - 1) / 100)
        assert state.values == {"connect_ms": 3.0 + (n - 1) / 100}
        assert (state.status, state.hard_status, state.since) == ("OK", "OK", T0)
        # saved with the state's changes, then every SAVE_BASELINE_EVERY results
        assert n - SAVE_BASELINE_EVERY < len(state.baseline) <= n
    # a restart reloads what was saved and judges with it
    again = Ingestor(store.engine)
    again.refresh()
    slow = Observation(cid, T0 + 60 * n, True, 500.0, {"connect_ms": 500.0})
    assert again.ingest([Envelope("c", n + 1, slow)]).flips[0].new == "WARN"
