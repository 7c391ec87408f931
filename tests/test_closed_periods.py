"""Closing a period: once ended, leadership closes it and its analysis is frozen as it stood (page, print,
exports), whatever is logged or reopened afterwards; what changed since is listed beneath; reopening needs a
reason and stays on the period's history; a period still open says "as of" everywhere.

September 2026 is test_kpis's month worked out by hand: 7 complaints, acknowledged on time 4/6, closed 1/6.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from intranet.complaints import registration
from intranet.complaints.lifecycle import Action
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.reports import kpis
from intranet.reports.kpis import Scope
from intranet.reports.models import PeriodClosing
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_kpis import BEIJING, READ_ON, Month, at, september  # noqa: F401 (the fixture)

LATER = datetime(2026, 10, 21, 9, 0, tzinfo=BEIJING)  # the day after closing: a late complaint, a reopening
READ_AGAIN = datetime(2026, 10, 22, 9, 0, tzinfo=BEIJING)


def _post(client, url, data=None):
    return client.post(url, data={"csrf_token": csrf_token(client, "/reports"), **(data or {})})


def _received(page_or_book) -> object:
    rows = {row[0]: row[1] for row in page_or_book["KPIs"].iter_rows(min_row=2, values_only=True)}
    return rows["Complaints received"], rows["Acknowledged on time"]


def _book(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def _late_and_reopened(world, complaints):
    """The day after closing: a complaint logged with a received date in September, and B (told on 12 Oct)
    reopened by its complainant's answer at the follow-up."""
    m = Month(world)
    with clock_at(LATER):  # reception logs a phone call of 29 September on 21 October
        late = registration.create(world.reception, factories.public_complaint_data(channel="phone"),
                                   received_at=at(9, 29)).complaint
        db.session.commit()
    m.act(complaints["b"], Action.follow_up, LATER, method="phone", satisfied=False)
    return late


