"""CSV and XLSX: the complaint list and the KPI tables, for the spreadsheet a quality meeting works in.

- CSV is UTF-8 with a byte-order mark, so a spreadsheet opening it reads Chinese as Chinese.
- A cell that begins with `=`, `+`, `-`, `@` (or a tab or carriage return) would be run as a formula by the
  spreadsheet; such text gets a leading apostrophe (the usual defence against CSV injection), in both
  formats. Numbers stay numbers. What comes before the first visible character does not hide it: a
  spreadsheet that trims spaces on import (LibreOffice's "Trim spaces") turns `  =1+1` into a formula, and
  some read the full-width `＝＋－＠` as the ASCII ones. So leading whitespace of every kind (the ideographic
  space too) and zero-width characters are looked past.
- Identity is masked exactly as on the pages: `identity_fields()` of the reader for each complaint.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..complaints import identity_views
from ..complaints.confidentiality import ALL_FIELDS
from ..complaints.models import Channel, Complaint, Responsibility, Severity
from ..complaints.permissions import identity_fields
from ..core.extensions import db
from ..core.time import local, show_date, show_datetime
from .analysis import WORKED_ON_DEFINITION
from .kpis import BY_KEY, MEASURES, Figures, Rate, Row

FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms ＝＋－＠
# Characters that show nothing: not whitespace to Python, but a spreadsheet's trim may drop them too.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
HIDDEN = _l("(confidential)")


def neutralise(value):
    """A value as it may go into a spreadsheet cell."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "\t\r":
        return "'" + value
    for character in value:
        if character.isspace() or character in ZERO_WIDTH:
            continue
        return "'" + value if character in FORMULA_STARTS else value
    return value


# --- writing -------------------------------------------------------------------------------------------

Table = tuple[str, list[str], Iterable[list]]  # sheet title, headers, rows


