"""The bell and the /notifications page: the relay turns in-app outbox rows into staff
notifications; the header shows the unread count and refreshes it with htmx; each can be marked read with a
real form (CSRF, works without JavaScript), and nobody sees or marks anyone else's."""

import re

import pytest
from sqlalchemy import func, select, update

from intranet.complaints.lifecycle import State
from intranet.complaints.notices import ASSIGNED
from intranet.core.extensions import db
from intranet.core.time import utcnow
from intranet.notifications import relay
from intranet.notifications.models import StaffNotification
from intranet.notifications.outbox import notify
from tests import factories
from tests.conftest import csrf_token, login


def bell_shows(html: str) -> str:
    """The count the bell shows, as written ("" for none)."""
    match = re.search(r'<a id="bell"[^>]*>.*?</a>', html, re.S)
    assert match, "no bell in the header"
    count = re.search(r'class="count">([^<]+)<', match.group(0))
    return count.group(1) if count else ""


def bell_count(html: str) -> int:
    return int(bell_shows(html) or 0)


def notified(world, n: int) -> None:
    """`n` unread notifications for the head of cardiology, delivered."""
    about = factories.make_complaint(world, State.assigned).about()
    relay.send_pending()
    db.session.execute(update(StaffNotification).values(read_at=utcnow()))  # the assignment's own: read
    for i in range(n):
        notify(ASSIGNED, about, key=f"test:{i}")
    db.session.commit()
    relay.send_pending()


def assigned_to_head(world, n=2):
    complaints = [factories.make_complaint(world, State.assigned) for _ in range(n)]
    relay.send_pending()
    return complaints


def test_bell_shows_the_unread_count_and_refreshes_with_htmx(client, world):
    assigned_to_head(world)
    login(client, world.head)
    page = client.get("/queue").get_data(as_text=True)
    assert bell_count(page) == 2
    bell = re.search(r'<a id="bell"[^>]*>', page).group(0)
    assert 'hx-get="/notifications/bell"' in bell
    assert "every 30s" in bell and "complaint-changed from:body" in bell  # polls, and follows actions

    fragment = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.get_data(as_text=True).lstrip().startswith('<a id="bell"')
    assert bell_count(fragment.get_data(as_text=True)) == 2

    login(client, world.other_head)  # the other department's head heard nothing
    assert bell_count(client.get("/queue").get_data(as_text=True)) == 0


