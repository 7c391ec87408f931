"""a named handler in the department

Revision ID: a2b0c0de0025
Revises: a9b0c0de0023
Create Date: 2026-12-07 18:40:00

Department staff (科室经办人, role `staff`) join the staff roles, and like a head belong to a department. A
complaint records the member of its department's staff its head handed the investigation to, if any: never
on a complaint without a department, never on an integrity one. No complaint has one so far.
"""
import sqlalchemy as sa
from alembic import op

revision = "a2b0c0de0025"
down_revision = "a9b0c0de0023"
branch_labels = None
depends_on = None

BEFORE = ("reception", "head", "leadership", "supervision", "admin")
AFTER = ("reception", "head", "staff", "leadership", "supervision", "admin")
ROLE_CONSTRAINT = "ck_users_user_role"
DEPARTMENT_CONSTRAINT = "ck_users_head_has_department"
HEAD_ONLY = "(role = 'head') = (department_id IS NOT NULL)"
HEAD_OR_STAFF = "(role IN ('head', 'staff')) = (department_id IS NOT NULL)"
HANDLER_CHECK = "ck_complaints_handler_within_the_department"
HANDLER_FK = "fk_complaints_handler_id_users"
HANDLER_INDEX = "ix_complaints_handler_id"


def _role(values):
    return sa.Enum(*values, name="user_role", native_enum=False, create_constraint=True, length=16)


def _users(old_roles, new_roles, department_rule):
    if op.get_bind().dialect.name == "postgresql":
        checked = ", ".join(f"'{v}'" for v in new_roles)
        op.execute(f"ALTER TABLE users DROP CONSTRAINT {ROLE_CONSTRAINT}")
        op.execute(f"ALTER TABLE users ADD CONSTRAINT {ROLE_CONSTRAINT} CHECK (role IN ({checked}))")
        op.execute(f"ALTER TABLE users DROP CONSTRAINT {DEPARTMENT_CONSTRAINT}")
        op.execute(f"ALTER TABLE users ADD CONSTRAINT {DEPARTMENT_CONSTRAINT} CHECK ({department_rule})")
        return
    # SQLite changes a CHECK constraint by rebuilding the table (users has no triggers).
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("role", type_=_role(new_roles), existing_type=_role(old_roles), existing_nullable=False)
        batch.drop_constraint(op.f(DEPARTMENT_CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(DEPARTMENT_CONSTRAINT), department_rule)


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


def upgrade():
    _users(BEFORE, AFTER, HEAD_OR_STAFF)
    # A constraint is added on PostgreSQL in place; SQLite rebuilds the table, its triggers kept aside.
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("handler_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f(HANDLER_FK), "users", ["handler_id"], ["id"])
        batch.create_index(op.f(HANDLER_INDEX), ["handler_id"])
        batch.create_check_constraint(op.f(HANDLER_CHECK),
                                      "handler_id IS NULL OR (department_id IS NOT NULL AND NOT integrity)")
    _restore(triggers)


def downgrade():
    # A staff account has acted on the record (events name it), so it stays, but with no role left for it it
    # is deactivated (its sessions ended) and leaves its department: it opens nothing until an administrator
    # gives it another role.
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.drop_constraint(op.f(HANDLER_CHECK), type_="check")
        batch.drop_index(op.f(HANDLER_INDEX))
        batch.drop_constraint(op.f(HANDLER_FK), type_="foreignkey")
        batch.drop_column("handler_id")
    _restore(triggers)
    op.execute("UPDATE users SET role = 'reception', department_id = NULL, active = false, "
               "session_version = session_version + 1 WHERE role = 'staff'")
    _users(AFTER, BEFORE, HEAD_ONLY)