def test_a_closed_month_keeps_its_figures_and_lists_what_changed(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        assert _post(client, "/reports/periods/2026-09/close").status_code == 303
    late = _late_and_reopened(world, september)
    # The records moved: worked out now, September has 8 complaints.
    with clock_at(READ_AGAIN):
        assert kpis.figures(Scope(world.leadership), Period.parse("2026-09")).counts["received"] == 8
        page = client.get("/reports/monthly/2026-09?lang=en").get_data(as_text=True)
        book = _book(client, "/reports/kpis.xlsx?period=2026-09&lang=en")
        lines = list(csv.reader(io.StringIO(client.get("/reports/kpis.csv?period=2026-09&lang=en")
                                            .data.decode("utf-8-sig"))))
        kpi_page = client.get("/reports?period=2026-09&lang=en").get_data(as_text=True)
    # The analysis still shows what was closed: 7 received, acknowledged on time 4 of 6.
    assert "Closed on 20 Oct 2026 10:00 by" in page and world.leadership.display_name in page
    assert '<span class="fraction">4/6</span>' in page and "4/7" not in page
    assert _received(book) == (7, 66.7)
    assert lines[-1][0].startswith("Closed on 20 Oct 2026 10:00 by")
    assert [row for row in lines if row and row[0] == "Complaints received"][0][1] == "7"
    assert '<span class="fraction">4/6</span>' in kpi_page
    # Beneath: what happened since, each linked to its complaint.
    changes = page[page.index('id="changes-since-closing"'):]
    assert f'href="/complaints/{late.reference}"' in changes
    assert "logged after closing, dated in the period" in changes
    assert f'href="/complaints/{september["b"].reference}"' in changes
    assert "Record the follow-up" in changes and "Log a complaint" in changes


def test_the_frozen_figures_are_stored_in_both_languages_with_the_seal(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        _post(client, "/reports/periods/2026-09/close")
    closing = db.session.scalars(select(PeriodClosing)).one()
    assert (closing.kind, closing.start.isoformat(), closing.step, closing.sequence) == ("month", "2026-09-01",
                                                                                     "close", 1)
    assert sorted(closing.figures) == ["en", "zh"]
    assert closing.figures["zh"]["comparisons"][0][0] == "2026年9月"
    assert closing.figures["en"]["comparisons"][0][0] == "September 2026"
    assert closing.figures["en"]["comparisons"][0][1]["counts"]["received"] == 7
    assert len(closing.seal_digest) == 64 and closing.seal_complaints == 9  # August and October's too


def test_closing_before_the_month_has_ended_is_refused(world, client):
    login(client, world.leadership)  # the clock is pinned on 18 November 2026
    page = client.get("/reports/monthly/2026-11?lang=en").get_data(as_text=True)
    assert "It can be closed once it has ended, from 1 Dec 2026." in page and "/periods/2026-11/close" not in page
    response = _post(client, "/reports/periods/2026-11/close?lang=en")
    assert response.status_code == 409
    assert "A period can be closed only once it has ended: November 2026 ends on 2026-12-01." \
        in response.get_data(as_text=True)
    assert db.session.scalars(select(PeriodClosing)).all() == []


def test_an_open_month_says_as_of_on_the_page_the_print_and_the_exports(world, client):
    login(client, world.leadership)
    page = client.get("/reports/monthly/2026-10?lang=en").get_data(as_text=True)
    assert "As of 18 Nov 2026 10:00." in page
    assert "Figures as of 18 Nov 2026 10:00." in page  # the footer, on paper
    assert 'action="/reports/periods/2026-10/close"' in page
    lines = client.get("/reports/kpis.csv?period=2026-10&lang=en").data.decode("utf-8-sig").splitlines()
    assert lines[-1] == "\"As of 18 Nov 2026 10:00: the period is not closed, its figures may still change.\""


def test_reopening_needs_a_reason_and_stays_on_the_history(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        _post(client, "/reports/periods/2026-09/close")
    _late_and_reopened(world, september)
    with clock_at(READ_AGAIN):
        refused = _post(client, "/reports/periods/2026-09/reopen?lang=en", {"reason": "   "})
        assert refused.status_code == 422
        assert "Give the reason the period is reopened." in refused.get_data(as_text=True)
        assert len(db.session.scalars(select(PeriodClosing)).all()) == 1
        reason = "质量例会要求补录9月迟报投诉后重新统计。"
        assert _post(client, "/reports/periods/2026-09/reopen", {"reason": reason}).status_code == 303
        reopened = client.get("/reports/monthly/2026-09?lang=en").get_data(as_text=True)
        assert "As of 22 Oct 2026 09:00." in reopened and reason in reopened
        assert '<span class="fraction">4/7</span>' in reopened  # worked out again: the late complaint counts
        # Closed again: a new snapshot; the first one is kept as it was.
        assert _post(client, "/reports/periods/2026-09/close").status_code == 303
    history = db.session.scalars(select(PeriodClosing).order_by(PeriodClosing.sequence)).all()
    assert [(h.sequence, h.step) for h in history] == [(1, "close"), (2, "reopen"), (3, "close")]
    assert history[1].reason == reason and history[1].by_id == world.leadership.id
    assert [h.figures["en"]["comparisons"][0][1]["counts"]["received"] for h in (history[0], history[2])] == [7, 8]


def test_a_quarter_is_closed_likewise(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        assert _post(client, "/reports/periods/2026-Q3/close").status_code == 303
    late = _late_and_reopened(world, september)
    with clock_at(READ_AGAIN):
        page = client.get("/reports/analysis/2026-Q3?lang=en").get_data(as_text=True)
        book = _book(client, "/reports/kpis.xlsx?period=2026-Q3&lang=en")
    assert "Complaint analysis: 3rd quarter 2026" in page
    # The quarter has August's complaint of the 31st too: 8 received, 4 of 7 acknowledged on time.
    assert "Closed on 20 Oct 2026 10:00 by" in page and '<span class="fraction">4/7</span>' in page
    assert "4/8" not in page
    assert _received(book) == (8, 57.1)
    assert book["As of"]["A2"].value.startswith("Closed on 20 Oct 2026 10:00 by")
    assert f'href="/complaints/{late.reference}"' in page[page.index('id="changes-since-closing"'):]


def test_a_closed_period_cannot_be_closed_twice(world, client):
    login(client, world.leadership)
    assert _post(client, "/reports/periods/2026-09/close").status_code == 303
    again = _post(client, "/reports/periods/2026-09/close?lang=en")
    assert again.status_code == 409 and "This period is already closed." in again.get_data(as_text=True)


@pytest.mark.parametrize("role", ["reception", "head"])
def test_only_leadership_closes_and_reopens(world, client, role):
    login(client, world.user(role))
    assert _post(client, "/reports/periods/2026-09/close").status_code == 403
    assert client.get("/reports/periods/2026-09/reopen").status_code == 403
    assert db.session.scalars(select(PeriodClosing)).all() == []


def test_a_head_reads_their_departments_figures_of_a_closed_month_as_of_now(world, client, september):  # noqa: F811
    login(client, world.leadership)
    with clock_at(READ_ON):
        _post(client, "/reports/periods/2026-09/close")
    login(client, world.head)
    with clock_at(READ_AGAIN):
        page = client.get("/reports/monthly/2026-09?lang=en").get_data(as_text=True)
    assert "As of 22 Oct 2026 09:00." in page and "The period was closed on 20 Oct 2026 10:00 by" in page
    assert 'id="changes-since-closing"' not in page  # what changed since is in these figures already


def test_the_history_is_never_rewritten(world, client):
    login(client, world.leadership)
    _post(client, "/reports/periods/2026-09/close")
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE period_closings SET step = 'reopen', reason = 'x'"))
        db.session.flush()
    db.session.rollback()
