"""`flask --app wsgi sla sweep`: escalates each breach once, reminds of what is due next working
day, and a second run changes nothing. Frozen time throughout."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, Role, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.complaints.permissions import can
from intranet.complaints.sweep import sweep
from intranet.core.extensions import db
from intranet.core.roles import SYSTEM
from intranet.core.time import clock_at
from intranet.deadlines.models import DeadlineBreach
from intranet.notifications.models import OutboxMessage
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def state_of_the_world():
    """Everything a sweep may write: events, escalation levels, breaches, outbox rows."""
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    levels = dict(db.session.execute(select(Complaint.id, Complaint.escalation_level)).all())
    return {"events": count(ComplaintEvent), "breaches": count(DeadlineBreach), "outbox": count(OutboxMessage),
            "levels": levels}


def test_the_system_may_escalate_and_attach_an_email_and_nothing_else(world):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
    assert Role.system in Action.escalate.spec.roles
    allowed = [a for a in Action if a.spec.sources is not None and can(SYSTEM, a, complaint)]
    # The sweep escalates; the mail poller attaches a complainant's email to their complaint.
    assert allowed == [Action.escalate, Action.email_received]
    # A closed complaint is not escalated, by the system or anyone.
    with clock_at(at(2026, 3, 2)):
        closed = factories.make_complaint(world, State.closed)
    assert not can(SYSTEM, Action.escalate, closed)


def test_overdue_complaints_are_escalated_once_and_a_second_run_changes_nothing(world):
    with clock_at(at(2026, 3, 2)):  # Monday: acknowledge by the 3rd, respond by the 9th
        late = factories.make_complaint(world, State.investigating)
        on_time = factories.make_complaint(world, State.investigating)
        operations.perform(world.reception, Action.note, on_time, {"text": "x"}, on_time.version)
        db.session.commit()
    with clock_at(at(2026, 3, 4)):
        fresh = factories.make_complaint(world)  # acknowledge by the 5th, respond by the 11th
        operations.perform(world.head, Action.extend, on_time,
                           {"new_due_on": date(2026, 3, 20), "reason": "r", "complainant_told_via": "phone"},
                           on_time.version)
        on_time.acknowledged_at = at(2026, 3, 2)  # (set directly: only the response clock matters here)
        db.session.commit()

    with clock_at(at(2026, 3, 10, 2)):
        report = sweep()
        first = state_of_the_world()
        again = sweep()
        second = state_of_the_world()

    assert report.escalated == [late.reference, fresh.reference]
    assert report.breaches == 3  # late: acknowledgement and response; fresh: acknowledgement
    assert first["levels"][late.id] == 1
    assert first["levels"][on_time.id] == 0 and first["levels"][fresh.id] == 1  # fresh: acknowledgement
    # The second run adds nothing at all.
    assert second == first
    assert again.breaches == 0 and again.escalated == [] and again.reminders == 0

    db.session.expire_all()
    event = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == late.id)
                               .order_by(ComplaintEvent.id.desc())).first()
    assert event.action == "escalate" and event.actor_id is None
    assert event.data["automatic"] is True and event.data["level"] == 1
    assert {m["clock"] for m in event.data["missed"]} == {"acknowledge", "response"}
    # Leadership heard of it (operations tells them of every escalation), once.
    escalated = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalated",
                                                               OutboxMessage.complaint_id == late.id)).all()
    assert escalated and len({m.recipient_user_id for m in escalated}) == len(escalated)


def test_a_missed_extended_due_date_is_a_new_breach(world):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
        complaint.acknowledged_at = at(2026, 3, 2)
        db.session.commit()
    with clock_at(at(2026, 3, 10)):
        assert sweep().escalated == [complaint.reference]
        operations.perform(world.head, Action.extend, complaint,
                           {"new_due_on": date(2026, 3, 12), "reason": "Records", "complainant_told_via": "phone"},
                           complaint.version)
        db.session.commit()
        assert sweep().escalated == []
    with clock_at(at(2026, 3, 13)):
        assert sweep().escalated == [complaint.reference]
        assert sweep().escalated == []
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).escalation_level == 2
    breaches = db.session.scalars(select(DeadlineBreach.due_on).order_by(DeadlineBreach.due_on)).all()
    assert breaches == [date(2026, 3, 9), date(2026, 3, 12)]


def test_what_is_due_the_next_working_day_gets_one_reminder(world):
    with clock_at(at(2026, 3, 2)):  # respond by Monday the 9th
        complaint = factories.make_complaint(world, State.investigating)
        complaint.acknowledged_at = at(2026, 3, 2)
        db.session.commit()
    with clock_at(at(2026, 3, 5)):  # Thursday: Friday is next, nothing due
        assert sweep().reminders == 0
    with clock_at(at(2026, 3, 6)):  # Friday: Monday is the next working day
        report = sweep()
        assert report.reminders >= 1 and report.escalated == []
        before = state_of_the_world()
        assert sweep().reminders == 0
        assert state_of_the_world() == before
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "due_tomorrow")).all()
    assert rows and all(r.key.startswith(f"due_tomorrow:{complaint.id}:response:2026-03-09") for r in rows)
    # The department's head is told (the assignee).
    assert world.head.id in {r.recipient_user_id for r in rows}


def test_queues_do_not_wait_for_the_sweep_and_the_sweep_does_not_change_them(world):
    from intranet.complaints.queues import counts

    with clock_at(at(2026, 3, 2)):
        factories.make_complaint(world, State.investigating)
    with clock_at(at(2026, 3, 10)):
        before = counts(world.leadership)["overdue"]
        sweep()
        assert before == counts(world.leadership)["overdue"] == 1
        assert counts(world.leadership)["escalated"] == 1


def test_the_cli(world, app_ctx):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
    runner = app_ctx.test_cli_runner()
    with clock_at(at(2026, 3, 10)):
        result = runner.invoke(args=["sla", "sweep"])
        assert result.exit_code == 0, result.output
        assert f"escalated {complaint.reference}" in result.output
        result = runner.invoke(args=["sla", "sweep"])
        assert result.exit_code == 0 and "0 new breaches, 0 complaints escalated, 0 reminders" in result.output


def _escalated(complaint) -> bool:
    level = db.session.scalar(select(Complaint.escalation_level).where(Complaint.id == complaint.id))
    db.session.rollback()  # hold no lock while waiting: the sweep needs it
    return bool(level)


def _wait_until(condition, process) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sweep did not get to it in 30 s"
        time.sleep(0.1)


def test_every_keeps_sweeping_until_sigterm(world, database_url):
    """`make run` keeps the sweep running beside the server, as production's timer runs it: a complaint
    that falls overdue while it runs is escalated by a later pass, and a pass that finds nothing says
    nothing. (The process runs on the real clock, weeks after these complaints fell due.)"""
    first = factories.make_complaint(world, State.investigating)
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "REDRESS_ENV": "testing"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "sla", "sweep", "--every", "0.2"],
        cwd=Path(__file__).resolve().parent.parent, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: _escalated(first), process)
        second = factories.make_complaint(world, State.investigating)
        db.session.commit()
        _wait_until(lambda: _escalated(second), process)
        time.sleep(0.5)  # passes that find nothing
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Stopped." in err
    assert [line for line in out.splitlines() if line.startswith("escalated")] == [
        f"escalated {first.reference}", f"escalated {second.reference}"]
    assert "0 new breaches" not in out
