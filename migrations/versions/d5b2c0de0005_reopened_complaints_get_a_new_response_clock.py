"""reopened complaints get a new response clock

Revision ID: d5b2c0de0005
Revises: d5a1c0de0004
Create Date: 2026-12-01 09:30:00

A complaint reopened because the complainant is not satisfied gets a new response clock from the
reopening, of its own length in the deadline policy (the admin can set it).
"""
from alembic import op
import sqlalchemy as sa

revision = "d5b2c0de0005"
down_revision = "d5a1c0de0004"
branch_labels = None
depends_on = None

BEFORE = ("acknowledge", "respond_simple", "respond_several_departments", "follow_up")
AFTER = BEFORE + ("reopened",)
CONSTRAINT = "ck_deadline_policies_deadline_clock"


def _clocks(values) -> str:
    return "clock IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _allow(values) -> None:
    with op.batch_alter_table("deadline_policies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(CONSTRAINT), _clocks(values))


def upgrade():
    _allow(AFTER)
    # SPEC §4's default, written out so the migration never changes with the code.
    op.execute("INSERT INTO deadline_policies (clock, working_days) VALUES ('reopened', 5)")


def downgrade():
    op.execute("DELETE FROM deadline_policies WHERE clock = 'reopened'")
    _allow(BEFORE)
