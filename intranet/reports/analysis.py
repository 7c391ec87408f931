"""The monthly complaint analysis (每月投诉情况分析): what the quality meeting reads beside the KPIs.

Recurring themes, repeat complainants, overdue work, malicious complaints, the complaints that left by a
side exit and why, leadership's work (escalations by reason, approvals and returns) and the corrective
actions recorded: each one bounded query, scoped by `visible()` like everything else a reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from ..complaints.confidentiality import searchable_identity
from ..complaints.corrective.models import CorrectiveAction, CorrectiveActionEvent
from ..complaints.corrective.steps import Step
from ..complaints.disputes import ComplaintDispute, DisputeOutcome, DisputeRoute
from ..complaints.models import Channel, Complaint, ComplaintEvent, Responsibility
from ..complaints.permissions import corrective_visible
from ..complaints.states import State
from ..core.departments import Category, Department
from ..core.extensions import db
from ..core.time import today
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
    repeats = []
    for phone, count, _channels in groups:
        rows = db.session.execute(select(Complaint.reference, Complaint.channel)
                                  .where(window, Complaint.complainant_phone == phone)
                                  .order_by(Complaint.received_at)).all()
        repeats.append(Repeat(_mask(phone), count, sorted({Channel(ch).label for _, ch in rows}),
                              [ref for ref, _ in rows]))
    return repeats


def overdue(scope: Scope) -> tuple[list[Complaint], int]:
    """Open work past a due date today, whenever received: the oldest first, and how many in all."""
    clause = and_(*scope.where(), Complaint.overdue_clause(today()))
    total = db.session.scalar(select(func.count()).select_from(Complaint).where(clause))
    rows = db.session.scalars(select(Complaint).where(clause).order_by(Complaint.due_on, Complaint.id)
                              .limit(LISTED)).all()
    return list(rows), total


def malicious(scope: Scope, period: Period) -> list[Complaint]:
    """Complaints found malicious in the period, with why: recorded and kept, never deleted."""
    return list(db.session.scalars(
        select(Complaint).where(*scope.where(period), Complaint.responsibility == Responsibility.malicious.value)
        .order_by(Complaint.received_at)).all())


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
                                .order_by(CorrectiveAction.id).limit(LISTED)).all()
    checked = [e.data.get("effective") for e in db.session.scalars(
        select(CorrectiveActionEvent).join(CorrectiveAction).where(
            *where, CorrectiveActionEvent.step == Step.check.value, within(CorrectiveActionEvent.at)))]
    done = db.session.scalar(select(func.count()).select_from(CorrectiveActionEvent).join(CorrectiveAction).where(
        *where, CorrectiveActionEvent.step == Step.complete.value, within(CorrectiveActionEvent.at)))
    late = and_(*where, CorrectiveAction.overdue_clause(today()))
    overdue = db.session.scalars(select(CorrectiveAction).where(late)
                                 .order_by(CorrectiveAction.due_on, CorrectiveAction.id).limit(LISTED)).all()
    total = db.session.scalar(select(func.count()).select_from(CorrectiveAction).where(late))
    return Corrective(list(raised), done, checked.count(True), checked.count(False), list(overdue), total)


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
    events = and_(*scope.where(), ComplaintEvent.at >= start, ComplaintEvent.at < end)

    def count(*conditions, distinct=False) -> int:
        counted = func.count(func.distinct(ComplaintEvent.complaint_id)) if distinct else func.count()
        return db.session.scalar(select(counted).select_from(ComplaintEvent).join(Complaint)
                                 .where(events, *conditions)) or 0

    escalate = ComplaintEvent.action == "escalate"
    escalations = {
        "overdue": count(escalate, ComplaintEvent.actor_id.is_(None)),
        "not_satisfied": count(ComplaintEvent.action == "follow_up",
                               ComplaintEvent.data["satisfied"].as_boolean().is_(False)),
        "manual": count(escalate, ComplaintEvent.actor_id.isnot(None)),
        "major": count(ComplaintEvent.action.in_(("log", "triage")),
                       ComplaintEvent.data["severity"].as_string() == "major", distinct=True),
    }
    return LeadershipWork(escalations, count(ComplaintEvent.action == "approve"),
                          count(ComplaintEvent.action == "return_for_rework"))


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
