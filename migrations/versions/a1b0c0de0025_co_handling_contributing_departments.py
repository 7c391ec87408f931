"""co-handling: the departments asked to contribute to a complaint, and their parts

Revision ID: a1b0c0de0025
Revises: a4b0c0de0025
Create Date: 2026-12-07 18:45:00

A complaint has one lead department (complaints.department_id, as before) and now any number of
contributing departments, each asked once (the row comes back if asked again), with its own due date and
its part once recorded, or leadership's waiver of it.
"""
import sqlalchemy as sa
from alembic import op

revision = "a1b0c0de0025"
down_revision = "a4b0c0de0025"
branch_labels = None
depends_on = None

FINDINGS = ("upheld", "partly_upheld", "not_upheld")


def upgrade():
    op.create_table(
        "complaint_contributions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("people", sa.Text(), nullable=True),
        sa.Column("responsibility", sa.Enum(*FINDINGS, name="contribution_finding", native_enum=False,
                                            create_constraint=True, length=32), nullable=True),
        sa.Column("remedy_proposal", sa.Text(), nullable=True),
        sa.Column("contributed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("contributed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_reason", sa.String(2000), nullable=True),
        sa.UniqueConstraint("complaint_id", "department_id", name="contribution_once_per_department"),
        sa.CheckConstraint("lead_department_id IS NULL OR department_id <> lead_department_id",
                           name="contributor_not_the_lead"),
        sa.CheckConstraint("(contributed_at IS NULL) = (contributed_by_id IS NULL)", name="contributed_by_whom"),
        sa.CheckConstraint("contributed_at IS NULL OR findings IS NOT NULL", name="contribution_has_findings"),
        sa.CheckConstraint("(waived_at IS NULL) = (waived_reason IS NULL)", name="waived_with_reason"),
        sa.CheckConstraint("contributed_at IS NULL OR waived_at IS NULL", name="contributed_or_waived"),
    )
    op.create_index("ix_complaint_contributions_complaint_id", "complaint_contributions", ["complaint_id"])
    op.create_index("ix_complaint_contributions_department_id", "complaint_contributions", ["department_id"])


def downgrade():
    op.drop_index("ix_complaint_contributions_department_id", "complaint_contributions")
    op.drop_index("ix_complaint_contributions_complaint_id", "complaint_contributions")
    op.drop_table("complaint_contributions")
