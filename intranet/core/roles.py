"""Who someone is to the product: the staff roles, and the two actors that are not staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .choices import Labelled


class Role(Labelled):
    public = "public"  # not a user role: the complainant on the public form
    system = "system"  # not a user role: the hospital's scheduled jobs (the SLA sweep), acting on their own
    reception = "reception"
    head = "head"
    leadership = "leadership"
    # The discipline office (纪检监察室): investigates integrity complaints (红包, 回扣, misconduct) in place
    # of the accused department's head, and sees no other complaint.
    supervision = "supervision"
    # Department staff (科室经办人): a member of a department its head hands the investigation of a complaint
    # to; they see only the complaints handed to them, and never sign off.
    staff = "staff"
    admin = "admin"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Role.public: _l("Public"),
            Role.system: _l("System (automatic)"),
            Role.reception: _l("Reception / duty officer"),
            Role.head: _l("Department head"),
            Role.leadership: _l("Leadership"),
            Role.supervision: _l("Discipline office"),
            Role.staff: _l("Department staff"),
            Role.admin: _l("Administrator"),
        }


STAFF = frozenset({Role.reception, Role.head, Role.leadership})
# Those who see every complaint (a head sees only their department's). Not the administrator: they keep the
# accounts and settings, and read a complaint only through a recorded break-glass opening (permissions.py).
SEES_EVERY_COMPLAINT = frozenset({Role.reception, Role.leadership})
# The roles that belong to a department: its head, and its staff who handle the complaints handed to them.
DEPARTMENT_ROLES = frozenset({Role.head, Role.staff})


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


def role_of(user) -> Role:
    """The role someone acts in: the system, the public (nobody logged in), or their account's role."""
    if user is SYSTEM:
        return Role.system
    if user is None or not getattr(user, "is_authenticated", False):
        return Role.public
    return Role(user.role)
USER_ROLES = (Role.reception, Role.head, Role.staff, Role.leadership, Role.supervision, Role.admin)
