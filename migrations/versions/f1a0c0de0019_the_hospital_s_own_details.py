"""the hospital's own details

Revision ID: f1a0c0de0019
Revises: f5ea1ed00019
Create Date: 2026-12-07 13:00:00

One row an administrator keeps: the hospital's name, its complaints office's address, phone and hours, and
the addresses (a kiosk, the hospital's Wi-Fi) the public form's limit leaves alone.
Written empty here (empty fields are the environment's values) so that saving it is always an update
whose version the form carries.
"""
import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0019"
down_revision = "f5ea1ed00019"
branch_labels = None
depends_on = None


def upgrade():
    hospital = op.create_table(
        "hospital",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name_zh", sa.String(120), nullable=False),
        sa.Column("name_en", sa.String(120), nullable=False),
        sa.Column("office_address_zh", sa.String(200), nullable=False),
        sa.Column("office_address_en", sa.String(200), nullable=False),
        sa.Column("office_phone", sa.String(40), nullable=False),
        sa.Column("office_hours", sa.String(40), nullable=False),
        sa.Column("unlimited_networks", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("id = 1", name="one_hospital"),
    )
    op.bulk_insert(hospital, [{"id": 1, "name_zh": "", "name_en": "", "office_address_zh": "", "office_address_en": "",
                               "office_phone": "", "office_hours": "", "unlimited_networks": "", "version": 1}])


def downgrade():
    op.drop_table("hospital")
