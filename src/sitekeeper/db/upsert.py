"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL, one call for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from sitekeeper.db.base import Base


def upsert(
    conn: Connection, table: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        update = {c: pg.excluded[c] for c in rows[0] if c not in keys}
        conn.execute(pg.on_conflict_do_update(index_elements=list(keys), set_=update), rows)
    elif dialect == "sqlite":
        lite = sqlite.insert(table)
        update = {c: lite.excluded[c] for c in rows[0] if c not in keys}
        conn.execute(lite.on_conflict_do_update(index_elements=list(keys), set_=update), rows)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(dialect)
