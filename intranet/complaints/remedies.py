"""What the hospital offers the complainant (补救措施): an apology, an explanation, a refund (退费), a fee
waiver (减免), compensation (赔偿/补偿) or something else, with an amount in fen where money is paid. One
row per remedy proposed; rows change only through the remedy actions (actions/remedy.py): every change is
an event, and the chain vouches for them (audit.REMEDIES).

An amount above the hospital's threshold (core.hospital, set by the administrator) needs leadership's
approval before the response goes out; whether it does is decided once, when it is proposed, against the
threshold of that day, and kept with it."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.choices import Labelled
from ..core.database import enum_column
from ..core.extensions import db
from ..core.money import yuan
from ..core.time import UTCDateTime, utcnow
from ..core.users import User
from .models import Complaint


class RemedyKind(Labelled):
    apology = "apology"
    explanation = "explanation"
    refund = "refund"
    fee_waiver = "fee_waiver"
    compensation = "compensation"
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {RemedyKind.apology: _l("Apology"), RemedyKind.explanation: _l("Explanation"),
                RemedyKind.refund: _l("Refund"), RemedyKind.fee_waiver: _l("Fee waiver"),
                RemedyKind.compensation: _l("Compensation"), RemedyKind.other: _l("Other remedy")}


# Money changes hands: an amount is required. An apology or an explanation has none; "other" may have one.
WITH_AMOUNT = (RemedyKind.refund, RemedyKind.fee_waiver, RemedyKind.compensation)
WITHOUT_AMOUNT = (RemedyKind.apology, RemedyKind.explanation)
REFERENCE_LENGTH = 100


def _in(kinds) -> str:
    return "(" + ", ".join(f"'{k.value}'" for k in kinds) + ")"


class RemedyStatus(Labelled):
    """Where a remedy stands, read from its row (not stored: the row's dates say it)."""

    proposed = "proposed"  # no approval needed, nothing paid (yet)
    waiting = "waiting"  # above the threshold, leadership not yet decided
    approved = "approved"
    refused = "refused"
    paid = "paid"
    withdrawn = "withdrawn"

    @staticmethod
    def LABELS():  # noqa: N802
        return {RemedyStatus.proposed: _l("Proposed"), RemedyStatus.waiting: _l("Waiting for leadership's approval"),
                RemedyStatus.approved: _l("Approved by leadership"), RemedyStatus.refused: _l("Refused by leadership"),
                RemedyStatus.paid: _l("Paid"), RemedyStatus.withdrawn: _l("Withdrawn")}


class ComplaintRemedy(db.Model):
    __tablename__ = "complaint_remedies"
    __table_args__ = (
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="remedy_amount_not_negative"),
        CheckConstraint(f"kind NOT IN {_in(WITH_AMOUNT)} OR amount_fen IS NOT NULL", name="remedy_money_has_amount"),
        CheckConstraint(f"kind NOT IN {_in(WITHOUT_AMOUNT)} OR amount_fen IS NULL", name="remedy_words_no_amount"),
        CheckConstraint("amount_fen IS NOT NULL OR NOT needs_approval", name="remedy_approval_for_money"),
        # Decided: by whom and when, approved or refused; and only a remedy that needed it.
        CheckConstraint("(decided_at IS NULL) = (approved IS NULL)", name="remedy_decided_when"),
        CheckConstraint("(decided_at IS NULL) = (decided_by_id IS NULL)", name="remedy_decided_by"),
        CheckConstraint("approved IS NULL OR needs_approval", name="remedy_decided_if_needed"),
        # Paid once, with who recorded it, when and the payment's reference; only money approved or not
        # needing approval, never a withdrawn one.
        CheckConstraint("(paid_on IS NULL) = (paid_by_id IS NULL)", name="remedy_paid_by"),
        CheckConstraint("paid_on IS NULL OR (payment_reference IS NOT NULL AND amount_fen IS NOT NULL)",
                        name="remedy_paid_with_reference"),
        CheckConstraint("paid_on IS NULL OR NOT needs_approval OR approved IS TRUE", name="remedy_paid_if_approved"),
        CheckConstraint("paid_on IS NULL OR withdrawn_at IS NULL", name="remedy_paid_not_withdrawn"),
        CheckConstraint("number >= 1", name="remedy_number_positive"),
        # Events name a remedy by its number on the complaint (written before the row has an id).
        UniqueConstraint("complaint_id", "number", name="remedy_numbered_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(enum_column(RemedyKind, "remedy_kind"))
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    # Above the threshold of the day it was proposed (kept beside it): leadership decides.
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold_fen: Mapped[int | None] = mapped_column(Integer)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved: Mapped[bool | None] = mapped_column(Boolean)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))

    complaint: Mapped[Complaint] = relationship(
        backref=db.backref("remedies", order_by="ComplaintRemedy.number", lazy="select"))
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])

    @property
    def status(self) -> RemedyStatus:
        if self.withdrawn_at is not None:
            return RemedyStatus.withdrawn
        if self.paid_on is not None:
            return RemedyStatus.paid
        if self.approved is False:
            return RemedyStatus.refused
        if self.approved:
            return RemedyStatus.approved
        return RemedyStatus.waiting if self.needs_approval else RemedyStatus.proposed

    @property
    def standing(self) -> bool:
        """Offered to the complainant: not withdrawn, not refused."""
        return self.status not in (RemedyStatus.withdrawn, RemedyStatus.refused)

    @property
    def payable(self) -> bool:
        return (self.amount_fen is not None and self.amount_fen > 0
                and self.status in (RemedyStatus.proposed, RemedyStatus.approved))

    def name(self) -> str:
        amount = f" · {yuan(self.amount_fen)}" if self.amount_fen is not None else ""
        return f"{self.number}. {RemedyKind(self.kind).label}{amount}"


def waiting(complaint: Complaint) -> list[ComplaintRemedy]:
    """The remedies whose approval leadership has still to decide: the response waits for them."""
    return [r for r in complaint.remedies if r.status == RemedyStatus.waiting]


def remedy_of(complaint: Complaint, number) -> ComplaintRemedy | None:
    return next((r for r in complaint.remedies if r.number == number), None)
