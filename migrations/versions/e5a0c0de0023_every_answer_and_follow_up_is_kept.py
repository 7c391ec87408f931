"""every answer and every follow-up is kept, round by round

Revision ID: e5a0c0de0023
Revises: e2a0c0de0023
Create Date: 2026-12-07 15:20:00

A reopening used to overwrite the answer; now each answer (and each follow-up) is a row of its own. The
rows are filled from what the complaints hold today: one answer per answered complaint, one follow-up per
followed-up complaint, in the round they belong to. An answer a reopening already erased is still on the
complaint's timeline, which is where it stays.
"""
import sqlalchemy as sa
from alembic import op

revision = "e5a0c0de0023"
down_revision = "e9a0c0de0023"
branch_labels = None
depends_on = None

METHODS = ("phone", "in_person", "written", "email", "sms", "online")


def _method(name):
    return sa.Enum(*METHODS, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    op.create_table(
        "complaint_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("told_text", sa.Text(), nullable=True),
        sa.Column("method", _method("answer_method"), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.UniqueConstraint("complaint_id", "round", name="one_answer_a_round"),
        sa.CheckConstraint("round >= 1", name="answer_round_positive"),
    )
    op.create_index("ix_complaint_answers_complaint_id", "complaint_answers", ["complaint_id"])
    op.create_table(
        "complaint_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("method", _method("follow_up_round_method"), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.UniqueConstraint("complaint_id", "round", name="one_follow_up_a_round"),
        sa.CheckConstraint("round >= 1", name="follow_up_round_positive"),
    )
    op.create_index("ix_complaint_follow_ups_complaint_id", "complaint_follow_ups", ["complaint_id"])
    op.execute(
        "INSERT INTO complaint_answers (complaint_id, round, response_text, signed_off_by_id, told_text, method, "
        "responded_on, sent_at, due_on, on_time) "
        "SELECT id, reopened_count + 1, response_text, signed_off_by_id, told_text, response_method, responded_on, "
        "responded_at, response_due_on, responded_on_time FROM complaints WHERE responded_at IS NOT NULL")
    # The last follow-up: a satisfied one closed the round it followed; one not satisfied reopened it.
    op.execute(
        "INSERT INTO complaint_follow_ups (complaint_id, round, method, satisfied, comment, at, due_on, on_time) "
        "SELECT id, CASE WHEN satisfied THEN reopened_count + 1 ELSE reopened_count END, follow_up_method, "
        "satisfied, follow_up_comment, followed_up_at, follow_up_due_on, followed_up_on_time FROM complaints "
        "WHERE followed_up_at IS NOT NULL AND satisfied IS NOT NULL "
        "AND (satisfied OR reopened_count > 0)")


def downgrade():
    op.drop_index("ix_complaint_follow_ups_complaint_id", "complaint_follow_ups")
    op.drop_table("complaint_follow_ups")
    op.drop_index("ix_complaint_answers_complaint_id", "complaint_answers")
    op.drop_table("complaint_answers")
