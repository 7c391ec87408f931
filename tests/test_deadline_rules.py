"""The deadline policy per clock and severity, in working days or in hours: the due moment each rule gives
(policy.due), how lateness, the sweep and on-time judge it, and the rules' table itself. Frozen time."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint, Severity
from intranet.complaints.sweep import sweep
from intranet.core.extensions import db
from intranet.core.time import clock_at, today
from intranet.deadlines import policy
from intranet.deadlines.models import SEVERITIES, Clock, DeadlineBreach, DeadlinePolicy, Unit
from intranet.reports import kpis
from intranet.reports.kpis import Scope
from intranet.reports.periods import Period
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=10, minute=0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def rule(clock: Clock, severity: str, amount: int, unit: Unit) -> None:
    policy.set_rule(clock, severity, amount, unit)
    db.session.commit()


def late(complaint, moment: datetime) -> tuple[str | None, int]:
    """What the complaint's page says is late at `moment`, and how many complaints the overdue queue holds."""
    db.session.expire_all()
    with clock_at(moment):
        return complaint.late_clock(), db.session.scalar(
            select(func.count()).where(Complaint.overdue_clause(today())))


# --- the one function: when is clock C due for severity S, complexity X, started at T ----------------------


def test_policy_due_answers_for_each_severity_and_complexity(app_ctx):
    rule(Clock.respond_simple, "major", 48, Unit.hours)
    rule(Clock.respond_several_departments, "serious", 8, Unit.working_days)
    start = at(2026, 3, 4)  # Wednesday 10:00
    assert policy.due(Clock.respond_simple, "major", "simple", start) == policy.Due(
        on=date(2026, 3, 6), at=at(2026, 3, 6))
    # Complexity chooses the response clock's variant, whichever variant is named.
    assert policy.due(Clock.respond_simple, "major", "several_departments", start) == policy.Due(
        on=date(2026, 3, 18))
    assert policy.due(Clock.respond_simple, "serious", "several_departments", start) == policy.Due(
        on=date(2026, 3, 16))
    assert policy.due(Clock.respond_simple, "minor", "simple", start) == policy.Due(on=date(2026, 3, 11))
    assert policy.due(Clock.acknowledge, "major", "simple", start) == policy.Due(on=date(2026, 3, 5))


def test_the_defaults_are_today_s_working_days_for_every_severity(app_ctx):
    assert {key: (r.amount, r.unit.value) for key, r in policy.all_rules().items()} == {
        (clock, severity): (days, "working_days")
        for clock, days in [(Clock.acknowledge, 1), (Clock.respond_simple, 5), (Clock.respond_several_departments, 10),
                            (Clock.follow_up, 3), (Clock.reopened, 5),
                            (Clock.report_back, 2)]
        for severity in ("minor", "serious", "major")}


def test_the_policy_s_severities_are_the_complaint_s(app_ctx):
    assert tuple(s.value for s in Severity) == SEVERITIES


# --- a clock in hours --------------------------------------------------------------------------------------


def test_a_major_complaint_answered_within_48_hours_is_due_friday_10_00_and_overdue_at_10_01(world):
    rule(Clock.respond_simple, "major", 48, Unit.hours)
    with clock_at(at(2026, 3, 4)):  # received Wednesday 10:00
        complaint = factories.make_complaint(world, State.registered)
    with clock_at(at(2026, 3, 4, 11)):  # found major at triage, an hour later: the clock runs from receipt
        operations.perform(world.reception, Action.triage, complaint,
                           {**factories.action_data(Action.triage, world, complaint), "severity": "major"},
                           complaint.version)
        db.session.commit()
    assert (complaint.response_due_on, complaint.response_due_at) == (date(2026, 3, 6), at(2026, 3, 6))
    rule(Clock.acknowledge, "minor", 90, Unit.hours)  # out of the way of this test
    complaint.acknowledged_at = at(2026, 3, 4, 10, 5)
    db.session.commit()

    assert late(complaint, at(2026, 3, 6, 9, 59)) == (None, 0)
    assert late(complaint, at(2026, 3, 6, 10, 0)) == (None, 0)
    assert late(complaint, at(2026, 3, 6, 10, 1)) == ("response", 1)

    with clock_at(at(2026, 3, 6, 10, 0)):
        assert sweep().breaches == 0
    with clock_at(at(2026, 3, 6, 10, 1)):
        report = sweep()
    assert (report.breaches, report.escalated) == (1, [complaint.reference])
    breach = db.session.scalar(select(DeadlineBreach))
    assert (breach.clock, breach.due_on) == ("response", date(2026, 3, 6))
    with clock_at(at(2026, 3, 6, 16)):
        assert sweep().breaches == 0  # once only


