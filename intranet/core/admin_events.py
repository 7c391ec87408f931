"""What was changed about an account, a department, a category, the hospital's details or a person of the
staff directory, by whom and when: one row per change, never updated or deleted, shown on the page of what
was changed (admin/accounts.py and directory/changes.py write them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .time import UTCDateTime, utcnow
from .users import User


class AdminEvent(db.Model):
    __tablename__ = "admin_events"
    __table_args__ = (Index("ix_admin_events_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: a command run on the server (`flask --app wsgi users …`), by whoever could run it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(16))  # a value of SUBJECTS
    subject_id: Mapped[int] = mapped_column(Integer)
    # create, role, deactivate, reactivate, reset_password, unlock, rename, … (admin/accounts.py)
    action: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


def record(actor: User | None, subject, action: str, **data) -> AdminEvent:
    """Log a change to `subject` (one of SUBJECTS); committed with the change itself."""
    event = AdminEvent(actor_id=actor.id if actor is not None else None, subject=SUBJECTS[type(subject).__name__],
                       subject_id=subject.id, action=action, data=data)
    db.session.add(event)
    return event


def history(subject, limit: int = 200) -> list[AdminEvent]:
    return list(db.session.scalars(
        select(AdminEvent).where(AdminEvent.subject == SUBJECTS[type(subject).__name__],
                                 AdminEvent.subject_id == subject.id)
        .order_by(AdminEvent.id.desc()).limit(limit)
    ))


SUBJECTS = {"User": "user", "Department": "department", "Category": "category", "HospitalRecord": "hospital",
            "ReferringBody": "referring_body",
            # the staff directory (directory/models.py), named here by class name only
            "StaffMember": "staff_member", "DirectoryImport": "directory_import",
            # one rule of the deadline policy (deadlines/models.py)
            "DeadlinePolicy": "deadline_policy",
            # a directory group mapped to a role (auth/directory_groups.py)
            "DirectoryGroup": "directory_group"}
