"""an evidence file may identify the complainant

Revision ID: e1a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 15:20:00

Each evidence file says whether it may identify the complainant (a bill, a letter with a name on it), and
whether a person set that or it holds its default. A confidential complainant's files are withheld from
the department while it is set; the files already kept take the default: set for a confidential complaint.
"""
import sqlalchemy as sa
from alembic import op

revision = "e1a0c0de0023"
down_revision = "b9a55c0de0022"
branch_labels = None
depends_on = None

COLUMNS = ("may_identify", "marked_by_hand")


def upgrade():
    for name in COLUMNS:  # ADD COLUMN with a default: in place, on SQLite too
        op.add_column("evidence", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    evidence = sa.table("evidence", sa.column("complaint_id", sa.Integer()), sa.column("may_identify", sa.Boolean()))
    complaints = sa.table("complaints", sa.column("id", sa.Integer()), sa.column("confidential", sa.Boolean()))
    confidential = sa.select(complaints.c.id).where(complaints.c.confidential == sa.true())
    op.execute(evidence.update().where(evidence.c.complaint_id.in_(confidential)).values(may_identify=sa.true()))


def downgrade():
    with op.batch_alter_table("evidence") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
