"""The KPIs, each with its definition, computed by SQL aggregates over the complaints received in a period.

A complaint counts in the period it was *received* in (at the hospital, see periods.py), and every rate is
worked out from what its stored clocks recorded when they were met: `acknowledged_on_time` and each round of
answer and follow-up (complaint_answers, complaint_follow_ups) compare the day the clock was met with the
due date it had then (the moment, for a clock counted in hours), so a policy change or a later extension
of another complaint never rewrites a month already reported. A clock still running and not yet due (by its
moment, likewise) is in no denominator: it can neither be on time nor late yet.

One query gives every figure for a period (one row), or for each department, category, channel or
severity (one row each); the median needs a second query that groups by (day received, day responded),
a few hundred rows at most, which are then counted in working days on the hospital's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)

from ..complaints.models import (
    Channel,
    Complaint,
    ComplaintAnswer,
    ComplaintEvent,
    ComplaintFollowUp,
    Responsibility,
    Severity,
)
from ..complaints.permissions import visible
from ..complaints.states import OPEN, TERMINAL, State
from ..core.database import local_date
from ..core.departments import Category, Department
from ..core.extensions import db
from ..core.time import today
from ..deadlines.calendar import working_days_between
from .periods import Period

_OPEN = [s.value for s in OPEN]
# Ended without being the hospital's to answer: not accepted, withdrawn, a duplicate of another.
_EXITS = [s.value for s in TERMINAL if s != State.closed]


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _answer(*conditions):
    """Whether the complaint has an answer (a round) such that…"""
    return exists().where(ComplaintAnswer.complaint_id == Complaint.id, *conditions)


def _answers(*conditions):
    """How many of the complaint's answers are such that… (summed over the complaints)."""
    return select(func.count(ComplaintAnswer.id)).where(
        ComplaintAnswer.complaint_id == Complaint.id, *conditions).scalar_subquery()


def _disputed_by(due_on):
    """Taken further as a medical dispute on or before that date (Complaint.disputed_since)."""
    return and_(Complaint.disputed_since.is_not(None), Complaint.disputed_since <= due_on)


def _columns(on: date) -> dict[str, object]:
    """Every count the measures are made of, as SQL aggregates (`on`: today, for clocks still running)."""
    open_ = Complaint.status.in_(_OPEN)
    handled = Complaint.status.notin_(_EXITS)
    # The response clock only: an extension of the follow-up's date is not a later answer.
    extended = exists().where(ComplaintEvent.complaint_id == Complaint.id, ComplaintEvent.action == "extend",
                              ComplaintEvent.data["clock"].as_string() == "response_due_on")
    first = ComplaintAnswer.round == 1
    answered = _answer(first)
    # A round after a reopening still to be answered, past its new due date.
    # A clock not yet met when the complaint became a medical dispute, on or before its due date, stopped
    # there: neither on time nor late (Complaint.disputed_since), whichever clock it is.
    awaiting_again = and_(open_, Complaint.reopened_count > 0, Complaint.responded_at.is_(None),
                          Complaint.clock_late("response", on), ~_disputed_by(Complaint.response_due_on))
    first_follow_up_on_time = exists().where(ComplaintFollowUp.complaint_id == Complaint.id,
                                             ComplaintFollowUp.round == 1, ComplaintFollowUp.on_time.is_(True))
    columns = {
        "received": func.count(Complaint.id),
        "handled": _count(handled),
        "anonymous": _count(Complaint.anonymous.is_(True)),
        "acknowledged_on_time": _count(Complaint.acknowledged_on_time.is_(True)),
        # However it ended: a complaint withdrawn (or declined) untold after its due date was still told late.
        "acknowledgement_due": _count(and_(Complaint.acknowledge_due_on.isnot(None), or_(
            Complaint.acknowledged_at.isnot(None),
            and_(Complaint.clock_late("acknowledge", on), ~_disputed_by(Complaint.acknowledge_due_on))))),
        # The first answer, as it was given: a reopening never rewrites it.
        "responded_on_time": _count(_answer(first, ComplaintAnswer.on_time.is_(True))),
        # Unanswered and taken further as a medical dispute by its due date: off the clocks, neither on time
        # nor late; a dispute begun after the date missed does not excuse it (so for every clock).
        "response_due": _count(or_(answered, and_(
            open_, Complaint.reopened_count == 0, Complaint.responded_at.is_(None),
            Complaint.clock_late("response", on), ~_disputed_by(Complaint.response_due_on)))),
        "answered_again_on_time": func.coalesce(func.sum(_answers(ComplaintAnswer.round > 1,
                                                                  ComplaintAnswer.on_time.is_(True))), 0),
        "answer_again_due": func.coalesce(func.sum(_answers(ComplaintAnswer.round > 1)), 0) + _count(awaiting_again),
        "closed": _count(Complaint.status == State.closed.value),
        "followed_up": _count(and_(Complaint.anonymous.is_(False), Complaint.followed_up_at.isnot(None))),
        "followed_up_on_time": _count(and_(Complaint.anonymous.is_(False), first_follow_up_on_time)),
        "follow_up_due": _count(and_(Complaint.anonymous.is_(False), or_(Complaint.followed_up_at.isnot(None), and_(
            Complaint.status == State.responded.value, Complaint.clock_late("follow_up", on),
            ~_disputed_by(Complaint.follow_up_due_on))))),
        "satisfied": _count(Complaint.satisfied.is_(True)),
        "asked_satisfaction": _count(Complaint.satisfied.isnot(None)),
        # A proposed malicious finding is not a finding yet: it counts once leadership confirms it.
        "found": _count(Complaint.responsibility.in_([f.value for f in Responsibility.findings()])),
        # Of the same complaints as its denominator (one reopened before its rounds were kept may lack its first).
        "reopened": _count(and_(answered, Complaint.reopened_count > 0)),
        "answered": _count(answered),
        "extended": _count(and_(handled, extended)),
        "overdue_now": _count(Complaint.overdue_clause(on)),
        # A referral's report back to the body that referred it (办结反馈), by its report-back date.
        "reported_back_on_time": _count(Complaint.reported_back_on_time.is_(True)),
        "report_back_due": _count(and_(Complaint.referral_body_id.isnot(None), or_(
            Complaint.reported_back_at.isnot(None),
            and_(Complaint.report_back_due_on.isnot(None), Complaint.report_back_due_on < on)))),
    }
    for finding in Responsibility.findings():
        columns[f"finding_{finding.value}"] = _count(Complaint.responsibility == finding.value)
    return columns


