"""staff notifications read in the reader's language; public notices in Chinese and English

Revision ID: e9a0c0de0021
Revises: e8b0c0de0020
Create Date: 2026-12-07 13:30:00

An in-app notification (and its outbox row) keeps the facts its text is written from, to be written again
in its reader's language when read; the notifications already delivered keep no facts and show the text
they were sent with. A public notice gets a Chinese and an English version: what was written in one
language becomes that version.
"""
import sqlalchemy as sa
from alembic import op

revision = "e9a0c0de0021"
down_revision = "e8b0c0de0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification_outbox") as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("staff_notifications") as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))

    with op.batch_alter_table("public_notices") as batch_op:
        batch_op.add_column(sa.Column("title_zh", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("body_zh", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("title_en", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("body_en", sa.Text(), nullable=True))
    op.execute("UPDATE public_notices SET title_zh = title, body_zh = body WHERE language = 'zh'")
    op.execute("UPDATE public_notices SET title_en = title, body_en = body WHERE language = 'en'")
    with op.batch_alter_table("public_notices") as batch_op:
        batch_op.drop_constraint(op.f("ck_public_notices_notice_language"), type_="check")
        batch_op.drop_column("title")
        batch_op.drop_column("body")
        batch_op.drop_column("language")
        batch_op.create_check_constraint(
            op.f("ck_public_notices_notice_versions"),
            "(title_zh IS NULL) = (body_zh IS NULL) AND (title_en IS NULL) = (body_en IS NULL) "
            "AND (title_zh IS NOT NULL OR title_en IS NOT NULL)")


def downgrade():
    with op.batch_alter_table("public_notices") as batch_op:
        batch_op.drop_constraint(op.f("ck_public_notices_notice_versions"), type_="check")
        batch_op.add_column(sa.Column("title", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(8), nullable=True))
    # One language per notice before: the Chinese version where there is one.
    op.execute("UPDATE public_notices SET title = title_zh, body = body_zh, language = 'zh' WHERE title_zh IS NOT NULL")
    op.execute("UPDATE public_notices SET title = title_en, body = body_en, language = 'en' WHERE title_zh IS NULL")
    with op.batch_alter_table("public_notices") as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(200), nullable=False)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("language", existing_type=sa.String(8), nullable=False)
        batch_op.drop_column("title_zh")
        batch_op.drop_column("body_zh")
        batch_op.drop_column("title_en")
        batch_op.drop_column("body_en")
        batch_op.create_check_constraint(op.f("ck_public_notices_notice_language"), "language IN ('zh', 'en')")

    with op.batch_alter_table("staff_notifications") as batch_op:
        batch_op.drop_column("facts")
    with op.batch_alter_table("notification_outbox") as batch_op:
        batch_op.drop_column("facts")
