"""Who may do what, and who may see what: the one module every view, template, query and test asks.

- `can(user, action, complaint)`: a lifecycle action (roles and states from the action specs) or one of
  the abilities below.
- `visible(user)`: the SQL clause of the complaints a user may see, for queues, counts, search and the
  reports and exports to come. It says in SQL what `can(user, VIEW, …)` says in Python; a test checks that
  they agree complaint by complaint.
- `identity_fields(user, complaint)` and `searchable_identity(user)`: which of the complainant's
  identifying fields a user may read and search by (保密原则: a confidential complainant is hidden from
  the department).
- Corrective actions: `can(user, step, corrective_action)` for their steps (from `corrective/steps.py`),
  `can(user, VIEW, corrective_action)`, and `corrective_visible(user)`, its SQL clause.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import false, literal, not_, or_, select, true
from werkzeug.local import LocalProxy

from ..core.roles import Role
from .corrective.models import CorrectiveAction, corrective_action_complaints
from .corrective.steps import STEPS, Step
from .identity import (
    ALL_FIELDS,
    COMPLAINANT_FIELDS,
    CONTACT_FIELDS,
    NAME_FIELDS,
    PATIENT_FIELDS,
    hidden_from_department,
)
from .lifecycle import SPECS, Action, State, actions_from
from .models import Complaint

if TYPE_CHECKING:
    from ..core.users import User
    from .spec import ActionSpec

# Abilities that are not lifecycle actions.
VIEW = "view"  # open the complaint page and its fragments
SEE_IDENTITY = "see_identity"  # the complainant's name and contact details
PRINT_RECEIPT = "print_receipt"  # issue a new tracking code on a printed receipt (walk-in, phone)
ADMINISTER = "administer"  # deadline policy, working-day calendar, the outbox and other reference data
SEE_IDENTITY_VIEWS = "see_identity_views"  # who was shown a complainant's identity (privacy.py)
PUBLISH_NOTICES = "publish_notices"  # the public notices (公告) of measures taken
READ_REPORTS = "read_reports"  # the KPIs, the monthly analysis and the exports, of what the reader may see

# The complaints office keeps the figures, leadership reads them, a head reads their department's.
READS_REPORTS = frozenset({Role.reception, Role.leadership, Role.head})




class _System:
    """The actor for what the hospital's scheduled jobs do on their own (the SLA sweep). It is no user:
    it logs in nowhere, and it may do only the actions the lifecycle table gives Role.system."""

    is_authenticated = False
    id = None
    role = Role.system.value
    department_id = None
    display_name = "system"

    def __repr__(self) -> str:
        return "<System>"


SYSTEM = _System()
_ROLE_OF = {role.value: role for role in Role}


def role_of(user: User | None) -> Role:
    if user is SYSTEM:
        return Role.system
    if user is None or not getattr(user, "is_authenticated", False):
        return Role.public
    # A dict lookup rather than the enum's call: asked for every button of every queue row.
    role = _ROLE_OF.get(user.role)
    return role if role is not None else Role(user.role)


def _own_department(user: User, complaint: Complaint) -> bool:
    return complaint.department_id is not None and complaint.department_id == user.department_id


# --- who may see what -------------------------------------------------------------------------------------

SEES_EVERYTHING = frozenset({Role.reception, Role.leadership, Role.admin})


def may_view(user: User | None, complaint: Complaint) -> bool:
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return True
    return role == Role.head and _own_department(user, complaint)


def visible(user: User | None):
    """The SQL clause of the complaints `user` may see: the same rule as may_view(), in the database."""
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return true()
    if role == Role.head and user.department_id is not None:
        return Complaint.department_id == user.department_id
    return false()


def department_scope(user: User | None) -> int | None:
    """The one department `user` sees complaints of (a head), or None when not confined to one. visible()
    is the rule; this lets an index narrow its lookups the same way before visible() is applied."""
    if role_of(user) == Role.head:
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
        .where(Complaint.department_id == user.department_id))
    return or_(CorrectiveAction.owner_department_id == user.department_id, answers_ours)


def _may_view_corrective(user: User | None, action) -> bool:
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return True
    return role == Role.head and user.department_id is not None and (
        action.owner_department_id == user.department_id
        or any(c.department_id == user.department_id for c in action.complaints))


def identity_fields(user: User | None, complaint: Complaint) -> frozenset[str]:
    """The identifying fields of `complaint` that `user` may read (empty if they may not see it at all)."""
    if not may_view(user, complaint):
        return frozenset()
    if role_of(user) != Role.head:
        return frozenset(ALL_FIELDS)
    return frozenset(ALL_FIELDS) - hidden_from_department(complaint)


def searches_as_department(user: User | None) -> bool:
    """Whether `user` may search a complaint's identifying fields exactly where its own department may read
    them (what `hidden_from_department()` leaves; `searchable_identity()` is the same rule in SQL): the
    search index keeps those words of each complaint in a column of their own, for one lookup."""
    return role_of(user) == Role.head


# Those who see every complaint search every field everywhere: one list of conditions (they hold no data),
# not one built at each call (the complaint page asks several times).
_EVERY_FIELD_EVERYWHERE = tuple((name, literal(True)) for name in ALL_FIELDS)


def searchable_identity(user: User | None) -> list[tuple[str, object]]:
    """(field, SQL condition under which `user` may search by it) for each identifying field: a head
    searches a complainant's name only where the complainant did not ask for confidentiality."""
    role = role_of(user)
    if role in SEES_EVERYTHING:
        return list(_EVERY_FIELD_EVERYWHERE)
    if role != Role.head:
        return []
    open_to_department = not_(Complaint.confidential)
    patient_not_complainant = or_(Complaint.complainant_relation.is_(None), Complaint.complainant_relation != "patient")
    allowed = {
        NAME_FIELDS: or_(open_to_department, Complaint.disclosed_name),
        CONTACT_FIELDS: or_(open_to_department, Complaint.disclosed_contact),
        PATIENT_FIELDS: or_(open_to_department, patient_not_complainant, Complaint.disclosed_patient),
    }
    return [(name, condition) for group, condition in allowed.items() for name in group]


