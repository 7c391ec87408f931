"""Each staff account has a language: their pages open in it and their notifications are written in it;
an account without one follows the browser (pages) and the hospital's staff language (notifications)."""

from sqlalchemy import select

from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.core.users import User
from intranet.notifications import relay
from intranet.notifications.models import StaffNotification
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
