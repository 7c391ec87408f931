"""The admin pages for the deadline policy and the working-day calendar, and the `deadlines` CLI."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intranet.core.admin_events import AdminEvent
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.deadlines import policy
from intranet.deadlines.models import Clock, DayKind, DeadlinePolicy, HospitalDay
from tests.conftest import csrf_token, login

PAGES = ["/admin/deadlines", "/admin/calendar"]


def policy_form(token, **cells):
    """The whole table as it is stored, with `cells` (e.g. acknowledge__major__amount="24") changed."""
    rows = policy.rows()
    values = {}
    for (clock, severity), rule in policy.all_rules().items():
        name = f"{clock.value}__{severity}"
        row = rows.get((clock, severity))
        values.update({f"{name}__amount": str(rule.amount), f"{name}__unit": rule.unit.value,
                       f"{name}__version": str(row.version) if row else ""})
    values.update(cells)
    return {"csrf_token": token, **values}


def rule(clock, severity):
    db.session.expire_all()
    found = policy.rule(clock, severity)
    return found.amount, found.unit.value


@pytest.mark.parametrize("role_key", ["reception", "head", "leadership"])
def test_non_admins_are_refused(world, client, role_key):
    login(client, world.user(role_key))
    token = csrf_token(client, "/queue")
    for page in PAGES:
        assert client.get(page).status_code == 403
    assert client.post("/admin/deadlines", data=policy_form(token, acknowledge__minor__amount="2")).status_code == 403
    assert client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-03-10", "kind": "closed",
                                                "reason": "x"}).status_code == 403
    db.session.expire_all()
    assert policy.working_days(Clock.acknowledge) == 1
    assert db.session.scalars(select(HospitalDay)).all() == []


def test_anonymous_visitors_are_sent_to_log_in(client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_changes_the_policy(world, client):
    login(client, world.admin)
    page = client.get("/admin/deadlines?lang=en").get_data(as_text=True)
    assert "Respond, several departments involved" in page and 'value="10"' in page
    assert "A change applies to complaints whose clock starts after it" in page
    assert "Hours: elapsed hours from the moment the clock starts, nights, weekends and holidays included" in page
    token = csrf_token(client, "/admin/deadlines")
    response = client.post("/admin/deadlines", data=policy_form(
        token, respond_simple__minor__amount="7", acknowledge__major__amount="24", acknowledge__major__unit="hours"))
    assert response.status_code == 302
    assert rule(Clock.respond_simple, "minor") == (7, "working_days")
    assert rule(Clock.respond_simple, "serious") == (5, "working_days")  # the other severities as they were
    assert rule(Clock.acknowledge, "major") == (24, "hours")
    assert rule(Clock.acknowledge, "serious") == (1, "working_days")
    row = db.session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.clock == "respond_simple",
                                                         DeadlinePolicy.severity == "minor"))
    assert row.updated_by_id == world.admin.id and row.updated_at is not None
    events = db.session.scalars(select(AdminEvent).where(AdminEvent.subject == "deadline_policy")
                                .order_by(AdminEvent.id)).all()
    assert [(e.actor_id, e.data["clock"], e.data["severity"], e.data["amount"], e.data["unit"]) for e in events] \
        == [(world.admin.id, "acknowledge", "major", 24, "hours"),
            (world.admin.id, "respond_simple", "minor", 7, "working_days")]
    page = client.get("/admin/deadlines?lang=en").get_data(as_text=True)
    assert "Acknowledge, from receipt, Major: 1 working day → 24 hours" in " ".join(page.split())


@pytest.mark.parametrize(("amount", "unit", "message"), [
    ("0", "working_days", "Enter a whole number, 1 or more."),
    ("-1", "hours", "Enter a whole number, 1 or more."),
    ("", "hours", "Enter a whole number, 1 or more."),
    ("abc", "working_days", "Enter a whole number, 1 or more."),
    ("61", "working_days", "At most 60 working days."),
    ("721", "hours", "At most 720 hours."),
])
def test_a_bad_policy_answers_422_keeps_what_was_typed_and_saves_nothing(world, client, amount, unit, message):
    login(client, world.admin)
    token = csrf_token(client, "/admin/deadlines")
    response = client.post("/admin/deadlines?lang=en", data=policy_form(
        token, acknowledge__major__amount=amount, acknowledge__major__unit=unit, follow_up__minor__amount="4"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and f"Acknowledge, from receipt, Major: {message}" in html
    assert f'name="acknowledge__major__amount" required type="number" value="{amount}"' in html
    assert ('<option selected value="hours">hours</option>' in html) == (unit == "hours")
    assert 'name="follow_up__minor__amount" required type="number" value="4"' in html
    assert rule(Clock.acknowledge, "major") == (1, "working_days")
    assert rule(Clock.follow_up, "minor") == (3, "working_days")


def test_a_rule_changed_meanwhile_answers_409_naming_who_and_keeps_what_was_typed(world, client, app_ctx):
    login(client, world.admin)
    token = csrf_token(client, "/admin/deadlines")
    seen = policy_form(token)  # the page as the administrator opened it
    app_ctx.test_cli_runner().invoke(args=["deadlines", "set", "acknowledge", "2", "--severity", "major"])
    response = client.post("/admin/deadlines?lang=en", data={**seen, "acknowledge__major__amount": "48",
                                                              "acknowledge__major__unit": "hours"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "a command on the server changed this" in html and "Deadline policy changed" in html
    assert 'value="48"' in html
    assert rule(Clock.acknowledge, "major") == (2, "working_days")
    # A cell nobody else changed saves at once; saving again, having looked, goes through.
    response = client.post("/admin/deadlines", data=policy_form(token, acknowledge__major__amount="48",
                                                                acknowledge__major__unit="hours"))
    assert response.status_code == 302
    assert rule(Clock.acknowledge, "major") == (48, "hours")


def test_admin_adds_and_removes_a_hospital_day(world, client):
    login(client, world.admin)
    token = csrf_token(client, "/admin/calendar")
    response = client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-03-10", "kind": "closed",
                                                    "reason": "Hospital anniversary"})
    assert response.status_code == 302
    day = db.session.scalar(select(HospitalDay))
    assert (day.day, day.kind, day.reason) == (date(2026, 3, 10), DayKind.closed, "Hospital anniversary")
    page = client.get("/admin/calendar?lang=en").get_data(as_text=True)
    assert "Hospital anniversary" in page

    # The same date again is refused, with what was typed kept.
    response = client.post("/admin/calendar?lang=en", data={"csrf_token": token, "day": "2026-03-10",
                                                            "kind": "working", "reason": "Again"})
    assert response.status_code == 422
    assert 'value="Again"' in response.get_data(as_text=True)

    response = client.post(f"/admin/calendar/{day.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(HospitalDay)).all() == []


@pytest.mark.parametrize("missing", ["day", "kind", "reason"])
def test_a_hospital_day_without_its_fields_answers_422(world, client, missing):
    login(client, world.admin)
    token = csrf_token(client, "/admin/calendar")
    data = {"csrf_token": token, "day": "2026-03-10", "kind": "working", "reason": "Make-up day"}
    data[missing] = ""
    response = client.post("/admin/calendar?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    if missing != "reason":
        assert 'value="Make-up day"' in html
    if missing != "day":
        assert 'value="2026-03-10"' in html
    assert db.session.scalars(select(HospitalDay)).all() == []


def test_admins_and_leadership_are_warned_of_a_year_the_calendar_does_not_know(world, client):
    with clock_at(datetime(2026, 11, 27, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        login(client, world.admin)
        for page in ("/admin/calendar?lang=en", "/admin/deadlines?lang=en", "/queue?lang=en"):
            html = client.get(page).get_data(as_text=True)
            assert "2027" in html and "The working-day calendar is incomplete" in html, page
        login(client, world.leadership)
        assert "The working-day calendar is incomplete" in client.get("/queue?lang=en").get_data(as_text=True)
        login(client, world.reception)
        assert "The working-day calendar is incomplete" not in client.get("/queue?lang=en").get_data(as_text=True)
    with clock_at(datetime(2025, 6, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        login(client, world.admin)
        assert "The working-day calendar is incomplete" not in client.get("/admin/calendar?lang=en").get_data(
            as_text=True)


def test_the_deadlines_cli(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["deadlines", "show"])
    assert result.exit_code == 0
    assert "respond_several_departments  major    10 working days" in result.output
    result = runner.invoke(args=["deadlines", "set", "follow_up", "4"])
    assert result.exit_code == 0, result.output
    assert [rule(Clock.follow_up, s) for s in ("minor", "serious", "major")] == [(4, "working_days")] * 3
    result = runner.invoke(args=["deadlines", "set", "acknowledge", "24", "--hours", "--severity", "major"])
    assert result.exit_code == 0, result.output
    assert rule(Clock.acknowledge, "major") == (24, "hours") and rule(Clock.acknowledge, "minor") == (1, "working_days")
    assert "acknowledge                  major    24 hours" in runner.invoke(args=["deadlines", "show"]).output
    assert runner.invoke(args=["deadlines", "set", "follow_up", "0"]).exit_code != 0
    assert runner.invoke(args=["deadlines", "set", "follow_up", "61"]).exit_code != 0
    assert runner.invoke(args=["deadlines", "set", "lunch", "3"]).exit_code != 0
    assert rule(Clock.follow_up, "minor") == (4, "working_days")
