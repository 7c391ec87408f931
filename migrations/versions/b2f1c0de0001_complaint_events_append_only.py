"""complaint events are append-only

The timeline is evidence: once written, an event is never changed, and it cannot be deleted while its
complaint exists (complaints themselves are never deleted by the application). Enforced by the database so
that no code path, script or console session can quietly rewrite history.

Revision ID: b2f1c0de0001
Revises: a81312258164
Create Date: 2026-11-27 21:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2f1c0de0001"
down_revision = "a81312258164"
branch_labels = None
depends_on = None

MESSAGE = "complaint events are append-only"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION complaint_events_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' OR EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id) THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN OLD;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER complaint_events_append_only BEFORE UPDATE OR DELETE ON complaint_events
            FOR EACH ROW EXECUTE FUNCTION complaint_events_append_only()
        """)
    else:
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER complaint_events_append_only ON complaint_events")
        op.execute("DROP FUNCTION complaint_events_append_only()")
    else:
        op.execute("DROP TRIGGER complaint_events_no_update")
        op.execute("DROP TRIGGER complaint_events_no_delete")
