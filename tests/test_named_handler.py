"""A named handler in the department (科室经办人): the head hands the investigation of a complaint to a member
of the department's staff, who sees only the complaints handed to them, under the department's
confidentiality, and does the investigation's work; the head keeps every power and still signs off. Taken
back (or moved away from the department), the handler loses sight of it at once."""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from intranet.admin import accounts
from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.complaints.permissions import can, visible
from intranet.complaints.spec import ActionInvalid
from intranet.core.extensions import db
from intranet.core.versioned import Refused
from intranet.notifications import relay
from intranet.notifications.models import OutboxMessage, StaffNotification
from tests import factories
from tests.conftest import csrf_token, login

HX = {"HX-Request": "true", "HX-Target": "complaint"}


@pytest.fixture
def client(app_ctx):
    c = app_ctx.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-queue="([a-z_]+)">(\d+)<', html)}


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="row-([^"]+)"', html)


def hand(client, complaint, handler_id, note="", version=None, token=None):
    url = f"/complaints/{complaint.reference}"
    return client.post(f"{url}/hand_to_handler", data={
        "hand_to_handler-handler_id": str(handler_id), "hand_to_handler-note": note,
        "hand_to_handler-version": str(version if version is not None else complaint.version),
        "hand_to_handler-csrf_token": token or csrf_token(client, url)}, headers=HX)


def page(client, complaint):
    return client.get(f"/complaints/{complaint.reference}?lang=en")


# --- handing it over ------------------------------------------------------------------------------------


def test_the_head_hands_the_investigation_to_a_member_of_staff_who_is_told(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    html = page(client, complaint).get_data(as_text=True)
    assert f'action="/complaints/{complaint.reference}/hand_to_handler"' in html
    answer = hand(client, complaint, world.staff.id, note="请联系病房护士长。")
    assert answer.status_code == 200
    db.session.expire_all()
    assert complaint.handler_id == world.staff.id
    assert complaint.state == State.investigating
    event = complaint.events[-1]
    assert (event.action, event.actor_id) == ("hand_to_handler", world.head.id)
    assert event.data == {"handler": "Staff-Card", "handler_id": world.staff.id, "note": "请联系病房护士长。"}
    # The handler hears it is theirs; nobody else hears of the hand-over.
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "handed_to_you")).all()
    assert message.recipient_user_id == world.staff.id
    relay.send_pending()
    [notification] = db.session.scalars(select(StaffNotification).where(
        StaffNotification.kind == "handed_to_you")).all()
    assert notification.user_id == world.staff.id
    # The page and the timeline name the handler.
    html = page(client, complaint).get_data(as_text=True)
    assert "<dt>Handler</dt><dd>Staff-Card</dd>" in html
    assert "Hand to a handler" in html and "请联系病房护士长。" in html


def test_handing_it_to_another_member_changes_the_handler_and_the_first_loses_sight(world, client):
    second = factories.make_user("staff-card-2", "staff", world.cardiology)
    db.session.commit()
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    operations.perform(world.head, Action.hand_to_handler, complaint, {"handler_id": second.id}, complaint.version)
    db.session.commit()
    assert complaint.handler_id == second.id
    assert complaint.events[-1].data == {"handler": "Staff-Card-2", "handler_id": second.id,
                                         "previous_handler": "Staff-Card", "previous_handler_id": world.staff.id}
    assert not can(world.staff, "view", complaint)
    assert can(second, "view", complaint)
    # The new handler hears it is theirs, the first that it is no longer.
    told = db.session.execute(select(OutboxMessage.kind, OutboxMessage.recipient_user_id).where(
        OutboxMessage.kind.in_(("handed_to_you", "taken_back_from_you"))).order_by(OutboxMessage.id)).all()
    assert told == [("handed_to_you", world.staff.id), ("handed_to_you", second.id),
                    ("taken_back_from_you", world.staff.id)]


