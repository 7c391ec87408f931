"""A corrective action, the complaints it answers, and its own append-only timeline."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.choices import Labelled
from ...core.database import enum_column
from ...core.departments import Department
from ...core.extensions import db
from ...core.time import UTCDateTime, today, utcnow
from ...core.users import User
from ..models import Complaint


class Status(Labelled):
    open = "open"  # to be done by the owner department
    done = "done"  # done, with evidence; its effectiveness is checked later
    effective = "effective"  # checked later: it worked
    reopened = "reopened"  # checked later: it did not work; to be done again, by a new date

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Status.open: _l("Open"),
            Status.done: _l("Done, effectiveness to check"),
            Status.effective: _l("Verified effective"),
            Status.reopened: _l("Not effective, reopened"),
        }


TO_DO = frozenset({Status.open, Status.reopened})  # the owner department's work

corrective_action_complaints = Table(
    "corrective_action_complaints", db.metadata,
    Column("corrective_action_id", ForeignKey("corrective_actions.id"), primary_key=True),
    Column("complaint_id", ForeignKey("complaints.id"), primary_key=True, index=True),
)


class CorrectiveAction(db.Model):
    __tablename__ = "corrective_actions"
    __table_args__ = (
        CheckConstraint("status NOT IN ('done', 'effective') OR (completed_at IS NOT NULL AND evidence IS NOT NULL)",
                        name="done_has_evidence"),
        CheckConstraint("status <> 'done' OR check_due_on IS NOT NULL", name="done_has_a_check_date"),
        CheckConstraint("status NOT IN ('effective', 'reopened') OR checked_at IS NOT NULL",
                        name="checked_has_a_check"),
        CheckConstraint("version >= 1", name="corrective_version_positive"),
        Index("ix_corrective_actions_owner_status", "owner_department_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(enum_column(Status, "corrective_status"), default=Status.open.value)
    version: Mapped[int] = mapped_column(Integer, default=1)

    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_in_month: Mapped[str | None] = mapped_column(String(7))  # from the monthly analysis of YYYY-MM

    completed_at = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence: Mapped[str | None] = mapped_column(Text)
    check_due_on: Mapped[date | None] = mapped_column(Date)

    checked_at = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    check_note: Mapped[str | None] = mapped_column(Text)
    # Every step touches the row, so the version goes up once per event (a note too): the optimistic lock.
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    owner: Mapped[Department] = relationship()
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    complaints: Mapped[list[Complaint]] = relationship(secondary=corrective_action_complaints,
                                                       order_by=Complaint.id, lazy="selectin",
                                                       backref="corrective_records")
    events: Mapped[list[CorrectiveActionEvent]] = relationship(
        back_populates="corrective_action", order_by="CorrectiveActionEvent.id", cascade="save-update, merge")

    @property
    def state(self) -> Status:
        return Status(self.status)

    @property
    def label(self) -> str:
        return str(_l("Corrective action %(number)s", number=self.number))

    @property
    def number(self) -> str:
        return f"ZG-{self.id:05d}" if self.id else ""

    def overdue(self, on: date | None = None) -> bool:
        """To do and past its due date, or done and past the date its effectiveness was to be checked."""
        on = on or today()
        if self.state in TO_DO:
            return self.due_on < on
        return self.state == Status.done and self.check_due_on is not None and self.check_due_on < on

    @classmethod
    def overdue_clause(cls, on: date):
        return or_(and_(cls.status.in_([s.value for s in TO_DO]), cls.due_on < on),
                   and_(cls.status == Status.done.value, cls.check_due_on < on))

    def __repr__(self) -> str:
        return f"<CorrectiveAction {self.number} {self.status}>"


class CorrectiveActionEvent(db.Model):
    """One immutable row per step: never updated, never deleted (the database refuses both)."""

    __tablename__ = "corrective_action_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    corrective_action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    step: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    corrective_action: Mapped[CorrectiveAction] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
