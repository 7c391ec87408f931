"""Finding people in the directory as someone types: for naming the people a complaint is about."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ..core.extensions import db
from .models import StaffMember

FOUND_AT_MOST = 10


def find(text: str, limit: int = FOUND_AT_MOST) -> list[StaffMember]:
    """People in post whose staff number is `text` or starts with it, or whose name holds it: the exact staff
    number first, then by name."""
    text = (text or "").strip()
    if not text:
        return []
    like = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    rows = db.session.scalars(
        select(StaffMember).where(StaffMember.active, or_(StaffMember.staff_number.like(like + "%", escape="!"),
                                                          StaffMember.name.like("%" + like + "%", escape="!")))
        .order_by((StaffMember.staff_number == text).desc(), func.length(StaffMember.name), StaffMember.name,
                  StaffMember.staff_number)
        .limit(limit)).all()
    return list(rows)


def exact(text: str) -> StaffMember | None:
    """The one person `text` names without doubt: their staff number, or a name only one person in post has."""
    text = (text or "").strip()
    if not text:
        return None
    member = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == text))
    if member is not None:
        return member
    named = db.session.scalars(select(StaffMember).where(StaffMember.active, StaffMember.name == text).limit(2)).all()
    return named[0] if len(named) == 1 else None


def people(ids) -> list[StaffMember]:
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return []
    return list(db.session.scalars(select(StaffMember).where(StaffMember.id.in_(ids)).order_by(StaffMember.id)))
