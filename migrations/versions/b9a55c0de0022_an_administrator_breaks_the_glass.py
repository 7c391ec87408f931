"""an administrator reads a complaint only by breaking the glass, with a reason

Revision ID: b9a55c0de0022
Revises: f6a1c0de0021
Create Date: 2026-12-07 14:00:00

The identity-view log keeps the reason of an administrator's break-glass opening of a complaint; every
other row has none.
"""
import sqlalchemy as sa
from alembic import op

revision = "b9a55c0de0022"
down_revision = "f6a1c0de0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("identity_views") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("identity_views") as batch:
        batch.drop_column("reason")
