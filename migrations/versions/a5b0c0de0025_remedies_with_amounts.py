"""remedies with amounts: their kind, amount in fen, leadership's approval above a threshold, the payment

Revision ID: a5b0c0de0025
Revises: a1b0c0de0025
Create Date: 2026-12-07 18:40:00

The free-text remedy of the findings stays as it was written (complaints.remedy); a remedy with an amount
is a row of its own from now on. The threshold is the hospital's, ¥2,000 until the administrator changes it.
"""
import sqlalchemy as sa
from alembic import op

revision = "a5b0c0de0025"
down_revision = "a1b0c0de0025"
branch_labels = None
depends_on = None

KINDS = ("apology", "explanation", "refund", "fee_waiver", "compensation", "other")


def upgrade():
    # ADD COLUMN: no rebuild, on SQLite too
    op.add_column("hospital", sa.Column("remedy_threshold_fen", sa.Integer(), server_default="200000",
                                        nullable=False))
    op.create_table(
        "complaint_remedies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="remedy_kind", native_enum=False, create_constraint=True, length=32),
                  nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("threshold_fen", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="remedy_amount_not_negative"),
        sa.CheckConstraint("kind NOT IN ('refund', 'fee_waiver', 'compensation') OR amount_fen IS NOT NULL",
                           name="remedy_money_has_amount"),
        sa.CheckConstraint("kind NOT IN ('apology', 'explanation') OR amount_fen IS NULL",
                           name="remedy_words_no_amount"),
        sa.CheckConstraint("amount_fen IS NOT NULL OR NOT needs_approval", name="remedy_approval_for_money"),
        sa.CheckConstraint("(decided_at IS NULL) = (approved IS NULL)", name="remedy_decided_when"),
        sa.CheckConstraint("(decided_at IS NULL) = (decided_by_id IS NULL)", name="remedy_decided_by"),
        sa.CheckConstraint("approved IS NULL OR needs_approval", name="remedy_decided_if_needed"),
        sa.CheckConstraint("(paid_on IS NULL) = (paid_by_id IS NULL)", name="remedy_paid_by"),
        sa.CheckConstraint("paid_on IS NULL OR (payment_reference IS NOT NULL AND amount_fen IS NOT NULL)",
                           name="remedy_paid_with_reference"),
        sa.CheckConstraint("paid_on IS NULL OR NOT needs_approval OR approved IS TRUE", name="remedy_paid_if_approved"),
        sa.CheckConstraint("paid_on IS NULL OR withdrawn_at IS NULL", name="remedy_paid_not_withdrawn"),
        sa.CheckConstraint("number >= 1", name="remedy_number_positive"),
        sa.UniqueConstraint("complaint_id", "number", name="remedy_numbered_once"),
    )
    op.create_index("ix_complaint_remedies_complaint_id", "complaint_remedies", ["complaint_id"])


def downgrade():
    op.drop_index("ix_complaint_remedies_complaint_id", "complaint_remedies")
    op.drop_table("complaint_remedies")
    with op.batch_alter_table("hospital", schema=None) as batch_op:
        batch_op.drop_column("remedy_threshold_fen")
