"""Who may do what, and who may see what: the one module every view, template, query and test asks.

- `can(user, action, record)`: a step of a record (a lifecycle action on a complaint, a step of a corrective
  action: roles and states from its spec) or one of the abilities below.
- `visible(user)`: the SQL clause of the complaints a user may see, for queues, counts, search and the
  reports and exports to come. It says in SQL what `can(user, VIEW, …)` says in Python; a test checks that
  they agree complaint by complaint.
- `identity_fields(user, complaint)`: which of the complainant's identifying fields a user may read: what
  confidentiality (`confidentiality.py`, 保密原则) opens to their role, of a complaint they may see.
- Evidence files: `can(user, SEE_FILE, file)`: listed and downloadable for those who see its complaint, unless
  it may identify a complainant whose identity is hidden from them.
- `may_see_person(user, complaint, person)`: whether a user may read who one of the people a complaint is
  about is (people.py), their statement and the finding for them.
- Corrective actions: `can(user, VIEW, corrective_action)`, and `corrective_visible(user)`, its SQL clause.
- Department staff (`Role.staff`, 科室经办人): see only the complaints their head handed to them (`handler_id`),
  of their own department, and never an integrity one; they read them as the department does (confidential
  details hidden) and do the investigation's work the specs give them, never the head's sign-off. Taken off
  a complaint, they lose sight of it at once: the same clause in may_view() and visible().
- Integrity complaints (医德医风, `Complaint.integrity`): the discipline office (`Role.supervision`) sees them
  and takes the head's part in them (`STANDS_IN`); the department they accuse never sees them: one clause
  in may_view() and visible(), which every page, count, search, report and export goes through.
- The administrator sees no complaint and no corrective action, except one complaint for the time a
  break-glass opening of it lasts (`BREAK_GLASS`: a reason given, written to the identity-view log,
  leadership told); every page, fragment, search and export follows from `may_view()` and `visible()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, false, or_, select, true
from werkzeug.local import LocalProxy

from ..core.roles import DEPARTMENT_ROLES, SEES_EVERY_COMPLAINT, Role, role_of
from .confidentiality import COMPLAINANT_FIELDS, NAME_FIELDS, PATIENT_FIELDS, fields_open_to
from .contributions import Contribution, contribution_of
from .corrective.models import CorrectiveAction, corrective_action_complaints
from .identity_log import is_open_to, openings_clause
from .models import Complaint
from .people import ComplaintPerson

if TYPE_CHECKING:
    from ..core.users import User
    from .spec import Spec

# Abilities that are not lifecycle actions.
VIEW = "view"  # open the complaint page and its fragments
SEE_IDENTITY = "see_identity"  # the complainant's name and contact details
PRINT_RECEIPT = "print_receipt"  # issue a new tracking code on a printed receipt (walk-in, phone)
ADMINISTER = "administer"  # deadline policy, working-day calendar, the outbox and other reference data
SEE_IDENTITY_VIEWS = "see_identity_views"  # who was shown a complainant's identity (identity_views.py)
PUBLISH_NOTICES = "publish_notices"  # the public notices (公告) of measures taken
READ_REPORTS = "read_reports"  # the KPIs, the monthly analysis and the exports, of what the reader may see
SEE_RECORD_CHECK = "see_record_check"  # told on the complaint page that its record does not verify (audit.py)
BREAK_GLASS = "break_glass"  # open one complaint to the administrator for a while, with a reason
SEE_FILE = "see_file"  # an evidence file listed on the complaint page, and downloaded
CLOSE_PERIODS = "close_periods"  # close a month (quarter, year) once ended, freezing its figures; reopen it
RECORD_QUALITY_MEETINGS = "record_quality_meetings"  # the quality meeting (质量例会) that read the analysis
READ_ACCOUNTABILITY = "read_accountability"  # the accountability report: people named, findings, veto marks

# The complaints office keeps the figures, leadership reads them, a head reads their department's.
READS_REPORTS = frozenset({Role.reception, Role.leadership, Role.head})




def _own_department(user: User, complaint: Complaint) -> bool:
    return complaint.department_id is not None and complaint.department_id == user.department_id


def contributes(user: User | None, complaint: Complaint) -> bool:
    """Whether `user` heads a department asked to contribute to `complaint` (co-handling), not removed. The
    same confidentiality holds for it as for the lead (identity_fields() reads the role), and an integrity
    complaint is the discipline office's alone: no department contributes to it (may_view() says so)."""
    return (role_of(user) == Role.head and user.department_id is not None
            and contribution_of(complaint, user.department_id) is not None)


