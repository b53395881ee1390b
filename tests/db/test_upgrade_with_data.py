"""Upgrading a store that already holds data: every migration step keeps the rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from sitekeeper.db import migrate
from sitekeeper.db.session import make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_a_store_from_the_first_release_upgrades_with_its_data(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        cfg = migrate.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clients (key, name, defaults, created_at, updated_at) "
                    "VALUES ('acme', 'Acme', '{}', 1, 1)"
                )
            )
        migrate.ensure_current(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT key, notify, maintenance FROM clients")).one()
        assert row[0] == "acme"
        migrate.check(engine)
    finally:
        engine.dispose()
