"""Co-handling (协同处理): a lead department and contributing departments. The office asks a department for
its part (with its own date, before the lead's); its head sees the complaint in "contribution due", records
the part and is done; the lead signs off only once every part is in (or leadership waived one, with a
reason). Bad input is refused beside its field with what was typed kept; two people at once get the 409;
the chain vouches for the parts; an integrity complaint takes no contributing department."""

from datetime import date
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from intranet.complaints import audit, operations, queues
from intranet.complaints.contributions import Contribution
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.permissions import can, may_view
from intranet.complaints.spec import ActionInvalid, ActionRefused
from intranet.core.departments import Department
from intranet.core.extensions import db
from tests import factories
from tests.conftest import csrf_token, login


@pytest.fixture(autouse=True)
def in_english(app_ctx):
    """The refusals are read as English staff read them (pages ask with ?lang=en)."""
    with force_locale("en"):
        yield


@pytest.fixture
def pharmacy(world):
    """A third department and its head."""
    department = Department(code="PHAR", name_zh="药剂科", name_en="Pharmacy")
    db.session.add(department)
    head = factories.make_user("head-phar", "head", department)
    db.session.commit()
    return department, head


def do(who, action, complaint, **data):
    result = operations.perform(who, action, complaint, data, complaint.version)
    db.session.commit()
    return result


PART = {"findings": "The porters took forty minutes; the ward asked twice.", "people": "The evening porter.",
        "responsibility": "partly_upheld", "remedy_proposal": "A second porter in the evening."}


def test_a_three_department_complaint_is_signed_off_only_once_both_parts_are_in(world, pharmacy):
    phar, phar_head = pharmacy
    complaint = factories.make_complaint(world, State.investigating)
    do(world.reception, Action.ask_contribution, complaint, department_id=world.nursing.id)
    do(world.leadership, Action.ask_contribution, complaint, department_id=phar.id, due_on=date(2026, 11, 20))
    do(world.head, Action.record_findings, complaint, **factories.action_data(Action.record_findings, world))

    with pytest.raises(ActionInvalid) as refused:
        do(world.head, Action.sign_off, complaint, response_text="We are sorry.")
    db.session.rollback()
    assert refused.value.errors == {"response_text": "Every contributing department's part must be in before "
                                                     "signing off (leadership may waive one, with a reason)."}
    do(world.other_head, Action.contribute, complaint, department_id=world.nursing.id, **PART)
    with pytest.raises(ActionInvalid):
        do(world.head, Action.sign_off, complaint, response_text="We are sorry.")
    db.session.rollback()
    do(phar_head, Action.contribute, complaint, department_id=phar.id, findings="The order reached us late.")
    do(world.head, Action.sign_off, complaint, response_text="We are sorry.")

    assert complaint.state == State.signed_off
    assert [(r.department.code, r.due_on, r.contributed_by.username) for r in complaint.contributions] == [
        ("NURS", date(2026, 11, 23), "head-nurs"), ("PHAR", date(2026, 11, 20), "head-phar")]
    assert [e.action for e in complaint.events][-6:] == [
        "ask_contribution", "ask_contribution", "record_findings", "contribute", "contribute", "sign_off"]
    assert audit.record_problems(complaint) == []


def test_a_part_is_due_two_working_days_before_the_lead_and_never_in_the_past(world):
    complaint = factories.make_complaint(world, State.assigned)
    assert complaint.response_due_on == date(2026, 11, 25)  # the policy's simple complaint, from 18 Nov
    do(world.reception, Action.ask_contribution, complaint, department_id=world.nursing.id)
    assert complaint.contributions[0].due_on == date(2026, 11, 23)  # Monday: the weekend does not count


def test_leadership_lets_the_lead_sign_off_without_a_part_with_a_reason(world):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    with pytest.raises(ActionInvalid) as refused:
        do(world.leadership, Action.waive_contribution, complaint, department_id=world.nursing.id, reason="No.")
    db.session.rollback()
    assert refused.value.errors == {"reason": "Say why, in at least 10 characters."}
    do(world.leadership, Action.waive_contribution, complaint, department_id=world.nursing.id,
       reason="The ward is closed; the lead holds its records.")
    do(world.head, Action.record_findings, complaint, **factories.action_data(Action.record_findings, world))
    do(world.head, Action.sign_off, complaint, response_text="We are sorry.")
    assert complaint.state == State.signed_off
    assert not can(world.other_head, Action.contribute, complaint)


