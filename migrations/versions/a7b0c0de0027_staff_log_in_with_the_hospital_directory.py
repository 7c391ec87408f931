"""staff log in with the hospital directory

Revision ID: a7b0c0de0027
Revises: a2b0c0de0025
Create Date: 2026-12-07 18:40:00

Each account says where its password is checked (here, or by the hospital's LDAP directory), and a table
maps the directory's groups to roles and departments. Every account there is today is a local one.
"""
import sqlalchemy as sa
from alembic import op

revision = "a7b0c0de0027"
down_revision = "a2b0c0de0025"
branch_labels = None
depends_on = None

ROLES = ("reception", "head", "staff", "leadership", "supervision", "admin")


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="local"))
        batch_op.create_check_constraint(op.f("ck_users_user_source"), "source IN ('local', 'directory')")
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_groups")),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.Enum(*ROLES, name="directory_group_role", native_enum=False, create_constraint=True,
                                  length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id", name=op.f("fk_directory_groups_department_id_departments")), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f("fk_directory_groups_created_by_id_users")), nullable=True),
        sa.UniqueConstraint("name", name=op.f("uq_directory_groups_name")),
        sa.CheckConstraint("(role IN ('head', 'staff')) = (department_id IS NOT NULL)", name=op.f("ck_directory_groups_group_head_has_department")),
    )


def downgrade():
    op.drop_table("directory_groups")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_source"), type_="check")
        batch_op.drop_column("source")
