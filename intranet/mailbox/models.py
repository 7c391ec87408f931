"""The mail taken from the complaints office's mailbox: one row per message, written in the transaction that
makes its complaint (or sets it aside), so that a message is taken once whatever crashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..complaints.models import Complaint
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User


class TakenMail(db.Model):
    __tablename__ = "taken_mail"
    __table_args__ = (
        # Where the message is in the mailbox: the same (folder, UIDVALIDITY, UID) is never taken twice.
        UniqueConstraint("folder", "uidvalidity", "uid", name="uq_taken_mail_position"),
        # The same message found again (the mailbox rebuilt with a new UIDVALIDITY, or copied back).
        UniqueConstraint("message_id", name="uq_taken_mail_message_id"),
        # Either it became a complaint, or it was set aside with the reason why (and may become one later).
        CheckConstraint("complaint_id IS NOT NULL OR set_aside_because IS NOT NULL", name="taken_or_set_aside"),
        CheckConstraint("(taken_by_id IS NULL) = (taken_at IS NULL)", name="taken_by_with_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    # auto_reply, bounce, mailing_list (reading.SET_ASIDE); None for mail that became a complaint at once.
    set_aside_because: Mapped[str | None] = mapped_column(String(32))
    # The original message of a set-aside one, kept in the evidence store until someone takes it.
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Who turned a set-aside message into a complaint anyway, and when.
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint | None] = relationship()
    taken_by: Mapped[User | None] = relationship()
