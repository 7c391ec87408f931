"""What the administrator keeps for deadlines: hospital days, the deadline policy; and the breaches the
sweep has found (so that each breach is escalated once)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.choices import Labelled
from ..core.database import enum_column
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow


class DayKind(Labelled):
    closed = "closed"  # the hospital's complaints office does not count this day
    working = "working"  # counted as a working day, whatever the national calendar says

    @staticmethod
    def LABELS():  # noqa: N802
        return {DayKind.closed: _l("Closed (not a working day)"), DayKind.working: _l("Working day")}


class Clock(Labelled):
    """The deadline policy's clocks, in working days (SPEC §4)."""

    acknowledge = "acknowledge"
    respond_simple = "respond_simple"
    respond_several_departments = "respond_several_departments"
    follow_up = "follow_up"
    reopened = "reopened"  # respond again, after the complainant said they were not satisfied

    @staticmethod
    def LABELS():  # noqa: N802
        return CLOCK_LABELS


CLOCK_LABELS = {
    Clock.acknowledge: _l("Acknowledge, from receipt"),
    Clock.respond_simple: _l("Respond, simple complaint, from receipt"),
    Clock.respond_several_departments: _l("Respond, several departments involved, from receipt"),
    Clock.follow_up: _l("Follow up, from the response"),
    Clock.reopened: _l("Respond again, from a reopening (complainant not satisfied)"),
}

# SPEC §4's defaults. The migration seeds the table with them; they also answer for a clock whose row is
# missing, so a deadline is never left unset.
DEFAULT_DAYS = {
    Clock.acknowledge: 1,
    Clock.respond_simple: 5,
    Clock.respond_several_departments: 10,
    Clock.follow_up: 3,
    Clock.reopened: 5,
}
MAX_DAYS = 60


class HospitalDay(db.Model):
    """A hospital-specific day that overrides the national calendar either way."""

    __tablename__ = "hospital_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(enum_column(DayKind, "hospital_day_kind"))
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_enum(self) -> DayKind:
        return DayKind(self.kind)


class DeadlinePolicy(db.Model):
    """How many working days each clock gives. Due dates are computed from it when set and then stored."""

    __tablename__ = "deadline_policies"
    __table_args__ = (CheckConstraint(f"working_days BETWEEN 1 AND {MAX_DAYS}", name="working_days_range"),)

    clock: Mapped[str] = mapped_column(enum_column(Clock, "deadline_clock"), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BreachClock(Labelled):
    """The clocks running on a complaint, as the sweep finds them missed."""

    acknowledge = "acknowledge"
    response = "response"
    follow_up = "follow_up"

    @staticmethod
    def LABELS():  # noqa: N802
        return {BreachClock.acknowledge: _l("Acknowledgement"), BreachClock.response: _l("Response"),
                BreachClock.follow_up: _l("Follow-up")}


class DeadlineBreach(db.Model):
    """A due date the sweep found missed. Unique per (complaint, clock, due date): a rerun finds the row and
    does nothing; an extension gives a new due date, which can be breached (and escalated) again."""

    __tablename__ = "deadline_breaches"
    __table_args__ = (UniqueConstraint("complaint_id", "clock", "due_on", name="uq_deadline_breaches_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    clock: Mapped[str] = mapped_column(enum_column(BreachClock, "breach_clock"))
    due_on: Mapped[date] = mapped_column(Date)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
