"""referrals are reported back

Revision ID: a3b0c0de0025
Revises: a6b0c0de0025
Create Date: 2026-12-07 18:45:00

A complaint referred by 12320, 12345, the health commission or another agency records who referred it (the
administrator's list of referring bodies, seeded here), their case number and their reply-by date; once the
complainant is answered, the hospital reports back to them (method, date, text), by their date or by the
deadline policy's new report-back clock (2 working days from the answer, for every severity). Complaints
referred before have no referring body: reception records it with the referral's details step.
"""
import sqlalchemy as sa
from alembic import op

revision = "a3b0c0de0025"
down_revision = "a6b0c0de0025"
branch_labels = None
depends_on = None

# Written out as they are now: a migration never changes with the code.
CLOCKS_BEFORE = ("acknowledge", "respond_simple", "respond_several_departments", "follow_up", "reopened")
CLOCKS_AFTER = CLOCKS_BEFORE + ("report_back",)
SEVERITIES = ("minor", "serious", "major")
METHODS = ("phone", "letter", "platform", "email", "other")
BODIES = (("12320", "12320卫生健康热线", "12320 health hotline"),
          ("12345", "12345政务服务便民热线", "12345 citizens' service hotline"),
          ("HEALTH_COMMISSION", "卫生健康委员会", "Health commission"),
          ("OTHER", "其他单位", "Another agency"))
COLUMNS = ("referral_body_id", "referral_case_number", "referral_reply_by", "report_back_due_on",
           "reported_back_at", "reported_back_on", "report_back_method", "report_back_text", "reported_back_on_time")
DETAILS_NEED_A_BODY = ("referral_body_id IS NOT NULL OR (referral_case_number IS NULL AND referral_reply_by IS NULL "
                       "AND reported_back_at IS NULL)")
REPORT_BACK_COMPLETE = ("reported_back_at IS NULL OR (reported_back_on IS NOT NULL AND report_back_method IS NOT NULL "
                        "AND report_back_text IS NOT NULL)")


def _clock_enum(values):
    return sa.Enum(*values, name="deadline_clock", native_enum=False, create_constraint=True, length=32)


def _clocks(old, new) -> None:
    if op.get_bind().dialect.name == "postgresql":
        checked = ", ".join(f"'{v}'" for v in new)
        op.execute("ALTER TABLE deadline_policies DROP CONSTRAINT ck_deadline_policies_deadline_clock")
        op.execute(f"ALTER TABLE deadline_policies ADD CONSTRAINT ck_deadline_policies_deadline_clock "
                   f"CHECK (clock IN ({checked}))")
        return
    with op.batch_alter_table("deadline_policies", recreate="always") as batch:
        batch.alter_column("clock", type_=_clock_enum(new), existing_type=_clock_enum(old), existing_nullable=False)


def _drop_triggers():
    if op.get_bind().dialect.name != "sqlite":
        return []
    triggers = op.get_bind().exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER {name}")
    return triggers


def _restore(triggers):
    for _name, sql in triggers:
        op.execute(sql)


def upgrade():
    bodies = op.create_table(
        "referring_bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referring_bodies")),
        sa.UniqueConstraint("code", name=op.f("uq_referring_bodies_code")),
    )
    op.bulk_insert(bodies, [{"code": code, "name_zh": zh, "name_en": en, "active": True, "version": 1}
                            for code, zh, en in BODIES])

    _clocks(CLOCKS_BEFORE, CLOCKS_AFTER)
    op.bulk_insert(sa.table("deadline_policies", sa.column("clock"), sa.column("severity"), sa.column("amount"),
                            sa.column("unit"), sa.column("version")),
                   [{"clock": "report_back", "severity": s, "amount": 2, "unit": "working_days", "version": 1}
                    for s in SEVERITIES])

    method = sa.Enum(*METHODS, name="report_back_method", native_enum=False, create_constraint=True, length=32)
    # SQLite adds a foreign key and CHECK constraints by rebuilding the table, its triggers kept aside.
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("referral_body_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("referral_case_number", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("referral_reply_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("report_back_due_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("reported_back_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reported_back_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("report_back_method", method, nullable=True))
        batch.add_column(sa.Column("report_back_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reported_back_on_time", sa.Boolean(), nullable=True))
        batch.create_foreign_key(op.f("fk_complaints_referral_body_id_referring_bodies"), "referring_bodies",
                                 ["referral_body_id"], ["id"])
        batch.create_check_constraint(op.f("ck_complaints_referral_details_need_a_body"), DETAILS_NEED_A_BODY)
        batch.create_check_constraint(op.f("ck_complaints_report_back_complete"), REPORT_BACK_COMPLETE)
    _restore(triggers)


def downgrade():
    triggers = _drop_triggers()
    with op.batch_alter_table("complaints") as batch:
        batch.drop_constraint(op.f("ck_complaints_report_back_complete"), type_="check")
        batch.drop_constraint(op.f("ck_complaints_report_back_method"), type_="check")
        batch.drop_constraint(op.f("ck_complaints_referral_details_need_a_body"), type_="check")
        batch.drop_constraint(op.f("fk_complaints_referral_body_id_referring_bodies"), type_="foreignkey")
        for column in reversed(COLUMNS):
            batch.drop_column(column)
    _restore(triggers)
    op.execute("DELETE FROM deadline_policies WHERE clock = 'report_back'")
    _clocks(CLOCKS_AFTER, CLOCKS_BEFORE)
    op.drop_table("referring_bodies")
