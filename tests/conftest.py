"""Shared fixtures. Storage tests run on SQLite and on PostgreSQL: the `db_url` fixture is
parametrised over both. Each PostgreSQL test gets its own database, cloned from a migrated
template, and drops it afterwards; nothing assumes a clean server.

PostgreSQL must be reachable in CI (CI=1): there the tests fail rather than skip. On a
machine without it they skip and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sitekeeper.db import migrate
from sitekeeper.db.session import make_engine
from sitekeeper.results.store import Store

PG_URL = os.environ.get(
    "SITEKEEPER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = bool(os.environ.get("CI"))


def _pg_unavailable(reason: str) -> None:
    message = (
        f"PostgreSQL is not reachable at {make_url(PG_URL).render_as_string(hide_password=True)} "
        f"({reason}); `make test` starts it, or set SITEKEEPER_TEST_POSTGRES_URL"
    )
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database for this test session (dropped at the end)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:
        admin.dispose()
        _pg_unavailable(str(err).splitlines()[0])
    name = f"sk_tmpl_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sk_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sitekeeper.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.from_url(db_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def env_store(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI (SITEKEEPER_* settings) at this test's database and data directory."""
    monkeypatch.setenv("SITEKEEPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SITEKEEPER_DATABASE_URL", db_url)
    return db_url
