"""The quality meeting (质量例会): a record of each meeting that read a period's analysis.

Leadership records it: the date, who came (staff accounts and others by name), the complaints it reviewed
(by reference: each must be a complaint), what it decided, and the corrective actions it raised or followed
(by number: each must exist). A reference or number that is none refuses the form, with what was typed kept.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..complaints.corrective.models import CorrectiveAction
from ..complaints.models import Complaint
from ..core.extensions import db
from ..core.users import User
from .forms import QualityMeetingForm, listed
from .models import QualityMeeting
from .periods import Period

NUMBER_PREFIX = "ZG-"


def of_period(period: Period) -> list[QualityMeeting]:
    return list(db.session.scalars(select(QualityMeeting).where(
        QualityMeeting.period_kind == period.kind, QualityMeeting.period_start == period.first_day)
        .order_by(QualityMeeting.held_on, QualityMeeting.id)).all())


def _complaints(form: QualityMeetingForm) -> list[Complaint] | None:
    wanted = listed(form.complaints.data)
    found = {c.reference: c for c in db.session.scalars(select(Complaint).where(Complaint.reference.in_(wanted)))}
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        form.complaints.errors = [*form.complaints.errors, _unknown("complaint", missing)]
        return None
    return [found[ref] for ref in wanted]


def _corrective_actions(form: QualityMeetingForm) -> list[CorrectiveAction] | None:
    wanted = listed(form.corrective_actions.data)
    ids = {}
    for number in wanted:
        digits = number.removeprefix(NUMBER_PREFIX)
        ids[number] = int(digits) if digits.isdigit() and len(digits) <= 9 else None
    found = {a.id: a for a in db.session.scalars(select(CorrectiveAction).where(
        CorrectiveAction.id.in_([i for i in ids.values() if i is not None])))}
    missing = [number for number, ident in ids.items() if ident not in found]
    if missing:
        form.corrective_actions.errors = [*form.corrective_actions.errors, _unknown("corrective", missing)]
        return None
    return [found[ident] for ident in ids.values()]


def _unknown(kind: str, missing: list[str]) -> str:
    words = "、".join(missing) if len(missing) > 1 else missing[0]
    if kind == "complaint":
        return _("No complaint has this reference: %(references)s.", references=words)
    return _("No corrective action has this number: %(numbers)s.", numbers=words)


def record(user, period: Period, form: QualityMeetingForm) -> QualityMeeting | None:
    """The meeting, saved; None when the form is refused (its errors are on its fields)."""
    valid = form.validate()
    complaints = _complaints(form)
    actions = _corrective_actions(form)
    if not valid or complaints is None or actions is None:
        return None
    attendees = list(db.session.scalars(select(User).where(User.id.in_([int(i) for i in form.attendees.data]))))
    meeting = QualityMeeting(held_on=form.held_on.data, period_kind=period.kind, period_start=period.first_day,
                             attendees_text=form.attendees_text.data or None, decisions=form.decisions.data,
                             recorded_by_id=user.id, attendees=attendees, complaints=complaints,
                             corrective_actions=actions)
    db.session.add(meeting)
    db.session.commit()
    return meeting


def period_of(meeting: QualityMeeting) -> Period:
    start = meeting.period_start
    if meeting.period_kind == "month":
        return Period.month_of(start)
    if meeting.period_kind == "quarter":
        return Period(start.year, "quarter", (start.month - 1) // 3 + 1)
    return Period(start.year, "year", 1)
