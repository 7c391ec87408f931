"""corrective actions are records of their own

Revision ID: e4d0c0de0011
Revises: d6a1c0de0010
Create Date: 2026-12-01 11:40:00

An owner department, a due date, evidence it was done and a later check that it worked, linked to the
complaints it answers; its timeline is append-only like the complaint's. The free text recorded with
earlier findings stays where it is and is still shown.
"""
from alembic import op
import sqlalchemy as sa

revision = "e4d0c0de0011"
down_revision = "d6a1c0de0010"
branch_labels = None
depends_on = None

MESSAGE = "corrective action events are append-only"
STATUSES = ("open", "done", "effective", "reopened")


def upgrade():
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="corrective_status", native_enum=False, create_constraint=True,
                                    length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("raised_in_month", sa.String(7), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("check_due_on", sa.Date(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status NOT IN ('done', 'effective') OR (completed_at IS NOT NULL AND evidence IS NOT NULL)",
                           name="done_has_evidence"),
        sa.CheckConstraint("status <> 'done' OR check_due_on IS NOT NULL", name="done_has_a_check_date"),
        sa.CheckConstraint("status NOT IN ('effective', 'reopened') OR checked_at IS NOT NULL",
                           name="checked_has_a_check"),
        sa.CheckConstraint("version >= 1", name="corrective_version_positive"),
    )
    op.create_index("ix_corrective_actions_owner_status", "corrective_actions", ["owner_department_id", "status"])
    op.create_table(
        "corrective_action_complaints",
        sa.Column("corrective_action_id", sa.Integer(), sa.ForeignKey("corrective_actions.id"), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), primary_key=True),
    )
    op.create_index("ix_corrective_action_complaints_complaint_id", "corrective_action_complaints", ["complaint_id"])
    op.create_table(
        "corrective_action_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("corrective_action_id", sa.Integer(), sa.ForeignKey("corrective_actions.id"), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_corrective_action_events_corrective_action_id", "corrective_action_events",
                    ["corrective_action_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION corrective_action_events_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' OR EXISTS (SELECT 1 FROM corrective_actions WHERE id = OLD.corrective_action_id)
                THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN OLD;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER corrective_action_events_append_only BEFORE UPDATE OR DELETE ON corrective_action_events
            FOR EACH ROW EXECUTE FUNCTION corrective_action_events_append_only()
        """)
    else:
        op.execute(f"""
            CREATE TRIGGER corrective_action_events_no_update BEFORE UPDATE ON corrective_action_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
        op.execute(f"""
            CREATE TRIGGER corrective_action_events_no_delete BEFORE DELETE ON corrective_action_events
            WHEN EXISTS (SELECT 1 FROM corrective_actions WHERE id = OLD.corrective_action_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER corrective_action_events_append_only ON corrective_action_events")
        op.execute("DROP FUNCTION corrective_action_events_append_only()")
    op.drop_table("corrective_action_events")
    op.drop_table("corrective_action_complaints")
    op.drop_table("corrective_actions")