@pytest.mark.parametrize(("field", "data", "message"), [
    ("department_id", {"department_id": "CARD"}, "Cardiology is the lead department: it answers the complaint, "
                                                 "it does not contribute to it."),
    ("department_id", {"department_id": "NURS"}, "Nursing is already asked to contribute."),
    ("due_on", {"department_id": "PHAR", "due_on": "2026-11-17"}, "The due date cannot be in the past."),
    ("due_on", {"department_id": "PHAR", "due_on": "2026-11-26"},
     "The part must be in by the lead department's response, due on 25 Nov 2026."),
], ids=["the-lead", "twice", "past", "after-the-lead"])
def test_bad_input_is_refused_beside_its_field_with_what_was_typed_kept(world, pharmacy, client, field, data,
                                                                         message):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    codes = {"CARD": world.cardiology.id, "NURS": world.nursing.id, "PHAR": pharmacy[0].id}
    login(client, world.reception)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    posted = client.post(f"/complaints/{complaint.reference}/ask_contribution?lang=en", data={
        "ask_contribution-csrf_token": token, "ask_contribution-version": complaint.version,
        "ask_contribution-department_id": codes[data["department_id"]],
        "ask_contribution-due_on": data.get("due_on", ""),
        "ask_contribution-note": "Look at the porters' log, please."})
    html = unescape(posted.get_data(as_text=True))
    assert posted.status_code == 422
    assert message in html
    assert f'id="ask_contribution-{field}-error"' in html
    assert "Look at the porters' log, please." in html
    assert len(complaint.contributions) == 1


def test_a_part_from_a_department_not_involved_is_refused_beside_its_field(world, pharmacy):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    with pytest.raises(ActionInvalid) as refused:
        do(world.other_head, Action.contribute, complaint, department_id=pharmacy[0].id, **PART)
    assert refused.value.errors == {"department_id": "That department is not asked for a part of this complaint, "
                                                     "or its part is already in."}
    db.session.rollback()
    # Its head may not even try: the department is not involved.
    assert not may_view(pharmacy[1], complaint)
    with pytest.raises(ActionRefused):
        do(pharmacy[1], Action.contribute, complaint, department_id=pharmacy[0].id, **PART)


