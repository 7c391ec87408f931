"""a head's history is counted from the index of their department's complaints

Revision ID: b2b0c0de0032
Revises: b1b0c0de0031
Create Date: 2026-12-08 02:25:00

A head sees their department's complaints but not its integrity complaints (the discipline office's). Their
"My department's history" badge counts up to 10,001 of them, and the index by department and date held no
`integrity`: each one was read from the table to check it (29 ms of a head's every page on SQLite at
100,000 complaints). With `integrity` at the end of that index the count reads the index alone; the order
the history page and the reports read it in is unchanged.
"""
from alembic import op

revision = "b2b0c0de0032"
down_revision = "b1b0c0de0031"
branch_labels = None
depends_on = None


def _department_received(columns) -> None:
    op.drop_index("ix_complaints_department_received", table_name="complaints")
    op.create_index("ix_complaints_department_received", "complaints", columns)


def upgrade():
    _department_received(["department_id", "received_at", "id", "integrity"])


def downgrade():
    _department_received(["department_id", "received_at", "id"])
