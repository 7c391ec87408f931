"""a member of staff found against again and again is raised to leadership

Revision ID: a9b0c0de0023
Revises: e5a0c0de0023
Create Date: 2026-12-07 18:40:00

How many complaints upheld (in whole or in part) against one person within twelve months raise the repeat
alert: the hospital's setting, 3 until an administrator changes it.
"""
import sqlalchemy as sa
from alembic import op

revision = "a9b0c0de0023"
down_revision = "e5a0c0de0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hospital") as batch:
        batch.add_column(sa.Column("repeat_alert_upheld", sa.Integer(), nullable=False, server_default="3"))
        batch.create_check_constraint(op.f("ck_hospital_repeat_alert_upheld_range"),
                                      "repeat_alert_upheld BETWEEN 1 AND 100")


def downgrade():
    with op.batch_alter_table("hospital") as batch:
        batch.drop_constraint(op.f("ck_hospital_repeat_alert_upheld_range"), type_="check")
        batch.drop_column("repeat_alert_upheld")
