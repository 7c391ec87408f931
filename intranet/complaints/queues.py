"""Each role's queues (SPEC §5): what they see first, sorted by due date, with counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, select, true
from sqlalchemy.sql.elements import True_

from ..core.extensions import db
from ..core.time import today
from .contributions import Contribution
from .lifecycle import Role, State
from .models import Complaint, Severity
from .permissions import visible
from .rows import is_open, rows, status_in

# A history list's badge counts this far and then says "10,000+": counting further would read every
# complaint ever received, on every page and every 30 s refresh.
COUNT_CAP = 10_000
# The discipline office's "due soon": what falls due within this many days (or is already late).
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    # (user) -> SQL clause. A work list lists open complaints only: its clause says which of them, and the
    # open states are added where its rows are read (the badge counts read open complaints only already,
    # and on PostgreSQL testing each row's state again in every count costs more than the counting).
    where: Callable
    # History lists (closed complaints too) are newest first and counted up to COUNT_CAP; work lists put
    # the most urgent first.
    newest_first: bool = False
    # The date a work list is sorted by: the next response or follow-up, or (reception's lists of what is
    # still to acknowledge) the acknowledgement, which falls first; (a contributing head's) their part's own.
    due: Callable = lambda user: Complaint.due_on
    # A work list that holds closed complaints too (a referral answered and closed, not yet reported back):
    # counted like a history list, sorted like a work list.
    closed_too: bool = False


def _acknowledge_first(user=None):
    return func.coalesce(case((Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on)), Complaint.due_on)


def _mine(user):
    return Complaint.department_id == user.department_id


def _our_part_due(user):
    """The complaints another department leads whose part this head's department is still to record."""
    return Complaint.id.in_(select(Contribution.complaint_id).where(
        Contribution.department_id == user.department_id, Contribution.removed_at.is_(None),
        Contribution.contributed_at.is_(None), Contribution.waived_at.is_(None)))


def _our_part_due_on(user):
    return (select(Contribution.due_on).where(Contribution.complaint_id == Complaint.id,
                                              Contribution.department_id == user.department_id)
            .correlate(Complaint).scalar_subquery())


QUEUES: dict[Role, list[Queue]] = {
    Role.reception: [
        Queue("new", _l("New, to triage"), lambda u: status_in(State.submitted), due=_acknowledge_first),
        # Every complaint whose complainant is still to be told it was received, triaged or not.
        Queue("acknowledge", _l("Awaiting acknowledgement"),
              lambda u: and_(Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on.is_not(None)),
              due=_acknowledge_first),
        Queue("sent_back", _l("Sent back by departments"),
              lambda u: and_(status_in(State.registered), Complaint.sent_back_at.is_not(None))),
        Queue("to_tell", _l("Signed off, to tell the complainant"), lambda u: status_in(State.signed_off)),
        Queue("follow_up", _l("Follow-ups due"), lambda u: status_in(State.responded)),
        # 转办件办结反馈: a referral whose complainant is answered, still to be reported back to who referred it.
        # Read from the partial index of these alone (the clause says its condition): not every closed complaint.
        Queue("report_back", _l("Referrals to report back"), lambda u: Complaint.to_report_back_clause(),
              due=lambda user: Complaint.report_back_due_on, closed_too=True),
        Queue("open", _l("All open"), lambda u: true()),
    ],
    Role.head: [
        Queue("new", _l("New for my department"), lambda u: and_(_mine(u), status_in(State.assigned))),
        Queue("investigating", _l("Investigating"),
              lambda u: and_(_mine(u), status_in(State.investigating, State.awaiting_approval))),
        Queue("overdue", _l("Overdue"),
              lambda u: and_(_mine(u), Complaint.late_clause(today(), acknowledgement=False))),
        # Co-handling: another department leads, and ours is asked for its part, by its own date.
        Queue("contribution_due", _l("Contribution due"), _our_part_due, due=_our_part_due_on),
        Queue("history", _l("My department's history"), lambda u: _mine(u), newest_first=True),
    ],
    # A member of the department's staff: the complaints handed to them (visible() keeps every list to those).
    Role.staff: [
        Queue("mine", _l("My cases"), lambda u: true()),
        Queue("to_find", _l("Findings still to record"),
              lambda u: and_(status_in(State.investigating), Complaint.findings_recorded_at.is_(None))),
        Queue("history", _l("Every case handed to me"), lambda u: literal(True), newest_first=True),
    ],
    Role.leadership: [
        Queue("escalated", _l("Escalated"), lambda u: Complaint.escalation_level > 0),
        Queue("approval", _l("Awaiting my approval"), lambda u: status_in(State.awaiting_approval)),
        Queue("overdue", _l("Overdue hospital-wide"), lambda u: Complaint.late_clause(today())),
        Queue("major", _l("Major"), lambda u: Complaint.severity == Severity.major.value),
        Queue("all", _l("All"), lambda u: literal(True), newest_first=True),
    ],
    # The discipline office: the hospital's integrity complaints (visible() keeps its lists to those), in
    # the head's steps: to accept and investigate, findings to sign off, what falls due soon.
    Role.supervision: [
        Queue("investigate", _l("To investigate"),
              lambda u: and_(status_in(State.assigned, State.investigating), Complaint.findings_recorded_at.is_(None))),
        Queue("sign_off", _l("Findings recorded, awaiting sign-off"),
              lambda u: and_(status_in(State.investigating), Complaint.findings_recorded_at.is_not(None))),
        Queue("due_soon", _l("Due within %(days)s days", days=DUE_SOON_DAYS),
              lambda u: and_(status_in(State.assigned, State.investigating), Complaint.on_the_clocks(),
                             Complaint.response_due_on <= today() + timedelta(days=DUE_SOON_DAYS))),
        Queue("approval", _l("With leadership for approval"), lambda u: status_in(State.awaiting_approval)),
        Queue("history", _l("All integrity complaints"), lambda u: literal(True), newest_first=True),
    ],
    Role.admin: [
        Queue("open", _l("All open"), lambda u: true()),
        Queue("all", _l("All"), lambda u: literal(True), newest_first=True),
    ],
}


