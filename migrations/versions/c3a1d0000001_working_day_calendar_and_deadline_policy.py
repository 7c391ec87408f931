"""working day calendar and deadline policy

Hospital days (admin-edited overrides of the national calendar), the deadline policy seeded with SPEC §4's
defaults, the breaches the SLA sweep has escalated, and whether each clock was met on time.

Revision ID: c3a1d0000001
Revises: b2f1c0de0001
Create Date: 2026-11-27 21:15:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c3a1d0000001"
down_revision = "b2f1c0de0001"
branch_labels = None
depends_on = None

# SPEC §4, in working days; written out here so the migration never changes with the code.
DEFAULT_POLICY = [
    {"clock": "acknowledge", "working_days": 1},
    {"clock": "respond_simple", "working_days": 5},
    {"clock": "respond_several_departments", "working_days": 10},
    {"clock": "follow_up", "working_days": 3},
]

ON_TIME_COLUMNS = ("acknowledged_on_time", "responded_on_time", "followed_up_on_time")


def upgrade():
    policies = op.create_table(
        "deadline_policies",
        sa.Column("clock", sa.Enum("acknowledge", "respond_simple", "respond_several_departments", "follow_up",
                                   name="deadline_clock", native_enum=False, create_constraint=True, length=32),
                  nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("working_days BETWEEN 1 AND 60", name=op.f("ck_deadline_policies_working_days_range")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_deadline_policies_updated_by_id_users")),
        sa.PrimaryKeyConstraint("clock", name=op.f("pk_deadline_policies")),
    )
    op.bulk_insert(policies, DEFAULT_POLICY)

    op.create_table(
        "hospital_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.Enum("closed", "working", name="hospital_day_kind", native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_hospital_days_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_days")),
        sa.UniqueConstraint("day", name=op.f("uq_hospital_days_day")),
    )

    op.create_table(
        "deadline_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.Enum("acknowledge", "response", "follow_up", name="breach_clock", native_enum=False,
                                   create_constraint=True, length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_deadline_breaches_complaint_id_complaints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_breaches")),
        sa.UniqueConstraint("complaint_id", "clock", "due_on", name="uq_deadline_breaches_once"),
    )
    with op.batch_alter_table("deadline_breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_breaches_complaint_id"), ["complaint_id"], unique=False)

    # Plain ALTER TABLE, not batch mode: recreating `complaints` on SQLite would drop the table its timeline's
    # append-only triggers guard.
    for column in ON_TIME_COLUMNS:
        op.add_column("complaints", sa.Column(column, sa.Boolean(), nullable=True))


def downgrade():
    for column in reversed(ON_TIME_COLUMNS):
        op.execute(f"ALTER TABLE complaints DROP COLUMN {column}")  # SQLite 3.35+ and PostgreSQL alike

    with op.batch_alter_table("deadline_breaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_breaches_complaint_id"))
    op.drop_table("deadline_breaches")
    op.drop_table("hospital_days")
    op.drop_table("deadline_policies")