def test_handing_it_to_staff_of_another_department_is_refused_beside_the_field_keeping_the_note(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    answer = hand(client, complaint, world.other_staff.id, note="Ward 5B, night shift.")
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert 'id="hand_to_handler-handler_id-error"' in body
    assert "Choose an active member of this department&#39;s staff." in body
    assert "Ward 5B, night shift.</textarea>" in body
    # The choice lists cardiology's staff only.
    assert f'<option value="{world.staff.id}">Staff-Card</option>' in body
    assert "Staff-Nurs" not in body
    db.session.expire_all()
    assert complaint.handler_id is None


@pytest.mark.parametrize("who", ["reception", "head", "leadership", "supervision", "admin"])
def test_only_active_staff_of_the_department_can_be_handed_it(world, who):
    complaint = factories.make_complaint(world, State.investigating)
    with force_locale("en"), pytest.raises(ActionInvalid) as refused:
        operations.perform(world.head, Action.hand_to_handler, complaint, {"handler_id": world.user(who).id},
                           complaint.version)
    assert refused.value.errors == {"handler_id": "Choose an active member of this department's staff."}


def test_two_heads_handing_it_at_once_the_second_is_told_who_acted(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    second = factories.make_user("staff-card-2", "staff", world.cardiology)
    db.session.commit()
    login(client, world.head)
    url = f"/complaints/{complaint.reference}"
    token, version = csrf_token(client, url), complaint.version
    operations.perform(world.head, Action.hand_to_handler, complaint, {"handler_id": world.staff.id}, version)
    db.session.commit()
    answer = hand(client, complaint, second.id, note="Second thoughts.", version=version, token=token)
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert "Someone else acted on this first, so your change was not saved." in body
    assert "Head-Card: Hand to a handler" in body
    assert "Second thoughts.</textarea>" in body
    db.session.expire_all()
    assert complaint.handler_id == world.staff.id


# --- what the handler sees and does --------------------------------------------------------------------------


def test_the_handler_sees_only_what_is_handed_to_them_in_my_cases_and_search(world, client):
    handed = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating,
                                                                     what_happened="护士态度冷淡。"))
    not_handed = factories.make_complaint(world, State.investigating, what_happened="护士态度冷淡。")
    login(client, world.staff)
    html = client.get("/queue?lang=en").get_data(as_text=True)
    assert counts(html) == {"mine": 1, "to_find": 1, "history": 1}
    assert rows(html) == [handed.reference]
    assert "My cases" in html
    html = client.get("/search", query_string={"q": "态度", "lang": "en"}).get_data(as_text=True)
    assert rows(html) == [handed.reference]
    assert page(client, handed).status_code == 200
    assert page(client, not_handed).status_code == 404
    assert db.session.scalars(select(Complaint.reference).where(visible(world.staff))).all() == [handed.reference]
    # Another department's staff see none of it.
    assert db.session.scalars(select(Complaint.reference).where(visible(world.other_staff))).all() == []


def test_the_head_reads_who_handles_each_complaint_in_their_queue(world, client):
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    login(client, world.head)
    html = client.get("/queue?q=investigating&lang=en").get_data(as_text=True)
    assert '<small class="handler">Handler: Staff-Card</small>' in html
    assert rows(html) == [complaint.reference]


def test_the_handler_reads_a_confidential_complainant_as_the_department_does(world, client):
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating,
                                                                        confidential=True))
    login(client, world.staff)
    html = page(client, complaint).get_data(as_text=True)
    assert complaint.complainant_name not in html
    assert complaint.complainant_phone not in html
    login(client, world.head)
    assert complaint.complainant_name not in page(client, complaint).get_data(as_text=True)


def test_the_handler_records_the_findings_but_never_signs_off(world, client):
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    login(client, world.staff)
    url = f"/complaints/{complaint.reference}"
    html = page(client, complaint).get_data(as_text=True)
    for offered in ("record_findings", "name_people", "note"):
        assert f'action="{url}/{offered}"' in html
    for withheld in ("sign_off", "extend", "hand_to_handler", "take_back", "assign", "escalate"):
        assert f'action="{url}/{withheld}"' not in html
    token = csrf_token(client, url)
    answer = client.post(f"{url}/record_findings", data={
        "record_findings-findings": "候诊延误，未告知患者。", "record_findings-responsibility": "partly_upheld",
        "record_findings-version": str(complaint.version), "record_findings-csrf_token": token})
    assert answer.status_code == 302
    db.session.expire_all()
    assert (complaint.findings, complaint.responsibility) == ("候诊延误，未告知患者。", "partly_upheld")
    assert complaint.events[-1].actor_id == world.staff.id
    answer = client.post(f"{url}/sign_off", data={
        "sign_off-response_text": "We are sorry.", "sign_off-version": str(complaint.version),
        "sign_off-csrf_token": token})
    assert answer.status_code == 403
    db.session.expire_all()
    assert complaint.state == State.investigating
    # The head signs off what the handler found.
    operations.perform(world.head, Action.sign_off, complaint, {"response_text": "We are sorry."},
                       complaint.version)
    db.session.commit()
    assert (complaint.state, complaint.signed_off_by_id) == (State.signed_off, world.head.id)


