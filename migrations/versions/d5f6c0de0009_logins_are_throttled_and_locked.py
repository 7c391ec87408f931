"""logins are throttled and locked

Revision ID: d5f6c0de0009
Revises: d5e5c0de0008
Create Date: 2026-12-01 10:15:00

Wrong passwords in a row lock an account until an administrator unlocks it.
"""
from alembic import op
import sqlalchemy as sa

revision = "d5f6c0de0009"
down_revision = "d5e5c0de0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("failed_logins")
