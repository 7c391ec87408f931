"""Leadership's approval of the response to a major complaint (重大投诉), or its return for rework."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from ...core.forms import STRIPPED, Length
from ...core.time import utcnow
from ..forms import ActionForm, reason_field
from ..notices import APPROVED, READY_TO_TELL, RETURNED_FOR_REWORK
from ..spec import ActionSpec, Notice
from ..states import State
from ._shared import COMMENT, LEADERSHIP


class ApproveForm(ActionForm):
    comment = TextAreaField(_l("Comment"), filters=STRIPPED, validators=[Length(max=5000)])


def _approve(c, user, data: dict) -> dict:
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
