"""The department's part: assign or transfer, accept or send back, record findings, sign off."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ...core.departments import Department
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, department_choices, int_or_none, optional_choice, required
from ...core.money import yuan
from ...core.time import show_date, today, utcnow
from .. import clocks
from ..corrective import records as corrective
from ..corrective.steps import Step
from ..forms import ActionForm, acknowledged_via_field, reason_field
from ..models import Responsibility, Severity
from ..notices import (
    ASSIGNED,
    FIRST_ACKNOWLEDGED,
    MALICIOUS_PROPOSED,
    READY_TO_TELL,
    SENT_BACK,
    WAITS_FOR_APPROVAL,
    WAITS_FOR_REMEDY_APPROVAL,
)
from ..permissions import can
from ..remedies import RemedyKind, waiting
from ..spec import ActionInvalid, ActionSpec, Decider, Notice, Requirement, Shown
from ..states import State
from ._shared import ACKNOWLEDGED_VIA, HEAD, LEADERSHIP, REASON, RECEPTION, RESPONSE

DEPARTMENT = Shown(_l("Department"), "department")


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
    c.department_id = department.id
    c.assigned_at = utcnow()
    c.sent_back_at = None
    if due != c.response_due_on:
        c.set_due("response", due)  # a tighter date, given as a date: due by its end
    clocks.acknowledge(c, data.get("acknowledged_via"))
    return {"department": department.code, "previous_department": previous if transfer else None,
            "response_due_on": due, "note": data.get("note"), "acknowledged_via": data.get("acknowledged_via")}


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
              "acknowledged_via": ACKNOWLEDGED_VIA},
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
    c.department_id = None
    c.sent_back_at = utcnow()
    return {"reason": data["reason"], "department": department}


send_back = ActionSpec(
    "send_back", _l("Send back (not ours)"), roles=frozenset({HEAD}), sources=frozenset({State.assigned}),
    target=State.registered, records="why it is not theirs",
    form=SendBackForm, apply=_send_back, notices=(Notice(SENT_BACK),),
    timeline={"reason": REASON, "department": DEPARTMENT},
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
    "record_findings", _l("Record findings"), roles=frozenset({HEAD}), sources=frozenset({State.investigating}),
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
),
    notices=(READY_TO_TELL, WAITS_FOR_APPROVAL, WAITS_FOR_REMEDY_APPROVAL),
    timeline={"response_text": RESPONSE, "signed_by": Shown(_l("Signed by")),
              "remedies_waiting": Shown(_l("Remedies waiting for leadership's approval"), RemedyKind.LABELS()),
              "remedies_waiting_amounts": Shown(_l("Their amounts"))},
    example=lambda ex: {"response_text": "We are sorry. Delays are now announced."},
)