def queues_for(user) -> list[Queue]:
    return QUEUES[Role(user.role)]


def find_queue(user, name: str | None) -> Queue:
    queues = queues_for(user)
    return next((q for q in queues if q.name == name), queues[0])


def _listed(user, queue: Queue):
    # What the queue's clause lists, of what the user may see at all (permissions.visible: one rule for
    # every list).
    return and_(visible(user), queue.where(user))


def _in_queue(user, queue: Queue):
    # A work list lists open complaints only; a history list (newest first) whatever its clause says.
    if queue.newest_first or queue.closed_too:
        return _listed(user, queue)
    return and_(is_open(), _listed(user, queue))


def counts(user) -> dict[str, int]:
    """All of the role's badge counts in one query, which reads the open complaints (the work in hand, found
    by the index on status) and at most COUNT_CAP + 1 of each history list's, however long the history."""
    queues = queues_for(user)
    columns = []
    for q in queues:
        if q.newest_first or q.closed_too:
            capped = select(literal(1)).select_from(Complaint).where(_in_queue(user, q)).limit(COUNT_CAP + 1).subquery()
            columns.append(select(func.count()).select_from(capped).scalar_subquery().label(q.name))
        else:
            # Of the open complaints this statement reads: the work list's own clause, without the states.
            listed = _listed(user, q)
            columns.append((func.count() if isinstance(listed, True_) else func.count().filter(listed)).label(q.name))
    row = db.session.execute(select(*columns).select_from(Complaint).where(is_open())).one()
    return dict(zip([q.name for q in queues], row, strict=True))


def complaints_in(user, queue: Queue, limit: int, offset: int = 0) -> list[Complaint]:
    """One query for the rows, with what each row shows joined in: no query per row."""
    statement = rows()
    if queue.newest_first:
        # Walks an index newest first and stops at the page's end.
        order = [Complaint.received_at.desc(), Complaint.id.desc()]
        stmt = statement.where(_in_queue(user, queue)).order_by(*order).limit(limit).offset(offset)
    else:
        # The most urgent first is a sort of the whole list. Sorted as ids with their due dates (what the
        # open-work index holds), then only the page's rows are read whole, rather than sorting every open
        # complaint's full row to keep fifty: one statement still.
        due = queue.due(user)
        order = [due.is_(None), due, Complaint.received_at, Complaint.id]
        page = select(Complaint.id).where(_in_queue(user, queue)).order_by(*order).limit(limit).offset(offset)
        page = page.subquery("page")
        stmt = statement.join(page, Complaint.id == page.c.id).order_by(*order)
    return list(db.session.scalars(stmt))
