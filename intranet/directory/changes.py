"""What an administrator does to one person of the directory: add them, change them, mark them inactive
or active again. Each change is versioned (core/versioned.py) and logged (AdminEvent), like accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from ..core.admin_events import record
from ..core.departments import Department
from ..core.extensions import db
from ..core.time import utcnow
from ..core.users import User
from ..core.versioned import Refused, claim, stale
from .models import StaffMember


def _check(staff_number: str, department: Department | None, errors: dict, member: StaffMember | None = None):
    taken = select(StaffMember.id).where(StaffMember.staff_number == staff_number)
    if member is not None:
        taken = taken.where(StaffMember.id != member.id)
    if db.session.scalar(taken) is not None:
        errors["staff_number"] = _l("Someone in the directory already has this staff number.")
    if department is None:
        errors["department"] = _l("Choose the department.")
    elif not department.active and (member is None or member.department_id != department.id):
        errors["department"] = _l("This department is no longer in use: choose another.")


def add(actor: User | None, *, staff_number: str, name: str, department: Department | None,
        title: str | None) -> StaffMember:
    errors: dict = {}
    _check(staff_number, department, errors)
    if errors:
        raise Refused(errors)
    now = utcnow()
    member = StaffMember(staff_number=staff_number, name=name, department=department, title=title or None,
                         created_at=now, updated_at=now)
    db.session.add(member)
    db.session.flush()
    record(actor, member, "create", staff_number=staff_number, name=name, department=department.code,
           **({"title": title} if title else {}))
    return member


def change(actor: User | None, member: StaffMember, seen_version: int | None, *, staff_number: str, name: str,
           department: Department | None, title: str | None) -> list[str]:
    """Returns the names of what changed (nothing changed: nothing logged)."""
    errors: dict = {}
    _check(staff_number, department, errors, member)
    if errors:
        raise Refused(errors)
    before = {"staff_number": member.staff_number, "name": member.name, "department": member.department.code,
              "title": member.title}
    after = {"staff_number": staff_number, "name": name, "department": department.code, "title": title or None}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changed:
        if seen_version is not None and seen_version != member.version:
            raise stale(member)
        return []
    claim(member, seen_version)
    member.staff_number, member.name, member.department, member.title = (
        staff_number, name, department, title or None)
    member.updated_at = utcnow()
    record(actor, member, "change", **changed)
    return list(changed)


def set_active(actor: User | None, member: StaffMember, seen_version: int | None, active: bool) -> None:
    """Inactive: someone who left. Never deleted: complaints may name them."""
    if member.active == active:
        raise Refused({"": _l("Nothing to change: it is already so.")})
    claim(member, seen_version)
    member.active = active
    member.updated_at = utcnow()
    record(actor, member, "reactivate" if active else "deactivate")


def by_staff_number(staff_number: str) -> StaffMember | None:
    return db.session.scalar(select(StaffMember).where(StaffMember.staff_number == staff_number))


def search(words: str, department_id: int | None, state: str, page: int, page_size: int):
    """The people matching `words` (part of a name, the start of a staff number, part of a department's
    code or name), in a department and state; one page, and whether there is a next one."""
    statement = select(StaffMember).join(StaffMember.department)
    if words:
        like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        starts = like[1:]
        statement = statement.where(
            StaffMember.name.ilike(like, escape="\\") | StaffMember.staff_number.ilike(starts, escape="\\")
            | Department.code.ilike(like, escape="\\") | Department.name_zh.ilike(like, escape="\\")
            | Department.name_en.ilike(like, escape="\\"))
    if department_id:
        statement = statement.where(StaffMember.department_id == department_id)
    if state in ("active", "inactive"):
        statement = statement.where(StaffMember.active.is_(state == "active"))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.options(contains_eager(StaffMember.department),
                                                selectinload(StaffMember.account))
                              .order_by(StaffMember.active.desc(), Department.code, StaffMember.staff_number)
                              .offset((page - 1) * page_size).limit(page_size + 1)).all()
    return rows[:page_size], total, len(rows) > page_size