# --- who may see what -------------------------------------------------------------------------------------

SEES_EVERYTHING = SEES_EVERY_COMPLAINT


def may_view(user: User | None, complaint: Complaint) -> bool:
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return True
    if role == Role.admin:
        return complaint.id is not None and is_open_to(user.id, complaint.id)
    if role == Role.supervision:
        return bool(complaint.integrity)
    if role == Role.staff:
        return _handles(user, complaint)
    # The department an integrity complaint accuses never sees it, and no other department works on one.
    return role == Role.head and not complaint.integrity and (_own_department(user, complaint)
                                                               or contributes(user, complaint))


def _handles(user: User, complaint: Complaint) -> bool:
    """A member of the department's staff handles a complaint while it is handed to them and still their
    department's (moved to another department, they no longer do)."""
    return (complaint.handler_id is not None and complaint.handler_id == user.id
            and _own_department(user, complaint) and not complaint.integrity)


def visible(user: User | None):
    """The SQL clause of the complaints `user` may see: the same rule as may_view(), in the database."""
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return true()
    if role == Role.admin:
        return Complaint.id.in_(openings_clause(user.id))
    if role == Role.supervision:
        return Complaint.integrity.is_(True)
    if role == Role.head and user.department_id is not None:
        asked = select(Contribution.complaint_id).where(Contribution.department_id == user.department_id,
                                                         Contribution.removed_at.is_(None))
        return and_(or_(Complaint.department_id == user.department_id, Complaint.id.in_(asked)),
                    Complaint.integrity.is_(False))
    if role == Role.staff and user.department_id is not None:
        return and_(Complaint.handler_id == user.id, Complaint.department_id == user.department_id,
                    Complaint.integrity.is_(False))
    return false()


def department_scope(user: User | None) -> int | None:
    """The one department `user` sees complaints of (a head), or None when not confined to one. visible()
    is the rule; this lets an index narrow its lookups the same way before visible() is applied (a
    complaint a head's department only contributes to is then not found by their search: it is in their
    "contribution due" queue, and its search words are its lead department's)."""
    if role_of(user) in DEPARTMENT_ROLES:
        return user.department_id
    return None


def corrective_visible(user: User | None):
    """The SQL clause of the corrective actions `user` may see: all for those who see every complaint; a
    head, those their department owns or that answer one of their department's complaints."""
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return true()
    if role != Role.head or user.department_id is None:
        return false()
    answers_ours = CorrectiveAction.id.in_(
        select(corrective_action_complaints.c.corrective_action_id)
        .join(Complaint, Complaint.id == corrective_action_complaints.c.complaint_id)
        .where(Complaint.department_id == user.department_id, Complaint.integrity.is_(False)))
    return or_(CorrectiveAction.owner_department_id == user.department_id, answers_ours)


def _may_view_corrective(user: User | None, action) -> bool:
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return True
    return role == Role.head and user.department_id is not None and (
        action.owner_department_id == user.department_id
        or any(c.department_id == user.department_id and not c.integrity for c in action.complaints))


def identity_fields(user: User | None, complaint: Complaint) -> frozenset[str]:
    """The identifying fields of `complaint` that `user` may read (empty if they may not see it at all)."""
    if not may_view(user, complaint):
        return frozenset()
    return fields_open_to(role_of(user), complaint)


# What a file marked "may identify" shows of the complainant: a letter is signed with their name, a bill or a
# referral carries the patient's name and record number. Once the reader may read those (a disclosure of the
# name, and of the patient's name and record number where the complainant is the patient), the file tells
# them nothing they may not know; the contact details alone do not release it, for they say how to reach
# someone, not who they are, and a file is never shown to someone still kept from the name on it.
FILE_IDENTIFIES = frozenset(NAME_FIELDS + PATIENT_FIELDS)


