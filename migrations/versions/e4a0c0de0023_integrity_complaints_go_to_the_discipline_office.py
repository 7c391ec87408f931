"""integrity complaints go to the discipline office

Revision ID: e4a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 15:30:00

The discipline office (纪检监察室, role `supervision`) joins the staff roles. A category may be an integrity
one (医德医风: red envelopes, kickbacks, misconduct), and a complaint records whether it is an integrity
complaint: the office handles it, and the department it accuses never sees it. A complaint about the head
of its department (a conflict of interest) is one too. Every complaint and category so far is neither.
"""
import sqlalchemy as sa
from alembic import op

revision = "e4a0c0de0023"
down_revision = "e3a0c0de0023"
branch_labels = None
depends_on = None

BEFORE = ("reception", "head", "leadership", "admin")
AFTER = ("reception", "head", "leadership", "supervision", "admin")
CONSTRAINT = "ck_users_user_role"


def _role(values):
    return sa.Enum(*values, name="user_role", native_enum=False, create_constraint=True, length=16)


def _roles(old, new):
    if op.get_bind().dialect.name == "postgresql":
        checked = ", ".join(f"'{v}'" for v in new)
        op.execute(f"ALTER TABLE users DROP CONSTRAINT {CONSTRAINT}")
        op.execute(f"ALTER TABLE users ADD CONSTRAINT {CONSTRAINT} CHECK (role IN ({checked}))")
        return
    # SQLite changes a CHECK constraint by rebuilding the table (users has no triggers).
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("role", type_=_role(new), existing_type=_role(old), existing_nullable=False)


def upgrade():
    _roles(BEFORE, AFTER)
    # NOT NULL columns with a default are added in place on both databases: SQLite keeps its triggers.
    op.add_column("categories", sa.Column("integrity", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("complaints", sa.Column("integrity", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("complaints", sa.Column("about_head", sa.Boolean(), server_default=sa.false(), nullable=False))
    # A CHECK constraint is added on PostgreSQL in place; SQLite rebuilds the table, its triggers kept aside.
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.create_check_constraint(op.f("ck_complaints_about_head_goes_the_integrity_route"),
                                      "integrity OR NOT about_head")
    _restore(triggers)


def _drop_triggers():
    if op.get_bind().dialect.name != "sqlite":
        return []
    triggers = op.get_bind().exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER {name}")
    return triggers


def _restore(triggers):
    for _name, sql in triggers:
        op.execute(sql)


def downgrade():
    # An office account has acted on the record (events name it), so it stays, but with no role left for it
    # it is deactivated (its sessions ended): it opens nothing until an administrator gives it another.
    op.execute("UPDATE users SET role = 'reception', active = false, session_version = session_version + 1 "
               "WHERE role = 'supervision'")
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.drop_constraint(op.f("ck_complaints_about_head_goes_the_integrity_route"), type_="check")
        batch.drop_column("about_head")
        batch.drop_column("integrity")
    _restore(triggers)
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("integrity")
    _roles(AFTER, BEFORE)
