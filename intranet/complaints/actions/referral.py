"""Referrals (转办件): a complaint referred by 12320, 12345, the health commission or another agency records
who referred it, their case number and their reply-by date, and once the complainant is answered the
hospital reports back to them (办结反馈).

Their reply-by date may fall before the hospital's own response date: then it governs. The response's due
date is tightened to it, and the event says what it was and what it is now (at intake, and when reception
records the referral's details later); a later reply-by date never loosens it (an extension does, as for any
complaint). The report back is due by their date, or without one by the policy's report-back clock counted
from the answer (`clocks.set_report_back`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from ...core.departments import ReferringBody
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, int_or_none, optional_choice, referring_body_choices, required
from ...core.time import local, today, utcnow
from .. import clocks, evidence
from ..forms import ActionForm, reason_field
from ..models import Channel, ReportBackMethod
from ..spec import ActionInvalid, ActionSpec, Shown
from ..states import OPEN, State
from ._shared import REASON, RECEPTION, StepEvidence, evidence_field, store_files

CASE_NUMBER_LENGTH = 60
# Why a referral's details change afterwards is written out: the referring body may ask.
REASON_LENGTH = 10


def referring_body_field():
    return SelectField(_l("Referred by"), choices=referring_body_choices, coerce=int_or_none,
                       validators=[Optional()])


def case_number_field():
    return StringField(_l("Their case number"), filters=STRIPPED, validators=[Length(max=CASE_NUMBER_LENGTH)])


def reply_by_field():
    return DateField(_l("Their reply-by date"), validators=[Optional()],
                     description=_l("The date the referring body wants the hospital's reply by, if they gave one."))


def reply_by_refused(reply_by, received_on) -> str | None:
    """Why a reply-by date cannot be so (said beside its field), or None."""
    if reply_by is not None and received_on is not None and reply_by < received_on:
        return str(_l("The reply-by date cannot be before the complaint was received."))
    return None


def body_code(body_id) -> str | None:
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        body = db.session.get(ReferringBody, body_id) if body_id else None
    return body.code if body else None


def tighten_response(c) -> dict:
    """The response's due date no later than the referring body's reply-by date while the complainant is still
    to be answered: what it was and what it is now, for the event (nothing if it stays)."""
    reply_by = c.referral_reply_by
    if reply_by is None or c.responded_at is not None or c.response_due_on is None:
        return {}
    if reply_by >= c.response_due_on:
        return {}
    was = c.response_due_on
    c.set_due("response", reply_by)
    return {"response_due_was": was, "response_due_on": reply_by}


RESPONSE_DUE = {
    "response_due_was": Shown(_l("The hospital's own response date"), "date"),
    "response_due_on": Shown(_l("Response now due (the referring body's date)"), "date"),
}


# --- the referral's details, recorded or corrected by reception ------------------------------------------


class ReferralForm(ActionForm):
    referral_body_id = SelectField(_l("Referred by"), choices=referring_body_choices, coerce=int_or_none,
                                   validators=[required(_l("Choose who referred it."))])
    referral_case_number = case_number_field()
    referral_reply_by = reply_by_field()
    reason = reason_field(_l("Why the details change"))

    def validate_reason(self, field):
        if field.data and len(field.data) < REASON_LENGTH:
            raise ValidationError(_l("Give the reason in %(min)s characters at least.", min=REASON_LENGTH))


def _record_referral(c, user, data: dict) -> dict:
    wanted = {"referral_body_id": data["referral_body_id"],
              "referral_case_number": data.get("referral_case_number") or None,
              "referral_reply_by": data.get("referral_reply_by")}
    if all(getattr(c, name) == value for name, value in wanted.items()):
        raise ActionInvalid({"referral_body_id": str(_l("Nothing changed: change a detail, or cancel."))})
    refused = reply_by_refused(wanted["referral_reply_by"], local(c.received_at).date())
    if refused:
        raise ActionInvalid({"referral_reply_by": refused})
    recorded = {"referral_body": body_code(wanted["referral_body_id"]),
                "referral_case_number": wanted["referral_case_number"],
                "referral_reply_by": wanted["referral_reply_by"], "reason": data["reason"]}
    if c.referral_body_id is not None:
        recorded.update(referral_body_was=body_code(c.referral_body_id),
                        referral_case_number_was=c.referral_case_number, referral_reply_by_was=c.referral_reply_by)
    for name, value in wanted.items():
        setattr(c, name, value)
    recorded.update(tighten_response(c))
    if c.responded_at is not None and c.reported_back_at is None:
        clocks.set_report_back(c)  # answered already: the report back falls due by their date now
        recorded["report_back_due_on"] = c.report_back_due_on
    return recorded


def _referral_prefill(c) -> dict:
    return {"referral_body_id": c.referral_body_id, "referral_case_number": c.referral_case_number,
            "referral_reply_by": c.referral_reply_by}


record_referral = ActionSpec(
    "record_referral", _l("Record the referral's details"), roles=frozenset({RECEPTION}), sources=OPEN,
    target=None, records="who referred it, their case number and reply-by date, with why",
    # A complaint that came as a referral: one logged before its details were kept gets them here.
    only_when=lambda c: c.channel == Channel.referral.value,
    form=ReferralForm, apply=_record_referral, prefill=_referral_prefill,
    timeline={"referral_body": Shown(_l("Referred by"), "referring_body"),
              "referral_case_number": Shown(_l("Their case number")),
              "referral_reply_by": Shown(_l("Their reply-by date"), "date"),
              "referral_body_was": Shown(_l("Referred by, before"), "referring_body"),
              "referral_case_number_was": Shown(_l("Their case number, before")),
              "referral_reply_by_was": Shown(_l("Their reply-by date, before"), "date"),
              "reason": REASON, **RESPONSE_DUE,
              "report_back_due_on": Shown(_l("Report back due"), "date")},
    example=lambda ex: {"referral_body_id": _a_referring_body(), "referral_case_number": "12345-2026-0815",
                        "reason": "The hotline sent its case number afterwards."},
    example_complaint={"channel": Channel.referral.value},
)


# --- report back (办结反馈) -------------------------------------------------------------------------------


class ReportBackForm(StepEvidence, ActionForm):
    method = SelectField(_l("How the referring body was told"), choices=optional_choice(ReportBackMethod.choices),
                         validators=[required(_l("Choose a method."))])
    reported_on = DateField(_l("Date reported back"), validators=[Optional()], description=_l("Leave empty for today."))
    text = TextAreaField(_l("What they were told"), filters=STRIPPED, validators=[required(), Length(max=20000)])
    evidence = evidence_field(_l("Files: the reply sent, their platform's receipt (optional)"))


def _report_back(c, user, data: dict) -> dict:
    reported_on = data.get("reported_on") or today()
    if reported_on > today():
        raise ActionInvalid({"reported_on": str(_l("The date reported back cannot be in the future."))})
    if c.responded_on is not None and reported_on < c.responded_on:
        raise ActionInvalid({"reported_on": str(_l("The date reported back cannot be before the complainant was "
                                                    "answered."))})
    if c.report_back_due_on is None:  # answered before its clock was kept
        clocks.set_report_back(c)
    c.report_back_method = ReportBackMethod(data["method"]).value
    c.reported_back_on = reported_on
    c.report_back_text = data["text"]
    c.reported_back_at = utcnow()
    c.reported_back_on_time = clocks.on_time(reported_on, c.report_back_due_on)
    stored = store_files(data)
    with db.session.no_autoflush:
        c.evidence.extend(evidence.rows_for(c, stored))
    return {"method": c.report_back_method, "reported_on": reported_on, "text": data["text"],
            "files": [row["original_name"] for row in stored] or None, "due_on": c.report_back_due_on,
            "on_time": c.reported_back_on_time}


report_back = ActionSpec(
    "report_back", _l("Record the report back to the referring body"), roles=frozenset({RECEPTION}),
    sources=frozenset({State.responded, State.closed}), target=None,
    records="method, date, what the referring body was told, files", primary=True,
    only_when=lambda c: c.to_report_back, done=lambda c: c.reported_back_at is not None,
    form=ReportBackForm, apply=_report_back,
    timeline={"method": Shown(_l("Method"), ReportBackMethod), "reported_on": Shown(_l("Date reported back"), "date"),
              "text": Shown(_l("What they were told")), "files": Shown(_l("Files")),
              "due_on": Shown(_l("Report back due"), "date"), "on_time": Shown(_l("On time"), "bool")},
    example=lambda ex: {"method": "platform", "text": "Answered the complainant by phone; the waiting area now "
                                                       "announces delays."},
    example_complaint={"channel": Channel.referral.value, "referral_body_id": lambda: _a_referring_body(),
                       "referral_case_number": "12345-2026-0815"},
)


def _a_referring_body() -> int:
    """For the examples: the first referring body in use (the migration's list), made if the list is empty
    (a test's emptied database)."""
    with db.session.no_autoflush:
        found = db.session.scalar(select(ReferringBody.id).where(ReferringBody.active).order_by(ReferringBody.code))
        if found is None:
            body = ReferringBody(code="12345", name_zh="12345政务服务便民热线", name_en="12345 citizens' hotline")
            db.session.add(body)
            db.session.flush()
            found = body.id
    return found
