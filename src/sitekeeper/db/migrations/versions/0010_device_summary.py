"""the overview's device summary

One narrow row per active device with its shown status and problem flag (results.summary),
so the overview counts devices without joining every check and state. Starts empty: until
the first sweep fills it, the overview computes from the state tables as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_summary",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("criticality", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_device_summary_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_summary_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_summary")),
    )
    with op.batch_alter_table("device_summary", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_summary_client", ["client_id", "status", "problem"], unique=False
        )
        batch_op.create_index(
            "ix_device_summary_system", ["system", "status", "problem"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("device_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_device_summary_system")
        batch_op.drop_index("ix_device_summary_client")
    op.drop_table("device_summary")
    op.execute("DELETE FROM meta WHERE key = 'summary_swept'")