@pytest.mark.parametrize("action", [Action.sign_off, Action.respond, Action.extend, Action.assign, Action.accept,
                                    Action.hand_to_handler, Action.take_back, Action.propose_retriage,
                                    Action.escalate, Action.request_information])
def test_the_handler_takes_none_of_the_heads_own_steps(world, action):
    state = State.signed_off if action == Action.respond else State.investigating
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, state))
    assert not can(world.staff, action, complaint)
    assert can(world.staff, Action.note, complaint)


# --- taken back ---------------------------------------------------------------------------------------------


def test_taken_back_the_handler_no_longer_sees_it(world, client):
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    login(client, world.head)
    url = f"/complaints/{complaint.reference}"
    answer = client.post(f"{url}/take_back", data={"take_back-reason": "I answer this one in person.",
                                                  "take_back-version": str(complaint.version),
                                                  "take_back-csrf_token": csrf_token(client, url)})
    assert answer.status_code == 302
    db.session.expire_all()
    assert complaint.handler_id is None
    assert complaint.events[-1].data == {"handler_taken_off": "Staff-Card", "handler_taken_off_id": world.staff.id,
                                         "reason": "I answer this one in person."}
    html = page(client, complaint).get_data(as_text=True)
    assert "<dt>Handler</dt><dd>Staff-Card</dd>" not in html and "Handler taken off" in html
    login(client, world.staff)
    assert page(client, complaint).status_code == 404
    assert counts(client.get("/queue?lang=en").get_data(as_text=True)) == {"mine": 0, "to_find": 0, "history": 0}


@pytest.mark.parametrize("how", ["transfer", "send_back"])
def test_leaving_the_department_takes_the_handler_off(world, how):
    state = State.investigating if how == "transfer" else State.assigned
    complaint = factories.make_complaint(world, state)
    if how == "send_back":  # handed while investigating, then assigned to it again from reception's side
        complaint.handler_id = world.staff.id
        db.session.commit()
        operations.perform(world.head, Action.send_back, complaint, {"reason": "Not ours at all."},
                           complaint.version)
    else:
        factories.hand_to_staff(world, complaint)
        operations.perform(world.reception, Action.assign, complaint, {"department_id": world.nursing.id},
                           complaint.version)
    db.session.commit()
    assert complaint.handler_id is None
    assert complaint.events[-1].data["handler_taken_off"] == "Staff-Card"
    assert not can(world.staff, "view", complaint)


def test_marked_an_integrity_complaint_it_leaves_the_handler_and_is_never_handed_again(world):
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    relay.send_pending()
    assert db.session.scalars(select(StaffNotification.user_id).where(
        StaffNotification.complaint_id == complaint.id)).all().count(world.staff.id) == 1
    operations.perform(world.reception, Action.mark_integrity, complaint,
                       {"reason": "The patient says the surgeon asked for a red envelope."}, complaint.version)
    db.session.commit()
    assert complaint.handler_id is None
    assert complaint.events[-1].data["handler_taken_off"] == "Staff-Card"
    assert not can(world.staff, "view", complaint)
    # What the handler was told of it is gone from their bell, as from the heads'.
    assert world.staff.id not in db.session.scalars(select(StaffNotification.user_id).where(
        StaffNotification.complaint_id == complaint.id)).all()
    # The discipline office, in the head's place, is not offered to hand it to the department's staff.
    assert not can(world.supervision, Action.hand_to_handler, complaint)


