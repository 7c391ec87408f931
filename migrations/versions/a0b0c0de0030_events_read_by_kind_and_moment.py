"""the analysis reads a period's events by kind and moment

Revision ID: a0b0c0de0030
Revises: a8b0c0de0028
Create Date: 2026-12-08 00:05:00

Leadership's work on the monthly analysis (escalations by why, approvals, returns) counts the events of a
few kinds in the period: an index on (action, at) reads those and no others, where the timeline was scanned.
"""
from alembic import op

revision = "a0b0c0de0030"
down_revision = "a8b0c0de0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint_events") as batch_op:
        batch_op.create_index("ix_complaint_events_action_at", ["action", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("complaint_events") as batch_op:
        batch_op.drop_index("ix_complaint_events_action_at")
