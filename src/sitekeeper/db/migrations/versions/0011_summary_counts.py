"""the device summary counted per client, system and status

A few rows per client (results.summary keeps them with the summary), so the overview reads
its counts instead of counting every device's summary row per request. Filled here from the
summary as it stands; every sweep counts it again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_counts",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_summary_counts_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "system", "status", name=op.f("pk_summary_counts")),
    )
    op.execute(
        "INSERT INTO summary_counts (client_id, system, status, devices, problems) "
        "SELECT client_id, system, status, count(*), "
        "sum(CASE WHEN problem THEN 1 ELSE 0 END) "
        "FROM device_summary GROUP BY client_id, system, status"
    )


def downgrade() -> None:
    op.drop_table("summary_counts")
