"""Closing a period: the analysis frozen as it stood, what changed afterwards, and reopening.

The analysis of a period is first turned into plain data (`snapshot()`: numbers, labels, references and
dates, nothing that queries); the page, the print and the exports are drawn from that data (`thawed()`),
whether it was just computed or stored when the period was closed. So a closed period shows exactly what
was shown when it closed, and any figure the analysis comes to compute is frozen with the rest: a row's
counts are stored whole, and a measure added after a period closed shows "—" for it.

The snapshot is the whole hospital's, stored in each language the pages speak (the names of departments,
categories and states are words). A head, or a page narrowed to one department, reads live figures "as of
now", with the closing named.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..complaints import audit
from ..complaints.lifecycle import Action
from ..complaints.models import Complaint, ComplaintEvent
from ..complaints.permissions import visible
from ..core.extensions import db
from ..core.time import today, utcnow
from . import accountability, analysis, kpis
from .kpis import DIMENSIONS, Figures, Row, Scope
from .models import CLOSE, REOPEN, PeriodClosing
from .periods import Period

LANGUAGES = ("zh", "en")
CLOCKS = ("acknowledge", "response", "follow_up")  # the order of the clocks a complaint runs through
CHANGES_LISTED = 200  # events listed under a closed period's figures; the page says how many in all


class Refused(Exception):
    """A closing or a reopening that may not happen now; its message says why."""


# --- the analysis as plain data ------------------------------------------------------------------------


def _figures(figures: Figures) -> dict:
    return {"counts": dict(figures.counts), "median_days": figures.median_days, "medians": dict(figures.medians)}


def snapshot(scope: Scope, period: Period, full: bool = True) -> dict:
    """Every figure and table of the period's analysis, as JSON-able data in the reader's language (`full`:
    the whole analysis; otherwise the KPIs and their tables only, for the KPI page and its exports)."""
    compared = [period, period.previous(), period.last_year()]
    months = period.trend(12) if full else []
    # Every KPI of the page in two statements: the periods compared, the tables and the trend's months.
    by_period, by_dimension, by_month = kpis.report(scope, compared, list(DIMENSIONS.values()), period, months)
    comparisons = [[p.label, _figures(by_period[p])] for p in compared]
    tables = {key: [{"key": row.key, "label": row.label, "rank": row.rank, **_figures(row.figures)}
                    for row in by_dimension[key]]
              for key in DIMENSIONS}
    data = {"at": utcnow().isoformat(), "period": period.slug, "comparisons": comparisons, "tables": tables,
            # Every department that worked on them (lead or contributing), beside the lead-only tables.
            "worked_on": [asdict(r) for r in analysis.worked_on(scope, period)]}
    if not full:
        return data
    overdue_rows, overdue_total = analysis.overdue(scope)
    corrective = analysis.corrective_actions(scope, period)
    exits = analysis.side_exits(scope, period)
    seal = audit.seal()
    data.update(
        trend=[{"period": m.slug, **_figures(by_month[m])} for m in months],
        themes=[asdict(t) for t in analysis.themes(scope, period)],
        repeats=[{**asdict(r), "channels": [str(c) for c in r.channels]}
                 for r in analysis.repeat_complainants(scope, period)],
        # By the clock that is late (acknowledgement, response, follow-up), then the oldest first.
        overdue={"total": overdue_total, "rows": sorted((_overdue_row(c) for c in overdue_rows),
                                                       key=lambda r: (CLOCKS.index(r["clock"]) if r["clock"] in CLOCKS
                                                                      else len(CLOCKS), r["due"] or ""))},
        malicious=[{"reference": c.reference, "department": c.department.name if c.department else None,
                    "why": c.cause or c.findings} for c in analysis.malicious(scope, period)],
        corrective={
            "raised": [_corrective_row(a) for a in corrective.raised], "done": corrective.done,
            "effective": corrective.effective, "not_effective": corrective.not_effective,
            "overdue": [_corrective_row(a) for a in corrective.overdue], "overdue_total": corrective.overdue_total},
        side_exits={"counts": exits.counts, "total": exits.total,
                    "listed": [{"reference": e.complaint.reference, "status": e.complaint.status,
                                "state": str(e.complaint.state.label), "reason": e.reason} for e in exits.listed]},
        leadership_work=asdict(analysis.leadership_work(scope, period)),
        remedies=asdict(analysis.remedies(scope, period)),
        disputes=asdict(analysis.disputes(scope, period)),
        seal={"upto": seal.upto, "complaints": seal.complaints, "digest": seal.digest},
    )
    return data


def _overdue_row(c: Complaint) -> dict:
    clock = c.late_clock()
    due = c.acknowledge_due_on if clock == "acknowledge" else c.due_on
    return {"reference": c.reference, "department": c.department.name if c.department else None,
            "state": str(c.state.label), "clock": clock, "due": due.isoformat() if due else None}


def _corrective_row(a) -> dict:
    return {"id": a.id, "number": a.number, "title": a.title, "owner": a.owner.name, "state": str(a.state.label),
            "due": (a.check_due_on if a.status == "done" else a.due_on).isoformat()}


class FrozenFigures(Figures):
    """Figures read back from a snapshot: a measure the snapshot has no count for (added since) is "—"."""

    def value(self, key: str):
        try:
            return super().value(key)
        except KeyError:
            return None


def _thaw_figures(data: dict) -> Figures:
    return FrozenFigures(dict(data["counts"]), data.get("median_days"), dict(data.get("medians") or {}))


def thawed(data: dict) -> dict:
    """What the templates and exports read, from the plain data (just computed or stored at closing)."""
    view = {
        "as_of": datetime.fromisoformat(data["at"]),
        "comparisons": [(label, _thaw_figures(f)) for label, f in data["comparisons"]],
        "tables": {key: [Row(r["key"], r["label"], _thaw_figures(r), r["rank"]) for r in rows]
                   for key, rows in data["tables"].items() if key in DIMENSIONS},
        # Closed before it was part of the analysis: none stored, and none worked out now.
        "worked_on": [analysis.WorkedOn(**r) for r in data["worked_on"]] if "worked_on" in data else None,
    }
    if "trend" not in data:
        return view
    corrective = data["corrective"]
    view.update(
        trend=[(Period.parse(m["period"]), _thaw_figures(m)) for m in data["trend"]],
        themes=[analysis.Theme(**t) for t in data["themes"]],
        repeats=[analysis.Repeat(**r) for r in data["repeats"]],
        overdue=([_dated(r) for r in data["overdue"]["rows"]],
                 data["overdue"]["total"]),
        malicious=data["malicious"],
        corrective={**corrective, "raised": [_dated(a) for a in corrective["raised"]],
                    "overdue": [_dated(a) for a in corrective["overdue"]]},
        # Closed before these were part of the analysis: none stored, and none worked out now.
        side_exits=data.get("side_exits"), leadership_work=data.get("leadership_work"),
        remedies=data.get("remedies"),
        disputes=data.get("disputes"),
        seal=data["seal"],
    )
    return view


def frozen_accountability(standing: Standing, language: str) -> accountability.Report | None:
    """The accountability report as the period's closing stored it (None: open, or closed before the report
    was kept with the figures)."""
    if standing.closed is None:
        return None
    stored = standing.figures_in(language).get("accountability")
    return accountability.from_data(stored, _thaw_figures) if stored else None


def _dated(row: dict) -> dict:
    return {**row, "due": date.fromisoformat(row["due"]) if row.get("due") else None}


# --- a period's history --------------------------------------------------------------------------------


@dataclass
class Standing:
    """Where a period stands: its history, oldest first, and the closing in force (None: open)."""

    period: Period
    history: list[PeriodClosing]

    @property
    def closed(self) -> PeriodClosing | None:
        return self.history[-1] if self.history and self.history[-1].step == CLOSE else None

    @property
    def may_close(self) -> bool:
        """Only once it has ended at the hospital: a month still running has figures still to come."""
        return self.closed is None and self.period.end_day <= today()

    def figures_in(self, language: str) -> dict:
        stored = self.closed.figures
        return stored.get(language) or next(iter(stored.values()))


def standing(period: Period) -> Standing:
    history = db.session.scalars(select(PeriodClosing).where(
        PeriodClosing.kind == period.kind, PeriodClosing.start == period.first_day)
        .order_by(PeriodClosing.sequence)).all()
    return Standing(period, list(history))


def closed_periods(periods: list[Period]) -> dict[Period, PeriodClosing]:
    """Of `periods`, those closed now, with their closing (for the KPI page's shortcuts and the index)."""
    return {p: s.closed for p in periods if (s := standing(p)).closed is not None}


def _step(user, period: Period, history: list[PeriodClosing], **values) -> PeriodClosing:
    row = PeriodClosing(kind=period.kind, start=period.first_day, sequence=len(history) + 1, by_id=user.id,
                        at=utcnow(), **values)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as error:  # someone closed or reopened it in the meantime
        db.session.rollback()
        raise Refused(str(_l("Someone else has just closed or reopened this period: look at its history "
                              "again."))) from error
    return row


def close(user, period: Period) -> PeriodClosing:
    """Freeze the period's analysis as `user` (leadership) reads it for the whole hospital, with the seal."""
    now = standing(period)
    if now.closed is not None:
        raise Refused(str(_l("This period is already closed.")))
    if not now.may_close:
        raise Refused(str(_l("A period can be closed only once it has ended: %(period)s ends on %(day)s.",
                             period=period.label, day=period.end_day.isoformat())))
    scope = Scope(user, {})
    seal = audit.seal()
    figures = {}
    for language in LANGUAGES:
        with force_locale(language):
            people = accountability.report(user, period, str(_l("Not triaged")))
            figures[language] = {**snapshot(scope, period), "accountability": accountability.to_data(people, _figures)}
    return _step(user, period, now.history, step=CLOSE, figures=figures, seal_upto=seal.upto,
                 seal_complaints=seal.complaints, seal_digest=seal.digest)


def reopen(user, period: Period, reason: str) -> PeriodClosing:
    now = standing(period)
    if now.closed is None:
        raise Refused(str(_l("This period is not closed.")))
    return _step(user, period, now.history, step=REOPEN, reason=reason)


# --- what changed since closing ---------------------------------------------------------------------------


@dataclass
class Change:
    reference: str
    at: datetime
    what: str
    by: str | None
    logged_late: bool  # the complaint itself was logged after closing, dated in the period


def changes_since(closing: PeriodClosing, period: Period, user) -> tuple[list[Change], int]:
    """Every event after the closing on a complaint received in the period (that `user` may see): late
    logging, reopening, corrections. The latest first, and how many in all."""
    start, end = period.bounds()
    where = [visible(user), Complaint.received_at >= start, Complaint.received_at < end,
             ComplaintEvent.at > closing.at]
    query = select(ComplaintEvent, Complaint.reference).join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
    total = db.session.scalar(select(func.count()).select_from(ComplaintEvent)
                              .join(Complaint, Complaint.id == ComplaintEvent.complaint_id).where(*where))
    rows = db.session.execute(query.where(*where).order_by(ComplaintEvent.at.desc(), ComplaintEvent.id.desc())
                              .limit(CHANGES_LISTED)).all()
    return [Change(reference, event.at, _what(event.action), event.actor.display_name if event.actor else None,
                   event.from_state is None) for event, reference in rows], total


def changed_since(closing: PeriodClosing, period: Period, user) -> set[int]:
    """The complaints received in the period (that `user` may see) with an event after the closing."""
    start, end = period.bounds()
    return set(db.session.scalars(
        select(ComplaintEvent.complaint_id).join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(visible(user), Complaint.received_at >= start, Complaint.received_at < end,
               ComplaintEvent.at > closing.at).distinct()))


def _what(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:  # an action of an older version, kept as stored
        return action
