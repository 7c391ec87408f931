"""The people a complaint is about (被投诉人/当事人): named or removed, matched to the directory, their side
(told, and their statement with files) and the head's finding for each. Their rows are in `people.py`; who
may read them is `permissions.may_see_person()`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ...core.extensions import db
from ...core.forms import STRIPPED, Length, int_or_none, optional_choice, required
from ...core.hospital import hospital
from ...core.time import today, utcnow
from ...directory import lookup
from ..forms import ActionForm, PeoplePickerField, method_field, reason_field
from ..models import ContactMethod
from ..notices import REPEAT_FOUND_AGAINST
from ..people import (
    DESCRIBED_LENGTH,
    FOUND_AGAINST,
    ComplaintPerson,
    PersonFile,
    PersonFinding,
    current_people,
    found_against,
    twelve_months_to,
)
from ..permissions import may_see_person
from ..spec import HIDDEN, ActionInvalid, ActionSpec, Notice, Shown
from ..states import OPEN, State
from ._shared import HANDLER, HEAD, REASON, RECEPTION, StepEvidence, evidence_field, store_files

PEOPLE = Shown(_l("People it is about"))
PERSON = Shown(_l("Person"))


def _refs(people) -> list:
    """What an event keeps to find its people again (the directory entry, else the words): the timeline
    shows a person's name only to those who may see it."""
    return [[p.staff_member_id, None if p.staff_member_id else p.described] for p in people]


def _person_choices(form, complaint, user, rows=None) -> None:
    rows = current_people(complaint) if rows is None else rows
    form.person_id.choices = optional_choice(lambda: [SelectChoice(str(p.id), p.name()) for p in rows
                                                      if may_see_person(user, complaint, p)])()


def _chosen(complaint, user, data: dict) -> ComplaintPerson:
    person = next((p for p in current_people(complaint) if p.id == data.get("person_id")), None)
    if person is None or not may_see_person(user, complaint, person):
        raise ActionInvalid({"person_id": str(_l("Choose one of the people the complaint is about."))})
    return person


def person_field():
    # The choices are this reader's people of this complaint (fit_form); the action's rule checks the one
    # chosen, so a form built without them (an example, a stale page) is checked there.
    return SelectField(_l("Person"), coerce=int_or_none, choices=[], validate_choice=False,
                       validators=[required(_l("Choose the person."))])


# --- name the people it is about ------------------------------------------------------------------------


class NamePeopleForm(ActionForm):
    people = PeoplePickerField(_l("People from the staff directory"),
                               description=_l("Find them by name or staff number."))
    described = StringField(_l("Or describe someone not in the directory (name, role, ward)"), filters=STRIPPED,
                            validators=[Length(max=DESCRIBED_LENGTH)])
    matches_id = SelectField(_l("The person chosen is the one described as"), coerce=int_or_none,
                             choices=[], validators=[Optional()], validate_choice=False,
                             description=_l("To match the complainant's words to the directory entry."))
    not_identified = BooleanField(_l("They cannot be identified"))


def _fit_name_people(form, complaint, user) -> None:
    described = [p for p in current_people(complaint) if p.staff_member_id is None
                 and may_see_person(user, complaint, p)]
    if not described:
        del form.matches_id
        return
    form.matches_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(p.id), p.described) for p in described]


def _name_people(c, user, data: dict) -> dict:
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        return _name(c, user, data)


def _name(c, user, data: dict) -> dict:
    picked = lookup.people(data.get("people") or [])
    described = data.get("described") or None
    matches = next((p for p in current_people(c) if p.id == data.get("matches_id") and p.staff_member_id is None),
                   None)
    if not (picked or described or data.get("not_identified")):
        raise ActionInvalid({"people": str(_l("Choose someone from the directory, describe them, or say they "
                                              "cannot be identified."))})
    if data.get("matches_id") and (matches is None or len(picked) != 1):
        raise ActionInvalid({"matches_id": str(_l("Choose one person from the directory to match these words to."))})
    role, now, named, matched = user.role, utcnow(), [], None
    for member in picked:
        row = next((p for p in c.people if p.staff_member_id == member.id), None)
        if row is not None and row.current:
            raise ActionInvalid({"people": str(_l("%(name)s is already named on this complaint.", name=member.name))})
        if matches is not None:
            matches.staff_member_id, matched = member.id, matches.described
            matches.staff_member = member
            named.append(matches)
        elif row is not None:  # removed earlier, named again: the same row comes back
            row.removed_at, row.named_by_id, row.named_by_role, row.named_at = None, user.id, role, now
            named.append(row)
        else:
            row = ComplaintPerson(staff_member_id=member.id, staff_member=member, named_by_id=user.id,
                                  named_by_role=role, named_at=now)
            c.people.append(row)
            named.append(row)
    if described:
        row = ComplaintPerson(described=described, named_by_id=user.id, named_by_role=role, named_at=now)
        c.people.append(row)
        named.append(row)
    c.people_not_identified = bool(data.get("not_identified")) and not current_people(c)
    return {"people": [p.recorded_name() for p in named] or None, "matched": matched,
            "not_identified": c.people_not_identified or None, "person_refs": _refs(named) or None}


