"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL, one call for both.

The statement is built once per dialect, table, columns and keys: building it (the
`excluded` pseudo-table's columns above all) took longer than executing it for the few
rows a batch of ingest upserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from sitekeeper.db.base import Base


def upsert(
    conn: Connection, table: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    stmt = _statement(conn.dialect.name, table, tuple(rows[0]), tuple(keys))
    conn.execute(stmt, rows)


@lru_cache(maxsize=64)
def _statement(
    dialect: str, table: type[Base], columns: tuple[str, ...], keys: tuple[str, ...]
) -> Insert:
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        update = {c: pg.excluded[c] for c in columns if c not in keys}
        return pg.on_conflict_do_update(index_elements=list(keys), set_=update)
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        update = {c: lite.excluded[c] for c in columns if c not in keys}
        return lite.on_conflict_do_update(index_elements=list(keys), set_=update)
    raise NotImplementedError(dialect)  # pragma: no cover - only the two supported databases
