"""Rollups and retention on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from sitekeeper.db import models as m
from sitekeeper.results import raw
from sitekeeper.results.retention import maintain, roll_up
from sitekeeper.results.store import Store

HOUR = 3600.0
T0 = 1_800_000_000.0 - (1_800_000_000.0 % HOUR)  # an hour boundary


def _results(store: Store, rows: list[tuple[int, float, str, float | None]]) -> None:
    with store.session() as session, session.begin():
        session.execute(
            insert(m.Result),
            [
                {
                    "client_id": 1,
                    "check_id": c,
                    "at": at,
                    "status": s,
                    "latency_ms": lat,
                    "values": None,
                    "error": None,
                }
                for c, at, s, lat in rows
            ],
        )


def test_complete_hours_are_rolled_up_with_counts_and_latency(store: Store) -> None:
    _results(
        store,
        [
            (1, T0 + 10, "OK", 10.0),
            (1, T0 + 70, "OK", 30.0),
            (1, T0 + 130, "CRIT", None),
            (1, T0 + HOUR + 5, "WARN", 50.0),  # next hour
            (2, T0 + 20, "UNKNOWN", None),
        ],
    )
    with store.session() as session, session.begin():
        hours, rows = roll_up(session, now=T0 + 2 * HOUR + 1)
    assert hours == 2 and rows == 3
    with store.session() as session:
        r = session.get(m.Rollup, (1, T0))
        assert r is not None
        assert (r.count, r.ok_count, r.crit_count, r.latency_count) == (3, 2, 1, 2)
        assert (r.latency_sum, r.latency_min, r.latency_max) == (40.0, 10.0, 30.0)
        assert session.get(m.Rollup, (1, T0 + HOUR)).warn_count == 1  # type: ignore[union-attr]
        assert session.get(m.Rollup, (2, T0)).unknown_count == 1  # type: ignore[union-attr]


def test_the_current_hour_is_not_rolled_up_until_it_is_complete(store: Store) -> None:
    _results(store, [(1, T0 + 10, "OK", 1.0)])
    with store.session() as session, session.begin():
        assert roll_up(session, now=T0 + 100) == (0, 0)
    with store.session() as session, session.begin():
        assert roll_up(session, now=T0 + HOUR + 1)[0] == 1


def test_old_raw_results_are_pruned_by_whole_hours_only_after_they_are_rolled_up(
    store: Store,
) -> None:
    day = 86400.0
    _results(store, [(1, T0 + i * HOUR, "OK", 1.0) for i in range(72)])  # three days, hourly
    now = T0 + 72 * HOUR + 60
    with store.session() as session, session.begin():
        report = maintain(session, now, raw_days=1.0, rollup_days=2.0)
    assert report.hours_rolled == 72
    with store.session() as session:
        kept = [r.at for _, r in raw.read(session.connection(), [1], 0.0, now)]
        # hours wholly older than a day go (0..47); hour 48 began 60 s too early but stays
        assert kept == [T0 + i * HOUR for i in range(48, 72)]
        assert kept[0] < now - day <= kept[0] + HOUR
        oldest_rollup = session.scalar(select(func.min(m.Rollup.hour)))
        assert oldest_rollup is not None and oldest_rollup >= now - 2 * day
        assert report.raw_deleted == 48
    # running again rolls nothing new and deletes nothing more
    with store.session() as session, session.begin():
        again = maintain(session, now, raw_days=1.0, rollup_days=2.0)
    assert (again.hours_rolled, again.raw_deleted, again.rollups_deleted) == (0, 0, 0)
