"""Leadership's approval of the response to a major complaint (重大投诉), or its return for rework; and its
confirmation, or not, of a head's finding that a complaint is malicious."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from ...core.extensions import db
from ...core.forms import STRIPPED, Length
from ...core.time import utcnow
from ..forms import ActionForm, reason_field
from ..models import Responsibility
from ..notices import APPROVED, MALICIOUS_CONFIRMED, MALICIOUS_REJECTED, READY_TO_TELL, RETURNED_FOR_REWORK
from ..remedies import waiting
from ..spec import ActionInvalid, ActionSpec, Notice, Shown
from ..states import State
from ._shared import COMMENT, LEADERSHIP


class ApproveForm(ActionForm):
    comment = TextAreaField(_l("Comment"), filters=STRIPPED, validators=[Length(max=5000)])


def _approve(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        remedies = waiting(c)
    if remedies:
        # The response goes out with its remedies decided: approve or refuse each first.
        raise ActionInvalid({"comment": str(_l("First approve or refuse the remedy waiting: %(remedy)s.",
                                               remedy="; ".join(r.name() for r in remedies)))})
    c.approved_by_id = user.id
    c.approved_at = utcnow()
    return {"comment": data.get("comment")}


approve = ActionSpec(
    "approve", _l("Approve the response"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.awaiting_approval}), target=State.signed_off, records="comment", primary=True,
    form=ApproveForm, apply=_approve, notices=(READY_TO_TELL, Notice(APPROVED)), timeline={"comment": COMMENT},
    example=lambda ex: {"comment": "Agreed."},
)


class ReturnForReworkForm(ActionForm):
    comment = reason_field(_l("What must change"))


def _return_for_rework(c, user, data: dict) -> dict:
    c.signed_off_at = c.signed_off_by_id = None
    return {"comment": data["comment"]}


return_for_rework = ActionSpec(
    "return_for_rework", _l("Return to the department"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.awaiting_approval}), target=State.investigating, records="comment",
    form=ReturnForReworkForm, apply=_return_for_rework, notices=(Notice(RETURNED_FOR_REWORK),),
    timeline={"comment": COMMENT},
    example=lambda ex: {"comment": "Say what changes."},
)


# --- confirm or reject a malicious finding ---------------------------------------------------------------


def _proposed_malicious(c) -> bool:
    return c.responsibility == Responsibility.malicious_proposed.value


class ConfirmMaliciousForm(ActionForm):
    comment = TextAreaField(_l("Comment"), filters=STRIPPED, validators=[Length(max=5000)])


def _confirm_malicious(c, user, data: dict) -> dict:
    c.responsibility = Responsibility.malicious.value
    return {"responsibility": c.responsibility, "reason": c.cause, "comment": data.get("comment")}


FINDING = Shown(_l("Finding"), Responsibility)
WHY_MALICIOUS = Shown(_l("Why the head found it malicious"))

confirm_malicious = ActionSpec(
    "confirm_malicious", _l("Confirm the malicious finding"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.investigating}), target=None, only_when=_proposed_malicious,
    records="the finding now stands; comment", primary=True,
    form=ConfirmMaliciousForm, apply=_confirm_malicious,
    done=lambda c: not _proposed_malicious(c),  # nothing waits for leadership's decision
    notices=(Notice(MALICIOUS_CONFIRMED),),
    timeline={"responsibility": FINDING, "reason": WHY_MALICIOUS, "comment": COMMENT},
    example=lambda ex: {"comment": "Agreed: the same claim was shown false before."},
    example_complaint={"malicious_proposed": True},
)


class RejectMaliciousForm(ActionForm):
    comment = reason_field(_l("Why the complaint is not malicious"))


def _reject_malicious(c, user, data: dict) -> dict:
    # The head records a finding again: the findings they wrote stay, the responsibility is theirs to choose.
    c.responsibility = None
    return {"reason": c.cause, "comment": data["comment"]}


reject_malicious = ActionSpec(
    "reject_malicious", _l("Reject the malicious finding"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.investigating}), target=None, only_when=_proposed_malicious,
    records="why not; the head records a finding again",
    form=RejectMaliciousForm, apply=_reject_malicious, notices=(Notice(MALICIOUS_REJECTED),),
    timeline={"reason": WHY_MALICIOUS, "comment": COMMENT},
    example=lambda ex: {"comment": "The complainant was mistaken, not acting in bad faith."},
    example_complaint={"malicious_proposed": True},
)