def test_notifications_page_links_to_the_complaints_and_marks_read_without_javascript(client, world):
    complaints = assigned_to_head(world)
    login(client, world.head)
    html = client.get("/notifications").get_data(as_text=True)
    for complaint in complaints:
        assert f'href="/complaints/{complaint.reference}"' in html
    first = db.session.scalars(select(StaffNotification).order_by(StaffNotification.id)).first()

    token = csrf_token(client, "/notifications")
    response = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    assert bell_count(client.get("/notifications").get_data(as_text=True)) == 1

    response = client.post("/notifications/read-all", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert bell_count(page) == 0
    assert "Mark as read" not in page and "标为已读" not in page


def test_mark_read_in_place_with_htmx_tells_the_bell(client, world):
    assigned_to_head(world, 1)
    login(client, world.head)
    token = csrf_token(client, "/notifications")
    item = db.session.scalar(select(StaffNotification))
    response = client.post(f"/notifications/{item.id}/read",
                           headers={"HX-Request": "true", "HX-Target": "notification-list", "X-CSRFToken": token})
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "notifications-changed"
    assert response.get_data(as_text=True).lstrip().startswith('<section id="notification-list"')
    db.session.expire_all()
    assert item.read_at is not None


def test_mark_read_needs_csrf_and_only_ones_own(client, world):
    assigned_to_head(world, 1)
    item = db.session.scalar(select(StaffNotification))
    login(client, world.other_head)
    token = csrf_token(client, "/notifications")
    assert client.post(f"/notifications/{item.id}/read", data={"csrf_token": token}).status_code == 404
    login(client, world.head)
    assert client.post(f"/notifications/{item.id}/read").status_code == 400  # no CSRF token
    db.session.expire_all()
    assert item.read_at is None


def test_admins_see_failed_messages_and_can_try_them_again(client, world):
    from intranet.core.time import utcnow
    from intranet.notifications.models import OutboxMessage

    complaint = factories.make_complaint(world, State.submitted)
    now = utcnow()
    db.session.add(OutboxMessage(key="k1", kind="acknowledged", channel="email", recipient="pat@example.org",
                                 language="en", subject="We have received", body="b", complaint_id=complaint.id,
                                 status="failed", attempts=8, next_attempt_at=now, last_error="SMTP refused",
                                 created_at=now))
    db.session.commit()
    login(client, world.reception)
    assert client.get("/admin/outbox").status_code == 403
    login(client, world.admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "pat@example.org" in page and "SMTP refused" in page
    token = csrf_token(client, "/admin/outbox")
    assert client.post("/admin/outbox/retry", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage))
    assert (row.status, row.attempts) == ("pending", 0)


def test_the_assignment_notice_names_the_department(client, world):
    """The department is named in the head's language (the staff's: Chinese by default)."""
    [complaint] = assigned_to_head(world, 1)
    notice = db.session.scalar(select(StaffNotification).where(StaffNotification.user_id == world.head.id))
    assert f"投诉 {complaint.reference} 已分派给心血管内科" in notice.body


def test_each_notification_carries_the_time_of_what_happened_not_the_relays(client, world):
    from datetime import UTC, datetime

    from intranet.core.time import clock_at

    with clock_at(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)):  # 10:00 in Shanghai
        factories.make_complaint(world, State.assigned)
    with clock_at(datetime(2026, 3, 4, 2, 0, tzinfo=UTC)):  # the relay runs two days later
        relay.send_pending()
    notice = db.session.scalar(select(StaffNotification).where(StaffNotification.user_id == world.head.id))
    assert notice.created_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_the_list_filters_by_unread_and_kind_and_marks_read_what_it_shows(client, world):
    assigned_to_head(world, 2)
    login(client, world.head)
    notices = db.session.scalars(select(StaffNotification).where(StaffNotification.user_id == world.head.id)).all()
    assert sorted(n.kind for n in notices) == ["assigned", "assigned"]
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "New for the department" in page and "Unread" in page

    token = csrf_token(client, "/notifications")
    client.post(f"/notifications/{notices[0].id}/read", data={"csrf_token": token})
    unread = client.get("/notifications?show=unread").get_data(as_text=True)
    assert unread.count('class="notification notification-unread"') == 1
    assert 'class="notification"' not in unread  # the read one is not shown

    client.post("/notifications/read-all?kind=escalated", data={"csrf_token": token})  # none of that kind
    assert bell_count(client.get("/queue").get_data(as_text=True)) == 1
    client.post("/notifications/read-all?kind=assigned", data={"csrf_token": token})
    assert bell_count(client.get("/queue").get_data(as_text=True)) == 0


# The bell never grows wider than three figures.
@pytest.mark.parametrize(("unread", "shows"), [(0, ""), (1, "1"), (99, "99"), (100, "99+"), (130, "99+")])
def test_the_bell_caps_its_count(client, world, unread, shows):
    notified(world, unread)
    login(client, world.head)
    assert bell_shows(client.get("/queue").get_data(as_text=True)) == shows
    assert bell_shows(client.get("/notifications/bell", headers={"HX-Request": "true"}).get_data(as_text=True)) == shows


def listed(html: str) -> int:
    return len(re.findall(r'<li class="notification[ "]', html))


def test_the_list_is_paged_fifty_a_page_keeping_its_filters(client, world):
    notified(world, 120)
    login(client, world.head)
    pages = [client.get(f"/notifications?show=unread&kind=assigned&page={n}&lang=en").get_data(as_text=True)
             for n in (1, 2, 3)]
    assert [listed(html) for html in pages] == [50, 50, 20]
    assert 'href="/notifications?page=2&amp;show=unread&amp;kind=assigned">Next page' in pages[0]
    assert "Previous page" not in pages[0]
    assert 'href="/notifications?page=1&amp;show=unread&amp;kind=assigned">Previous page' in pages[1]
    assert "Next page" not in pages[2]
    # Newest first, and no notification on two pages.
    ids = [re.findall(r'/notifications/(\d+)/read', html)[::2] for html in pages]
    flat = [int(i) for page in ids for i in page]
    assert flat == sorted(flat, reverse=True) and len(set(flat)) == 120


@pytest.mark.parametrize("page", ["0", "-1", "100001", "99999999999999999999"])
def test_a_page_out_of_range_is_not_found(client, world, page):
    login(client, world.head)
    assert client.get(f"/notifications?page={page}").status_code == 404


def test_mark_all_as_read_marks_every_page(client, world):
    notified(world, 120)
    login(client, world.head)
    token = csrf_token(client, "/notifications?page=2")
    response = client.post("/notifications/read-all?page=2", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/notifications?page=2"
    assert bell_shows(client.get("/notifications").get_data(as_text=True)) == ""
    assert db.session.scalar(select(func.count()).select_from(StaffNotification)
                             .where(StaffNotification.read_at.is_(None))) == 0
