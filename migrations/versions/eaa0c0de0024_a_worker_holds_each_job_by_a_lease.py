"""a worker holds each periodic job by a lease

Revision ID: eaa0c0de0024
Revises: e1a0c0de0023
Create Date: 2026-12-07 15:45:00

`flask worker` runs the periodic jobs (the outbox relay, the SLA sweep…); several workers share them out,
each job done by one worker at a time, which holds it by a row here and renews it at every pass.
"""
import sqlalchemy as sa
from alembic import op


revision = "eaa0c0de0024"
down_revision = "e1a0c0de0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pass_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("name <> ''", name="ck_job_leases_named"),
    )


def downgrade():
    op.drop_table("job_leases")
