"""the people a complaint is about: named from the directory or in the complainant's words, their side, and
a finding for each

Revision ID: e3a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e3a0c0de0023"
down_revision = "e2a0c0de0023"
branch_labels = None
depends_on = None


def _enum(name, *values, length=32):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it
ROLES = ("public", "system", "reception", "head", "leadership", "supervision", "admin")


def upgrade():
    # ADD COLUMN: no rebuild, on SQLite too
    op.add_column("complaints", sa.Column("people_not_identified", sa.Boolean(), server_default=sa.false(),
                                          nullable=False))
    op.create_table(
        "complaint_people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), sa.ForeignKey("staff_members.id"), nullable=True),
        sa.Column("described", sa.String(300), nullable=True),
        sa.Column("named_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("named_by_role", _enum("person_named_by_role", *ROLES), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.Column("told_via", _enum("person_told_via", "phone", "in_person", "written"), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("statement_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finding", _enum("person_finding", "upheld", "partly_upheld", "not_upheld"), nullable=True),
        sa.CheckConstraint("staff_member_id IS NOT NULL OR described IS NOT NULL", name="person_or_description"),
        sa.CheckConstraint("described IS NULL OR length(trim(described)) > 0", name="described_not_empty"),
        sa.CheckConstraint("(told_on IS NULL) = (told_via IS NULL)", name="told_when_and_how"),
        sa.UniqueConstraint("complaint_id", "staff_member_id", name="person_named_once"),
    )
    op.create_index("ix_complaint_people_complaint_id", "complaint_people", ["complaint_id"])
    op.create_index("ix_complaint_people_staff_member_id", "complaint_people", ["staff_member_id"])
    op.create_table(
        "complaint_person_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("complaint_people.id"), nullable=False),
        sa.Column("stored_name", sa.String(64), nullable=False, unique=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_complaint_person_files_person_id", "complaint_person_files", ["person_id"])


def downgrade():
    op.drop_index("ix_complaint_person_files_person_id", "complaint_person_files")
    op.drop_table("complaint_person_files")
    op.drop_index("ix_complaint_people_staff_member_id", "complaint_people")
    op.drop_index("ix_complaint_people_complaint_id", "complaint_people")
    op.drop_table("complaint_people")
    # SQLite drops a column by rebuilding the table; the timeline's trigger names it (see d5a1c0de0004).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("people_not_identified")
    if sqlite:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
