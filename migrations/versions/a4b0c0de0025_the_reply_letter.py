"""the reply letter

Revision ID: a4b0c0de0025
Revises: a7b0c0de0027
Create Date: 2026-12-07 18:40:00

A written answer becomes a letter (答复函), from a template an administrator edits per language: each save
a version of its own (letter_templates), each letter kept as it was sent (complaint_letters). Neither is
ever changed: a trigger refuses an UPDATE. The hospital's details gain where a complainant not satisfied
may go next: the health commission's complaint line and the medical dispute mediation committee.
"""
import sqlalchemy as sa
from alembic import op

revision = "a4b0c0de0025"
down_revision = "a7b0c0de0027"
branch_labels = None
depends_on = None

HOSPITAL_COLUMNS = (("commission_name_zh", 120), ("commission_name_en", 120), ("commission_phone", 40),
                    ("mediation_name_zh", 120), ("mediation_name_en", 120), ("mediation_address_zh", 200),
                    ("mediation_address_en", 200), ("mediation_phone", 40))
LOGS = ("letter_templates", "complaint_letters")


def upgrade():
    with op.batch_alter_table("hospital", schema=None) as batch_op:
        for name, length in HOSPITAL_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=sa.text("''")))
    op.create_table(
        "letter_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_letter_templates_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_templates")),
        sa.UniqueConstraint("language", "version", name="one_template_version"),
        sa.CheckConstraint("version >= 1", name="template_version_positive"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="template_language_known"),
    )
    op.create_table(
        "complaint_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("addressed_to", sa.String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_complaint_letters_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["answer_id"], ["complaint_answers.id"],
                                name=op.f("fk_complaint_letters_answer_id_complaint_answers")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_complaint_letters_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_letters")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_complaint_letters_answer_id")),
        sa.UniqueConstraint("complaint_id", "round", name="one_letter_a_round"),
        sa.CheckConstraint("round >= 1", name="letter_round_positive"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="letter_language_known"),
    )
    op.create_index(op.f("ix_complaint_letters_complaint_id"), "complaint_letters", ["complaint_id"])
    for table in LOGS:
        if op.get_bind().dialect.name == "postgresql":  # the function an earlier migration made for the logs
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION log_rows_are_never_changed()")
        else:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in LOGS:
        op.execute(f"DROP TRIGGER {table}_no_update" + (f" ON {table}" if postgresql else ""))
    op.drop_index(op.f("ix_complaint_letters_complaint_id"), table_name="complaint_letters")
    op.drop_table("complaint_letters")
    op.drop_table("letter_templates")
    with op.batch_alter_table("hospital", schema=None) as batch_op:
        for name, _length in reversed(HOSPITAL_COLUMNS):
            batch_op.drop_column(name)
