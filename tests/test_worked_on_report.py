"""The report by every department that worked on a complaint (lead or contributing), beside the tables by
department, which count the lead only. Worked out by hand on a month of its own, November 2026:

- A, Wed 18 Nov: cardiology leads; nursing is asked (due Mon 23) and records its part that day, on time;
  pharmacy is asked for Fri 20 and records its part on Tue 24, late.
- B, Wed 18 Nov: cardiology leads; nursing is asked and taken off again; pharmacy is asked and leadership
  waives its part.
- C, Wed 18 Nov: nursing leads, alone.
- D, Wed 18 Nov: registered, no department yet.

So: cardiology worked on 2 (led 2); nursing on 2 (led C, contributed to A: 1 part, on time); pharmacy on 2
(contributed to A and B: 1 part recorded, late; 1 waived). Four complaints received, six departments' work.
"""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.core.departments import Department
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.reports import analysis, closing
from intranet.reports.kpis import Scope
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import login

NOVEMBER = Period.parse("2026-11")
PART = {"findings": "Our part of it.", "responsibility": "not_upheld"}


def do(who, action, complaint, **data):
    operations.perform(who, action, complaint, data, complaint.version)
    db.session.commit()


@pytest.fixture
def month(world):
    phar = Department(code="PHAR", name_zh="药剂科", name_en="Pharmacy")
    db.session.add(phar)
    phar_head = factories.make_user("head-phar", "head", phar)
    db.session.commit()
    a = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, a)
    factories.ask_contribution(world, a, department=phar, due_on=date(2026, 11, 20))
    do(world.other_head, Action.contribute, a, department_id=world.nursing.id, **PART)
    with clock_at(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)):
        do(phar_head, Action.contribute, a, department_id=phar.id, **PART)
    b = factories.make_complaint(world, State.investigating)
    factories.ask_contribution(world, b)
    do(world.reception, Action.remove_contribution, b, department_id=world.nursing.id, reason="Not theirs.")
    factories.ask_contribution(world, b, department=phar)
    do(world.leadership, Action.waive_contribution, b, department_id=phar.id, reason="The pharmacy log is here.")
    c = factories.make_complaint(world, State.registered)
    do(world.reception, Action.assign, c, department_id=world.nursing.id)
    factories.make_complaint(world, State.registered)
    return dict(a=a, b=b, c=c, phar=phar)


ROWS = [("Cardiology", 2, 2, 0, 0, 0, 0), ("Nursing", 2, 1, 1, 1, 1, 0), ("Pharmacy", 2, 0, 2, 1, 0, 1)]


def rows_of(found):
    return [(r.department, r.worked_on, r.led, r.contributed, r.parts_recorded, r.parts_on_time, r.parts_waived)
            for r in found]


def test_every_department_that_worked_on_them(world, month):
    with force_locale("en"):
        assert rows_of(analysis.worked_on(Scope(world.leadership), NOVEMBER)) == ROWS


def test_a_head_counts_what_they_see(world, month):
    # Nursing's head sees C (theirs) and A (its part), not B (taken off): nursing led 1, contributed to 1.
    with force_locale("en"):
        assert rows_of(analysis.worked_on(Scope(world.other_head), NOVEMBER)) == [
            ("Nursing", 2, 1, 1, 1, 1, 0), ("Cardiology", 1, 1, 0, 0, 0, 0), ("Pharmacy", 1, 0, 1, 1, 0, 0)]


def test_the_export_and_the_closed_period_keep_it(world, client, month):
    login(client, world.leadership)
    csv = client.get("/reports/kpis.csv?period=2026-11&table=worked_on&lang=en").get_data(as_text=True)
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[:4] == ["Department,Worked on,As lead,Contributing,Parts recorded,Parts on time,Parts waived",
                         "Cardiology,2,2,0,0,0,0", "Nursing,2,1,1,1,1,0", "Pharmacy,2,0,2,1,0,1"]
    assert lines[5].startswith('"Every department that worked on the period\'s complaints: the lead department')
    with clock_at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC)):
        closed = closing.close(world.leadership, NOVEMBER)
        # Changed after closing: the closed period still shows what it showed.
        do(world.reception, Action.ask_contribution, month["c"], department_id=month["phar"].id)
        page = client.get("/reports/monthly/2026-11?lang=en").get_data(as_text=True)
    assert [tuple(r.values()) for r in closed.figures["en"]["worked_on"]] == ROWS
    assert [r["department"] for r in closed.figures["zh"]["worked_on"]] == ["心血管内科", "护理部", "药剂科"]
    table = page[page.index('id="table-worked-on"'):]
    assert '<th scope="row" class="nowrap">Pharmacy</th><td class="number">2</td><td class="number">0</td>' in table
    assert "A complaint several departments worked on counts once for each of them" in page