@dataclass(frozen=True)
class Measure:
    """One KPI: how it is called, how it is worked out (shown beside it), and its target if it has one."""

    key: str
    label: str
    definition: str
    kind: str = "rate"  # "rate" (numerator / denominator, as %), "count" or "days"
    numerator: str | None = None
    denominator: str | None = None
    target: int | None = None  # per cent
    short: str | None = None  # its column's heading in the tables by department, category…


# A measure's name has its own translation context: "Closed" the rate and "Closed" the state differ in Chinese.
MEASURES: tuple[Measure, ...] = (
    Measure("received", _lp("measure", "Complaints received"), _l(
        "Every complaint received in the period, from any channel, counted in the hospital's time zone by the "
        "moment it was received."), kind="count", numerator="received", short=_lp("measure", "Received")),
    Measure("acknowledged_on_time", _lp("measure", "Acknowledged on time"), _l(
        "Complaints whose complainant was told it was accepted by the acknowledgement due date, out of every "
        "complaint told, or whose acknowledgement due date has passed, however it ended: one withdrawn, not "
        "accepted or found to repeat another without being told counts as late. Anonymous complaints have no "
        "such clock and are not counted. One taken further as a medical dispute on or before that date and not "
        "yet told is in neither figure."),
        numerator="acknowledged_on_time", denominator="acknowledgement_due", target=100),
    Measure("responded_on_time", _lp("measure", "Responded on time"), _l(
        "Complaints whose first answer was given by the first response due date (as extended, if it was), out "
        "of those answered or still unanswered past that date. A reopening changes nothing here: the answers "
        "after it are counted in “answered again on time”. An anonymous complaint counts by the day the office "
        "recorded its conclusion. A complaint taken further as a medical dispute (mediation, appraisal, court) "
        "on or before its response due date and not answered is in neither figure: it left the office's clocks; "
        "one taken further only after that date counts as late."),
        numerator="responded_on_time", denominator="response_due"),
    Measure("answered_again_on_time", _lp("measure", "Answered again on time"), _l(
        "Answers given after a reopening by the reopened complaint's new response due date, out of those "
        "answers and of the reopened complaints still unanswered past that date. One taken further as a medical "
        "dispute on or before that date and not yet answered is in neither figure."),
        numerator="answered_again_on_time", denominator="answer_again_due"),
    Measure("closed", _lp("measure", "Closed"), _l(
        "Complaints closed, out of those the hospital handles (complaints not accepted, withdrawn or found to "
        "repeat another are not counted): closed at a follow-up where the complainant was satisfied, or, for "
        "an anonymous complaint, when the office recorded its conclusion."),
        numerator="closed", denominator="handled", target=100),
    Measure("followed_up", _lp("measure", "Followed up"), _l(
        "Answered complaints whose complainant was asked afterwards whether they are satisfied, out of those "
        "followed up or past the follow-up due date. Anonymous complaints cannot be followed up and are not "
        "counted. One taken further as a medical dispute on or before that date and not yet followed up is in "
        "neither figure."),
        numerator="followed_up", denominator="follow_up_due", target=100),
    Measure("followed_up_on_time", _lp("measure", "Followed up on time"), _l(
        "Of the same complaints as “followed up”, those whose first follow-up was made by its follow-up due "
        "date (as extended, if it was)."),
        numerator="followed_up_on_time", denominator="follow_up_due", target=100),
    Measure("satisfied", _lp("measure", "Satisfied"), _l(
        "Complainants who said at the follow-up they are satisfied, out of those asked."),
        numerator="satisfied", denominator="asked_satisfaction"),
    Measure("median_days", _lp("measure", "Median working days to the first answer"), _l(
        "Half of the answered complaints had their first answer within this many working days of the day "
        "received (public holidays and weekends not counted, make-up working days counted)."), kind="days",
        short=_lp("measure", "Median working days")),
    Measure("median_days_to_close", _lp("measure", "Median working days to closure"), _l(
        "Half of the closed complaints were closed within this many working days of the day received, counted "
        "in the same way."), kind="days", short=_lp("measure", "Median working days to closure")),
    *(Measure(f"finding_{finding.value}", Responsibility.LABELS()[finding], _l(
        "Complaints with this finding, out of those whose findings are recorded."),
        numerator=f"finding_{finding.value}", denominator="found") for finding in Responsibility.findings()),
    Measure("reopened", _lp("measure", "Reopened"), _l(
        "Complaints reopened because the complainant was not satisfied, out of those given a first answer "
        "(the answered ones of “responded on time”)."),
        numerator="reopened", denominator="answered"),
    Measure("extended", _lp("measure", "Extended"), _l(
        "Complaints whose response due date was extended at least once, out of those the hospital handles. An "
        "extension of the follow-up's due date is not counted."),
        numerator="extended", denominator="handled"),
    Measure("reported_back_on_time", _lp("measure", "Referrals reported back on time"), _l(
        "Complaints referred by 12320, 12345, the health commission or another agency that were reported back to "
        "the body that referred them by the report-back date (their reply-by date, or without one the deadline "
        "policy's report-back clock from the answer), out of those reported back or still not reported back "
        "past that date."),
        numerator="reported_back_on_time", denominator="report_back_due", target=100,
        short=_lp("measure", "Reported back on time")),
    Measure("overdue_now", _lp("measure", "Overdue now"), _l(
        "Complaints received in the period that are still open and past a due date today (acknowledgement, "
        "response or follow-up). A complaint taken further as a medical dispute is off the office's clocks and "
        "never counted here."), kind="count", numerator="overdue_now"),
)
BY_KEY = {m.key: m for m in MEASURES}
# The columns of the tables by department, category, channel and severity (the headline table has all).
TABLE_MEASURES = ("received", "acknowledged_on_time", "responded_on_time", "closed", "followed_up",
                  "satisfied", "median_days", "finding_upheld", "reopened", "extended", "overdue_now")


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return None if not self.denominator else 100 * self.numerator / self.denominator

    def shown(self) -> str:
        """"87.5 %", or "—" when nothing was due (a rate of nothing is no rate)."""
        percent = self.percent
        return "—" if percent is None else f"{percent:.1f} %"


