"""Who looked at a complainant's identity: one row each time a staff page showed it (who, when, which
complaint), never updated or deleted. Leadership and admin see the list on the complaint's page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, insert, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User
from .confidentiality import COMPLAINANT_FIELDS
from .models import Complaint
from .permissions import identity_fields


class IdentityView(db.Model):
    __tablename__ = "identity_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


def shown_identity(user, complaint: Complaint) -> frozenset[str]:
    """The identifying fields the complaint page shows `user`: those they may read that hold something
    (the page shows an anonymous complainant as "Anonymous", whatever was typed)."""
    fields = identity_fields(user, complaint)
    if complaint.anonymous:
        fields -= set(COMPLAINANT_FIELDS)
    return frozenset(name for name in fields if getattr(complaint, name, None))


def record_view(user, complaint: Complaint) -> None:
    """Note that `user` is being shown the complainant's identity, and commit it. What the request loaded
    stays loaded: nothing of it changed."""
    if not shown_identity(user, complaint):
        return
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite refuses a read transaction that turns into a write once another writer got in
            # between, so the INSERT starts a transaction of its own. PostgreSQL writes in the page's
            # transaction: a commit, a connection check and a BEGIN fewer on every page that shows a name.
            session.commit()
        # A plain INSERT: nothing reads the row back, so the unit of work has nothing to track or flush.
        session.execute(insert(IdentityView.__table__).values(complaint_id=complaint.id, user_id=user.id))
        session.commit()
    finally:
        session.expire_on_commit = keep


def record_views(user, complaint_ids: list[int]) -> None:
    """The same for an export that showed the identity of many complaints: one row each, in one
    transaction of its own once the export is written."""
    if not complaint_ids:
        return
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
        session.add_all([IdentityView(complaint_id=i, user_id=user.id) for i in complaint_ids])
        session.commit()
    finally:
        session.expire_on_commit = keep


def views_of(complaint: Complaint, limit: int = 500) -> list[IdentityView]:
    return list(db.session.scalars(
        select(IdentityView).where(IdentityView.complaint_id == complaint.id)
        .order_by(IdentityView.id.desc()).limit(limit)
    ))
