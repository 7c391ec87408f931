"""disclosure of a confidential complainant

Revision ID: d5d4c0de0007
Revises: d5c3c0de0006
Create Date: 2026-12-01 09:50:00

A complainant who asked for confidentiality is hidden from the department until reception records a
disclosure, with the complainant's consent: their name, their contact details, or (when they are the
patient) the patient's name and record number.
"""
from alembic import op
import sqlalchemy as sa

revision = "d5d4c0de0007"
down_revision = "d5c3c0de0006"
branch_labels = None
depends_on = None

COLUMNS = ("disclosed_name", "disclosed_contact", "disclosed_patient")
MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it


def upgrade():
    for name in COLUMNS:  # ADD COLUMN: no rebuild, on SQLite too
        op.add_column("complaints", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    # SQLite drops columns by rebuilding the table; the timeline's trigger names it (see d5a1c0de0004).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
    if sqlite:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
