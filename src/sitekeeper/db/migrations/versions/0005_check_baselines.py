"""check baselines

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:44:58.440659
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("baseline", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.drop_column("baseline")
