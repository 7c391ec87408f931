"""accounts managed on pages, identity views logged

Revision ID: e2a0c0de0013
Revises: e4d1c0de0012
Create Date: 2026-12-01 11:20:00

Administrators manage accounts, departments and categories on web pages: a version on each (two admins
editing at once, the second is told), a flag that sends a user to choose a new password, and a log of every
change. Each staff view of a complainant's identity is recorded. Both logs refuse UPDATE in the database.
"""
from alembic import op
import sqlalchemy as sa

revision = "e2a0c0de0013"
down_revision = "e4d1c0de0012"
branch_labels = None
depends_on = None

LOGS = ("admin_events", "identity_views")


def upgrade():
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    for table in ("users", "departments", "categories"):
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_admin_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_events")),
    )
    op.create_index("ix_admin_events_subject", "admin_events", ["subject", "subject_id"])
    op.create_table(
        "identity_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_identity_views_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_identity_views_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_views")),
    )
    op.create_index(op.f("ix_identity_views_complaint_id"), "identity_views", ["complaint_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION log_rows_are_never_changed() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
        """)
        for table in LOGS:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION log_rows_are_never_changed()")
    else:
        for table in LOGS:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in LOGS:
        op.execute(f"DROP TRIGGER {table}_no_update" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION log_rows_are_never_changed()")
    op.drop_index(op.f("ix_identity_views_complaint_id"), table_name="identity_views")
    op.drop_table("identity_views")
    op.drop_index("ix_admin_events_subject", table_name="admin_events")
    op.drop_table("admin_events")
    for table in ("categories", "departments", "users"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
