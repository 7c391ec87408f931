"""/reports: the KPIs of a period; /reports/monthly/<YYYY-MM>: the monthly analysis; their exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..complaints.corrective.steps import Step
from ..complaints.forms import RunningClock
from ..complaints.models import Channel, Severity
from ..complaints.permissions import (
    CLOSE_PERIODS,
    READ_ACCOUNTABILITY,
    READ_REPORTS,
    RECORD_QUALITY_MEETINGS,
    VIEW,
    can,
)
from ..complaints.states import State
from ..core.departments import Department
from ..core.extensions import db
from ..core.forms import PostForm
from ..core.roles import Role, role_of
from ..core.time import show_datetime, today, utcnow
from . import accountability, analysis, charts, closing, exports, kpis, meetings
from .forms import QualityMeetingForm, ReopenForm
from .kpis import DIMENSIONS, TABLE_MEASURES, Scope
from .models import QualityMeeting
from .periods import MONTH, Period

bp = Blueprint("reports", __name__, url_prefix="/reports")

# Filters a report or an export may be narrowed by: query argument → (column, its values or None for ids).
FILTERS = {
    "department": ("department_id", None),
    "category": ("category_id", None),
    "channel": ("channel", {c.value for c in Channel}),
    "severity": ("severity", {s.value for s in Severity}),
    "state": ("status", {s.value for s in State}),
}


@bp.before_request
@login_required
def readers_only():
    if not can(current_user, READ_REPORTS):
        abort(403)


def _period(text: str | None, default: Period) -> Period:
    if text is None or text == "":
        return default
    period = Period.parse(text)
    if period is None:
        abort(404)
    return period


def _scope(allowed: set[str] = frozenset(FILTERS)) -> Scope:
    """What the reader may see, narrowed by the filters in the URL; a value that is no choice is a 400."""
    filters = {}
    for name in allowed:
        raw = request.args.get(name, "")
        if not raw:
            continue
        column, values = FILTERS[name]
        if values is None:
            if not raw.isdigit() or len(raw) > 9:
                abort(400)
            filters[column] = int(raw)
        elif raw in values:
            filters[column] = raw
        else:
            abort(400)
    return Scope(current_user, filters)


def shortcuts() -> list[tuple[str, str]]:
    now = Period.month_of(today())
    return [(_("This month"), now.slug), (_("Last month"), now.previous().slug),
            (_("This quarter"), f"{now.year}-Q{(now.index - 1) // 3 + 1}"), (_("This year"), str(now.year))]


def _context(period: Period, scope: Scope, full: bool = False) -> dict:
    """The page's figures: frozen when the period is closed and the page is the whole hospital's (the
    snapshot is), computed now otherwise. Either way drawn from the same plain data (closing.py)."""
    head = role_of(current_user) == Role.head
    standing = closing.standing(period)
    frozen = standing.closed is not None and not scope.filters and not head
    data = standing.figures_in(str(get_locale() or "zh")) if frozen else closing.snapshot(scope, period, full)
    view = closing.thawed(data)
    if frozen and full:  # the seal printed is the one taken when the period closed
        closed = standing.closed
        view["seal"] = {"upto": closed.seal_upto, "complaints": closed.seal_complaints, "digest": closed.seal_digest}
    view["tables"] = {key: rows for key, rows in view["tables"].items() if not (head and key == "department")}
    departments = [] if head else db.session.scalars(select(Department).order_by(Department.code)).all()
    return dict(period=period, scope=scope, shortcuts=shortcuts(), dimensions=DIMENSIONS, **view,
                may_read_accountability=can(current_user, READ_ACCOUNTABILITY),
                worked_on_definition=analysis.WORKED_ON_DEFINITION,
                measures=kpis.MEASURES, table_measures=[kpis.BY_KEY[k] for k in TABLE_MEASURES],
                departments=departments, head=head, department_filter=scope.filters.get("department_id"),
                standing=standing, frozen=frozen, may_close=can(current_user, CLOSE_PERIODS))


@bp.get("")
def index():
    scope = _scope({"department"})
    period = _period(request.args.get("period"), Period.month_of(today()))
    return render_template("reports/index.html", **_context(period, scope))


@bp.get("/monthly")
def monthly_latest():
    return redirect(url_for(".monthly", month=Period.last_month().slug))


@bp.get("/monthly/<month>")
def monthly(month: str):
    period = Period.parse(month)
    if period is None or period.kind != MONTH:
        abort(404)
    return _analysis_page(period)


@bp.get("/analysis/<period>")
def analysis_of(period: str):
    """The analysis of a quarter or a year, as of a month (a month's address is /monthly/…)."""
    found = Period.parse(period)
    if found is None:
        abort(404)
    if found.kind == MONTH:
        return redirect(url_for(".monthly", month=found.slug, **request.args))
    return _analysis_page(found)


def _analysis_page(period: Period, reopen_form: ReopenForm | None = None, refusal: str | None = None,
                   status: int = 200):
    scope = _scope({"department"})
    context = _context(period, scope, full=True)
    trend = context["trend"]
    rate_lines = [(key, str(kpis.BY_KEY[key].label), style, [f.percent(key) for _m, f in trend])
                  for key, style in zip(kpis.TREND_MEASURES, ("solid", "dashed", "dotted"), strict=True)]
    closed = context["standing"].closed
    # Listed beneath frozen figures only: under figures worked out now, every change is already counted.
    frozen = context["frozen"]
    changes, changes_total = closing.changes_since(closed, period, current_user) if frozen else ([], 0)
    context.update(
        trend_figure=charts.TrendChart.of(_("Complaints received and the three rates, 12 months"),
                                         [(m.short_label, f.counts["received"]) for m, f in trend], rate_lines),
        bar_charts={key: charts.BarChart.of(str(DIMENSIONS[key].label),
                                            sorted(((row.label, row.figures.counts["received"]) for row in rows),
                                                   key=lambda bar: -bar[1]))
                    for key, rows in context["tables"].items() if key not in ("severity", "subject_department")},
        month_raise=can(current_user, Step.raise_),
        printed_at=utcnow(),
        changes=changes, changes_total=changes_total,
        close_form=PostForm(), reopen_form=reopen_form or ReopenForm(), refusal=refusal,
        meetings=meetings.of_period(period),
        clock_labels={clock.value: clock.label for clock in RunningClock},
        may_record_meeting=can(current_user, RECORD_QUALITY_MEETINGS),
        remedy_definitions=analysis.REMEDY_DEFINITIONS,
    )
    return render_template("reports/monthly.html", **context), status


def _analysis_url(period: Period) -> str:
    if period.kind == MONTH:
        return url_for(".monthly", month=period.slug)
    return url_for(".analysis_of", period=period.slug)


# --- closing a period ---------------------------------------------------------------------------------


def _closable(text: str) -> Period:
    if not can(current_user, CLOSE_PERIODS):
        abort(403)
    period = Period.parse(text)
    if period is None:
        abort(404)
    return period


@bp.post("/periods/<period>/close")
def close_period(period: str):
    found = _closable(period)
    if not PostForm().validate():
        abort(400)
    try:
        closing.close(current_user, found)
    except closing.Refused as refusal:
        return _analysis_page(found, refusal=str(refusal), status=409)
    return redirect(_analysis_url(found), 303)


@bp.route("/periods/<period>/reopen", methods=["GET", "POST"])
def reopen_period(period: str):
    found = _closable(period)
    form = ReopenForm()
    standing = closing.standing(found)
    if standing.closed is None:
        return redirect(_analysis_url(found), 303)
    if request.method == "POST":
        if form.validate():
            try:
                closing.reopen(current_user, found, form.reason.data)
            except closing.Refused as refusal:
                form.reason.errors = [str(refusal)]
            else:
                return redirect(_analysis_url(found), 303)
        return render_template("reports/reopen.html", period=found, standing=standing, form=form), 422
    return render_template("reports/reopen.html", period=found, standing=standing, form=form)


# --- the quality meeting --------------------------------------------------------------------------------


@bp.route("/meetings/new", methods=["GET", "POST"])
def new_meeting():
    if not can(current_user, RECORD_QUALITY_MEETINGS):
        abort(403)
    period = _period(request.args.get("period"), Period.last_month())
    form = QualityMeetingForm()
    if request.method == "POST":
        meeting = meetings.record(current_user, period, form)
        if meeting is not None:
            return redirect(url_for(".meeting", meeting_id=meeting.id), 303)
        return render_template("reports/meeting_form.html", period=period, form=form,
                               analysis_url=_analysis_url(period)), 422
    if form.held_on.data is None:
        form.held_on.data = today()
    return render_template("reports/meeting_form.html", period=period, form=form,
                           analysis_url=_analysis_url(period))


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int):
    found = db.get_or_404(QualityMeeting, meeting_id)
    period = meetings.period_of(found)
    return render_template("reports/meeting.html", meeting=found, period=period,
                           analysis_url=_analysis_url(period), printed_at=utcnow(),
                           complaints=[c for c in found.complaints if can(current_user, VIEW, c)],
                           actions=[a for a in found.corrective_actions if can(current_user, VIEW, a)])


