"""The monthly complaint analysis (每月投诉情况分析): what the quality meeting reads beside the KPIs.

Recurring themes, repeat complainants, overdue work, malicious complaints and the corrective actions
recorded: each one bounded query, scoped by `visible()` like everything else a reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, select

from ..complaints.confidentiality import searchable_identity
from ..complaints.corrective.models import CorrectiveAction, CorrectiveActionEvent
from ..complaints.corrective.steps import Step
from ..complaints.models import Channel, Complaint, Responsibility
from ..complaints.permissions import corrective_visible
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


def _mask(phone: str) -> str:
    """138****8000: enough to tell two people apart in a meeting, not enough to call them."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
