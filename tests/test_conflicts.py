"""Optimistic locking: two people act on the same version; the first wins, the second is told (409) who
did what first, and nothing of the second action is saved."""

import dataclasses
import re

import pytest
from flask_babel import gettext
from sqlalchemy import func, select, text

from intranet.complaints import lifecycle, operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.complaints.recording import COMPLAINTS
from intranet.core.extensions import db
from tests import factories
from tests.conftest import login

HX = {"HX-Request": "true", "HX-Target": "complaint"}
FIRST = "Someone else acted on this first, so your change was not saved."



def new_client(app, user):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(c, user)
    return c


class Person:
    """Somebody at a browser: loads the complaint page, then posts one of its forms as they saw it."""

    def __init__(self, app, user, reference):
        self.client = new_client(app, user)
        self.reference = reference
        html = self.client.get(f"/complaints/{reference}").get_data(as_text=True)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
        self.version = int(re.search(r'data-version="(\d+)"', html).group(1))
        self.page = html

    def post(self, action: Action, fields: dict, htmx=False):
        data = {f"{action.value}-{k}": v for k, v in {**fields, "version": self.version}.items()}
        if not htmx:
            data[f"{action.value}-csrf_token"] = self.token
        url = f"/complaints/{self.reference}/{action.value}"
        headers = {**HX, "X-CSRFToken": self.token} if htmx else {}
        return self.client.post(url, data=data, headers=headers)


def state_of(complaint_id: int) -> dict:
    db.session.expire_all()
    c = db.session.get(Complaint, complaint_id)
    events = db.session.scalars(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint_id)
                                .order_by(ComplaintEvent.id)).all()
    return {"status": c.status, "version": c.version, "department_id": c.department_id,
            "decline_reason": c.decline_reason, "escalation_level": c.escalation_level, "events": list(events)}


def assert_conflict_message(html: str, who: str, what: str):
    assert FIRST in html
    # Says who acted first and what they did.
    assert re.search(rf"<li>{re.escape(who)}: {re.escape(what)} at \d\d:\d\d</li>", html), html
    assert "This is the complaint as it is now" in html


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_second_person_is_told_and_nothing_is_saved(world, app_ctx, htmx):
    complaint = factories.make_complaint(world, State.registered)
    first = Person(app_ctx, world.reception, complaint.reference)
    second = Person(app_ctx, world.leadership, complaint.reference)
    assert first.version == second.version

    won = first.post(Action.assign, {"department_id": world.cardiology.id}, htmx=htmx)
    assert won.status_code == (200 if htmx else 302)
    after_first = state_of(complaint.id)
    assert after_first["status"] == State.assigned
    assert after_first["version"] == first.version + 1

    lost = second.post(Action.decline, {"reason": "Not ours.", "complainant_told": "Referred.",
                                        "told_via": "phone"}, htmx=htmx)
    assert lost.status_code == 409
    html = lost.get_data(as_text=True)
    assert_conflict_message(html, "Reception", "Assign to a department")
    if htmx:
        assert "<html" not in html and 'id="complaint"' in html  # the card, to swap in place
    else:
        assert "<html" in html  # the whole page, for browsers without JavaScript
    # The complaint as it is now, with the version to act on next.
    assert f'data-version="{after_first["version"]}"' in html
    assert "Assigned to a department" in html
    assert state_of(complaint.id) == after_first  # nothing of the decline


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_same_action_twice_keeps_the_first(world, app_ctx, htmx):
    """Two officers assign at once to different departments: the first assignment stands."""
    complaint = factories.make_complaint(world, State.registered)
    first = Person(app_ctx, world.reception, complaint.reference)
    second = Person(app_ctx, world.leadership, complaint.reference)
    assert first.post(Action.assign, {"department_id": world.cardiology.id}, htmx=htmx).status_code in (200, 302)
    after_first = state_of(complaint.id)

    lost = second.post(Action.assign, {"department_id": world.nursing.id}, htmx=htmx)
    assert lost.status_code == 409
    assert_conflict_message(lost.get_data(as_text=True), "Reception", "Assign to a department")
    assert state_of(complaint.id) == after_first
    assert after_first["department_id"] == world.cardiology.id


