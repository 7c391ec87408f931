"""The monthly complaint analysis (每月投诉情况分析): what the quality meeting reads beside the KPIs.

Recurring themes, repeat complainants, overdue work, malicious complaints, every department that worked on
the period's complaints (lead or contributing), the complaints that left by a side exit and why,
leadership's work (escalations by reason, approvals and returns), the remedies offered and paid (by kind,
department and month) and the corrective actions recorded: each one bounded query, scoped by `visible()`
like everything else a reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from ..complaints.confidentiality import searchable_identity
from ..complaints.contributions import Contribution
from ..complaints.corrective.models import CorrectiveAction, CorrectiveActionEvent
from ..complaints.corrective.steps import Step
from ..complaints.disputes import ComplaintDispute, DisputeOutcome, DisputeRoute
from ..complaints.models import Channel, Complaint, ComplaintEvent, Responsibility
from ..complaints.permissions import corrective_visible
from ..complaints.remedies import ComplaintRemedy, RemedyKind
from ..complaints.states import State
from ..core.departments import Category, Department
from ..core.extensions import db
from ..core.time import local, today
from .kpis import Scope, names_of
from .periods import Period

REPEAT_WINDOW = timedelta(days=90)  # earlier complaints of the same person that count as "repeat"
LISTED = 20  # rows of a list on the printed analysis; the page says how many more there are


@dataclass
class Theme:
    category: str
    department: str
    count: int
    earlier: int  # the same pair in the two months before


@dataclass
class Repeat:
    phone: str  # masked: the analysis is printed and circulated
    count: int
    channels: list[str]
    references: list[str]


def themes(scope: Scope, period: Period) -> list[Theme]:
    """Category × department pairs received twice or more in the period, with the two months before."""
    pair = (Complaint.category_id, Complaint.department_id)
    current = dict(((cat, dep), n) for cat, dep, n in db.session.execute(
        select(*pair, func.count()).where(*scope.where(period), Complaint.category_id.isnot(None))
        .group_by(*pair).having(func.count() >= 2).order_by(func.count().desc()).limit(LISTED)).all())
    if not current:
        return []
    before_start = period.shifted(-2) if period.kind == "month" else period.previous()
    start, _ = before_start.bounds()
    end, _ = period.bounds()
    earlier = dict(((cat, dep), n) for cat, dep, n in db.session.execute(
        select(*pair, func.count()).where(*scope.where(), Complaint.received_at >= start, Complaint.received_at < end,
                                          Complaint.category_id.isnot(None))
        .group_by(*pair)).all())
    categories = names_of(Category, [cat for cat, _ in current])
    departments = names_of(Department, [dep for _, dep in current])
    return [Theme(categories.get(cat, ""), departments.get(dep, "—"), n, earlier.get((cat, dep), 0))
            for (cat, dep), n in current.items()]


def repeat_complainants(scope: Scope, period: Period) -> list[Repeat]:
    """People (by phone) with two or more complaints in the 90 days to the period's end, at least one of
    them in the period; only phones the reader may search by (a confidential complainant is not grouped
    for a department head)."""
    may = dict(searchable_identity(scope.user)).get("complainant_phone")
    if may is None:
        return []
    start, end = period.bounds()
    window = and_(*scope.where(), may, Complaint.complainant_phone.isnot(None),
                  Complaint.received_at >= end - REPEAT_WINDOW, Complaint.received_at < end)
    groups = db.session.execute(
        select(Complaint.complainant_phone, func.count(), func.count(func.distinct(Complaint.channel)))
        .where(window).group_by(Complaint.complainant_phone)
        .having(and_(func.count() >= 2, func.max(Complaint.received_at) >= start))
        .order_by(func.count().desc(), Complaint.complainant_phone).limit(LISTED)).all()
    listed: dict[str, list[tuple[str, str]]] = {phone: [] for phone, _count, _channels in groups}
    if listed:  # every listed person's complaints in one statement, each person's in the order received
        for phone, reference, channel in db.session.execute(
                select(Complaint.complainant_phone, Complaint.reference, Complaint.channel)
                .where(window, Complaint.complainant_phone.in_(list(listed)))
                .order_by(Complaint.received_at, Complaint.id)).all():
            listed[phone].append((reference, channel))
    return [Repeat(_mask(phone), count, sorted({Channel(ch).label for _, ch in listed[phone]}),
                   [ref for ref, _ in listed[phone]]) for phone, count, _channels in groups]


def overdue(scope: Scope) -> tuple[list[Complaint], int]:
    """Open work past a due date today, whenever received: the oldest first, and how many in all."""
    clause = and_(*scope.where(), Complaint.overdue_clause(today()))
    total = db.session.scalar(select(func.count()).select_from(Complaint).where(clause))
    rows = db.session.scalars(select(Complaint).where(clause).order_by(Complaint.due_on, Complaint.id)
                              .options(joinedload(Complaint.department)).limit(LISTED)).all()
    return list(rows), total


def malicious(scope: Scope, period: Period) -> list[Complaint]:
    """Complaints found malicious in the period, with why: recorded and kept, never deleted."""
    return list(db.session.scalars(
        select(Complaint).where(*scope.where(period), Complaint.responsibility == Responsibility.malicious.value)
        .options(joinedload(Complaint.department)).order_by(Complaint.received_at)).all())


@dataclass
class Corrective:
    raised: list[CorrectiveAction]  # in the period
    done: int  # recorded done in the period
    effective: int  # checked in the period and found to have worked
    not_effective: int  # checked in the period and reopened
    overdue: list[CorrectiveAction]  # to do past the due date, or done and the check past its date, today
    overdue_total: int


def corrective_actions(scope: Scope, period: Period) -> Corrective:
    """The corrective actions the reader may see (the owner department's, if the report is narrowed to
    one): raised, done and checked in the period, and what is overdue today."""
    where = [corrective_visible(scope.user)]
    if "department_id" in scope.filters:
        where.append(CorrectiveAction.owner_department_id == scope.filters["department_id"])
    start, end = period.bounds()

    def within(column):
        return and_(column >= start, column < end)

    raised = db.session.scalars(select(CorrectiveAction).where(*where, within(CorrectiveAction.raised_at))
                                .options(joinedload(CorrectiveAction.owner))
                                .order_by(CorrectiveAction.id).limit(LISTED)).all()
    checked = [e.data.get("effective") for e in db.session.scalars(
        select(CorrectiveActionEvent).join(CorrectiveAction).where(
            *where, CorrectiveActionEvent.step == Step.check.value, within(CorrectiveActionEvent.at)))]
    done = db.session.scalar(select(func.count()).select_from(CorrectiveActionEvent).join(CorrectiveAction).where(
        *where, CorrectiveActionEvent.step == Step.complete.value, within(CorrectiveActionEvent.at)))
    late = and_(*where, CorrectiveAction.overdue_clause(today()))
    overdue = db.session.scalars(select(CorrectiveAction).where(late).options(joinedload(CorrectiveAction.owner))
                                 .order_by(CorrectiveAction.due_on, CorrectiveAction.id).limit(LISTED)).all()
    total = db.session.scalar(select(func.count()).select_from(CorrectiveAction).where(late))
    return Corrective(list(raised), done, checked.count(True), checked.count(False), list(overdue), total)


# --- every department that worked on them (co-handling) ---------------------------------------------------

WORKED_ON_DEFINITION = _l(
    "Every department that worked on the period's complaints: the lead department (the one that answers, which "
    "the tables by department count) and each department asked to contribute its part and not taken off. A "
    "complaint several departments worked on counts once for each of them, so the column does not add up to "
    "the complaints received. Parts recorded: contributions recorded, of them on time by the part's own due "
    "date; waived: leadership let the lead sign off without it.")


@dataclass
class WorkedOn:
    department: str
    worked_on: int  # complaints it led or contributed to
    led: int
    contributed: int  # asked for its part
    parts_recorded: int
    parts_on_time: int
    parts_waived: int


def worked_on(scope: Scope, period: Period) -> list[WorkedOn]:
    """One row per department that led or contributed to a complaint received in the period (of those the
    reader may see), the most complaints first."""
    received = select(Complaint.id).where(*scope.where(period)).subquery()
    lead = (select(Complaint.id.label("complaint_id"), Complaint.department_id.label("department_id"),
                   literal(True).label("leads"))
            .where(Complaint.id.in_(select(received.c.id)), Complaint.department_id.isnot(None)))
    asked = (select(Contribution.complaint_id, Contribution.department_id, literal(False).label("leads"))
             .where(Contribution.complaint_id.in_(select(received.c.id)), Contribution.removed_at.is_(None)))
    both = union_all(lead, asked).subquery()
    counts = db.session.execute(
        select(both.c.department_id, func.count(func.distinct(both.c.complaint_id)),
               func.sum(case((both.c.leads, 1), else_=0)), func.sum(case((both.c.leads, 0), else_=1)))
        .group_by(both.c.department_id)).all()
    parts: dict[int, list[int]] = {}
    for department_id, at, due_on, waived in db.session.execute(
            select(Contribution.department_id, Contribution.contributed_at, Contribution.due_on,
                   Contribution.waived_at.isnot(None))
            .where(Contribution.complaint_id.in_(select(received.c.id)), Contribution.removed_at.is_(None))):
        tally = parts.setdefault(department_id, [0, 0, 0])
        if at is not None:
            tally[0] += 1
            tally[1] += local(at).date() <= due_on  # by the end of its due day at the hospital
        tally[2] += bool(waived)
    names = names_of(Department, [row[0] for row in counts])
    rows = [WorkedOn(names.get(dep, ""), int(n), int(led or 0), int(contributed or 0), *parts.get(dep, [0, 0, 0]))
            for dep, n, led, contributed in counts]
    return sorted(rows, key=lambda r: (-r.worked_on, r.department))


SIDE_EXITS = (State.not_accepted, State.withdrawn, State.duplicate)


@dataclass
class Exit:
    complaint: Complaint
    reason: str | None  # why it was not accepted, the complainant's words withdrawing it, or the original


@dataclass
class SideExits:
    counts: dict[str, int]  # state → how many of the period's complaints ended so
    listed: list[Exit]
    total: int


def side_exits(scope: Scope, period: Period) -> SideExits:
    """The period's complaints that ended without being the hospital's to answer: not accepted, withdrawn or
    a duplicate of another, each with its reason (the oldest first)."""
    where = and_(*scope.where(period), Complaint.status.in_([s.value for s in SIDE_EXITS]))
    counts = {state.value: 0 for state in SIDE_EXITS}
    counts.update(dict(db.session.execute(
        select(Complaint.status, func.count()).where(where).group_by(Complaint.status)).all()))
    rows = db.session.scalars(select(Complaint).where(where).order_by(Complaint.received_at, Complaint.id)
                              .options(joinedload(Complaint.duplicate_of)).limit(LISTED)).all()
    withdrawn = [c.id for c in rows if c.status == State.withdrawn.value]
    said = {}  # a withdrawal's reason is on its event: the complaint keeps none
    if withdrawn:
        said = dict(db.session.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.data).where(
            ComplaintEvent.complaint_id.in_(withdrawn), ComplaintEvent.action == "withdraw")).all())

    def reason(c: Complaint) -> str | None:
        if c.status == State.withdrawn.value:
            return (said.get(c.id) or {}).get("reason")
        if c.status == State.duplicate.value:
            return c.duplicate_of.reference if c.duplicate_of else None
        return c.decline_reason

    return SideExits(counts, [Exit(c, reason(c)) for c in rows], sum(counts.values()))


ESCALATION_REASONS = ("overdue", "not_satisfied", "manual", "major")


@dataclass
class LeadershipWork:
    escalations: dict[str, int]  # reason → how many in the period
    approved: int
    returned: int


def leadership_work(scope: Scope, period: Period) -> LeadershipWork:
    """What came to leadership in the period, whenever the complaint was received: escalations by why (a
    deadline missed, found by the sweep; the complainant not satisfied at the follow-up; raised by someone on
    the staff; a complaint triaged as major, which leadership hears of at once), and the major complaints'
    answers approved or returned to the department."""
    start, end = period.bounds()
    escalate = ComplaintEvent.action == "escalate"
    counted = {  # each figure's events, counted side by side over the period's events in one statement
        "overdue": and_(escalate, ComplaintEvent.actor_id.is_(None)),
        "not_satisfied": and_(ComplaintEvent.action == "follow_up",
                              ComplaintEvent.data["satisfied"].as_boolean().is_(False)),
        "manual": and_(escalate, ComplaintEvent.actor_id.isnot(None)),
        "approved": ComplaintEvent.action == "approve",
        "returned": ComplaintEvent.action == "return_for_rework",
    }
    # A major complaint counts once, however many of its events say so (logged major, triaged major again).
    major = and_(ComplaintEvent.action.in_(("log", "triage")), ComplaintEvent.data["severity"].as_string() == "major")
    row = db.session.execute(
        select(*(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(key)
                 for key, condition in counted.items()),
               func.count(func.distinct(case((major, ComplaintEvent.complaint_id)))).label("major"))
        .select_from(ComplaintEvent).join(Complaint)
        .where(*scope.where(), ComplaintEvent.at >= start, ComplaintEvent.at < end,
               ComplaintEvent.action.in_(("escalate", "follow_up", "log", "triage", "approve", "return_for_rework"))
               )).one()
    escalations = {reason: int(getattr(row, reason)) for reason in ESCALATION_REASONS}
    return LeadershipWork(escalations, int(row.approved), int(row.returned))


# --- remedies with amounts (赔偿/补偿/退费/减免) ------------------------------------------------------------

REMEDY_DEFINITIONS = {
    "offered": _l("Offered: the remedies proposed in the period that stand (neither withdrawn nor refused by "
                  "leadership), whenever their complaint was received; their amounts added up."),
    "paid": _l("Paid: the remedies whose payment is recorded as made in the period (its date of payment), "
               "whenever they were proposed; their amounts added up."),
}


@dataclass
class RemedyTotal:
    key: str | None  # a kind, a department's id, a month's slug
    label: str
    offered: int = 0  # how many
    offered_fen: int = 0
    paid: int = 0
    paid_fen: int = 0


@dataclass
class Remedies:
    by_kind: list[RemedyTotal]
    by_department: list[RemedyTotal]
    by_month: list[RemedyTotal]  # for a quarter or a year; a month has none
    total: RemedyTotal


def remedies(scope: Scope, period: Period) -> Remedies:
    """The remedies of the complaints the reader may see: offered in the period and paid in it, by kind, by
    department and, for a quarter or a year, by month (REMEDY_DEFINITIONS)."""
    start, end = period.bounds()
    standing = and_(ComplaintRemedy.withdrawn_at.is_(None), ComplaintRemedy.approved.isnot(False))
    offered = and_(standing, ComplaintRemedy.proposed_at >= start, ComplaintRemedy.proposed_at < end)
    paid = and_(ComplaintRemedy.paid_on >= period.first_day, ComplaintRemedy.paid_on < period.end_day)
    rows = db.session.execute(
        select(ComplaintRemedy.kind, Complaint.department_id, ComplaintRemedy.amount_fen, ComplaintRemedy.proposed_at,
               ComplaintRemedy.paid_on, offered.label("offered"), paid.label("paid"))
        .join(Complaint, Complaint.id == ComplaintRemedy.complaint_id)
        .where(*scope.where(), or_(offered, paid))).all()
    months = period.month_periods() if period.kind != "month" else []
    totals = {"kind": {k.value: RemedyTotal(k.value, k.label) for k in RemedyKind}, "department": {},
              "month": {m.slug: RemedyTotal(m.slug, m.label) for m in months}}
    total = RemedyTotal(None, "")
    departments = names_of(Department, {row.department_id for row in rows if row.department_id})
    for row in rows:
        department = totals["department"].setdefault(
            row.department_id, RemedyTotal(str(row.department_id) if row.department_id else None,
                                           departments.get(row.department_id, "—")))
        groups = [totals["kind"][row.kind], department, total]
        amount = row.amount_fen or 0
        if row.offered:
            month = totals["month"].get(Period.month_of(local(row.proposed_at).date()).slug)
            for group in [*groups, *([month] if month else [])]:
                group.offered += 1
                group.offered_fen += amount
        if row.paid:
            month = totals["month"].get(Period.month_of(row.paid_on).slug)
            for group in [*groups, *([month] if month else [])]:
                group.paid += 1
                group.paid_fen += amount
    by_department = sorted(totals["department"].values(), key=lambda t: (-t.offered_fen, -t.paid_fen, t.label))
    return Remedies([t for t in totals["kind"].values() if t.offered or t.paid], by_department,
                    list(totals["month"].values()), total)


@dataclass
class Disputes:
    by_route: dict[str, int]  # route → disputes begun in the period
    by_outcome: dict[str, int]  # outcome → disputes decided in the period
    began: int
    decided: int


def disputes(scope: Scope, period: Period) -> Disputes:
    """The medical disputes (医疗纠纷) of the complaints the reader sees, whenever the complaint was received:
    those begun in the period by the route the complainant took, and those decided in it by their outcome."""
    first, end = period.first_day, period.end_day  # dates, as the disputes' are: [first, end)

    def grouped(column, day) -> dict[str, int]:
        return dict(db.session.execute(
            select(column, func.count()).select_from(ComplaintDispute).join(Complaint)
            .where(*scope.where(), day >= first, day < end).group_by(column)).all())

    routes, outcomes = grouped(ComplaintDispute.route, ComplaintDispute.began_on), grouped(
        ComplaintDispute.outcome, ComplaintDispute.outcome_on)
    by_route = {route.value: routes.get(route.value, 0) for route in DisputeRoute}
    by_outcome = {outcome.value: outcomes.get(outcome.value, 0) for outcome in DisputeOutcome}
    return Disputes(by_route, by_outcome, sum(by_route.values()), sum(by_outcome.values()))


def _mask(phone: str) -> str:
    """138****8000: enough to tell two people apart in a meeting, not enough to call them."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
