"""The KPIs (SPEC §7), computed on a month built by hand through the real operations, with the answers
worked out on paper beforehand.

September 2026 at the hospital (Asia/Shanghai): 20 Sep (a Sunday) is a make-up working day, 25–27 Sep are
the Mid-autumn holiday, 1–7 Oct National Day, and 10 Oct (a Saturday) a make-up working day. The figures
are read on 20 Oct 2026.

- A, Wed 23 Sep: acknowledged 24 Sep (due 24); upheld; told 29 Sep (due 8 Oct); satisfied, so closed.
  3 working days to respond.
- B, Thu 24 Sep: acknowledged Mon 28 Sep after the holiday (due 28, on time); partly upheld; told 12 Oct
  (due 9 Oct: late), 7 working days (Sat 10 Oct counts); not followed up by 15 Oct: overdue.
- C, Sat 19 Sep: acknowledged Mon 21 Sep, but it was due on the make-up Sunday 20 Sep: late. Withdrawn, so
  not the hospital's to close.
- D, Wed 30 Sep 23:30: September's, though 15:30 UTC. Nothing done: acknowledgement due 8 Oct, response
  13 Oct, both overdue.
- F, Tue 22 Sep: anonymous, resolved on the spot the same day (0 working days): no acknowledgement clock,
  no follow-up clock.
- G, Mon 21 Sep: acknowledged 21 Sep; malicious; told 22 Sep; not satisfied on 23 Sep, so reopened with a
  new response due 8 Oct: overdue.
- H, Mon 28 Sep: acknowledged 28 Sep; extended to 16 Oct; not upheld; told 15 Oct (on time), 9 working days;
  follow-up due 20 Oct, not late yet.
- Thu 1 Oct 00:30 is October's, though 30 Sep 16:30 UTC; Mon 31 Aug 23:59 is August's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from intranet.complaints import operations, registration
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from intranet.core.time import clock_at, today
from intranet.reports import kpis
from intranet.reports.kpis import DIMENSIONS, Scope
from intranet.reports.periods import Period
from tests import factories

BEIJING = ZoneInfo("Asia/Shanghai")
SEPTEMBER = Period.parse("2026-09")
READ_ON = datetime(2026, 10, 20, 10, 0, tzinfo=BEIJING)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


class Month:
    """Drives complaints through the real operations, each action at its own moment."""

    def __init__(self, world):
        self.world = world

    def receive(self, when: datetime, **data):
        with clock_at(when):
            complaint = registration.create(None, factories.public_complaint_data(**data), received_at=when).complaint
            db.session.commit()
        return complaint

    def act(self, complaint, action: Action, when: datetime, **data):
        who = {Action.accept: self.world.head, Action.record_findings: self.world.head,
               Action.sign_off: self.world.head, Action.extend: self.world.head,
               Action.confirm_malicious: self.world.leadership}.get(action, self.world.reception)
        with clock_at(when):
            payload = {**factories.action_data(action, self.world, complaint), **data}
            operations.perform(who, action, complaint, payload, complaint.version)
            db.session.commit()

    def acknowledge(self, complaint, when: datetime):
        self.act(complaint, Action.acknowledge, when, acknowledged_via="phone", acknowledged_on=when.date())

    def to_department(self, complaint, when: datetime):
        for action in (Action.triage, Action.assign, Action.accept):
            self.act(complaint, action, when)

    def answer(self, complaint, finding: str, signed: datetime, told: datetime, **findings):
        self.act(complaint, Action.record_findings, signed, responsibility=finding, **findings)
        if finding == "malicious":  # the head's finding stands once leadership confirms it
            self.act(complaint, Action.confirm_malicious, signed)
        self.act(complaint, Action.sign_off, signed)
        self.act(complaint, Action.respond, told, method="phone", responded_on=told.date(),
                 told_text="We looked into it.")


@pytest.fixture
def september(world):
    m = Month(world)
    a = m.receive(at(9, 23))
    m.acknowledge(a, at(9, 24))
    m.to_department(a, at(9, 24))
    m.answer(a, "upheld", at(9, 28), at(9, 29))
    m.act(a, Action.follow_up, at(9, 30), method="phone", satisfied=True)

    b = m.receive(at(9, 24))
    m.acknowledge(b, at(9, 28))
    m.to_department(b, at(9, 28))
    m.answer(b, "partly_upheld", at(10, 12), at(10, 12))

    c = m.receive(at(9, 19))
    m.acknowledge(c, at(9, 21))
    m.act(c, Action.withdraw, at(9, 22))

    d = m.receive(at(9, 30, 23, 30))

    f = m.receive(at(9, 22), anonymous=True, complainant_name=None, complainant_phone=None, complainant_email=None)
    m.act(f, Action.resolve_on_the_spot, at(9, 22), method="in_person")

    g = m.receive(at(9, 21), complainant_phone="13900139000")
    m.acknowledge(g, at(9, 21))
    m.to_department(g, at(9, 21))
    m.answer(g, "malicious", at(9, 21), at(9, 22), cause="The same claim, shown false, made again.")
    m.act(g, Action.follow_up, at(9, 23), method="phone", satisfied=False)

    h = m.receive(at(9, 28))
    m.acknowledge(h, at(9, 28))
    m.to_department(h, at(9, 28))
    m.act(h, Action.extend, at(9, 29), new_due_on=date(2026, 10, 16))
    m.answer(h, "not_upheld", at(10, 15), at(10, 15))

    m.receive(at(10, 1, 0, 30))
    m.receive(at(8, 31, 23, 59))
    complaints = dict(a=a, b=b, c=c, d=d, f=f, g=g, h=h)
    # What the table above says of each, as the operations stored it.
    assert (b.response_due_on, d.acknowledge_due_on, d.response_due_on) == (
        date(2026, 10, 9), date(2026, 10, 8), date(2026, 10, 13))
    assert (c.acknowledge_due_on, c.acknowledged_on_time) == (date(2026, 9, 20), False)
    assert (g.state, g.reopened_count, g.response_due_on) == (State.investigating, 1, date(2026, 10, 8))
    assert (h.response_due_on, h.responded_on_time, h.follow_up_due_on) == (
        date(2026, 10, 16), True, date(2026, 10, 20))
    assert f.follow_up_due_on is None  # anonymous: nobody to follow up
    return complaints


# measure → (shown, numerator, denominator) for September as a whole
SEPTEMBER_FIGURES = {
    "received": ("7", None, None),
    "acknowledged_on_time": ("66.7 %", 4, 6),  # A B G H of A B C D G H (F has no clock)
    # By the first answer: G was answered on time before it was reopened. A F G H of A B F G H, and D.
    "responded_on_time": ("66.7 %", 4, 6),
    "answered_again_on_time": ("0.0 %", 0, 1),  # G reopened, due again 8 Oct, not answered yet
    "closed": ("16.7 %", 1, 6),  # A of all but C (withdrawn)
    "followed_up": ("66.7 %", 2, 3),  # A G of A G, and B past its follow-up date (H not yet, F anonymous)
    "followed_up_on_time": ("66.7 %", 2, 3),  # A and G, each the day after it was told
    "satisfied": ("50.0 %", 1, 2),  # A of A G
    "median_days": ("3", None, None),  # to the first answer: F 0, G 1, A 3, B 7, H 9
    "median_days_to_close": ("4", None, None),  # A only, 23 → 30 Sep: 24, 28, 29, 30
    "finding_upheld": ("25.0 %", 1, 4),
    "finding_partly_upheld": ("25.0 %", 1, 4),
    "finding_not_upheld": ("25.0 %", 1, 4),
    "finding_malicious": ("25.0 %", 1, 4),
    "reopened": ("20.0 %", 1, 5),  # G of A B F G H
    "extended": ("16.7 %", 1, 6),  # H of all but C
    "overdue_now": ("3", None, None),  # B (follow-up), D (acknowledgement, response), G (response)
    "reported_back_on_time": ("—", 0, 0),  # no referral (tests/test_referrals.py counts them)
}


@pytest.mark.parametrize("key", list(SEPTEMBER_FIGURES))
def test_each_measure_of_the_month_as_worked_out_by_hand(world, september, key):
    with clock_at(READ_ON):
        figures = kpis.figures(Scope(world.leadership), SEPTEMBER)
    shown, numerator, denominator = SEPTEMBER_FIGURES[key]
    assert figures.shown(key) == shown
    value = figures.value(key)
    if numerator is not None:
        assert (value.numerator, value.denominator) == (numerator, denominator)


def test_every_measure_is_checked_above():
    assert set(SEPTEMBER_FIGURES) == {m.key for m in kpis.MEASURES}


def test_the_anonymous_complaint_is_counted_as_received_but_in_no_follow_up_denominator(world, september):
    with clock_at(READ_ON):
        figures = kpis.figures(Scope(world.leadership), SEPTEMBER)
    assert figures.counts["anonymous"] == 1
    assert figures.counts["received"] == 7


@pytest.mark.parametrize(("slug", "received"), [("2026-08", 1), ("2026-10", 1), ("2026-Q3", 8), ("2026", 9)])
def test_a_complaint_belongs_to_the_period_it_was_received_in_at_the_hospital(world, september, slug, received):
    with clock_at(READ_ON):
        assert kpis.figures(Scope(world.leadership), Period.parse(slug)).counts["received"] == received


def test_by_department_ranks_them_and_a_head_sees_only_their_own(world, september):
    with clock_at(READ_ON):
        rows = kpis.table(Scope(world.leadership), SEPTEMBER, DIMENSIONS["department"])
        head_rows = kpis.table(Scope(world.head), SEPTEMBER, DIMENSIONS["department"])
        other_head = kpis.figures(Scope(world.other_head), SEPTEMBER)
    # Cardiology: A B G H, responded on time A G H of A B G H, closed A of four. Not assigned: C D F,
    # responded on time F of F D, closed none of D F: nobody's work yet, shown after, not ranked.
    ranked = [(r.rank, r.key, r.figures.counts["received"], r.figures.shown("responded_on_time"),
               r.figures.shown("closed")) for r in rows]
    assert ranked == [(1, world.cardiology.id, 4, "75.0 %", "25.0 %"), (None, None, 3, "50.0 %", "0.0 %")]
    assert [(r.key, r.figures.counts["received"]) for r in head_rows] == [(world.cardiology.id, 4)]
    assert other_head.counts["received"] == 0


def test_by_the_department_where_it_happened_beside_the_one_that_works_it(world, september):
    factories.make_complaint(world, State.registered, subject_department_id=world.cardiology.id)
    rows = kpis.table(Scope(world.leadership), Period.month_of(today()), DIMENSIONS["subject_department"])
    # Recorded on the complaint at registration; not ranked (the ranking is of the departments' work).
    assert [(r.rank, r.key, r.figures.counts["received"]) for r in rows] == [(None, world.cardiology.id, 1)]


def test_by_channel_and_severity(world, september):
    with clock_at(READ_ON):
        channels = kpis.table(Scope(world.leadership), SEPTEMBER, DIMENSIONS["channel"])
        severities = kpis.table(Scope(world.leadership), SEPTEMBER, DIMENSIONS["severity"])
    assert [(r.key, r.figures.counts["received"]) for r in channels] == [("online", 7)]
    assert [(r.key, r.figures.counts["received"]) for r in severities] == [("minor", 7)]


def test_a_month_with_nothing_received_shows_no_rate_rather_than_zero(world):
    with clock_at(READ_ON):
        figures = kpis.figures(Scope(world.leadership), SEPTEMBER)
    assert figures.shown("received") == "0"
    assert figures.shown("acknowledged_on_time") == "—"
    assert figures.met("acknowledged_on_time") is None


@pytest.mark.parametrize(("text", "period"), [
    ("2026-11", (2026, "month", 11)), ("2026-Q4", (2026, "quarter", 4)), ("2026", (2026, "year", 1)),
    ("2026-13", None), ("2026-Q5", None), ("26-11", None), ("2026-11\x00", None), ("", None), ("1999", None),
])
def test_periods_in_urls(text, period):
    parsed = Period.parse(text)
    assert (parsed and (parsed.year, parsed.kind, parsed.index)) == period


@pytest.mark.parametrize(("slug", "previous", "last_year", "bounds_utc"), [
    ("2026-01", "2025-12", "2025-01", ("2025-12-31 16:00", "2026-01-31 16:00")),
    ("2026-Q1", "2025-Q4", "2025-Q1", ("2025-12-31 16:00", "2026-03-31 16:00")),
    ("2026", "2025", "2025", ("2025-12-31 16:00", "2026-12-31 16:00")),
])
def test_a_period_knows_its_neighbours_and_its_bounds_at_the_hospital(app_ctx, slug, previous, last_year, bounds_utc):
    period = Period.parse(slug)
    assert (period.previous().slug, period.last_year().slug) == (previous, last_year)
    assert tuple(b.strftime("%Y-%m-%d %H:%M") for b in period.bounds()) == bounds_utc
