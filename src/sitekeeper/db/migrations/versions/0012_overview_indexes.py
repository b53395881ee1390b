"""indexes for the overview: the problem devices of the summary, and the counts per system

A partial index over the summary's problem devices (a few percent of them), so the overview
picks its first problems without scanning every device's row; and a covering index of the
counts by system and status, so the counts per system stream from it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_device_summary_problems",
        "device_summary",
        ["status", "criticality", "client_id", "system", "key"],
        unique=False,
        sqlite_where=sa.text("problem = 1"),
        postgresql_where=sa.text("problem"),
    )
    op.create_index(
        "ix_summary_counts_system",
        "summary_counts",
        ["system", "status", "devices", "problems"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_summary_counts_system", table_name="summary_counts")
    op.drop_index("ix_device_summary_problems", table_name="device_summary")
