"""The identity-view log's table, and what it says of the administrator's break-glass openings.

Its own module because `permissions` reads it (an administrator sees a complaint only while a break-glass
opening of it lasts) and `identity_views`, which writes it, asks `permissions` what a page shows."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import ForeignKey, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User


class IdentityView(db.Model):
    __tablename__ = "identity_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why an administrator broke the glass: set only on the row that opened the complaint to them.
    reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


def opening_lasts() -> timedelta:
    return timedelta(minutes=current_app.config["BREAK_GLASS_MINUTES"])


def opened_since() -> datetime:
    """Break-glass rows written after this still hold their complaint open."""
    return utcnow() - opening_lasts()


def openings_clause(user_id: int):
    """The ids of the complaints a break-glass opening holds open to this administrator now (SQL)."""
    return (select(IdentityView.complaint_id)
            .where(IdentityView.user_id == user_id, IdentityView.reason.is_not(None),
                   IdentityView.at > opened_since())
            .correlate(None))


def _openings(user_id: int) -> dict[int, datetime]:
    """complaint id -> when its latest opening began, read once per request (a page asks many times)."""
    cache = g.setdefault("break_glass_openings", {}) if has_app_context() else {}
    if user_id not in cache:
        rows = db.session.execute(
            select(IdentityView.complaint_id, IdentityView.at)
            .where(IdentityView.user_id == user_id, IdentityView.reason.is_not(None),
                   IdentityView.at > opened_since()))
        openings: dict[int, datetime] = {}
        for complaint_id, at in rows:
            openings[complaint_id] = max(at, openings.get(complaint_id, at))
        cache[user_id] = openings
    return cache[user_id]


def is_open_to(user_id: int, complaint_id: int) -> bool:
    began = _openings(user_id).get(complaint_id)
    # Checked against the clock now too: the cache outlives a moved clock in a test's app context.
    return began is not None and began > opened_since()


def forget_openings() -> None:
    if has_app_context():
        g.pop("break_glass_openings", None)
