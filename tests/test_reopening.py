"""A complaint reopened because the complainant is not satisfied gets a new response clock from the
reopening (the policy's "reopened" clock, which the admin sets), shown and swept like the first."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.sweep import sweep
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.deadlines import policy
from intranet.deadlines.models import Clock
from tests import factories
from tests.conftest import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def reopened_on(world, day: datetime):
    with clock_at(at(2026, 3, 2)):  # a Monday
        complaint = factories.make_complaint(world, State.responded)
    with clock_at(day):
        operations.perform(world.reception, Action.follow_up, complaint,
                           {"method": "phone", "satisfied": False, "comment": "Nothing changed."}, complaint.version)
        db.session.commit()
    return complaint


def test_reopening_starts_a_new_response_clock_from_the_policy(world):
    complaint = reopened_on(world, at(2026, 3, 16))  # a Monday: 5 working days on is Monday 23 March
    assert complaint.state == State.investigating
    assert complaint.response_due_on == date(2026, 3, 23)
    assert complaint.responded_at is None and complaint.follow_up_due_on is None
    assert complaint.events[-1].data["response_due_on"] == "2026-03-23"
    with clock_at(at(2026, 3, 17)):
        assert complaint.late_clock() is None  # not overdue the moment it reopens


def test_the_admin_sets_the_length_of_the_reopened_clock(world):
    policy.set_working_days(Clock.reopened, 2)
    db.session.commit()
    complaint = reopened_on(world, at(2026, 3, 16))
    assert complaint.response_due_on == date(2026, 3, 18)


def test_the_page_shows_the_new_date_and_not_done(world, client):
    complaint = reopened_on(world, at(2026, 3, 16))
    login(client, world.reception)
    with clock_at(at(2026, 3, 17)):
        page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    respond_by = page[page.index("Respond by"):][:200]
    assert "23 Mar 2026" in respond_by and "done" not in respond_by


def test_the_new_clock_is_swept_like_the_first(world):
    complaint = reopened_on(world, at(2026, 3, 16))
    level = complaint.escalation_level  # the reopening itself escalated once
    with clock_at(at(2026, 3, 24)):
        report = sweep()
    assert complaint.reference in report.escalated
    db.session.refresh(complaint)
    assert complaint.escalation_level == level + 1
    assert complaint.events[-1].data["missed"] == [{"clock": "response", "due_on": "2026-03-23"}]