def test_every_missed_action_is_listed(world, app_ctx):
    complaint = factories.make_complaint(world, State.registered)
    late = Person(app_ctx, world.leadership, complaint.reference)
    busy = Person(app_ctx, world.reception, complaint.reference)
    assert busy.post(Action.note, {"text": "Rang back."}).status_code == 302
    busy.version += 1
    assert busy.post(Action.assign, {"department_id": world.cardiology.id}).status_code == 302
    before = state_of(complaint.id)

    lost = late.post(Action.escalate, {"reason": "Press."}, htmx=True)
    assert lost.status_code == 409
    html = lost.get_data(as_text=True)
    assert_conflict_message(html, "Reception", "Add an internal note")
    assert_conflict_message(html, "Reception", "Assign to a department")
    assert state_of(complaint.id) == before


def test_conflict_in_a_queue_row(world, app_ctx):
    """The head accepts from the queue while reception has just escalated: the row says so, in place."""
    complaint = factories.make_complaint(world, State.assigned)
    head = new_client(app_ctx, world.head)
    queue = head.get("/queue?q=new").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', queue).group(1)
    seen = int(re.search(r'name="accept-version" value="(\d+)"', queue).group(1))

    reception = Person(app_ctx, world.reception, complaint.reference)
    assert reception.post(Action.escalate, {"reason": "Complainant rang twice."}).status_code == 302
    before = state_of(complaint.id)

    response = head.post(f"/complaints/{complaint.reference}/accept", data={"accept-version": seen},
                         headers={**HX, "HX-Target": f"row-{complaint.reference}", "X-CSRFToken": token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="row-{complaint.reference}"')
    assert FIRST in html
    assert f'name="accept-version" value="{before["version"]}"' in html  # the button, as it is now
    assert state_of(complaint.id) == before
    assert before["status"] == State.assigned


def test_a_stale_form_is_refused_even_when_the_action_is_still_allowed(world, app_ctx):
    """Notes are allowed in any state; a stale version is still a conflict, not a silent overwrite."""
    complaint = factories.make_complaint(world, State.investigating)
    first = Person(app_ctx, world.head, complaint.reference)
    second = Person(app_ctx, world.leadership, complaint.reference)
    assert first.post(Action.record_findings, {"findings": "Late clinic.", "responsibility": "upheld"}).status_code \
        == 302
    before = state_of(complaint.id)
    lost = second.post(Action.extend, {"new_due_on": "2099-12-31", "reason": "Records.",
                                       "complainant_told_via": "phone"})
    assert lost.status_code == 409
    assert_conflict_message(lost.get_data(as_text=True), "Head-Card", "Record findings")
    assert state_of(complaint.id) == before


def test_a_note_never_conflicts_with_another_note(world, app_ctx):
    """Two people writing notes at once both keep theirs: a note only adds to the record."""
    complaint = factories.make_complaint(world, State.investigating)
    first = Person(app_ctx, world.head, complaint.reference)
    second = Person(app_ctx, world.reception, complaint.reference)
    assert first.post(Action.note, {"text": "Spoke to the ward sister."}).status_code == 302
    assert second.post(Action.note, {"text": "Complainant rang again."}).status_code == 302
    texts = db.session.scalars(select(ComplaintEvent.data).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "note").order_by(ComplaintEvent.id))
    assert [data["text"] for data in texts] == ["Spoke to the ward sister.", "Complainant rang again."]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_refused_note_comes_back_with_its_text_at_the_version_to_send_it_again(world, app_ctx, htmx):
    complaint = factories.make_complaint(world, State.investigating)
    first = Person(app_ctx, world.head, complaint.reference)
    second = Person(app_ctx, world.reception, complaint.reference)
    assert first.post(Action.record_findings, {"findings": "Late clinic.", "responsibility": "upheld"}).status_code \
        == 302
    before = state_of(complaint.id)
    lost = second.post(Action.note, {"text": "患者家属下午三点再来电。"}, htmx=htmx)
    assert lost.status_code == 409
    html = lost.get_data(as_text=True)
    assert_conflict_message(html, "Head-Card", "Record findings")
    assert re.search(r'<textarea[^>]*name="note-text"[^>]*>\s*患者家属下午三点再来电。</textarea>', html), html
    assert f'name="note-version" type="hidden" value="{before["version"]}"' in html \
        or f'name="note-version" value="{before["version"]}"' in html
    assert state_of(complaint.id) == before
    second.version = before["version"]  # sent again, having read what happened
    assert second.post(Action.note, {"text": "患者家属下午三点再来电。"}).status_code == 302


def test_conflict_answers_in_the_language_of_the_page(world, app_ctx):
    complaint = factories.make_complaint(world, State.registered)
    first = Person(app_ctx, world.reception, complaint.reference)
    second = Person(app_ctx, world.leadership, complaint.reference)
    second.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    first.post(Action.note, {"text": "x"})
    lost = second.post(Action.escalate, {"reason": "y"})
    assert lost.status_code == 409
    with app_ctx.test_request_context(headers={"Accept-Language": "zh-CN"}):
        expected = gettext(FIRST)  # the English source itself when the catalogue is not compiled
    assert expected in lost.get_data(as_text=True)


# --- the race inside one request: StaleDataError -----------------------------------------------------


def bump_version_elsewhere(complaint_id: int) -> None:
    """Another worker commits a change to the row."""
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE complaints SET version = version + 1 WHERE id = :id"), {"id": complaint_id})


def test_stale_data_on_flush_becomes_a_conflict(world):
    complaint = factories.make_complaint(world, State.assigned)
    session = db.session()
    session.expire_on_commit = False  # keep what we loaded, as a request does between its read and write
    complaint = session.get(Complaint, complaint.id)
    seen = complaint.version
    session.commit()  # end our read (on SQLite: let the other worker have the write lock)

    bump_version_elsewhere(complaint.id)  # after our load, before our write

    with pytest.raises(operations.Conflict) as info:
        # The version the person saw matches what this session loaded, so only the UPDATE … WHERE version
        # can notice.
        operations.perform(world.head, Action.accept, complaint, {}, seen)
    assert info.value.complaint.id == complaint.id
    assert info.value.complaint.version == seen + 1  # the fresh row, not our stale copy
    after = state_of(complaint.id)
    assert after["status"] == State.assigned
    assert after["events"] == ["submit", "triage", "assign"]
    db.session.rollback()


def test_stale_data_inside_a_request_answers_409(world, app_ctx, monkeypatch):
    """The version on the form is current when the request reads it, but another worker commits before
    this one writes: the UPDATE matches nothing and the person gets the 409 card, not a 500."""
    complaint = factories.make_complaint(world, State.assigned)
    person = Person(app_ctx, world.head, complaint.reference)
    before = state_of(complaint.id)
    spec = lifecycle.SPECS[Action.accept]
    accept = spec.apply

    def accept_while_someone_else_commits(c, user, data):
        if db.engine.dialect.name == "postgresql":
            bump_version_elsewhere(c.id)  # a real second connection; our row is not locked yet
        else:
            # SQLite: this request holds the write lock (BEGIN IMMEDIATE), so no other worker can write
            # now; bump the row under the ORM's feet on our own connection instead.
            db.session.execute(text("UPDATE complaints SET version = version + 1 WHERE id = :id"), {"id": c.id})
        return accept(c, user, data)

    monkeypatch.setitem(lifecycle.SPECS, Action.accept,
                        dataclasses.replace(spec, apply=accept_while_someone_else_commits))
    for htmx in (True, False):
        response = person.post(Action.accept, {}, htmx=htmx)
        assert response.status_code == 409
        assert FIRST in response.get_data(as_text=True)
        after = state_of(complaint.id)
        assert after["status"] == State.assigned
        assert after["events"] == before["events"]
        person.version = after["version"]


def test_version_field_is_required(world, app_ctx):
    """A form without the version (tampered with, or very old) is not applied blindly."""
    complaint = factories.make_complaint(world, State.registered)
    person = Person(app_ctx, world.reception, complaint.reference)
    before = state_of(complaint.id)
    response = person.client.post(f"/complaints/{complaint.reference}/note",
                                  data={"note-text": "x", "note-csrf_token": person.token})
    assert response.status_code == 422
    assert "The form is out of date" in response.get_data(as_text=True)
    assert state_of(complaint.id) == before


def test_events_since_counts_each_action_once(world):
    complaint = factories.make_complaint(world, State.registered)
    seen = complaint.version
    for action in (Action.note, Action.escalate, Action.assign):
        operations.perform(world.reception, action, complaint, factories.action_data(action, world),
                           complaint.version)
        db.session.commit()
    assert complaint.version == seen + 3
    missed = COMPLAINTS.events_since(complaint, seen)
    assert [e.action for e in missed] == ["note", "escalate", "assign"]
    assert db.session.scalar(select(func.count()).select_from(ComplaintEvent)) == 5