def _may_see_file(user: User | None, item) -> bool:
    """An evidence file, to a reader of its complaint: unless it may identify a complainant whose name (or,
    for a patient complainant, the patient's name and record number) is hidden from them."""
    complaint = item.complaint
    if not may_view(user, complaint):
        return False
    return not item.may_identify or identity_fields(user, complaint) >= FILE_IDENTIFIES


# Reception reads the names it recorded, and the complainant's own words; who the department then names,
# and what they said, is the department's and leadership's.
NAMED_AT_RECEPTION = frozenset({Role.reception, Role.public})


def may_see_person(user: User | None, complaint: Complaint, person: ComplaintPerson) -> bool:
    """Whether `user` may read who `person` is (and their side, and the finding for them): leadership, and the
    discipline office (which sees integrity complaints only, and investigates them); the head handling the
    complaint, and the head of the person's own department; the member of staff it is handed to; reception,
    the people named at reception (by reception or in the complainant's words). The administrator only
    through a break-glass opening, as for the rest of the complaint."""
    if not may_view(user, complaint):
        return False
    role = role_of(user)
    if role in (Role.leadership, Role.admin, Role.supervision):
        return True
    if role == Role.head:
        member = person.staff_member
        return _own_department(user, complaint) or (member is not None and member.department_id == user.department_id)
    if role == Role.staff:  # may_view() above: it is handed to them
        return True
    return role == Role.reception and Role(person.named_by_role) in NAMED_AT_RECEPTION


def may_see_contribution_people(user: User | None, complaint: Complaint, contribution) -> bool:
    """Who of a contributing department's staff is involved, as its head wrote it: read as the people a
    complaint is about are (may_see_person): leadership and the discipline office, the lead department's
    head, and the contributing department's own head; not reception."""
    if not may_view(user, complaint):
        return False
    role = role_of(user)
    if role in (Role.leadership, Role.admin, Role.supervision):
        return True
    return role == Role.head and user.department_id in (complaint.department_id, contribution.department_id)


# --- who may do what --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRule:
    """How a kind of record with steps is seen, and which department answers for it (a head takes an
    `owner_only` step only on a record their department answers for)."""

    may_view: Callable[[User | None, object], bool]
    department_id: Callable[[object], int | None]
    # Whether a head takes the record's steps (seeing it may not be enough: a contributing department sees
    # a complaint, and takes only the steps for contributors).
    may_act: Callable[[User | None, object], bool] | None = None


def _leads(user: User | None, complaint: Complaint) -> bool:
    return _own_department(user, complaint) and not complaint.integrity


RECORDS: dict[type, RecordRule] = {
    Complaint: RecordRule(may_view, lambda complaint: complaint.department_id, _leads),
    CorrectiveAction: RecordRule(_may_view_corrective, lambda action: action.owner_department_id),
}

# Abilities that are not steps of a record: (user, role, record) -> whether allowed.
ABILITIES: dict[str, Callable[[User | None, Role, object], bool]] = {
    ADMINISTER: lambda user, role, record: role == Role.admin,
    VIEW: lambda user, role, record: record is not None and RECORDS[type(record)].may_view(user, record),
    PUBLISH_NOTICES: lambda user, role, record: role == Role.leadership,
    # Leadership answers for the figures the hospital reports, and chairs the quality meeting.
    CLOSE_PERIODS: lambda user, role, record: role == Role.leadership,
    RECORD_QUALITY_MEETINGS: lambda user, role, record: role == Role.leadership,
    READ_REPORTS: lambda user, role, record: role in READS_REPORTS and (role != Role.head
                                                                       or user.department_id is not None),
    # Findings about named staff are a personnel matter: leadership's, and a head's for their own department.
    # Not reception's: it reads the figures, not who was found at fault.
    READ_ACCOUNTABILITY: lambda user, role, record: role == Role.leadership or (role == Role.head
                                                                                and user.department_id is not None),
    SEE_IDENTITY_VIEWS: lambda user, role, record: (role in (Role.leadership, Role.admin) and record is not None
                                                    and may_view(user, record)),
    # Those who answer for the record's integrity (and can have it investigated) are told; nobody else is.
    SEE_RECORD_CHECK: lambda user, role, record: (role in (Role.leadership, Role.admin) and record is not None
                                                  and may_view(user, record)),
    # Only a complaint not open to them already: a second opening would tell leadership nothing new.
    BREAK_GLASS: lambda user, role, record: role == Role.admin and record is not None and not may_view(user, record),
    SEE_IDENTITY: lambda user, role, record: (record is not None
                                              and set(COMPLAINANT_FIELDS) <= identity_fields(user, record)),
    SEE_FILE: lambda user, role, record: record is not None and _may_see_file(user, record),
    # Reception meets walk-in and phone complainants; the receipt is for one still to be answered.
    PRINT_RECEIPT: lambda user, role, record: role == Role.reception and record is not None and record.is_open,
}


