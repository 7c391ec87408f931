"""The timeline is tamper-evident: `flask --app wsgi audit verify` passes on what the app wrote and names
the first event changed behind its back, even by someone who can lift the append-only triggers."""

from sqlalchemy import select, text

from intranet.complaints import audit
from intranet.complaints.lifecycle import State
from intranet.complaints.models import ComplaintEvent
from intranet.core.extensions import db
from tests import factories


def edit_behind_the_apps_back(sql: str, **params) -> None:
    """As the database owner would: the append-only trigger lifted, a row changed, the trigger back."""
    db.session.commit()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE complaint_events DISABLE TRIGGER complaint_events_append_only"))
            connection.execute(text(sql), params)
            connection.execute(text("ALTER TABLE complaint_events ENABLE TRIGGER complaint_events_append_only"))
        else:
            trigger = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'complaint_events_no_update'")).scalar_one()
            connection.execute(text("DROP TRIGGER complaint_events_no_update"))
            connection.execute(text(sql), params)
            connection.execute(text(trigger))
    db.session.expire_all()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_what_the_app_wrote_verifies(app_ctx, world):
    for state in (State.closed, State.withdrawn, State.awaiting_approval):
        factories.make_complaint(world, state)
    result = run(app_ctx)
    assert result.exit_code == 0, result.output
    assert "3 complaints checked, 0 broken" in result.output


def test_the_demo_verifies(app_ctx):
    from intranet.demo import load_demo

    load_demo()
    result = run(app_ctx)
    assert result.exit_code == 0 and "207 complaints checked, 0 broken" in result.output


def test_an_event_edited_directly_is_named(app_ctx, world):
    complaint = factories.make_complaint(world, State.signed_off)
    signed = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                            ComplaintEvent.action == "sign_off"))
    edit_behind_the_apps_back("UPDATE complaint_events SET actor_id = :someone WHERE id = :id",
                              someone=world.other_head.id, id=signed.id)
    result = run(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: event {signed.id} (sign_off" in result.output


def test_a_rewrite_that_recomputes_every_hash_is_caught_by_the_recorded_heads(app_ctx, world, tmp_path):
    complaint = factories.make_complaint(world, State.responded)
    heads = tmp_path / "heads.txt"
    assert run(app_ctx, "--record", str(heads)).exit_code == 0
    assert complaint.reference in heads.read_text()

    # Rewrite the response and recompute the whole chain, as someone who knows how it is made would.
    events = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                .order_by(ComplaintEvent.id)).all()
    respond = next(e for e in events if e.action == "respond")
    edit_behind_the_apps_back("UPDATE complaint_events SET data = CAST(:data AS JSON) WHERE id = :id",
                              data='{"method": "phone", "told_text": "Something else."}', id=respond.id)
    previous = audit.GENESIS
    for event in db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                    .order_by(ComplaintEvent.id)).all():
        previous = audit.event_hash(previous, complaint.reference, event)
        edit_behind_the_apps_back("UPDATE complaint_events SET hash = :hash WHERE id = :id", hash=previous,
                                  id=event.id)

    assert run(app_ctx).exit_code == 0  # the chain alone holds: it was rebuilt
    against = run(app_ctx, "--against", str(heads))
    assert against.exit_code == 1 and "its timeline was rewritten" in against.output
