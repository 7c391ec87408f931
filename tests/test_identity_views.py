"""Every staff view of a complainant's identity is recorded (who, when, which complaint), and leadership
and the administrator can see who looked at a complaint. A page that shows no identity is not recorded."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from intranet.complaints.identity_views import IdentityView
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories
from tests.conftest import csrf_token, login

CONFIDENTIAL = {"confidential": True, "complainant_relation": "patient", "complainant_name": "赵保密",
                "patient_name": "赵保密", "patient_record_number": "ZY88776655", "complainant_phone": "13687654321"}


def views(complaint) -> list[str]:
    """Who was recorded as shown the identity of `complaint`, in order."""
    db.session.expire_all()
    rows = db.session.scalars(select(IdentityView).where(IdentityView.complaint_id == complaint.id)
                              .order_by(IdentityView.id))
    return [row.user.username for row in rows]


def look(client, user, complaint):
    login(client, user)
    return client.get(f"/complaints/{complaint.reference}")


def test_a_head_viewing_an_open_complaint_of_their_department_is_recorded(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    assert "王女士" in look(client, world.head, complaint).get_data(as_text=True)
    assert views(complaint) == ["head-card"]


def test_reception_viewing_a_confidential_complaint_is_recorded(world, client):
    complaint = factories.make_complaint(world, State.investigating, **CONFIDENTIAL)
    assert "赵保密" in look(client, world.reception, complaint).get_data(as_text=True)
    assert views(complaint) == ["reception"]


def test_a_head_shown_no_identity_of_a_confidential_complainant_is_not_recorded(world, client):
    complaint = factories.make_complaint(world, State.investigating, **CONFIDENTIAL)
    page = look(client, world.head, complaint).get_data(as_text=True)
    assert "赵保密" not in page and complaint.what_happened in page
    assert views(complaint) == []


def test_an_anonymous_complaint_shows_nobody_and_is_not_recorded(world, client):
    complaint = factories.make_complaint(world, State.investigating, anonymous=True, complainant_name=None,
                                         complainant_phone=None)
    look(client, world.reception, complaint)
    assert views(complaint) == []


def test_each_view_is_a_row_and_the_card_after_an_action_counts(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    look(client, world.reception, complaint)
    look(client, world.leadership, complaint)
    login(client, world.reception)
    token = csrf_token(client, "/queue")
    response = client.post(f"/complaints/{complaint.reference}/note",
                           data={"note-text": "已电话联系。", "note-version": complaint.version},
                           headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    assert response.status_code == 200
    assert views(complaint) == ["reception", "leadership", "reception"]


@pytest.mark.parametrize("role_key, status", [
    ("reception", 403), ("head", 403), ("leadership", 200), ("admin", 404)])
def test_who_looked_is_shown_to_leadership_only(world, client, role_key, status):
    complaint = factories.make_complaint(world, State.investigating)
    look(client, world.head, complaint)
    login(client, world.user(role_key))
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert ("Who saw the complainant's identity" in page) == (status == 200)
    response = client.get(f"/complaints/{complaint.reference}/identity-views?lang=en")
    assert response.status_code == status
    if status == 200:
        listing = response.get_data(as_text=True)
        assert "Head-Card" in listing and "Department head · Cardiology" in listing


def test_a_head_of_another_department_learns_nothing(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.other_head)
    assert client.get(f"/complaints/{complaint.reference}/identity-views").status_code == 404
    assert views(complaint) == []


def test_a_recorded_view_cannot_be_changed_afterwards(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    look(client, world.head, complaint)
    with pytest.raises(DBAPIError, match="identity_views is append-only"):
        db.session.execute(update(IdentityView).values(user_id=world.reception.id))
        db.session.flush()
    db.session.rollback()
    assert views(complaint) == ["head-card"]
