"""The KPIs as their definitions say, on a month an auditor would pick apart: each answer kept, so that a
reopening never rewrites the first; the response clock's extensions only; every acknowledgement past due,
however the complaint ended; an anonymous complaint closed by the office's conclusion; a late follow-up.
The figures were worked out on paper before the code ran, and the page, the XLSX and the CSV all show them.

March 2026 at the hospital: no public holiday and no make-up day. Clocks: acknowledgement 1 working day,
response 5, follow-up 3 from the answer, again 5 from a reopening. Read on Tue 31 Mar 2026.

- P, Mon 2 Mar: acknowledged 2 Mar (due 3); upheld; told Wed 11 Mar, due Mon 9: LATE (7 working days).
  Not satisfied Thu 12 Mar (follow-up due Mon 16: on time), so reopened, due again Thu 19. Answered again
  Tue 17 (on time); satisfied Wed 18, closed (12 working days).
- Q, Mon 2 Mar: acknowledged 2 Mar; partly upheld; told Thu 5, due Mon 9: on time (3 working days). Not
  satisfied Fri 6 (follow-up due Tue 10: on time): reopened, due again Fri 13; not answered again: overdue.
- R, Mon 9 Mar: acknowledged 9 Mar; not upheld; told Wed 11 (due Mon 16, 2 working days). Its FOLLOW-UP
  clock, due Mon 16, extended to Fri 20 (not an extension of the response); satisfied Thu 19 (on time, as
  extended), closed (8 working days).
- S, Mon 9 Mar: never acknowledged (due Tue 10); withdrawn Thu 12: a late acknowledgement all the same.
- T, Mon 16 Mar: anonymous; upheld; the office's conclusion Thu 19 (due Mon 23: on time), closed
  (3 working days to both).
- U, Mon 16 Mar: acknowledged 16 Mar; upheld; told Tue 17 (1 working day); follow-up due Fri 20, made Tue 24:
  LATE; satisfied, closed (6 working days).
- V, Mon 23 Mar: acknowledged 23 Mar; its RESPONSE clock, due Mon 30, extended to Tue 7 Apr; not answered,
  not due yet.
- W, Mon 23 Mar: acknowledged 23 Mar; upheld; told Thu 26 (due Mon 30: on time, 3 working days); not
  satisfied Fri 27 (follow-up due Tue 31: on time): reopened, due again Fri 3 Apr, not due yet. Had the
  reopening erased its first answer, it would be in no denominator at all.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select, text

from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import ComplaintAnswer
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.reports import kpis
from intranet.reports.kpis import Scope
from intranet.reports.periods import Period
from tests.conftest import login
from tests.test_kpis import Month

BEIJING = ZoneInfo("Asia/Shanghai")
MARCH = Period.parse("2026-03")
READ_ON = datetime(2026, 3, 31, 10, 0, tzinfo=BEIJING)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BEIJING)


def follow_up(m: Month, complaint, when: datetime, satisfied: bool):
    m.act(complaint, Action.follow_up, when, method="phone", satisfied=satisfied,
          comment=None if satisfied else "Still waiting for an apology.")


@pytest.fixture
def march(world):
    m = Month(world)
    p = m.receive(at(3, 2))
    m.acknowledge(p, at(3, 2))
    m.to_department(p, at(3, 2))
    m.answer(p, "upheld", at(3, 11), at(3, 11))
    follow_up(m, p, at(3, 12), satisfied=False)
    m.answer(p, "upheld", at(3, 17), at(3, 17))
    follow_up(m, p, at(3, 18), satisfied=True)

    q = m.receive(at(3, 2))
    m.acknowledge(q, at(3, 2))
    m.to_department(q, at(3, 2))
    m.answer(q, "partly_upheld", at(3, 5), at(3, 5))
    follow_up(m, q, at(3, 6), satisfied=False)

    r = m.receive(at(3, 9))
    m.acknowledge(r, at(3, 9))
    m.to_department(r, at(3, 9))
    m.answer(r, "not_upheld", at(3, 11), at(3, 11))
    m.act(r, Action.extend, at(3, 12), new_due_on=date(2026, 3, 20))
    follow_up(m, r, at(3, 19), satisfied=True)

    s = m.receive(at(3, 9))
    m.act(s, Action.withdraw, at(3, 12))

    t = m.receive(at(3, 16), anonymous=True, complainant_name=None, complainant_phone=None, complainant_email=None)
    m.to_department(t, at(3, 16))
    m.act(t, Action.record_findings, at(3, 18), responsibility="upheld")
    m.act(t, Action.sign_off, at(3, 18))
    m.act(t, Action.conclude, at(3, 19), conclusion="The night rota now has a second nurse.")

    u = m.receive(at(3, 16))
    m.acknowledge(u, at(3, 16))
    m.to_department(u, at(3, 16))
    m.answer(u, "upheld", at(3, 17), at(3, 17))
    follow_up(m, u, at(3, 24), satisfied=True)

    v = m.receive(at(3, 23))
    m.acknowledge(v, at(3, 23))
    m.to_department(v, at(3, 23))
    m.act(v, Action.extend, at(3, 24), new_due_on=date(2026, 4, 7))

    w = m.receive(at(3, 23))
    m.acknowledge(w, at(3, 23))
    m.to_department(w, at(3, 23))
    m.answer(w, "upheld", at(3, 26), at(3, 26))
    follow_up(m, w, at(3, 27), satisfied=False)

    # What the list above says of each, as the operations stored it.
    assert [(a.round, a.responded_on, a.due_on, a.on_time) for a in p.answers] == [
        (1, date(2026, 3, 11), date(2026, 3, 9), False), (2, date(2026, 3, 17), date(2026, 3, 19), True)]
    assert [(f.round, f.due_on, f.on_time, f.satisfied) for f in p.follow_ups] == [
        (1, date(2026, 3, 16), True, False), (2, date(2026, 3, 20), True, True)]
    assert (q.state, q.response_due_on) == (State.investigating, date(2026, 3, 13))
    assert [(f.due_on, f.on_time) for f in r.follow_ups] == [(date(2026, 3, 20), True)]
    assert (s.state, s.acknowledged_at, s.acknowledge_due_on) == (State.withdrawn, None, date(2026, 3, 10))
    assert (t.state, [(a.round, a.method, a.told_text, a.on_time) for a in t.answers]) == (
        State.closed, [(1, None, "The night rota now has a second nurse.", True)])
    assert [(f.due_on, f.on_time) for f in u.follow_ups] == [(date(2026, 3, 20), False)]
    assert v.response_due_on == date(2026, 4, 7)
    assert (w.state, w.response_due_on, [a.on_time for a in w.answers]) == (
        State.investigating, date(2026, 4, 3), [True])
    return dict(p=p, q=q, r=r, s=s, t=t, u=u, v=v, w=w)


# measure → (shown on the page, numerator, denominator), worked out by hand from the list above
MARCH_FIGURES = {
    "received": ("8", None, None),
    "acknowledged_on_time": ("85.7 %", 6, 7),  # P Q R U V W of P Q R S U V W (S: never told; T anonymous)
    "responded_on_time": ("83.3 %", 5, 6),  # first answers: Q R T U W of P Q R T U W (V not due yet)
    "answered_again_on_time": ("50.0 %", 1, 2),  # P's second answer; Q's, overdue since 13 Mar (W not due)
    "closed": ("57.1 %", 4, 7),  # P R T U of all but S
    "followed_up": ("100.0 %", 5, 5),  # P Q R U W
    "followed_up_on_time": ("80.0 %", 4, 5),  # P Q R (as extended) W, not U
    "satisfied": ("60.0 %", 3, 5),  # P R U of P Q R U W, as they last said
    "median_days": ("3", None, None),  # to the first answer: U 1, R 2, Q 3, T 3, W 3, P 7 → (3 + 3) / 2
    "median_days_to_close": ("7", None, None),  # T 3, U 6, R 8, P 12 → (6 + 8) / 2
    "finding_upheld": ("66.7 %", 4, 6),  # P T U W
    "finding_partly_upheld": ("16.7 %", 1, 6),  # Q
    "finding_not_upheld": ("16.7 %", 1, 6),  # R
    "finding_malicious": ("0.0 %", 0, 6),
    "reopened": ("50.0 %", 3, 6),  # P Q W of those given a first answer
    "extended": ("14.3 %", 1, 7),  # V (R's extension was of its follow-up)
    "overdue_now": ("1", None, None),  # Q
    "reported_back_on_time": ("—", 0, 0),  # no referral (tests/test_referrals.py counts them)
}


def test_every_measure_is_worked_out_here():
    assert set(MARCH_FIGURES) == {m.key for m in kpis.MEASURES}


@pytest.mark.parametrize("key", list(MARCH_FIGURES))
def test_each_figure_is_the_hand_worked_one(world, march, key):
    with clock_at(READ_ON):
        figures = kpis.figures(Scope(world.leadership), MARCH)
    shown, numerator, denominator = MARCH_FIGURES[key]
    assert figures.shown(key) == shown
    if numerator is not None:
        value = figures.value(key)
        assert (value.numerator, value.denominator) == (numerator, denominator)


def _as_spreadsheet(shown: str):
    """What the XLSX cell holds for a figure the page shows: a number (empty for a rate of nothing)."""
    if shown == "—":
        return None
    number = float(shown.removesuffix(" %"))
    return int(number) if "%" not in shown and number.is_integer() and "." not in shown else number


def test_the_page_the_xlsx_and_the_csv_show_the_same_figures(world, client, march):
    login(client, world.leadership)
    with force_locale("en"):
        labels = {m.key: str(m.label) for m in kpis.MEASURES}
    with clock_at(READ_ON):
        page = client.get("/reports?period=2026-03&lang=en").get_data(as_text=True)
        book = load_workbook(io.BytesIO(client.get("/reports/kpis.xlsx?period=2026-03&lang=en").data))
        lines = client.get("/reports/kpis.csv?period=2026-03&lang=en").data.decode("utf-8-sig")
    on_page = {unescape(label): value for label, value in re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="number[^"]*">\s*([^<\s][^<]*?)\s*(?:<|$)', page)}
    in_xlsx = {row[0]: row[1] for row in book["KPIs"].iter_rows(min_row=2, values_only=True)}
    # The last line says whether the month is closed ("As of …"), after a blank one: not a figure.
    in_csv = {row[0]: row[1] for row in list(csv.reader(io.StringIO(lines)))[1:] if len(row) >= 2}
    for key, (shown, _n, _d) in MARCH_FIGURES.items():
        label = labels[key]
        assert on_page[label] == shown, key
        assert in_xlsx[label] == _as_spreadsheet(shown), key
        assert in_csv[label] == ("" if shown == "—" else str(_as_spreadsheet(shown))), key


def test_the_definitions_are_written_beside_the_figures_in_both_languages(world, client, march):
    login(client, world.leadership)
    with clock_at(READ_ON):
        english = client.get("/reports?period=2026-03&lang=en").get_data(as_text=True)
        chinese = client.get("/reports?period=2026-03&lang=zh").get_data(as_text=True)
    assert "Complaints whose first answer was given by the first response due date" in english
    assert "An extension of the follow-up's due date is not counted." in unescape(english)
    assert "回访及时率" in chinese and "首次答复" in chinese


def test_an_answer_reopened_is_kept_and_the_page_shows_every_answer_in_order(world, client, march):
    p = march["p"]
    login(client, world.reception)
    page = client.get(f"/complaints/{p.reference}?lang=en").get_data(as_text=True)
    history = page[page.index('id="answers"'):]
    assert "Answer 1" in history and "Answer 2" in history
    assert history.index("Answer 1") < history.index("Answer 2")
    assert "Late" in history[:history.index("Answer 2")]
    record = client.get(f"/complaints/{p.reference}/record?lang=en").get_data(as_text=True)  # for the archive
    assert "Answer 1 · 11 Mar 2026 (late)" in record and "Answer 2 · 17 Mar 2026" in record


def test_an_answer_edited_in_the_database_fails_audit_verify_naming_the_complaint(app_ctx, world, march):
    p = march["p"]
    first = db.session.scalar(select(ComplaintAnswer.id).where(ComplaintAnswer.complaint_id == p.id,
                                                               ComplaintAnswer.round == 1))
    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE complaint_answers SET told_text = :told WHERE id = :id"),
                           {"told": "We answered on time.", "id": first})
    db.session.expire_all()
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{p.reference}: answers is not what its timeline recorded" in result.output
    assert "1 broken" in result.output
