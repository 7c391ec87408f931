"""The demo hospital (`flask --app wsgi demo`): every state, the documented logins, a believable timeline,
and a second run that adds nothing."""

from sqlalchemy import func, select

from intranet.complaints.lifecycle import State
from intranet.complaints.models import Complaint, Severity
from intranet.core.extensions import db
from intranet.core.users import User
from intranet.demo import DEPARTMENTS, PASSWORD, head_username, load_demo
from intranet.directory.models import StaffMember

LOGINS = ["reception", "leadership", "discipline", "admin"] + [head_username(code) for code, *_rest in DEPARTMENTS]


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
    # Two integrity complaints, the discipline office's: one to investigate, one with findings to sign off.
    integrity = [c for c in complaints if c.integrity]
    assert [(c.state, bool(c.findings)) for c in sorted(integrity, key=lambda c: c.received_at)] == [
        (State.investigating, True), (State.investigating, False)]
    office = db.session.scalar(select(User).where(User.username == "discipline"))
    assert office.role == "supervision"
    assert all(e.actor_id == office.id for c in integrity for e in c.events
               if e.action in ("accept", "record_findings"))

    before = _row_counts()
    again = load_demo()
    assert _row_counts() == before
    assert "nothing new" in again[0]