def csv_lines(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV, line by line (streamed: an export of the whole history never sits in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([neutralise(h) for h in headers])
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([_plain(neutralise(v)) for v in row])
        yield flush()


def xlsx_bytes(tables: list[Table]) -> bytes:
    # Loaded when a spreadsheet is asked for: openpyxl (and the Pillow it pulls in) would otherwise sit in
    # every worker's memory for the few requests that export.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for title, headers, rows in tables:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        widths = [len(h) for h in headers]
        sheet.append([neutralise(h) for h in headers])
        for row in rows:
            values = [neutralise(v) for v in row]
            widths = [max(w, len(str(v or ""))) for w, v in zip(widths, values, strict=False)]
            sheet.append(values)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _sheet_title(title: str) -> str:
    for forbidden in "[]:*?/\\":
        title = title.replace(forbidden, " ")
    return title[:31]


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


# --- the KPI tables -----------------------------------------------------------------------------------


def _figure(figures: Figures, key: str):
    """A KPI as a spreadsheet number: a rate in per cent to one decimal, as on the page (None: nothing due)."""
    value = figures.value(key)
    if isinstance(value, Rate):
        percent = value.percent
        return None if percent is None else round(percent, 1)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a median of 3 days reads "3", as on the page, not "3.0"
    return value


def headline_table(title: str, periods: list[tuple[str, Figures]]) -> Table:
    headers = [_("Measure"), *[label for label, _f in periods], _("Target"), _("Definition")]
    rows = [[str(m.label), *[_figure(f, m.key) for _label, f in periods],
             f"{m.target} %" if m.target else None, str(m.definition)] for m in MEASURES]
    return title, headers, rows


def dimension_table(title: str, first_header: str, rows: list[Row], keys: Iterable[str]) -> Table:
    keys = list(keys)
    ranked = any(row.rank for row in rows)
    headers = ([_("Rank")] if ranked else []) + [first_header] + [_column_header(k) for k in keys]
    body = [([row.rank] if ranked else []) + [row.label] + [_figure(row.figures, k) for k in keys] for row in rows]
    return title, headers, body


def _column_header(key: str) -> str:
    measure = BY_KEY[key]
    label = measure.short or measure.label
    return f"{label} (%)" if measure.kind == "rate" else str(label)


def worked_on_table(title: str, rows) -> Table:
    """Every department that worked on the complaints (analysis.worked_on), its definition in the last line."""
    headers = [_("Department"), _("Worked on"), _("As lead"), _("Contributing"), _("Parts recorded"),
               _("Parts on time"), _("Parts waived")]
    body = [[r.department, r.worked_on, r.led, r.contributed, r.parts_recorded, r.parts_on_time, r.parts_waived]
            for r in rows or []]
    return title, headers, [*body, [], [str(WORKED_ON_DEFINITION)]]


# --- remedies ---------------------------------------------------------------------------------------------


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)  # exact: 5380.00, never 5379.999…


def remedy_tables(remedies: dict, definitions: list[str]) -> list[Table]:
    """By kind, by department, and by month for a quarter or a year: amounts in yuan as numbers (two
    decimals), so a spreadsheet adds them up; the definitions under each."""
    headers_after = [_("Offered"), _("Amount offered (yuan)"), _("Paid"), _("Amount paid (yuan)")]

    def table(title, heading, rows):
        body = [[r["label"], r["offered"], _yuan(r["offered_fen"]), r["paid"], _yuan(r["paid_fen"])] for r in rows]
        return str(title), [str(heading), *map(str, headers_after)], [*body, [], *[[d] for d in definitions]]

    tables = [table(_("Remedies by kind"), _("Kind of remedy"), remedies["by_kind"]),
              table(_("Remedies by department"), _("Department"), remedies["by_department"])]
    if remedies["by_month"]:
        tables.append(table(_("Remedies by month"), _("Month"), remedies["by_month"]))
    return tables


# --- the accountability report -------------------------------------------------------------------------


def people_table(title: str, report) -> Table:
    """Only the people the reader may see are in the report (accountability.people): no name to mask here."""
    headers = [_("Name"), _("Staff number"), _("Department"), _("Complaints naming them"), _("Upheld"),
               _("Partly upheld"), _("By category"), _("Complaints"),
               _("Found against in the twelve months to %(day)s", day=show_date(report.window_ends)),
               _("Repeat alert (%(count)s or more)", count=report.repeat_at)]
    body = [[r.name, r.staff_number, r.department, r.named, r.upheld, r.partly_upheld,
             "; ".join(f"{name} {count}" for name, count in r.categories), " ".join(r.complaints),
             r.found_against, _("Repeat") if r.repeat else None] for r in report.people]
    return title, headers, body


def responsible_table(title: str, rows) -> Table:
    headers = [_("Department"), _("First responsible person"), _column_header("acknowledged_on_time"),
               _column_header("closed"), _("Veto")]
    body = [[r.department, "、".join(r.heads) or _("No head of record"),
             _figure(r.figures, "acknowledged_on_time"), _figure(r.figures, "closed"),
             _("Veto") if r.veto else None] for r in rows]
    return title, headers, body


# --- the complaint list ---------------------------------------------------------------------------------

COMPLAINT_COLUMNS: list[tuple[str, object]] = [
    ("reference", _l("Reference")), ("received_at", _l("Received")), ("channel", _l("Channel")),
    ("status", _l("Status")), ("department", _l("Department")), ("category", _l("Category")),
    ("severity", _l("Severity")), ("anonymous", _l("Anonymous")), ("confidential", _l("Confidential")),
    ("complainant_name", _l("Complainant")), ("complainant_phone", _l("Phone")),
    ("complainant_email", _l("Email")), ("patient_name", _l("Patient")),
    ("patient_record_number", _l("Medical record number")), ("what_happened", _l("What happened")),
    ("desired_outcome", _l("Desired outcome")), ("responsibility", _l("Finding")),
    ("acknowledge_due_on", _l("Acknowledgement due")), ("acknowledged_on_time", _l("Acknowledged on time")),
    ("response_due_on", _l("Response due")), ("responded_on", _l("Date told")),
    ("responded_on_time", _l("Responded on time")),
    # The first answer and follow-up as they were: what "responded on time" and 回访及时率 count.
    ("first_answer_on", _l("First answer told")), ("first_answer_on_time", _l("First answer on time")),
    ("answers", _l("Answers given")), ("first_follow_up_on_time", _l("First follow-up on time")),
    ("followed_up_at", _l("Followed up at")),
    ("satisfied", _l("Satisfied")), ("reopened_count", _l("Times reopened")),
    ("escalation_level", _l("Escalation level")), ("closed_at", _l("Closed at")),
    # A medical dispute: off the office's clocks since the day it began; the latest route and its outcome.
    ("disputed_since", _l("Off the clocks since (medical dispute)")), ("dispute_route", _l("Dispute taken to")),
    ("dispute_outcome", _l("Dispute outcome")),
]


def complaint_headers(closed_at=None) -> list[str]:
    """`closed_at`: the list is of a closed period, whose complaints as they stand now are not what its
    frozen figures counted; a last column marks those changed since it closed."""
    headers = [str(label) for _name, label in COMPLAINT_COLUMNS]
    if closed_at is not None:
        headers.append(_("Changed since the period closed on %(when)s", when=show_datetime(closed_at)))
    return headers


def complaint_rows(user, where: list, changed: set[int] | None = None) -> Iterator[list]:
    query = (select(Complaint).where(*where).order_by(Complaint.received_at, Complaint.id)
             .options(joinedload(Complaint.department), joinedload(Complaint.category),
                      selectinload(Complaint.answers), selectinload(Complaint.follow_ups),
                      selectinload(Complaint.disputes))
             .execution_options(yield_per=500))
    shown = []  # whose identity the export shows: logged like a page that shows it (identity_views.py)
    for complaint in db.session.scalars(query):
        if identity_views.shown_identity(user, complaint):
            shown.append(complaint.id)
        row = _complaint_row(user, complaint)
        if changed is not None:
            row.append(_("Changed") if complaint.id in changed else None)
        yield row
    identity_views.record_views(user, shown)


def _complaint_row(user, c: Complaint) -> list:
    shown = identity_fields(user, c)
    row = []
    for name, _label in COMPLAINT_COLUMNS:
        if name in ALL_FIELDS:
            value = getattr(c, name) if name in shown else (str(HIDDEN) if getattr(c, name) else None)
        elif name == "received_at" or name == "followed_up_at" or name == "closed_at":
            moment = getattr(c, name)
            value = local(moment).replace(tzinfo=None) if moment else None
        elif name == "channel":
            value = Channel(c.channel).label
        elif name == "status":
            value = c.state.label
        elif name == "department":
            value = c.department.name if c.department else None
        elif name == "category":
            value = c.category.name if c.category else None
        elif name == "severity":
            value = Severity(c.severity).label
        elif name in ("first_answer_on", "first_answer_on_time", "first_follow_up_on_time"):
            rounds = c.follow_ups if name == "first_follow_up_on_time" else c.answers
            first = next((r for r in rounds if r.round == 1), None)
            value = None if first is None else first.responded_on if name == "first_answer_on" else first.on_time
        elif name == "answers":
            value = len(c.answers)
        elif name in ("dispute_route", "dispute_outcome"):
            latest = c.disputes[-1] if c.disputes else None
            value = None if latest is None else latest.route_label() if name == "dispute_route" else (
                latest.outcome_label() or None)
        elif name == "responsibility":
            value = Responsibility(c.responsibility).label if c.responsibility else None
        else:
            value = getattr(c, name)
        row.append(value)
    return row
