"""each event chains the facts it changed

Revision ID: f5ea1ed00019
Revises: e7a0c0de0018
Create Date: 2026-12-07 12:20:00

Each event of a complaint carries, inside what its hash covers, a digest of every fact of the complaint it
changed, so that `audit verify` finds a column changed in the database without an event. Events already
written keep their hashes (they have no facts); their complaints' facts are checked from the next event that
changes them on.
"""
from alembic import op
import sqlalchemy as sa

revision = "f5ea1ed00019"
down_revision = "e7a0c0de0018"
branch_labels = None
depends_on = None

MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it


def upgrade():
    # A nullable column is added in place on both databases: SQLite keeps the append-only triggers.
    op.add_column("complaint_events", sa.Column("facts", sa.JSON(), nullable=True))


def downgrade():
    # SQLite drops a column by rebuilding the table; its triggers go with it and are made again.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER complaint_events_no_update")
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_column("facts")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
