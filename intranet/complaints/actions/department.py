"""The department's part: assign or transfer, accept or send back, record findings, sign off."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ...core.departments import Department
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, department_choices, int_or_none, optional_choice, required
from ...core.money import yuan
from ...core.roles import Role
from ...core.time import show_date, today, utcnow
from ...core.users import User
from .. import clocks
from ..contributions import contribution_of
from ..corrective import records as corrective
from ..corrective.steps import Step
from ..forms import ActionForm, acknowledged_via_field, reason_field
from ..models import Responsibility, Severity
from ..notices import (
    ASSIGNED,
    FIRST_ACKNOWLEDGED,
    HANDED_TO_YOU,
    HANDLER_LEFT,
    MALICIOUS_PROPOSED,
    READY_TO_TELL,
    SENT_BACK,
    TAKEN_BACK_FROM_YOU,
    WAITS_FOR_APPROVAL,
    WAITS_FOR_REMEDY_APPROVAL,
)
from ..permissions import can
from ..remedies import RemedyKind, waiting
from ..spec import HIDDEN, ActionInvalid, ActionSpec, Decider, Notice, Requirement, Shown
from ..states import OPEN, State
from . import co_handling
from ._shared import (
    ACKNOWLEDGED_VIA,
    HANDLER,
    HANDLER_SHOWN,
    HANDLER_TAKEN_OFF,
    HEAD,
    LEADERSHIP,
    REASON,
    RECEPTION,
    RESPONSE,
)

DEPARTMENT = Shown(_l("Department"), "department")


def _take_off_handler(c) -> str | None:
    """The complaint leaves its department (a transfer, sent back): the member of its staff handling it is
    taken off, and so loses sight of it. Their name, for the event."""
    if c.handler_id is None:
        return None
    name = c.handler.display_name
    c.handler_id = None
    return name


# --- assign / transfer ----------------------------------------------------------------------------------


class AssignForm(ActionForm):
    department_id = SelectField(_l("Department"), choices=department_choices, coerce=int_or_none,
                                validators=[required(_l("Choose a department."))])
    response_due_on = DateField(_l("Response due"), validators=[Optional()])
    acknowledged_via = acknowledged_via_field()
    note = TextAreaField(_l("Note for the department"), filters=STRIPPED, validators=[Length(max=5000)])


def _assign(c, user, data: dict) -> dict:
    department = db.session.get(Department, data["department_id"])
    if department is None or not department.active:
        raise ActionInvalid({"department_id": str(_l("Choose an active department."))})
    with db.session.no_autoflush:
        if contribution_of(c, department.id) is not None:
            # The CHECK on complaint_contributions says the same: a lead does not contribute to itself.
            raise ActionInvalid({"department_id": str(_l(
                "%(department)s is asked to contribute to this complaint: stop asking it first, then make it "
                "the lead.", department=department.name))})
    due = data.get("response_due_on") or c.response_due_on
    if due != c.response_due_on:
        # The department may be given a tighter date, never a later one: a later date is an extension,
        # which needs a reason and the complainant told.
        if due > c.response_due_on:
            raise ActionInvalid({"response_due_on": str(_l(
                "The response is due by %(date)s; to give more time, extend the deadline with a reason.",
                date=show_date(c.response_due_on, "medium")))})
        if due < today():
            raise ActionInvalid({"response_due_on": str(_l("The due date cannot be in the past."))})
    transfer = c.department_id is not None and c.state != State.registered
    previous = c.department.code if c.department else None
    handler = _take_off_handler(c) if department.id != c.department_id else None
    c.department_id = department.id
    c.assigned_at = utcnow()
    c.sent_back_at = None
    with db.session.no_autoflush:
        co_handling.follow_the_lead(c)
    if due != c.response_due_on:
        c.set_due("response", due)  # a tighter date, given as a date: due by its end
    clocks.acknowledge(c, data.get("acknowledged_via"))
    return {"department": department.code, "previous_department": previous if transfer else None,
            "response_due_on": due, "note": data.get("note"), "acknowledged_via": data.get("acknowledged_via"),
            "handler_taken_off": handler}


assign = ActionSpec(
    "assign", _l("Assign to a department"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=frozenset({State.registered, State.assigned, State.investigating}), target=State.assigned,
    records="department, due date", primary=True,
    form=AssignForm, apply=_assign,
    prefill=lambda c: {"department_id": c.department_id or c.subject_department_id,
                       "response_due_on": c.response_due_on},
    # Once a department has it, assigning again is a transfer: offered, not suggested.
    done=lambda c: c.state != State.registered,
    notices=(Notice(ASSIGNED), FIRST_ACKNOWLEDGED),
    timeline={"department": DEPARTMENT, "previous_department": Shown(_l("Previous department"), "department"),
              "response_due_on": Shown(_l("Response due"), "date"), "note": Shown(_l("Note")),
              "acknowledged_via": ACKNOWLEDGED_VIA, "handler_taken_off": HANDLER_TAKEN_OFF},
    example=lambda ex: {"department_id": ex.department_id},
)


# --- accept / send back ---------------------------------------------------------------------------------


class AcceptForm(ActionForm):
    pass


accept = ActionSpec(
    "accept", _l("Accept"), roles=frozenset({HEAD}), sources=frozenset({State.assigned}), target=State.investigating,
    records="—", primary=True, form=AcceptForm, apply=lambda c, user, data: {},
)


class SendBackForm(ActionForm):
    reason = reason_field(_l("Why it is not this department's"))


def _send_back(c, user, data: dict) -> dict:
    department = c.department.code if c.department else None
    handler = _take_off_handler(c)
    c.department_id = None
    c.sent_back_at = utcnow()
    with db.session.no_autoflush:
        co_handling.follow_the_lead(c)
    return {"reason": data["reason"], "department": department, "handler_taken_off": handler}


send_back = ActionSpec(
    "send_back", _l("Send back (not ours)"), roles=frozenset({HEAD}), sources=frozenset({State.assigned}),
    target=State.registered, records="why it is not theirs",
    form=SendBackForm, apply=_send_back, notices=(Notice(SENT_BACK),),
    timeline={"reason": REASON, "department": DEPARTMENT, "handler_taken_off": HANDLER_TAKEN_OFF},
    example=lambda ex: {"reason": "This is a nursing matter."},
)


# --- record findings ------------------------------------------------------------------------------------

FINDINGS = ("findings", "cause", "responsibility", "remedy")
# Why a complaint is malicious is written out, not waved through: leadership reads it before confirming.
MALICIOUS_REASON_LENGTH = 20


def _finding_choices():
    return [SelectChoice(f.value, f.label) for f in Responsibility.findings()]


def _open_corrective_actions():
    """The open corrective actions the head may see, to link this complaint to (a recurring problem)."""
    return [SelectChoice(str(a.id), f"{a.number} · {a.title}") for a in corrective.open_actions(current_user)]


class RecordFindingsForm(ActionForm):
    findings = TextAreaField(_l("Findings"), filters=STRIPPED, validators=[required(), Length(max=20000)])
    cause = TextAreaField(_l("Cause"), filters=STRIPPED, validators=[Length(max=10000)],
                          description=_l("For a malicious complaint, say why in at least %(count)s characters.",
                                         count=MALICIOUS_REASON_LENGTH))
    responsibility = SelectField(_l("Responsibility"), choices=optional_choice(_finding_choices),
                                 validators=[required(_l("Choose a responsibility finding."))],
                                 description=_l("A malicious finding stands only once leadership confirms it."))
    remedy = TextAreaField(_l("Remedy for the complainant"), filters=STRIPPED, validators=[Length(max=10000)],
                           description=_l("In words. A refund, fee waiver or compensation is proposed on its own, "
                                          "with its amount (Propose a remedy)."))
    # Corrective actions are records of their own (整改措施): raise one here, or link one already open.
    corrective_title = StringField(_l("Raise a corrective action: what is to be done"), filters=STRIPPED,
                                   validators=[Length(max=200)])
    corrective_department_id = SelectField(_l("Its owner department"), choices=department_choices,
                                           coerce=int_or_none, validators=[Optional()])
    corrective_due_on = DateField(_l("Its due date"), validators=[Optional()])
    corrective_link_id = SelectField(_l("Or link a corrective action already open"),
                                     choices=optional_choice(_open_corrective_actions), coerce=int_or_none,
                                     validators=[Optional()])


CORRECTIVE_FIELDS = ("corrective_title", "corrective_department_id", "corrective_due_on", "corrective_link_id")


def _fit_findings_form(form, c, user) -> None:
    # Who may not raise corrective actions (the discipline office: they are the departments' own work) is
    # not asked to raise or link one.
    if not can(user, Step.raise_):
        for name in CORRECTIVE_FIELDS:
            delattr(form, name)


def _record_findings(c, user, data: dict) -> dict:
    recorded = {k: data.get(k) or None for k in FINDINGS}
    if recorded["responsibility"] in (Responsibility.malicious, Responsibility.malicious_proposed):
        if len(recorded["cause"] or "") < MALICIOUS_REASON_LENGTH:
            raise ActionInvalid({"cause": str(_l(
                "Say why the complaint is malicious, in at least %(count)s characters.",
                count=MALICIOUS_REASON_LENGTH))})
        # A head proposes; leadership confirms or rejects (confirm_malicious, reject_malicious).
        recorded["responsibility"] = Responsibility.malicious_proposed.value
    for key, value in recorded.items():
        setattr(c, key, value)
    c.findings_recorded_at = utcnow()
    # The complaint is written once, by perform(): looking things up here must not flush it early (that
    # would count a second version).
    with db.session.no_autoflush:
        # Not offered to one who may not raise corrective actions (_fit_findings_form): not theirs to send.
        if can(user, Step.raise_):
            _raise_or_link(c, user, data, recorded)
    return recorded


def _raise_or_link(c, user, data: dict, recorded: dict) -> None:
    if data.get("corrective_title"):
        due = data.get("corrective_due_on")
        if due is None or due < today():
            raise ActionInvalid({"corrective_due_on": str(_l("Give the corrective action a due date from today on."))})
        owner = data.get("corrective_department_id") or c.department_id
        corrective.raise_action(user, {"title": data["corrective_title"], "owner_department_id": owner,
                                       "due_on": due}, complaints=[c])
        recorded["corrective_raised"] = data["corrective_title"]
    if data.get("corrective_link_id"):
        action = corrective.open_action(user, data["corrective_link_id"])
        if action is None:
            raise ActionInvalid({"corrective_link_id": str(_l("Choose one of the open corrective actions."))})
        corrective.link(user, action, c)
        recorded["corrective_linked"] = f"{action.number} · {action.title}"


record_findings = ActionSpec(
    "record_findings", _l("Record findings"), roles=frozenset({HEAD, HANDLER}),
    sources=frozenset({State.investigating}),
    target=None, records="findings, cause, responsibility, remedy; raises or links corrective actions",
    primary=True, form=RecordFindingsForm, apply=_record_findings, fit_form=_fit_findings_form,
    prefill=lambda c: {**{k: getattr(c, k) for k in FINDINGS},
                       # A proposal shows as what the head chose.
                       **({"responsibility": Responsibility.malicious.value}
                          if c.responsibility == Responsibility.malicious_proposed else {})},
    done=lambda c: bool(c.findings and c.responsibility),
    notices=(Notice(MALICIOUS_PROPOSED,
                    lambda b, c: c.responsibility == Responsibility.malicious_proposed.value),),
    timeline={"findings": Shown(_l("Findings")), "cause": Shown(_l("Cause")),
              "responsibility": Shown(_l("Responsibility"), Responsibility), "remedy": Shown(_l("Remedy")),
              "corrective_raised": Shown(_l("Corrective action raised")),
              "corrective_linked": Shown(_l("Linked to corrective action")),
              "corrective_actions": Shown(_l("Corrective actions"))},  # the free text of earlier events
    example=lambda ex: {"findings": "The clinic ran late; nobody told the waiting patients.",
                        "responsibility": "partly_upheld", "cause": "No delay announcements.",
                        "remedy": "Apology.", "corrective_title": "Announce delays every 30 minutes.",
                        "corrective_due_on": today() + timedelta(days=14)},
)


# --- sign off (签字认可) ----------------------------------------------------------------------------------


class SignOffForm(ActionForm):
    response_text = TextAreaField(_l("The response to give the complainant"), filters=STRIPPED,
                                  validators=[required(), Length(max=20000)])


def _sign_off(c, user, data: dict) -> dict:
    if c.responsibility == Responsibility.malicious_proposed:
        # The response must not rest on a finding that does not stand yet.
        raise ActionInvalid({"response_text": str(_l(
            "Leadership must first confirm or reject the finding that the complaint is malicious."))})
    c.response_text = data["response_text"]
    c.signed_off_by_id = user.id
    c.signed_off_at = utcnow()
    c.approved_by_id = c.approved_at = None
    with db.session.no_autoflush:
        remedies = waiting(c)
    return {"response_text": data["response_text"], "signed_by": user.display_name,
            "remedies_waiting": [r.kind for r in remedies] or None,
            "remedies_waiting_amounts": [yuan(r.amount_fen) for r in remedies] or None}


def _signed_off_to(c, data: dict) -> State:
    # Major complaints, and remedies above the threshold not yet approved, need leadership before anyone
    # tells the complainant.
    return State.awaiting_approval if c.severity == Severity.major or waiting(c) else State.signed_off


sign_off = ActionSpec(
    "sign_off", _l("Sign off the response"), roles=frozenset({HEAD}), sources=frozenset({State.investigating}),
    target=Decider(_signed_off_to, outcomes=frozenset({State.signed_off, State.awaiting_approval})),
    records="the response to give; who signed and when", primary=True,
    form=SignOffForm, apply=_sign_off,
    prefill=lambda c: {"response_text": c.response_text},
    requires=(Requirement(record_findings, "response_text",
                          _l("Record the findings and responsibility before signing off.")),
              # Co-handling: every contributing department's part is in, or leadership waived it.
              Requirement(co_handling.contribute, "response_text",
                          _l("Every contributing department's part must be in before signing off (leadership may "
                             "waive one, with a reason)."), planned=False),
              ),
    notices=(READY_TO_TELL, WAITS_FOR_APPROVAL, WAITS_FOR_REMEDY_APPROVAL),
    timeline={"response_text": RESPONSE, "signed_by": Shown(_l("Signed by")),
              "remedies_waiting": Shown(_l("Remedies waiting for leadership's approval"), RemedyKind.LABELS()),
              "remedies_waiting_amounts": Shown(_l("Their amounts"))},
    example=lambda ex: {"response_text": "We are sorry. Delays are now announced."},
)


# --- hand to a handler in the department (科室经办人), take it back --------------------------------------
#
# The head may hand the investigation to a member of the department's staff: they see the complaint (only the
# ones handed to them), record the findings, the people and their statements, and notes; the head keeps every
# power and still signs off. Handing it to another member changes the handler; taking it back leaves it with
# the head alone. Either way whoever is taken off loses sight of it at once (permissions.visible()).


def _department_staff(department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.role == Role.staff.value, User.department_id == department_id, User.active.is_(True))
        .order_by(User.display_name, User.id)))


def _handler_choices():
    # The head's own department's staff (the form is built for the head handing it, on their department's).
    department_id = getattr(current_user, "department_id", None)
    return [SelectChoice(str(u.id), u.display_name) for u in _department_staff(department_id)]


class HandToHandlerForm(ActionForm):
    # Not limited to the choices listed: someone not of the department is refused beside the field by the
    # action's own rule (_hand_to_handler), with the same words whoever posts it.
    handler_id = SelectField(_l("Hand the investigation to"), choices=optional_choice(_handler_choices),
                             coerce=int_or_none, validate_choice=False,
                             validators=[required(_l("Choose a member of the department's staff."))],
                             description=_l("They see this complaint, and do the investigation's work; you "
                                            "still sign off."))
    note = TextAreaField(_l("Note for the handler"), filters=STRIPPED, validators=[Length(max=5000)])


def _hand_to_handler(c, user, data: dict) -> dict:
    handler = db.session.get(User, data["handler_id"]) if data.get("handler_id") else None
    if handler is None or handler.role != Role.staff.value or not handler.active \
            or handler.department_id != c.department_id:
        raise ActionInvalid({"handler_id": str(_l("Choose an active member of this department's staff."))})
    if handler.id == c.handler_id:
        raise ActionInvalid({"handler_id": str(_l("It is handed to %(name)s already.", name=handler.display_name))})
    previous = c.handler if c.handler_id is not None else None
    c.handler_id = handler.id
    return {"handler": handler.display_name, "handler_id": handler.id,
            "previous_handler": previous.display_name if previous else None,
            "previous_handler_id": previous.id if previous else None, "note": data.get("note")}


def _example_handler(ex) -> dict:
    staff = _department_staff(ex.department_id)
    return {"handler_id": staff[0].id if staff else None}


# Where the department investigates: handed on while investigating; taken back while it is still open.
WITH_THE_DEPARTMENT = frozenset({State.investigating, State.awaiting_approval, State.signed_off, State.responded})

hand_to_handler = ActionSpec(
    "hand_to_handler", _l("Hand to a handler"), roles=frozenset({HEAD}), sources=frozenset({State.investigating}),
    target=None, records="the member of the department's staff who handles the investigation",
    # An integrity complaint is the discipline office's, never the accused department's staff's.
    only_when=lambda c: not c.integrity,
    form=HandToHandlerForm, apply=_hand_to_handler,
    prefill=lambda c: {"handler_id": c.handler_id},
    # The new handler hears it is theirs; the previous one, that it is no longer.
    notices=(Notice(HANDED_TO_YOU),
             Notice(TAKEN_BACK_FROM_YOU, recorded="previous_handler_id", to_handler="previous_handler_id")),
    timeline={"handler": HANDLER_SHOWN, "handler_id": HIDDEN, "previous_handler": Shown(_l("Previous handler")),
              "previous_handler_id": HIDDEN, "note": Shown(_l("Note"))},
    example=_example_handler,
)


class TakeBackForm(ActionForm):
    # Something to say, so that taking it back is a considered step in the panel, never a queue row's button
    # pressed by mistake.
    reason = TextAreaField(_l("Why (optional)"), filters=STRIPPED, validators=[Length(max=2000)])


def _take_back(c, user, data: dict) -> dict:
    handler_id = c.handler_id
    return {"handler_taken_off": _take_off_handler(c), "handler_taken_off_id": handler_id,
            "reason": data.get("reason")}


take_back = ActionSpec(
    "take_back", _l("Take back from the handler"), roles=frozenset({HEAD}), sources=WITH_THE_DEPARTMENT & OPEN,
    target=None, records="the handler taken off; the head handles it alone",
    only_when=lambda c: c.handler_id is not None,
    form=TakeBackForm, apply=_take_back,
    # The handler hears it is no longer theirs (and why, if the head said).
    notices=(Notice(TAKEN_BACK_FROM_YOU, recorded="handler_taken_off_id", to_handler="handler_taken_off_id"),),
    timeline={"handler_taken_off": HANDLER_TAKEN_OFF, "handler_taken_off_id": HIDDEN, "reason": REASON},
    example=lambda ex: {"reason": "The head answers this one in person."},
    example_complaint={"handed_to_handler": True},
)


# --- the handler can no longer handle it ----------------------------------------------------------------
#
# Their account deactivated, given another role or moved to another department (admin/accounts.py, the
# directory at sign-in): every open complaint handed to them goes back to its head at once, in the same
# transaction (complaints/handing.py does it as the system), and the head hears why.


# Why, on the timeline (the head's notice says it in a sentence of its own: notices.HANDLER_LEFT_REASONS).
WHY_THE_HANDLER_LEFT = {
    "deactivated": _l("The handler's account was deactivated"),
    "role": _l("The handler's account was given another role"),
    "department": _l("The handler's account was moved to another department"),
}


class HandlerLeftForm(ActionForm):
    """Never offered to anyone (only the system does it, when an account changes): nothing to type."""


def _handler_left(c, user, data: dict) -> dict:
    handler = c.handler
    why = ("deactivated" if not handler.active else "role" if handler.role != Role.staff.value
           else "department")
    c.handler_id = None
    # Who changed the account: an administrator (by name), or the hospital directory at sign-in.
    return {"handler_taken_off": handler.display_name, "handler_taken_off_id": handler.id, "why": why,
            "account_changed_by": data.get("account_changed_by"), "by_directory": data.get("by_directory")}


handler_left = ActionSpec(
    "handler_left", _l("Back from a handler who left"), roles=frozenset({Role.system}),
    sources=frozenset({State.assigned}) | (WITH_THE_DEPARTMENT & OPEN), target=None,
    records="the handler taken off, and why: their account deactivated, given another role or moved",
    # Only once the handler is no longer a current member of the department's staff.
    only_when=lambda c: c.handler_id is not None and not c.handled_by(c.handler),
    form=HandlerLeftForm, apply=_handler_left,
    notices=(Notice(HANDLER_LEFT),),
    timeline={"handler_taken_off": HANDLER_TAKEN_OFF, "handler_taken_off_id": HIDDEN,
              "why": Shown(_l("Why"), WHY_THE_HANDLER_LEFT),
              "account_changed_by": Shown(_l("Account changed by")),
              "by_directory": Shown(_l("Changed by the hospital directory at sign-in"), "bool")},
    example_complaint={"handed_to_handler": True, "handler_left": True},
)
