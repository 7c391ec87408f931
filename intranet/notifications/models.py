"""The outbox (one row per message to send) and the staff's in-app notifications (what the bell counts)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import enum_column
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow


class Medium(enum.StrEnum):
    """How a message travels (not to be confused with a complaint's channel, how it arrived)."""

    email = "email"
    sms = "sms"
    in_app = "in_app"


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a relay; taken again if its lease runs out (the relay died)
    sent = "sent"
    failed = "failed"  # gave up after the maximum number of attempts; `outbox retry` requeues


class OutboxMessage(db.Model):
    """Written in the transaction of the action that causes it, so it exists if and only if the action
    does; the relay sends it later. Subject and body are rendered when queued, in the recipient's language,
    so what is sent is what was true at the time. An in-app row also keeps the facts they were written from,
    for its notification to be written again in whatever language its reader reads then."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # notify()'s key + channel + recipient: the same notification can never be queued twice.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(enum_column(Medium, "outbox_channel", length=16))
    recipient: Mapped[str] = mapped_column(String(254))  # email address, phone number, or staff user id
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict | None] = mapped_column(JSON)  # in-app rows: kinds.stored_facts(); emails: their reply_to
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    status: Mapped[str] = mapped_column(enum_column(OutboxStatus, "outbox_status", length=16),
                                        default=OutboxStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffNotification(db.Model):
    """What the bell shows a member of staff; delivered by the relay from an in-app outbox row.

    Shown in the reader's language at the time of reading: written out again from its kind and `facts`
    (`kinds.render_notification`); `subject` and `body` are the text as sent, shown for a notification that
    kept no facts (one delivered before they were kept)."""

    __tablename__ = "staff_notifications"
    __table_args__ = (Index("ix_staff_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: delivering the same outbox row again cannot show the notification twice.
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notification_outbox.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint = relationship("Complaint")
