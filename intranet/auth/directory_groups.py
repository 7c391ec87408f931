"""Which groups of the hospital's directory give which role (and, for heads, which department) in Redress:
a table an administrator keeps on /admin/directory-groups. At each directory login the person's groups are
matched against it, and the mapping added first that matches decides (the page lists them in that order):
someone in both "cardiology-heads" and "complaints-office" is whatever the older of the two mappings says.
To change the order, remove a mapping and add it again."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.admin_events import record
from ..core.database import enum_column
from ..core.departments import Department
from ..core.extensions import db
from ..core.roles import DEPARTMENT_ROLES, USER_ROLES, Role
from ..core.time import UTCDateTime, utcnow
from ..core.users import User
from ..core.versioned import Refused


class DirectoryGroup(db.Model):
    __tablename__ = "directory_groups"
    __table_args__ = (
        # As for an account: a head's or a department's staff mapping names a department, no other does.
        CheckConstraint("(role IN ('head', 'staff')) = (department_id IS NOT NULL)",
                        name="group_head_has_department"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The group's name in the directory (its cn), kept in lower case: directories compare names so.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(enum_column(USER_ROLES, "directory_group_role", length=16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department | None] = relationship()


def mappings() -> list[DirectoryGroup]:
    """Every mapping, in the order that decides (the oldest first)."""
    return list(db.session.scalars(select(DirectoryGroup).order_by(DirectoryGroup.id)))


def first_match(groups: Iterable[str]) -> DirectoryGroup | None:
    """The mapping that gives someone in these groups their role: the oldest one that matches."""
    names = {g.lower() for g in groups}
    return next((m for m in mappings() if m.name in names), None)


def add(actor: User | None, *, name: str, role: str, department_id: int | None) -> DirectoryGroup:
    name = name.strip().lower()
    errors: dict = {}
    department = db.session.get(Department, department_id) if department_id is not None else None
    if department_id is not None and department is None:
        errors["department"] = _l("There is no such department: choose one from the list.")
    if not name:
        errors["name"] = _l("Enter the group's name in the directory.")
    elif db.session.scalar(select(DirectoryGroup.id).where(DirectoryGroup.name == name)) is not None:
        errors["name"] = _l("This group is already mapped: remove its mapping first to change it.")
    if role not in {r.value for r in USER_ROLES}:
        errors["role"] = _l("Choose a role.")
    elif "department" in errors:
        pass
    elif role in DEPARTMENT_ROLES:
        if department is None:
            errors["department"] = (_l("A department head needs a department.") if role == Role.head
                                    else _l("Department staff need a department."))
        elif not department.active:
            errors["department"] = _l("This department is no longer in use: choose another.")
    elif department is not None:
        errors["department"] = _l("Only department heads and staff belong to a department: leave it empty.")
    if errors:
        raise Refused(errors)
    mapping = DirectoryGroup(name=name, role=role, department=department,
                             created_by_id=actor.id if actor is not None else None)
    db.session.add(mapping)
    db.session.flush()
    record(actor, mapping, "map_group", group=name, role=role, department=department.code if department else None)
    return mapping


def remove(actor: User | None, mapping: DirectoryGroup) -> None:
    """The mapping goes; accounts it gave a role keep it until their next login, which the others decide."""
    record(actor, mapping, "unmap_group", group=mapping.name, role=mapping.role,
           department=mapping.department.code if mapping.department else None)
    db.session.delete(mapping)