def test_the_database_refuses_a_handler_on_an_integrity_complaint_or_without_a_department(world):
    integrity = factories.make_complaint(world, State.investigating, integrity=True)
    registered = factories.make_complaint(world, State.registered)
    for complaint in (integrity, registered):
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE complaints SET handler_id = :h WHERE id = :id"),
                               {"h": world.staff.id, "id": complaint.id})
            db.session.flush()
        db.session.rollback()


def test_a_staff_account_needs_a_department(world):
    with pytest.raises(IntegrityError):
        factories.make_user("staff-nowhere", "staff")
        db.session.flush()
    db.session.rollback()


def test_the_administrator_gives_a_staff_account_its_department(world):
    with force_locale("en"):
        with pytest.raises(Refused) as refused:
            accounts.create_account(world.admin, username="staff-new", display_name="New Staff", role="staff",
                                    department=None, language=None, password="lantern over the river",
                                    must_change_password=True)
        assert {k: str(v) for k, v in refused.value.errors.items()} == {
            "department": "Department staff need a department."}
    made = accounts.create_account(world.admin, username="staff-new", display_name="New Staff", role="staff",
                                   department=world.nursing, language=None, password="lantern over the river",
                                   must_change_password=True)
    db.session.commit()
    assert (made.role, made.department.code) == ("staff", "NURS")


# --- the handler is told it is taken back ------------------------------------------------------------------


def told(kind: str) -> list[tuple[int, str, str, str]]:
    """(recipient, channel, subject, body) of what was queued of `kind`, in the order queued."""
    return [tuple(row) for row in db.session.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.channel, OutboxMessage.subject, OutboxMessage.body)
        .where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()]


@pytest.mark.parametrize(("language", "subject", "body"), [
    ("en", "Complaint {ref} is no longer handed to you",
     "The head of Cardiology took the investigation of complaint {ref} back from you, so you no longer see it. "
     "Why: I answer this one in person."),
    ("zh", "投诉 {ref} 不再交由您经办",
     "心血管内科负责人已将投诉 {ref} 的调查从您处收回，您不再能看到该投诉。原因：I answer this one in person。"),
])
def test_taken_back_the_handler_is_told_in_their_language(world, language, subject, body):
    world.staff.language = language
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    operations.perform(world.head, Action.take_back, complaint, {"reason": "I answer this one in person."},
                       complaint.version)
    db.session.commit()
    ref = complaint.reference
    # To the handler alone, in-app (staff accounts have no email address); nobody else hears of it.
    assert told("taken_back_from_you") == [(world.staff.id, "in_app", subject.format(ref=ref), body.format(ref=ref))]
    relay.send_pending()
    [notification] = db.session.scalars(select(StaffNotification).where(
        StaffNotification.kind == "taken_back_from_you")).all()
    assert notification.user_id == world.staff.id


def test_taken_back_without_a_reason_the_handler_reads_no_why(world):
    world.staff.language = "en"
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.signed_off))
    operations.perform(world.head, Action.take_back, complaint, {}, complaint.version)
    db.session.commit()
    [(_who, _how, _subject, body)] = told("taken_back_from_you")
    assert body == (f"The head of Cardiology took the investigation of complaint {complaint.reference} back from "
                    "you, so you no longer see it.")


# --- a handler who can no longer handle it ----------------------------------------------------------------


def admin_client(app, world):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, world.admin)
    return client, csrf_token(client, "/admin/accounts")


def three_handed(world):
    """Two open complaints handed to cardiology's staff member, and one handed to them and closed since."""
    first = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    second = factories.hand_to_staff(world, factories.make_complaint(world, State.signed_off))
    closed = factories.hand_to_staff(world, factories.make_complaint(world, State.closed))
    world.head.language = "en"
    db.session.commit()
    return first, second, closed


