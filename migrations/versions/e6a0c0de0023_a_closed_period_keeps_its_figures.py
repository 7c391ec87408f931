"""a closed period keeps its figures; the quality meeting is recorded

Revision ID: e6a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 15:30:00

`period_closings` is a period's history (closed with a snapshot of its analysis, reopened with a reason),
never updated. `quality_meetings` records each meeting, with its attendees, the complaints it reviewed and
the corrective actions it raised or followed.
"""
import sqlalchemy as sa
from alembic import op

revision = "e6a0c0de0023"
down_revision = "e4a0c0de0023"
branch_labels = None
depends_on = None

MESSAGE = "period closings are append-only"


def upgrade():
    op.create_table(
        "period_closings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("seal_upto", sa.Integer(), nullable=True),
        sa.Column("seal_complaints", sa.Integer(), nullable=True),
        sa.Column("seal_digest", sa.String(64), nullable=True),
        sa.CheckConstraint("kind IN ('month', 'quarter', 'year')", name="closing_kind"),
        sa.CheckConstraint("step IN ('close', 'reopen')", name="closing_step"),
        sa.CheckConstraint("step <> 'close' OR (figures IS NOT NULL AND seal_digest IS NOT NULL)",
                           name="closing_has_its_figures"),
        sa.CheckConstraint("step <> 'reopen' OR (reason IS NOT NULL AND trim(reason) <> '')",
                           name="reopening_has_a_reason"),
        sa.CheckConstraint("sequence >= 1", name="closing_sequence_positive"),
        sa.UniqueConstraint("kind", "start", "sequence", name="uq_period_closings_step"),
    )
    # Never updated on either database; never deleted on PostgreSQL (the test suite empties SQLite's
    # tables row by row, PostgreSQL's by TRUNCATE, which no row trigger sees).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION period_closings_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER period_closings_append_only BEFORE UPDATE OR DELETE ON period_closings
            FOR EACH ROW EXECUTE FUNCTION period_closings_append_only()
        """)
    else:
        op.execute(f"""
            CREATE TRIGGER period_closings_no_update BEFORE UPDATE ON period_closings
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)

    op.create_table(
        "quality_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("attendees_text", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.CheckConstraint("period_kind IN ('month', 'quarter', 'year')", name="meeting_period_kind"),
        sa.CheckConstraint("trim(decisions) <> ''", name="meeting_has_decisions"),
    )
    op.create_index("ix_quality_meetings_period_start", "quality_meetings", ["period_start"])
    op.create_table(
        "quality_meeting_attendees",
        sa.Column("quality_meeting_id", sa.Integer(), sa.ForeignKey("quality_meetings.id"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
    )
    op.create_table(
        "quality_meeting_complaints",
        sa.Column("quality_meeting_id", sa.Integer(), sa.ForeignKey("quality_meetings.id"), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), primary_key=True),
    )
    op.create_index("ix_quality_meeting_complaints_complaint_id", "quality_meeting_complaints", ["complaint_id"])
    op.create_table(
        "quality_meeting_corrective_actions",
        sa.Column("quality_meeting_id", sa.Integer(), sa.ForeignKey("quality_meetings.id"), primary_key=True),
        sa.Column("corrective_action_id", sa.Integer(), sa.ForeignKey("corrective_actions.id"), primary_key=True),
    )


def downgrade():
    op.drop_table("quality_meeting_corrective_actions")
    op.drop_table("quality_meeting_complaints")
    op.drop_table("quality_meeting_attendees")
    op.drop_table("quality_meetings")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER period_closings_append_only ON period_closings")
        op.execute("DROP FUNCTION period_closings_append_only()")
    op.drop_table("period_closings")