def test_two_recording_at_once_the_second_gets_the_409_naming_who_acted(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    seen = complaint.version
    do(world.head, Action.note, complaint, note="Waiting for nursing.")
    login(client, world.other_head)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    posted = client.post(f"/complaints/{complaint.reference}/contribute?lang=en", data={
        "contribute-csrf_token": token, "contribute-version": seen,
        "contribute-department_id": world.nursing.id, "contribute-findings": "Our part, typed."})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 409
    assert "Head-Card: Add an internal note at 10:00" in html
    assert "Our part, typed." in html


def test_the_contributing_head_sees_it_in_contribution_due_and_does_only_their_part(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    other = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    queue = queues.find_queue(world.other_head, "contribution_due")
    assert [c.reference for c in queues.complaints_in(world.other_head, queue, 50)] == [complaint.reference]
    assert queues.counts(world.other_head)["contribution_due"] == 1
    assert may_view(world.other_head, complaint) and not may_view(world.other_head, other)
    for action in (Action.record_findings, Action.sign_off, Action.extend, Action.note, Action.name_people,
                   Action.escalate, Action.propose_retriage):
        assert not can(world.other_head, action, complaint), action
    assert not can(world.head, Action.contribute, complaint)  # the lead does not contribute to itself
    login(client, world.other_head)
    html = client.get("/queue?q=contribution_due&lang=en").get_data(as_text=True)
    assert complaint.reference in html and other.reference not in html
    do(world.other_head, Action.contribute, complaint, department_id=world.nursing.id, **PART)
    assert queues.counts(world.other_head)["contribution_due"] == 0
    assert may_view(world.other_head, complaint)  # still involved: it reads the complaint to its end


def test_the_lead_sees_every_part_and_reception_not_who_is_involved(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    do(world.other_head, Action.contribute, complaint, department_id=world.nursing.id, **PART)
    login(client, world.head)
    html = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Contributing departments" in html and PART["findings"] in html and "The evening porter." in html
    assert "Several departments now work on this complaint" in html  # triaged simple: re-triage is theirs
    record = client.get(f"/complaints/{complaint.reference}/record?lang=en").get_data(as_text=True)
    assert "Contributing departments" in record and PART["findings"] in record and "The evening porter." in record
    login(client, world.reception)
    html = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert PART["findings"] in html and "The evening porter." not in html
    record = client.get(f"/complaints/{complaint.reference}/record?lang=en").get_data(as_text=True)
    assert PART["findings"] in record and "The evening porter." not in record


def test_an_integrity_complaint_takes_no_contributing_department(world):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    do(world.reception, Action.mark_integrity, complaint, reason="A red envelope was asked for.")
    assert not may_view(world.other_head, complaint)
    assert not can(world.reception, Action.ask_contribution, complaint)
    assert not can(world.supervision, Action.contribute, complaint)
    queue = queues.find_queue(world.other_head, "contribution_due")
    assert queues.complaints_in(world.other_head, queue, 50) == []


def test_the_lead_cannot_become_a_contributor_nor_a_contributor_the_lead(world):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    with pytest.raises(ActionInvalid) as refused:
        do(world.reception, Action.assign, complaint, department_id=world.nursing.id)
    db.session.rollback()
    assert list(refused.value.errors) == ["department_id"]
    do(world.reception, Action.remove_contribution, complaint, department_id=world.nursing.id,
       reason="Nursing leads it now.")
    do(world.reception, Action.assign, complaint, department_id=world.nursing.id)
    assert complaint.department_id == world.nursing.id
    # The database refuses it too.
    row = complaint.contributions[0]
    with pytest.raises(Exception):  # noqa: B017 (IntegrityError, of either database)
        db.session.execute(update(Contribution).where(Contribution.id == row.id).values(
            removed_at=None, lead_department_id=world.nursing.id))
        db.session.flush()
    db.session.rollback()


def test_a_part_changed_in_the_database_fails_the_check(world):
    complaint = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, complaint)
    do(world.other_head, Action.contribute, complaint, department_id=world.nursing.id, **PART)
    assert audit.record_problems(complaint) == []
    db.session.execute(update(Contribution).values(findings="Nothing happened."))
    db.session.commit()
    db.session.expire_all()
    problems, _hashes, _heads = audit.verify()
    assert [str(p) for p in problems] == [f"{complaint.reference}: contributions is not what its timeline recorded: "
                                          "it was changed in the database without an event"]


def test_visible_and_may_view_agree_on_co_handled_complaints(world, pharmacy):
    from intranet.complaints.models import Complaint
    from intranet.complaints.permissions import visible

    asked = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, asked)
    removed = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, removed)
    do(world.reception, Action.remove_contribution, removed, department_id=world.nursing.id, reason="Not theirs.")
    integrity = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, integrity)
    do(world.reception, Action.mark_integrity, integrity, reason="A red envelope was asked for.")
    everything = db.session.scalars(db.select(Complaint)).all()
    for user in (world.head, world.other_head, pharmacy[1]):
        seen = set(db.session.scalars(db.select(Complaint.reference).where(visible(user))))
        assert seen == {c.reference for c in everything if may_view(user, c)}, user.username
    assert {c.reference for c in everything if may_view(world.other_head, c)} == {asked.reference}


def test_who_hears_what(world):
    from intranet.notifications.models import OutboxMessage

    def heard_since(before):
        users = {str(u.id): u.username for u in (world.reception, world.leadership, world.head, world.other_head)}
        return {(r.kind, users.get(r.recipient, r.recipient)) for r in db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.id > before, OutboxMessage.channel == "in_app"))}

    def last():
        return db.session.scalar(db.select(db.func.max(OutboxMessage.id))) or 0

    complaint = factories.make_complaint(world, State.investigating)
    mark = last()
    factories.ask_contribution(world, complaint)
    assert heard_since(mark) == {("contribution_asked", "head-nurs")}
    mark = last()
    do(world.other_head, Action.contribute, complaint, department_id=world.nursing.id, **PART)
    assert heard_since(mark) == {("contribution_recorded", "head-card")}
    other = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, other)
    mark = last()
    do(world.leadership, Action.waive_contribution, other, department_id=world.nursing.id,
       reason="The lead holds the ward's records.")
    assert heard_since(mark) == {("contribution_waived", "head-card"), ("contribution_waived", "head-nurs")}
    third = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, third)
    mark = last()
    do(world.reception, Action.remove_contribution, third, department_id=world.nursing.id, reason="Not theirs.")
    assert heard_since(mark) == {("contribution_withdrawn", "head-nurs")}
