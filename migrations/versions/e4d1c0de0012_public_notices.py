"""public notices of measures taken

Revision ID: e4d1c0de0012
Revises: e4d0c0de0011
Create Date: 2026-12-01 11:50:00

Leadership publishes what was changed after complaints about the same problem; the public read it at
/notices. A notice is withdrawn, never deleted or rewritten.
"""
from alembic import op
import sqlalchemy as sa

revision = "e4d1c0de0012"
down_revision = "e4d0c0de0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "public_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint("language IN ('zh', 'en')", name="notice_language"),
    )


def downgrade():
    op.drop_table("public_notices")