# --- exports ------------------------------------------------------------------------------------------


def _download(name: str, kind: str, body) -> Response:
    types = {"csv": "text/csv",  # Flask adds charset=utf-8
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    response = Response(body, mimetype=types[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "no-store"  # identity may be in it: never kept by a proxy
    return response


@bp.get("/kpis.<kind>")
def kpi_export(kind: str):
    if kind not in ("csv", "xlsx"):
        abort(404)
    scope = _scope({"department"})
    period = _period(request.args.get("period"), Period.month_of(today()))
    context = _context(period, scope)
    tables = [exports.headline_table(_("KPIs"), context["comparisons"])]
    for key, rows in context["tables"].items():
        tables.append(exports.dimension_table(str(DIMENSIONS[key].label), str(DIMENSIONS[key].heading), rows,
                                              TABLE_MEASURES))
    chosen = {"headline": tables[0], **{key: t for key, t in zip(context["tables"], tables[1:], strict=True)}}
    if context["worked_on"] is not None:  # a period closed before it was counted has none
        chosen["worked_on"] = exports.worked_on_table(_("Every department that worked on them"),
                                                      context["worked_on"])
        tables.append(chosen["worked_on"])
    name = f"kpis-{period.slug}"
    standing = standing_line(context)
    if kind == "xlsx":
        return _download(name, kind, exports.xlsx_bytes([*tables, (_("As of"), [period.label], [[standing]])]))
    wanted = request.args.get("table", "headline")
    if wanted not in chosen:
        abort(400)
    _title, headers, rows = chosen[wanted]
    # The last line says whether these figures are frozen or will still move, as the page does.
    return _download(f"{name}-{wanted}", kind, exports.csv_lines(headers, [*rows, [], [standing]]))


def standing_line(context: dict) -> str:
    closed = context["standing"].closed
    if context["frozen"]:
        return _("Closed on %(when)s by %(who)s: the figures as they stood then.", when=show_datetime(closed.at),
                 who=closed.by.display_name)
    if closed is not None:  # closed, but this view (narrowed, or a head's) is not what the closing froze
        return _("As of %(when)s: worked out now. The period was closed on %(closed)s; its frozen figures are the "
                 "whole hospital's.", when=show_datetime(context["as_of"]), closed=show_datetime(closed.at))
    return _("As of %(when)s: the period is not closed, its figures may still change.",
             when=show_datetime(context["as_of"]))


@bp.get("/complaints.<kind>")
def complaint_export(kind: str):
    if kind not in ("csv", "xlsx"):
        abort(404)
    scope = _scope()
    text = request.args.get("period")
    period = _period(text, None) if text else None
    where = scope.where(period)
    name = f"complaints-{period.slug}" if period else "complaints"
    # A list is of the complaints as they stand now, even of a closed period: it says so, and marks
    # those changed since the period's figures were frozen.
    closed = closing.standing(period).closed if period else None
    changed = closing.changed_since(closed, period, current_user) if closed else None
    headers = exports.complaint_headers(closed.at if closed else None)
    # The user itself, not the proxy: each cell's permission check would look it up again.
    rows = exports.complaint_rows(current_user._get_current_object(), where, changed)
    if kind == "xlsx":
        as_of = _("As of %(when)s: the complaints as they stand now.", when=show_datetime(utcnow()))
        return _download(name, kind, stream_with_context(exports.xlsx_chunks([
            (_("Complaints"), headers, rows, exports.complaint_widths(headers)),
            (_("As of"), [period.label if period else ""], [[as_of]])])))
    return _download(name, kind, stream_with_context(exports.csv_lines(headers, rows)))


@bp.get("/remedies.<kind>")
def remedies_export(kind: str):
    """The analysis's remedies, by kind, department and month, as on the page (frozen once closed)."""
    if kind not in ("csv", "xlsx"):
        abort(404)
    scope = _scope({"department"})
    period = _period(request.args.get("period"), Period.month_of(today()))
    context = _context(period, scope, full=True)
    found = context.get("remedies")
    if found is None:  # closed before remedies were part of the analysis
        abort(404)
    tables = exports.remedy_tables(found, [str(analysis.REMEDY_DEFINITIONS[k]) for k in ("offered", "paid")])
    name = f"remedies-{period.slug}"
    standing = standing_line(context)
    if kind == "xlsx":
        return _download(name, kind, exports.xlsx_bytes([*tables, (_("As of"), [period.label], [[standing]])]))
    chosen = dict(zip(("kind", "department", "month"), tables, strict=False))
    wanted = request.args.get("table", "kind")
    if wanted not in chosen:
        abort(400)
    _title, headers, rows = chosen[wanted]
    return _download(f"{name}-{wanted}", kind, exports.csv_lines(headers, [*rows, [], [standing]]))


# --- the accountability report ------------------------------------------------------------------------


def _accountability(period: Period) -> dict:
    """The report as it stood when the period closed, for the whole hospital (as the KPIs are frozen);
    worked out now while the period is open, and for a head (whose view the closing did not keep)."""
    if not can(current_user, READ_ACCOUNTABILITY):
        abort(403)
    head = role_of(current_user) == Role.head
    standing = closing.standing(period)
    report = None if head else closing.frozen_accountability(standing, str(get_locale() or "zh"))
    frozen = report is not None
    report = report or accountability.report(current_user, period, _("Not triaged"))
    return dict(period=period, report=report, head=head, shortcuts=shortcuts(), as_of=utcnow(),
                standing=standing, frozen=frozen,
                measures={key: kpis.BY_KEY[key] for key in accountability.VETO_MEASURES})


@bp.get("/people")
def people():
    period = _period(request.args.get("period"), Period.month_of(today()))
    return render_template("reports/people.html", **_accountability(period))


@bp.get("/people.<kind>")
def people_export(kind: str):
    if kind not in ("csv", "xlsx"):
        abort(404)
    period = _period(request.args.get("period"), Period.month_of(today()))
    context = _accountability(period)
    tables = [exports.people_table(_("People named"), context["report"]),
              exports.responsible_table(_("First responsible persons"), context["report"].departments)]
    name = f"accountability-{period.slug}"
    as_of = standing_line(context)
    if kind == "xlsx":
        return _download(name, kind, exports.xlsx_bytes([*tables, (_("As of"), [period.label], [[as_of]])]))
    chosen = {"people": tables[0], "departments": tables[1]}
    wanted = request.args.get("table", "people")
    if wanted not in chosen:
        abort(400)
    _title, headers, rows = chosen[wanted]
    return _download(f"{name}-{wanted}", kind, exports.csv_lines(headers, [*rows, [], [as_of]]))
