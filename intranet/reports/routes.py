"""/reports: the KPIs of a period; /reports/monthly/<YYYY-MM>: the monthly analysis; their exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..complaints import audit
from ..complaints.corrective.steps import Step
from ..complaints.models import Channel, Severity
from ..complaints.permissions import READ_REPORTS, can
from ..complaints.states import State
from ..core.departments import Department
from ..core.extensions import db
from ..core.roles import Role, role_of
from ..core.time import today, utcnow
from . import analysis, charts, exports, kpis
from .kpis import DIMENSIONS, TABLE_MEASURES, Scope
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


def _context(period: Period, scope: Scope) -> dict:
    head = role_of(current_user) == Role.head
    comparisons = [(period.label, kpis.figures(scope, period)),
                   (period.previous().label, kpis.figures(scope, period.previous())),
                   (period.last_year().label, kpis.figures(scope, period.last_year()))]
    tables = {key: kpis.table(scope, period, dimension) for key, dimension in DIMENSIONS.items()
              if not (head and key == "department")}
    departments = [] if head else db.session.scalars(select(Department).order_by(Department.code)).all()
    now = Period.month_of(today())
    shortcuts = [(_("This month"), now.slug), (_("Last month"), now.previous().slug),
                 (_("This quarter"), f"{now.year}-Q{(now.index - 1) // 3 + 1}"), (_("This year"), str(now.year))]
    return dict(period=period, scope=scope, shortcuts=shortcuts, comparisons=comparisons, tables=tables,
                dimensions=DIMENSIONS,
                measures=kpis.MEASURES, table_measures=[kpis.BY_KEY[k] for k in TABLE_MEASURES],
                departments=departments, head=head, department_filter=scope.filters.get("department_id"))


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
    scope = _scope({"department"})
    context = _context(period, scope)
    trend = kpis.trend(scope, period.trend(12))
    rate_lines = [(key, str(kpis.BY_KEY[key].label), style, [f.percent(key) for _m, f in trend])
                  for key, style in (("acknowledged_on_time", "solid"), ("closed", "dashed"),
                                     ("followed_up", "dotted"))]
    context.update(
        trend=trend,
        trend_figure=charts.TrendChart.of(_("Complaints received and the three rates, 12 months"),
                                         [(m.short_label, f.counts["received"]) for m, f in trend], rate_lines),
        bar_charts={key: charts.BarChart.of(str(DIMENSIONS[key].label),
                                            sorted(((row.label, row.figures.counts["received"]) for row in rows),
                                                   key=lambda bar: -bar[1]))
                    for key, rows in context["tables"].items() if key not in ("severity", "subject_department")},
        themes=analysis.themes(scope, period),
        repeats=analysis.repeat_complainants(scope, period),
        overdue=analysis.overdue(scope),
        malicious=analysis.malicious(scope, period),
        side_exits=analysis.side_exits(scope, period),
        leadership_work=analysis.leadership_work(scope, period),
        corrective=analysis.corrective_actions(scope, period),
        month_raise=can(current_user, Step.raise_),
        seal=audit.seal(),
        printed_at=utcnow(),
    )
    return render_template("reports/monthly.html", **context)


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
    name = f"kpis-{period.slug}"
    if kind == "xlsx":
        return _download(name, kind, exports.xlsx_bytes(tables))
    wanted = request.args.get("table", "headline")
    chosen = {"headline": tables[0], **{key: t for key, t in zip(context["tables"], tables[1:], strict=True)}}
    if wanted not in chosen:
        abort(400)
    _title, headers, rows = chosen[wanted]
    return _download(f"{name}-{wanted}", kind, exports.csv_lines(headers, rows))


@bp.get("/complaints.<kind>")
def complaint_export(kind: str):
    if kind not in ("csv", "xlsx"):
        abort(404)
    scope = _scope()
    text = request.args.get("period")
    period = _period(text, None) if text else None
    where = scope.where(period)
    name = f"complaints-{period.slug}" if period else "complaints"
    headers = exports.complaint_headers()
    rows = exports.complaint_rows(current_user, where)
    if kind == "xlsx":
        return _download(name, kind, exports.xlsx_bytes([(_("Complaints"), headers, rows)]))
    return _download(name, kind, stream_with_context(exports.csv_lines(headers, rows)))
