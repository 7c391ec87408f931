"""Deadlines (SPEC §4): the working-day calendar, the deadline policy, the clocks, extensions and
overdue/due-soon — with frozen time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.complaints.queues import QUEUES, counts
from intranet.core.extensions import db
from intranet.core.roles import Role
from intranet.core.time import clock_at
from intranet.deadlines import calendar, policy
from intranet.deadlines.calendar import Coverage, add_working_days, next_working_day
from intranet.deadlines.models import Clock, DayKind, HospitalDay
from tests import factories
from tests.conftest import csrf_token, login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def hospital_day(day: date, kind: DayKind, reason="test") -> None:
    db.session.add(HospitalDay(day=day, kind=kind.value, reason=reason))
    db.session.commit()
    calendar.forget_hospital_days()


# --- the calendar -----------------------------------------------------------------------------------------


def test_five_working_days_after_12_february_2026_is_26_february(app_ctx):
    # Spring Festival 15–23 February is off; Saturday 14 February is a make-up working day (调休).
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert calendar.is_working_day(date(2026, 2, 14))
    # Saturday 28 February is worked too.
    assert add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert calendar.coverage(2026) == Coverage.official


def test_a_complaint_received_on_12_february_2026_is_due_on_26_february(world):
    with clock_at(at(2026, 2, 12)):
        complaint = factories.make_complaint(world)
    assert complaint.acknowledge_due_on == date(2026, 2, 13)
    assert complaint.response_due_on == date(2026, 2, 26)


def test_national_day_2026(app_ctx):
    # 1–7 October off (National Day with Mid-Autumn); Sunday 20 September and Saturday 10 October worked.
    assert next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert next_working_day(date(2026, 9, 19)) == date(2026, 9, 20)
    for day in range(1, 8):
        assert not calendar.is_working_day(date(2026, 10, day))


def test_a_hospital_closed_day_and_working_day_override_the_national_calendar(app_ctx):
    assert next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    hospital_day(date(2026, 3, 10), DayKind.closed, "Hospital anniversary")
    assert next_working_day(date(2026, 3, 9)) == date(2026, 3, 11)
    # A Sunday the hospital works, and a national holiday it works.
    hospital_day(date(2026, 3, 15), DayKind.working)
    assert next_working_day(date(2026, 3, 13)) == date(2026, 3, 15)
    hospital_day(date(2026, 10, 2), DayKind.working)
    assert next_working_day(date(2026, 9, 30)) == date(2026, 10, 2)


def test_a_hospital_closed_day_moves_a_new_complaints_due_date(world):
    hospital_day(date(2026, 3, 10), DayKind.closed)
    with clock_at(at(2026, 3, 9)):
        complaint = factories.make_complaint(world)
    assert complaint.acknowledge_due_on == date(2026, 3, 11)


def test_a_year_chinese_calendar_does_not_know_falls_back_to_rule_based_holidays_and_says_so(app_ctx):
    # chinese-calendar 1.11.0 raises for 2027; `holidays` knows its public holidays by rule but not 调休.
    assert calendar.coverage(2027) == Coverage.rule_based
    assert not calendar.is_working_day(date(2027, 10, 1))  # National Day
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert next_working_day(date(2027, 1, 1)) == date(2027, 1, 4)
    with force_locale("en"):
        warnings = calendar.warnings(date(2026, 11, 27))
    assert len(warnings) == 1 and "2027" in warnings[0]
    # Once the notice is out, the admin enters the make-up days; they count.
    hospital_day(date(2027, 2, 20), DayKind.working, "调休")
    assert calendar.is_working_day(date(2027, 2, 20))


def test_the_rule_based_table_is_what_the_installed_holidays_package_says():
    """The calendar reads `holidays`' CN days from a table: after upgrading the package (or chinese-calendar),
    run scripts/cn_holidays.py."""
    import importlib.util
    import json
    from pathlib import Path

    import holidays

    script = Path(__file__).resolve().parent.parent / "scripts" / "cn_holidays.py"
    spec = importlib.util.spec_from_file_location("cn_holidays", script)
    cn_holidays = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cn_holidays)
    assert json.loads(calendar.TABLE.read_text()) == cn_holidays.table_from_holidays(), "run scripts/cn_holidays.py"
    for year in (1990, 2001, 2027, 2031, 2100):
        cn = holidays.country_holidays("CN", years=year)
        day = date(year, 1, 1)
        while day.year == year:
            assert calendar.national_working_day(day) == cn.is_working_day(day), day
            day += timedelta(days=1)


def test_a_year_no_library_knows_counts_monday_to_friday_plus_hospital_days_and_says_so(app_ctx):
    assert calendar.coverage(2101) == Coverage.weekdays
    # 2101-01-01 is a Saturday: Monday to Friday only, no holidays known.
    assert next_working_day(date(2101, 1, 1)) == date(2101, 1, 3)
    assert add_working_days(date(2101, 1, 3), 5) == date(2101, 1, 10)
    hospital_day(date(2101, 1, 4), DayKind.closed, "New Year holiday")
    assert next_working_day(date(2101, 1, 3)) == date(2101, 1, 5)
    with force_locale("en"):
        warnings = calendar.warnings(date(2100, 12, 1))
    assert any("2101" in w and "Monday to Friday" in w for w in warnings)


def test_this_year_and_next_known_means_no_warning(app_ctx):
    assert calendar.warnings(date(2025, 6, 1)) == []


# --- the policy -------------------------------------------------------------------------------------------------


def test_the_policy_has_spec_defaults(app_ctx):
    assert policy.all_working_days() == {Clock.acknowledge: 1, Clock.respond_simple: 5,
                                         Clock.respond_several_departments: 10, Clock.follow_up: 3,
                                         Clock.reopened: 5, Clock.report_back: 2}


def test_operations_use_the_policy_and_a_change_does_not_rewrite_stored_due_dates(world):
    with clock_at(at(2026, 3, 2)):  # a Monday
        before = factories.make_complaint(world, State.assigned)
        several = factories.make_complaint(world)
        operations.perform(world.reception, Action.triage, several,
                           {"category_id": world.category.id, "severity": "minor",
                            "complexity": "several_departments"}, several.version)
        db.session.commit()
    assert before.response_due_on == date(2026, 3, 9)
    assert several.response_due_on == date(2026, 3, 16)

    policy.set_working_days(Clock.respond_simple, 8)
    policy.set_working_days(Clock.acknowledge, 2)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Complaint, before.id).response_due_on == date(2026, 3, 9)
    assert db.session.get(Complaint, before.id).acknowledge_due_on == date(2026, 3, 3)

    with clock_at(at(2026, 3, 2)):
        after = factories.make_complaint(world)
    assert after.response_due_on == date(2026, 3, 12)
    assert after.acknowledge_due_on == date(2026, 3, 4)


def test_the_follow_up_clock_comes_from_the_policy(world):
    policy.set_working_days(Clock.follow_up, 1)
    db.session.commit()
    with clock_at(at(2026, 3, 6)):  # Friday
        complaint = factories.make_complaint(world, State.responded)
    assert complaint.follow_up_due_on == date(2026, 3, 9)


def test_a_policy_outside_one_to_sixty_days_is_refused(app_ctx):
    for days in (0, 61):
        with pytest.raises(ValueError):
            policy.set_working_days(Clock.acknowledge, days)


# --- clocks met, and on time ------------------------------------------------------------------------------------


def test_each_clock_records_when_it_was_met_and_whether_on_time(world):
    with clock_at(at(2026, 3, 2)):  # Monday: acknowledge by Tuesday 3, respond by Monday 9
        complaint = factories.make_complaint(world, State.signed_off)
    assert complaint.acknowledged_at is None and complaint.acknowledged_on_time is None
    with clock_at(at(2026, 3, 10)):  # a day late: the response also tells them it was received (late)
        operations.perform(world.reception, Action.respond, complaint,
                           factories.action_data(Action.respond, world), complaint.version)
        db.session.commit()
    assert complaint.responded_on_time is False and complaint.acknowledged_on_time is False
    assert complaint.follow_up_due_on == date(2026, 3, 13)
    with clock_at(at(2026, 3, 13, 23)):  # late evening, still the due date at the hospital
        operations.perform(world.reception, Action.follow_up, complaint,
                           factories.action_data(Action.follow_up, world), complaint.version)
        db.session.commit()
    assert complaint.followed_up_on_time is True and complaint.state == State.closed


def test_acknowledging_on_the_day_is_on_time(world):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world)
    with clock_at(at(2026, 3, 3, 17)):
        operations.perform(world.reception, Action.triage, complaint,
                           {**factories.action_data(Action.triage, world), "acknowledged_via": "phone"},
                           complaint.version)
        db.session.commit()
    assert complaint.acknowledged_on_time is True


# --- extensions -------------------------------------------------------------------------------------------------


def _snapshot(complaint):
    db.session.expire_all()
    c = db.session.get(Complaint, complaint.id)
    events = db.session.scalar(select(func.count()).select_from(ComplaintEvent)
                               .where(ComplaintEvent.complaint_id == c.id))
    return c.response_due_on, c.follow_up_due_on, c.version, events


@pytest.mark.parametrize("missing", ["reason", "complainant_told_via"])
def test_an_extension_without_a_reason_or_complainant_notice_is_refused_and_changes_nothing(world, missing):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
        before = _snapshot(complaint)
        data = {"new_due_on": date(2026, 3, 20), "reason": "Waiting for the ward's records.",
                "complainant_told_via": "phone", missing: ""}
        with pytest.raises(operations.ActionInvalid) as refused:
            operations.perform(world.head, Action.extend, complaint, data, complaint.version)
        db.session.rollback()
    assert missing in refused.value.errors
    assert _snapshot(complaint) == before


@pytest.mark.parametrize("missing", ["reason", "complainant_told_via"])
def test_an_extension_form_without_them_answers_422_keeps_what_was_typed_and_changes_nothing(world, client,
                                                                                           missing):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
    before = _snapshot(complaint)
    login(client, world.head)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    fields = {"extend-csrf_token": token, "extend-version": str(complaint.version),
              "extend-new_due_on": "2026-03-20", "extend-reason": "Waiting for the ward's records.",
              "extend-complainant_told_via": "phone"}
    fields[f"extend-{missing}"] = ""
    response = client.post(f"/complaints/{complaint.reference}/extend", data=fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="2026-03-20"' in html
    if missing == "complainant_told_via":
        assert "Waiting for the ward&#39;s records." in html or "Waiting for the ward's records." in html
    assert _snapshot(complaint) == before


def test_an_extension_moves_the_due_date_and_shows_on_the_timeline(world, client):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    response = client.post(f"/complaints/{complaint.reference}/extend?lang=en", data={
        "extend-csrf_token": token, "extend-version": str(complaint.version), "extend-new_due_on": "2026-03-20",
        "extend-reason": "Waiting for the ward's records.", "extend-complainant_told_via": "phone"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).response_due_on == date(2026, 3, 20)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Extend the deadline" in page
    assert "ward&#39;s records" in page or "ward's records" in page
    assert "Was due" in page and "Now due" in page


# --- overdue and due soon -------------------------------------------------------------------------------------


def test_due_soon_means_due_today_or_the_next_working_day(world):
    with clock_at(at(2026, 3, 2)):  # acknowledged at once, so only the response clock counts
        complaint = factories.make_complaint(world, State.assigned)
        operations.perform(world.reception, Action.assign, complaint,
                           {"department_id": world.cardiology.id, "acknowledged_via": "phone"},
                           complaint.version)
        db.session.commit()
    assert complaint.response_due_on == date(2026, 3, 9)  # Monday
    with clock_at(at(2026, 3, 5)):  # Thursday: the next working day is Friday
        assert complaint.deadline_status() is None
    with clock_at(at(2026, 3, 6)):  # Friday: Monday is the next working day
        assert complaint.deadline_status() == "due_soon"
    with clock_at(at(2026, 3, 9)):
        assert complaint.deadline_status() == "due_soon"
    with clock_at(at(2026, 3, 10)):
        assert complaint.deadline_status() == "overdue"


@pytest.mark.parametrize(("day", "row_class", "badge"), [
    (5, "", None),                          # Thursday: due Monday, not the next working day yet
    (6, "row-due_soon", "Due soon"),        # Friday: Monday is the next working day
    (9, "row-due_soon", "Due today"),
    (10, "row-overdue", "Response overdue"),
])
def test_the_queue_row_and_the_card_say_how_near_the_deadline_is(world, client, day, row_class, badge):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
        operations.perform(world.reception, Action.acknowledge, complaint, {"acknowledged_via": "phone"},
                           complaint.version)
        db.session.commit()
    assert complaint.response_due_on == date(2026, 3, 9)
    login(client, world.head)
    with clock_at(at(2026, 3, day)):
        queue = client.get("/queue?q=investigating&lang=en").get_data(as_text=True)
        card = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    row = queue[queue.index(f'<tr id="row-{complaint.reference}"'):]
    row = row[:row.index("</tr>")]
    assert f'class="{row_class}"' in row
    badges = card[card.index('<p class="badges">'):]
    badges = badges[:badges.index("</p>")]
    for said in ("Due soon", "Due today", "Response overdue", "Acknowledgement overdue", "Follow-up overdue"):
        assert (said in row, said in badges) == ((said == badge),) * 2, said


@pytest.mark.parametrize(("day", "badge"), [(2, "Acknowledge soon"), (3, "Acknowledge today"),
                                           (4, "Acknowledgement overdue")])
def test_reception_sees_the_acknowledgement_when_it_falls_first(world, client, day, badge):
    """A new submission's first obligation is telling the complainant it was received: its row shows that
    date and how near it is, not the response's, in the new list and the acknowledgement list alike."""
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.submitted)
    assert (complaint.acknowledge_due_on, complaint.response_due_on) == (date(2026, 3, 3), date(2026, 3, 9))
    login(client, world.reception)
    with clock_at(at(2026, 3, day)):
        for queue in ("new", "acknowledge"):
            page = client.get(f"/queue?q={queue}&lang=en").get_data(as_text=True)
            row = page[page.index(f'<tr id="row-{complaint.reference}"'):]
            row = row[:row.index("</tr>")]
            assert "Acknowledge by 3 Mar 2026" in row and badge in row, queue


