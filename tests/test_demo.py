"""The demo hospital (`flask --app wsgi demo`): every state, the documented logins, a believable timeline,
and a second run that adds nothing."""

import re

from sqlalchemy import func, select

from intranet.complaints.lifecycle import State
from intranet.complaints.models import Complaint, ComplaintLetter, Severity
from intranet.core.extensions import db
from intranet.core.users import User
from intranet.demo import DEPARTMENTS, PASSWORD, head_username, load_demo
from intranet.directory.models import StaffMember
from intranet.notifications.models import OutboxMessage

LOGINS = (["reception", "leadership", "discipline", "admin"] + [head_username(code) for code, *_rest in DEPARTMENTS]
          + ["staff-card", "staff-card-2", "staff-nurs", "staff-ed"])

# How a demo referral's text names each referring body, by language, and the pattern of its case numbers.
CASE_NUMBERS = {"12345": r"12345-2026-\d{7}", "12320": r"12320-2026-\d{6}",
                "HEALTH_COMMISSION": r"示卫投转〔2026〕\d{1,3}号", "OTHER": r"示信转〔2026〕\d{1,3}号"}
REFERRED = {code: {"zh": (zh, CASE_NUMBERS[code]), "en": (en, CASE_NUMBERS[code])} for code, zh, en in (
    ("12345", "12345热线", "12345 hotline"), ("12320", "12320卫生热线", "12320 health hotline"),
    ("HEALTH_COMMISSION", "市卫健委", "city health commission"), ("OTHER", "市信访局", "city petitions bureau"))}


