"""a complaint may become a medical dispute: its routes, dates and outcomes, and the day it left the
office's clocks

Revision ID: a6b0c0de0025
Revises: a5b0c0de0025
Create Date: 2026-12-07 18:40:00

The queues' index of open work holds the day too, so the overdue lists still read the index alone.
"""
import sqlalchemy as sa
from alembic import op

revision = "a6b0c0de0025"
down_revision = "a5b0c0de0025"
branch_labels = None
depends_on = None

MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it
# Written out as they were when this migration was made: a migration never changes with the code.
OPEN_WORK = ("status IN ('assigned', 'awaiting_approval', 'investigating', 'registered', 'responded', "
             "'signed_off', 'submitted')")
OPEN_WORK_BEFORE = ["status", "department_id", "response_due_on", "follow_up_due_on", "acknowledge_due_on",
                    "acknowledged_at", "sent_back_at", "escalation_level", "severity", "received_at",
                    "response_due_at", "follow_up_due_at", "acknowledge_due_at"]
OPEN_WORK_AFTER = OPEN_WORK_BEFORE + ["disputed_since"]


def _enum(name, *values, length=32):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def _open_work(columns) -> None:
    op.drop_index("ix_complaints_open_work", table_name="complaints")
    op.create_index("ix_complaints_open_work", "complaints", columns, sqlite_where=sa.text(OPEN_WORK),
                    postgresql_where=sa.text(OPEN_WORK), postgresql_include=["id"])


def upgrade():
    # ADD COLUMN: no rebuild, on SQLite too (the complaints' triggers stay)
    op.add_column("complaints", sa.Column("disputed_since", sa.Date(), nullable=True))
    _open_work(OPEN_WORK_AFTER)
    op.create_table(
        "complaint_disputes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("route", _enum("dispute_route", "mediation", "appraisal", "court", "other"), nullable=False),
        sa.Column("route_other", sa.String(200), nullable=True),
        sa.Column("began_on", sa.Date(), nullable=False),
        sa.Column("case_number", sa.String(80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", _enum("dispute_outcome", "settled", "appraised", "judgment", "withdrawn", "other"),
                  nullable=True),
        sa.Column("outcome_text", sa.Text(), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint("route <> 'other' OR route_other IS NOT NULL", name="dispute_other_route_named"),
        sa.CheckConstraint("(outcome IS NULL) = (outcome_on IS NULL)", name="dispute_outcome_dated"),
        sa.CheckConstraint("outcome IS NULL OR outcome NOT IN ('appraised', 'other') OR outcome_text IS NOT NULL",
                           name="dispute_outcome_described"),
        sa.CheckConstraint("outcome_on IS NULL OR outcome_on >= began_on", name="dispute_ends_after_it_began"),
    )
    op.create_index("ix_complaint_disputes_complaint_id", "complaint_disputes", ["complaint_id"])
    op.create_index("ix_complaint_disputes_one_open", "complaint_disputes", ["complaint_id"], unique=True,
                    sqlite_where=sa.text("outcome IS NULL"), postgresql_where=sa.text("outcome IS NULL"))


def downgrade():
    op.drop_index("ix_complaint_disputes_one_open", "complaint_disputes")
    op.drop_index("ix_complaint_disputes_complaint_id", "complaint_disputes")
    op.drop_table("complaint_disputes")
    _open_work(OPEN_WORK_BEFORE)
    # SQLite drops a column by rebuilding the table; the timeline's trigger names it (see d5a1c0de0004).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("disputed_since")
    if sqlite:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
