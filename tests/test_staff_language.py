"""Each staff account has a language: their pages open in it and their notifications are written in it when
read (a language changed since reads them in the new one); an account without one follows the browser for
pages, and its notifications' stored text is in the hospital's staff language."""

from datetime import date

import pytest
from sqlalchemy import event, select, update

from intranet.complaints.lifecycle import State
from intranet.complaints.notices import ASSIGNED, DUE_TOMORROW
from intranet.core.extensions import db
from intranet.core.users import User
from intranet.notifications import relay
from intranet.notifications.models import StaffNotification
from intranet.notifications.outbox import notify
from tests import factories
from tests.conftest import login


def test_the_cli_gives_an_account_its_language(app_ctx, world):
    result = app_ctx.test_cli_runner().invoke(args=[
        "users", "create", "dr-miller", "--role", "head", "--department", "CARD", "--password", "long enough pw",
        "--language", "en"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.language).where(User.username == "dr-miller")) == "en"


def test_an_english_speaking_head_reads_pages_and_notifications_in_english(world, client):
    world.head.language = "en"
    db.session.commit()
    complaint = factories.make_complaint(world, State.assigned)
    relay.send_pending()

    notice = db.session.scalar(select(StaffNotification).where(StaffNotification.user_id == world.head.id))
    assert notice.subject == f"New complaint for your department: {complaint.reference}"
    assert "was assigned to Cardiology" in notice.body

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"  # the ward's computer is set to Chinese
    login(client, world.head)
    page = client.get("/queue").get_data(as_text=True)
    assert "New for my department" in page
    assert "New for my department" not in client.get("/queue?lang=zh").get_data(as_text=True)  # a switch wins


def test_without_a_language_the_hospitals_is_used_for_notifications(world):
    assert world.head.language is None  # and the hospital's staff language is Chinese by default
    complaint = factories.make_complaint(world, State.assigned)
    relay.send_pending()
    notice = db.session.scalar(select(StaffNotification).where(StaffNotification.user_id == world.head.id))
    assert notice.subject == f"本科室新投诉：{complaint.reference}"


def notifications_page(client, user) -> str:
    login(client, user)
    return client.get("/notifications").get_data(as_text=True)


@pytest.mark.parametrize(("language", "subject", "body"), [
    ("zh", "本科室新投诉：{reference}", "投诉 {reference} 已分派给心血管内科"),
    ("en", "New complaint for your department: {reference}", "Complaint {reference} was assigned to Cardiology"),
])
def test_notifications_read_in_the_language_the_account_has_when_reading(world, client, language, subject, body):
    """Written when read, not when sent: an account that changes its language reads what it had already
    received in its new one."""
    world.head.language = "zh" if language == "en" else "en"  # the other language when it was sent
    db.session.commit()
    complaint = factories.make_complaint(world, State.assigned)
    relay.send_pending()
    world.head.language = language
    db.session.commit()

    page = notifications_page(client, world.head)
    assert subject.format(reference=complaint.reference) in page
    assert body.format(reference=complaint.reference) in page


@pytest.mark.parametrize(("language", "expected"), [
    ("zh", "投诉 {reference}（调查处理中）将于"),
    ("en", "Complaint {reference} (Investigating) is due on"),
])
def test_a_reminder_names_the_state_in_the_readers_language(world, client, language, expected):
    complaint = factories.make_complaint(world, State.investigating)
    notify(DUE_TOMORROW, complaint.about(), key="test:due", data={"due_on": date(2026, 3, 5)})
    db.session.commit()
    relay.send_pending()
    world.head.language = language
    db.session.commit()
    assert expected.format(reference=complaint.reference) in notifications_page(client, world.head)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_notification_sent_before_its_facts_were_kept_shows_the_text_it_was_sent_with(world, client, language):
    factories.make_complaint(world, State.assigned)
    relay.send_pending()
    db.session.execute(update(StaffNotification).values(facts=None, subject="旧的通知", body="按发送时的文字显示。"))
    world.head.language = language
    db.session.commit()
    page = notifications_page(client, world.head)
    assert "旧的通知" in page and "按发送时的文字显示。" in page


def test_the_notifications_page_runs_no_statement_per_notification(world, client):
    about = factories.make_complaint(world, State.assigned).about()
    relay.send_pending()
    login(client, world.head)

    def statements() -> int:
        seen = []
        listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/notifications?lang=en").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len([s for s in seen if s != "BEGIN"])  # a connection's own, not the page's

    one = statements()
    for i in range(49):
        notify(ASSIGNED, about, key=f"test:{i}")
    db.session.commit()
    relay.send_pending()
    assert statements() == one