@dataclass
class Figures:
    """The counts of one row, and the measures made of them."""

    counts: dict[str, int]
    median_days: float | None = None  # to the first answer
    medians: dict[str, float | None] = field(default_factory=dict)  # the other medians, by measure

    def value(self, key: str):
        measure = BY_KEY[key]
        if measure.kind == "days":
            return self.median_days if key == "median_days" else self.medians.get(key)
        if measure.kind == "count":
            return self.counts[measure.numerator]
        return Rate(self.counts[measure.numerator], self.counts[measure.denominator])

    def shown(self, key: str) -> str:
        value = self.value(key)
        if isinstance(value, Rate):
            return value.shown()
        if value is None:
            return "—"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def percent(self, key: str) -> float | None:
        value = self.value(key)
        return value.percent if isinstance(value, Rate) else None

    def met(self, key: str) -> bool | None:
        """Whether a measure with a target meets it (None: no target, or nothing was due)."""
        target, percent = BY_KEY[key].target, self.percent(key)
        return None if target is None or percent is None else percent >= target


# --- the rows a report is grouped by -----------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    heading: str  # of its column
    column: object
    # (stored value → label) for the values that have rows; None → the label of "not set".
    labels: object
    unset: str = ""


def names_of(model, ids: Iterable) -> dict:
    """{id: name in the reader's language} of the departments (or categories) among `ids`, in one query."""
    wanted = [i for i in ids if i is not None]
    found = db.session.scalars(select(model).where(model.id.in_(wanted))).all() if wanted else []
    return {row.id: row.name for row in found}


