"""Alembic environment: runs against the connection handed in by sitekeeper.db.migrate."""

from __future__ import annotations

from alembic import context

from sitekeeper.db import models  # noqa: F401  (registers the tables)
from sitekeeper.db.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through sitekeeper.db.migrate
    raise RuntimeError("run migrations with `sitekeeper db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table rebuilds to alter
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
