"""Telling the complainant (respond) and asking afterwards whether they are satisfied (follow up, 回访)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from ...core.forms import STRIPPED, Length, PostForm, required
from ...core.roles import Role
from ...core.time import today, utcnow
from ...deadlines import policy
from ...deadlines.models import Clock
from .. import clocks, letters
from ..forms import ActionForm, method_field
from ..models import ContactMethod
from ..notices import (
    ANSWERED,
    ESCALATED_NOT_SATISFIED,
    HEADS_HEAR_OF_ESCALATION_NOT_SATISFIED,
    HEADS_HEAR_OF_REOPENING,
)
from ..spec import ActionInvalid, ActionSpec, Decider, Shown
from ..states import State
from ._shared import COMMENT, HEAD, METHOD, RECEPTION, RESPONSE

# --- respond --------------------------------------------------------------------------------------------


class RespondForm(ActionForm):
    method = method_field(_l("How the complainant was told"))
    responded_on = DateField(_l("Date told"), validators=[Optional()])
    told_text = TextAreaField(_l("What they were told"), filters=STRIPPED, validators=[required(), Length(max=20000)])


def _respond(c, user, data: dict) -> dict:
    method = ContactMethod(data["method"])
    if c.wants_written_reply and method != ContactMethod.written:
        raise ActionInvalid({"method": str(_l("This complaint must be answered in writing."))})
    responded_on = data.get("responded_on") or today()
    if responded_on > today():
        raise ActionInvalid({"responded_on": str(_l("The response date cannot be in the future."))})
    c.response_method = method.value
    # The signed-off response (response_text) stays as the head signed it.
    c.told_text = data["told_text"]
    c.responded_on = responded_on
    c.responded_at = utcnow()
    c.responded_on_time = clocks.on_time(responded_on, c.response_due_on, c.response_due_at)
    clocks.set_follow_up(c, responded_on)
    clocks.acknowledge(c, method.value)  # told the answer, so told it was received (late)
    letters.write(c, clocks.record_answer(c, method.value, data["told_text"]), user)  # a written one's letter
    return {"method": method.value, "responded_on": responded_on, "told_text": data["told_text"],
            "differs_from_signed": data["told_text"] != c.response_text}


def _respond_prefill(c) -> dict:
    prefill = {"told_text": c.response_text}  # what was signed off, to tell as it is or in other words
    if c.wants_written_reply:
        prefill["method"] = ContactMethod.written.value  # 书面投诉书面答复
    return prefill


respond = ActionSpec(
    "respond", _l("Record the response given"), roles=frozenset({RECEPTION, HEAD}),
    sources=frozenset({State.signed_off}), target=State.responded, records="method, date, text", primary=True,
    # An anonymous complaint has nobody to tell: the office records its conclusion instead (conclude).
    only_when=lambda c: not c.anonymous, anonymous=False,
    form=RespondForm, apply=_respond, prefill=_respond_prefill, notices=(ANSWERED,),
    timeline={"method": METHOD, "responded_on": Shown(_l("Date told"), "date"),
              "told_text": Shown(_l("What they were told")),
              "differs_from_signed": Shown(_l("Differs from the signed-off response"), "bool"),
              "response_text": RESPONSE},  # events recorded before the two texts were kept apart
    example=lambda ex: {"method": "phone", "told_text": "We are sorry. Delays are now announced."},
)


# --- follow up (回访) ------------------------------------------------------------------------------------


class SatisfactionForm(PostForm):
    """The follow-up (回访), answered online by the complainant on the tracking page."""

    submit_label = _l("Send my answer")
    satisfied = RadioField(_l("Are you satisfied with our answer?"),
                           choices=[SelectChoice("yes", _l("Yes, I am satisfied")),
                                    SelectChoice("no", _l("No, I am not satisfied"))],
                           validators=[InputRequired(message=_l("Select whether you are satisfied with our "
                                                                "answer."))])
    comment = TextAreaField(_l("Tell us why (optional)"), filters=STRIPPED,
                            description=_l("If you are not satisfied, tell us what is still wrong. Your complaint "
                                           "will be looked at again by the department and the hospital's "
                                           "leadership."),
                            validators=[Length(max=5000, message=_l("Your comment must be 5,000 characters "
                                                                    "or fewer."))])

    def validate_comment(self, field):
        if self.satisfied.data == "no" and not field.data:
            raise ValidationError(_l("Tell us why you are not satisfied."))

    def action_data(self) -> dict:
        return {"method": ContactMethod.online.value, "satisfied": self.satisfied.data == "yes",
                "comment": self.comment.data}


def _thanks_for_the_follow_up(data: dict) -> str:
    if data["satisfied"]:
        return _("Thank you. Your complaint is now closed.")
    return _("Thank you for telling us. Your complaint has been reopened and passed to the hospital's "
             "leadership; we will contact you again.")


class FollowUpForm(ActionForm):
    method = method_field(_l("How the follow-up was made"))
    satisfied = RadioField(_l("Is the complainant satisfied?"),
                           choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))],
                           validators=[InputRequired(message=_l("Choose satisfied or not satisfied."))])
    comment = TextAreaField(_l("What they said"), filters=STRIPPED, validators=[Length(max=5000)])

    def action_data(self) -> dict:
        data = super().action_data()
        data["satisfied"] = self.satisfied.data == "yes"
        return data


def _follow_up(c, user, data: dict) -> dict:
    c.follow_up_method = data["method"]
    c.satisfied = bool(data["satisfied"])
    c.follow_up_comment = data.get("comment") or None
    c.followed_up_at = utcnow()
    c.followed_up_on_time = clocks.on_time(c.followed_up_at, c.follow_up_due_on, c.follow_up_due_at)
    clocks.record_follow_up(c, data["method"])
    if c.satisfied:
        c.closed_at = c.followed_up_at
        return {"method": data["method"], "satisfied": True, "comment": data.get("comment")}
    # Reopened: a new response clock from today, of the policy's length for reopenings, shown and swept like
    # the first; the first response stays on the timeline.
    c.reopened_count += 1
    c.signed_off_at = c.signed_off_by_id = c.approved_at = c.approved_by_id = None
    c.responded_at = c.responded_on = c.responded_on_time = None
    c.set_due("response", policy.due(Clock.reopened, c.severity, c.complexity, c.followed_up_at))
    c.set_due("follow_up", None)
    return {"method": data["method"], "satisfied": False, "comment": data.get("comment"),
            "response_due_on": c.response_due_on}


def _after_follow_up(c, data: dict) -> State:
    if data.get("satisfied"):
        return State.closed
    # Not satisfied: back to the department. A complaint resolved on the spot never had one, so it goes
    # back to reception to be assigned.
    return State.investigating if c.department_id else State.registered


follow_up = ActionSpec(
    # The public answers online on the tracking page, once it has checked the tracking code.
    "follow_up", _l("Record the follow-up"), roles=frozenset({RECEPTION, Role.public}),
    sources=frozenset({State.responded}), only_when=lambda c: not c.anonymous, anonymous=False,  # nobody to ask
    target=Decider(_after_follow_up, outcomes=frozenset({State.closed, State.investigating, State.registered}),
                   leads_to={State.closed: {"satisfied": True}, State.investigating: {"satisfied": False},
                             State.registered: {"satisfied": False}}),
    records="method, satisfaction, comment", primary=True,
    escalates=lambda data: not data.get("satisfied"),
    form=FollowUpForm, apply=_follow_up,
    notices=(ESCALATED_NOT_SATISFIED, HEADS_HEAR_OF_ESCALATION_NOT_SATISFIED, HEADS_HEAR_OF_REOPENING),
    public_form=SatisfactionForm, public_thanks=_thanks_for_the_follow_up,
    timeline={"method": METHOD, "satisfied": Shown(_l("Satisfied"), "bool"), "comment": COMMENT,
              "response_due_on": Shown(_l("New response due"), "date")},
    example=lambda ex: {"method": "phone", "satisfied": True, "comment": "Thanks."},
)


# --- conclude (an anonymous complaint) -------------------------------------------------------------------


class ConcludeForm(ActionForm):
    conclusion = TextAreaField(_l("The office's conclusion"), filters=STRIPPED,
                               validators=[required(), Length(max=20000)])


def _conclude(c, user, data: dict) -> dict:
    # Nobody to answer and nobody to follow up: the conclusion ends the response clock and closes it. One
    # answered on the spot has had its answer already; the conclusion only closes it.
    if c.responded_at is None:
        c.responded_at = utcnow()
        c.responded_on = today()
        c.responded_on_time = clocks.on_time(c.responded_at, c.response_due_on, c.response_due_at)
        clocks.record_answer(c, None, data["conclusion"])  # no method: nobody was told
    c.closed_at = utcnow()
    return {"conclusion": data["conclusion"]}


conclude = ActionSpec(
    "conclude", _l("Record the office's conclusion"), roles=frozenset({RECEPTION}),
    sources=frozenset({State.signed_off, State.responded}), target=State.closed, records="conclusion",
    primary=True, only_when=lambda c: bool(c.anonymous), anonymous=True,
    form=ConcludeForm, apply=_conclude, prefill=lambda c: {"conclusion": c.response_text},
    timeline={"conclusion": Shown(_l("The office's conclusion"))},
    example=lambda ex: {"conclusion": "The ward's night staffing was reviewed; no reply is possible."},
    example_complaint={"anonymous": True, "complainant_name": None, "complainant_phone": None,
                       "complainant_email": None},
)
