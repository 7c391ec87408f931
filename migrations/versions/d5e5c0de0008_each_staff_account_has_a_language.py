"""each staff account has a language

Revision ID: d5e5c0de0008
Revises: d5d4c0de0007
Create Date: 2026-12-01 10:00:00

The staff pages open, and the staff's notifications are written, in each account's language; an account
without one follows the browser for pages and the hospital's staff language for notifications.
"""
from alembic import op
import sqlalchemy as sa

revision = "d5e5c0de0008"
down_revision = "d5d4c0de0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
