"""raw results packed per check and hour; rollups without a rowid

Complete hours of raw results move from one row per result (`results`) to one row per check
and hour (`results_packed`, a blob in sitekeeper.results.packing's format); `results` keeps
only what is not packed yet, and loses its index on time alone. Hourly rollups lose their unused client index and, on SQLite,
their rowid (the (check, hour) key becomes the table). Existing raw rows of the hours already
rolled up (before the rollup watermark) are packed here; later ones stay plain and the next
retention pass packs them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:00:00
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from sitekeeper.results.packing import RawResult, pack, unpack

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HOUR = 3600.0
CHUNK = 500  # packed rows per insert


def _rollup_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Double(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("ok_count", sa.Integer(), nullable=False),
        sa.Column("warn_count", sa.Integer(), nullable=False),
        sa.Column("crit_count", sa.Integer(), nullable=False),
        sa.Column("unknown_count", sa.Integer(), nullable=False),
        sa.Column("latency_count", sa.Integer(), nullable=False),
        sa.Column("latency_sum", sa.Double(), nullable=True),
        sa.Column("latency_min", sa.Double(), nullable=True),
        sa.Column("latency_max", sa.Double(), nullable=True),
    ]


def _rebuild_rollups(with_rowid: bool) -> None:
    """SQLite cannot change a table's rowid in place: copy into a new table and swap."""
    op.create_table(
        "rollups_hourly_new",
        *_rollup_columns(),
        sa.PrimaryKeyConstraint("check_id", "hour", name="pk_rollups_hourly"),
        sqlite_with_rowid=with_rowid,
    )
    names = ", ".join(c.name for c in _rollup_columns())
    # the names are the constant columns above
    op.execute(f"INSERT INTO rollups_hourly_new ({names}) SELECT {names} FROM rollups_hourly")  # noqa: S608
    op.drop_table("rollups_hourly")
    op.rename_table("rollups_hourly_new", "rollups_hourly")


def _values(raw: Any) -> Any:
    """The JSON column as read through plain SQL: text on SQLite, decoded on PostgreSQL."""
    return json.loads(raw) if isinstance(raw, str) else raw


def _groups(conn: sa.Connection, end: float) -> Iterator[tuple[int, float, int, list[RawResult]]]:
    """(check, hour, client, results) for the plain rows before `end`, check by check."""
    rows = conn.execute(
        sa.text(
            'SELECT check_id, client_id, at, status, latency_ms, "values", error FROM results '
            "WHERE at < :end ORDER BY check_id, at"
        ).bindparams(end=end),
        execution_options={"stream_results": True, "yield_per": 10_000},
    )
    key: tuple[int, float] | None = None
    client = 0
    group: list[RawResult] = []
    for check_id, client_id, at, status, latency, values, error in rows:
        hour = (float(at) // HOUR) * HOUR
        if (check_id, hour) != key:
            if key is not None:
                yield key[0], key[1], client, group
            key, client, group = (check_id, hour), client_id, []
        group.append(RawResult(float(at), status, latency, _values(values), error))
    if key is not None:
        yield key[0], key[1], client, group


def _pack_rolled_up_hours(conn: sa.Connection) -> None:
    mark = conn.execute(
        sa.text("SELECT value FROM meta WHERE key = 'rollup_watermark'")
    ).scalar_one_or_none()
    if mark is None:
        return  # nothing rolled up yet: the next retention pass packs every complete hour
    end = float(mark)
    packed = sa.table(
        "results_packed",
        sa.column("check_id"),
        sa.column("hour"),
        sa.column("client_id"),
        sa.column("count"),
        sa.column("data", sa.LargeBinary()),
    )
    chunk: list[dict[str, Any]] = []
    for check_id, hour, client_id, group in _groups(conn, end):
        chunk.append(
            {
                "check_id": check_id,
                "hour": hour,
                "client_id": client_id,
                "count": len(group),
                "data": pack(group),
            }
        )
        if len(chunk) >= CHUNK:
            conn.execute(packed.insert(), chunk)
            chunk = []
    if chunk:
        conn.execute(packed.insert(), chunk)
    conn.execute(sa.text("DELETE FROM results WHERE at < :end").bindparams(end=end))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "results_packed",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Double(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("check_id", "hour", name=op.f("pk_results_packed")),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index("ix_results_at")
    with op.batch_alter_table("rollups_hourly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollups_hourly_client_id"))
    if sqlite:
        _rebuild_rollups(with_rowid=False)
    _pack_rolled_up_hours(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    results = sa.table(
        "results",
        sa.column("client_id"),
        sa.column("check_id"),
        sa.column("at"),
        sa.column("status"),
        sa.column("latency_ms"),
        sa.column("values", sa.JSON()),
        sa.column("error"),
    )
    stored = conn.execute(sa.text("SELECT check_id, client_id, data FROM results_packed"))
    for check_id, client_id, data in list(stored):
        rows = [
            {
                "client_id": client_id,
                "check_id": check_id,
                "at": r.at,
                "status": r.status,
                "latency_ms": r.latency_ms,
                "values": None if r.values is None else dict(r.values),
                "error": r.error,
            }
            for r in unpack(bytes(data))
        ]
        if rows:
            conn.execute(results.insert(), rows)
    op.drop_table("results_packed")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index("ix_results_at", ["at"], unique=False)
    if conn.dialect.name == "sqlite":
        _rebuild_rollups(with_rowid=True)
    with op.batch_alter_table("rollups_hourly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rollups_hourly_client_id"), ["client_id"], unique=False
        )
