"""State invariants the database itself refuses to break, whatever code writes to it."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories


def _raw_update(complaint, assignments: str):
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE complaints SET {assignments} WHERE id = :id"), {"id": complaint.id})
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("state", ["assigned", "investigating", "awaiting_approval", "signed_off"])
def test_department_work_needs_a_department(world, state):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, f"status = '{state}', department_id = NULL, signed_off_at = CURRENT_TIMESTAMP")


def test_status_must_be_a_lifecycle_state(world):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, "status = 'lost'")


def test_not_accepted_needs_a_reason(world):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, "status = 'not_accepted'")


def test_responded_needs_a_response(world):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, "status = 'responded'")


def test_signed_off_needs_a_signature(world):
    complaint = factories.make_complaint(world, State.investigating)
    _raw_update(complaint, "status = 'signed_off'")


def test_letters_are_answered_in_writing(world):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, "channel = 'letter', wants_written_reply = false")


def test_escalation_level_is_never_negative(world):
    complaint = factories.make_complaint(world, State.registered)
    _raw_update(complaint, "escalation_level = -1")


def test_only_heads_belong_to_a_department(world):
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE users SET department_id = NULL WHERE id = :id"), {"id": world.head.id})
        db.session.flush()
    db.session.rollback()


def test_reference_numbers_are_unique(world):
    first = factories.make_complaint(world)
    second = factories.make_complaint(world)
    _raw_update(second, f"reference = '{first.reference}'")


def test_timeline_events_cannot_be_changed(world):
    complaint = factories.make_complaint(world, State.registered)
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE complaint_events SET action = 'note' WHERE complaint_id = :id"),
                           {"id": complaint.id})
    db.session.rollback()


def test_timeline_events_cannot_be_deleted(world):
    complaint = factories.make_complaint(world, State.registered)
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM complaint_events WHERE complaint_id = :id"), {"id": complaint.id})
    db.session.rollback()
