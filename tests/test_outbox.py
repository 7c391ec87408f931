"""The transactional outbox: rows written in the action's own transaction, one per recipient and
channel, never twice for one key; the relay delivers email to a real SMTP server (aiosmtpd on 127.0.0.1),
retries with backoff while it is down, delivers exactly once when it is back, and gives up after the
maximum attempts. On PostgreSQL, two relays at once over 1,000 rows send each exactly once."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.complaints import operations, registration
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.notices import DUE_TOMORROW
from intranet.core.extensions import db
from intranet.core.roles import SYSTEM
from intranet.core.time import clock_at, utcnow
from intranet.notifications import relay
from intranet.notifications.models import OutboxMessage, StaffNotification
from intranet.notifications.outbox import notify
from tests import factories
from tests.conftest import POSTGRES
from tests.smtp import SMTPServer, free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def smtp(app):
    server = SMTPServer().start()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
                                        "MAIL_USERNAME")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME=None)
    yield server
    server.stop()
    app.config.update(saved)


def rows(**where) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def recipients_of(kind: str) -> set[tuple[str, str]]:
    return {(r.channel, r.recipient) for r in rows(kind=kind)}


def act(world, role_key, action, complaint, **overrides):
    data = {**factories.action_data(action, world), **overrides}
    result = operations.perform(world.user(role_key), action, complaint, data, complaint.version)
    db.session.commit()
    return result


# --- written with the action, or not at all --------------------------------------------------------------


def test_rolled_back_action_leaves_no_outbox_row(world):
    complaint = factories.make_complaint(world, State.registered)
    operations.perform(world.reception, Action.assign, complaint, factories.action_data(Action.assign, world),
                       complaint.version)
    assert rows(kind="assigned")  # queued in the action's transaction…
    db.session.rollback()
    assert rows(kind="assigned") == []  # …and gone with it

    act(world, "reception", Action.assign, complaint)
    assert recipients_of("assigned") == {("in_app", str(world.head.id))}


def test_same_key_twice_queues_once(world):
    complaint = factories.make_complaint(world, State.assigned)
    assert notify(DUE_TOMORROW, complaint.about(), key="due:1") == 1
    assert notify(DUE_TOMORROW, complaint.about(), key="due:1") == 0
    db.session.commit()
    assert len(rows(kind="due_tomorrow")) == 1


# --- who hears what -------------------------------------------------------------------------------------


def test_head_hears_of_assignment_reception_of_send_back_and_sign_off(world):
    complaint = factories.make_complaint(world, State.registered)
    act(world, "reception", Action.assign, complaint)
    # Only the head of the department it went to.
    assert recipients_of("assigned") == {("in_app", str(world.head.id))}
    act(world, "head", Action.send_back, complaint)
    assert recipients_of("sent_back") == {("in_app", str(world.reception.id))}
    assert "This is a nursing matter" in rows(kind="sent_back")[0].body

    other = factories.make_complaint(world, State.signed_off)
    assert recipients_of("signed_off") == {("in_app", str(world.reception.id))}
    assert rows(kind="signed_off")[0].complaint_id == other.id


def test_leadership_hears_of_major_complaints_at_once_and_after_approval_reception_does(world):
    logged = registration.create(world.reception, {**factories.public_complaint_data(), "severity": "major",
                                                 "category_id": world.category.id}).complaint
    db.session.commit()
    assert recipients_of("major") == {("in_app", str(world.leadership.id))}

    triaged = factories.make_complaint(world, State.awaiting_approval)  # triaged as major on the way
    assert [r.complaint_id for r in rows(kind="major")] == [logged.id, triaged.id]
    assert rows(kind="signed_off") == []  # waiting for leadership, not ready to tell the complainant
    act(world, "leadership", Action.approve, triaged)
    assert recipients_of("signed_off") == {("in_app", str(world.reception.id))}


# A typed reason stands inside the message's sentence: whatever it ends with, the sentence ends once.
SENT_BACK_REASONS = [
    ("这是护理部的事", "科室退回了投诉 TS-2026-000001：这是护理部的事。请重新分派。"),
    ("这是护理部的事。", "科室退回了投诉 TS-2026-000001：这是护理部的事。请重新分派。"),
    ("这是护理部的事。。", "科室退回了投诉 TS-2026-000001：这是护理部的事。请重新分派。"),
    ("这是护理部的事！", "科室退回了投诉 TS-2026-000001：这是护理部的事。请重新分派。"),
    ("是护理部的事吗？", "科室退回了投诉 TS-2026-000001：是护理部的事吗。请重新分派。"),
    ("这是护理部的事；", "科室退回了投诉 TS-2026-000001：这是护理部的事。请重新分派。"),
    ("Nursing matter.", "科室退回了投诉 TS-2026-000001：Nursing matter。请重新分派。"),
    ("Nursing matter!", "科室退回了投诉 TS-2026-000001：Nursing matter。请重新分派。"),
    ("Nursing matter...", "科室退回了投诉 TS-2026-000001：Nursing matter。请重新分派。"),
    ("Nursing matter. ", "科室退回了投诉 TS-2026-000001：Nursing matter。请重新分派。"),
    ("v2.1 of the rota", "科室退回了投诉 TS-2026-000001：v2.1 of the rota。请重新分派。"),
]


@pytest.mark.parametrize("reason, body", SENT_BACK_REASONS)
def test_a_typed_reason_ends_the_sentence_once(world, reason, body):
    complaint = factories.make_complaint(world, State.assigned)
    act(world, "head", Action.send_back, complaint, reason=reason)
    assert rows(kind="sent_back")[0].body == body


def test_a_typed_reason_ends_the_sentence_once_in_english_too(world):
    complaint = factories.make_complaint(world, State.investigating, complainant_email="pat@example.org",
                                         language="en")
    act(world, "head", Action.extend, complaint, reason="Waiting for the ward's records.",
        new_due_on=complaint.response_due_on + timedelta(days=7))
    [email] = rows(kind="extended", channel="email")
    assert "properly: Waiting for the ward's records. The new date is" in email.body


# Each escalation tells leadership its own cause, in their language: a typed reason, the complainant not
# satisfied (in the tracking page's follow-up too), or the deadlines the sweep found missed.
ESCALATION_CAUSES = [
    ("head", Action.escalate, State.investigating, {"reason": "Complainant contacted the press."},
     "已升级：Complainant contacted the press."),
    ("reception", Action.follow_up, State.responded, {"satisfied": False}, "已升级：投诉人对答复不满意"),
    ("reception", Action.follow_up, State.responded, {"satisfied": False, "comment": "没人回电话。"},
     "已升级：投诉人对答复不满意"),
    ("public", Action.follow_up, State.responded, {"satisfied": False}, "已升级：投诉人对答复不满意"),
    ("system", Action.escalate, State.investigating, "missed", "已升级：已超期（答复，期限 2026年11月25日）"),
]


@pytest.mark.parametrize("actor, action, state, data, says", ESCALATION_CAUSES)
def test_leadership_hears_of_every_escalation_with_its_own_cause(world, actor, action, state, data, says):
    complaint = factories.make_complaint(world, state)
    if data == "missed":
        data = {"missed": [{"clock": "response", "due_on": complaint.response_due_on.isoformat()}]}
    user = {"system": SYSTEM, "public": None}[actor] if actor in ("system", "public") else world.user(actor)
    typed = {} if actor == "system" else factories.action_data(action, world)
    operations.perform(user, action, complaint, {**typed, **data}, complaint.version)
    db.session.commit()
    [row] = rows(kind="escalated")
    assert (row.complaint_id, row.recipient, row.language) == (complaint.id, str(world.leadership.id), "zh")
    assert says in row.body
    if action == Action.follow_up:
        assert "超期" not in row.body


# What the department's heads and leadership hear of what others did to a complaint (their bell), written
# out: (state, severity, who acts, action, its data) → the staff kinds queued, and for whom.
WHO_HEARS = [
    (State.responded, "minor", "reception", Action.follow_up, {"satisfied": False},
     {("escalated", "leadership"), ("reopened", "head"), ("escalated_department", "head")}),
    (State.awaiting_approval, "major", "leadership", Action.approve, {},
     {("signed_off", "reception"), ("approved", "head")}),
    (State.awaiting_approval, "major", "leadership", Action.return_for_rework, {"comment": "再核实一次。"},
     {("returned_for_rework", "head")}),
    (State.investigating, "minor", "reception", Action.escalate, {"reason": "Press."},
     {("escalated", "leadership"), ("escalated_department", "head")}),
    (State.registered, "minor", "reception", Action.escalate, {"reason": "Press."},  # no department yet
     {("escalated", "leadership")}),
    (State.investigating, "major", "head", Action.sign_off, {},
     {("awaiting_approval", "leadership")}),
    (State.investigating, "minor", "head", Action.sign_off, {},
     {("signed_off", "reception")}),
    # Re-triaged as major: leadership at once, the department of what reception changed; a response signed
    # off without approval goes to leadership as a sign-off of a major complaint does.
    (State.investigating, "minor", "reception", Action.retriage, {"severity": "major"},
     {("raised_to_major", "leadership"), ("retriaged", "head")}),
    (State.signed_off, "minor", "reception", Action.retriage, {"severity": "major"},
     {("raised_to_major", "leadership"), ("awaiting_approval", "leadership"), ("retriaged", "head")}),
    (State.investigating, "minor", "head", Action.propose_retriage, {},
     {("retriage_proposed", "reception")}),
    # A remedy above the threshold (¥2,000): leadership when it is proposed, and again when the response signed
    # off waits for it; the department of leadership's decision. ("_remedy": one proposed before, its amount.)
    (State.investigating, "minor", "head", Action.propose_remedy, {"kind": "compensation", "amount": "5000"},
     {("remedy_to_approve", "leadership")}),
    (State.investigating, "minor", "head", Action.sign_off, {"_remedy": "5000"},
     {("remedy_to_approve", "leadership")}),
    (State.investigating, "minor", "leadership", Action.approve_remedy, {"_remedy": "5000"},
     {("remedy_approved", "head")}),
    (State.investigating, "minor", "leadership", Action.refuse_remedy, {"_remedy": "5000"},
     {("remedy_refused", "head")}),
    (State.investigating, "minor", "head", Action.propose_remedy, {"kind": "refund", "amount": "380"}, set()),
]


@pytest.mark.parametrize(("state", "severity", "who", "action", "data", "heard"), WHO_HEARS,
                         ids=[f"{row[3].value}-from-{row[0].value}-{row[1]}" for row in WHO_HEARS])
def test_the_department_and_leadership_hear_what_others_did(world, state, severity, who, action, data, heard):
    complaint = factories.make_complaint(world, state, severity=severity)
    data = dict(data)
    if remedy := data.pop("_remedy", None):
        factories.propose_remedy(world, complaint, "compensation", remedy)
    if action == Action.sign_off:
        act(world, "head", Action.record_findings, complaint)
    before = max([r.id for r in rows()], default=0)
    act(world, who, action, complaint, **data)
    users = {str(world.user(key).id): key for key in ("reception", "leadership", "head", "other_head")}
    queued = {(r.kind, users.get(r.recipient, r.recipient)) for r in rows() if r.id > before and r.channel == "in_app"}
    assert queued == heard


def test_heads_read_why_leadership_returned_their_response(world):
    complaint = factories.make_complaint(world, State.awaiting_approval)
    act(world, "leadership", Action.return_for_rework, complaint, comment="Say what the ward changes.")
    [row] = rows(kind="returned_for_rework")
    assert row.language == "zh" and "Say what the ward changes." in row.body


def test_due_tomorrow_goes_to_whoever_holds_the_complaint(world):
    with_department = factories.make_complaint(world, State.investigating)
    with_reception = factories.make_complaint(world, State.registered)
    notify(DUE_TOMORROW, with_department.about(), key="t:1")
    notify(DUE_TOMORROW, with_reception.about(), key="t:2")
    db.session.commit()
    assert {(r.complaint_id, r.recipient) for r in rows(kind="due_tomorrow")} == {
        (with_department.id, str(world.head.id)), (with_reception.id, str(world.reception.id))}


def test_complainant_hears_in_their_language_only_with_an_email_and_not_anonymous(world):
    english = factories.make_complaint(world, State.submitted, complainant_email="pat@example.org", language="en")
    chinese = factories.make_complaint(world, State.submitted, complainant_email="wang@example.cn", language="zh")
    no_email = factories.make_complaint(world, State.submitted)
    anonymous = factories.make_complaint(world, State.submitted, anonymous=True, complainant_email="x@example.org")
    for complaint in (english, chinese, no_email, anonymous):
        act(world, "reception", Action.triage, complaint, acknowledged_via="phone")
    acknowledged = rows(kind="acknowledged")
    assert [(r.channel, r.recipient, r.language) for r in acknowledged] == [
        ("email", "pat@example.org", "en"), ("email", "wang@example.cn", "zh")]
    assert acknowledged[0].subject == f"We have received your complaint {english.reference}"
    assert acknowledged[1].subject == f"我们已收到您的投诉 {chinese.reference}"

    for complaint in (english,):
        act(world, "reception", Action.assign, complaint)
        act(world, "head", Action.extend, complaint, new_due_on=complaint.response_due_on + timedelta(days=7))
    assert [r.recipient for r in rows(kind="extended")] == ["pat@example.org"]
    assert "Waiting for the ward's records." in rows(kind="extended")[0].body


def test_sms_when_the_complainant_asked_for_text_messages(world):
    complaint = factories.make_complaint(world, State.registered, preferred_reply="sms",
                                         complainant_email="pat@example.org", language="en")
    act(world, "reception", Action.resolve_on_the_spot, complaint)
    assert {(r.channel, r.recipient) for r in rows(kind="responded")} == {
        ("email", "pat@example.org"), ("sms", "13800138000")}
    assert rows(kind="acknowledged") == []  # the answer itself tells them it was received


# --- delivery -------------------------------------------------------------------------------------------


def responded_complaint(world, **data):
    complaint = factories.make_complaint(world, State.signed_off, **data)
    act(world, "reception", Action.respond, complaint)
    return complaint


def test_email_delivered_with_subject_and_body_in_the_complainants_language(world, smtp):
    english = responded_complaint(world, complainant_email="pat@example.org", language="en")
    chinese = responded_complaint(world, complainant_email="wang@example.cn", language="zh")
    result = relay.send_pending()
    assert result.failed == result.retrying == 0

    delivered = {tuple(to): message for _sender, to, message in smtp.messages}
    assert set(delivered) == {("pat@example.org",), ("wang@example.cn",)}
    message = delivered[("pat@example.org",)]
    assert message["Subject"] == f"Our response to your complaint {english.reference}"
    assert message["To"] == "pat@example.org"
    body = message.get_content()
    assert "We are sorry. Delays are now announced." in body
    assert "We will contact you to ask whether you are satisfied" in body
    chinese_message = delivered[("wang@example.cn",)]
    assert chinese_message["Subject"] == f"对您的投诉 {chinese.reference} 的答复"
    assert "我们将联系您" in chinese_message.get_content()
    # Staff hear in-app; nothing internal went to the complainant.
    assert all("Head-Card" not in m.get_content() for _s, _t, m in smtp.messages)
    assert {r.status for r in rows()} == {"sent"}


def test_server_down_rows_stay_pending_with_backoff_then_delivered_exactly_once(app, world, smtp):
    complaint = responded_complaint(world, complainant_email="pat@example.org", language="en")
    smtp.stop()

    first = relay.send_pending()
    assert (first.retrying, first.failed) == (1, 0)  # the email; staff's in-app rows went through
    [row] = rows(channel="email")
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    wait = relay.backoff(1)
    assert row.next_attempt_at > utcnow() + wait - timedelta(seconds=5)
    assert relay.send_pending().handled == 0  # not due again yet

    with clock_at(utcnow() + wait + timedelta(seconds=1)):
        assert relay.send_pending().retrying == 1  # still down: the wait doubles
        db.session.expire_all()
        assert rows(channel="email")[0].attempts == 2
    assert relay.backoff(2) == 2 * relay.backoff(1)

    smtp.start()  # back, on the same port
    with clock_at(utcnow() + timedelta(days=1)):
        assert relay.send_pending().sent == 1
        assert relay.send_pending().handled == 0
    assert [to for _s, to, _m in smtp.messages] == [["pat@example.org"]]
    assert smtp.messages[0][2]["Subject"] == f"Our response to your complaint {complaint.reference}"
    db.session.expire_all()
    assert rows(channel="email")[0].status == "sent"


def test_gives_up_after_the_maximum_attempts_and_admins_see_it(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    responded_complaint(world, complainant_email="pat@example.org", language="en")
    later = utcnow()
    for _ in range(3):
        later += timedelta(days=1)
        with clock_at(later):
            relay.send_pending()
    db.session.expire_all()
    [row] = rows(channel="email")
    assert (row.status, row.attempts) == ("failed", 3)

    runner = app.test_cli_runner()
    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 0
    assert "failed: 1" in status.output and "pat@example.org" in status.output
    assert "Requeued 1 row(s)." in runner.invoke(args=["outbox", "retry"]).output
    db.session.expire_all()
    assert (rows(channel="email")[0].status, rows(channel="email")[0].attempts) == ("pending", 0)


def test_an_address_the_server_refuses_for_good_fails_at_once(world, smtp):
    smtp.recorder.refuse.add("nobody@example.org")
    responded_complaint(world, complainant_email="nobody@example.org", language="en")
    result = relay.send_pending()
    assert (result.failed, result.retrying) == (1, 0)  # a 550 will not change by retrying
    db.session.expire_all()
    [row] = rows(channel="email")
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error


def test_in_app_rows_become_staff_notifications_once(world):
    complaint = factories.make_complaint(world, State.assigned)
    relay.send_pending()
    relay.send_pending()
    notes = db.session.scalars(select(StaffNotification)).all()
    assert [(n.user_id, n.complaint_id, n.kind) for n in notes] == [(world.head.id, complaint.id, "assigned")]


SENT_SMS: list[tuple[str, str]] = []


def record_sms(phone: str, text: str) -> None:
    """A gateway stand-in named by SMS_SENDER, as a real one would be."""
    SENT_SMS.append((phone, text))


def test_sms_goes_through_the_configured_sender(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SENDER", "tests.test_outbox:record_sms")
    SENT_SMS.clear()
    complaint = factories.make_complaint(world, State.registered, preferred_reply="sms", language="en")
    act(world, "reception", Action.resolve_on_the_spot, complaint)
    assert relay.send_pending().sent == 1
    assert [phone for phone, _text in SENT_SMS] == ["13800138000"]
    assert complaint.reference in SENT_SMS[0][1]


# --- the command line -----------------------------------------------------------------------------------


def test_cli_send_reports_what_it_did(app, world, smtp):
    responded_complaint(world, complainant_email="pat@example.org", language="en")
    pending = len(rows(status="pending"))
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert f"sent {pending}, retrying 0, failed 0" in result.output
    assert len(smtp.messages) == 1


def test_watch_delivers_and_stops_cleanly_on_sigterm(app, world, database_url):
    complaint = factories.make_complaint(world, State.assigned)
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "REDRESS_ENV": "testing"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--watch", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            delivered = db.session.scalar(select(func.count()).select_from(StaffNotification))
            db.session.rollback()  # hold no lock while waiting: the relay needs it
            if delivered:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Stopped." in err
    assert db.session.scalars(select(StaffNotification.complaint_id)).all() == [complaint.id]


# --- two relays at once ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's; set DATABASE_URL")
def test_two_relays_at_once_send_each_of_1000_rows_exactly_once(app, world, smtp):
    complaint = factories.make_complaint(world, State.submitted)
    now = utcnow()
    db.session.execute(OutboxMessage.__table__.insert(), [
        dict(key=f"bulk:{i}", kind="acknowledged", channel="email", recipient=f"p{i}@example.org",
             language="en", subject=f"Message {i}", body="Hello", complaint_id=complaint.id, status="pending",
             attempts=0, next_attempt_at=now, created_at=now)
        for i in range(1000)
    ])
    db.session.commit()

    results, errors = [], []

    def run_relay():
        try:
            with app.app_context():  # its own session, so its own connection
                results.append(relay.send_pending(batch=25))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    relays = [threading.Thread(target=run_relay) for _ in range(2)]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join(timeout=300)
    assert errors == []
    ids = smtp.recorder.message_ids()
    assert len(ids) == 1000 and len(set(ids)) == 1000  # every row, none twice
    assert sum(r.sent for r in results) == 1000
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "sent")) == 1000
