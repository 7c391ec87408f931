"""deadlines per severity, in working days or in hours

Revision ID: e2a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 15:30:00

The deadline policy has one rule per clock and severity, each an amount of working days or of hours; the
rules each existing clock had are carried over to every severity, in working days, so every deadline stays
as it was. A complaint keeps, beside each due date, the due moment of a clock counted in hours; the queues'
index of open work holds the moments too.
"""
import sqlalchemy as sa
from alembic import op

revision = "e2a0c0de0023"
down_revision = "eaa0c0de0024"
branch_labels = None
depends_on = None

# Written out as they were when this migration was made: a migration never changes with the code.
CLOCKS = ("acknowledge", "respond_simple", "respond_several_departments", "follow_up", "reopened")
SEVERITIES = ("minor", "serious", "major")
OPEN_WORK = ("status IN ('assigned', 'awaiting_approval', 'investigating', 'registered', 'responded', "
             "'signed_off', 'submitted')")
OPEN_WORK_BEFORE = ["status", "department_id", "response_due_on", "follow_up_due_on", "acknowledge_due_on",
                    "acknowledged_at", "sent_back_at", "escalation_level", "severity", "received_at"]
OPEN_WORK_AFTER = OPEN_WORK_BEFORE + ["response_due_at", "follow_up_due_at", "acknowledge_due_at"]
DUE_AT = ("acknowledge_due_at", "response_due_at", "follow_up_due_at")


def _clock_enum():
    return sa.Enum(*CLOCKS, name="deadline_clock", native_enum=False, create_constraint=True, length=32)


def _open_work(columns) -> None:
    op.drop_index("ix_complaints_open_work", table_name="complaints")
    op.create_index("ix_complaints_open_work", "complaints", columns, sqlite_where=sa.text(OPEN_WORK),
                    postgresql_where=sa.text(OPEN_WORK), postgresql_include=["id"])


def upgrade():
    # The old rows are kept aside in a table without constraints (whose names the new table takes).
    op.execute("CREATE TABLE deadline_policies_before AS SELECT * FROM deadline_policies")
    op.drop_table("deadline_policies")
    op.create_table(
        "deadline_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock", _clock_enum(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.Enum("working_days", "hours", name="deadline_unit", native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_deadline_policies_amount_positive")),
        sa.CheckConstraint("amount <= 720 AND (unit = 'hours' OR amount <= 60)",
                           name=op.f("ck_deadline_policies_amount_range")),
        sa.CheckConstraint("severity IN ('minor', 'serious', 'major')",
                           name=op.f("ck_deadline_policies_severity_known")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_deadline_policies_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_policies")),
        sa.UniqueConstraint("clock", "severity", name="uq_deadline_policies_one_rule"),
    )
    severities = " UNION ALL ".join(f"SELECT '{s}' AS severity" for s in SEVERITIES)
    op.execute("INSERT INTO deadline_policies (clock, severity, amount, unit, version, updated_by_id, updated_at) "
               "SELECT b.clock, s.severity, b.working_days, 'working_days', 1, b.updated_by_id, b.updated_at "
               f"FROM deadline_policies_before b CROSS JOIN ({severities}) s ORDER BY b.clock, s.severity")
    op.execute("DROP TABLE deadline_policies_before")

    # Nullable columns are added in place on both databases (SQLite keeps the complaints' triggers).
    for name in DUE_AT:
        op.add_column("complaints", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    _open_work(OPEN_WORK_AFTER)


def downgrade():
    _open_work(OPEN_WORK_BEFORE)
    # In place on both databases (SQLite 3.35 and later): a rebuild would lose the triggers on the table.
    for name in DUE_AT:
        op.execute(f"ALTER TABLE complaints DROP COLUMN {name}")
    # Back to one rule per clock: the minor complaint's, in working days (an hours rule becomes whole days
    # of 24 hours, rounded up: at most 30, within the old range).
    op.execute("CREATE TABLE deadline_policies_after AS SELECT * FROM deadline_policies WHERE severity = 'minor'")
    op.drop_table("deadline_policies")
    op.create_table(
        "deadline_policies",
        sa.Column("clock", _clock_enum(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("working_days BETWEEN 1 AND 60", name=op.f("ck_deadline_policies_working_days_range")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_deadline_policies_updated_by_id_users")),
        sa.PrimaryKeyConstraint("clock", name=op.f("pk_deadline_policies")),
    )
    op.execute("INSERT INTO deadline_policies (clock, working_days, updated_by_id, updated_at) "
               "SELECT clock, CASE WHEN unit = 'hours' THEN (amount + 23) / 24 ELSE amount END, "
               "updated_by_id, updated_at FROM deadline_policies_after")
    op.execute("DROP TABLE deadline_policies_after")