# --- who may do what --------------------------------------------------------------------------------------


def can(user: User | None, action: Action | str, complaint: Complaint | None = None) -> bool:
    """May `user` do `action` (a lifecycle action, or an ability above) on `complaint` now?

    Decided by role, department and state only; the action specs supply roles and states.
    """
    # current_user is a proxy that looks the user up on every attribute; a page asks this hundreds of times.
    user = user._get_current_object() if isinstance(user, LocalProxy) else user
    role = role_of(user)

    if action == ADMINISTER:
        return role == Role.admin

    if action == VIEW:
        if complaint is not None and not isinstance(complaint, Complaint):
            return _may_view_corrective(user, complaint)  # a corrective action
        return complaint is not None and may_view(user, complaint)

    if action == PUBLISH_NOTICES:
        return role == Role.leadership

    if action == READ_REPORTS:
        return role in READS_REPORTS and (role != Role.head or user.department_id is not None)

    if action == SEE_IDENTITY_VIEWS:
        return role in (Role.leadership, Role.admin) and complaint is not None and may_view(user, complaint)

    if action == SEE_IDENTITY:
        return complaint is not None and set(COMPLAINANT_FIELDS) <= identity_fields(user, complaint)

    if action == PRINT_RECEIPT:
        # Reception meets walk-in and phone complainants; the receipt is for one still to be answered.
        return role == Role.reception and complaint is not None and complaint.is_open

    if isinstance(action, Step):
        return _can_take_step(user, role, action, complaint)

    spec = SPECS[Action(action)]
    if role not in spec.roles:
        return False
    if spec.creates:
        return complaint is None
    if complaint is None or complaint.state not in spec.sources:
        return False
    return _may_act(user, role, spec, complaint)


def _may_act(user: User, role: Role, spec: ActionSpec, complaint: Complaint) -> bool:
    """The rest of the rule for an action the role may do from the complaint's state."""
    if spec.only_when is not None and not spec.only_when(complaint):
        return False
    if role == Role.head and spec.own_department:
        return _own_department(user, complaint)
    return True


def _can_take_step(user: User, role: Role, step: Step, action) -> bool:
    """A corrective action's step (`action` None: raising a new one)."""
    spec = STEPS[step]
    if role not in spec.roles:
        return False
    if spec.sources is None:
        return action is None and (role != Role.head or user.department_id is not None)
    if action is None or action.state not in spec.sources or not _may_view_corrective(user, action):
        return False
    if role == Role.head and spec.owner_only:
        return action.owner_department_id == user.department_id
    return True


def allowed_steps(user: User | None, action) -> list[Step]:
    return [step for step, spec in STEPS.items() if spec.sources is not None and can(user, step, action)]


@cache
def _offered(role: Role, state: State) -> tuple[tuple[Action, ActionSpec], ...]:
    """The actions `role` may do from `state` by the lifecycle table alone, in the panel's order."""
    return tuple((a, SPECS[a]) for a in actions_from(state) if role in SPECS[a].roles)


def allowed_actions(user: User | None, complaint: Complaint) -> list[Action]:
    """What can(user, action, complaint) allows of the actions from the complaint's state, in order: the
    same rule, with the roles and states worked out once (a queue page asks for every one of its rows)."""
    user = user._get_current_object() if isinstance(user, LocalProxy) else user
    role = role_of(user)
    return [a for a, spec in _offered(role, complaint.state) if _may_act(user, role, spec, complaint)]


__all__ = ["ADMINISTER", "PRINT_RECEIPT", "PUBLISH_NOTICES", "READ_REPORTS", "SEE_IDENTITY", "SEE_IDENTITY_VIEWS",
           "SYSTEM", "VIEW", "allowed_actions", "allowed_steps", "can", "corrective_visible", "department_scope",
           "identity_fields", "role_of", "searchable_identity", "visible"]