def test_an_ordinary_complaint_acknowledged_within_24_hours_across_a_weekend(world):
    rule(Clock.acknowledge, "minor", 24, Unit.hours)
    with clock_at(at(2026, 3, 6, 15)):  # Friday 15:00
        on_saturday = factories.make_complaint(world)
        on_monday = factories.make_complaint(world)
    # Elapsed hours: Saturday 15:00, not the next working day (Monday) that one working day gives.
    assert (on_saturday.acknowledge_due_on, on_saturday.acknowledge_due_at) == (date(2026, 3, 7), at(2026, 3, 7, 15))
    assert late(on_saturday, at(2026, 3, 7, 15, 0)) == (None, 0)
    assert late(on_saturday, at(2026, 3, 7, 15, 1)) == ("acknowledge", 2)

    for complaint, when in ((on_saturday, at(2026, 3, 7, 14, 30)), (on_monday, at(2026, 3, 9, 9))):
        with clock_at(when):
            operations.perform(world.reception, Action.acknowledge, complaint,
                               {"acknowledged_via": "phone"}, complaint.version)
            db.session.commit()
    assert (on_saturday.acknowledged_on_time, on_monday.acknowledged_on_time) == (True, False)


def test_a_response_met_within_the_day_but_after_its_hour_is_late(world):
    rule(Clock.respond_simple, "major", 48, Unit.hours)
    with clock_at(at(2026, 3, 4)):
        complaint = factories.make_complaint(world, State.awaiting_approval)  # major: leadership approves
        operations.perform(world.leadership, Action.approve, complaint,
                           factories.action_data(Action.approve, world, complaint), complaint.version)
        db.session.commit()
    assert complaint.state == State.signed_off and complaint.response_due_at == at(2026, 3, 6)
    with clock_at(at(2026, 3, 6, 10, 30)):  # Friday, the due day, half an hour after the due moment
        operations.perform(world.reception, Action.respond, complaint,
                           factories.action_data(Action.respond, world, complaint), complaint.version)
        db.session.commit()
    assert complaint.responded_on == date(2026, 3, 6) and complaint.responded_on_time is False


def test_an_extension_gives_a_date_and_the_clock_is_due_by_its_end(world):
    rule(Clock.respond_simple, "major", 48, Unit.hours)
    with clock_at(at(2026, 3, 4)):
        complaint = factories.make_complaint(world, State.investigating, severity="major")
    with clock_at(at(2026, 3, 5)):
        operations.perform(world.head, Action.extend, complaint,
                           {**factories.action_data(Action.extend, world, complaint), "new_due_on": date(2026, 3, 9)},
                           complaint.version)
        db.session.commit()
    assert (complaint.response_due_on, complaint.response_due_at) == (date(2026, 3, 9), None)
    complaint.acknowledged_at = at(2026, 3, 4, 11)
    db.session.commit()
    assert late(complaint, at(2026, 3, 9, 23, 59)) == (None, 0)
    assert late(complaint, at(2026, 3, 10, 0, 0)) == ("response", 1)


def test_a_policy_change_never_moves_a_due_moment_already_set(world):
    with clock_at(at(2026, 3, 4)):
        before = factories.make_complaint(world, State.registered, severity="major")
        rule(Clock.respond_simple, "major", 48, Unit.hours)
        after = factories.make_complaint(world, State.registered, severity="major")
    db.session.expire_all()
    assert (before.response_due_on, before.response_due_at) == (date(2026, 3, 11), None)
    assert (after.response_due_on, after.response_due_at) == (date(2026, 3, 6), at(2026, 3, 6))


# --- a clock in working days -------------------------------------------------------------------------------


