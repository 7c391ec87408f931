"""login sessions ended one by one

Revision ID: e8a0c0de0019
Revises: f2a0c0de0020
Create Date: 2026-12-07 12:30:00

Logging out ends that device's session only. The cookie carries the session's key; a session the server
knows something of (ended alone, or wrong current passwords typed in it) has a row here, by that key.
Ordinary sessions have none.
"""
import sqlalchemy as sa
from alembic import op

revision = "e8a0c0de0019"
down_revision = "f2a0c0de0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_sessions",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wrong_passwords", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_staff_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions") as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_sessions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_id"))
    op.drop_table("staff_sessions")
