"""reception's referrals to report back are read from an index of their own

Revision ID: b1b0c0de0031
Revises: a0b0c0de0030
Create Date: 2026-12-08 02:10:00

"Referrals to report back" lists referrals answered (responded or closed) and not yet reported back. Closed
complaints are nearly the whole history, so the queue's page and its badge read every one of them; a partial
index holds only the referrals still owed, in the queue's order.
"""
import sqlalchemy as sa
from alembic import op

revision = "b1b0c0de0031"
down_revision = "a0b0c0de0030"
branch_labels = None
depends_on = None

# As the models say it (complaints/models.py TO_REPORT_BACK), written out: a migration keeps what it made.
TO_REPORT_BACK = "referral_body_id IS NOT NULL AND reported_back_at IS NULL AND status IN ('closed', 'responded')"


def upgrade():
    op.create_index("ix_complaints_to_report_back", "complaints", ["status", "report_back_due_on", "received_at", "id"],
                    sqlite_where=sa.text(TO_REPORT_BACK), postgresql_where=sa.text(TO_REPORT_BACK))


def downgrade():
    op.drop_index("ix_complaints_to_report_back", table_name="complaints")