def test_deactivated_the_handler_gives_back_every_open_complaint_to_the_head_at_once(world, app_ctx):
    first, second, closed = three_handed(world)
    closed_events = len(closed.events)
    client, token = admin_client(app_ctx, world)
    answer = client.post(f"/admin/accounts/{world.staff.id}/deactivate",
                         data={"csrf_token": token, "version": str(world.staff.version)})
    assert answer.status_code == 302
    db.session.expire_all()
    assert world.staff.active is False
    for complaint in (first, second):
        assert complaint.handler_id is None
        event = complaint.events[-1]
        assert (event.action, event.actor_id) == ("handler_left", None)
        assert event.data == {"handler_taken_off": "Staff-Card", "handler_taken_off_id": world.staff.id,
                              "why": "deactivated", "account_changed_by": "Admin", "automatic": True}
    # The closed one keeps its record as it was: its handler, no new event.
    assert (closed.handler_id, len(closed.events)) == (world.staff.id, closed_events)
    # The head hears of each, once; nobody else does.
    assert told("handler_left") == [
        (world.head.id, "in_app", f"Complaint {c.reference} is back with you: its handler left",
         f"Complaint {c.reference} was handed to Staff-Card, but their account was deactivated, so it is back with "
         f"you. Handle it yourself or hand it to another member of Cardiology's staff; the response is due by "
         f"{due}.") for c, due in ((first, "25 November 2026"), (second, "25 November 2026"))]
    # The head's page names no handler now, and its timeline says why.
    login(client, world.head)
    html = page(client, first).get_data(as_text=True)
    assert "<dt>Handler</dt><dd>" not in html
    assert "Back from a handler who left" in html and "The handler&#39;s account was deactivated" in html
    assert "Account changed by" in html
    assert f'action="/complaints/{first.reference}/hand_to_handler"' in html
    # Nor does the closed complaint's page name them as its handler any more (its record still does).
    assert "<dt>Handler</dt><dd>" not in page(client, closed).get_data(as_text=True)


@pytest.mark.parametrize(("role", "department", "why"), [("reception", None, "role"), ("head", "cardiology", "role"),
                                                          ("staff", "nursing", "department")])
def test_given_another_role_or_department_the_handler_gives_back_what_was_handed(world, app_ctx, role,
                                                                                department, why):
    first, second, closed = three_handed(world)
    client, token = admin_client(app_ctx, world)
    answer = client.post(f"/admin/accounts/{world.staff.id}", data={
        "csrf_token": token, "version": str(world.staff.version), "display_name": "Staff-Card", "role": role,
        "department": str(getattr(world, department).id) if department else "", "language": ""})
    assert answer.status_code == 302
    db.session.expire_all()
    assert [c.handler_id for c in (first, second, closed)] == [None, None, world.staff.id]
    assert [(c.events[-1].action, c.events[-1].data["why"]) for c in (first, second)] == [("handler_left", why)] * 2
    words = {"role": "their account was given another role",
             "department": "their account was moved to another department"}[why]
    assert [body.split(", but ")[1].split(", so")[0] for who, _c, _s, body in told("handler_left")
            if who == world.head.id] == [words] * 2
    # Made cardiology's head, they hear it as a head too (in the staff language); nursing's head never does.
    assert {who for who, *_rest in told("handler_left")} == (
        {world.head.id, world.staff.id} if role == "head" else {world.head.id})
    if role == "staff":  # moved to nursing, they see none of cardiology's complaints
        assert db.session.scalars(select(Complaint.id).where(visible(world.staff))).all() == []


def test_a_change_that_leaves_the_handler_where_they_are_gives_back_nothing(world, app_ctx):
    first = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    accounts.change_account(world.admin, world.staff, None, display_name="Staff-Card, RN", role="staff",
                            department=world.cardiology, language="en")
    db.session.commit()
    assert first.handler_id == world.staff.id
    assert told("handler_left") == []


def test_the_command_line_deactivation_gives_it_back_as_the_system(world, app_ctx):
    first = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    result = app_ctx.test_cli_runner().invoke(args=["users", "deactivate", world.staff.username])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert first.handler_id is None
    assert first.events[-1].data == {"handler_taken_off": "Staff-Card", "handler_taken_off_id": world.staff.id,
                                     "why": "deactivated", "automatic": True}