def _names(model):
    return lambda ids: names_of(model, ids)


def _choices(choice):
    return lambda values: {v: choice(v).label for v in values if v is not None}


DIMENSIONS: dict[str, Dimension] = {
    "department": Dimension("department", _l("By department"), _l("Department"), Complaint.department_id,
                            _names(Department), _l("Not assigned to a department")),
    # Where it happened, as recorded on the complaint, beside the department that works it.
    "subject_department": Dimension("subject_department", _l("By department where it happened"),
                                    _l("Department where it happened"), Complaint.subject_department_id,
                                    _names(Department), _l("Not recorded")),
    "category": Dimension("category", _l("By category"), _l("Category"), Complaint.category_id, _names(Category),
                          _l("Not triaged")),
    "channel": Dimension("channel", _l("By channel"), _l("Channel"), Complaint.channel, _choices(Channel)),
    "severity": Dimension("severity", _l("By severity"), _l("Severity"), Complaint.severity, _choices(Severity)),
}


@dataclass
class Row:
    key: object
    label: str
    figures: Figures
    rank: int | None = None


@dataclass
class Scope:
    """Whose complaints a report counts: what `user` may see, narrowed by the filters given."""

    user: object
    filters: dict = field(default_factory=dict)  # column name → value (department_id, category_id, …)

    def where(self, period: Period | None = None) -> list:
        clauses = [visible(self.user)]
        for name, value in self.filters.items():
            clauses.append(getattr(Complaint, name) == value)
        if period is not None:
            start, end = period.bounds()
            clauses += [Complaint.received_at >= start, Complaint.received_at < end]
        return clauses


def figures(scope: Scope, period: Period) -> Figures:
    """Every figure of the period, in one row."""
    return report(scope, [period], [])[0][period]


def table(scope: Scope, period: Period, dimension: Dimension) -> list[Row]:
    """One row per department (category, channel, severity) that received complaints in the period;
    departments ranked by responded on time, then closed (a rate of nothing ranks last). The complaints not
    assigned to a department are a row of their own after them, not ranked: they are nobody's work yet."""
    return report(scope, [], [dimension], period)[1][dimension.key]


def trend(scope: Scope, months: list[Period]) -> list[tuple[Period, Figures]]:
    """For each month, the counts its trend line shows (TREND_MEASURES), each as its own report shows it."""
    found = report(scope, [], [], trend=months)[2]
    return [(month, found[month]) for month in months]


# The rates the analysis's trend draws month by month: only their counts are worked out for its twelve months.
TREND_MEASURES = ("acknowledged_on_time", "closed", "followed_up")
_TREND_COUNTS = ("received", *(c for k in TREND_MEASURES for c in (BY_KEY[k].numerator, BY_KEY[k].denominator)))


