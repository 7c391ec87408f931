"""What reports keep of their own: the closing of a period (its figures frozen) and the quality meeting.

A closed period's figures are a snapshot, not a query: a complaint logged later with a past received date,
or reopened, must not move what was printed and discussed. `period_closings` is the period's history, one
row per step (closed with its snapshot, or reopened with a reason), never updated: closing again adds a
new snapshot and keeps the old one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..complaints.corrective.models import CorrectiveAction
from ..complaints.models import Complaint
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User

CLOSE, REOPEN = "close", "reopen"


class PeriodClosing(db.Model):
    """One step of a period's history: closed (with everything the analysis showed) or reopened (why)."""

    __tablename__ = "period_closings"
    __table_args__ = (
        CheckConstraint("kind IN ('month', 'quarter', 'year')", name="closing_kind"),
        CheckConstraint("step IN ('close', 'reopen')", name="closing_step"),
        CheckConstraint("step <> 'close' OR (figures IS NOT NULL AND seal_digest IS NOT NULL)",
                        name="closing_has_its_figures"),
        CheckConstraint("step <> 'reopen' OR (reason IS NOT NULL AND trim(reason) <> '')",
                        name="reopening_has_a_reason"),
        CheckConstraint("sequence >= 1", name="closing_sequence_positive"),
        # Two people closing at once: the second insert of the same step number fails, not a double close.
        UniqueConstraint("kind", "start", "sequence", name="uq_period_closings_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)  # the period's first day at the hospital
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … along the period's history
    step: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    # {language: the analysis as plain data}: what the page, the print and the exports show once closed.
    figures: Mapped[dict | None] = mapped_column(JSON)
    seal_upto: Mapped[int | None] = mapped_column(Integer)
    seal_complaints: Mapped[int | None] = mapped_column(Integer)
    seal_digest: Mapped[str | None] = mapped_column(String(64))

    by: Mapped[User] = relationship()


quality_meeting_attendees = Table(
    "quality_meeting_attendees", db.metadata,
    Column("quality_meeting_id", ForeignKey("quality_meetings.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)
quality_meeting_complaints = Table(
    "quality_meeting_complaints", db.metadata,
    Column("quality_meeting_id", ForeignKey("quality_meetings.id"), primary_key=True),
    Column("complaint_id", ForeignKey("complaints.id"), primary_key=True, index=True),
)
quality_meeting_corrective_actions = Table(
    "quality_meeting_corrective_actions", db.metadata,
    Column("quality_meeting_id", ForeignKey("quality_meetings.id"), primary_key=True),
    Column("corrective_action_id", ForeignKey("corrective_actions.id"), primary_key=True),
)


class QualityMeeting(db.Model):
    """The quality meeting (质量例会) that read a period's analysis: who came, what it reviewed and decided."""

    __tablename__ = "quality_meetings"
    __table_args__ = (
        CheckConstraint("period_kind IN ('month', 'quarter', 'year')", name="meeting_period_kind"),
        CheckConstraint("trim(decisions) <> ''", name="meeting_has_decisions"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date, index=True)
    attendees_text: Mapped[str | None] = mapped_column(Text)  # those without an account, as typed
    decisions: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    attendees: Mapped[list[User]] = relationship(secondary=quality_meeting_attendees, order_by=User.display_name)
    complaints: Mapped[list[Complaint]] = relationship(secondary=quality_meeting_complaints,
                                                       order_by=Complaint.reference)
    corrective_actions: Mapped[list[CorrectiveAction]] = relationship(
        secondary=quality_meeting_corrective_actions, order_by=CorrectiveAction.id)
