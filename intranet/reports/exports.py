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
import re
import zlib
from array import array
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from math import isfinite
from unicodedata import east_asian_width
from xml.sax.saxutils import escape, quoteattr

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
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

Table = tuple  # sheet title, headers, rows (and, may be, the column widths)


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
    yes_no = (_("No"), _("Yes"))  # translated once, not in every cell
    for row in rows:
        writer.writerow([_plain(neutralise(v), yes_no) for v in row])
        yield flush()


# --- the workbook, streamed ---------------------------------------------------------------------------
#
# An XLSX file is a ZIP of XML parts (ECMA-376 "Office Open XML", Part 1: SpreadsheetML, and Part 2: Open
# Packaging Conventions). openpyxl builds the whole workbook before its first byte can go (even write-only,
# it writes each sheet to a temporary file and zips them at save), so a year's list took half a minute to
# start. Here the package is written part by part through stream_zip: the fixed parts below are a few
# hundred bytes made once, each sheet's XML is made row by row as the rows are read, and compressed bytes
# go to the reader as they come. Cells are what openpyxl wrote: strings inline (no shared-strings table to
# hold in memory), numbers as numbers, true/false as booleans, a date or a moment as a number in the date
# styles 1 and 2 below, nothing for an empty cell.

SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

# Part 1 §18.8: a font, the two fills every workbook has (none, gray125), a border; then the cell formats
# the cells' s="…" point at: 0 plain, 1 a moment (as openpyxl wrote it), 2 a date.
STYLES = (
    f'{XML_DECLARATION}<styleSheet xmlns="{SPREADSHEET}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
MOMENT_STYLE, DATE_STYLE = 1, 2
# What XML 1.0 cannot hold at all (openpyxl refused such a cell); dropped, as nothing could show them.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Rows are gathered into pieces of about this many characters before they go to the compressor.
PIECE = 32 * 1024


def xlsx_chunks(tables: list[Table]) -> Iterator[bytes]:
    """The workbook, one sheet a table, as bytes while it is written. A table may carry a fourth item, its
    column widths: a table whose rows are a list gets widths from its longest cells (as a spreadsheet's
    "fit"), one whose rows are still to be read, from its headers (or the widths given), since the widths
    come before the rows."""
    # Loaded when a spreadsheet is asked for, as openpyxl was: nothing of it in a worker that never exports.
    from stream_zip import ZIP_32, stream_zip

    titles = _sheet_titles([table[0] for table in tables])
    now = datetime.now()  # each part's modified time, as a ZIP member has one

    def part(name: str, chunks: Iterable[bytes]):
        # ZIP_32 throughout: Excel refuses ZIP64 members it does not expect, and a sheet stays under 4 GiB
        # (a million complaints' list is about 1.3 GB of XML, 1,300 bytes a row).
        return name, now, 0o600, ZIP_32, chunks

    def parts():
        yield part("[Content_Types].xml", [_content_types(len(tables)).encode()])
        yield part("_rels/.rels", [(
            f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()])
        yield part("xl/workbook.xml", [_workbook(titles).encode()])
        yield part("xl/_rels/workbook.xml.rels", [_workbook_relationships(len(tables)).encode()])
        yield part("xl/styles.xml", [STYLES.encode()])
        for number, (_title, headers, rows, *widths) in enumerate(tables, start=1):
            yield part(f"xl/worksheets/sheet{number}.xml", _sheet(headers, rows, widths[0] if widths else None))

    # zlib's level 6 (zipfile's and openpyxl's), not stream_zip's 9: a third less time compressing, a file a
    # few per cent larger.
    return stream_zip(parts(), get_compressobj=lambda: zlib.compressobj(level=6, wbits=-zlib.MAX_WBITS))


def xlsx_bytes(tables: list[Table]) -> bytes:
    """The whole workbook at once (tests, and whatever wants it in hand)."""
    return b"".join(xlsx_chunks(tables))


def _content_types(sheets: int) -> str:
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{MAIN_TYPE}.worksheet+xml"/>'
                        for n in range(1, sheets + 1))
    return (f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{MAIN_TYPE}.styles+xml"/>{overrides}</Types>')


def _workbook(titles: list[str]) -> str:
    sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                     for n, title in enumerate(titles, start=1))
    return (f'{XML_DECLARATION}<workbook xmlns="{SPREADSHEET}" xmlns:r="{RELATIONSHIPS}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>')


def _workbook_relationships(sheets: int) -> str:
    links = "".join(f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                    for n in range(1, sheets + 1))
    return (f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{links}'
            f'<Relationship Id="rId{sheets + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>')


def _sheet(headers: list[str], rows: Iterable[list], widths: list[int] | None) -> Iterator[bytes]:
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import to_excel

    if widths is None:
        widths = [_width(neutralise(h)) for h in headers]
        if isinstance(rows, list):
            for row in rows:
                for index, value in enumerate(row):
                    if index == len(widths):
                        widths.append(0)
                    widths[index] = max(widths[index], _width(neutralise(value)))
        widths = [min(max(w + 2, 8), 60) for w in widths]
    columns = ""
    if widths:
        columns = "<cols>" + "".join(f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
                                     for n, w in enumerate(widths, start=1)) + "</cols>"
    letters: list[str] = []
    pieces = [f'{XML_DECLARATION}<worksheet xmlns="{SPREADSHEET}">{columns}<sheetData>']
    size = 0
    for number, row in enumerate(chain([headers], rows), start=1):
        pieces.append(f'<row r="{number}">')
        for index, raw in enumerate(row):
            value = neutralise(raw)
            if value is None or value == "":
                continue
            while len(letters) <= index:
                letters.append(get_column_letter(len(letters) + 1))
            at = f"{letters[index]}{number}"
            if isinstance(value, bool):
                cell = f'<c r="{at}" t="b"><v>{int(value)}</v></c>'
            elif isinstance(value, int | float | Decimal):
                if not isfinite(value):
                    continue
                cell = f'<c r="{at}" t="n"><v>{float(value) if isinstance(value, Decimal) else value:.16g}</v></c>'
            elif isinstance(value, datetime):
                cell = f'<c r="{at}" s="{MOMENT_STYLE}" t="n"><v>{to_excel(value):.16g}</v></c>'
            elif isinstance(value, date):
                cell = f'<c r="{at}" s="{DATE_STYLE}" t="n"><v>{to_excel(value):.16g}</v></c>'
            else:
                text = NOT_IN_XML.sub("", str(value))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                cell = f'<c r="{at}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
            pieces.append(cell)
            size += len(cell)
        pieces.append("</row>")
        if size >= PIECE:
            yield "".join(pieces).encode()
            pieces, size = [], 0
    pieces.append("</sheetData></worksheet>")
    yield "".join(pieces).encode()


def _width(value) -> int:
    """How wide a value shows, in the spreadsheet's character widths: a Chinese character is two."""
    if value is None:
        return 0
    return sum(2 if east_asian_width(character) in "WF" else 1 for character in str(value))


def _sheet_titles(titles: list[str]) -> list[str]:
    """Each a sheet's name as a spreadsheet takes it, and no two the same."""
    taken: list[str] = []
    for title in titles:
        name, n = _sheet_title(title) or "Sheet", 1
        while name.casefold() in (t.casefold() for t in taken):
            n += 1
            name = f"{_sheet_title(title)[:31 - len(str(n))]}{n}"
        taken.append(name)
    return taken


def _sheet_title(title: str) -> str:
    for forbidden in "[]:*?/\\":
        title = title.replace(forbidden, " ")
    return title[:31]


def _plain(value, yes_no):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return yes_no[value]
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


# The workbook's column widths come before its rows, so they are fixed: wide enough for a reference, a
# moment as the date style shows it, an address; the two texts wide, and wrapped by the reader as they like.
COMPLAINT_WIDTHS = {"reference": 16, "received_at": 20, "followed_up_at": 20, "closed_at": 20,
                    "complainant_email": 26, "complainant_phone": 16, "patient_record_number": 16,
                    "what_happened": 60, "desired_outcome": 40}


def complaint_widths(headers: list[str]) -> list[int]:
    names = [name for name, _label in COMPLAINT_COLUMNS]
    return [COMPLAINT_WIDTHS.get(name) or min(max(_width(header) + 2, 10), 30)
            for name, header in zip([*names, None], headers, strict=False)]


# Complaints read at a time: each batch is let go of once its rows are written, so an export of the whole
# history holds a few hundred complaints, never all of them.
BATCH = 500


def complaint_rows(user, where: list, changed: set[int] | None = None) -> Iterator[list]:
    """The complaints in order of receipt, in batches read after the last one written (by received_at and
    id, which the index ix_complaints_received keeps in that order)."""
    session = db.session()
    # Whose identity the export shows: logged like a page that shows it, once the export is written
    # (identity_views.py). Packed integers: 8 bytes a complaint, not a list's 36.
    shown = array("q")
    labels: dict = {}
    changed_label = _("Changed")
    after = None
    while True:
        query = (select(Complaint).where(*where).order_by(Complaint.received_at, Complaint.id).limit(BATCH)
                 .options(joinedload(Complaint.department), joinedload(Complaint.category),
                          selectinload(Complaint.answers), selectinload(Complaint.follow_ups),
                          selectinload(Complaint.disputes)))
        if after is not None:
            query = query.where(tuple_(Complaint.received_at, Complaint.id) > after)
        batch = session.scalars(query).all()
        for complaint in batch:
            if identity_views.shown_identity(user, complaint):
                shown.append(complaint.id)
            row = _complaint_row(user, complaint, labels)
            if changed is not None:
                row.append(changed_label if complaint.id in changed else None)
            yield row
        if len(batch) < BATCH:
            break
        after = batch[-1].received_at, batch[-1].id
        # The session holds what it loaded weakly: once the batch is let go of, so are its complaints.
        del batch, complaint
    identity_views.record_views(user, shown)


def _complaint_row(user, c: Complaint, labels: dict) -> list:
    """`labels`: each label translated once an export (a lookup of the reader's language per cell was a
    tenth of a long export's time), kept by the thing it names."""

    def label(thing):
        found = labels.get(thing)
        if found is None:
            found = labels[thing] = str(thing.label)
        return found

    shown = identity_fields(user, c)
    row = []
    for name, _label in COMPLAINT_COLUMNS:
        if name in ALL_FIELDS:
            if name in shown:
                value = getattr(c, name)
            else:
                value = (labels.get(HIDDEN) or labels.setdefault(HIDDEN, str(HIDDEN))) if getattr(c, name) else None
        elif name == "received_at" or name == "followed_up_at" or name == "closed_at":
            moment = getattr(c, name)
            value = local(moment).replace(tzinfo=None) if moment else None
        elif name == "channel":
            value = label(Channel(c.channel))
        elif name == "status":
            value = label(c.state)
        elif name == "department":
            value = c.department.name if c.department else None
        elif name == "category":
            value = c.category.name if c.category else None
        elif name == "severity":
            value = label(Severity(c.severity))
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
            value = label(Responsibility(c.responsibility)) if c.responsibility else None
        else:
            value = getattr(c, name)
        row.append(value)
    return row
