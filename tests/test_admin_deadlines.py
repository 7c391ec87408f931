"""The admin pages for the deadline policy and the working-day calendar, and the `deadlines` CLI."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.deadlines import policy
from intranet.deadlines.models import Clock, DayKind, DeadlinePolicy, HospitalDay
from tests.conftest import csrf_token, login

PAGES = ["/admin/deadlines", "/admin/calendar"]


def policy_form(token, **days):
    values = {c.value: str(d) for c, d in policy.all_working_days().items()}
    values.update(days)
    return {"csrf_token": token, **values}


@pytest.mark.parametrize("role_key", ["reception", "head", "leadership"])
def test_non_admins_are_refused(world, client, role_key):
    login(client, world.user(role_key))
    token = csrf_token(client, "/queue")
    for page in PAGES:
        assert client.get(page).status_code == 403
    assert client.post("/admin/deadlines", data=policy_form(token, acknowledge="2")).status_code == 403
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
    token = csrf_token(client, "/admin/deadlines")
    response = client.post("/admin/deadlines", data=policy_form(token, respond_simple="7"))
    assert response.status_code == 302
    db.session.expire_all()
    assert policy.working_days(Clock.respond_simple) == 7
    row = db.session.get(DeadlinePolicy, "respond_simple")
    assert row.updated_by_id == world.admin.id


@pytest.mark.parametrize("typed", ["0", "61", "abc", ""])
def test_a_bad_policy_answers_422_keeps_what_was_typed_and_saves_nothing(world, client, typed):
    login(client, world.admin)
    token = csrf_token(client, "/admin/deadlines")
    response = client.post("/admin/deadlines?lang=en",
                           data=policy_form(token, acknowledge=typed, follow_up="4"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert f'value="{typed}"' in html and 'value="4"' in html
    db.session.expire_all()
    assert policy.working_days(Clock.acknowledge) == 1 and policy.working_days(Clock.follow_up) == 3


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
    assert "respond_several_departments" in result.output and "10 working days" in result.output
    result = runner.invoke(args=["deadlines", "set", "follow_up", "4"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert policy.working_days(Clock.follow_up) == 4
    assert runner.invoke(args=["deadlines", "set", "follow_up", "0"]).exit_code != 0
    assert runner.invoke(args=["deadlines", "set", "lunch", "3"]).exit_code != 0
    db.session.expire_all()
    assert policy.working_days(Clock.follow_up) == 4


def _listed(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return " ".join(re.sub(r"<[^>]+>", "", page[page.index(">", start) + 1:page.index("</p>", start)]).split())


def test_the_calendar_page_lists_the_years_days_off_and_make_up_days(world, client):
    """2026 from the published notice (its make-up Sundays and Saturdays included); 2027 by rule only."""
    login(client, world.admin)  # the clock is pinned in November 2026: this year and next
    page = client.get("/admin/calendar?lang=en").get_data(as_text=True)
    assert _listed(page, "make-up-days-2026") == (
        "Weekend days made working days (6): 4 Jan 2026, 14 Feb 2026, 28 Feb 2026, 9 May 2026, 20 Sep 2026, "
        "10 Oct 2026")
    assert _listed(page, "days-off-2026") == (
        "Weekdays off (19): 1 Jan 2026, 2 Jan 2026, 16 Feb 2026, 17 Feb 2026, 18 Feb 2026, 19 Feb 2026, "
        "20 Feb 2026, 23 Feb 2026, 6 Apr 2026, 1 May 2026, 4 May 2026, 5 May 2026, 19 Jun 2026, 25 Sep 2026, "
        "1 Oct 2026, 2 Oct 2026, 5 Oct 2026, 6 Oct 2026, 7 Oct 2026")
    assert "Public holidays by rule only; make-up working days not known." in page
    assert _listed(page, "make-up-days-2027") == "Weekend days made working days (0): none known"
