"""a malicious finding is proposed until leadership confirms it

Revision ID: f6a1c0de0021
Revises: e9a0c0de0021
Create Date: 2026-12-07 13:30:00

`malicious_proposed` joins the responsibility findings: a head's finding that a complaint is malicious
waits there for leadership's confirmation. Findings recorded before stay as they were.
"""
import sqlalchemy as sa
from alembic import op

revision = "f6a1c0de0021"
down_revision = "e9a0c0de0021"
branch_labels = None
depends_on = None

BEFORE = ("upheld", "partly_upheld", "not_upheld", "malicious")
AFTER = BEFORE + ("malicious_proposed",)
CONSTRAINT = "ck_complaints_responsibility"


def _responsibility(values):
    return sa.Enum(*values, name="responsibility", native_enum=False, create_constraint=True, length=32)


def _check(values) -> str:
    return "responsibility IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _change(old, new, moving: str | None = None):
    bind = op.get_bind()
    if moving:
        op.execute(moving)
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE complaints DROP CONSTRAINT {CONSTRAINT}")
        op.execute(f"ALTER TABLE complaints ADD CONSTRAINT {CONSTRAINT} CHECK ({_check(new)})")
        return
    # SQLite changes a CHECK constraint by rebuilding the table; the triggers go and come back.
    triggers = bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("complaints", recreate="always") as batch:
        batch.alter_column("responsibility", type_=_responsibility(new), existing_type=_responsibility(old),
                           existing_nullable=True)
    for _name, sql in triggers:
        op.execute(sql)


def upgrade():
    _change(BEFORE, AFTER)


def downgrade():
    # A proposal never stood: without it the head records the responsibility again.
    _change(AFTER, BEFORE, "UPDATE complaints SET responsibility = NULL WHERE responsibility = 'malicious_proposed'")
