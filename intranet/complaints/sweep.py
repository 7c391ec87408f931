"""The SLA sweep (`flask --app wsgi sla sweep`, run by cron or a systemd timer, or kept running with `--every`).

Idempotent: every breach (complaint, clock, due date) is recorded once, and only a newly recorded breach
escalates, so a second run adds no event, escalation, breach or notification. An extension gives a new due
date, which is a new breach if it is missed too. Queues never depend on it: they compare the stored due
dates with today themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import click
from sqlalchemy import and_, or_, select

from ..core.database import insert_or_ignore
from ..core.extensions import db
from ..core.jobs import Job, register, repeat
from ..core.roles import SYSTEM
from ..core.time import local, utcnow
from ..deadlines.calendar import next_working_day
from ..deadlines.models import BreachClock, DeadlineBreach
from ..notifications.outbox import notify
from . import operations
from .lifecycle import OPEN, Action, State
from .models import Complaint, past_due
from .notices import DUE_TOMORROW


@dataclass
class SweepReport:
    breaches: int = 0
    escalated: list[str] = field(default_factory=list)
    reminders: int = 0
    skipped: list[str] = field(default_factory=list)  # changed by someone meanwhile: the next run retries


def running_clocks(complaint: Complaint) -> list[tuple[BreachClock, date, datetime | None]]:
    """The clocks still running on an open complaint, with their stored due dates and moments (hours). A
    medical dispute's complaint has none: the sweep neither escalates it nor reminds of its dates."""
    if not complaint.is_open or complaint.disputed_since is not None:
        return []
    clocks = []
    if complaint.acknowledged_at is None:
        clocks.append((BreachClock.acknowledge, complaint.acknowledge_due_on, complaint.acknowledge_due_at))
    if complaint.state == State.responded:
        clocks.append((BreachClock.follow_up, complaint.follow_up_due_on, complaint.follow_up_due_at))
    else:
        clocks.append((BreachClock.response, complaint.response_due_on, complaint.response_due_at))
    return [(clock, due, at) for clock, due, at in clocks if due is not None]


def _record_breach(complaint: Complaint, clock: BreachClock, due: date) -> bool:
    """Record the breach; False if it was recorded before (INSERT … ON CONFLICT DO NOTHING, so two sweeps
    running at once cannot both escalate it)."""
    table = DeadlineBreach.__table__
    statement = (
        insert_or_ignore(table, db.session)
        .values(complaint_id=complaint.id, clock=clock.value, due_on=due, found_at=utcnow())
        .returning(table.c.id)
    )
    return db.session.execute(statement).first() is not None


def sweep() -> SweepReport:
    """Escalate each newly breached deadline once; remind of what is due on the next working day."""
    report = SweepReport()
    moment = utcnow()
    now = local(moment).date()
    tomorrow = next_working_day(now)
    candidates = db.session.scalars(
        select(Complaint.id).where(
            Complaint.status.in_([s.value for s in OPEN]), Complaint.on_the_clocks(),
            or_(
                Complaint.overdue_clause(now),
                Complaint.due_on == tomorrow,
                and_(Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on == tomorrow),
            ),
        ).order_by(Complaint.id)
    ).all()
    for complaint_id in candidates:
        # One transaction per complaint: one that fails or conflicts does not undo the others.
        complaint = db.session.get(Complaint, complaint_id)
        missed = []
        for clock, due, at in running_clocks(complaint):
            # Missed by its moment (a clock in hours, within the day) or once its day is over.
            if past_due(due, at, moment) and _record_breach(complaint, clock, due):
                missed.append({"clock": clock.value, "due_on": due.isoformat()})
            elif due == tomorrow and not past_due(due, at, moment):
                report.reminders += notify(DUE_TOMORROW, complaint.about(),
                                           key=f"due_tomorrow:{complaint.id}:{clock}:{due}",
                                           data={"clock": clock.value, "due_on": due})
        if missed:
            report.breaches += len(missed)
            try:
                operations.perform(SYSTEM, Action.escalate, complaint, {"missed": missed}, complaint.version)
            except (operations.Conflict, operations.ActionRefused):
                db.session.rollback()
                report.skipped.append(complaint.reference)
                continue
            report.escalated.append(complaint.reference)
        db.session.commit()
    return report


def register_cli(app) -> None:
    @app.cli.group()
    def sla():
        """Deadline enforcement."""

    @sla.command("sweep")
    @click.option("--every", type=click.FloatRange(min=0.1), metavar="SECONDS",
                  help="Keep running: sweep again every SECONDS until SIGTERM or Ctrl-C (`make run` does this "
                       "for the demo; production uses a timer).")
    def sweep_command(every):
        """Escalate newly overdue complaints (once per missed due date); remind of what is due next working
        day. Safe to run as often as you like."""
        if every is None:
            _report(sweep(), quiet=False)
            return

        repeat(_sweep_pass, every, "Sweeping deadlines")

    register(app, Job("sweep", 300.0, _sweep_pass, "escalates what is overdue, reminds of what is due"))


def _sweep_pass(_stop) -> bool:
    _report(sweep(), quiet=True)
    return False  # nothing waits in a queue: the next pass is due only after the interval


def _report(report: SweepReport, *, quiet: bool) -> None:
    """What a sweep did; a repeated sweep says nothing of a pass that found nothing."""
    if quiet and not (report.breaches or report.reminders or report.skipped):
        return
    click.echo(f"{report.breaches} new breaches, {len(report.escalated)} complaints escalated, "
               f"{report.reminders} reminders queued")
    for reference in report.escalated:
        click.echo(f"escalated {reference}")
    for reference in report.skipped:
        click.echo(f"skipped {reference} (changed meanwhile; the next run retries)", err=True)
