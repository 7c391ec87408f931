"""queues read the open work from an index

Revision ID: e1b0c0de0011
Revises: e3c0c0de0012
Create Date: 2026-12-01 11:30:00

A partial index of the open complaints holding what the work lists filter and sort on (so their pages and
badge counts read the work in hand, not the whole history), and the two orders the history lists walk,
newest first: every complaint, and a department's.
"""
from alembic import op
import sqlalchemy as sa

revision = "e1b0c0de0011"
down_revision = "e3c0c0de0012"
branch_labels = None
depends_on = None

# Written out as they were when this migration was made: a migration never changes with the code.
OPEN_WORK = ("status IN ('assigned', 'awaiting_approval', 'investigating', 'registered', 'responded', "
             "'signed_off', 'submitted')")
OPEN_WORK_COLUMNS = ["status", "department_id", "response_due_on", "follow_up_due_on", "acknowledge_due_on",
                     "acknowledged_at", "sent_back_at", "escalation_level", "severity", "received_at"]


def upgrade():
    op.create_index("ix_complaints_open_work", "complaints", OPEN_WORK_COLUMNS,
                    sqlite_where=sa.text(OPEN_WORK), postgresql_where=sa.text(OPEN_WORK))
    op.create_index("ix_complaints_received", "complaints", ["received_at", "id"])
    op.create_index("ix_complaints_department_received", "complaints", ["department_id", "received_at", "id"])


def downgrade():
    op.drop_index("ix_complaints_department_received", table_name="complaints")
    op.drop_index("ix_complaints_received", table_name="complaints")
    op.drop_index("ix_complaints_open_work", table_name="complaints")
