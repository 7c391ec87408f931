"""the timeline is hash-chained

Revision ID: d6a1c0de0010
Revises: d5f6c0de0009
Create Date: 2026-12-01 10:40:00

Each event carries the sha256 of itself and of the event before it on the same complaint. Events already
written get their hashes here, in the order they were written; the append-only triggers are lifted for
that one update and put back.
"""
import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa

revision = "d6a1c0de0010"
down_revision = "d5f6c0de0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
MESSAGE = "complaint events are append-only"  # as the trigger of b2f1c0de0001 says it


def _hash(previous, reference, actor_id, at, action, from_state, to_state, data):
    # Written out here as it was when this migration was made: a migration never changes with the code.
    if isinstance(data, str):
        data = json.loads(data)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    fields = [previous, reference, actor_id, at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), action,
              from_state, to_state, data or {}]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode()).hexdigest()


def _without_triggers(work) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint_events DISABLE TRIGGER complaint_events_append_only")
        work(bind)
        op.execute("ALTER TABLE complaint_events ENABLE TRIGGER complaint_events_append_only")
    else:
        op.execute("DROP TRIGGER complaint_events_no_update")
        work(bind)
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def _backfill(bind) -> None:
    events = sa.table("complaint_events", sa.column("id"), sa.column("complaint_id"), sa.column("actor_id"),
                      sa.column("at", sa.DateTime(timezone=True)), sa.column("action"), sa.column("from_state"),
                      sa.column("to_state"), sa.column("data", sa.JSON), sa.column("hash"))
    complaints = sa.table("complaints", sa.column("id"), sa.column("reference"))
    rows = bind.execute(sa.select(complaints.c.reference, events).join(events, events.c.complaint_id == complaints.c.id)
                        .order_by(complaints.c.id, events.c.id)).all()
    current, previous = None, GENESIS
    for row in rows:
        if row.reference != current:
            current, previous = row.reference, GENESIS
        previous = _hash(previous, row.reference, row.actor_id, row.at, row.action, row.from_state, row.to_state,
                         row.data)
        bind.execute(events.update().where(events.c.id == row.id).values(hash=previous))


def upgrade():
    op.add_column("complaint_events", sa.Column("hash", sa.String(length=64), nullable=True))
    _without_triggers(_backfill)


def downgrade():
    # SQLite drops a column by rebuilding the table; its triggers go with it and are made again.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER complaint_events_no_update")
        op.execute("DROP TRIGGER complaint_events_no_delete")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
        op.execute(f"""
            CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
            WHEN EXISTS (SELECT 1 FROM complaints WHERE id = OLD.complaint_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
