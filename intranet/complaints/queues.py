"""Each role's queues (SPEC §5): what they see first, sorted by due date, with counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, select, true
from sqlalchemy.orm import joinedload, load_only
from sqlalchemy.sql.elements import True_

from ..core.extensions import db
from ..core.time import hospital_tz, today
from .lifecycle import Role, State
from .models import Complaint, Severity
from .permissions import visible
from .search import matches, plain_plans

# A history list's badge counts this far and then says "10,000+": counting further would read every
# complaint ever received, on every page and every 30 s refresh.
COUNT_CAP = 10_000


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
              lambda u: and_(Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on.is_not(None),
                             ~_status(State.submitted))),
        Queue("sent_back", _l("Sent back by departments"),
              lambda u: and_(_status(State.registered), Complaint.sent_back_at.is_not(None))),
        Queue("to_tell", _l("Signed off, to tell the complainant"), lambda u: _status(State.signed_off)),
        Queue("follow_up", _l("Follow-ups due"), lambda u: _status(State.responded)),
        Queue("open", _l("All open"), lambda u: true()),
    ],
    Role.head: [
        Queue("new", _l("New for my department"), lambda u: and_(_mine(u), _status(State.assigned))),
        Queue("investigating", _l("Investigating"),
              lambda u: and_(_mine(u), _status(State.investigating, State.awaiting_approval))),
        Queue("overdue", _l("Overdue"),
              lambda u: and_(_mine(u), Complaint.late_clause(today(), acknowledgement=False))),
        Queue("history", _l("My department's history"), lambda u: _mine(u), newest_first=True),
    ],
    Role.leadership: [
        Queue("escalated", _l("Escalated"), lambda u: Complaint.escalation_level > 0),
        Queue("approval", _l("Awaiting my approval"), lambda u: _status(State.awaiting_approval)),
        Queue("overdue", _l("Overdue hospital-wide"), lambda u: Complaint.late_clause(today())),
        Queue("major", _l("Major"), lambda u: Complaint.severity == Severity.major.value),
        Queue("all", _l("All"), lambda u: literal(True), newest_first=True),
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
    return _listed(user, queue) if queue.newest_first else and_(_is_open(), _listed(user, queue))


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
            # Of the open complaints this statement reads: the work list's own clause, without the states.
            listed = _listed(user, q)
            columns.append((func.count() if isinstance(listed, True_) else func.count().filter(listed)).label(q.name))
    row = db.session.execute(select(*columns).select_from(Complaint).where(_is_open())).one()
    return dict(zip([q.name for q in queues], row, strict=True))


# What a queue row (and a search result) shows and what decides its buttons (lifecycle.offered():
# the states, the department, acknowledgement, confidentiality): a row reads these columns only, not the
# complaint's whole record (its findings, response, follow-up...), which was about 40 % of reading fifty rows
# on PostgreSQL. A column the row template or an action's condition comes to need must be added here, or
# each row loads it with a query of its own (tests/test_queue_queries.py counts them).
ROW_COLUMNS = ("reference", "received_at", "what_happened", "status", "escalation_level", "severity",
               "response_due_on", "follow_up_due_on", "acknowledge_due_on", "acknowledged_at", "version",
               "anonymous", "confidential", "complainant_relation", "disclosed_name", "disclosed_contact",
               "disclosed_patient", "department_id", "category_id")


def _rows():
    """The statement of whole rows as a queue or search page shows them: no query per row."""
    return select(Complaint).options(joinedload(Complaint.department), joinedload(Complaint.category),
                                     load_only(*(getattr(Complaint, name) for name in ROW_COLUMNS)))


def complaints_in(user, queue: Queue, limit: int, offset: int = 0) -> list[Complaint]:
    """One query for the rows, with what each row shows joined in: no query per row."""
    rows = _rows()
    if queue.newest_first:
        # Walks an index newest first and stops at the page's end.
        order = [Complaint.received_at.desc(), Complaint.id.desc()]
        stmt = rows.where(_in_queue(user, queue)).order_by(*order).limit(limit).offset(offset)
    else:
        # The most urgent first is a sort of the whole list. Sorted as ids with their due dates (what the
        # open-work index holds), then only the page's rows are read whole, rather than sorting every open
        # complaint's full row to keep fifty: one statement still.
        order = [Complaint.due_on.is_(None), Complaint.due_on, Complaint.received_at, Complaint.id]
        page = select(Complaint.id).where(_in_queue(user, queue)).order_by(*order).limit(limit).offset(offset)
        page = page.subquery("page")
        stmt = rows.join(page, Complaint.id == page.c.id).order_by(*order)
    return list(db.session.scalars(stmt))


def start_of(day: date) -> datetime:
    """Midnight at the hospital: a received date range is in the hospital's days."""
    return datetime.combine(day, time(0), tzinfo=hospital_tz())


