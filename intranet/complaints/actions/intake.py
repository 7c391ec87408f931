"""Receiving a complaint: submit (public), log (reception), triage, resolve on the spot, decline."""

from __future__ import annotations

from datetime import datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ...core.departments import Category
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, category_choices, int_or_none, required
from ...core.roles import Role
from ...core.time import hospital_tz, local, today, utcnow
from ...deadlines import policy
from ...deadlines.models import Clock
from .. import clocks, letters
from ..forms import (
    ActionForm,
    about_head_field,
    acknowledged_via_field,
    integrity_field,
    method_field,
    reason_field,
    strip_upper,
)
from ..models import Channel, Complaint, Complexity, Severity
from ..notices import ANSWERED, BECAME_MAJOR, FIRST_ACKNOWLEDGED
from ..spec import HIDDEN, ActionInvalid, ActionSpec, PublicMessage, Shown
from ..states import OPEN, State
from ._shared import ABOUT_HEAD, ACKNOWLEDGED_VIA, INTEGRITY, LEADERSHIP, METHOD, REASON, RECEPTION

INTAKE = frozenset({State.submitted, State.registered})
CREATED = {
    "channel": Shown(_l("Channel"), Channel),
    "acknowledged_via": ACKNOWLEDGED_VIA,
    "evidence_files": Shown(_l("Evidence files")),
    # The people it is about, as named at intake: by reception, or in the complainant's words.
    "people": Shown(_l("People it is about")),
    "described": Shown(_l("The member of staff, in the complainant's words")),
    "people_not_identified": Shown(_l("The people it is about cannot be identified"), "bool"),
    # A mailed complaint: what its email held that was not taken (a refused file, the message too large).
    "email_refused": Shown(_l("Not taken from the email")),
    # A referral: who referred it, and the response date their earlier reply-by date replaced.
    "referral_body": Shown(_l("Referred by"), "referring_body"),
    "referral_case_number": Shown(_l("Their case number")),
    "referral_reply_by": Shown(_l("Their reply-by date"), "date"),
    "response_due_was": Shown(_l("The hospital's own response date"), "date"),
    "response_due_on": Shown(_l("Response now due (the referring body's date)"), "date"),
}

# Creating actions: registration.create() writes the complaint from the public form or the intake form.
submit = ActionSpec(
    "submit", _l("Submit"), roles=frozenset({Role.public}), sources=None, target=State.submitted,
    records="complaint, tracking code", timeline=CREATED, notices=(BECAME_MAJOR,),
)

log = ActionSpec(
    "log", _l("Log a complaint"), roles=frozenset({RECEPTION}), sources=None, target=State.registered,
    records="complaint from any channel", notices=(BECAME_MAJOR, FIRST_ACKNOWLEDGED),
    # What reception chose on the log form, as triage shows it.
    timeline={**CREATED, "category": Shown(_l("Category"), "category"), "severity": Shown(_l("Severity"), Severity),
              "complexity": Shown(_l("Complexity"), Complexity), "integrity": INTEGRITY, "about_head": ABOUT_HEAD},
)


# --- triage ---------------------------------------------------------------------------------------------


def is_integrity(complaint: Complaint, marked: bool | None) -> bool:
    """Whether the complaint is an integrity one: reception marked it so, or its category is (one of 医德医风:
    red envelopes, kickbacks, misconduct). Once so, it stays so: the department has lost sight of it."""
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        category = db.session.get(Category, complaint.category_id) if complaint.category_id else None
    # About the department's own head, it cannot be theirs to investigate: it goes the integrity route too.
    return bool(complaint.integrity or marked or complaint.about_head
                or (category is not None and category.integrity))


class TriageForm(ActionForm):
    category_id = SelectField(_l("Category"), choices=category_choices, coerce=int_or_none,
                              validators=[required(_l("Choose a category."))])
    severity = SelectField(_l("Severity"), choices=Severity.choices, default=Severity.minor.value)
    complexity = SelectField(_l("Complexity"), choices=Complexity.choices, default=Complexity.simple.value)
    integrity = integrity_field()
    about_head = about_head_field()
    acknowledged_via = acknowledged_via_field()


