"""the staff directory

Revision ID: f2a0c0de0020
Revises: f1a0c0de0019
Create Date: 2026-12-07 12:30:00

The hospital's staff, accounts or not, each under a unique staff number (the key of every import), in a
department; the imports written from the hospital's export; and a staff account's link to its person (one
account per person).
"""
from alembic import op
import sqlalchemy as sa

revision = "f2a0c0de0020"
down_revision = "f1a0c0de0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_staff_members_name_not_empty")),
        sa.CheckConstraint("length(trim(staff_number)) > 0", name=op.f("ck_staff_members_staff_number_not_empty")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_staff_members_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("staff_number", name=op.f("uq_staff_members_staff_number")),
    )
    op.create_index(op.f("ix_staff_members_department_id"), "staff_members", ["department_id"])
    op.create_table(
        "directory_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_directory_imports_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_imports")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_member_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_staff_member_id"), ["staff_member_id"])
        batch_op.create_foreign_key(batch_op.f("fk_users_staff_member_id_staff_members"), "staff_members",
                                    ["staff_member_id"], ["id"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_staff_member_id_staff_members"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_users_staff_member_id"), type_="unique")
        batch_op.drop_column("staff_member_id")
    op.drop_table("directory_imports")
    op.drop_index(op.f("ix_staff_members_department_id"), table_name="staff_members")
    op.drop_table("staff_members")
