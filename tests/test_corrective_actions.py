"""Corrective actions (整改措施) as records of their own: raised from findings or the monthly analysis,
done by the owner department with evidence, checked later by someone else, reopened if they did not work."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from intranet.complaints import operations
from intranet.complaints.corrective import records as corrective
from intranet.complaints.corrective.models import CorrectiveAction, CorrectiveActionEvent, Status
from intranet.complaints.corrective.steps import STEPS, Step
from intranet.complaints.lifecycle import State
from intranet.complaints.permissions import can
from intranet.core.extensions import db
from intranet.core.roles import Role
from intranet.core.time import clock_at, today
from tests import factories
from tests.conftest import csrf_token, login

# The steps, written out: who takes each, from which statuses, to which.
STEP_TABLE = {
    Step.raise_: ({Role.head, Role.reception, Role.leadership}, None, {Status.open}),
    Step.complete: ({Role.head, Role.leadership}, {Status.open, Status.reopened}, {Status.done}),
    Step.check: ({Role.reception, Role.leadership}, {Status.done}, {Status.effective, Status.reopened}),
    Step.note: ({Role.head, Role.reception, Role.leadership}, set(Status), None),
}


def test_the_specs_declare_the_table():
    declared = {}
    for step, spec in STEPS.items():
        targets = None if spec.target is None else (
            set(spec.target.outcomes) if hasattr(spec.target, "outcomes") else {spec.target})
        declared[step] = (set(spec.roles), None if spec.sources is None else set(spec.sources), targets)
    assert declared == STEP_TABLE


def make_action(world, owner=None, due_on=None, complaints=()):
    action = corrective.raise_action(world.reception, {
        "title": "Announce clinic delays every 30 minutes", "owner_department_id": (owner or world.cardiology).id,
        "due_on": due_on or today() + timedelta(days=14)}, complaints=complaints)
    db.session.commit()
    return action


def take(world, who, step, action, **data):
    operations.perform(who, step, action, {**STEPS[step].example(), **data}, action.version)
    db.session.commit()


def to_status(world, status: Status):
    action = make_action(world)
    if status in (Status.done, Status.effective, Status.reopened):
        take(world, world.head, Step.complete, action)
    if status == Status.effective:
        take(world, world.leadership, Step.check, action)
    if status == Status.reopened:
        take(world, world.leadership, Step.check, action, effective=False, new_due_on=today() + timedelta(days=7))
    assert action.state == status
    return action


# (who, step) → allowed, for an action owned by cardiology in each status
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("who", ["reception", "leadership", "head", "other_head", "admin"])
@pytest.mark.parametrize("step", [Step.complete, Step.check, Step.note])
def test_who_may_take_each_step(world, status, who, step):
    action = to_status(world, status)
    roles, sources, _targets = STEP_TABLE[step]
    role = Role.head if who in ("head", "other_head") else Role(who)
    # The other department's head sees nothing of cardiology's action (nor may note on it).
    expected = role in roles and status in sources and who != "other_head"
    assert can(world.user(who), step, action) is expected


def test_raising_is_for_reception_leadership_and_heads(world):
    assert [can(world.user(w), Step.raise_) for w in ("reception", "leadership", "head", "admin")] == [
        True, True, True, False]


def test_a_head_sees_what_their_department_owns_or_what_answers_its_complaints(world, client):
    complaint = factories.make_complaint(world, State.investigating)  # cardiology's
    owned_by_nursing = make_action(world, owner=world.nursing, complaints=[complaint])
    nursing_only = make_action(world, owner=world.nursing)
    login(client, world.head)
    assert client.get(f"/corrective/{owned_by_nursing.id}").status_code == 200
    assert client.get(f"/corrective/{nursing_only.id}").status_code == 404
    page = client.get("/corrective?status=all").get_data(as_text=True)
    assert owned_by_nursing.number in page and nursing_only.number not in page
    # ... but only the owner's head records it done.
    assert not can(world.head, Step.complete, owned_by_nursing)
    assert can(world.other_head, Step.complete, owned_by_nursing)


def _post(client, url, data, page=None):
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data})


def test_raised_from_the_findings_then_done_checked_reopened_and_verified(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    due = (today() + timedelta(days=20)).isoformat()
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    response = client.post(f"/complaints/{complaint.reference}/record_findings", data={
        "record_findings-csrf_token": token, "record_findings-version": complaint.version,
        "record_findings-findings": "门诊延误无人告知。", "record_findings-responsibility": "upheld",
        "record_findings-corrective_title": "延误超过30分钟广播说明原因", "record_findings-corrective_due_on": due})
    assert response.status_code in (200, 302, 303)
    action = db.session.scalar(select(CorrectiveAction))
    assert (action.title, action.owner_department_id, action.due_on.isoformat(), action.state) == (
        "延误超过30分钟广播说明原因", world.cardiology.id, due, Status.open)
    assert [c.reference for c in action.complaints] == [complaint.reference]
    assert "延误超过30分钟广播说明原因" in client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert "Corrective actions to do: 1" in client.get("/queue?lang=en").get_data(as_text=True)

    page = f"/corrective/{action.id}"
    response = _post(client, f"{page}/complete", {"complete-version": action.version,
                                                   "complete-evidence": "广播制度已执行，记录附后。"}, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert action.state == Status.done and action.check_due_on == today() + timedelta(days=30)

    login(client, world.reception)
    response = _post(client, f"{page}/check", {"check-version": action.version, "check-effective": "no",
                                                "check-check_note": "本月仍有同类投诉。"}, page + "?lang=en")
    assert response.status_code == 422  # not effective: a new due date is needed, and nothing typed is lost
    html = response.get_data(as_text=True)
    assert "Give a new due date" in html and "本月仍有同类投诉。" in html
    db.session.expire_all()
    assert action.state == Status.done

    new_due = (today() + timedelta(days=10)).isoformat()
    _post(client, f"{page}/check", {"check-version": action.version, "check-effective": "no",
                                     "check-check_note": "本月仍有同类投诉。", "check-new_due_on": new_due}, page)
    db.session.expire_all()
    assert (action.state, action.due_on.isoformat(), action.evidence) == (Status.reopened, new_due, None)

    take(world, world.head, Step.complete, action)
    take(world, world.leadership, Step.check, action)
    steps = [(e.step, e.from_status, e.to_status) for e in db.session.scalars(
        select(CorrectiveActionEvent).where(CorrectiveActionEvent.corrective_action_id == action.id)
        .order_by(CorrectiveActionEvent.id))]
    assert steps == [("raise", None, "open"), ("complete", "open", "done"), ("check", "done", "reopened"),
                     ("complete", "reopened", "done"), ("check", "done", "effective")]


def test_a_complaint_links_to_a_corrective_action_already_open(world):
    first = factories.make_complaint(world, State.investigating)
    action = make_action(world, complaints=[first])
    second = factories.make_complaint(world, State.investigating)
    corrective.link(world.head, action, second)
    db.session.commit()
    assert [c.reference for c in action.complaints] == [first.reference, second.reference]


def test_two_people_taking_a_step_at_once_the_second_is_told_and_keeps_what_they_typed(world, client):
    action = make_action(world)
    login(client, world.head)
    page = f"/corrective/{action.id}"
    seen = action.version
    assert _post(client, f"{page}/note", {"note-version": seen, "note-text": "First."}, page).status_code == 302
    # A note never conflicts with another note: both are kept.
    assert _post(client, f"{page}/note", {"note-version": seen, "note-text": "Second, beside the first."},
                 page).status_code == 302
    assert _post(client, f"{page}/complete", {"complete-version": seen + 2, "complete-evidence": "Done."},
                 page).status_code == 302
    response = _post(client, f"{page}/note", {"note-version": seen + 2, "note-text": "Third, from a stale page."},
                     page + "?lang=en")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    # The same words as on a complaint, then who did what, and the note as typed, to send again.
    assert "Someone else acted on this first, so your change was not saved." in html
    assert "Head-Card: Record it as done at" in html
    assert re.search(r'<textarea[^>]*name="note-text"[^>]*>\s*Third, from a stale page.</textarea>', html)
    assert f'value="{seen + 3}"' in html
    assert [e.data.get("text") for e in action.events if e.step == "note"] == ["First.", "Second, beside the first."]


def test_the_raise_form_keeps_what_was_typed_and_says_what_is_wrong(world, client):
    login(client, world.reception)
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = _post(client, "/corrective/new?lang=en", {"title": "Train the night shift",
                                                          "owner_department_id": world.nursing.id,
                                                          "due_on": yesterday})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The date cannot be in the past." in html and "Train the night shift" in html
    assert db.session.scalar(select(CorrectiveAction)) is None


def test_raised_from_the_monthly_analysis(world, client):
    login(client, world.leadership)
    response = _post(client, "/corrective/new?month=2026-11", {
        "title": "Evening clinic cover", "owner_department_id": world.cardiology.id,
        "due_on": (today() + timedelta(days=30)).isoformat()}, "/corrective/new")
    assert response.status_code == 302
    assert db.session.scalar(select(CorrectiveAction.raised_in_month)) == "2026-11"


def test_overdue_actions_reach_the_owner_heads_queue_and_the_analysis(world, client):
    beijing = ZoneInfo("Asia/Shanghai")
    with clock_at(datetime(2026, 11, 2, 10, tzinfo=beijing)):
        late = make_action(world, due_on=date(2026, 11, 10))
        done = make_action(world, due_on=date(2026, 11, 20))
        take(world, world.head, Step.complete, done)  # its check is due 2 Dec
        checked = make_action(world, due_on=date(2026, 11, 20))
        take(world, world.head, Step.complete, checked)
        take(world, world.leadership, Step.check, checked, effective=False, new_due_on=date(2026, 12, 20))
    with clock_at(datetime(2026, 11, 25, 10, tzinfo=beijing)):
        login(client, world.head)
        queue = client.get("/queue?lang=en").get_data(as_text=True)
        assert "Corrective actions to do: 2" in queue and "1 overdue" in queue
        login(client, world.leadership)
        analysis = client.get("/reports/monthly/2026-11?lang=en").get_data(as_text=True)
    assert "This month: 3 raised, 2 recorded done, 0 verified effective, 1 found not effective and reopened." \
        in analysis
    assert "Overdue today: 1" in analysis and late.number in analysis


def test_the_database_refuses_a_done_action_without_evidence_and_a_rewritten_step(world):
    action = make_action(world)
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE corrective_actions SET status = 'done' WHERE id = :id"), {"id": action.id})
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE corrective_action_events SET step = 'check'"))
        db.session.flush()
    db.session.rollback()


def test_verified_effective_before_its_check_date_only_with_a_reason_the_record_shows(world, client):
    beijing = ZoneInfo("Asia/Shanghai")
    with clock_at(datetime(2026, 11, 2, 10, tzinfo=beijing)):
        action = make_action(world)
        take(world, world.head, Step.complete, action, check_due_on=date(2026, 11, 30))
    page = f"/corrective/{action.id}"
    login(client, world.reception)
    typed = {"check-effective": "yes", "check-check_note": "两周内无同类投诉。"}
    response = _post(client, f"{page}/check", {"check-version": action.version, **typed}, page + "?lang=en")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "It is to be checked on 30 Nov 2026: to verify it effective before then, say why." in html
    assert "两周内无同类投诉。" in html
    db.session.expire_all()
    assert action.state == Status.done

    response = _post(client, f"{page}/check", {"check-version": action.version, **typed,
                                                "check-early_reason": "患者满意度调查提前完成。"}, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert action.state == Status.effective
    assert "患者满意度调查提前完成。" in client.get(page + "?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(("checked_on", "effective", "status"), [
    (date(2026, 11, 30), "yes", Status.effective),  # on its date: no reason asked
    (date(2026, 12, 1), "yes", Status.effective),  # after it
    (date(2026, 11, 20), "no", Status.reopened),  # found not working early: nothing to justify
])
def test_no_reason_is_asked_on_or_after_the_date_or_to_find_it_not_working(world, checked_on, effective, status):
    beijing = ZoneInfo("Asia/Shanghai")
    with clock_at(datetime(2026, 11, 2, 10, tzinfo=beijing)):
        action = make_action(world)
        take(world, world.head, Step.complete, action, check_due_on=date(2026, 11, 30))
    with clock_at(datetime(checked_on.year, checked_on.month, checked_on.day, 10, tzinfo=beijing)):
        data = {"effective": effective == "yes", "check_note": "checked", "early_reason": ""}
        if effective == "no":
            data["new_due_on"] = checked_on + timedelta(days=7)
        take(world, world.reception, Step.check, action, **data)
    assert action.state == status
