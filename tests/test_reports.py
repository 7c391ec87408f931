"""The report pages and their exports: who may read them, what they show, and files a spreadsheet opens
as the page shows them (same figures, Chinese intact, no formula run, identity masked as on the pages)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intranet.complaints.identity_views import IdentityView
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.conftest import login
from tests.test_kpis import READ_ON, september  # noqa: F401 (the fixture: a month worked out by hand)


@pytest.mark.parametrize(("role", "status"), [
    ("reception", 200), ("leadership", 200), ("head", 200), ("admin", 403),
])
@pytest.mark.parametrize("url", ["/reports", "/reports/monthly/2026-09", "/reports/kpis.xlsx",
                                 "/reports/kpis.csv", "/reports/complaints.csv", "/reports/complaints.xlsx"])
def test_who_may_read_the_reports(world, client, role, status, url):
    login(client, world.user(role))
    assert client.get(url).status_code == status


def test_the_public_are_sent_to_log_in(client):
    response = client.get("/reports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("url", "status"), [
    ("/reports?period=2026-13", 404), ("/reports?period=%00", 400), ("/reports/monthly/2026-Q3", 404),
    ("/reports/monthly/nonsense", 404), ("/reports/kpis.pdf", 404), ("/reports?department=x", 400),
    ("/reports/complaints.csv?channel=pigeon", 400), ("/reports/complaints.csv?department=99999999999", 400),
    ("/reports/kpis.csv?table=nonsense", 400),
])
def test_a_bad_address_is_a_clear_4xx(world, client, url, status):
    login(client, world.leadership)
    assert client.get(url).status_code == status


def test_the_monthly_analysis_without_a_month_opens_last_month(world, client):
    login(client, world.leadership)
    with clock_at(READ_ON):
        response = client.get("/reports/monthly")
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/monthly/2026-09")


def test_the_page_shows_the_months_figures_with_their_fractions(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        page = client.get("/reports?period=2026-09&lang=en").get_data(as_text=True)
    assert "Reports: September 2026" in page
    assert "66.7 %" in page and "4/6" in page  # acknowledged on time
    assert "(nobody to tell or to ask): 1." in page


def test_the_monthly_analysis_shows_charts_themes_malicious_and_the_seal(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        page = client.get("/reports/monthly/2026-09?lang=en").get_data(as_text=True)
    assert page.count('<svg class="bars"') == 3 and page.count('<svg class="trend"') == 1
    assert page.count("<title id=") == 4  # every chart has a title for assistive technology
    assert "The same claim, shown false, made again." in page  # why G was found malicious
    assert september["g"].reference in page
    assert "Timeline seal: events up to no." in page


def _xlsx(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def test_the_xlsx_figures_equal_the_pages(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        book = _xlsx(client, "/reports/kpis.xlsx?period=2026-09&lang=en")
    assert book.sheetnames == ["KPIs", "By department", "By department where it happened", "By category",
                               "By channel", "By severity", "Every department that worked on", "As of"]
    # Not closed: the file says its figures may still move, as the page does.
    assert book["As of"]["A2"].value.startswith("As of ") and "not closed" in book["As of"]["A2"].value
    rows = {row[0]: row[1] for row in book["KPIs"].iter_rows(min_row=2, values_only=True)}
    # As the page shows them (see test_kpis): per cent to one decimal, counts as counts.
    assert rows["Complaints received"] == 7
    assert rows["Acknowledged on time"] == 66.7
    assert rows["Responded on time"] == 66.7
    assert rows["Closed"] == 16.7
    assert rows["Followed up"] == 66.7
    assert rows["Median working days to the first answer"] == 3
    assert rows["Overdue now"] == 3
    departments = list(book["By department"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in departments] == [(1, "Cardiology", 4),
                                                         (None, "Not assigned to a department", 3)]


def test_the_csv_keeps_chinese_for_a_spreadsheet(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        response = client.get("/reports/complaints.csv?period=2026-09")
    assert response.data.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets look for
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="complaints-2026-09.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "投诉编号"
    assert len(rows) == 1 + 7
    assert factories.public_complaint_data()["what_happened"] in rows[1]


# What was typed, and what the cell holds: anything a spreadsheet could run gets an apostrophe in front,
# whatever whitespace or invisible characters come before its first visible character (a third value: what
# the XLSX reads back, when it differs).
FORMULA_CELLS = [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+86 138 0013 8000", "'+86 138 0013 8000"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("  =1+1", "'  =1+1"),  # LibreOffice's "Trim spaces" would make this a formula
    ("\u3000=1+1", "'\u3000=1+1"),  # the ideographic space
    ("\u00a0+1", "'\u00a0+1"),  # a no-break space
    ("\u200b=1+1", "'\u200b=1+1"),  # zero-width space
    ("\ufeff@SUM(A1)", "'\ufeff@SUM(A1)"),  # byte-order mark
    ("\u2060\u200d-1", "'\u2060\u200d-1"),  # word joiner, zero-width joiner
    ("\uff1d1+1", "'\uff1d1+1"),  # ＝
    ("\uff0b1", "'\uff0b1"),  # ＋
    ("\uff0d1", "'\uff0d1"),  # －
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # ＠
    (" \u3000\u200b\uff1d1", "' \u3000\u200b\uff1d1"),
    ("\tSUM(A1)", "'\tSUM(A1)"),
    ("\rSUM(A1)", "'\rSUM(A1)", "'\nSUM(A1)"),  # XML reads a carriage return back as a line feed
    # Left alone: nothing to run.
    ("心脏科医生态度差", "心脏科医生态度差"),
    ("  候诊三小时", "  候诊三小时"),
    ("1+1=2", "1+1=2"),
    ("a-b", "a-b"),
    ("\u200b", "\u200b"),
]


@pytest.mark.parametrize("case", FORMULA_CELLS, ids=repr)
def test_what_a_spreadsheet_would_run_is_written_as_text(world, client, case):
    text, cell, xlsx_cell = (*case, case[1])[:3]
    factories.make_complaint(world, State.registered, what_happened="候诊时间过长", desired_outcome=text)
    login(client, world.leadership)
    response = client.get("/reports/complaints.csv?lang=en")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    header = rows[0]
    assert rows[1][header.index("Desired outcome")] == cell
    sheet = _xlsx(client, "/reports/complaints.xlsx?lang=en").active
    headers = [c.value for c in sheet[1]]
    written = sheet.cell(row=2, column=headers.index("Desired outcome") + 1)
    assert written.value == xlsx_cell and written.data_type == "s"


def test_numbers_stay_numbers(world, client):
    factories.make_complaint(world, State.registered)
    login(client, world.leadership)
    sheet = _xlsx(client, "/reports/complaints.xlsx?lang=en").active
    headers = [c.value for c in sheet[1]]
    reopened = sheet.cell(row=2, column=headers.index("Times reopened") + 1)
    assert reopened.value == 0 and reopened.data_type == "n"


@pytest.mark.parametrize(("role", "sees_identity"), [("reception", True), ("leadership", True), ("head", False)])
def test_a_confidential_complainant_is_masked_for_those_who_may_not_see_them(world, client, role, sees_identity):
    factories.make_complaint(world, State.investigating, confidential=True, complainant_name="李秘密",
                             complainant_phone="13700137000")
    login(client, world.user(role))
    text = client.get("/reports/complaints.csv?lang=en").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, row = rows[0], rows[1]
    assert ("李秘密" in text) is sees_identity and ("13700137000" in text) is sees_identity
    expected = "李秘密" if sees_identity else "(confidential)"
    assert row[header.index("Complainant")] == expected


def test_a_head_exports_only_their_departments_complaints(world, client):
    mine = factories.make_complaint(world, State.investigating)
    factories.make_complaint(world, State.registered)
    login(client, world.head)
    rows = list(csv.reader(io.StringIO(client.get("/reports/complaints.csv").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [mine.reference]


def test_the_export_follows_the_filters(world, client):
    factories.make_complaint(world, State.investigating)
    registered = factories.make_complaint(world, State.registered)
    login(client, world.reception)
    rows = list(csv.reader(io.StringIO(
        client.get("/reports/complaints.csv?state=registered").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [registered.reference]


@pytest.mark.parametrize(("kind", "role", "logged"), [("csv", "head", 0), ("csv", "reception", 1),
                                                      ("xlsx", "leadership", 1)])
def test_an_export_that_shows_a_complainants_identity_is_logged_as_a_view(world, client, kind, role, logged):
    complaint = factories.make_complaint(world, State.investigating, confidential=True, complainant_name="李秘密")
    login(client, world.user(role))
    response = client.get(f"/reports/complaints.{kind}")
    assert response.status_code == 200 and response.data  # read to the end, as a download is
    views = db.session.scalars(select(IdentityView).where(IdentityView.complaint_id == complaint.id)).all()
    assert [v.user_id for v in views] == [world.user(role).id] * logged


def test_the_overdue_list_says_which_clock_is_late_and_sorts_by_it(world, client, september):  # noqa: F811
    """On 20 October: the acknowledgements of 31 August's complaint (TS-2026-000009), of D (due 8 Oct) and of
    1 October's (TS-2026-000008, due after the holiday); G's new response (due 8 Oct); B's follow-up."""
    login(client, world.leadership)
    with clock_at(READ_ON):
        page = client.get("/reports/monthly/2026-09?lang=en").get_data(as_text=True)
    table = page[page.index('id="table-overdue"'):]
    table = table[:table.index("</table>")]
    assert "<caption>Overdue complaints</caption>" in table and "<th scope=\"col\">Late clock</th>" in table
    rows = [(clock, ref) for clock, ref in re.findall(r"<tr><td>([^<]+)</td><td><a href=\"/complaints/([^\"]+)\"",
                                                      table)]
    assert rows == [("Acknowledgement", "TS-2026-000009"), ("Acknowledgement", "TS-2026-000004"),
                    ("Acknowledgement", "TS-2026-000008"), ("Response", "TS-2026-000006"),
                    ("Follow-up", "TS-2026-000002")]
