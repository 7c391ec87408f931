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
    # A nullable column is added in place on both databases: SQLite keeps the append-only trigger.
    op.add_column("identity_views", sa.Column("reason", sa.Text(), nullable=True))


def downgrade():
    # SQLite drops a column by rebuilding the table; its trigger goes with it and is made again.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER identity_views_no_update")
    with op.batch_alter_table("identity_views") as batch:
        batch.drop_column("reason")
    if sqlite:
        op.execute("CREATE TRIGGER identity_views_no_update BEFORE UPDATE ON identity_views "
                   "BEGIN SELECT RAISE(ABORT, 'identity_views is append-only'); END")
