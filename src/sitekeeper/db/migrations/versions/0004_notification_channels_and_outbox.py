"""notification channels and outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:20:51.388563
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target_enc", sa.Text(), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("target_hint", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.Double(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("last_sent_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_channels_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("client_id", "name", name=op.f("uq_channels_client_id_name")),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "uq_channels_msp_name",
            ["name"],
            unique=True,
            postgresql_where=sa.text("client_id IS NULL"),
            sqlite_where=sa.text("client_id IS NULL"),
        )

    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("claimed_at", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_outbox_channel_id_channels"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_channel_incident", ["channel_id", "incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )
        batch_op.create_index(batch_op.f("ix_outbox_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_sending",
            ["claimed_at"],
            unique=False,
            postgresql_where=sa.text("state = 'sending'"),
            sqlite_where=sa.text("state = 'sending'"),
        )

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("maintenance", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("maintenance")
        batch_op.drop_column("notify")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_sending",
            postgresql_where=sa.text("state = 'sending'"),
            sqlite_where=sa.text("state = 'sending'"),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_incident_id"))
        batch_op.drop_index(
            "ix_outbox_due",
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_client_id"))
        batch_op.drop_index("ix_outbox_channel_incident")

    op.drop_table("outbox")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_channels_msp_name",
            postgresql_where=sa.text("client_id IS NULL"),
            sqlite_where=sa.text("client_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_channels_client_id"))

    op.drop_table("channels")
