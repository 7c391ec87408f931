"""Corrective actions as records: raising one (its creating step), linking one to another complaint, and
what the queues and the findings form list of them. Its later steps go through `operations.perform()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, true

from ...core.database import touch
from ...core.departments import Department
from ...core.extensions import db
from ...core.roles import Role, role_of
from ...core.time import today
from ..permissions import VIEW, can, corrective_visible
from ..spec import ActionInvalid, ActionRefused
from .models import TO_DO, CorrectiveAction, Status
from .recording import append_event
from .steps import Step


def raise_action(user, data: dict, complaints=(), month: str | None = None) -> CorrectiveAction:
    """A new corrective action, answering `complaints` (each one the user may see) or raised from the
    monthly analysis of `month`."""
    if not can(user, Step.raise_):
        raise ActionRefused(Step.raise_)
    title = (data.get("title") or "").strip()
    if not title or len(title) > 200:
        raise ActionInvalid({"title": str(_l("Say in up to 200 characters what is to be done."))})
    owner = db.session.get(Department, data.get("owner_department_id") or 0)
    if owner is None or not owner.active:
        raise ActionInvalid({"owner_department_id": str(_l("Choose an active department."))})
    action = CorrectiveAction(title=title, description=data.get("description") or None,
                              owner_department_id=owner.id, due_on=data["due_on"],
                              status=Status.open.value, raised_by_id=user.id, raised_in_month=month,
                              complaints=list(complaints))
    db.session.add(action)
    append_event(action, user, Step.raise_, None, {
        "title": title, "owner": owner.code, "due_on": data["due_on"],
        "complaints": ", ".join(c.reference for c in complaints) or None, "month": month})
    return action


@dataclass(frozen=True)
class Summary:
    to_do: int  # open or reopened
    overdue: int  # of those, past their due date
    to_check: int  # done, effectiveness to check
    check_overdue: int  # of those, past the date of the check


def summary(user) -> Summary | None:
    """What the queue page says of corrective actions, in one query: to a head, their department's; to
    reception and leadership, who check them, every one. None for the others."""
    role = role_of(user)
    if role not in (Role.head, Role.reception, Role.leadership):
        return None
    on = today()
    # On every queue page: a Core statement on the table, which skips the ORM's compilation.
    table = CorrectiveAction.__table__
    to_do = table.c.status.in_([s.value for s in TO_DO])
    done = table.c.status == Status.done.value
    mine = table.c.owner_department_id == user.department_id if role == Role.head else true()
    row = db.session.execute(select(
        func.count().filter(to_do), func.count().filter(and_(to_do, table.c.due_on < on)),
        func.count().filter(done), func.count().filter(and_(done, table.c.check_due_on < on)),
    ).select_from(table).where(mine)).one()
    return Summary(*row)


def open_actions(user, limit: int = 200) -> list[CorrectiveAction]:
    """What is still to be done, of what `user` may see, soonest due first."""
    return list(db.session.scalars(
        select(CorrectiveAction).where(corrective_visible(user), CorrectiveAction.status.in_([s.value for s in TO_DO]))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id).limit(limit)))


def open_action(user, action_id: int) -> CorrectiveAction | None:
    action = db.session.get(CorrectiveAction, action_id)
    return action if action is not None and action.state in TO_DO and can(user, VIEW, action) else None


def link(user, action: CorrectiveAction, complaint) -> None:
    """One more complaint this action answers (a recurring problem has one action for many complaints)."""
    if not can(user, Step.note, action):
        raise ActionRefused(Step.note)
    if complaint not in action.complaints:
        action.complaints.append(complaint)
        touch(action)
        append_event(action, user, Step.note, action.state, {"linked": complaint.reference})