def _row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_demo_covers_every_state_with_the_documented_logins_and_is_idempotent(app_ctx):
    lines = load_demo()
    printed = "\n".join(lines)

    statuses = set(db.session.scalars(select(Complaint.status).distinct()))
    assert statuses == {state.value for state in State}
    for state in State:
        assert state.value in printed

    assert "head-card" in LOGINS
    for username in LOGINS:
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        assert user.check_password(PASSWORD), username
        assert username in printed
    assert PASSWORD in printed
    for code, *_rest in DEPARTMENTS:
        head = db.session.scalar(select(User).where(User.username == head_username(code)))
        assert head.role == "head" and head.department.code == code

    # The staff directory: 60 people, each head's own entry linked to their login.
    assert db.session.scalar(select(func.count()).select_from(StaffMember)) == 60
    heads = db.session.scalars(select(User).where(User.role == "head").order_by(User.username)).all()
    assert {(h.username, db.session.get(StaffMember, h.staff_member_id).department.code) for h in heads} == {
        (head_username(code), code) for code, *_rest in DEPARTMENTS}
    assert db.session.get(StaffMember, heads[0].staff_member_id).name == "刘志强"  # head-card, 刘志强（心血管内科主任）

    complaints = db.session.scalars(select(Complaint)).all()
    reception = db.session.scalar(select(User).where(User.username == "reception"))
    for complaint in complaints:
        times = [event.at for event in complaint.events]
        assert times == sorted(times) and times[0] == complaint.received_at, complaint.reference
        # A major complaint is answered only after leadership approved the response.
        if complaint.severity == Severity.major and complaint.state in (State.signed_off, State.responded,
                                                                         State.closed):
            assert "approve" in [event.action for event in complaint.events], complaint.reference
    assert any(c.reopened_count for c in complaints)
    assert any(c.escalation_level for c in complaints)
    assert any(c.confidential for c in complaints) and any(c.anonymous for c in complaints)
    # Referrals: one's details recorded afterwards, and reported back once answered (one still waits).
    walked = {event.action for c in complaints for event in c.events}
    assert {"record_referral", "report_back"} <= walked
    assert any(c.to_report_back for c in complaints)
    # A referral's text names the body that referred it, its case number is in that body's pattern, and
    # the report back says who was told.
    referrals = [c for c in complaints if c.channel == "referral"]
    assert {c.referral_body.code for c in referrals} == set(REFERRED)
    for c in referrals:
        named, pattern = REFERRED[c.referral_body.code][c.language]
        assert c.what_happened.startswith(("【" + named, f"[Referred by the {named}] ")), c.what_happened
        assert c.referral_case_number and re.fullmatch(pattern, c.referral_case_number), c.referral_case_number
        assert c.report_back_text is None or named in c.report_back_text, c.report_back_text
    # Two integrity complaints, the discipline office's: one to investigate, one with findings to sign off.
    integrity = [c for c in complaints if c.integrity]
    assert [(c.state, bool(c.findings)) for c in sorted(integrity, key=lambda c: c.received_at)] == [
        (State.investigating, True), (State.investigating, False)]
    office = db.session.scalar(select(User).where(User.username == "discipline"))
    assert office.role == "supervision"
    assert all(e.actor_id == office.id for c in integrity for e in c.events
               if e.action in ("accept", "record_findings"))

    # Department staff (科室经办人): heads handed them complaints; they recorded the findings of some; one was
    # taken back, and its handler sees it no more.
    staff = {u.username: u for u in db.session.scalars(select(User).where(User.role == "staff"))}
    assert {(name, u.department.code) for name, u in staff.items()} == {
        ("staff-card", "CARD"), ("staff-card-2", "CARD"), ("staff-nurs", "NURS"), ("staff-ed", "ED")}
    handed = [c for c in complaints if any(e.action == "hand_to_handler" for e in c.events)]
    assert len(handed) == 5
    assert sum(1 for c in handed if c.handler_id is not None) == 4
    [taken_back] = [c for c in handed if c.handler_id is None]
    # Its last handling step is the take back (the head has since offered a remedy on it).
    assert [e.action for e in taken_back.events if e.action in ("hand_to_handler", "take_back")][-1] == "take_back"
    by_handlers = [c for c in handed if any(e.action == "record_findings" and e.actor_id in
                                            {u.id for u in staff.values()} for e in c.events)]
    assert len(by_handlers) == 3
    # Every answer the demo gives by letter or by email has its reply letter, in the complainant's language.
    letters = db.session.scalars(select(ComplaintLetter)).all()
    assert {language: sum(1 for x in letters if x.language == language) for language in ("zh", "en")} == {
        "zh": 10, "en": 8}
    assert all(x.answer.method in ("written", "email") and x.text.count("\n\n") >= 5 for x in letters)
    # Co-handling, each of its steps at least once, two departments asked each time: one complaint signed off
    # once both parts were in, one with a department taken off and the other's part still due, one with a
    # part leadership waived and the other still due.
    # Re-triage: reception raised one complaint to major; a head proposed another involves several
    # departments, and reception accepted.
    retriaged = {e.action: c for c in complaints for e in c.events
                 if e.action in ("retriage", "propose_retriage", "accept_retriage")}
    assert sorted(retriaged) == ["accept_retriage", "propose_retriage", "retriage"]
    assert retriaged["retriage"].severity == "major" and retriaged["retriage"].state == State.investigating
    assert retriaged["accept_retriage"] is retriaged["propose_retriage"]
    assert retriaged["accept_retriage"].complexity == "several_departments"
    co_handled = [c for c in complaints if c.contributions]
    walked = {e.action for c in co_handled for e in c.events}
    assert {"ask_contribution", "contribute", "remove_contribution", "waive_contribution"} <= walked
    assert sorted((c.state.value, len(c.contributions), sum(bool(r.contributed_at) for r in c.contributions),
                   sum(bool(r.removed_at) for r in c.contributions), sum(bool(r.waived_at) for r in c.contributions))
                  for c in co_handled) == [("investigating", 2, 0, 0, 1), ("investigating", 2, 0, 1, 0),
                                           ("signed_off", 2, 2, 0, 0)]

    # Medical disputes, recorded by reception: a closed complaint taken to the mediation committee and settled
    # there; one still to be answered (awaiting leadership's approval) taken to court, still under way, and so off
    # the office's clocks.
    disputed = sorted((c for c in complaints if c.disputes), key=lambda c: c.received_at)
    assert [(c.state, [(d.route, d.outcome) for d in c.disputes]) for c in disputed] == [
        (State.closed, [("mediation", "settled")]), (State.awaiting_approval, [("court", None)])]
    assert all(e.actor_id == reception.id for c in disputed for e in c.events if "dispute" in e.action)
    sued = disputed[1]
    assert sued.disputed_since == sued.disputes[0].began_on and sued.late_clock() is None
    # Leadership and the department's head heard of each step: two for the mediation, one for the court.
    told = db.session.execute(select(OutboxMessage.kind, User.username).join(
        User, User.id == OutboxMessage.recipient_user_id).where(OutboxMessage.kind.like("dispute_%"))
        .order_by(OutboxMessage.id)).all()
    head = head_username(disputed[0].department.code)
    assert [tuple(row) for row in told] == [
        ("dispute_begun", "leadership"), ("dispute_begun_department", head), ("dispute_decided", "leadership"),
        ("dispute_decided_department", head), ("dispute_begun", "leadership"),
        ("dispute_begun_department", head_username(sued.department.code))]

    before = _row_counts()
    again = load_demo()
    assert _row_counts() == before
    assert "nothing new" in again[0]