def _triage(c, user, data: dict) -> dict:
    complexity = Complexity(data["complexity"])
    if (complexity != c.complexity or data["severity"] != c.severity) and c.assigned_at is None:
        # The response clock depends on complexity and severity; set it again while nobody has been given it
        # yet (from receipt, as it started).
        c.set_due("response", clocks.within_reply_by(
            c, policy.due(policy.respond_clock(complexity), data["severity"], complexity, c.received_at)))
    if data["severity"] != c.severity and c.acknowledged_at is None and c.acknowledge_due_on is not None:
        # So does acknowledgement, while nobody has been told yet: a major complaint may have a shorter one.
        c.set_due("acknowledge", policy.due(Clock.acknowledge, data["severity"], complexity, c.received_at))
    c.category_id = data["category_id"]
    c.severity = data["severity"]
    c.complexity = complexity.value
    was_integrity, was_about_head = bool(c.integrity), bool(c.about_head)
    c.about_head = bool(c.about_head or data.get("about_head"))
    c.integrity = is_integrity(c, data.get("integrity"))
    c.triaged_at = utcnow()
    clocks.acknowledge(c, data.get("acknowledged_via"))
    with db.session.no_autoflush:  # the complaint is written once, by perform(): each write bumps its version
        category = db.session.get(Category, c.category_id)
    # The category by its code too: a later change of category can be traced on the timeline.
    return {"category_id": c.category_id, "category": category.code if category else None, "severity": c.severity,
            "complexity": c.complexity, "response_due_on": c.response_due_on,
            "integrity": True if c.integrity and not was_integrity else None,
            "about_head": True if c.about_head and not was_about_head else None,
            "acknowledged_via": data.get("acknowledged_via")}


triage = ActionSpec(
    "triage", _l("Triage"), roles=frozenset({RECEPTION}), sources=INTAKE, target=State.registered,
    records="category, severity, complexity", primary=True,
    form=TriageForm, apply=_triage,
    prefill=lambda c: {"category_id": c.category_id, "severity": c.severity, "complexity": c.complexity,
                       "integrity": c.integrity, "about_head": c.about_head},
    done=lambda c: c.triaged_at is not None,
    notices=(BECAME_MAJOR, FIRST_ACKNOWLEDGED),
    timeline={
        "category_id": HIDDEN,  # its id means nothing to a reader; "category" names it
        "category": Shown(_l("Category"), "category"),
        "severity": Shown(_l("Severity"), Severity),
        "complexity": Shown(_l("Complexity"), Complexity),
        "response_due_on": Shown(_l("Response due"), "date"),
        "integrity": INTEGRITY,
        "about_head": ABOUT_HEAD,
        "acknowledged_via": ACKNOWLEDGED_VIA,
    },
    example=lambda ex: {"category_id": ex.category_id, "severity": "minor", "complexity": "simple"},
)


# --- acknowledge (受理告知) -------------------------------------------------------------------------------


class AcknowledgeForm(ActionForm):
    acknowledged_via = method_field(_l("How the complainant was told it was accepted"))
    acknowledged_on = DateField(_l("Date told"), validators=[Optional()])
    note = TextAreaField(_l("What they were told (who handles it, how to reach them)"), filters=STRIPPED,
                         validators=[Length(max=5000)])


def _acknowledge(c, user, data: dict) -> dict:
    told_on = data.get("acknowledged_on") or today()
    if told_on > today():
        raise ActionInvalid({"acknowledged_on": str(_l("The date told cannot be in the future."))})
    if told_on < local(c.received_at).date():
        raise ActionInvalid({"acknowledged_on": str(_l("The date told cannot be before the complaint was received."))})
    # Told today: now. Told on an earlier day (recorded late): that day, as a hospital date.
    c.acknowledged_at = utcnow() if told_on == today() else datetime.combine(told_on, time(12), tzinfo=hospital_tz())
    c.acknowledged_via = data["acknowledged_via"]
    c.acknowledged_on_time = clocks.on_time(told_on, c.acknowledge_due_on, c.acknowledge_due_at)
    return {"acknowledged_via": data["acknowledged_via"], "acknowledged_on": told_on, "note": data.get("note")}


acknowledge = ActionSpec(
    "acknowledge", _l("Record the acknowledgement"), roles=frozenset({RECEPTION}), sources=OPEN, target=None,
    records="how and when the complainant was told it was accepted",
    # Nobody to tell of an anonymous complaint; once told, the clock is met and there is nothing to record.
    only_when=lambda c: not c.anonymous and c.acknowledged_at is None,
    form=AcknowledgeForm, apply=_acknowledge, done=lambda c: c.acknowledged_at is not None,
    notices=(FIRST_ACKNOWLEDGED,),
    timeline={"acknowledged_via": ACKNOWLEDGED_VIA, "acknowledged_on": Shown(_l("Date told"), "date"),
              "note": Shown(_l("What they were told"))},
    example=lambda ex: {"acknowledged_via": "phone"},
)


# --- resolve on the spot --------------------------------------------------------------------------------


class ResolveOnTheSpotForm(ActionForm):
    what_was_done = reason_field(_l("What was done"))
    method = method_field(_l("How the complainant was answered"))


