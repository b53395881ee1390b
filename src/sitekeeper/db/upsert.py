"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL, one call for both.

The statement is built once per dialect, table, columns and keys: building it (the
`excluded` pseudo-table's columns above all) took longer than executing it for the few
rows a batch of ingest upserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, or_
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


def upsert_from(
    dialect: str,
    table: type[Base],
    columns: Sequence[str],
    keys: Sequence[str],
    rows: Select[*tuple[Any, ...]],
    *,
    changed_only: bool = False,
) -> Insert:
    """INSERT INTO `table` (`columns`) `rows` ON CONFLICT (`keys`) DO UPDATE: the rows come
    from a query, not from Python (the database compares and writes them). With
    `changed_only`, a row already as it would be written is left alone (no new row version
    on PostgreSQL, no page written on SQLite)."""
    insert = _INSERT[dialect](table).from_select(list(columns), rows)
    return _on_conflict(insert, columns, keys, changed_only=changed_only)


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@lru_cache(maxsize=64)
def _statement(
    dialect: str, table: type[Base], columns: tuple[str, ...], keys: tuple[str, ...]
) -> Insert:
    return _on_conflict(_INSERT[dialect](table), columns, keys)


def _on_conflict(
    insert: Any, columns: Sequence[str], keys: Sequence[str], *, changed_only: bool = False
) -> Insert:
    update = {c: insert.excluded[c] for c in columns if c not in keys}
    where = or_(*(insert.table.c[c] != v for c, v in update.items())) if changed_only else None
    result: Insert = insert.on_conflict_do_update(
        index_elements=list(keys), set_=update, where=where
    )
    return result
