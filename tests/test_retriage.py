"""Re-triage (重新分级): what the investigation finds can change a complaint's severity, complexity and category
after assignment, with a reason on the timeline. A complaint found major tells leadership at once and its
response waits for leadership's approval wherever the complaint stands; lowered from major, it needs no
approval any more unless that was already asked for. A new complexity that gives the response another
clock moves its due date, shown on the form first and recorded with both dates. The department's head
proposes; reception or leadership accept or reject.

The pinned clock: received Wednesday 18 November 2026; a simple complaint's response is due five working days
later (25 November), one involving several departments ten (2 December).
"""

from datetime import date

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.permissions import can
from intranet.complaints.spec import ActionInvalid
from intranet.core.extensions import db
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_token, login

REASON = "The ward's records show a fall that was not reported."


def notices(kind: str | None = None) -> list[tuple[str, str]]:
    """(kind, recipient) of the bell notices queued, in order."""
    query = select(OutboxMessage).where(OutboxMessage.channel == "in_app").order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return [(r.kind, r.recipient) for r in db.session.scalars(query)]


def retriage(world, complaint, user=None, **changes):
    data = {"severity": complaint.severity, "complexity": complaint.complexity,
            "category_id": complaint.category_id, "reason": REASON, **changes}
    result = operations.perform(user or world.reception, Action.retriage, complaint, data, complaint.version)
    db.session.commit()
    return result.event


def act(world, who: str, action: Action, complaint, **data):
    operations.perform(world.user(who), action, complaint, {**factories.action_data(action, world, complaint),
                                                            **data}, complaint.version)
    db.session.commit()


# --- raised to major ----------------------------------------------------------------------------------------


def test_a_minor_complaint_raised_to_major_while_investigating_needs_approval_before_the_response(world):
    complaint = factories.make_complaint(world, State.investigating)
    assert complaint.severity == "minor"
    before = len(notices())

    event = retriage(world, complaint, severity="major")

    assert (complaint.state, complaint.severity) == (State.investigating, "major")
    assert event.data == {"severity_was": "minor", "severity": "major", "reason": REASON}
    # Leadership is told at once; the department hears what reception changed.
    assert notices()[before:] == [("raised_to_major", str(world.leadership.id)),
                                  ("retriaged", str(world.head.id))]
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "raised_to_major"))
    assert row.subject == f"投诉 {complaint.reference} 已升为重大投诉"
    assert REASON in row.body

    act(world, "head", Action.record_findings, complaint)
    before = len(notices())
    act(world, "head", Action.sign_off, complaint)
    # The head's sign-off goes to leadership, not out to the complainant.
    assert complaint.state == State.awaiting_approval
    assert notices()[before:] == [("awaiting_approval", str(world.leadership.id))]


def test_a_complaint_raised_to_major_at_the_desk_is_no_longer_resolved_on_the_spot(world):
    complaint = factories.make_complaint(world, State.registered)
    assert can(world.reception, Action.resolve_on_the_spot, complaint)

    retriage(world, complaint, severity="major")

    assert not can(world.reception, Action.resolve_on_the_spot, complaint)


def test_a_response_signed_off_before_the_complaint_was_found_major_goes_to_leadership(world):
    complaint = factories.make_complaint(world, State.signed_off)
    assert complaint.approved_at is None

    event = retriage(world, complaint, severity="major")

    assert complaint.state == State.awaiting_approval
    assert (event.from_state, event.to_state) == ("signed_off", "awaiting_approval")
    assert set(notices()) >= {("raised_to_major", str(world.leadership.id)),
                              ("awaiting_approval", str(world.leadership.id))}
    act(world, "leadership", Action.approve, complaint)
    assert complaint.state == State.signed_off


def test_leadership_hears_again_when_a_complaint_lowered_from_major_is_raised_again(world):
    complaint = factories.make_complaint(world, State.investigating, severity="major")
    retriage(world, complaint, severity="serious")
    retriage(world, complaint, severity="major")
    assert notices("raised_to_major") == [("raised_to_major", str(world.leadership.id))]
    assert len(notices("major")) == 1  # the first triage's "major complaint", once


# --- lowered from major -------------------------------------------------------------------------------------


