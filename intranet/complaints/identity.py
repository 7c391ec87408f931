"""The complainant's identifying fields, and what of a confidential complainant the department may not see
(保密原则). `permissions` decides who may read and search them; the disclosure action opens them."""

from __future__ import annotations

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