name_people = ActionSpec(
    "name_people", _l("Name the people it is about"), roles=frozenset({RECEPTION, HEAD, HANDLER}), sources=OPEN,
    target=None, records="people from the directory, or described, or not identified; a match to the directory",
    form=NamePeopleForm, fit_form=_fit_name_people, apply=_name_people,
    # It only adds to the record, like a note; naming the same person twice is refused by its own rule.
    commutes=True,
    timeline={"people": PEOPLE, "matched": Shown(_l("Matched to the directory, described as")),
              "not_identified": Shown(_l("Cannot be identified"), "bool"), "person_refs": HIDDEN},
    example=lambda ex: {"described": "The nurse at the desk of ward 5B, night shift."},
)


class RemovePersonForm(ActionForm):
    person_id = person_field()
    reason = reason_field(_l("Why they are not one of the people it is about"))


def _remove_person(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        person = _chosen(c, user, data)
        person.removed_at = utcnow()
        return {"person": person.recorded_name(), "reason": data["reason"], "person_refs": _refs([person])}


def _has_people(c) -> bool:
    return bool(current_people(c))


remove_person = ActionSpec(
    "remove_person", _l("Remove a person it is not about"), roles=frozenset({RECEPTION, HEAD, HANDLER}), sources=OPEN,
    target=None, records="the person removed and why", only_when=_has_people,
    form=RemovePersonForm, fit_form=_person_choices, apply=_remove_person,
    timeline={"person": PERSON, "reason": REASON, "person_refs": HIDDEN},
    example_complaint={"people_described": "The nurse at the desk of ward 5B, night shift."},
    example=lambda ex: {"reason": "Not on duty that night.", "person_id": _first_person(ex)},
)


def _first_person(ex):
    people = current_people(ex.complaint) if ex.complaint is not None else []
    return people[0].id if people else None


# --- their side (当事人陈述) ------------------------------------------------------------------------------


class StatementForm(StepEvidence, ActionForm):
    person_id = person_field()
    told_on = DateField(_l("Told of the complaint on"), validators=[InputRequired(message=_l("Enter the date."))])
    told_via = method_field(_l("How they were told"))
    statement = TextAreaField(_l("Their statement"), filters=STRIPPED, validators=[required(), Length(max=20000)])
    evidence = evidence_field(_l("Files with the statement (optional)"))


def _record_statement(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        person = _chosen(c, user, data)
        if data["told_on"] > today():
            raise ActionInvalid({"told_on": str(_l("The date cannot be in the future."))})
        person.told_on, person.told_via = data["told_on"], data["told_via"]
        person.statement, person.statement_at = data["statement"], utcnow()
        stored = store_files(data)
        person.files.extend(PersonFile(**row) for row in stored)
        return {"person": person.recorded_name(), "told_on": data["told_on"], "told_via": data["told_via"],
                "statement": data["statement"], "files": [row["original_name"] for row in stored] or None,
                "person_refs": _refs([person])}


record_statement = ActionSpec(
    "record_statement", _l("Record a person's statement"), roles=frozenset({HEAD, HANDLER}),
    sources=frozenset({State.investigating}), target=None, only_when=_has_people,
    records="that the person was told (when, how), their statement and its files",
    form=StatementForm, fit_form=_person_choices, apply=_record_statement,
    timeline={"person": PERSON, "told_on": Shown(_l("Told on"), "date"),
              "told_via": Shown(_l("Told via"), ContactMethod), "statement": Shown(_l("Their statement")),
              "files": Shown(_l("Files")), "person_refs": HIDDEN},
    example_complaint={"people_described": "The nurse at the desk of ward 5B, night shift."},
    example=lambda ex: {"person_id": _first_person(ex), "told_on": today(), "told_via": "in_person",
                        "statement": "I was alone on the ward with two admissions; I answered as soon as I could."},
)


# --- the finding for each person -----------------------------------------------------------------------


class PersonFindingForm(ActionForm):
    person_id = person_field()
    finding = SelectField(_l("Finding for this person"), choices=optional_choice(PersonFinding.choices),
                          validators=[required(_l("Choose a finding."))])


def _record_person_finding(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        person = _chosen(c, user, data)
        person.finding = data["finding"]
        recorded = {"person": person.recorded_name(), "finding": data["finding"], "person_refs": _refs([person])}
        if (count := _found_against_now(c, person)) is not None:
            recorded["found_against"] = count
        return recorded


def _found_against_now(c, person) -> int | None:
    """With this finding against them, how often the person was found against in the twelve months to today,
    when it reaches the hospital's repeat alert (leadership is told: REPEAT_FOUND_AGAINST); else None."""
    if person.staff_member_id is None or person.finding not in FOUND_AGAINST:
        return None
    start, end = twelve_months_to(today())
    before = found_against([person.staff_member_id], today(), leaving_out=person.id).get(person.staff_member_id, 0)
    count = before + (start <= c.received_at < end)
    return count if count >= hospital().repeat_alert_upheld else None


record_person_finding = ActionSpec(
    "record_person_finding", _l("Record the finding for a person"), roles=frozenset({HEAD, HANDLER}),
    sources=frozenset({State.investigating}), target=None, only_when=_has_people,
    records="upheld, partly upheld or not upheld, for one person",
    form=PersonFindingForm, fit_form=_person_choices, apply=_record_person_finding,
    timeline={"person": PERSON, "finding": Shown(_l("Finding"), PersonFinding), "person_refs": HIDDEN,
              "found_against": HIDDEN},
    notices=(Notice(REPEAT_FOUND_AGAINST, recorded="found_against"),),
    example_complaint={"people_described": "The nurse at the desk of ward 5B, night shift."},
    example=lambda ex: {"person_id": _first_person(ex), "finding": "partly_upheld"},
)
