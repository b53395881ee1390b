"""ticket history and client service plans

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 06:20:44.395303
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.Double(), nullable=False),
        sa.Column("restored_at", sa.Double(), nullable=True),
        sa.Column("device_key", sa.String(length=63), nullable=True),
        sa.Column("root_cause", sa.String(length=200), nullable=True),
        sa.Column("impact", sa.Double(), nullable=True),
        sa.Column("labour_h", sa.Double(), nullable=True),
        sa.Column("billed", sa.Double(), nullable=True),
        sa.Column("after_hours", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_ticket_history_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_history")),
        sa.UniqueConstraint("client_id", "ref", name=op.f("uq_ticket_history_client_id_ref")),
    )
    with op.batch_alter_table("ticket_history", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_history_client", ["client_id", "opened_at"], unique=False)

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("service")

    with op.batch_alter_table("ticket_history", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_history_client")

    op.drop_table("ticket_history")
