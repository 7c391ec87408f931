"""evidence files in the database

Revision ID: a8b0c0de0028
Revises: a3b0c0de0025
Create Date: 2026-12-07 23:20:00

The database store (REDRESS_EVIDENCE_STORE=database): every evidence file as one row of evidence_blobs (its
key, the stored name the evidence row holds, its size and sha256) and its bytes in evidence_chunks, 256 KiB to
a row, numbered from 0, so that every app server reaches every file. Nothing moves by itself: `flask evidence
migrate --to database` copies the folder's files in.
"""
import sqlalchemy as sa
from alembic import op

from intranet.core.time import UTCDateTime

revision = "a8b0c0de0028"
down_revision = "a3b0c0de0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_evidence_blobs_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_blobs")),
        sa.UniqueConstraint("key", name=op.f("uq_evidence_blobs_key")),
    )
    op.create_table(
        "evidence_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_evidence_chunks_seq_not_negative")),
        sa.CheckConstraint("length(data) > 0", name=op.f("ck_evidence_chunks_chunk_not_empty")),
        sa.ForeignKeyConstraint(["blob_id"], ["evidence_blobs.id"],
                                name=op.f("fk_evidence_chunks_blob_id_evidence_blobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_chunks")),
        sa.UniqueConstraint("blob_id", "seq", name="uq_evidence_chunks_blob_seq"),
    )


def downgrade():
    op.drop_table("evidence_chunks")
    op.drop_table("evidence_blobs")
