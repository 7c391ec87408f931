"""What can be done while a complaint is open (or at any time): extend, escalate, disclose, ask for and send
more information, mark a file, note, withdraw."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from sqlalchemy import and_, delete, or_, select
from wtforms import BooleanField, DateField, HiddenField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from ...core.extensions import db
from ...core.forms import STRIPPED, Length, PostForm, bounded_int, required
from ...core.roles import STAFF, Role
from ...core.time import show_date, utcnow
from ...core.users import User
from ...notifications.models import OutboxMessage, OutboxStatus, StaffNotification
from ..confidentiality import CONTACT_FIELDS, DISCLOSABLE, hidden_from_department
from ..evidence import ACCEPTED, checked_uploads, rows_for
from ..forms import ActionForm, about_head_field, method_field, reason_field
from ..models import ContactMethod
from ..notices import (
    COMPLAINANT_EMAILED,
    ESCALATED,
    EXTENDED,
    HEADS_HEAR_OF_ESCALATION,
    INFORMATION_RECEIVED,
    INFORMATION_REQUESTED,
    INTEGRITY_MARKED,
    TELL_OF_NEW_DATE,
)
from ..permissions import identity_fields
from ..spec import HIDDEN, ActionInvalid, ActionSpec, Notice, PublicMessage, Requirement, Shown
from ..states import ALL, OPEN, State
from ._shared import (
    ABOUT_HEAD,
    COMPLAINANT_TOLD_VIA,
    HANDLER_TAKEN_OFF,
    HEAD,
    INTEGRITY,
    LEADERSHIP,
    REASON,
    RECEPTION,
)

# --- extend (延期) ---------------------------------------------------------------------------------------


class ExtendForm(ActionForm):
    new_due_on = DateField(_l("New due date"), validators=[InputRequired(message=_l("Enter the new due date."))])
    reason = reason_field(_l("Reason for the extension"))
    complainant_told_via = method_field(_l("How the complainant was told"))


RECEPTION_TELLS = _l("Reception tells the complainant: you cannot see their contact details.")


def _reception_tells(c, user) -> bool:
    """Whether this person cannot reach the complainant (a head on a confidential complaint whose contact is
    not disclosed): then reception tells them of the new date, and nobody asks the head how they did."""
    return not set(CONTACT_FIELDS) <= identity_fields(user, c)


def _fit_extend_form(form, c, user) -> None:
    if _reception_tells(c, user):
        del form.complainant_told_via
        form.form_hint = RECEPTION_TELLS


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
    reception_tells = _reception_tells(c, user)
    if not reception_tells and not data.get("complainant_told_via"):
        errors["complainant_told_via"] = str(_l("Record how the complainant was told."))
    if errors:
        raise ActionInvalid(errors)
    if old is not None and new <= old:
        raise ActionInvalid({"new_due_on": str(_l("The new due date must be later than the current one."))})
    # A date alone: due by the end of that day, even if the clock was counted in hours.
    c.set_due("follow_up" if field_name == "follow_up_due_on" else "response", new)
    told = ({"complainant_told_by": "reception"} if reception_tells
            else {"complainant_told_via": data["complainant_told_via"]})
    return {"clock": field_name, "from": old, "to": new, "reason": data["reason"], **told}


def _extension_told(event) -> str:
    told = _("New date: %(date)s.", date=show_date(date.fromisoformat(event.data["to"])))
    reason = event.data.get("reason")
    return told + " " + _("Reason: %(reason)s", reason=reason) if reason else told


def _extend_example(ex) -> dict:
    data = {"reason": "Waiting for the ward's records.", "complainant_told_via": "phone"}
    if ex.complaint is not None:
        data["new_due_on"] = getattr(ex.complaint, _running_clock(ex.complaint)) + timedelta(days=7)
    return data


extend = ActionSpec(
    "extend", _l("Extend the deadline"), roles=frozenset({HEAD, LEADERSHIP}), sources=OPEN, target=None,
    records="new due date, reason, how the complainant was told",
    form=ExtendForm, fit_form=_fit_extend_form, apply=_extend,
    notices=(Notice(EXTENDED), Notice(TELL_OF_NEW_DATE, recorded="complainant_told_by")),
    timeline={"clock": None, "from": Shown(_l("Was due"), "date"), "to": Shown(_l("Now due"), "date"),
              "reason": REASON, "complainant_told_via": COMPLAINANT_TOLD_VIA,
              "complainant_told_by": Shown(_l("Complainant told by"), {
                  "reception": _l("Reception, who is to tell them of the new date")})},
    # The new date holds until another, the answer (the next clock's), or a reopening (a date of its own).
    public=PublicMessage(_l("Changes to the date"), text=_extension_told,
                         holds_until=frozenset({"extend", "respond", "follow_up"}), while_open=True),
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
    notices=(ESCALATED, HEADS_HEAR_OF_ESCALATION),
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


# --- mark as an integrity complaint (医德医风) -------------------------------------------------------------


class MarkIntegrityForm(ActionForm):
    reason = reason_field(_l("Why it is an integrity complaint"))
    about_head = about_head_field()


def _mark_integrity(c, user, data: dict) -> dict:
    c.integrity = True
    c.about_head = bool(c.about_head or data.get("about_head"))
    handler = c.handler.display_name if c.handler_id is not None else None
    c.handler_id = None  # the office handles it now, never the accused department's staff
    if c.department_id is not None:
        with db.session.no_autoflush:  # the complaint is written once, by perform()
            _forget_for_the_department(c)
    return {"reason": data["reason"], "integrity": True, "about_head": c.about_head or None,
            "handler_taken_off": handler}


def _forget_for_the_department(c) -> None:
    """What the accused department's heads were told of the complaint before it was marked: gone from their
    bell, and what was still to be delivered to them never is. From now on the office hears instead."""
    # Every department involved: the lead (accused) and any asked to contribute, who no longer see it either:
    # their heads, and the lead's staff (a handler taken off the complaint by the marking).
    departments = [c.department_id, *(row.department_id for row in c.contributions)]
    heads = select(User.id).where(or_(and_(User.role == Role.head.value, User.department_id.in_(departments)),
                                      and_(User.role == Role.staff.value, User.department_id == c.department_id)))
    db.session.execute(delete(StaffNotification).where(StaffNotification.complaint_id == c.id,
                                                       StaffNotification.user_id.in_(heads)))
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.complaint_id == c.id, OutboxMessage.recipient_user_id.in_(heads),
        OutboxMessage.status.in_([OutboxStatus.pending.value, OutboxStatus.failed.value])))


mark_integrity = ActionSpec(
    "mark_integrity", _l("Mark as an integrity complaint"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=OPEN, target=None,
    records="why it is an integrity complaint; from then on the discipline office's, hidden from the department",
    # Once marked it stays so (triage and the log form mark it too).
    only_when=lambda c: not c.integrity,
    form=MarkIntegrityForm, apply=_mark_integrity, notices=(Notice(INTEGRITY_MARKED, lambda b, c: c.department_id),),
    timeline={"reason": REASON, "integrity": INTEGRITY, "about_head": ABOUT_HEAD,
              "handler_taken_off": HANDLER_TAKEN_OFF},
    example=lambda ex: {"reason": "The patient says the surgeon asked for a red envelope."},
)


# --- request more information (补充材料) ------------------------------------------------------------------


class RequestInformationForm(ActionForm):
    asked = reason_field(_l("What we ask the complainant for"))
    asked_via = method_field(_l("How the complainant was asked"))


def _information_awaited(c) -> bool:
    """Whether the office asked for more information and the complainant has not answered since."""
    for event in reversed(c.events):
        if event.action in ("request_information", "provide_information"):
            return event.action == "request_information"
    return False


request_information = ActionSpec(
    # The clocks run on: the complainant is asked, not waited for.
    "request_information", _l("Ask the complainant for more information"), roles=frozenset({RECEPTION}),
    sources=OPEN, target=None, records="what is asked of the complainant and how they were asked",
    form=RequestInformationForm,
    apply=lambda c, user, data: {"asked": data["asked"], "asked_via": data["asked_via"]},
    done=_information_awaited, notices=(Notice(INFORMATION_REQUESTED),),
    timeline={"asked": Shown(_l("Asked of the complainant")), "asked_via": Shown(_l("Asked via"), ContactMethod)},
    public=PublicMessage(_l("We need more information from you"), text=lambda event: event.data["asked"]),
    example=lambda ex: {"asked": "A copy of the bill, please.", "asked_via": "phone"},
)


class InformationForm(PostForm):
    """The complainant's answer on the tracking page: words, and photos or documents."""

    submit_label = _l("Send the information")
    answer = TextAreaField(_l("Your answer"), filters=STRIPPED,
                           validators=[required(_l("Write your answer, or what the files show.")),
                                       Length(max=10000)])
    evidence = MultipleFileField(_l("Photos or documents (optional)"),
                                 description=_l("Up to 5 files: photos (JPG, PNG) or PDF, each smaller than 5MB. "
                                                "We remove location details from photos."),
                                 render_kw={"accept": ACCEPTED})

    def validate_evidence(self, field):
        self.cleaned_evidence = checked_uploads(field.data)

    def action_data(self) -> dict:
        return {"answer": self.answer.data}


