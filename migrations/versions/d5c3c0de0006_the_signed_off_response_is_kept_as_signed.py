"""the signed-off response is kept as signed

Revision ID: d5c3c0de0006
Revises: d5b2c0de0005
Create Date: 2026-12-01 09:40:00

The response the head signed off (签字认可) is their accountable statement and stays as signed;
what the complainant was actually told is recorded beside it. Complaints answered before this kept only
one text, the one told: it is copied into the new column.
"""
from alembic import op
import sqlalchemy as sa

revision = "d5c3c0de0006"
down_revision = "d5b2c0de0005"
branch_labels = None
depends_on = None


MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it


def upgrade():
    op.add_column("complaints", sa.Column("told_text", sa.Text(), nullable=True))  # no rebuild, on SQLite too
    op.execute("UPDATE complaints SET told_text = response_text WHERE responded_at IS NOT NULL")


def downgrade():
    op.execute("UPDATE complaints SET response_text = told_text WHERE told_text IS NOT NULL")
    # SQLite drops a column by rebuilding the table; the timeline's trigger names it (see d5a1c0de0004).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("told_text")
    if sqlite:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
