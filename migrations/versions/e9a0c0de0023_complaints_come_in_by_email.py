"""complaints come in by email: the mail taken from the complaints office's mailbox

Revision ID: e9a0c0de0023
Revises: b9a55c0de0022
Create Date: 2026-12-07 16:00:00

One row per message taken, unique by its place in the mailbox and by its Message-ID, written with its
complaint (or as set aside), so a message is taken once.
"""
import sqlalchemy as sa
from alembic import op

from intranet.core.time import UTCDateTime

revision = "e9a0c0de0023"
down_revision = "e6a0c0de0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "taken_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("set_aside_because", sa.String(length=32), nullable=True),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("complaint_id IS NOT NULL OR set_aside_because IS NOT NULL",
                           name=op.f("ck_taken_mail_taken_or_set_aside")),
        sa.CheckConstraint("(taken_by_id IS NULL) = (taken_at IS NULL)", name=op.f("ck_taken_mail_taken_by_with_time")),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name=op.f("fk_taken_mail_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["taken_by_id"], ["users.id"], name=op.f("fk_taken_mail_taken_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taken_mail")),
        sa.UniqueConstraint("folder", "uidvalidity", "uid", name="uq_taken_mail_position"),
        sa.UniqueConstraint("message_id", name="uq_taken_mail_message_id"),
        sa.UniqueConstraint("stored_name", name=op.f("uq_taken_mail_stored_name")),
    )
    op.create_index(op.f("ix_taken_mail_complaint_id"), "taken_mail", ["complaint_id"])


def downgrade():
    op.drop_index(op.f("ix_taken_mail_complaint_id"), table_name="taken_mail")
    op.drop_table("taken_mail")
