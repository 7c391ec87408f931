"""Each page says what is true for its reader."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.conftest import csrf_token, login


def test_nobody_is_offered_to_escalate_to_leadership_in_those_words(app_ctx):
    with force_locale("en"):
        assert Action.escalate.label == "Escalate"  # leadership escalates too


def test_something_due_today_says_due_today(world, client):
    with clock_at(datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):  # Monday: response due 9 March
        complaint = factories.make_complaint(world, State.investigating)
        operations.perform(world.reception, Action.acknowledge, complaint, {"acknowledged_via": "phone"},
                           complaint.version)
        db.session.commit()
    login(client, world.head)
    with clock_at(datetime(2026, 3, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        page = client.get("/queue?q=investigating&lang=en").get_data(as_text=True)
    row = page[page.index(f'id="row-{complaint.reference}"'):]
    assert "Due today" in row[:3000]


def test_the_calendar_warning_does_not_point_at_a_form_the_reader_does_not_have(world, client):
    login(client, world.leadership)
    with clock_at(datetime(2027, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        page = client.get("/queue?lang=en").get_data(as_text=True)
    assert "working-day calendar is incomplete" in page
    assert "below" not in page and "the administrator enters" in page


def test_the_public_form_says_a_way_to_reach_you_is_needed(client):
    page = client.get("/complain?lang=en").get_data(as_text=True)
    assert "Only what happened is required" not in page
    assert "how we can reach you (or choose to stay anonymous)" in page


def test_a_letter_says_it_is_answered_in_writing_not_by_phone(world, client):
    login(client, world.reception)
    complaint = factories.make_complaint(world, State.registered, preferred_reply="phone",
                                         wants_written_reply=True)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    answer = page[page.index("<dt>Answer</dt>"):][:200]
    assert "Letter (in writing)" in answer and "Phone call" not in answer


def test_the_staff_form_speaks_to_staff(world, client):
    login(client, world.reception)
    page = client.get("/complaints/new?lang=en").get_data(as_text=True)
    assert "What the complainant wants" in page and "What would you like to happen?" not in page


def _form_text(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


# The duty officer fills the staff form about the complainant: it speaks of them, never to them, in both
# languages and in its error messages; the public form keeps addressing the patient.
@pytest.mark.parametrize(("lang", "says", "never"), [
    ("zh", ["投诉人希望的答复方式", "请填写事情经过。", "请填写投诉人的联系电话或电子邮箱，或选择匿名投诉。"],
     ["您", "你", "我们"]),
    ("en", ["How the complainant wants the answer", "Enter what happened.",
            "Enter the complainant's phone number or email address, or choose anonymous."],
     [" us ", " we ", "We ", "would you like", "Your "]),  # "you" is the duty officer here
])
def test_the_staff_form_speaks_of_the_complainant_not_to_them(world, client, lang, says, never):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    text = _form_text(client.post(f"/complaints/new?lang={lang}", data={"csrf_token": token}).get_data(as_text=True))
    for words in says:
        assert words in text
    for word in never:
        assert word not in text, word


@pytest.mark.parametrize(("lang", "says"), [
    ("zh", ["您希望我们以什么方式答复？", "请告诉我们发生了什么。", "请留下联系电话或电子邮箱，或选择匿名投诉。"]),
    ("en", ["How would you like us to answer?", "Tell us what happened.",
            "Give a phone number or an email address, or choose to stay anonymous."]),
])
def test_the_public_form_keeps_speaking_to_the_patient(client, lang, says):
    token = csrf_token(client, "/complain")
    text = _form_text(client.post(f"/complain?lang={lang}", data={"csrf_token": token}).get_data(as_text=True))
    for words in says:
        assert words in text
