"""Acknowledgement (受理告知) is an action of its own: reception records how and when the complainant was
told the complaint was accepted, in any open state; anonymous complaints have no acknowledgement clock."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.complaints.permissions import can
from intranet.complaints.queues import QUEUES, complaints_in, counts
from intranet.core.extensions import db
from intranet.core.roles import Role
from intranet.core.time import clock_at
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_token, login


def at(*args) -> datetime:
    # 10:00 in Shanghai.
    return datetime(*args, 2, tzinfo=UTC)


def awaiting(world) -> list[str]:
    queue = next(q for q in QUEUES[Role.reception] if q.name == "acknowledge")
    return [c.reference for c in complaints_in(world.reception, queue, limit=100)]


@pytest.mark.parametrize("state", [State.registered, State.assigned, State.investigating, State.signed_off])
def test_reception_records_the_acknowledgement_in_any_open_state_and_it_leaves_the_queue(world, state):
    complaint = factories.make_complaint(world, state, complainant_email="wang@example.cn")
    assert complaint.acknowledged_at is None
    assert complaint.reference in awaiting(world)
    assert can(world.reception, Action.acknowledge, complaint)
    assert not can(world.head, Action.acknowledge, complaint)

    operations.perform(world.reception, Action.acknowledge, complaint,
                       {"acknowledged_via": "phone", "note": "Told it is with the department."}, complaint.version)
    db.session.commit()

    assert complaint.state == state  # the state stays
    assert complaint.acknowledged_via == "phone" and complaint.acknowledged_at is not None
    assert complaint.reference not in awaiting(world)
    assert complaint.events[-1].action == "acknowledge"
    assert not can(world.reception, Action.acknowledge, complaint)  # recorded once
    # The complainant hears it was accepted (they gave an email).
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.complaint_id == complaint.id))
    assert "acknowledged" in list(kinds)


def test_an_acknowledgement_recorded_late_counts_from_the_day_told(world):
    with clock_at(at(2026, 3, 2)):  # a Monday; acknowledgement due the next working day, 3 March
        complaint = factories.make_complaint(world, State.assigned)
    assert complaint.acknowledge_due_on == date(2026, 3, 3)
    with clock_at(at(2026, 3, 10)):
        operations.perform(world.reception, Action.acknowledge, complaint,
                           {"acknowledged_via": "phone", "acknowledged_on": date(2026, 3, 3)}, complaint.version)
        db.session.commit()
    assert complaint.acknowledged_on_time is True


def test_a_future_date_is_refused_beside_the_field_and_nothing_is_saved(app, world, client):
    complaint = factories.make_complaint(world, State.assigned)
    login(client, world.reception)
    token = csrf_token(client, f"/complaints/{complaint.reference}?lang=en")
    response = client.post(f"/complaints/{complaint.reference}/acknowledge", data={
        "acknowledge-csrf_token": token, "acknowledge-version": complaint.version,
        "acknowledge-acknowledged_via": "phone", "acknowledge-acknowledged_on": "2099-01-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The date told cannot be in the future." in html
    assert 'id="acknowledge-acknowledged_on-error"' in html
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).acknowledged_at is None


def test_anonymous_complaints_have_no_acknowledgement_clock(world):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.assigned, anonymous=True, complainant_phone=None,
                                             complainant_name=None)
    assert complaint.acknowledge_due_on is None
    assert not can(world.reception, Action.acknowledge, complaint)
    with clock_at(at(2026, 3, 10)):
        assert complaint.reference not in awaiting(world)
        assert complaint.late_clock() == "response"  # its response clock runs; no acknowledgement clock
        assert counts(world.reception)["acknowledge"] == 0


def test_the_badge_says_which_clock_is_late(world, client):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.assigned)  # response due 9 March, acknowledgement 3
    with clock_at(at(2026, 3, 5)):
        assert complaint.late_clock() == "acknowledge"
        login(client, world.reception)
        page = client.get("/queue?q=open&lang=en").get_data(as_text=True)
        assert "Acknowledgement overdue" in page and "Response overdue" not in page
    with clock_at(at(2026, 3, 12)):
        operations.perform(world.reception, Action.acknowledge, complaint, {"acknowledged_via": "sms"},
                           complaint.version)
        db.session.commit()
        assert complaint.late_clock() == "response"
        page = client.get("/queue?q=open&lang=en").get_data(as_text=True)
        assert "Response overdue" in page and "Acknowledgement overdue" not in page
