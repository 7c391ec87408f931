"""Each role's queues (SPEC §5): what they see first, sorted by due date, with counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import joinedload

from ..core.extensions import db
from ..core.time import today
from .lifecycle import Role, State
from .models import Complaint, Severity
from .permissions import searchable_identity, visible

# A history list's badge counts this far and then says "10,000+": counting further would read every
# complaint ever received, on every page and every 30 s refresh.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    where: Callable  # (user) -> SQL clause; a work list's lists open complaints only
    # History lists (closed complaints too) are newest first and counted up to COUNT_CAP; work lists put
    # the most urgent first.
    newest_first: bool = False


def _status(*states: State):
    return Complaint.status.in_([s.value for s in states])


def _is_open():
    return Complaint.open_clause()


def _mine(user):
    return Complaint.department_id == user.department_id


QUEUES: dict[Role, list[Queue]] = {
    Role.reception: [
        Queue("new", _l("New, to triage"), lambda u: _status(State.submitted)),
        Queue("acknowledge", _l("Awaiting acknowledgement"),
              lambda u: and_(_is_open(), Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on.is_not(None),
                             ~_status(State.submitted))),
        Queue("sent_back", _l("Sent back by departments"),
              lambda u: and_(_status(State.registered), Complaint.sent_back_at.is_not(None))),
        Queue("to_tell", _l("Signed off, to tell the complainant"), lambda u: _status(State.signed_off)),
        Queue("follow_up", _l("Follow-ups due"), lambda u: _status(State.responded)),
        Queue("open", _l("All open"), lambda u: _is_open()),
    ],
    Role.head: [
        Queue("new", _l("New for my department"), lambda u: and_(_mine(u), _status(State.assigned))),
        Queue("investigating", _l("Investigating"),
              lambda u: and_(_mine(u), _status(State.investigating, State.awaiting_approval))),
        Queue("overdue", _l("Overdue"),
              lambda u: and_(_mine(u), Complaint.overdue_clause(today(), acknowledgement=False))),
        Queue("history", _l("My department's history"), lambda u: _mine(u), newest_first=True),
    ],
    Role.leadership: [
        Queue("escalated", _l("Escalated"), lambda u: and_(_is_open(), Complaint.escalation_level > 0)),
        Queue("approval", _l("Awaiting my approval"), lambda u: _status(State.awaiting_approval)),
        Queue("overdue", _l("Overdue hospital-wide"), lambda u: Complaint.overdue_clause(today())),
        Queue("major", _l("Major"), lambda u: and_(_is_open(), Complaint.severity == Severity.major.value)),
        Queue("all", _l("All"), lambda u: literal(True), newest_first=True),
    ],
    Role.admin: [
        Queue("open", _l("All open"), lambda u: _is_open()),
        Queue("all", _l("All"), lambda u: literal(True), newest_first=True),
    ],
}


def queues_for(user) -> list[Queue]:
    return QUEUES[Role(user.role)]


def find_queue(user, name: str | None) -> Queue:
    queues = queues_for(user)
    return next((q for q in queues if q.name == name), queues[0])


def _in_queue(user, queue: Queue):
    # What the queue lists, of what the user may see at all (permissions.visible: one rule for every list).
    return and_(visible(user), queue.where(user))


def counts(user) -> dict[str, int]:
    """All of the role's badge counts in one query, which reads the open complaints (the work in hand, found
    by the index on status) and at most COUNT_CAP + 1 of each history list's, however long the history."""
    queues = queues_for(user)
    columns = []
    for q in queues:
        if q.newest_first:
            capped = select(literal(1)).select_from(Complaint).where(_in_queue(user, q)).limit(COUNT_CAP + 1).subquery()
            columns.append(select(func.count()).select_from(capped).scalar_subquery().label(q.name))
        else:
            columns.append(func.count().filter(_in_queue(user, q)).label(q.name))
    row = db.session.execute(select(*columns).select_from(Complaint).where(_is_open())).one()
    return dict(zip([q.name for q in queues], row, strict=True))


def complaints_in(user, queue: Queue, limit: int, offset: int = 0) -> list[Complaint]:
    """One query for the rows, with what each row shows joined in: no query per row."""
    if queue.newest_first:
        order = [Complaint.received_at.desc(), Complaint.id.desc()]
    else:
        order = [Complaint.due_on.is_(None), Complaint.due_on, Complaint.received_at, Complaint.id]
    stmt = (
        select(Complaint)
        .where(_in_queue(user, queue))
        .options(joinedload(Complaint.department), joinedload(Complaint.category))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return list(db.session.scalars(stmt))


def search(user, text: str, limit: int) -> list[Complaint]:
    """Reference, words, ward, and the identifying fields the user may search by (permissions decides)."""
    stmt = (select(Complaint).options(joinedload(Complaint.department), joinedload(Complaint.category))
            .where(visible(user)))
    text = text.strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        matches = [f.ilike(like) for f in (Complaint.reference, Complaint.what_happened, Complaint.subject_ward)]
        matches += [and_(allowed, getattr(Complaint, name).ilike(like)) for name, allowed in searchable_identity(user)]
        stmt = stmt.where(or_(*matches))
    return list(db.session.scalars(stmt.order_by(Complaint.received_at.desc()).limit(limit)))
