"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 00:04:16.051322
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_client_id"), ["client_id"], unique=False)

    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("defaults", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("key", name=op.f("uq_clients_key")),
    )
    op.create_table(
        "collectors",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collectors")),
    )
    op.create_table(
        "flips",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("old", sa.String(length=12), nullable=False),
        sa.Column("new", sa.String(length=12), nullable=False),
        sa.Column("hard", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("processed_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flips")),
    )
    with op.batch_alter_table("flips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flips_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_flips_subject", ["subject", "subject_id", "at"], unique=False)
        batch_op.create_index(
            "ix_flips_unprocessed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index("ix_results_at", ["at"], unique=False)
        batch_op.create_index("ix_results_check_at", ["check_id", "at"], unique=False)

    op.create_table(
        "rollups_hourly",
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
        sa.PrimaryKeyConstraint("check_id", "hour", name=op.f("pk_rollups_hourly")),
    )
    with op.batch_alter_table("rollups_hourly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rollups_hourly_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("retired_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_sites_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_sites_client_id_key")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_client_id"), ["client_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("firmware", sa.String(length=100), nullable=True),
        sa.Column("installed", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("criticality", sa.SmallInteger(), nullable=False),
        sa.Column("depends_on", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("credentials_ref", sa.String(length=128), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("retired_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_devices_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_devices_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_devices_client_id_key")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_devices_site_id"), ["site_id"], unique=False)

    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("interval", sa.Double(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("retired_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_checks_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_checks_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
        sa.UniqueConstraint("device_id", "name", name=op.f("uq_checks_device_id_name")),
    )
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checks_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checks_device_id"), ["device_id"], unique=False)

    op.create_table(
        "device_states",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("since", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_device_states_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_states_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_states")),
    )
    with op.batch_alter_table("device_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_states_client_id"), ["client_id"], unique=False)

    op.create_table(
        "check_states",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("state_type", sa.String(length=4), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("hard_status", sa.String(length=8), nullable=False),
        sa.Column("since", sa.Double(), nullable=False),
        sa.Column("hard_since", sa.Double(), nullable=False),
        sa.Column("last_result_at", sa.Double(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("percent_change", sa.Double(), nullable=False),
        sa.Column("history", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_check_states_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_check_states_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_check_states")),
    )
    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_states_client_id"), ["client_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_states_client_id"))

    op.drop_table("check_states")
    with op.batch_alter_table("device_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_states_client_id"))

    op.drop_table("device_states")
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checks_device_id"))
        batch_op.drop_index(batch_op.f("ix_checks_client_id"))

    op.drop_table("checks")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_site_id"))
        batch_op.drop_index(batch_op.f("ix_devices_client_id"))

    op.drop_table("devices")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_client_id"))

    op.drop_table("sites")
    with op.batch_alter_table("rollups_hourly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollups_hourly_client_id"))

    op.drop_table("rollups_hourly")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index("ix_results_check_at")
        batch_op.drop_index("ix_results_at")

    op.drop_table("results")
    op.drop_table("meta")
    with op.batch_alter_table("flips", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_flips_unprocessed",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )
        batch_op.drop_index("ix_flips_subject")
        batch_op.drop_index(batch_op.f("ix_flips_client_id"))

    op.drop_table("flips")
    op.drop_table("collectors")
    op.drop_table("clients")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_client_id"))
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")
