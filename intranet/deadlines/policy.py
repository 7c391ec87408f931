"""The deadline policy: how many working days each clock gives, and the due dates it sets.

A due date is computed once, when the clock starts, and stored on the complaint; changing the policy
afterwards changes only the complaints that start a clock later (it never rewrites history).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..core.extensions import db
from ..core.time import utcnow
from .calendar import add_working_days
from .models import DEFAULT_DAYS, MAX_DAYS, Clock, DeadlinePolicy


def working_days(clock: Clock | str) -> int:
    clock = Clock(clock)
    # No autoflush: this runs in the middle of an operation, whose complaint must be written once (each
    # UPDATE bumps the optimistic-lock version).
    with db.session.no_autoflush:
        days = db.session.scalar(select(DeadlinePolicy.working_days).where(DeadlinePolicy.clock == clock.value))
    return days if days is not None else DEFAULT_DAYS[clock]


def all_working_days() -> dict[Clock, int]:
    stored = dict(db.session.execute(select(DeadlinePolicy.clock, DeadlinePolicy.working_days)).all())
    return {clock: stored.get(clock.value, DEFAULT_DAYS[clock]) for clock in Clock}


def set_working_days(clock: Clock | str, days: int, user=None) -> DeadlinePolicy:
    """Change one clock (the caller commits). Raises ValueError outside 1..MAX_DAYS."""
    clock = Clock(clock)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(days)
    row = db.session.get(DeadlinePolicy, clock.value)
    if row is None:
        row = DeadlinePolicy(clock=clock.value)
        db.session.add(row)
    row.working_days = days
    row.updated_at = utcnow()
    row.updated_by_id = getattr(user, "id", None)
    return row


def respond_clock(complexity: str) -> Clock:
    return Clock.respond_several_departments if complexity == "several_departments" else Clock.respond_simple


def due_on(clock: Clock | str, start: date) -> date:
    """The due date for a clock starting on `start` (a hospital date), by today's policy."""
    return add_working_days(start, working_days(clock))


def due_dates(clocks: list[Clock], start: date) -> dict[Clock, date]:
    """due_on for several clocks starting the same day, from one query (a new complaint starts two)."""
    clocks = [Clock(clock) for clock in clocks]
    with db.session.no_autoflush:  # see working_days
        stored = dict(db.session.execute(select(DeadlinePolicy.clock, DeadlinePolicy.working_days)
                                          .where(DeadlinePolicy.clock.in_([c.value for c in clocks]))).all())
    days = {clock: stored.get(clock.value) for clock in clocks}
    return {clock: add_working_days(start, n if n is not None else DEFAULT_DAYS[clock]) for clock, n in days.items()}
