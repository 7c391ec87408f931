"""More information (补充材料): the office asks the complainant for evidence; the complainant sees the request
on the tracking page and answers there, with words and files checked as the public form checks them; whoever
holds the complaint is told the answer arrived; the clocks run on."""

import io

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.evidence import Evidence
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_intake import new_client, token_of, track
from tests.test_public import png

ASKED = "Please send a photo of the bill you were given at the registration desk."


@pytest.fixture
def client(app_ctx):
    return new_client(app_ctx)  # English, and every answer checked for CSP and nothing inline


def ask(world, complaint, asked=ASKED):
    operations.perform(world.reception, Action.request_information, complaint,
                       {"asked": asked, "asked_via": "phone"}, complaint.version)
    db.session.commit()


def outbox(kind: str) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(row.channel, row.recipient) for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))]


def send(client, **data):
    return client.post("/track/provide_information",
                       data={"csrf_token": token_of(client.get("/track")), **data},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("state", [State.submitted, State.investigating, State.responded])
def test_asking_keeps_the_clocks_and_emails_the_complainant(world, state):
    complaint = factories.make_complaint(world, state, complainant_email="li@example.cn")
    due = (complaint.response_due_on, complaint.follow_up_due_on, complaint.acknowledge_due_on)
    ask(world, complaint)
    assert complaint.state == state
    assert (complaint.response_due_on, complaint.follow_up_due_on, complaint.acknowledge_due_on) == due
    assert outbox("information_requested") == [("email", "li@example.cn")]


def test_a_closed_complaint_is_not_asked(world):
    complaint = factories.make_complaint(world, State.closed)
    with pytest.raises(operations.ActionRefused):
        operations.perform(world.reception, Action.request_information, complaint,
                           {"asked": ASKED, "asked_via": "phone"}, complaint.version)


def test_the_complainant_answers_with_a_file_and_the_head_is_told(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    ask(world, complaint)
    page = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "We need more information from you" in page and ASKED in page
    assert 'action="/track/provide_information"' in page

    response = send(client, answer="The bill says 40 yuan; the price list says 20.",
                    evidence=[(io.BytesIO(png()), "bill.png")])
    assert response.status_code == 302
    page = client.get("/track").get_data(as_text=True)
    assert "Thank you. What you sent is with the people looking into your complaint." in page
    assert "You sent us more information" in page and "The bill says 40 yuan" in page
    assert 'action="/track/provide_information"' not in page  # answered: nothing more to send

    db.session.expire_all()
    assert [e.action for e in complaint.events][-2:] == ["request_information", "provide_information"]
    assert complaint.events[-1].data == {"answer": "The bill says 40 yuan; the price list says 20.",
                                         "evidence_files": 1}
    assert [e.original_name for e in db.session.scalars(select(Evidence))] == ["bill.png"]
    # The department's head, in the app: the complaint is the department's work.
    assert outbox("information_received") == [("in_app", str(world.head.id))]
    assert complaint.state == State.investigating


def test_before_a_department_has_it_reception_is_told(world, client):
    complaint = factories.make_complaint(world, State.submitted)
    ask(world, complaint)
    track(client, complaint.reference, complaint.tracking_code)
    assert send(client, answer="收费单据见附件。").status_code == 302
    assert outbox("information_received") == [("in_app", str(world.reception.id))]


def test_a_refused_file_keeps_what_was_typed_and_records_nothing(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    ask(world, complaint)
    track(client, complaint.reference, complaint.tracking_code)
    events = len(complaint.events)
    response = send(client, answer="See the attached receipt.",
                    evidence=[(io.BytesIO(b"<html>not a picture</html>"), "receipt.jpg")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "must be a JPG, PNG or PDF" in page
    assert "See the attached receipt.</textarea>" in page
    db.session.expire_all()
    assert len(complaint.events) == events
    assert db.session.scalars(select(Evidence)).all() == []


def test_an_empty_answer_is_refused(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    ask(world, complaint)
    track(client, complaint.reference, complaint.tracking_code)
    response = send(client, answer="  ")
    assert response.status_code == 422
    assert "Write your answer, or what the files show." in response.get_data(as_text=True)


def test_nothing_to_answer_unless_asked(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    page = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "/track/provide_information" not in page
    events = len(complaint.events)
    assert send(client, answer="Unasked.").status_code == 302  # shown the complaint as it is
    db.session.expire_all()
    assert len(complaint.events) == events
    assert outbox("information_received") == []


def test_staff_cannot_answer_for_the_complainant(world, client):
    """The complainant's action has no staff form: the complaint endpoint does not offer it."""
    complaint = factories.make_complaint(world, State.investigating)
    ask(world, complaint)
    login(client, world.reception)
    response = client.post(f"/complaints/{complaint.reference}/provide_information",
                           data={"csrf_token": csrf_token(client, "/queue"), "answer": "x"})
    assert response.status_code == 404


def test_the_timeline_says_the_complainant_sent_it(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    ask(world, complaint)
    track(client, complaint.reference, complaint.tracking_code)
    send(client, answer="The bill is in the post.")
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    entry = page[page.index("Send more information"):][:300]
    assert "Complainant (online)" in entry and "System" not in entry