def _provide_information(c, user, data: dict) -> dict:
    # Files already checked and stored by the page (evidence.store): rows in this transaction.
    files = rows_for(c, data.get("evidence"))
    db.session.add_all(files)
    return {"answer": data["answer"], "evidence_files": len(files) or None}


provide_information = ActionSpec(
    "provide_information", _l("Send more information"), roles=frozenset({Role.public}), sources=OPEN,
    target=None, records="the complainant's answer and files", apply=_provide_information,
    # Offered on /track while a request waits for its answer; the requirement lets the planner ask first.
    only_when=_information_awaited,
    requires=(Requirement(request_information, "answer", _l("Nothing was asked of the complainant.")),),
    public_form=InformationForm,
    public_thanks=lambda data: _("Thank you. What you sent is with the people looking into your complaint."),
    notices=(Notice(INFORMATION_RECEIVED),),
    timeline={"answer": Shown(_l("The complainant's answer")), "evidence_files": Shown(_l("Files sent"))},
    public=PublicMessage(_l("You sent us more information"), text=lambda event: event.data["answer"]),
    example=lambda ex: {"answer": "The bill is attached: 20 yuan too much for the registration."},
)


# --- mark a file: may it identify the complainant ----------------------------------------------------


class FileChoice(HiddenField):
    """The file the form is beside (its id): one form per file on the complaint page."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = bounded_int(self.data)

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(_l("The form is out of date: reload the page and try again."))


class MarkFileForm(ActionForm):
    file_id = FileChoice()
    may_identify = BooleanField(_l("It may identify the complainant (withheld from the department)"))


def _mark_file(c, user, data: dict) -> dict:
    files = list(c.evidence)
    item = next((f for f in files if f.id == data.get("file_id")), None)
    if item is None:
        raise ActionInvalid({"file_id": str(_l("That file is not one of this complaint's."))})
    wanted = bool(data.get("may_identify"))
    if item.may_identify == wanted:  # someone marked it so meanwhile (the step commutes): nothing to record
        raise ActionInvalid({"file_id": str(_l("The file is already marked so."))})
    item.may_identify, item.marked_by_hand = wanted, True
    # The file by its number in the complaint's list, not its name: the name the complainant gave it (their
    # own, on a scan) may identify them, and the timeline is read by the department too.
    return {"file": files.index(item) + 1, "file_id": item.id, "may_identify": wanted}


MARKS = {True: _l("May identify the complainant"), False: _l("Cleared: does not identify the complainant")}


def _example_file() -> list[dict]:
    """A file of the example complaint (a row only: nothing stored on disk), under a name of its own."""
    return [{"stored_name": secrets.token_hex(16) + ".pdf", "original_name": "bill.pdf",
             "content_type": "application/pdf", "size": 2048}]


mark_file = ActionSpec(
    # Reception looks at what was sent; leadership may correct it. Whoever sees the identity sees every file.
    "mark_file", _l("Mark whether a file may identify the complainant"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=ALL, target=None, records="which file, and whether it may identify the complainant",
    # Only a file's mark: another step since the page was loaded is no reason to refuse it.
    form=MarkFileForm, apply=_mark_file, commutes=True, in_panel=False,
    timeline={"file": Shown(_l("File (number in the list)")), "file_id": HIDDEN,
              "may_identify": Shown(_l("The file's mark"), MARKS)},
    example=lambda ex: {"file_id": ex.complaint.evidence[0].id if ex.complaint is not None and ex.complaint.evidence
                        else None, "may_identify": True},
    example_complaint={"evidence": _example_file},
)


# --- an email from the complainant ---------------------------------------------------------------------


class EmailReceivedForm(ActionForm):
    # Never offered to staff (only the system does it): what the step takes, checked like any other's.
    text = TextAreaField(_l("The complainant's email"), filters=STRIPPED,
                         validators=[required(_l("The email has no text.")), Length(max=20000)])


def _email_received(c, user, data: dict) -> dict:
    # Files already checked and stored by the mail poller (evidence.store): rows in this transaction.
    files = rows_for(c, data.get("evidence"))
    db.session.add_all(files)
    return {"text": data["text"], "evidence_files": len(files) or None, "email_refused": data.get("email_refused"),
            # Written to a complaint already closed: reception decides whether it is a new matter.
            "after_closing": True if c.state not in OPEN else None}


email_received = ActionSpec(
    # Mail in: a reply to one of the office's emails is attached to its complaint, never a new complaint.
    "email_received", _l("Email from the complainant"), roles=frozenset({Role.system}), sources=ALL,
    target=None, records="the complainant's email and its files", form=EmailReceivedForm,
    apply=_email_received, commutes=True,
    notices=(Notice(COMPLAINANT_EMAILED),),
    timeline={"text": Shown(_l("The complainant's email")), "evidence_files": Shown(_l("Files sent")),
              "email_refused": Shown(_l("Not taken from the email")),
              "after_closing": Shown(_l("Sent after the complaint was closed"), "bool")},
    example=lambda ex: {"text": "Re: your complaint - the bill is attached."},
)


# --- note -----------------------------------------------------------------------------------------------


class NoteForm(ActionForm):
    text = reason_field(_l("Internal note (never shown to the complainant)"))


# What the system records in a note is stored as a fact, and read in the reader's language.
SYSTEM_NOTES = {
    "new_tracking_code": _l("A new tracking code was issued on a printed receipt; the previous code no longer "
                            "works."),
    "duplicate_linked": _l("A later complaint about the same matter was linked to this one as a duplicate."),
    "taken_from_set_aside": _l("Reception turned this email into a complaint: it had been set aside as an "
                               "automatic reply, a delivery failure or mailing-list mail."),
}

note = ActionSpec(
    "note", _l("Add an internal note"), roles=STAFF | {Role.staff}, sources=ALL, target=None, records="internal note",
    form=NoteForm, commutes=True,
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
