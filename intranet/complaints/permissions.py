"""Who may do what: the one function every view, template and test asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lifecycle import TRANSITIONS, Action, Role, actions_from

if TYPE_CHECKING:
    from ..auth.models import User
    from .models import Complaint

# Abilities that are not lifecycle actions.
VIEW = "view"  # open the complaint page and its fragments
SEE_IDENTITY = "see_identity"  # the complainant's name and contact details
PRINT_RECEIPT = "print_receipt"  # issue a new tracking code on a printed receipt (walk-in, phone)
ADMINISTER = "administer"  # deadline policy, working-day calendar and other reference data


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


def role_of(user: User | None) -> Role:
    if user is SYSTEM:
        return Role.system
    if user is None or not getattr(user, "is_authenticated", False):
        return Role.public
    return Role(user.role)


def _own_department(user: User, complaint: Complaint) -> bool:
    return complaint.department_id is not None and complaint.department_id == user.department_id


def can(user: User | None, action: Action | str, complaint: Complaint | None = None) -> bool:
    """May `user` do `action` (a lifecycle action, or an ability above) on `complaint` now?

    Decided by role, department and state only; the lifecycle table supplies roles and states.
    """
    role = role_of(user)

    if action == ADMINISTER:
        return role == Role.admin

    if action == VIEW:
        if role in (Role.reception, Role.leadership, Role.admin):
            return True
        return role == Role.head and complaint is not None and _own_department(user, complaint)

    if action == SEE_IDENTITY:
        # 保密原则: a confidential complainant is shown to departments without name and contact.
        if not can(user, VIEW, complaint):
            return False
        return not (complaint.confidential and role == Role.head)

    if action == PRINT_RECEIPT:
        # Reception meets walk-in and phone complainants; the receipt is for one still to be answered.
        return role == Role.reception and complaint is not None and complaint.is_open

    transition = TRANSITIONS[Action(action)]
    if role not in transition.roles:
        return False
    if transition.sources is None:  # creates a complaint
        return complaint is None
    if complaint is None or complaint.state not in transition.sources:
        return False
    if role == Role.head and transition.own_department:
        return _own_department(user, complaint)
    return True


def allowed_actions(user: User | None, complaint: Complaint) -> list[Action]:
    return [a for a in actions_from(complaint.state) if can(user, a, complaint)]
