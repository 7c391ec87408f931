"""The accountability report (责任追究): who the period's complaints named and what was found for each, and
each department's first responsible person (第一责任人) beside its two rates with a 100 % target.

- A person counts once per complaint naming them (received in the period, not removed from it), with
  the head's finding for them; only people matched to the staff directory are listed (words not matched
  to anyone name nobody yet). Only complaints the reader may see count (visible()), and only people
  whose name the reader may read (may_see_person()): a head, those of their own department.
- Beside each person, the complaints found against them (upheld or partly upheld) in the twelve months to
  the period's end, of those the reader may see; at the hospital's repeat-alert setting or more, the
  person is marked (the same rule that tells leadership: people.found_against).
- A department's rates are the KPIs' own (kpis.table), never worked out again here. Either below its
  target is a veto mark (一票否决); a department with nothing due is no rate, so no mark.

The report is plain data (`report`), so that a closed period keeps it as it stood: closing stores it
with the period's other figures, and the page and exports read it back (`from_data`) as they read it now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..complaints.models import Complaint
from ..complaints.people import ComplaintPerson, PersonFinding, found_against
from ..complaints.permissions import may_see_person, visible
from ..core.departments import Department
from ..core.extensions import db
from ..core.hospital import hospital
from ..core.roles import Role, role_of
from ..core.time import today
from ..core.users import User
from ..directory.models import StaffMember
from .kpis import DIMENSIONS, Figures, Scope, table
from .periods import Period

# The two rates whose miss is a veto mark: both have a 100 % target (kpis.MEASURES).
VETO_MEASURES = ("acknowledged_on_time", "closed")


@dataclass
class PersonRow:
    name: str
    staff_number: str
    department: str
    complaints: list[str] = field(default_factory=list)  # references, in the order received
    upheld: int = 0
    partly_upheld: int = 0
    categories: list[tuple[str, int]] = field(default_factory=list)  # most complaints first
    found_against: int = 0  # in the twelve months to the period's end (people.found_against)
    repeat: bool = False  # found against as often as the repeat alert's setting, or more

    @property
    def named(self) -> int:
        return len(self.complaints)


@dataclass
class DepartmentRow:
    department: str
    heads: list[str]
    figures: Figures

    @property
    def veto(self) -> bool:
        return any(self.figures.met(key) is False for key in VETO_MEASURES)


@dataclass
class Report:
    people: list[PersonRow]
    departments: list[DepartmentRow]
    repeat_at: int  # the repeat alert's setting the marks were read against
    window_ends: date  # the last day of the twelve months counted


def window_end(period: Period) -> date:
    """The last day the twelve months are counted to: the period's, or today while it is still running."""
    return min(period.end_day - timedelta(days=1), today())


def people(user, period: Period, uncategorised: str = "", repeat_at: int | None = None) -> list[PersonRow]:
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
    found: dict[int, tuple[StaffMember, PersonRow, Counter]] = {}
    for person in db.session.scalars(query).unique():
        if not may_see_person(user, person.complaint, person):
            continue
        member = person.staff_member
        _m, row, categories = found.setdefault(person.staff_member_id, (member, PersonRow(
            member.name, member.staff_number, member.department.name), Counter()))
        row.complaints.append(person.complaint.reference)
        row.upheld += person.finding == PersonFinding.upheld.value
        row.partly_upheld += person.finding == PersonFinding.partly_upheld.value
        category = person.complaint.category
        categories[category.name if category else str(uncategorised)] += 1
    repeat_at = repeat_at or hospital().repeat_alert_upheld
    counts = found_against(list(found), window_end(period), [visible(user)])
    for member_id, (_member, row, categories) in found.items():
        row.categories = sorted(categories.items(), key=lambda item: (-item[1], item[0]))
        row.found_against = counts.get(member_id, 0)
        row.repeat = row.found_against >= repeat_at
    ordered = sorted(found.values(), key=lambda f: (f[0].department.code, -f[1].named, f[0].staff_number))
    return [row for _member, row, _categories in ordered]


def departments(user, period: Period) -> list[DepartmentRow]:
    """The departments with complaints received in the period that the reader sees, in the KPIs' order."""
    rows = [row for row in table(Scope(user), period, DIMENSIONS["department"]) if row.key is not None]
    found = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_([r.key for r in rows])))}
    heads: dict[int, list[str]] = {}
    for head in db.session.scalars(select(User).where(User.role == Role.head.value, User.active.is_(True),
                                                      User.department_id.in_(list(found)))
                                   .order_by(User.display_name)):
        heads.setdefault(head.department_id, []).append(head.display_name)
    return [DepartmentRow(found[row.key].name, heads.get(row.key, []), row.figures) for row in rows]


def report(user, period: Period, uncategorised: str = "") -> Report:
    repeat_at = hospital().repeat_alert_upheld
    return Report(people(user, period, uncategorised, repeat_at), departments(user, period), repeat_at,
                  window_end(period))


def to_data(found: Report, figures_data) -> dict:
    """The report as JSON-able data; `figures_data` writes a department's Figures (closing's own)."""
    return {"people": [{**asdict(row), "categories": [list(c) for c in row.categories]} for row in found.people],
            "departments": [{"department": row.department, "heads": row.heads, **figures_data(row.figures)}
                            for row in found.departments],
            "repeat_at": found.repeat_at, "window_ends": found.window_ends.isoformat()}


def from_data(data: dict, thaw_figures) -> Report:
    """What `to_data` wrote, read back; `thaw_figures` reads a department's Figures (closing's own)."""
    people_rows = [PersonRow(**{**row, "categories": [tuple(c) for c in row["categories"]]})
                   for row in data["people"]]
    department_rows = [DepartmentRow(row["department"], row["heads"], thaw_figures(row))
                       for row in data["departments"]]
    return Report(people_rows, department_rows, data["repeat_at"], date.fromisoformat(data["window_ends"]))
