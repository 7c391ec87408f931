"""a duplicate points to its original

Revision ID: e3c0c0de0012
Revises: e3c0c0de0011
Create Date: 2026-12-01 11:45:00

A complaint not accepted because it repeats an earlier open one keeps the link to it.
"""
from alembic import op
import sqlalchemy as sa

revision = "e3c0c0de0012"
down_revision = "e3c0c0de0011"
branch_labels = None
depends_on = None

TRIGGER = "complaint_events_no_delete"


def _trigger_sql(bind) -> str | None:
    return bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                (TRIGGER,)).scalar()


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.add_column("complaints", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_complaints_duplicate_of_id_complaints"), "complaints", "complaints",
                              ["duplicate_of_id"], ["id"])
        return
    # SQLite adds a constraint by rebuilding the table; the trigger on it goes and comes back.
    trigger = _trigger_sql(bind)
    if trigger:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_complaints_duplicate_of_id_complaints"), "complaints",
                                 ["duplicate_of_id"], ["id"])
    if trigger:
        op.execute(trigger)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_complaints_duplicate_of_id_complaints"), "complaints", type_="foreignkey")
        op.drop_column("complaints", "duplicate_of_id")
        return
    trigger = _trigger_sql(bind)
    if trigger:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_constraint(op.f("fk_complaints_duplicate_of_id_complaints"), type_="foreignkey")
        batch.drop_column("duplicate_of_id")
    if trigger:
        op.execute(trigger)