def can(user: User | None, action, record=None) -> bool:
    """May `user` do `action` on `record` now? `action` is one of the abilities above, or a step of a record
    (a lifecycle `Action` on a complaint, a `Step` of a corrective action; None for a step that creates one).

    A step is decided by its spec (roles, the states it starts from, its condition beyond the state) and
    by who the user is to the record: a department head acts only on what they may see, and on an
    `owner_only` step only where their department answers for the record.
    """
    # current_user is a proxy that looks the user up on every attribute; a page asks this hundreds of times.
    user = user._get_current_object() if isinstance(user, LocalProxy) else user
    role = role_of(user)
    ability = ABILITIES.get(action)
    if ability is not None:
        return ability(user, role, record)
    return _may_take(user, role, action.spec, record)


# Who takes another role's part, on which records: the discipline office does on an integrity complaint
# what a department head does on their department's (accept, findings, the people it is about and their
# statements, sign-off, the response, extend, escalate, notes, proposing a re-triage). Leadership's approval
# and escalation rules stay as for any complaint.
STANDS_IN: dict[Role, tuple[Role, Callable[[object], bool]]] = {
    Role.supervision: (Role.head, lambda record: isinstance(record, Complaint) and bool(record.integrity)),
}


def acting_role(role: Role, record) -> Role:
    """The role whose part `role` takes on `record` (its own, unless it stands in for another there)."""
    stand_in = STANDS_IN.get(role)
    if stand_in is not None and record is not None and stand_in[1](record):
        return stand_in[0]
    return role


def _may_take(user: User | None, role: Role, spec: Spec, record) -> bool:
    stands_in = acting_role(role, record) != role
    role = acting_role(role, record)
    if role not in spec.roles:
        return False
    if spec.creates:
        return record is None and (role != Role.head or user.department_id is not None)
    if record is None or record.state not in spec.sources:
        return False
    if spec.only_when is not None and not spec.only_when(record):
        return False
    if role == Role.staff:  # the handler: on a complaint handed to them, never on another record
        return isinstance(record, Complaint) and may_view(user, record)
    if role != Role.head:
        return True
    rule = RECORDS[type(record)]
    if stands_in and spec.contributors_only:  # an integrity complaint has no contributing departments
        return False
    if stands_in:  # the office's part is the whole hospital's integrity complaints, not one department's
        return rule.may_view(user, record)
    if spec.contributors_only:  # a contributing head's own part (co-handling), once
        row = contribution_of(record, user.department_id) if isinstance(record, Complaint) else None
        return rule.may_view(user, record) and row is not None and row.outstanding
    if not (rule.may_act or rule.may_view)(user, record):
        return False
    return not spec.owner_only or rule.department_id(record) == user.department_id


__all__ = ["ADMINISTER", "BREAK_GLASS", "CLOSE_PERIODS", "PRINT_RECEIPT", "PUBLISH_NOTICES", "READ_ACCOUNTABILITY",
           "READ_REPORTS", "RECORD_QUALITY_MEETINGS", "SEE_FILE", "SEE_IDENTITY", "SEE_IDENTITY_VIEWS",
           "SEE_RECORD_CHECK", "VIEW",
           "acting_role", "can", "contributes", "corrective_visible", "department_scope", "identity_fields",
           "may_see_contribution_people", "may_see_person",
           "visible"]
