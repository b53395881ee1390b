"""Migrations apply on empty SQLite and PostgreSQL databases, and `alembic check` finds no
difference between the models and the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from sitekeeper.db import migrate
from sitekeeper.db.session import check_connection, make_engine
from sitekeeper.errors import ConfigError, DatabaseUnreachable, StoreError


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)  # the per-test database is cloned migrated: empty it
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_migrations_apply_on_an_empty_database_and_match_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.ensure_current(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        migrate.check(engine)  # raises if a model change has no migration
        tables = set(inspect(engine).get_table_names())
        assert {
            "clients",
            "sites",
            "devices",
            "checks",
            "results",
            "flips",
            "rollups_hourly",
        } <= tables
        migrate.ensure_current(engine)  # a second time is a no-op
    finally:
        engine.dispose()


def test_a_database_from_a_newer_version_is_refused(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        migrate.ensure_current(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'fffffff'"))
        with pytest.raises(StoreError, match="newer version"):
            migrate.ensure_current(engine)
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


def test_opening_waits_while_another_process_writes_to_a_new_file(tmp_path: Path) -> None:
    """SQLite refuses the switch to WAL at once, busy timeout or not, while another
    connection holds the write lock of a file still in rollback mode (two processes opening
    a new store together); opening waits for it instead of failing."""
    import sqlite3
    import threading

    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        release.join()
        other.close()
        engine.dispose()


def test_an_in_memory_store_opens(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "memory"
    engine.dispose()


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    # a port on loopback where nothing listens
    engine = make_engine("postgresql+psycopg://u:s3cret@127.0.0.1:9/db?connect_timeout=2")
    with pytest.raises(DatabaseUnreachable) as err:
        check_connection(engine)
    assert "s3cret" not in str(err.value)
    assert "127.0.0.1:9" in str(err.value)
    engine.dispose()


def test_a_bad_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match="unsupported database"):
        make_engine("mysql://x@127.0.0.1/db")


def test_several_processes_opening_a_new_store_at_once_all_succeed(empty_url: str) -> None:
    """`up` and `status` started together on a fresh store: one migrates, the others wait."""
    import subprocess
    import sys

    code = (
        "import sys; from sitekeeper.results.store import Store; "
        "Store.from_url(sys.argv[1]).close(); print('ok')"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, empty_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
