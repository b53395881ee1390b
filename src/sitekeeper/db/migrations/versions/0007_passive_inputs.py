"""passive inputs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:43:24.284624
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passive_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_passive_events_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_passive_events_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passive_events")),
    )
    with op.batch_alter_table("passive_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passive_events_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index("ix_passive_events_device", ["device_id", "id"], unique=False)

    op.create_table(
        "heartbeats",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("pings", sa.BigInteger(), nullable=False),
        sa.Column("last_ping_at", sa.Double(), nullable=True),
        sa.Column("last_ping_kind", sa.String(length=8), nullable=True),
        sa.Column("last_ping_source", sa.String(length=64), nullable=True),
        sa.Column("last_ping_body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_heartbeats_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_heartbeats_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_heartbeats")),
        sa.UniqueConstraint("token", name=op.f("uq_heartbeats_token")),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_heartbeats_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeats_client_id"))

    op.drop_table("heartbeats")
    with op.batch_alter_table("passive_events", schema=None) as batch_op:
        batch_op.drop_index("ix_passive_events_device")
        batch_op.drop_index(batch_op.f("ix_passive_events_client_id"))

    op.drop_table("passive_events")