def report(scope: Scope, periods: list[Period], dimensions: list[Dimension], period: Period | None = None,
           trend: list[Period] = ()) -> tuple[dict[Period, Figures], dict[str, list[Row]], dict[Period, Figures]]:
    """The figures of each of `periods` (one row each), the tables of `period` by each dimension, and the
    trend's counts of each month of `trend`, in two statements whatever their number: one gives every count
    (a UNION ALL of one grouped SELECT per way of grouping), the other the (day received, day the span
    ended) pairs every median is worked out from."""
    groupings: list[tuple[object, list, tuple | None]] = []  # (grouped by, which rows, which counts)
    layers = _layers(periods)
    trend_layers = _layers(trend)
    for layer, counts in [*((layer, None) for layer in layers), *((layer, _TREND_COUNTS) for layer in trend_layers)]:
        starts, ends = zip(*(p.bounds() for p in layer), strict=True)
        which = case(*((and_(Complaint.received_at >= start, Complaint.received_at < end), i)
                       for i, (start, end) in enumerate(zip(starts, ends, strict=True))))
        # Only the rows of its periods (the periods compared leave the year between them out).
        received = or_(*(and_(Complaint.received_at >= start, Complaint.received_at < end)
                         for start, end in zip(starts, ends, strict=True)))
        groupings.append((which, [received], counts))
    for dimension in dimensions:
        start, end = period.bounds()
        groupings.append((dimension.column, [Complaint.received_at >= start, Complaint.received_at < end], None))
    _without_jit()
    grouped = _grouped(scope, groupings)

    def of_periods(layers, results, counts) -> dict[Period, Figures]:
        found: dict[Period, Figures] = {}
        for layer, rows in zip(layers, results, strict=True):
            figures_of = {key: figs for key, figs in rows if key is not None}
            for i, p in enumerate(layer):  # a period that received nothing still has its (zero) figures
                found[p] = figures_of.get(i) or Figures({key: 0 for key in counts}, None)
        return found

    by_period = of_periods(layers, grouped[:len(layers)], list(_columns(today())))
    by_month = of_periods(trend_layers, grouped[len(layers):len(layers) + len(trend_layers)], _TREND_COUNTS)
    tables = {dimension.key: _table_rows(dimension, rows)
              for dimension, rows in zip(dimensions, grouped[len(layers) + len(trend_layers):], strict=True)}
    return by_period, tables, by_month


def _without_jit() -> None:
    """On PostgreSQL, no JIT compilation for the rest of the transaction: the planner costs the UNION ALL of
    every grouping high (a subquery per row for the counts of answers), and compiling it took 3.8 s of the
    statement's 4 at 30,000 complaints, where it runs in 130 ms."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT set_config('jit', 'off', true)"))


def _layers(periods: list[Period]) -> list[list[Period]]:
    """The periods in as few lists as no two of whose periods overlap (a quarter and its months do)."""
    layers: list[list[Period]] = []
    for p in dict.fromkeys(periods):
        start, end = p.bounds()
        for layer in layers:
            if all(end <= other.bounds()[0] or start >= other.bounds()[1] for other in layer):
                layer.append(p)
                break
        else:
            layers.append([p])
    return layers


def _table_rows(dimension: Dimension, grouped: list[tuple[object, Figures]]) -> list[Row]:
    names = dimension.labels([key for key, _ in grouped])
    rows = [Row(key, str(names.get(key, dimension.unset)) if key is not None else str(dimension.unset), figs)
            for key, figs in grouped]
    if dimension.key == "department":
        def standing(row: Row):
            responded, closed = row.figures.percent("responded_on_time"), row.figures.percent("closed")
            return (responded is None, -(responded or 0), -(closed or 0), row.label)
        ranked = sorted((row for row in rows if row.key is not None), key=standing)
        for rank, row in enumerate(ranked, start=1):
            row.rank = rank
        rows = ranked + [row for row in rows if row.key is None]
    else:
        rows.sort(key=lambda row: (-row.figures.counts["received"], row.label))
    return rows


def _keyed(key) -> list:
    """The group's key as two columns, a number and a text (a UNION ALL's columns have one type each)."""
    if isinstance(key.type, Integer):
        return [key.label("key_number"), cast(null(), String).label("key_text")]
    return [cast(null(), Integer).label("key_number"), cast(key, String).label("key_text")]


def _by_position(count: int) -> list:
    """GROUP BY 1, 2, …: the same on both databases, and a CASE with bound moments need not be repeated."""
    return [literal_column(str(i)) for i in range(1, count + 1)]


def _grouped(scope: Scope, groupings: list[tuple[object, list, tuple | None]]
             ) -> list[list[tuple[object, Figures]]]:
    """For each (key, where, counts) grouping, its rows: (key, Figures), a group that received nothing left
    out; `counts`: only those counts (and no medians), the others not worked out (a 0 the UNION ALL needs)."""
    columns = _columns(today())
    keys = list(columns)
    visible = scope.where()
    branches = [select(literal_column(str(i)).label("grouping"), *_keyed(key),
                       *[(expr if counts is None or name in counts else literal_column("0")).label(name)
                         for name, expr in columns.items()])
                .where(*visible, *where).group_by(*_by_position(3))
                for i, (key, where, counts) in enumerate(groupings)]
    result = db.session.execute(branches[0] if len(branches) == 1 else union_all(*branches)).all()
    medians = _medians(scope, groupings)
    rows: list[list[tuple[object, Figures]]] = [[] for _ in groupings]
    for row in result:
        i, key = row[0], row[1] if row[1] is not None else row[2]
        wanted = groupings[i][2]
        counts = {name: int(row[3 + n]) for n, name in enumerate(keys) if wanted is None or name in wanted}
        if counts["received"] == 0:
            continue
        if wanted is None:
            rows[i].append((key, Figures(counts, medians[i][0].get(key),
                                         {"median_days_to_close": medians[i][1].get(key)})))
        else:
            rows[i].append((key, Figures(counts)))
    return rows


def _to_first_answer():
    """(the day it ended, what to join, the condition): the first answer's date told."""
    return ComplaintAnswer.responded_on, (ComplaintAnswer, and_(ComplaintAnswer.complaint_id == Complaint.id,
                                                                ComplaintAnswer.round == 1)), []