def test_a_working_day_clock_counts_a_make_up_day_and_ends_with_its_last_day(world):
    rule(Clock.respond_simple, "serious", 3, Unit.working_days)
    with clock_at(at(2026, 2, 12)):  # Thursday before the Spring Festival
        complaint = factories.make_complaint(world, State.registered, severity="serious")
    # Friday 13, Saturday 14 (a make-up working day, 调休), then the holiday 15–23, then Tuesday 24.
    assert (complaint.response_due_on, complaint.response_due_at) == (date(2026, 2, 24), None)
    complaint.acknowledged_at = at(2026, 2, 12, 11)
    db.session.commit()
    assert late(complaint, at(2026, 2, 24, 23, 59)) == (None, 0)
    assert late(complaint, at(2026, 2, 25, 0, 0)) == ("response", 1)


# --- the rules' table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "unit"), [(0, "working_days"), (-1, "hours"), (61, "working_days"),
                                              (721, "hours"), (5, "weeks")])
def test_the_database_refuses_a_rule_out_of_range(app_ctx, amount, unit):
    rule(Clock.acknowledge, "major", 2, Unit.working_days)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE deadline_policies SET amount = :amount, unit = :unit "
                                "WHERE clock = 'acknowledge' AND severity = 'major'"),
                           {"amount": amount, "unit": unit})
        db.session.flush()
    db.session.rollback()


def test_the_database_holds_one_rule_per_clock_and_severity(app_ctx):
    rule(Clock.acknowledge, "major", 2, Unit.working_days)
    with pytest.raises(IntegrityError):
        db.session.add(DeadlinePolicy(clock="acknowledge", severity="major", amount=2, unit="working_days"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.add(DeadlinePolicy(clock="acknowledge", severity="urgent", amount=2, unit="working_days"))
        db.session.flush()
    db.session.rollback()


def test_the_migration_carries_each_clock_over_to_every_severity(app_ctx):
    downgrade(revision="b9a55c0de0022")
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM deadline_policies"))
        connection.execute(text(
            "INSERT INTO deadline_policies (clock, working_days) VALUES ('acknowledge', 1), ('respond_simple', 7), "
            "('respond_several_departments', 10), ('follow_up', 3), ('reopened', 5)"))
    upgrade()
    db.engine.dispose()
    rows = db.session.execute(select(DeadlinePolicy.clock, DeadlinePolicy.severity, DeadlinePolicy.amount,
                                     DeadlinePolicy.unit).order_by(DeadlinePolicy.clock, DeadlinePolicy.severity)).all()
    assert rows == [
        ("acknowledge", "major", 1, "working_days"), ("acknowledge", "minor", 1, "working_days"),
        ("acknowledge", "serious", 1, "working_days"),
        ("follow_up", "major", 3, "working_days"), ("follow_up", "minor", 3, "working_days"),
        ("follow_up", "serious", 3, "working_days"),
        ("reopened", "major", 5, "working_days"), ("reopened", "minor", 5, "working_days"),
        ("reopened", "serious", 5, "working_days"),
        # The referrals' report back, added later with its default.
        ("report_back", "major", 2, "working_days"), ("report_back", "minor", 2, "working_days"),
        ("report_back", "serious", 2, "working_days"),
        ("respond_several_departments", "major", 10, "working_days"),
        ("respond_several_departments", "minor", 10, "working_days"),
        ("respond_several_departments", "serious", 10, "working_days"),
        ("respond_simple", "major", 7, "working_days"), ("respond_simple", "minor", 7, "working_days"),
        ("respond_simple", "serious", 7, "working_days"),
    ]


def test_the_reports_count_an_hours_clock_due_from_its_moment(world):
    """A response due Friday 10:00 and still not given: in the response denominator (late) from 10:01 on
    the due day, not from the next day as a working-day clock would be."""
    rule(Clock.respond_simple, "major", 48, Unit.hours)
    with clock_at(at(2026, 3, 4)):
        complaint = factories.make_complaint(world, State.investigating, severity="major")
    assert complaint.response_due_at == at(2026, 3, 6)
    complaint.acknowledged_at = at(2026, 3, 4, 11)
    db.session.commit()
    march = Period.parse("2026-03")
    for moment, due, overdue in ((at(2026, 3, 6, 9, 59), 0, 0), (at(2026, 3, 6, 10, 1), 1, 1)):
        with clock_at(moment):
            figures = kpis.figures(Scope(world.leadership), march)
        assert (figures.counts["response_due"], figures.counts["responded_on_time"],
                figures.counts["overdue_now"]) == (due, 0, overdue), moment