def test_due_soon_across_national_day(world):
    with clock_at(at(2026, 9, 21)):
        complaint = factories.make_complaint(world, State.investigating)
        operations.perform(world.head, Action.extend, complaint,
                           {"new_due_on": date(2026, 10, 8), "reason": "r", "complainant_told_via": "phone"},
                           complaint.version)
        db.session.commit()
    complaint.acknowledged_at = at(2026, 9, 21)  # only the response clock, for this check (not saved)
    with clock_at(at(2026, 9, 30)):
        # 8 October is the next working day after 30 September: due soon, a week ahead.
        assert complaint.deadline_status() == "due_soon"
    with clock_at(at(2026, 9, 29)):
        assert complaint.deadline_status() is None
    db.session.rollback()


def test_queues_show_overdue_without_the_sweep(world, client):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.investigating)
    with clock_at(at(2026, 3, 10)):
        login(client, world.leadership)
        assert counts(world.leadership)["overdue"] == 1
        page = client.get("/queue?q=overdue&lang=en").get_data(as_text=True)
        assert complaint.reference in page and "Overdue" in page
        assert counts(world.head)["overdue"] == 1
        assert [q.name for q in QUEUES[Role(world.leadership.role)]][2] == "overdue"
        detail = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
        assert "badge-overdue" in detail


def test_the_complaint_page_says_when_a_clock_was_met_late(world, client):
    with clock_at(at(2026, 3, 2)):
        complaint = factories.make_complaint(world, State.signed_off)
    with clock_at(at(2026, 3, 10)):
        operations.perform(world.reception, Action.respond, complaint,
                           factories.action_data(Action.respond, world), complaint.version)
        db.session.commit()
        login(client, world.reception)
        page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert page.count(">late</span>") == 2  # acknowledgement and response
