"""a repeated complaint ends as a duplicate

Revision ID: e5a0c0de0016
Revises: e1b0c0de0011
Create Date: 2026-12-01 12:50:00

`duplicate` joins the states (a side exit beside not accepted and withdrawn): a complaint linked to the
open complaint it repeats ends there, and needs no reason of its own. Complaints linked earlier move to it.
"""
from alembic import op
import sqlalchemy as sa

revision = "e5a0c0de0016"
down_revision = "e1b0c0de0011"
branch_labels = None
depends_on = None

BEFORE = ("submitted", "registered", "assigned", "investigating", "awaiting_approval", "signed_off", "responded",
          "closed", "not_accepted", "withdrawn")
AFTER = BEFORE + ("duplicate",)
TRIGGER = "complaint_events_no_delete"


def _status(states):
    return sa.Enum(*states, name="complaint_status", native_enum=False, create_constraint=True, length=32)


def _check(states) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _change(old, new, moving: str):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE complaints DROP CONSTRAINT ck_complaints_complaint_status")
        op.execute(moving)
        op.execute(f"ALTER TABLE complaints ADD CONSTRAINT ck_complaints_complaint_status CHECK ({_check(new)})")
        return
    # SQLite changes a CHECK constraint by rebuilding the table; the trigger on it goes and comes back.
    trigger = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                   (TRIGGER,)).scalar()
    if trigger:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    with op.batch_alter_table("complaints", recreate="always") as batch:
        batch.alter_column("status", type_=_status(AFTER), existing_type=_status(BEFORE), existing_nullable=False)
    op.execute(moving)
    if new != AFTER:
        with op.batch_alter_table("complaints", recreate="always") as batch:
            batch.alter_column("status", type_=_status(new), existing_type=_status(AFTER), existing_nullable=False)
    if trigger:
        op.execute(trigger)


def upgrade():
    _change(BEFORE, AFTER, "UPDATE complaints SET status = 'duplicate', decline_reason = NULL "
                           "WHERE status = 'not_accepted' AND duplicate_of_id IS NOT NULL")
    # A duplicate needs no reason of its own; a complaint not accepted still does.


def downgrade():
    _change(AFTER, BEFORE, "UPDATE complaints SET status = 'not_accepted', decline_reason = 'duplicate' "
                           "WHERE status = 'duplicate'")