def _to_closure():
    return (local_date(Complaint.closed_at, current_app.config["REDRESS_TIMEZONE"]), None,
            [Complaint.status == State.closed.value])


def _medians(scope: Scope, groupings: list[tuple[object, list, tuple | None]]
             ) -> list[list[dict[object, float | None]]]:
    """Median working days from the day received to the day each span ends (the first answer, closure), per
    grouping, span and group: one statement of (day received, day ended, how many) per group."""
    received_day = local_date(Complaint.received_at, current_app.config["REDRESS_TIMEZONE"])
    visible = scope.where()
    branches = []
    for i, (key, where, counts) in enumerate(groupings):
        if counts is not None:
            continue  # the trend's months: no median drawn
        for s, (ended, join, only) in enumerate((_to_first_answer(), _to_closure())):
            # The first answer's day is a date, closure's a text: a column each, as a UNION ALL needs.
            on, text = (ended, cast(null(), String)) if s == 0 else (cast(null(), Date), ended)
            query = select(literal_column(str(i)), literal_column(str(s)), *_keyed(key),
                           received_day.label("received_day"), on.label("ended_on"), text.label("ended_text"),
                           func.count().label("complaints")).select_from(Complaint)
            if join is not None:
                query = query.join(*join)
            branches.append(query.where(*visible, *where, *only, ended.isnot(None)).group_by(*_by_position(7)))
    spans: list[list[dict[object, list[tuple[int, int]]]]] = [[{}, {}] for _ in groupings]
    days_between: dict[tuple[str, object], int] = {}  # the same two days recur from grouping to grouping
    found = db.session.execute(branches[0] if len(branches) == 1 else union_all(*branches)).all() if branches else []
    for i, s, number, text, received, on, ended_text, count in found:
        end = on if s == 0 else ended_text
        days = days_between.get((received, end))
        if days is None:
            last = date.fromisoformat(end) if isinstance(end, str) else end
            days = days_between[(received, end)] = working_days_between(date.fromisoformat(received), last)
        spans[i][s].setdefault(number if number is not None else text, []).append((days, int(count)))
    return [[{key: _median(values) for key, values in by_key.items()} for by_key in pair] for pair in spans]


def _median(counted: list[tuple[int, int]]) -> float | None:
    """The median of values given with how many times each occurs."""
    total = sum(count for _, count in counted)
    if not total:
        return None
    ordered = sorted(counted)

    def nth(n: int) -> int:  # the n-th value (0-based) in order
        for value, count in ordered:
            if n < count:
                return value
            n -= count
        raise IndexError(n)

    middle = total // 2
    return float(nth(middle)) if total % 2 else (nth(middle - 1) + nth(middle)) / 2