def _resolve_on_the_spot(c, user, data: dict) -> dict:
    c.response_text = c.told_text = data["what_was_done"]  # no sign-off: what was done is what they were told
    c.response_method = data["method"]
    c.responded_at = utcnow()
    c.responded_on = today()
    c.responded_on_time = clocks.on_time(c.responded_at, c.response_due_on, c.response_due_at)
    clocks.set_follow_up(c, c.responded_on)
    clocks.acknowledge(c, data["method"])  # answered, so told it was received
    letters.write(c, clocks.record_answer(c, data["method"], c.told_text), user)  # answered in writing: a letter
    return {"what_was_done": data["what_was_done"], "method": data["method"]}


resolve_on_the_spot = ActionSpec(
    "resolve_on_the_spot", _l("Resolve on the spot"), roles=frozenset({RECEPTION}), sources=INTAKE,
    target=State.responded, records="what was done",
    # A major complaint's answer waits for leadership's approval, however simple it looks at the desk.
    only_when=lambda c: not c.is_major,
    form=ResolveOnTheSpotForm, apply=_resolve_on_the_spot,
    notices=(ANSWERED,),
    timeline={"what_was_done": Shown(_l("What was done")), "method": METHOD},
    example=lambda ex: {"what_was_done": "Apologised and explained the delay.", "method": "in_person"},
)


# --- decline (not accepted) -----------------------------------------------------------------------------


class DeclineForm(ActionForm):
    reason = reason_field(_l("Why it is not accepted"))
    complainant_told = reason_field(_l("What the complainant was told"))
    told_via = method_field(_l("Complainant told via"))


def _decline(c, user, data: dict) -> dict:
    c.decline_reason = data["reason"]
    c.closed_at = utcnow()
    return {"reason": data["reason"], "complainant_told": data["complainant_told"],
            "told_via": data.get("told_via")}


decline = ActionSpec(
    "decline", _l("Decline (not accepted)"), roles=frozenset({RECEPTION, LEADERSHIP}), sources=INTAKE,
    target=State.not_accepted, records="reason and what the complainant was told",
    form=DeclineForm, apply=_decline,
    timeline={"reason": REASON, "complainant_told": Shown(_l("Complainant told")),
              "told_via": Shown(_l("Told via"), METHOD.kind)},
    public=PublicMessage(_l("Why it was not accepted"), text=lambda event: event.data.get("complainant_told")),
    example=lambda ex: {"reason": "Not about this hospital.", "complainant_told": "Referred to the right body.",
                        "told_via": "phone"},
)


# --- mark as a duplicate (重复投诉) ----------------------------------------------------------------------


class MarkDuplicateForm(ActionForm):
    original = StringField(_l("Reference of the earlier complaint it repeats"), filters=[strip_upper],
                           validators=[required(_l("Enter the reference of the earlier complaint.")),
                                       Length(max=20)])
    complainant_told = TextAreaField(_l("What the complainant was told"), filters=STRIPPED,
                                     validators=[Length(max=5000)])


def _open_original(c, reference: str):
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        original = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    if original is None or original.id == c.id:
        raise ActionInvalid({"original": str(_l("There is no other complaint %(reference)s.", reference=reference))})
    if not original.is_open:
        raise ActionInvalid({"original": str(_l(
            "%(reference)s is not open (it is: %(state)s): link a duplicate only to a complaint still being "
            "handled.", reference=reference, state=original.state.label))})
    return original


def _mark_duplicate(c, user, data: dict) -> dict:
    original = _open_original(c, data["original"])
    c.duplicate_of_id = original.id
    c.closed_at = utcnow()
    return {"original": original.reference, "complainant_told": data.get("complainant_told")}


def _noted_on_original(c, event_data: dict):
    with db.session.no_autoflush:
        original = db.session.get(Complaint, c.duplicate_of_id)
    return original, {"system": "duplicate_linked", "duplicate": c.reference}


mark_duplicate = ActionSpec(
    "mark_duplicate", _l("Mark as a duplicate"), roles=frozenset({RECEPTION}), sources=INTAKE,
    target=State.duplicate, records="the earlier open complaint it repeats; noted on that one's timeline",
    form=MarkDuplicateForm, apply=_mark_duplicate, records_on=_noted_on_original,
    timeline={"original": Shown(_l("Duplicate of")), "complainant_told": Shown(_l("Complainant told"))},
    public=PublicMessage(
        _l("Handled together with another complaint"),
        text=lambda event: _("This is the same matter as complaint %(reference)s, which we are already handling: "
                             "its progress and our answer are shown here.", reference=event.data["original"]),
        status=lambda event: _("Handled together with complaint %(reference)s, about the same matter.",
                               reference=event.data["original"])),
    example=lambda ex: {"original": _an_open_complaint(ex.complaint)},
)


def _an_open_complaint(complaint) -> str | None:
    """For the example: the reference of the earliest other open complaint (the planner's original)."""
    if complaint is None:
        return None
    with db.session.no_autoflush:
        return db.session.scalar(select(Complaint.reference).where(
            Complaint.id != complaint.id, Complaint.status.in_([s.value for s in OPEN])).order_by(Complaint.id))
