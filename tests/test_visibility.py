"""Who may see what (SPEC §3, 保密原则), decided in one module: the page's check and the SQL clause every
list uses agree complaint by complaint, and identifying fields are shown and searched by the same rule."""

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.complaints.permissions import VIEW, can, identity_fields, visible
from intranet.complaints.search import search
from intranet.core.extensions import db
from tests import factories

PEOPLE = ("reception", "leadership", "admin", "head", "other_head", "staff", "other_staff")


def mixed_set(world) -> dict[str, Complaint]:
    """Known complaints: one in every state (cardiology's once assigned), nursing's, and confidential ones."""
    made = {f"state:{state.value}": factories.make_complaint(world, state, patient_name="李病人",
                                                             patient_record_number=f"MRN-{state.value}")
            for state in State}
    nursing = factories.make_complaint(world, State.registered, complainant_name="周护理")
    operations.perform(world.reception, Action.assign, nursing, {"department_id": world.nursing.id},
                       nursing.version)
    db.session.commit()
    made["nursing"] = nursing
    for relation in ("patient", "family"):
        made[f"confidential:{relation}"] = factories.make_complaint(
            world, State.investigating, confidential=True, complainant_relation=relation,
            complainant_name=f"保密{relation}", patient_name=f"病人{relation}", patient_record_number=f"MRN-{relation}")
    # Cardiology's head hands two of its complaints to its staff (科室经办人).
    for key in ("state:investigating", "confidential:patient"):
        factories.hand_to_staff(world, made[key])
    return made


# Which complaints each person may see: written out, not worked out.
CARDIOLOGY_STATES = {"assigned", "investigating", "awaiting_approval", "signed_off", "responded", "closed"}
EVERYTHING = {f"state:{s.value}" for s in State} | {"nursing", "confidential:patient", "confidential:family"}
SEES = {
    "reception": EVERYTHING,
    "leadership": EVERYTHING,
    "admin": set(),  # until a break-glass opening (test_break_glass.py)
    "head": {f"state:{s}" for s in CARDIOLOGY_STATES} | {"confidential:patient", "confidential:family"},
    "other_head": {"nursing"},
    # Department staff: only what their head handed them; nursing's staff were handed nothing.
    "staff": {"state:investigating", "confidential:patient"},
    "other_staff": set(),
}


@pytest.mark.parametrize("person", PEOPLE)
def test_the_page_check_and_the_sql_clause_agree_complaint_by_complaint(world, person):
    made = mixed_set(world)
    user = world.user(person)
    by_id = {c.id: key for key, c in made.items()}

    page = {key for key, c in made.items() if can(user, VIEW, c)}
    # (Among these: the factory also made the open original the duplicate is linked to.)
    listed = {by_id[i] for i in db.session.scalars(select(Complaint.id).where(visible(user),
                                                                             Complaint.id.in_(by_id)))}

    assert page == listed == SEES[person]


# (person, complaint) → the identifying fields they may read. A confidential complainant is hidden from the
# department; when the complainant is the patient, so are the patient's name and record number.
ALL_FIELDS = {"complainant_name", "complainant_phone", "complainant_email", "patient_name", "patient_record_number"}
IDENTITY = {
    ("reception", "confidential:patient"): ALL_FIELDS,
    ("leadership", "confidential:family"): ALL_FIELDS,
    ("head", "state:investigating"): ALL_FIELDS,
    ("head", "confidential:patient"): set(),
    ("head", "confidential:family"): {"patient_name", "patient_record_number"},
    ("other_head", "confidential:patient"): set(),  # not theirs at all
    # The handler reads the complainant as the department does.
    ("staff", "state:investigating"): ALL_FIELDS,
    ("staff", "confidential:patient"): set(),
    ("staff", "confidential:family"): set(),  # not handed to them
}


@pytest.mark.parametrize(("person", "key"), list(IDENTITY))
def test_identity_fields_are_shown_and_searched_by_one_rule(world, person, key):
    made = mixed_set(world)
    user, complaint = world.user(person), made[key]

    assert identity_fields(user, complaint) == IDENTITY[(person, key)]
    # Search finds it by a field exactly when that field may be read.
    for field in ("complainant_name", "patient_name", "patient_record_number"):
        value = getattr(complaint, field)
        found = complaint in search(user, value, limit=50)
        assert found == (field in IDENTITY[(person, key)]), field