def test_the_directory_at_sign_in_gives_back_what_an_account_it_moves_or_deactivates_held(world):
    from intranet.auth import directory_login
    from intranet.auth.directory_groups import DirectoryGroup

    moved = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    world.staff.source = "directory"
    nursing_staff = DirectoryGroup(name="nursing-staff", role="staff", department=world.nursing)
    db.session.add(nursing_staff)
    db.session.commit()
    # The directory now puts the person in nursing's staff group: the sign-in moves the account.
    person = directory_login.Person(dn="uid=staff-card", username="staff-card", name="Staff-Card",
                                    groups=["nursing-staff"])
    directory_login.bring_up_to_date(world.staff, person, nursing_staff)
    db.session.commit()
    assert moved.handler_id is None
    assert moved.events[-1].data == {"handler_taken_off": "Staff-Card", "handler_taken_off_id": world.staff.id,
                                     "why": "department", "by_directory": True, "automatic": True}
    # Later the directory no longer has them: what nursing's head handed them goes back too.
    handed = factories.make_complaint(world, State.investigating)
    operations.perform(world.reception, Action.assign, handed, {"department_id": world.nursing.id}, handed.version)
    operations.perform(world.other_head, Action.accept, handed, {}, handed.version)
    operations.perform(world.other_head, Action.hand_to_handler, handed, {"handler_id": world.staff.id},
                       handed.version)
    db.session.commit()
    directory_login.deactivate(world.staff, "gone")
    db.session.commit()
    assert handed.handler_id is None
    assert (handed.events[-1].action, handed.events[-1].data["why"], handed.events[-1].data["by_directory"]) == (
        "handler_left", "deactivated", True)
    assert [who for who, *_rest in told("handler_left")] == [world.head.id, world.other_head.id]


def test_the_page_never_names_a_handler_who_is_no_longer_of_the_department(world, client):
    # Written past the account's writer (as an older release left it): the page and the rows name nobody.
    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))
    db.session.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": world.staff.id})
    db.session.commit()
    login(client, world.head)
    assert "<dt>Handler</dt><dd>" not in page(client, complaint).get_data(as_text=True)
    assert '<small class="handler">' not in client.get("/queue?q=investigating&lang=en").get_data(as_text=True)


def test_every_writer_of_an_account_s_role_department_or_active_flag_says_so():
    """A new writer of an account (another sign-in, an import) that forgot account_changed() would leave
    complaints with a handler who left: every function that sets them calls it (a reactivation need not)."""
    from pathlib import Path

    import intranet

    writes = re.compile(r"^\s*(?:user\.\w+\s*,\s*)*user\.(?:active|role|department|department_id)\b"
                        r"(?:\s*,\s*user\.\w+)*\s*=(?!=)(?P<value>.*)$", re.MULTILINE)
    writers = set()
    for path in Path(intranet.__file__).parent.rglob("*.py"):
        source = path.read_text()
        for found in writes.finditer(source):
            if found["value"].strip() == "True":
                continue
            start = source.rfind("\ndef ", 0, found.start())
            end = source.find("\ndef ", found.end())
            function = source[start:end if end != -1 else None]
            name = function.split("(")[0].removeprefix("\ndef ")
            writers.add((path.name, name, "account_changed(" in function))
    assert writers == {("accounts.py", "change_account", True), ("accounts.py", "deactivate", True),
                       ("directory_login.py", "deactivate", True), ("directory_login.py", "bring_up_to_date", True)}


def test_a_head_acting_on_a_handed_complaint_at_the_same_moment_leaves_the_account_as_it_was(world, app_ctx,
                                                                                             monkeypatch):
    from intranet.complaints import handing

    complaint = factories.hand_to_staff(world, factories.make_complaint(world, State.investigating))

    def raced(*args, **kwargs):  # what perform() does when another request committed first
        db.session.rollback()
        raise operations.Conflict(complaint, [])

    monkeypatch.setattr(handing.operations, "perform", raced)
    client, token = admin_client(app_ctx, world)
    answer = client.post(f"/admin/accounts/{world.staff.id}/deactivate?lang=en",
                         data={"csrf_token": token, "version": str(world.staff.version)})
    assert answer.status_code == 422
    assert ("A complaint handed to this account changed at the same moment, so nothing was saved. Try again."
            in answer.get_data(as_text=True))
    db.session.expire_all()
    assert (world.staff.active, complaint.handler_id) == (True, world.staff.id)
