"""The accountability report (责任追究): who the period's complaints named and what was found for each, and
each department's first responsible person (第一责任人) beside its two rates with a 100 % target.

- A person counts once per complaint naming them (received in the period, not removed from it), with
  the head's finding for them; only people matched to the staff directory are listed (words not matched
  to anyone name nobody yet). Only complaints the reader may see count (visible()), and only people
  whose name the reader may read (may_see_person()): a head, those of their own department.
- A department's rates are the KPIs' own (kpis.table), never worked out again here. Either below its
  target is a veto mark (一票否决); a department with nothing due is no rate, so no mark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..complaints.models import Complaint
from ..complaints.people import ComplaintPerson, PersonFinding
from ..complaints.permissions import may_see_person, visible
from ..core.departments import Department
from ..core.extensions import db
from ..core.roles import Role, role_of
from ..core.users import User
from ..directory.models import StaffMember
from .kpis import DIMENSIONS, Figures, Scope, table
from .periods import Period

# The two rates whose miss is a veto mark: both have a 100 % target (kpis.MEASURES).
VETO_MEASURES = ("acknowledged_on_time", "closed")


@dataclass
class PersonRow:
    member: StaffMember
    complaints: list[Complaint] = field(default_factory=list)
    upheld: int = 0
    partly_upheld: int = 0
    categories: Counter = field(default_factory=Counter)  # category name → complaints

    @property
    def named(self) -> int:
        return len(self.complaints)

    def by_category(self) -> list[tuple[str, int]]:
        return sorted(self.categories.items(), key=lambda item: (-item[1], item[0]))


@dataclass
class DepartmentRow:
    department: Department
    heads: list[User]
    figures: Figures

    @property
    def veto(self) -> bool:
        return any(self.figures.met(key) is False for key in VETO_MEASURES)


def people(user, period: Period, uncategorised: str = "") -> list[PersonRow]:
    start, end = period.bounds()
    query = (select(ComplaintPerson).join(Complaint, ComplaintPerson.complaint_id == Complaint.id)
             .join(StaffMember, ComplaintPerson.staff_member_id == StaffMember.id)
             .where(visible(user), Complaint.received_at >= start, Complaint.received_at < end,
                    ComplaintPerson.removed_at.is_(None))
             .options(joinedload(ComplaintPerson.complaint).joinedload(Complaint.category),
                      joinedload(ComplaintPerson.staff_member).joinedload(StaffMember.department))
             .order_by(Complaint.received_at, Complaint.id))
    if role_of(user) == Role.head:  # narrowed in SQL; may_see_person() below is the rule
        query = query.where(StaffMember.department_id == user.department_id)
    rows: dict[int, PersonRow] = {}
    for person in db.session.scalars(query).unique():
        if not may_see_person(user, person.complaint, person):
            continue
        row = rows.setdefault(person.staff_member_id, PersonRow(person.staff_member))
        row.complaints.append(person.complaint)
        row.upheld += person.finding == PersonFinding.upheld.value
        row.partly_upheld += person.finding == PersonFinding.partly_upheld.value
        category = person.complaint.category
        row.categories[category.name if category else str(uncategorised)] += 1
    return sorted(rows.values(), key=lambda r: (r.member.department.code, -r.named, r.member.staff_number))


def departments(user, period: Period) -> list[DepartmentRow]:
    """The departments with complaints received in the period that the reader sees, in the KPIs' order."""
    rows = [row for row in table(Scope(user), period, DIMENSIONS["department"]) if row.key is not None]
    found = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_([r.key for r in rows])))}
    heads: dict[int, list[User]] = {}
    for head in db.session.scalars(select(User).where(User.role == Role.head.value, User.active.is_(True),
                                                      User.department_id.in_(list(found)))
                                   .order_by(User.display_name)):
        heads.setdefault(head.department_id, []).append(head)
    return [DepartmentRow(found[row.key], heads.get(row.key, []), row.figures) for row in rows]