def test_lowered_from_major_before_sign_off_the_response_needs_no_approval(world):
    complaint = factories.make_complaint(world, State.investigating, severity="major")
    retriage(world, complaint, severity="serious")
    act(world, "head", Action.record_findings, complaint)
    act(world, "head", Action.sign_off, complaint)
    assert complaint.state == State.signed_off


def test_lowered_from_major_once_approval_was_asked_for_it_still_waits_for_leadership(world):
    complaint = factories.make_complaint(world, State.awaiting_approval)
    event = retriage(world, complaint, severity="serious")
    assert (complaint.state, complaint.severity) == (State.awaiting_approval, "serious")
    assert (event.from_state, event.to_state) == ("awaiting_approval", "awaiting_approval")
    assert notices("raised_to_major") == []
    with pytest.raises(operations.ActionRefused):
        act(world, "reception", Action.respond, complaint)


# --- the response's due date ------------------------------------------------------------------------------


def test_simple_to_several_departments_moves_the_response_due_date_and_the_timeline_shows_both(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    assert (complaint.complexity, complaint.response_due_on) == ("simple", date(2026, 11, 25))
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    # Before anyone confirms: the date under each complexity.
    assert ("The response is due on 25 Nov 2026. With this triage: Simple (one department): due 25 Nov 2026; "
            "Involves several departments: due 2 Dec 2026.") in page

    answer = client.post(f"{url}/retriage?lang=en", data={
        "retriage-severity": "minor", "retriage-complexity": "several_departments",
        "retriage-category_id": str(world.category.id), "retriage-reason": REASON,
        "retriage-version": str(complaint.version), "retriage-csrf_token": csrf_token(client, url)})

    assert answer.status_code == 302
    db.session.expire_all()
    assert (complaint.complexity, complaint.response_due_on) == ("several_departments", date(2026, 12, 2))
    assert complaint.events[-1].data == {
        "complexity_was": "simple", "complexity": "several_departments",
        "response_due_was": "2026-11-25", "response_due_on": "2026-12-02", "reason": REASON}
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    timeline = page[page.index('class="event event-retriage"'):]
    timeline = timeline[:timeline.index("</li>")]
    for shown in ("<dt>Complexity was</dt><dd class=\"prose\">Simple (one department)</dd>",
                  "<dt>Complexity now</dt><dd class=\"prose\">Involves several departments</dd>",
                  "<dt>Response was due</dt><dd class=\"prose\">25 Nov 2026</dd>",
                  "<dt>Response now due</dt><dd class=\"prose\">2 Dec 2026</dd>",
                  f"<dt>Why the triage changed</dt><dd class=\"prose\">{REASON}</dd>"):
        assert shown in timeline.replace("&#39;", "'")


def test_a_new_category_alone_leaves_the_due_date(world):
    other = factories.Category(code="BILL", name_zh="收费", name_en="Billing")
    db.session.add(other)
    db.session.commit()
    complaint = factories.make_complaint(world, State.investigating)
    event = retriage(world, complaint, category_id=other.id)
    assert complaint.response_due_on == date(2026, 11, 25)
    assert event.data == {"category_was": "COMM", "category": "BILL", "category_id": other.id, "reason": REASON}


def test_a_date_the_complainant_was_told_of_an_extension_stays(world):
    complaint = factories.make_complaint(world, State.investigating)
    act(world, "head", Action.extend, complaint, new_due_on=date(2026, 11, 30))
    event = retriage(world, complaint, complexity="several_departments")
    assert complaint.response_due_on == date(2026, 11, 30)
    assert "response_due_on" not in event.data


# --- refused beside its field, nothing saved --------------------------------------------------------------


@pytest.mark.parametrize(("changes", "errors"), [
    ({}, {"severity": "Nothing would change: choose another severity, complexity or category."}),
    ({"severity": "major", "reason": "Worse."},
     {"reason": "Say why the triage changes, in at least 10 characters."}),
    ({"severity": "major", "category_id": 9999}, {"category_id": "Choose a category from the list."}),
    ({"severity": "grave"}, {"severity": "Choose a severity."}),
])
def test_bad_input_is_refused_beside_its_field(world, app, changes, errors):
    complaint = factories.make_complaint(world, State.investigating)
    version = complaint.version
    with app.test_request_context("/?lang=en"), pytest.raises(ActionInvalid) as refused:
        retriage(world, complaint, **changes)
    assert refused.value.errors == errors
    db.session.rollback()
    assert (complaint.version, complaint.severity) == (version, "minor")


def test_the_form_refuses_beside_the_field_and_keeps_what_was_typed(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    answer = client.post(f"{url}/retriage?lang=en", data={
        "retriage-severity": "major", "retriage-complexity": "simple", "retriage-category_id": "9999",
        "retriage-reason": "Found worse", "retriage-version": str(complaint.version),
        "retriage-csrf_token": csrf_token(client, url)}, headers={"HX-Request": "true", "HX-Target": "complaint"})
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert 'id="retriage-category_id-error"' in body and "Not a valid choice." in body
    assert "Found worse</textarea>" in body
    assert '<option selected value="major">' in body
    db.session.expire_all()
    assert complaint.severity == "minor"


def test_someone_else_acting_first_answers_409_with_what_was_typed(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    token, version = csrf_token(client, url), complaint.version
    act(world, "head", Action.note, complaint, text="Called the ward.")
    answer = client.post(f"{url}/retriage?lang=en", data={
        "retriage-severity": "major", "retriage-complexity": "simple", "retriage-category_id": str(world.category.id),
        "retriage-reason": REASON, "retriage-version": str(version), "retriage-csrf_token": token})
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert "Someone else acted on this first, so your change was not saved." in body
    assert "Head-Card: Add an internal note" in body
    assert REASON in body.replace("&#39;", "'")
    db.session.expire_all()
    assert complaint.severity == "minor"


# --- the head proposes --------------------------------------------------------------------------------------


def test_the_heads_proposal_accepted_stands_and_the_head_hears(world):
    complaint = factories.make_complaint(world, State.investigating)
    before = len(notices())
    factories.propose_retriage(world, complaint, severity="major", complexity="several_departments")
    # Nothing changes yet; reception decides.
    assert (complaint.severity, complaint.complexity, complaint.response_due_on) == ("minor", "simple",
                                                                                    date(2026, 11, 25))
    assert complaint.events[-1].data == {
        "severity_was": "minor", "severity": "major", "complexity_was": "simple",
        "complexity": "several_departments", "response_due_was": "2026-11-25", "response_due_on": "2026-12-02",
        "reason": factories.RETRIAGE_REASON}
    assert notices()[before:] == [("retriage_proposed", str(world.reception.id))]
    with pytest.raises(operations.ActionRefused):  # one proposal at a time
        factories.propose_retriage(world, complaint)

    before = len(notices())
    act(world, "reception", Action.accept_retriage, complaint, comment="Agreed.")

    assert (complaint.severity, complaint.complexity, complaint.response_due_on) == ("major", "several_departments",
                                                                                    date(2026, 12, 2))
    event = complaint.events[-1]
    assert (event.action, event.actor_id) == ("accept_retriage", world.reception.id)
    assert event.data == {
        "severity_was": "minor", "severity": "major", "complexity_was": "simple",
        "complexity": "several_departments", "response_due_was": "2026-11-25", "response_due_on": "2026-12-02",
        "reason": factories.RETRIAGE_REASON, "comment": "Agreed."}
    assert notices()[before:] == [("raised_to_major", str(world.leadership.id)),
                                  ("retriage_accepted", str(world.head.id))]
    with pytest.raises(operations.ActionRefused):  # nothing waits for a decision now
        act(world, "reception", Action.reject_retriage, complaint)


def test_the_heads_proposal_rejected_leaves_the_triage_and_the_head_reads_why(world):
    complaint = factories.make_complaint(world, State.investigating)
    factories.propose_retriage(world, complaint, severity="major")
    act(world, "leadership", Action.reject_retriage, complaint, comment="The fall was known at triage.")
    assert complaint.severity == "minor"
    assert complaint.events[-1].data == {"reason": factories.RETRIAGE_REASON,
                                         "comment": "The fall was known at triage."}
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "retriage_rejected"))
    assert row.recipient == str(world.head.id) and "The fall was known at triage." in row.body
    factories.propose_retriage(world, complaint, severity="serious")  # and may propose again


def test_the_deciding_forms_show_the_proposal(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    factories.propose_retriage(world, complaint, severity="major", complexity="several_departments")
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert ("Head-Card proposes: Severity: Minor → Major; Complexity: Simple (one department) → Involves several "
            "departments; Response due: 25 Nov 2026 → 2 Dec 2026. Why: The investigation found more harm than "
            "first described.") in page
