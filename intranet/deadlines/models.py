"""What the administrator keeps for deadlines: hospital days, the deadline policy (one rule per clock and
severity); and the breaches the sweep has found (so that each breach is escalated once)."""

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
    """The deadline policy's clocks (SPEC §4). The response clock is two, by the complaint's complexity (one
    department or several): the policy's complexity dimension is these two clocks."""

    acknowledge = "acknowledge"
    respond_simple = "respond_simple"
    respond_several_departments = "respond_several_departments"
    follow_up = "follow_up"
    reopened = "reopened"  # respond again, after the complainant said they were not satisfied
    # Report back to the body that referred the complaint (12320, 12345…), once the complainant is answered,
    # when that body gave no reply-by date of its own.
    report_back = "report_back"

    @staticmethod
    def LABELS():  # noqa: N802
        return CLOCK_LABELS


CLOCK_LABELS = {
    Clock.acknowledge: _l("Acknowledge, from receipt"),
    Clock.respond_simple: _l("Respond, simple complaint, from receipt"),
    Clock.respond_several_departments: _l("Respond, several departments involved, from receipt"),
    Clock.follow_up: _l("Follow up, from the response"),
    Clock.reopened: _l("Respond again, from a reopening (complainant not satisfied)"),
    Clock.report_back: _l("Report back to the referring body, from the answer (when they gave no date)"),
}

# SPEC §4's defaults. The migration seeds the table with them; they also answer for a clock whose row is
# missing, so a deadline is never left unset.
DEFAULT_DAYS = {
    Clock.acknowledge: 1,
    Clock.respond_simple: 5,
    Clock.respond_several_departments: 10,
    Clock.follow_up: 3,
    Clock.reopened: 5,
    # Reporting back is telling the referring body what the complainant was told: a short clock.
    Clock.report_back: 2,
}
MAX_DAYS = 60
MAX_HOURS = 720  # thirty days of elapsed hours: beyond that a clock is better said in working days

# The complaint's severities (complaints.models.Severity, which this layer cannot import; a test checks that
# both name the same ones), mildest first: the policy has a rule for each clock and each of them.
SEVERITIES = ("minor", "serious", "major")


class Unit(Labelled):
    """What a rule's amount counts."""

    working_days = "working_days"  # whole working days on the calendar; due by the end of the last one
    hours = "hours"  # elapsed hours from the moment the clock starts, nights, weekends and holidays included

    @staticmethod
    def LABELS():  # noqa: N802
        return {Unit.working_days: _l("working days"), Unit.hours: _l("hours")}


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
    """How long one clock gives a complaint of one severity: `amount` working days or hours. Due dates are
    worked out from it when the clock starts and then stored (a change never moves a stored one)."""

    __tablename__ = "deadline_policies"
    __table_args__ = (
        UniqueConstraint("clock", "severity", name="uq_deadline_policies_one_rule"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"amount <= {MAX_HOURS} AND (unit = 'hours' OR amount <= {MAX_DAYS})",
                        name="amount_range"),
        CheckConstraint("severity IN (" + ", ".join(f"'{s}'" for s in SEVERITIES) + ")", name="severity_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock: Mapped[str] = mapped_column(enum_column(Clock, "deadline_clock"))
    severity: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(enum_column(Unit, "deadline_unit"), default=Unit.working_days.value)
    # Bumped by every save: two administrators editing at once, the second is told (core/versioned.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
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
