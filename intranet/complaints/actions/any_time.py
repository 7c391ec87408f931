"""What can be done while a complaint is open (or at any time): extend, escalate, note, withdraw."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField
from wtforms.validators import InputRequired

from ...core.roles import STAFF, Role
from ...core.time import utcnow
from ..forms import ActionForm, method_field, reason_field
from ..identity import DISCLOSABLE, hidden_from_department
from ..models import ContactMethod
from ..spec import ESCALATED, ActionInvalid, ActionSpec, Notice, Shown
from ..states import ALL, OPEN, State
from ._shared import COMPLAINANT_TOLD_VIA, HEAD, LEADERSHIP, REASON, RECEPTION

# --- extend (延期) ---------------------------------------------------------------------------------------


class ExtendForm(ActionForm):
    new_due_on = DateField(_l("New due date"), validators=[InputRequired(message=_l("Enter the new due date."))])
    reason = reason_field(_l("Reason for the extension"))
    complainant_told_via = method_field(_l("How the complainant was told"))


def _running_clock(c) -> str:
    return "follow_up_due_on" if c.state == State.responded else "response_due_on"


def _extend(c, user, data: dict) -> dict:
    field_name = _running_clock(c)
    old = getattr(c, field_name)
    new = data.get("new_due_on")
    # An extension must say why and how the complainant was told (SPEC §4); the form asks too, but the
    # rule belongs to the action, so no caller can move a deadline silently.
    errors = {}
    if new is None:
        errors["new_due_on"] = str(_l("Enter the new due date."))
    if not (data.get("reason") or "").strip():
        errors["reason"] = str(_l("Give the reason for the extension."))
    if not data.get("complainant_told_via"):
        errors["complainant_told_via"] = str(_l("Record how the complainant was told."))
    if errors:
        raise ActionInvalid(errors)
    if old is not None and new <= old:
        raise ActionInvalid({"new_due_on": str(_l("The new due date must be later than the current one."))})
    setattr(c, field_name, new)
    return {"clock": field_name, "from": old, "to": new, "reason": data["reason"],
            "complainant_told_via": data["complainant_told_via"]}


def _extend_example(ex) -> dict:
    data = {"reason": "Waiting for the ward's records.", "complainant_told_via": "phone"}
    if ex.complaint is not None:
        data["new_due_on"] = getattr(ex.complaint, _running_clock(ex.complaint)) + timedelta(days=7)
    return data


extend = ActionSpec(
    "extend", _l("Extend the deadline"), roles=frozenset({HEAD, LEADERSHIP}), sources=OPEN, target=None,
    records="new due date, reason, how the complainant was told",
    form=ExtendForm, apply=_extend, notices=(Notice("extended"),),
    timeline={"clock": None, "from": Shown(_l("Was due"), "date"), "to": Shown(_l("Now due"), "date"),
              "reason": REASON, "complainant_told_via": COMPLAINANT_TOLD_VIA},
    public=lambda data: {"kind": "extension", "to": data.get("to"), "reason": data.get("reason")},
    example=_extend_example,
)


# --- escalate (升级) -------------------------------------------------------------------------------------


class EscalateForm(ActionForm):
    reason = reason_field(_l("Why it must be escalated"))


escalate = ActionSpec(
    # The system escalates on its own what is overdue (the SLA sweep, SPEC §4).
    "escalate", _l("Escalate"), roles=STAFF | {Role.system}, sources=OPEN, target=None,
    records="reason, level", escalates=True,
    form=EscalateForm,
    # Staff give a reason; the SLA sweep gives the deadlines that were missed.
    apply=lambda c, user, data: {"reason": data.get("reason"), "missed": data.get("missed")},
    notices=(ESCALATED,),
    timeline={"reason": REASON, "missed": Shown(_l("Missed deadlines"), "missed")},
    example=lambda ex: {"reason": "Complainant contacted the press."},
)


# --- disclose identity (with the complainant's consent) --------------------------------------------------


class DiscloseIdentityForm(ActionForm):
    disclosed_name = BooleanField(_l("The complainant's name"))
    disclosed_contact = BooleanField(_l("The complainant's phone number and email"))
    disclosed_patient = BooleanField(_l("The patient's name and record number (the complainant is the patient)"))
    reason = reason_field(_l("Why the department needs to know"))
    consent_via = method_field(_l("How the complainant gave their consent"))
    consented = BooleanField(_l("The complainant agreed to this disclosure"),
                             validators=[InputRequired(message=_l("Confirm that the complainant agreed."))])


def _disclose_identity(c, user, data: dict) -> dict:
    hidden = hidden_from_department(c)
    chosen = [column for column, group in DISCLOSABLE.items() if data.get(column) and set(group) & hidden]
    if not chosen:
        raise ActionInvalid({"disclosed_name": str(_l("Choose what the department may now see."))})
    for column in chosen:
        setattr(c, column, True)
    return {"disclosed": chosen, "reason": data["reason"], "consent_via": data["consent_via"]}


DISCLOSED = {"disclosed_name": _l("The complainant's name"),
             "disclosed_contact": _l("The complainant's phone number and email"),
             "disclosed_patient": _l("The patient's name and record number")}

disclose_identity = ActionSpec(
    "disclose_identity", _l("Disclose the complainant's identity to the department"), roles=frozenset({RECEPTION}),
    sources=OPEN, target=None,
    records="what of the complainant's identity the department may now see, why, and the complainant's consent",
    # Only a confidential complainant, and only while something of them is still hidden.
    only_when=lambda c: bool(hidden_from_department(c)),
    form=DiscloseIdentityForm, apply=_disclose_identity,
    timeline={"disclosed": Shown(_l("Disclosed to the department"), DISCLOSED), "reason": REASON,
              "consent_via": Shown(_l("Consent given via"), ContactMethod)},
    example=lambda ex: {"disclosed_name": True, "disclosed_contact": True, "reason": "The head must call them.",
                        "consent_via": "phone", "consented": True},
    example_complaint={"confidential": True},
)


# --- note -----------------------------------------------------------------------------------------------


class NoteForm(ActionForm):
    text = reason_field(_l("Internal note (never shown to the complainant)"))


# What the system records in a note is stored as a fact, and read in the reader's language.
SYSTEM_NOTES = {
    "new_tracking_code": _l("A new tracking code was issued on a printed receipt; the previous code no longer "
                            "works."),
    "duplicate_linked": _l("A later complaint about the same matter was linked to this one as a duplicate."),
}

note = ActionSpec(
    "note", _l("Add an internal note"), roles=STAFF, sources=ALL, target=None, records="internal note",
    form=NoteForm,
    apply=lambda c, user, data: {key: data[key] for key in ("text", "system") if data.get(key)},
    timeline={"text": Shown(_l("Note")), "system": Shown(_l("Note"), SYSTEM_NOTES),
              "duplicate": Shown(_l("Duplicate"))},
    example=lambda ex: {"text": "Called back, no answer."},
)


# --- withdraw -------------------------------------------------------------------------------------------


class WithdrawForm(ActionForm):
    reason = reason_field(_l("Reason (the complainant's words)"))


def _withdraw(c, user, data: dict) -> dict:
    c.closed_at = utcnow()
    return {"reason": data["reason"]}


withdraw = ActionSpec(
    "withdraw", _l("Withdraw (complainant's word)"), roles=frozenset({RECEPTION}), sources=OPEN,
    target=State.withdrawn, records="reason",
    form=WithdrawForm, apply=_withdraw, timeline={"reason": REASON},
    example=lambda ex: {"reason": "Complainant says the matter is settled."},
)
