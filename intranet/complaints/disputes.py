"""A complaint that becomes a medical dispute (医疗纠纷): the complainant takes it to the mediation committee,
an appraisal by the medical association or a court. Each time they do is a row, with its route, the date it
began, their case number and, once it ends, its outcome. Rows change only through the dispute steps
(actions/dispute.py): every change is an event, and the chain vouches for them (audit.DISPUTES).

The complaint leaves the office's response clocks from the first dispute's beginning on
(`Complaint.disputed_since`): the matter is decided elsewhere now, and it stays so once an outcome is
recorded (the clocks would otherwise stand long past due)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.choices import Labelled
from ..core.database import enum_column
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User
from .models import Complaint

ROUTE_OTHER_LENGTH = 200
CASE_NUMBER_LENGTH = 80


class DisputeRoute(Labelled):
    mediation = "mediation"  # 医疗纠纷人民调解委员会
    appraisal = "appraisal"  # 医学会鉴定
    court = "court"  # 诉讼
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {DisputeRoute.mediation: _l("Medical dispute mediation committee"),
                DisputeRoute.appraisal: _l("Medical association appraisal"),
                DisputeRoute.court: _l("Court"), DisputeRoute.other: _l("Other route")}


class DisputeOutcome(Labelled):
    settled = "settled"  # settled by mediation
    appraised = "appraised"  # the appraisal concluded, with its finding
    judgment = "judgment"
    withdrawn = "withdrawn"  # withdrawn by the complainant
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {DisputeOutcome.settled: _l("Settled by mediation"),
                DisputeOutcome.appraised: _l("Appraisal concluded"),
                DisputeOutcome.judgment: _l("Judgment given"),
                DisputeOutcome.withdrawn: _l("Withdrawn by the complainant"),
                DisputeOutcome.other: _l("Other outcome")}

    @classmethod
    def described(cls) -> frozenset[DisputeOutcome]:
        """The outcomes that need their words: the appraisal's finding, or what the other outcome was."""
        return frozenset({cls.appraised, cls.other})


class ComplaintDispute(db.Model):
    __tablename__ = "complaint_disputes"
    __table_args__ = (
        CheckConstraint("route <> 'other' OR route_other IS NOT NULL", name="dispute_other_route_named"),
        CheckConstraint("(outcome IS NULL) = (outcome_on IS NULL)", name="dispute_outcome_dated"),
        CheckConstraint("outcome IS NULL OR outcome NOT IN ('appraised', 'other') OR outcome_text IS NOT NULL",
                        name="dispute_outcome_described"),
        CheckConstraint("outcome_on IS NULL OR outcome_on >= began_on", name="dispute_ends_after_it_began"),
        # One dispute at a time: a new route is taken once the one before has its outcome.
        Index("ix_complaint_disputes_one_open", "complaint_id", unique=True,
              sqlite_where=text("outcome IS NULL"), postgresql_where=text("outcome IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    route: Mapped[str] = mapped_column(enum_column(DisputeRoute, "dispute_route"))
    route_other: Mapped[str | None] = mapped_column(String(ROUTE_OTHER_LENGTH))
    began_on: Mapped[date] = mapped_column(Date)
    case_number: Mapped[str | None] = mapped_column(String(CASE_NUMBER_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(enum_column(DisputeOutcome, "dispute_outcome"))
    outcome_text: Mapped[str | None] = mapped_column(Text)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    complaint: Mapped[Complaint] = relationship(
        backref=db.backref("disputes", order_by="ComplaintDispute.id", lazy="select"))
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    def route_label(self) -> str:
        if self.route == DisputeRoute.other and self.route_other:
            return self.route_other
        return DisputeRoute(self.route).label

    def outcome_label(self) -> str:
        return DisputeOutcome(self.outcome).label if self.outcome else ""


def open_dispute(complaint: Complaint) -> ComplaintDispute | None:
    return next((d for d in complaint.disputes if d.is_open), None)


def latest_dispute(complaint: Complaint) -> ComplaintDispute | None:
    return complaint.disputes[-1] if complaint.disputes else None
