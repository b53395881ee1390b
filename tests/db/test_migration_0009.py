"""Migration 0009 on SQLite and PostgreSQL: raw rows of hours already rolled up move into
packed rows, later ones stay plain, rollups keep every row; the downgrade brings them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from sitekeeper.db import migrate
from sitekeeper.db.session import make_engine
from sitekeeper.results import raw

HOUR = 3600.0
T0 = 1_800_000_000.0 - (1_800_000_000.0 % HOUR)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    url = str(request.getfixturevalue("pg_url"))
    found = make_engine(url)
    with found.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return found


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


ROWS = [  # check, at, status, latency, values, error
    (7, T0 + 5.25, "OK", 1.5, {"rtt_ms": 1.5, "packets_sent": 3}, None),
    (7, T0 + 65.0, "CRIT", None, None, "100% packet loss"),
    (7, T0 + HOUR + 1.0, "OK", 2.0, {"rtt_ms": 2.0}, None),
    (8, T0 + 30.0, "WARN", 900.125, {"http_status": 200, "ok": True}, None),
    (8, T0 + 2 * HOUR + 3.0, "UNKNOWN", None, {}, "not permitted"),  # after the watermark
]


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        found = raw.read(conn, [7, 8], 0.0, T0 + 10 * HOUR)
    return [(c, r.at, r.status, r.latency_ms, r.values, r.error) for c, r in found]


def test_raw_rows_and_rollups_are_carried_across_0009_and_back(engine: Engine) -> None:
    try:
        _to(engine, "0008")
        with engine.begin() as conn:
            for c, at, status, latency, values, error in ROWS:
                conn.execute(
                    text(
                        'INSERT INTO results (client_id, check_id, at, status, latency_ms, "values",'
                        " error) VALUES (1, :c, :at, :s, :lat, :v, :e)"
                    ),
                    {"c": c, "at": at, "s": status, "lat": latency, "v": json.dumps(values)}
                    | {"e": error},
                )
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES ('rollup_watermark', :v)"),
                {"v": repr(T0 + 2 * HOUR)},
            )
            conn.execute(
                text(
                    "INSERT INTO rollups_hourly VALUES "
                    "(7, :h, 1, 2, 1, 0, 1, 0, 1, 1.5, 1.5, 1.5), (8, :h, 1, 1, 0, 1, 0, 0, 1, "
                    "900.125, 900.125, 900.125)"
                ),
                {"h": T0},
            )
        _to(engine, "0009")
        with engine.connect() as conn:
            packed = conn.execute(
                text("SELECT check_id, hour, count FROM results_packed ORDER BY check_id, hour")
            ).all()
            plain = conn.execute(text("SELECT check_id, at FROM results")).all()
            rollups = conn.execute(text("SELECT count(*) FROM rollups_hourly")).scalar()
        assert [tuple(p) for p in packed] == [(7, T0, 2), (7, T0 + HOUR, 1), (8, T0, 1)]
        assert [tuple(p) for p in plain] == [(8, T0 + 2 * HOUR + 3.0)]
        assert rollups == 2
        assert _rows(engine) == sorted(ROWS, key=lambda r: (r[0], r[1]))
        migrate.ensure_current(engine)
        migrate.check(engine)

        _to(engine, "0008", down=True)
        with engine.connect() as conn:
            back = conn.execute(
                text(
                    'SELECT check_id, at, status, latency_ms, "values", error FROM results '
                    "ORDER BY check_id, at"
                )
            ).all()
            assert conn.execute(text("SELECT count(*) FROM rollups_hourly")).scalar() == 2
        decoded = [
            (*r[:4], json.loads(r[4]) if isinstance(r[4], str) else r[4], r[5]) for r in back
        ]
        assert decoded == sorted(ROWS, key=lambda r: (r[0], r[1]))
    finally:
        engine.dispose()
