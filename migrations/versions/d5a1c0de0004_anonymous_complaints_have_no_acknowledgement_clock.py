"""anonymous complaints have no acknowledgement clock

Revision ID: d5a1c0de0004
Revises: c4c3d0000003
Create Date: 2026-12-01 09:05:00

There is nobody to tell that an anonymous complaint was accepted, so it has no acknowledgement due date
(NULL), rather than a date that can only ever be missed.
"""
from alembic import op
import sqlalchemy as sa

revision = "d5a1c0de0004"
down_revision = "c4c3d0000003"
branch_labels = None
depends_on = None

MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it


def _rebuild_complaints(nullable: bool) -> None:
    """SQLite changes a column's NOT NULL only by rebuilding the table (batch mode; env.py has foreign key
    enforcement off meanwhile): the timeline's append-only trigger names the table, so it is dropped and
    recreated around the rebuild."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.alter_column("acknowledge_due_on", existing_type=sa.Date(), nullable=nullable)
    if sqlite:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def upgrade():
    _rebuild_complaints(nullable=True)
    op.execute("UPDATE complaints SET acknowledge_due_on = NULL WHERE anonymous AND acknowledged_at IS NULL")


def downgrade():
    # Back to a date for every complaint: the day it was received.
    day = "date(received_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(received_at AS DATE)"
    op.execute(f"UPDATE complaints SET acknowledge_due_on = {day} WHERE acknowledge_due_on IS NULL")
    _rebuild_complaints(nullable=False)
