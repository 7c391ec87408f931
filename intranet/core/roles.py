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
    admin = "admin"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Role.public: _l("Public"),
            Role.system: _l("System (automatic)"),
            Role.reception: _l("Reception / duty officer"),
            Role.head: _l("Department head"),
            Role.leadership: _l("Leadership"),
            Role.admin: _l("Administrator"),
        }


STAFF = frozenset({Role.reception, Role.head, Role.leadership})
USER_ROLES = (Role.reception, Role.head, Role.leadership, Role.admin)
