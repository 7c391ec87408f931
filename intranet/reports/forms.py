"""The forms of the reports: reopening a closed period, and recording a quality meeting."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ..core.extensions import db
from ..core.forms import STRIPPED, Length, PostForm, required
from ..core.roles import STAFF
from ..core.users import User


class ReopenForm(PostForm):
    """Why a closed period's figures are to be worked out again: kept on its history."""

    reason = TextAreaField(_l("Why the period is reopened"), filters=STRIPPED, validators=[
        required(_l("Give the reason the period is reopened.")), Length(max=1000)])


def staff_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(User.id, User.display_name).where(
        User.active.is_(True), User.role.in_([r.value for r in STAFF])).order_by(User.display_name)).all()
    return [(str(ident), name) for ident, name in rows]


# References and numbers typed one after another: spaces, commas (full-width too), semicolons, new lines.
SEPARATORS = re.compile(r"[\s,，;；、]+")


def listed(text: str | None) -> list[str]:
    """The distinct words of a typed list, upper-cased (references are), in the order typed."""
    seen = []
    for word in SEPARATORS.split((text or "").upper()):
        if word and word not in seen:
            seen.append(word)
    return seen


class QualityMeetingForm(PostForm):
    held_on = DateField(_l("Date of the meeting"), validators=[InputRequired(message=_l("Enter the date of the "
                                                                                        "meeting."))])
    attendees = SelectMultipleField(_l("Staff who attended"), choices=staff_choices, validators=[Optional()])
    attendees_text = TextAreaField(_l("Others who attended"), filters=STRIPPED, validators=[Length(max=2000)],
                                   description=_l("Names and roles of those without an account, as the minutes "
                                                  "give them."))
    complaints = TextAreaField(_l("Complaints reviewed"), filters=STRIPPED, validators=[Length(max=4000)],
                               description=_l("Their references, separated by spaces or commas."))
    decisions = TextAreaField(_l("Decisions"), filters=STRIPPED, validators=[
        required(_l("Enter what the meeting decided.")), Length(max=8000)])
    corrective_actions = TextAreaField(_l("Corrective actions raised or followed"), filters=STRIPPED,
                                       validators=[Length(max=2000)],
                                       description=_l("Their numbers (ZG-00012), separated by spaces or commas."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.attendees.data and not self.attendees_text.data:
            self.attendees_text.errors = [*self.attendees_text.errors,
                                          _l("Choose the staff who attended, or name those who did.")]
            valid = False
        return valid
