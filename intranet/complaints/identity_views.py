"""Who looked at a complainant's identity: one row each time a staff page showed it (who, when, which
complaint), never updated or deleted; an administrator's break-glass opening is such a row with its reason.
Leadership sees the list on the complaint's page, and the administrator while the complaint is open to them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from ..core.extensions import db
from ..core.time import utcnow
from ..notifications.outbox import notify
from .confidentiality import COMPLAINANT_FIELDS
from .identity_log import IdentityView, forget_openings, opening_lasts
from .models import Complaint
from .notices import BROKE_THE_GLASS
from .permissions import identity_fields


def shown_identity(user, complaint: Complaint) -> frozenset[str]:
    """The identifying fields the complaint page shows `user`: those they may read that hold something
    (the page shows an anonymous complainant as "Anonymous", whatever was typed)."""
    fields = identity_fields(user, complaint)
    if complaint.anonymous:
        fields -= set(COMPLAINANT_FIELDS)
    return frozenset(name for name in fields if getattr(complaint, name, None))


def record_view(user, complaint: Complaint) -> None:
    """Note that `user` is being shown the complainant's identity, and commit it. What the request loaded
    stays loaded: nothing of it changed. Every view of an integrity complaint is noted, its complainant's
    identity shown or not: who read an accusation is itself a record the hospital keeps."""
    if not shown_identity(user, complaint) and not complaint.integrity:
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


def record_views(user, complaint_ids: Sequence[int]) -> None:
    """The same for an export that showed the identity of many complaints: one row each, in one
    transaction of its own once the export is written."""
    if not len(complaint_ids):
        return
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
        # Plain INSERTs a thousand at a time: a year's export shows tens of thousands, and as ORM objects
        # they took more memory than the whole export (the unit of work tracks each until the commit).
        for start in range(0, len(complaint_ids), 1000):
            session.execute(insert(IdentityView.__table__),
                            [{"complaint_id": i, "user_id": user.id} for i in complaint_ids[start:start + 1000]])
        session.commit()
    finally:
        session.expire_on_commit = keep


def views_of(complaint: Complaint, limit: int = 500) -> list[IdentityView]:
    return list(db.session.scalars(
        select(IdentityView).where(IdentityView.complaint_id == complaint.id)
        .order_by(IdentityView.id.desc()).limit(limit)
    ))


def break_glass(user, complaint: Complaint, reason: str) -> None:
    """Open `complaint` to the administrator `user` for the time configured: the opening is a row of this
    log with its reason, and leadership is told in the same transaction (neither without the other)."""
    now = utcnow()
    minutes = int(opening_lasts().total_seconds() // 60)
    db.session.add(IdentityView(complaint_id=complaint.id, user_id=user.id, at=now, reason=reason))
    notify(BROKE_THE_GLASS, complaint.about(), key=f"break_glass:{complaint.id}:{user.id}:{now.isoformat()}",
           data={"who": user.display_name, "minutes": minutes, "reason": reason})
    db.session.commit()
    forget_openings()
