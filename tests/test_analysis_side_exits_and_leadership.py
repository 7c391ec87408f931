"""The monthly analysis says what left by a side exit and why, and what came to leadership: escalations by
why (a deadline missed, the complainant not satisfied, raised by the staff, a major complaint), and the
major answers approved or returned. Worked out by hand on the month of test_kpi_definitions, with more:

- D, Tue 3 Mar: not accepted, "Not about the hospital's care."
- M, Wed 4 Mar: triaged as major; signed off Thu 5, returned by leadership Fri 6, signed off again and
  approved Mon 9; told Tue 10, satisfied Wed 11.
- The SLA sweep on Tue 17 Mar finds Q overdue (due again 13 Mar) and escalates it: the only one open and
  late that day.
- V escalated by reception on Wed 25 Mar; E, Wed 25 Mar, marked a duplicate of Q.

So March: not accepted D, withdrawn S, duplicate E; escalated overdue 1 (Q), not satisfied 3 (P on 12 Mar,
Q on 6 Mar, W on 27 Mar), by the staff 1 (V), major 1 (M); approved 1, returned 1.
"""

from __future__ import annotations

import pytest

from intranet.complaints import operations, sweep
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.reports import analysis
from intranet.reports.kpis import Scope
from tests import factories
from tests.conftest import login
from tests.test_kpi_definitions import MARCH, READ_ON, at, march  # noqa: F401
from tests.test_kpis import Month


def _by(world, who, complaint, action, when, **data):
    with clock_at(when):
        payload = {**factories.action_data(action, world, complaint), **data}
        operations.perform(who, action, complaint, payload, complaint.version)
        db.session.commit()


@pytest.fixture
def month(world, march):  # noqa: F811
    m = Month(world)
    d = m.receive(at(3, 3))
    m.act(d, Action.decline, at(3, 3), reason="Not about the hospital's care.")

    major = m.receive(at(3, 4))
    m.acknowledge(major, at(3, 4))
    m.act(major, Action.triage, at(3, 4), severity="major")
    m.act(major, Action.assign, at(3, 4))
    m.act(major, Action.accept, at(3, 4))
    m.act(major, Action.record_findings, at(3, 5), responsibility="upheld")
    m.act(major, Action.sign_off, at(3, 5))
    _by(world, world.leadership, major, Action.return_for_rework, at(3, 6), comment="Say what changes on the ward.")
    m.act(major, Action.sign_off, at(3, 9))
    _by(world, world.leadership, major, Action.approve, at(3, 9))
    m.act(major, Action.respond, at(3, 10), method="phone", responded_on=at(3, 10).date(), told_text="Sorry.")
    m.act(major, Action.follow_up, at(3, 11), method="phone", satisfied=True)

    with clock_at(at(3, 17)):
        sweep.sweep()
        db.session.commit()

    m.act(march["v"], Action.escalate, at(3, 25), reason="The complainant's MP wrote to us.")
    e = m.receive(at(3, 25))
    m.act(e, Action.mark_duplicate, at(3, 25), original=march["q"].reference)
    assert (d.state, major.state, e.state) == (State.not_accepted, State.closed, State.duplicate)
    return dict(march, d=d, major=major, e=e)


def test_the_side_exits_with_their_reasons(world, month):
    with clock_at(READ_ON):
        exits = analysis.side_exits(Scope(world.leadership), MARCH)
    assert exits.counts == {"not_accepted": 1, "withdrawn": 1, "duplicate": 1}
    assert exits.total == 3
    assert [(e.complaint.reference, e.reason) for e in exits.listed] == [
        (month["d"].reference, "Not about the hospital's care."),
        (month["s"].reference, "Complainant says the matter is settled."),
        (month["e"].reference, month["q"].reference)]


def test_leadership_s_work_by_reason(world, month):
    with clock_at(READ_ON):
        work = analysis.leadership_work(Scope(world.leadership), MARCH)
    assert work.escalations == {"overdue": 1, "not_satisfied": 3, "manual": 1, "major": 1}
    assert (work.approved, work.returned) == (1, 1)


def test_a_head_counts_only_their_department_s(world, month):
    with clock_at(READ_ON):
        work = analysis.leadership_work(Scope(world.other_head), MARCH)
        exits = analysis.side_exits(Scope(world.other_head), MARCH)
    assert work.escalations == {"overdue": 0, "not_satisfied": 0, "manual": 0, "major": 0}
    assert exits.total == 0


def test_the_analysis_shows_them(world, client, month):
    login(client, world.leadership)
    with clock_at(READ_ON):
        page = client.get("/reports/monthly/2026-03?lang=en").get_data(as_text=True)
    assert 'id="table-exits"' in page and f"Repeats {month['q'].reference}" in page
    assert "Not about the hospital&#39;s care." in page
    leadership = page[page.index('id="table-leadership"'):]
    assert "Escalated: the complainant not satisfied</th><td class=\"number\">3</td>" in leadership
    assert "Answers returned to the department</th><td class=\"number\">1</td>" in leadership
