"""Confidentiality (保密原则): the complainant's identifying fields, what of a confidential complainant the
department may not see, and so what each role may read and search by. The disclosure action opens fields to
the department; `permissions.identity_fields()` adds that the reader must see the complaint at all, and
`identity_views.py` records who was shown an identity."""

from __future__ import annotations

from sqlalchemy import literal, not_, or_

from ..core.roles import DEPARTMENT_ROLES, SEES_EVERY_COMPLAINT, Role, role_of
from .models import Complaint

NAME_FIELDS = ("complainant_name",)
CONTACT_FIELDS = ("complainant_phone", "complainant_email")
COMPLAINANT_FIELDS = NAME_FIELDS + CONTACT_FIELDS
# When the complainant is the patient, the patient's name and record number identify them too.
PATIENT_FIELDS = ("patient_name", "patient_record_number")
ALL_FIELDS = COMPLAINANT_FIELDS + PATIENT_FIELDS
# Each group is disclosed to the department as one, recorded in the complaint's column of that name.
DISCLOSABLE = {"disclosed_name": NAME_FIELDS, "disclosed_contact": CONTACT_FIELDS,
               "disclosed_patient": PATIENT_FIELDS}


def hidden_from_department(complaint) -> frozenset[str]:
    """The fields of a confidential complainant the department does not see (what a disclosure can open)."""
    if not complaint.confidential:
        return frozenset()
    hidden = set(COMPLAINANT_FIELDS)
    if complaint.complainant_relation == "patient":
        hidden |= set(PATIENT_FIELDS)
    for column, group in DISCLOSABLE.items():
        if getattr(complaint, column):
            hidden -= set(group)
    return frozenset(hidden)


def fields_open_to(role: Role, complaint) -> frozenset[str]:
    """The identifying fields of a complaint a role may read, once it may see the complaint: the department
    (its head, and the member of its staff handling it) not those hidden from it, everyone else every one."""
    if role not in DEPARTMENT_ROLES:
        return frozenset(ALL_FIELDS)
    return frozenset(ALL_FIELDS) - hidden_from_department(complaint)


def searches_as_department(user) -> bool:
    """Whether `user` may search a complaint's identifying fields exactly where its own department may read
    them (what `hidden_from_department()` leaves; `searchable_identity()` is the same rule in SQL): the
    search index keeps those words of each complaint in a column of their own, for one lookup."""
    return role_of(user) in DEPARTMENT_ROLES


# Those who see every complaint search every field everywhere: one list of conditions (they hold no data),
# not one built at each call (the complaint page asks several times).
_EVERY_FIELD_EVERYWHERE = tuple((name, literal(True)) for name in ALL_FIELDS)


def searchable_identity(user) -> list[tuple[str, object]]:
    """(field, SQL condition under which `user` may search by it) for each identifying field: a head
    searches a complainant's name only where the complainant did not ask for confidentiality."""
    role = role_of(user)
    # The discipline office reads every field of the complaints it sees (visible() keeps it to those).
    if role in SEES_EVERY_COMPLAINT or role == Role.supervision:
        return list(_EVERY_FIELD_EVERYWHERE)
    if role not in DEPARTMENT_ROLES:
        return []
    open_to_department = not_(Complaint.confidential)
    patient_not_complainant = or_(Complaint.complainant_relation.is_(None), Complaint.complainant_relation != "patient")
    allowed = {
        NAME_FIELDS: or_(open_to_department, Complaint.disclosed_name),
        CONTACT_FIELDS: or_(open_to_department, Complaint.disclosed_contact),
        PATIENT_FIELDS: or_(open_to_department, patient_not_complainant, Complaint.disclosed_patient),
    }
    return [(name, condition) for group, condition in allowed.items() for name in group]