def _filtered(filters: dict):
    """The SQL clause of the search filters (SearchForm.filters()), each one that is set."""
    now = today()
    clauses = []
    for name in ("state", "department_id", "category_id", "channel", "severity"):
        if name in filters:
            clauses.append(getattr(Complaint, "status" if name == "state" else name) == filters[name])
    if "received_from" in filters:
        clauses.append(Complaint.received_at >= start_of(filters["received_from"]))
    if "received_to" in filters:
        clauses.append(Complaint.received_at < start_of(filters["received_to"] + timedelta(days=1)))
    acknowledging = and_(_is_open(), Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on.is_not(None))
    clocks = {
        "acknowledge": (acknowledging, Complaint.acknowledge_due_on),
        "response": (and_(_is_open(), ~_status(State.responded)), Complaint.response_due_on),
        "follow_up": (_status(State.responded), Complaint.follow_up_due_on),
    }
    if "clock" in filters:
        running, due = clocks[filters["clock"]]
        clauses.append(and_(running, due < now) if filters.get("overdue") else running)
    elif filters.get("overdue"):
        clauses.append(Complaint.overdue_clause(now))
    if filters.get("escalated"):
        clauses.append(Complaint.escalation_level > 0)
    return and_(true(), *clauses)


def _searched(user, text: str, filters: dict, newest: int | None = None):
    """What the searcher may see (permissions.visible), matching the words and the filters. `newest`: only
    that many of the last logged are wanted (see search.matches)."""
    sees = visible(user)
    narrowed = bool(filters) or not isinstance(sees, True_)
    where = [sees, _filtered(filters)]
    words = matches(user, text, newest=None if narrowed else newest)
    if words is not None:
        where.append(words)
    return and_(*where)


# Beyond this many, search says "more than": counting every match of a common word would cost more than
# the page itself, and nobody reads past a thousand results (they add a word or a filter).
COUNT_UP_TO = 1000


def search_count(user, text: str, filters: dict | None = None) -> int:
    """How many match, up to COUNT_UP_TO + 1 (more than COUNT_UP_TO: "more than a thousand")."""
    plain_plans()
    found = select(Complaint.id).where(_searched(user, text, filters or {})).limit(COUNT_UP_TO + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(found))


def search(user, text: str, limit: int, offset: int = 0, filters: dict | None = None) -> list[Complaint]:
    """The words (search.matches) and the filters, of what the user may see; the last logged first.

    By id, not by date received: the index hands back its matches in id order, so the newest page of a
    common word is read without sorting all its matches (a letter logged late comes with its logging)."""
    plain_plans()
    stmt = (_rows().where(_searched(user, text, filters or {}))
            .order_by(Complaint.id.desc()).limit(limit).offset(offset))
    return list(db.session.scalars(stmt))


def search_page(user, text: str, filters: dict, page_size: int, page: int) -> tuple[list[Complaint], int, bool]:
    """One page of search results, how many match (up to COUNT_UP_TO + 1), and whether a next page exists.

    The matching ids are read once, in order, up to what the count and this page need; then the page's
    complaints by id: a common word costs one pass over its matches, not one for the rows and one more
    for the count."""
    plain_plans()
    offset = (page - 1) * page_size
    wanted = max(COUNT_UP_TO + 1, offset + page_size + 1)
    ids = db.session.scalars(select(Complaint.id).where(_searched(user, text, filters, newest=wanted))
                             .order_by(Complaint.id.desc()).limit(wanted)).all()
    wanted = ids[offset:offset + page_size]
    loaded = {c.id: c for c in db.session.scalars(
        _rows().where(Complaint.id.in_(wanted)))} if wanted else {}
    return [loaded[i] for i in wanted], min(len(ids), COUNT_UP_TO + 1), len(ids) > offset + page_size
